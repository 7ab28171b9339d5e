"""Related-question quality: RQE entailment pairs and LiveQA judged answers.

Run by hand, not by CI::

    .venv/bin/python bench/related.py DATA_DIR [--rqe FILE] [--queries Q --qrels R]

DATA_DIR holds MedQuAD (ingested with --fill-answers, indexed). Prints, before question understanding (#11) and with it,
- RQE: for each consumer question, its candidate FAQ questions scored with the
  related-question scorer over the index; mean average precision of the entailed
  (true) FAQs and pairwise accuracy (a true FAQ above a false one);
- dev qrels pairs: the same measures on a harder set, each LiveQA dev question against the
  MedQuAD questions of its judged answers (entailed when graded >= 2);
- LiveQA: the share of consumer questions whose top 5 related questions include
  one whose answer is judged >= 2, for both query forms.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict

REPO = pathlib.Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path and its search.py / ingest.py would
# hide the packages of the same name: search the repository root instead.
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)

from healthqa.search.evaluate import read_qrels, read_queries  # noqa: E402
from healthqa.search.related import RelatedFinder  # noqa: E402
from healthqa.search.searcher import Searcher  # noqa: E402
from healthqa.search.settings import RelatedSettings, SearchSettings  # noqa: E402

SHARED = REPO.parent / "shared" / "data"


def read_rqe(path: pathlib.Path) -> dict[str, list[tuple[str, bool]]]:
    """Consumer question -> [(FAQ question, entailed)]."""
    groups: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for pair in ET.parse(path).getroot().iter("pair"):
        chq = " ".join((pair.findtext("chq") or "").split())
        faq = " ".join((pair.findtext("faq") or "").split())
        groups[chq].append((faq, pair.get("value") == "true"))
    return groups


def rqe_measures(finder: RelatedFinder, groups: dict[str, list[tuple[str, bool]]]) -> tuple[float, float, int]:
    """(MAP of the true FAQs, pairwise accuracy, consumer questions with a true FAQ)."""
    aps, right, pairs = [], 0.0, 0
    for chq, candidates in groups.items():
        scored = sorted(((finder.pair_score(chq, faq), ok) for faq, ok in candidates), key=lambda x: -x[0])
        trues = sum(ok for _, ok in scored)
        if trues:
            hits, total = 0, 0.0
            for rank, (_, ok) in enumerate(scored, 1):
                if ok:
                    hits += 1
                    total += hits / rank
            aps.append(total / trues)
        for score_t, ok_t in scored:
            for score_f, ok_f in scored:
                if ok_t and not ok_f:
                    pairs += 1
                    right += 1.0 if score_t > score_f else 0.5 if score_t == score_f else 0.0
    return sum(aps) / len(aps), right / pairs if pairs else 0.0, len(aps)


class _Random:
    """A reference scorer: random order (the floor the measures should be read against)."""

    def __init__(self, seed: int):
        import random

        self.random = random.Random(seed)

    def pair_score(self, text: str, candidate: str) -> float:
        return self.random.random()


def liveqa_hit_rate(finder: RelatedFinder, queries: pathlib.Path, qrels: pathlib.Path, form: str) -> tuple[float, int]:
    judged = read_qrels(str(qrels))
    hits = total = 0
    for query in read_queries(str(queries), form):
        if query.qid not in judged:
            continue
        total += 1
        ids = [s.id for s in finder.for_question(query.text, 5)]
        hits += any(judged[query.qid].get(i, 0) >= 2 for i in ids)
    return hits / total, total


def qrels_pairs(searcher: Searcher, queries: pathlib.Path, qrels: pathlib.Path,
                form: str) -> dict[str, list[tuple[str, bool]]]:
    """The harder set: each dev consumer question against the MedQuAD questions of its
    judged answers (entailed when graded >= 2). Every candidate was retrieved for that
    question by some system, so they share its words far more than RQE's negatives do."""
    judged = read_qrels(str(qrels))
    groups: dict[str, list[tuple[str, bool]]] = {}
    for query in read_queries(str(queries), form):
        candidates = []
        for doc, grade in judged.get(query.qid, {}).items():
            docnum = searcher.docnum(doc)
            if docnum is not None:
                candidates.append((searcher.page(docnum).question, grade >= 2))
        if candidates:
            groups[query.text] = candidates
    return groups


BEFORE = RelatedSettings(focus_bonus=0.0, other_word_weight=1.0, expansion_weight=0.0, type_model=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir")
    parser.add_argument("--rqe", type=pathlib.Path, default=SHARED / "rqe-dev" / "rqe-amia2016-validation.xml")
    parser.add_argument("--queries", type=pathlib.Path, default=SHARED / "liveqa-med-dev" / "queries.tsv")
    parser.add_argument("--qrels", type=pathlib.Path, default=SHARED / "liveqa-med-dev" / "qrels.txt")
    args = parser.parse_args()
    groups = read_rqe(args.rqe)
    runs = [rqe_measures(_Random(seed), groups) for seed in range(20)]
    print(f"RQE reference, random order: MAP {sum(r[0] for r in runs) / 20:.3f}, "
          f"pairwise accuracy {sum(r[1] for r in runs) / 20:.3f} (mean of 20 shuffles)")
    words_only = SearchSettings(related=RelatedSettings(type_bonus=0.0))
    with Searcher(args.data_dir, words_only) as searcher:
        mean_ap, accuracy, _ = rqe_measures(RelatedFinder(searcher), groups)
        print(f"RQE reference, shared words only (type_bonus=0): MAP {mean_ap:.3f}, pairwise accuracy {accuracy:.3f}")
    for name, related in (("before #11", BEFORE), ("default", RelatedSettings())):
        with Searcher(args.data_dir, SearchSettings(related=related)) as searcher:
            finder = RelatedFinder(searcher)
            started = time.perf_counter()
            mean_ap, accuracy, questions = rqe_measures(finder, groups)
            print(f"[{name}] RQE: MAP {mean_ap:.3f}, pairwise accuracy {accuracy:.3f} "
                  f"({questions} consumer questions with an entailed FAQ; {time.perf_counter() - started:.1f} s)")
            for form in ("paraphrase", "subject+message"):
                hard = qrels_pairs(searcher, args.queries, args.qrels, form)
                mean_ap, accuracy, questions = rqe_measures(finder, hard)
                print(f"[{name}] dev qrels pairs, {form:<16} MAP {mean_ap:.3f}, pairwise accuracy {accuracy:.3f} "
                      f"({questions} questions with an entailed candidate)")
            for form in ("paraphrase", "subject+message"):
                rate, total = liveqa_hit_rate(finder, args.queries, args.qrels, form)
                print(f"[{name}] LiveQA {form:<16} top-5 related includes an answer judged >= 2: {rate:.3f} "
                      f"({total} questions)")


if __name__ == "__main__":
    main()
