"""CPU time of one search, in all and per part: what a server pays per question before HTTP.

Run by hand, not by CI, on an indexed data directory::

    .venv/bin/python bench/search_cpu.py --data-dir DIR [--rounds 5]

Searches every LiveQA dev question (paraphrase and subject+message, 102 in all) with a warm
searcher, ``--rounds`` times, and prints per question form the CPU milliseconds
(``time.process_time``: the machine's other load does not count, though a busy machine
still slows each instruction a little) of the whole search, the median round, and of its
parts: parsing, did-you-mean, understanding (focus, type), BM25 and the ranking signals,
collapsing duplicates, the hits shown (answers chosen, snippets), facet counts, and the rest;
then, apart, what the server adds to turn the results into the bytes it sends (``results_body``).

``--new-questions N`` measures questions never asked before instead: the first ``N`` distinct
RQE questions (``bench/http.py``'s new questions), each asked once, on a fresh searcher warmed
as a server warms it (one search, ``Opened.warm``). Every per-index table a search fills (word
postings, phrase look-ups, decoded pages, spelling) is met cold, as real traffic meets it.
Prints the same parts, for all N and apart for the short questions (the RQE "faq" forms, up
to 12 words) and the long ones (consumer questions with their messages).
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time
from collections import defaultdict

REPO = pathlib.Path(__file__).resolve().parent.parent
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)  # this folder's search.py must not hide the package

from healthqa.search import facets  # noqa: E402
from healthqa.search.evaluate import read_queries  # noqa: E402
from healthqa.search.searcher import Searcher  # noqa: E402
from healthqa.serve.responses import results_body  # noqa: E402

QUERIES = REPO.parent / "shared" / "data" / "liveqa-med-dev" / "queries.tsv"
FORMS = ("paraphrase", "subject+message")
SHORT = 12  # words: a new question up to this long is counted with the short ones


def timed(spent: dict[str, float], part: str, function):
    """``function`` adding its CPU time to ``spent[part]`` (outermost call only)."""
    depth = [0]

    def wrapper(*args, **kwargs):
        depth[0] += 1
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            depth[0] -= 1
            if not depth[0]:
                spent[part] += time.process_time() - started
    return wrapper


def instrument(searcher: Searcher, spent: dict[str, float]) -> None:
    """Time the parts of ``searcher.search`` (instance attributes and module functions it calls)."""
    searcher.parse = timed(spent, "parse", searcher.parse)
    searcher._speller.suggest = timed(spent, "did-you-mean", searcher._speller.suggest)
    reader = searcher.question_reader
    reader.understand = timed(spent, "understand", reader.understand)
    ranker = searcher.ranker
    ranker.matching = timed(spent, "rank (BM25, signals)", ranker.matching)
    searcher._collapsed = timed(spent, "collapse", searcher._collapsed)
    searcher._hit = timed(spent, "hits shown (snippets)", searcher._hit)
    facets.counts = timed(spent, "facets", facets.counts)


def new_questions(data_dir: str, count: int) -> list[tuple[str, float, dict[str, float]]]:
    """Per new question, asked once on a fresh searcher: its text, CPU ms and parts' ms."""
    from bench.http import RQE, rqe_questions

    texts = rqe_questions(RQE)[:count]
    out = []
    with Searcher(data_dir) as searcher:
        live = searcher.postings.live.nonzero()[0]
        searcher.search(searcher.page(int(live[0])).question, limit=10)  # as the server's warm-up
        spent: dict[str, float] = defaultdict(float)
        instrument(searcher, spent)
        for text in texts:
            spent.clear()
            started = time.process_time()
            searcher.search(text, limit=10)
            total = (time.process_time() - started) * 1000
            parts = {part: seconds * 1000 for part, seconds in spent.items()}
            parts["rest"] = total - sum(parts.values())
            out.append((text, total, parts))
    return out


def print_new(asked: list[tuple[str, float, dict[str, float]]]) -> None:
    groups = {"all": asked, f"short (<= {SHORT} words)": [a for a in asked if len(a[0].split()) <= SHORT],
              f"long (> {SHORT} words)": [a for a in asked if len(a[0].split()) > SHORT]}
    for name, group in groups.items():
        if not group:
            continue
        parts: dict[str, float] = defaultdict(float)
        for _, _, spent in group:
            for part, ms in spent.items():
                parts[part] += ms / len(group)
        total = statistics.mean(ms for _, ms, _ in group)
        print(f"new questions, {name:20} {len(group)}: {total:5.2f} ms CPU per question (each asked once)")
        print("  " + "  ".join(f"{part} {ms:.2f}" for part, ms in parts.items()))


def measure(searcher: Searcher, texts: list[str], rounds: int) -> tuple[float, dict[str, float]]:
    """Median CPU ms per question over ``rounds`` rounds, and the parts' ms per question (all rounds)."""
    spent: dict[str, float] = defaultdict(float)
    instrument(searcher, spent)
    totals = []
    for _ in range(rounds):
        started = time.process_time()
        for text in texts:
            searcher.search(text, limit=10)
        totals.append((time.process_time() - started) / len(texts) * 1000)
    parts = {part: seconds / (rounds * len(texts)) * 1000 for part, seconds in spent.items()}
    parts["rest"] = statistics.mean(totals) - sum(parts.values())
    return statistics.median(totals), parts


def body_ms(searcher: Searcher, texts: list[str], rounds: int) -> float:
    """CPU ms per question of ``results_body`` (the server's JSON bytes) of fresh results, the median round."""
    totals = []
    for _ in range(rounds):
        results = [searcher.search(text, limit=10) for text in texts]
        started = time.process_time()
        for found in results:
            results_body(found)
        totals.append((time.process_time() - started) / len(texts) * 1000)
    return statistics.median(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--queries", default=str(QUERIES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--new-questions", type=int, metavar="N",
                        help="instead: the first N new (RQE) questions, each asked once on a fresh searcher")
    args = parser.parse_args()
    if args.new_questions:
        print_new(new_questions(args.data_dir, args.new_questions))
        return
    for form in FORMS:
        texts = [q.text for q in read_queries(args.queries, form)]
        with Searcher(args.data_dir) as searcher:
            for text in texts:  # warm: the index's tables are read on first use
                searcher.search(text, limit=10)
            total, parts = measure(searcher, texts, args.rounds)
            body = body_ms(searcher, texts, args.rounds)
        print(f"{form:16} {len(texts)} questions: {total:5.2f} ms CPU per question (median of {args.rounds} rounds)")
        print("  " + "  ".join(f"{part} {ms:.2f}" for part, ms in parts.items()))
        print(f"  and apart, the server's JSON bytes of the results (results_body) {body:.2f}")


if __name__ == "__main__":
    main()
