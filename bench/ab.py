"""Two healthqa checkouts timed side by side, query by query, on a machine others share.

Run by hand, not by CI::

    .venv/bin/python bench/ab.py --a OTHER_CHECKOUT OTHER_DATA_DIR --b . DATA_DIR [--rounds 7]

Each checkout runs in its own worker process (its own ``.venv/bin/python``) with a warm
searcher; the LiveQA dev questions go to the two workers in turn, one question at a time,
the order swapped every round, so both see the same load. A question's time is its fastest
round (wall clock and CPU). Prints p50/p95 over the questions for each side, and the median
of the per-question differences (B - A) with the spread of A against itself between rounds,
which is the noise a difference has to beat.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"

WORKER = """
import json, sys, time
from healthqa.search.searcher import Searcher
searcher = Searcher(sys.argv[1])
for line in sys.stdin:
    text = json.loads(line)
    wall, cpu = time.perf_counter(), time.process_time()
    searcher.search(text, limit=10)
    print(json.dumps([(time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000]), flush=True)
"""


class Worker:
    def __init__(self, checkout: pathlib.Path, data_dir: str):
        python = checkout / ".venv" / "bin" / "python"
        self.process = subprocess.Popen([str(python), "-c", WORKER, data_dir], cwd=checkout, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def time(self, text: str) -> tuple[float, float]:
        self.process.stdin.write(json.dumps(text) + "\n")
        self.process.stdin.flush()
        wall, cpu = json.loads(self.process.stdout.readline())
        return wall, cpu

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", nargs=2, metavar=("CHECKOUT", "DATA_DIR"), required=True)
    parser.add_argument("--b", nargs=2, metavar=("CHECKOUT", "DATA_DIR"), required=True)
    parser.add_argument("--queries", type=pathlib.Path, default=SHARED / "liveqa-med-dev" / "queries.tsv")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from healthqa.search.evaluate import read_queries

    workers = {"A": Worker(pathlib.Path(args.a[0]).resolve(), args.a[1]),
               "B": Worker(pathlib.Path(args.b[0]).resolve(), args.b[1])}
    try:
        for form in ("paraphrase", "subject+message"):
            texts = [q.text for q in read_queries(str(args.queries), form)]
            times: dict[str, list[list[tuple[float, float]]]] = {"A": [[] for _ in texts], "B": [[] for _ in texts]}
            for text in texts:  # warm
                for worker in workers.values():
                    worker.time(text)
            for round_ in range(args.rounds):
                for i, text in enumerate(texts):
                    for side in ("A", "B") if (round_ + i) % 2 == 0 else ("B", "A"):
                        times[side][i].append(workers[side].time(text))
            report(form, times)
    finally:
        for worker in workers.values():
            worker.close()


def report(form: str, times: dict[str, list[list[tuple[float, float]]]]) -> None:
    for k, what in ((0, "wall"), (1, "cpu")):
        best = {side: [min(t[k] for t in per) for per in runs] for side, runs in times.items()}
        difference = statistics.median(b - a for a, b in zip(best["A"], best["B"]))
        # A against itself: fastest of the even rounds vs fastest of the odd rounds.
        noise = statistics.median(abs(min(t[k] for t in per[0::2]) - min(t[k] for t in per[1::2]))
                                  for per in times["A"])
        print(f"{form:<16} {what:<4} A p50 {percentile(best['A'], .5):6.1f} p95 {percentile(best['A'], .95):6.1f} ms | "
              f"B p50 {percentile(best['B'], .5):6.1f} p95 {percentile(best['B'], .95):6.1f} ms | median B-A "
              f"{difference:+.2f} ms, A vs itself {noise:.2f} ms", flush=True)


if __name__ == "__main__":
    main()
