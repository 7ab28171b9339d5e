"""How cost grows with the corpus: MedQuAD copied x1, x10 (x30 ...), ingested, indexed and searched.

Run by hand, not by CI::

    .venv/bin/python bench/scale.py                          # x1 and x10 in /tmp
    .venv/bin/python bench/scale.py --copies 1,10,30 --work /big/disk/scale
    .venv/bin/python bench/scale.py --copies 10 --budgets 512,128   # also reindex under these budgets
    .venv/bin/python bench/scale.py --python OTHER/.venv/bin/python # measure another checkout
    .venv/bin/python bench/scale.py --compare DIR_A DIR_B          # warm queries of built data dirs, in turn
    .venv/bin/python bench/scale.py --update DIR --budgets 512      # one incremental 'healthqa index' of DIR

Copy ``k`` of each MedQuAD file is written as ``<stem>c<k>.xml`` (record ids follow the file
name), its URL gets ``?copy=k`` and its questions and answers end with ``(copy k)``, so that
copies are distinct records that search does not collapse as duplicates; copy 0 is MedQuAD
as it is. Copies are written once under ``--work`` and reused.

Every step runs the ``healthqa`` command (of ``--python``) in a child process:
``ingest --no-index`` of the copies into a new data directory, then ``reindex``. Peak RSS of
the build is measured twice: the largest single process (``os.wait4`` of the child, which
covers the forked encoder it waited for), and the whole process tree's proportional set
size (PSS: pages a forked child shares with its parent counted once), polled from
``/proc`` every 20 ms: the bound the index memory budget is about. The warm query figures
are the LiveQA dev questions (paraphrase and subject+message, 102 texts) through one warm
:class:`~healthqa.search.searcher.Searcher`, top 10, each figure the median of ``--runs``
passes after one warming pass, in wall and in CPU time. Wall times on a shared machine are
noisy: CPU seconds of the build and of each query are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
MB = 1_048_576

_URL = re.compile(r'(<Document\b[^>]*\burl=")([^"]*)(")')
_TEXT = re.compile(r"(<(Question|Answer)\b[^>]*>)(.*?)(</\2>)", re.S)

# The warm query figures of one or several data directories, searched in turn (a pass of every
# query on each before the next pass: load on a shared machine falls on all of them alike),
# after one warming pass that also says how many top-10 ids agree with the first directory's.
_COMPARE_SCRIPT = r"""
import json, statistics, sys, time
from healthqa.search.evaluate import read_queries
from healthqa.search.searcher import Searcher
queries, runs, dirs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
texts = [q.text for form in ("paraphrase", "subject+message") for q in read_queries(queries, form)]
def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
searchers = [Searcher(d) for d in dirs]
tops = [[[h.id for h in s.search(text, limit=10).hits] for text in texts] for s in searchers]
figures = [{"p50": [], "p95": [], "cpu_p50": [], "cpu_p95": []} for _ in dirs]
for _ in range(runs):
    for searcher, figure in zip(searchers, figures):
        took, cpu = [], []
        for text in texts:
            started, started_cpu = time.perf_counter(), time.process_time()
            searcher.search(text, limit=10)
            took.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        for name, values in (("p50", took), ("cpu_p50", cpu)):
            figure[name].append(pct(values, 0.5))
        for name, values in (("p95", took), ("cpu_p95", cpu)):
            figure[name].append(pct(values, 0.95))
for d, figure, top in zip(dirs, figures, tops):
    same = sum(len(set(a) & set(b)) for a, b in zip(top, tops[0])) / max(1, sum(len(b) for b in tops[0]))
    print(json.dumps({"dir": d, "same_top10": same, **{k: statistics.median(v) for k, v in figure.items()}}))
"""


def copy_text(text: str, k: int) -> str:
    """Copy ``k`` of one MedQuAD document: its URL and every question and answer marked with ``k``.

    >>> copy_text('<Document id="1" url="https://x/a"><Question qid="1">Why ?</Question><Answer>So.</Answer>', 2)
    '<Document id="1" url="https://x/a?copy=2"><Question qid="1">Why ? (copy 2)</Question><Answer>So. (copy 2)</Answer>'
    """
    if k == 0:
        return text
    text = _URL.sub(lambda m: f"{m[1]}{m[2]}{'&' if '?' in m[2] else '?'}copy={k}{m[3]}", text, count=1)
    return _TEXT.sub(lambda m: f"{m[1]}{m[3].rstrip()} (copy {k}){m[4]}" if m[3].strip() else m[0], text)


def make_copies(medquad: pathlib.Path, work: pathlib.Path, count: int) -> list[pathlib.Path]:
    """Folders ``copy0`` .. ``copy<count-1>`` under ``work`` (each written once)."""
    folders = []
    files = sorted(medquad.rglob("*.xml"))
    for k in range(count):
        folder = work / f"copy{k}"
        folders.append(folder)
        if (folder / ".done").exists():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        for path in files:
            target = folder / path.parent.relative_to(medquad) / f"{path.stem}c{k}.xml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(copy_text(path.read_text(encoding="utf-8"), k), encoding="utf-8")
        (folder / ".done").touch()
    return folders


class TreeRss:
    """The summed RSS of a process and its descendants, polled until it ends; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.02):
        self.pid, self.every, self.peak_kb = pid, every, 0
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._stop = threading.Event()
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in _tree(self.pid)))
            time.sleep(self.every)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            pass
    return pids


def _rss_kb(pid: int) -> int:
    """The process's proportional set size: pages shared with its forked children counted once in all."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(python: str, args: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    """One ``healthqa`` command: its JSON output (if any), wall and CPU seconds, peak RSS."""
    started = time.perf_counter()
    child = subprocess.Popen([python, "-m", "healthqa", "--quiet", *args], stdout=subprocess.PIPE,
                             env={**os.environ, **(env or {})}, cwd=tempfile.gettempdir())
    tree = TreeRss(child.pid)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    tree_mb = tree.stop()
    if child.returncode:
        raise SystemExit(f"healthqa {' '.join(args)} failed (exit {child.returncode})")
    try:
        shape = json.loads(out)
    except ValueError:
        shape = {}
    return {"out": shape, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "tree_mb": tree_mb}


def sizes(data_dir: pathlib.Path) -> dict[str, float]:
    generation = pathlib.Path(os.path.realpath(data_dir / "index"))
    page = sum(f.stat().st_size for f in generation.iterdir() if f.is_file())
    answers = sum(f.stat().st_size for f in (generation / "answers").rglob("*") if f.is_file())
    store = sum(f.stat().st_size for f in data_dir.glob("records.sqlite*"))
    segments, answer_segments = _segments(generation), _segments(generation / "answers")
    return {"page_mb": page / MB, "answers_mb": answers / MB, "store_mb": store / MB, "index_bytes": page + answers,
            "segments": f"{segments}/{answer_segments}"}


def _segments(folder: pathlib.Path) -> int:
    """Whoosh segments in ``folder``: separate files (a rebuild's) or one compound file (a sync's)."""
    return len([f for f in folder.iterdir() if f.suffix in (".trm", ".seg")])


def queries(python: str, data_dir: pathlib.Path, path: pathlib.Path, runs: int) -> dict[str, float]:
    out = subprocess.run([python, "-c", _COMPARE_SCRIPT, str(path), str(runs), str(data_dir)], check=True,
                         stdout=subprocess.PIPE, cwd=tempfile.gettempdir()).stdout
    return json.loads(out)


def update(python: str, data_dir: pathlib.Path, budget: str) -> None:
    """The figures of one incremental ``healthqa index`` of what was ingested since the index."""
    before = sizes(data_dir)["segments"]
    build = run(python, ["--data-dir", str(data_dir), "--json", "index"], env={"HEALTHQA_INDEX_MEMORY_MB": budget})
    out = build["out"]
    print(f"index {data_dir} with index_memory_mb={budget}: {out.get('added_or_updated')} added or updated "
          f"into {out.get('documents')} (rebuilt: {out.get('rebuilt')}), {build['seconds']:.1f} s "
          f"({build['cpu']:.1f} s CPU), largest process {build['rss_mb']:.0f} MB, process tree {build['tree_mb']:.0f} MB, "
          f"segments page/answers {before} -> {sizes(data_dir)['segments']}", flush=True)


def compare(python: str, data_dirs: list[pathlib.Path], path: pathlib.Path, runs: int) -> None:
    """Warm query p50/p95 (wall, CPU) of each data directory, passes alternated; with its segments."""
    out = subprocess.run([python, "-c", _COMPARE_SCRIPT, str(path), str(runs), *map(str, data_dirs)], check=True,
                         stdout=subprocess.PIPE, cwd=tempfile.gettempdir()).stdout
    for line in out.decode().splitlines():
        figure = json.loads(line)
        print(f"{figure['dir']}: segments page/answers {sizes(pathlib.Path(figure['dir']))['segments']}, "
              f"query p50/p95 {figure['p50']:.1f}/{figure['p95']:.1f} ms, "
              f"CPU {figure['cpu_p50']:.1f}/{figure['cpu_p95']:.1f} ms, "
              f"top-10 ids as the first {figure['same_top10']:.1%}", flush=True)


HEADER = ("copies", "records", "ingest s", "build s", "build cpu s", "docs/s", "RSS MB", "tree MB",
          "page MB", "answers MB", "store MB", "segs p/a", "q p50 ms", "q p95 ms", "cpu p50/p95 ms", "idx B/rec")


def row(copies: int, ingest: dict, build: dict, size: dict, query: dict) -> tuple:
    records = int(build["out"].get("documents", 0))
    return (f"x{copies}", records, f"{ingest['seconds']:.0f}", f"{build['seconds']:.1f}", f"{build['cpu']:.1f}",
            f"{records / build['seconds']:.0f}", f"{build['rss_mb']:.0f}", f"{build['tree_mb']:.0f}",
            f"{size['page_mb']:.0f}", f"{size['answers_mb']:.0f}", f"{size['store_mb']:.0f}", size["segments"],
            f"{query['p50']:.1f}", f"{query['p95']:.1f}", f"{query['cpu_p50']:.1f}/{query['cpu_p95']:.1f}",
            f"{size['index_bytes'] / max(records, 1):.0f}")


def print_row(values: tuple) -> None:
    print(" | ".join(f"{v:>{max(len(h), 6)}}" for v, h in zip(values, HEADER)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", default="1,10", help="comma-separated copy counts (default 1,10)")
    parser.add_argument("--work", type=pathlib.Path, help="where copies and data directories go (default: a temp dir)")
    parser.add_argument("--copies-dir", type=pathlib.Path, help="where the copies are kept (default: WORK/medquad)")
    parser.add_argument("--medquad", type=pathlib.Path, default=SHARED / "medquad")
    parser.add_argument("--queries", type=pathlib.Path, default=SHARED / "liveqa-med-dev" / "queries.tsv")
    parser.add_argument("--python", default=sys.executable, help="the interpreter whose healthqa is measured")
    parser.add_argument("--budgets", default="", help="also reindex the largest copy with these index_memory_mb")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", type=pathlib.Path, nargs="+", metavar="DATA_DIR",
                        help="only the warm query figures of these built data directories, pass by pass in turn")
    parser.add_argument("--update", type=pathlib.Path, metavar="DATA_DIR",
                        help="only 'healthqa index' of DATA_DIR (records ingested with --no-index), under --budgets")
    args = parser.parse_args()
    if args.update:
        return update(args.python, args.update, args.budgets.split(",")[0] or "512")
    if args.compare:
        return compare(args.python, args.compare, args.queries, args.runs)
    counts = sorted(int(c) for c in args.copies.split(","))
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="healthqa-scale-"))
    folders = make_copies(args.medquad, args.copies_dir or work / "medquad", max(counts))
    print(f"healthqa of {args.python}; copies under {work}", flush=True)
    print_row(HEADER)
    for count in counts:
        data_dir = work / f"data-x{count}"
        shutil.rmtree(data_dir, ignore_errors=True)
        ingest = run(args.python, ["--data-dir", str(data_dir), "ingest", "--no-index", *map(str, folders[:count])])
        build = run(args.python, ["--data-dir", str(data_dir), "--json", "reindex"])
        print_row(row(count, ingest, build, sizes(data_dir), queries(args.python, data_dir, args.queries, args.runs)))
    for budget in [b for b in args.budgets.split(",") if b]:
        data_dir = work / f"data-x{counts[-1]}"
        build = run(args.python, ["--data-dir", str(data_dir), "--json", "reindex"],
                    env={"HEALTHQA_INDEX_MEMORY_MB": budget})
        size = sizes(data_dir)
        query = queries(args.python, data_dir, args.queries, args.runs)
        print(f"reindex x{counts[-1]} with index_memory_mb={budget}: {build['seconds']:.1f} s "
              f"({build['cpu']:.1f} s CPU), largest process {build['rss_mb']:.0f} MB, "
              f"process tree {build['tree_mb']:.0f} MB, segments page/answers {size['segments']}, "
              f"query p50/p95 {query['p50']:.1f}/{query['p95']:.1f} ms (CPU {query['cpu_p50']:.1f}/{query['cpu_p95']:.1f})",
              flush=True)

if __name__ == "__main__":
    main()
