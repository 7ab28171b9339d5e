"""Compare ranking settings on judged queries: one line of measures per variant and query form.

Usage: python bench/relevance.py DATA_DIR [--queries Q] [--qrels R] [--variant NAME]...
The index in DATA_DIR must hold MedQuAD ingested with --fill-answers.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# Run as a script, this folder comes first on sys.path and its ingest.py / search.py
# would hide the packages of the same name: put the repository root first instead.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(HERE)] + [p for p in sys.path if os.path.abspath(p or ".") != HERE]

from healthqa.search.evaluate import MEASURES, evaluate, read_qrels, read_queries  # noqa: E402
from healthqa.search.searcher import Searcher  # noqa: E402
from healthqa.search.settings import RankingSettings, SearchSettings  # noqa: E402

DEV = os.path.join(HERE, "..", "..", "shared", "data", "liveqa-med-dev")

# The baseline: plain BM25F over question^2, answer and focus.
BASELINE = RankingSettings(weights={"question": 2.0, "answer": 1.0, "topic": 1.0}, focus_weight=0.0,
                           qtype_weight=0.0, fuzzy_weight=0.0, topic_spread=0.0)
VARIANTS: dict[str, RankingSettings] = {
    "baseline": BASELINE,
    "default": RankingSettings(),
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
            ranking = ranking.with_changes(**{key: type(current)(float(value))})
    return ranking


def run(data_dir: str, queries: str, qrels: str, names: list[str], changes: list[str]) -> None:
    judged = read_qrels(qrels)
    for name in names:
        settings = SearchSettings(ranking=override(VARIANTS[name], changes), suggest=False)
        with Searcher(data_dir, settings) as searcher:
            for form in ("paraphrase", "subject+message"):
                started = time.perf_counter()
                means, _ = evaluate(read_queries(queries, form), judged, lambda t: searcher.ranked_ids(t, 10))
                took = time.perf_counter() - started
                line = "  ".join(f"{m} {means[m]:.3f}" for m in MEASURES)
                print(f"{name:<14} {form:<16} {line}  ({took:.1f} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir")
    parser.add_argument("--queries", default=os.path.join(DEV, "queries.tsv"))
    parser.add_argument("--qrels", default=os.path.join(DEV, "qrels.txt"))
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS))
    parser.add_argument("--set", dest="changes", action="append", default=[],
                        help="override a setting of every variant: k1=1.0, weights.question=3, field_b.answer=0.5")
    args = parser.parse_args()
    run(args.data_dir, args.queries, args.qrels, args.variant or list(VARIANTS), args.changes)


if __name__ == "__main__":
    main()
