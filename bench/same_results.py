"""Did a change alter what search returns? Records, for every LiveQA dev question (paraphrase
and subject+message), the top-10 ids of ``Searcher.ranked_ids`` (the evaluated ranking), the
ids of ``Searcher.search`` (what the API shows) and the whole JSON of that page of results
(snippets, facets, notes), then compares two such records.

Run by hand, not by CI, once on the old code and once on the new::

    .venv/bin/python bench/same_results.py --data-dir DIR --save before.json   # old code
    .venv/bin/python bench/same_results.py --data-dir DIR --against before.json  # new code

Prints, per query form, how many questions have identical ranked ids, identical shown ids
and identical JSON; the first differences are shown. Exits 1 if any ranking differs.

``--new-questions N`` records too, as a third form ("rqe"), the first ``N`` distinct RQE
questions (``bench/http.py``'s new questions: the words, phrases and pages the LiveQA questions
never meet). A record saved without them is compared on the forms it holds.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)  # this folder's search.py must not hide the package

from healthqa.search.evaluate import read_queries  # noqa: E402
from healthqa.search.searcher import Searcher  # noqa: E402

QUERIES = REPO.parent / "shared" / "data" / "liveqa-med-dev" / "queries.tsv"
FORMS = ("paraphrase", "subject+message")


def record(data_dir: str, queries: pathlib.Path, new_questions: int = 0) -> dict[str, dict[str, dict]]:
    """``{form: {qid: {"ranked": [...], "shown": [...], "json": {...}}}}``."""
    asked = {form: [(q.qid, q.text) for q in read_queries(str(queries), form)] for form in FORMS}
    if new_questions:
        from bench.http import RQE, rqe_questions
        asked["rqe"] = [(str(n), text) for n, text in enumerate(rqe_questions(RQE)[:new_questions])]
    out: dict[str, dict[str, dict]] = {}
    with Searcher(data_dir) as searcher:
        for form, questions in asked.items():
            out[form] = {}
            for qid, text in questions:
                results = searcher.search(text, limit=10).to_dict()
                out[form][qid] = {"ranked": [i for i, _ in searcher.ranked_ids(text, 10)],
                                  "shown": [h["id"] for h in results["hits"]], "json": results}
    return out


def compare(before: dict, after: dict) -> bool:
    """Prints the comparison; True when every ranking is the same."""
    same_everywhere = True
    for form in before:
        if form not in after:
            print(f"{form:16} not recorded now (run with --new-questions to compare it)")
            same_everywhere = False
            continue
        old, new = before[form], after[form]
        counts = {"ranked": 0, "shown": 0, "json": 0}
        shown_diffs = []
        for qid in old:
            for part in counts:
                if old[qid][part] == new.get(qid, {}).get(part):
                    counts[part] += 1
                elif len(shown_diffs) < 5:
                    shown_diffs.append((qid, part))
        same_everywhere &= counts["ranked"] == counts["shown"] == len(old)
        print(f"{form:16} {len(old)} questions: ranked ids same {counts['ranked']}, "
              f"shown ids same {counts['shown']}, whole JSON same {counts['json']}")
        for qid, part in shown_diffs:
            print(f"  differs: {qid} {part}")
    return same_everywhere


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--queries", default=str(QUERIES))
    parser.add_argument("--save", help="write the record here")
    parser.add_argument("--against", help="compare with a record saved earlier")
    parser.add_argument("--new-questions", type=int, default=0, metavar="N",
                        help="also the first N new (RQE) questions, as the form 'rqe'")
    args = parser.parse_args()
    now = json.loads(json.dumps(record(args.data_dir, pathlib.Path(args.queries), args.new_questions)))
    if args.save:
        pathlib.Path(args.save).write_text(json.dumps(now), encoding="utf-8")
        print(f"saved {sum(len(v) for v in now.values())} questions to {args.save}")
    if args.against:
        before = json.loads(pathlib.Path(args.against).read_text(encoding="utf-8"))
        sys.exit(0 if compare(before, now) else 1)


if __name__ == "__main__":
    main()
