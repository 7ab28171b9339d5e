"""Query latency robust to a loaded machine, and the cost of answer listings.

Run by hand, not by CI::

    .venv/bin/python bench/answers.py --data-dir DIR [--rounds 7]

Each LiveQA dev question is searched ``--rounds`` times with a warm searcher (top 10 with
highlights and facets, as ``bench/search.py``); a question's time is its *fastest* round,
wall clock and CPU, since a machine shared with other work only ever adds time. Prints
p50/p95 over the questions of those minima, for ``search`` and (when this healthqa has
it) ``search_answers`` (``healthqa search --answers``). Runs with whichever healthqa the
interpreter imports, so the same script times an older checkout for a before/after.

``--design`` also prints what chose the index design: the CPU cost of matching a phrase
inside one answer through the answer index, against the page index alone (which lets a
phrase span two answers) and against re-reading each candidate page's stored answers.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)

from healthqa.search.evaluate import read_queries  # noqa: E402
from healthqa.search.searcher import Searcher  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
FORMS = ("paraphrase", "subject+message")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def fastest(call, text: str, rounds: int) -> tuple[float, float]:
    """Fastest wall and CPU milliseconds of ``rounds`` calls."""
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        call(text, limit=10)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return min(walls), min(cpus)


PHRASES = (("heart", "attack"), ("blood", "pressur"), ("side", "effect"))


def design(searcher) -> None:
    """Phrase inside one answer: answer index vs page index vs re-reading stored answers."""
    import numpy as np
    from whoosh import query as wq

    from healthqa.search.matching import match_mask

    searcher.answers.page_of  # noqa: B018 -- built once per searcher, not per query
    for words in PHRASES:
        node = wq.Phrase("answer", list(words))
        started = time.process_time()
        pages = match_mask(node, searcher.postings, searcher._searcher)
        page_ms = (time.process_time() - started) * 1000
        started = time.process_time()
        inside = searcher.answers.phrase_pages(node)
        answer_ms = (time.process_time() - started) * 1000
        started = time.process_time()
        kept = 0
        for doc in np.flatnonzero(pages).tolist():
            for answer in searcher.page(doc).answers:
                tokens = [t.text for t in searcher.analyzer(answer.text)]
                if any(tokens[i:i + len(words)] == list(words) for i in range(len(tokens))):
                    kept += 1
                    break
        reread_ms = (time.process_time() - started) * 1000
        print(f"phrase {' '.join(words)!r}: page index {int(pages.sum())} pages {page_ms:.0f} ms | answer index "
              f"{int(inside.sum())} pages {answer_ms:.0f} ms | re-reading stored answers {kept} pages "
              f"{reread_ms:.0f} ms (CPU)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, help="a data directory holding MedQuAD, indexed")
    parser.add_argument("--queries", type=pathlib.Path, default=SHARED / "liveqa-med-dev" / "queries.tsv")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--design", action="store_true", help="also the phrase-matching costs behind the design")
    args = parser.parse_args()
    with Searcher(args.data_dir) as searcher:
        if args.design:
            design(searcher)
        calls = {"search": searcher.search}
        if hasattr(searcher, "search_answers"):
            calls["search --answers"] = searcher.search_answers
        for form in FORMS:
            texts = [q.text for q in read_queries(str(args.queries), form)]
            for name, call in calls.items():
                for text in texts:  # warm: postings and per-document arrays read once
                    call(text, limit=10)
                times = [fastest(call, text, args.rounds) for text in texts]
                walls, cpus = [w for w, _ in times], [c for _, c in times]
                print(f"{name:<17} {form:<16} wall p50 {percentile(walls, 0.5):6.1f} ms  p95 "
                      f"{percentile(walls, 0.95):6.1f} ms | cpu p50 {percentile(cpus, 0.5):6.1f} ms  p95 "
                      f"{percentile(cpus, 0.95):6.1f} ms  (fastest of {args.rounds}, {len(texts)} questions)",
                      flush=True)


if __name__ == "__main__":
    main()
