"""Search speed and memory on MedQuAD: index build, query latency, a fresh CLI process.

Run by hand, not by CI::

    .venv/bin/python bench/search.py                      # ingest MedQuAD into a temp dir first
    .venv/bin/python bench/search.py --data-dir DIR       # reuse a data dir that holds MedQuAD
    .venv/bin/python bench/search.py --data-dir DIR --peers   # also SQLite FTS5 (and tantivy if installed)

Prints: build seconds and docs/s (``reindex`` from the store), index MB and segments,
query p50/p95 ms with a warm searcher (top 10 with highlights and facets) for the
LiveQA paraphrase and subject+message questions, a fresh ``healthqa search``
process, and peak RSS. Each figure is the median of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path and its search.py / ingest.py would
# hide the packages of the same name: search the repository root instead.
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)

from healthqa.index.store import current_generation, open_index  # noqa: E402
from healthqa.index.writer import rebuild  # noqa: E402
from healthqa.ingest.fill import AnswerFill  # noqa: E402
from healthqa.ingest.pipeline import Options, ingest  # noqa: E402
from healthqa.ingest.store import Store  # noqa: E402
from healthqa.search.evaluate import read_queries  # noqa: E402
from healthqa.search.searcher import Searcher  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
FORMS = ("paraphrase", "subject+message")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def prepare(data_dir: str, medquad: pathlib.Path, answers: pathlib.Path) -> None:
    fill = AnswerFill.from_csv(str(answers)) if answers.exists() else None
    with Store.open(data_dir) as store:
        started = time.perf_counter()
        summary = ingest([str(medquad)], store, Options(fill=fill))
        print(f"ingest: {summary.new + summary.updated + summary.unchanged} records in "
              f"{time.perf_counter() - started:.1f} s", flush=True)


def bench_build(data_dir: str, runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        with Store.open(data_dir) as store:
            report = rebuild(data_dir, store)
        times.append(report.seconds)
    generation = current_generation(data_dir)
    size = sum(f.stat().st_size for f in pathlib.Path(generation).iterdir()) / 1_048_576
    ix, _ = open_index(data_dir)
    with ix.reader() as reader:
        segments = len(list(reader.leaf_readers()))
    median = statistics.median(times)
    print(f"build: {report.documents} docs, {median:.1f} s (median of {runs}), "
          f"{report.documents / median:.0f} docs/s, index {size:.0f} MB, {segments} segment(s)", flush=True)
    return {"build docs/s": report.documents / median, "index MB": size}


def bench_queries(data_dir: str, queries: pathlib.Path, runs: int) -> dict[str, tuple[float, float]]:
    figures = {}
    with Searcher(data_dir) as searcher:
        for form in FORMS:
            texts = [q.text for q in read_queries(str(queries), form)]
            for text in texts:  # warm: postings and per-document arrays read once
                searcher.search(text, limit=10)
            p50s, p95s = [], []
            for _ in range(runs):
                took = []
                for text in texts:
                    started = time.perf_counter()
                    searcher.search(text, limit=10)
                    took.append((time.perf_counter() - started) * 1000)
                p50s.append(percentile(took, 0.5))
                p95s.append(percentile(took, 0.95))
            figures[form] = (statistics.median(p50s), statistics.median(p95s))
            print(f"query {form:<16} p50 {figures[form][0]:6.1f} ms  p95 {figures[form][1]:6.1f} ms "
                  f"({len(texts)} questions, median of {runs} runs)", flush=True)
    return figures


def bench_fresh_process(data_dir: str, runs: int) -> None:
    """A new ``healthqa search`` process each time, as a user runs it.

    Python keeps our compiled modules in ``__pycache__`` after a first run; an environment
    with PYTHONDONTWRITEBYTECODE set (some sandboxes set it) and no caches yet compiles
    every module of ours at every start instead, ~0.06 s more. The first run here writes
    the caches; the timed runs are the ones after it.
    """
    command = [sys.executable, "-m", "healthqa", "--data-dir", data_dir, "search", "heart attack symptoms"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=REPO, env=env)
    runs = max(runs, 10)  # timings here vary by a tenth of a second: more runs than elsewhere
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=REPO, env=env)
        times.append(time.perf_counter() - started)
    print(f"fresh process 'healthqa search': {statistics.median(times):.2f} s (median of {runs}), "
          f"p90 {percentile(times, 0.9):.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="a data directory holding MedQuAD (default: ingest into a temp dir)")
    parser.add_argument("--medquad", type=pathlib.Path, default=SHARED / "medquad")
    parser.add_argument("--answers", type=pathlib.Path, default=SHARED / "medquad-judged-answers.csv")
    parser.add_argument("--queries", type=pathlib.Path, default=SHARED / "liveqa-med-dev" / "queries.tsv")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true", help="time queries on the index as it is")
    parser.add_argument("--peers", action="store_true", help="also measure SQLite FTS5 and tantivy")
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="healthqa-bench-")
    if not args.data_dir:
        prepare(data_dir, args.medquad, args.answers)
    own: dict[str, object] = {}
    if not args.skip_build:
        own.update(bench_build(data_dir, args.runs))
    own.update(bench_queries(data_dir, args.queries, args.runs))
    bench_fresh_process(data_dir, args.runs)
    print(f"peak RSS: {peak_rss_mb():.0f} MB", flush=True)
    if args.peers:
        from bench.peers import run_peers

        run_peers(data_dir, args.queries, args.runs, own)


if __name__ == "__main__":
    main()
