"""Ctrl-C on ``healthqa ingest``, many times: how fast it stops and whether it is always clean.

Each trial runs ``healthqa ingest`` on a pseudo-terminal over a folder of small pages, waits
until its progress bar shows a random point, sends SIGINT to its process group (a terminal's
Ctrl-C, workers included) and measures the time from the signal to the process's end. It
checks what the tests check: exit status 130, no traceback, the store holding exactly the
records of the files the summary reports read, the lock free. Some trials are sent the
signal during the indexing stage instead.

    .venv/bin/python bench/interrupts.py [--trials 30] [--files 3000] [--workers 2]
"""

from __future__ import annotations

import argparse
import pathlib
import random
import re
import shutil
import statistics
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)  # bench/search.py and bench/ingest.py must not shadow the packages

from healthqa.ingest.lock import exclusive  # noqa: E402
from healthqa.ingest.store import Store  # noqa: E402
from tests.cli.ptykit import PtyRun, bar_position  # noqa: E402
from tests.cli.test_cli_terminal import write_pages  # noqa: E402


def trial(folder: pathlib.Path, data: pathlib.Path, total: int, workers: int, during_index: bool,
          rng: random.Random) -> dict[str, object]:
    shutil.rmtree(data, ignore_errors=True)
    run = PtyRun(["--data-dir", str(data), "ingest", "--workers", str(workers), str(folder)])
    if during_index:
        run.wait_for(lambda text: "indexing " in text, "the indexing stage")
    else:
        point = rng.randrange(1, total * 9 // 10)
        run.wait_for(lambda text: bar_position(text, total) >= point, f"{point} files")
    signalled = time.perf_counter()
    run.interrupt()
    code, stdout, terminal = run.finish()
    seconds = time.perf_counter() - signalled
    with Store.open(str(data), readonly=True) as store:
        count = store.count()
    match = re.match(r"(\d+) files?: (\d+) new", stdout)
    reported = int(match[2]) if match else -1
    try:
        with exclusive(str(data / "ingest.lock"), 0, "ingest"):
            lock_free = True
    except Exception:
        lock_free = False
    clean = code == 130 and "Traceback" not in terminal and count == reported and lock_free
    return {"seconds": seconds, "code": code, "clean": clean, "read": reported, "stage": "index" if during_index
            else "ingest"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_pages(pathlib.Path(tmp) / "pages", args.files)
        results = [trial(folder, pathlib.Path(tmp) / "data", args.files, args.workers, n % 5 == 4, rng)
                   for n in range(args.trials)]
    for stage in ("ingest", "index"):
        group = [r for r in results if r["stage"] == stage]
        if not group:
            continue
        times = sorted(float(r["seconds"]) for r in group)
        codes = sorted({int(r["code"]) for r in group})
        print(f"Ctrl-C during {stage}: {len(group)} trials, {sum(bool(r['clean']) for r in group)} clean, "
              f"exit codes {codes}; signal to exit: median {statistics.median(times):.2f} s, "
              f"max {times[-1]:.2f} s")
    print(f"({args.files} files, --workers {args.workers}; the time includes the interpreter's exit)")


if __name__ == "__main__":
    main()
