"""Compare ranking settings on judged queries: one line of measures per variant and query form,
then nDCG@10 per question type (the types the NLM annotated for each question; a question
with several types counts in each).

Usage: python bench/relevance.py DATA_DIR [--queries Q] [--qrels R] [--annotations A] [--variant NAME]...
Run it on MedQuAD ingested with --fill-answers and on MedQuAD without: most judged answers
live in the subsets that ship without answers, so the fill favours judged pages.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict

# Run as a script, this folder comes first on sys.path and its ingest.py / search.py
# would hide the packages of the same name: put the repository root first instead.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(HERE)] + [p for p in sys.path if os.path.abspath(p or ".") != HERE]

from healthqa.search.evaluate import MEASURES, measure, read_qrels, read_queries  # noqa: E402
from healthqa.search.searcher import Searcher  # noqa: E402
from healthqa.search.settings import RankingSettings, SearchSettings  # noqa: E402

DEV = os.path.join(HERE, "..", "..", "shared", "data", "liveqa-med-dev")

# The baseline: plain BM25F over question^2, answer and focus.
BASELINE = RankingSettings(weights={"question": 2.0, "answer": 1.0, "topic": 1.0}, focus_weight=0.0,
                           qtype_weight=0.0, fuzzy_weight=0.0, topic_spread=0.0, focus_match_weight=0.0,
                           expansion_weight=0.0, type_weight=0.0, unanswered_factor=1.0,
                           stubs_below_answers=False)
DEFAULT = RankingSettings()
# Before question understanding (#11): the defaults with each of its settings off.
BEFORE = DEFAULT.with_changes(focus_match_weight=0.0, expansion_weight=0.0, type_weight=0.0, unanswered_factor=1.0,
                              stubs_below_answers=False)
# Each variant: its ranking settings, and whether duplicates are collapsed as `search` shows
# them (judged duplicates then count once: the TREC measures see fewer judged pages).
VARIANTS: dict[str, tuple[RankingSettings, bool]] = {
    "baseline": (BASELINE, False),
    "before-11": (BEFORE, False),
    "default": (DEFAULT, False),
    "no-focus-match": (DEFAULT.with_changes(focus_match_weight=0.0), False),
    "no-expansion": (DEFAULT.with_changes(expansion_weight=0.0), False),
    "no-type": (DEFAULT.with_changes(type_weight=0.0), False),
    "no-unanswered": (DEFAULT.with_changes(unanswered_factor=1.0, stubs_below_answers=False), False),
    "no-drug-first": (DEFAULT.with_changes(drug_first=False), False),
    "stubs-factor-0.5": (DEFAULT.with_changes(unanswered_factor=0.5), False),
    "model-type": (DEFAULT.with_changes(type_from="model"), False),
    "default-collapsed": (DEFAULT, True),
}


def override(ranking: RankingSettings, assignments: list[str]) -> RankingSettings:
    """Apply ``name=value`` and ``weights.field=value`` / ``field_b.field=value`` changes."""
    for assignment in assignments:
        key, _, value = assignment.partition("=")
        if "." in key:
            table, field = key.split(".", 1)
            ranking = ranking.with_changes(**{table: {**getattr(ranking, table), field: float(value)}})
        else:
            current = getattr(ranking, key)
            ranking = ranking.with_changes(**{key: value if isinstance(current, str) else type(current)(float(value))})
    return ranking


def read_types(path: str) -> dict[str, list[str]]:
    if not os.path.exists(path):
        return {}
    types = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                types[row["qid"]] = sorted({t["type"] for t in row["types"]})
    return types


def run(data_dir: str, queries: str, qrels: str, annotations: str, names: list[str], changes: list[str]) -> None:
    judged = read_qrels(qrels)
    types = read_types(annotations)
    per_type: dict[str, dict[str, list[float]]] = {}
    for name in names:
        ranking, collapse = VARIANTS[name]
        settings = SearchSettings(ranking=override(ranking, changes), suggest=False)
        with Searcher(data_dir, settings) as searcher:
            for form in ("paraphrase", "subject+message"):
                started = time.perf_counter()
                totals = dict.fromkeys(MEASURES, 0.0)
                groups: dict[str, list[float]] = defaultdict(list)
                count = 0
                for query in read_queries(queries, form):
                    if query.qid not in judged:
                        continue
                    ranked = [d for d, _ in searcher.ranked_ids(query.text, 10, collapse)]
                    values = measure(ranked, judged[query.qid])
                    for measure_name, value in values.items():
                        totals[measure_name] += value
                    for qtype in types.get(query.qid, ()):
                        groups[qtype].append(values["nDCG@10"])
                    count += 1
                took = time.perf_counter() - started
                line = "  ".join(f"{m} {totals[m] / count:.3f}" for m in MEASURES)
                print(f"{name:<20} {form:<16} {line}  ({took:.1f} s)", flush=True)
                per_type[f"{name} {form}"] = groups
    if types:
        print_per_type(per_type)


def print_per_type(per_type: dict[str, dict[str, list[float]]]) -> None:
    names = sorted({t for groups in per_type.values() for t in groups},
                   key=lambda t: -max(len(g.get(t, ())) for g in per_type.values()))
    print("\nnDCG@10 per annotated question type (questions in brackets)")
    print(f"{'':<37}" + "".join(f"{t[:10]:>11}" for t in names))
    counts = next(iter(per_type.values()))
    print(f"{'':<37}" + "".join(f"{'(' + str(len(counts.get(t, ()))) + ')':>11}" for t in names))
    for label, groups in per_type.items():
        cells = "".join(f"{sum(groups[t]) / len(groups[t]):>11.3f}" if groups.get(t) else f"{'-':>11}" for t in names)
        print(f"{label:<37}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir")
    parser.add_argument("--queries", default=os.path.join(DEV, "queries.tsv"))
    parser.add_argument("--qrels", default=os.path.join(DEV, "qrels.txt"))
    parser.add_argument("--annotations", default=os.path.join(DEV, "annotations.jsonl"),
                        help="question types per qid (only to group the figures; never a ranking input)")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS))
    parser.add_argument("--set", dest="changes", action="append", default=[],
                        help="override a setting of every variant: k1=1.0, weights.question=3, field_b.answer=0.5")
    args = parser.parse_args()
    run(args.data_dir, args.queries, args.qrels, args.annotations, args.variant or list(VARIANTS), args.changes)


if __name__ == "__main__":
    main()
