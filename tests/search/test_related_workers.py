"""``related --all`` killed: its workers end with it, and the next run clears its temporary
file (audit finding 5). The parent kills itself at a known point: no timers."""

from __future__ import annotations

import os
import pathlib
import select
import signal
import subprocess
import sys

from healthqa.search.related_batch import precompute
from tests.search.corpus_index import build_index, corpus_pages

REPO = pathlib.Path(__file__).resolve().parents[2]

# Writes related questions with two workers and, at the first line written, prints the
# workers' pids and SIGKILLs itself: a run killed half-way, as the audit killed it.
_KILLED_RUN = """
import multiprocessing, os, signal, sys
from healthqa.search import related_batch

related_batch._CHUNK = 4  # several jobs, so that the workers are used

def progress(n):
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

related_batch.precompute(sys.argv[1], sys.argv[2], 3, 2, progress)
"""


def _wait_for_exit(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` (not a child of ours) has ended, waiting at most ``seconds`` for it."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


def test_workers_end_with_a_killed_parent_and_the_next_run_clears_its_temporary_file(tmp_path: pathlib.Path) -> None:
    data_dir = str(build_index(tmp_path / "data", corpus_pages()))
    out = tmp_path / "out" / "related.jsonl"
    out.parent.mkdir()
    said = tmp_path / "said.txt"
    with open(said, "w") as log:  # a file, not a pipe: workers that outlive it must not keep the test waiting
        killed = subprocess.run([sys.executable, "-c", _KILLED_RUN, data_dir, str(out)], stdout=log, stderr=log,
                                cwd=str(REPO), timeout=120)
    assert killed.returncode == -signal.SIGKILL, said.read_text()
    workers = [int(pid) for pid in said.read_text().split()]
    assert len(workers) == 2
    # The kernel kills them with their parent; the bound only limits how long a failure takes to show.
    survivors = [pid for pid in workers if not _wait_for_exit(pid, 30)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)  # do not leave them behind
    assert survivors == []
    assert not out.exists() and len(list(out.parent.iterdir())) == 1  # only the killed run's temporary file

    pages, _ = precompute(data_dir, str(out), 3, workers=1)
    assert pages == len(corpus_pages())
    assert sorted(p.name for p in out.parent.iterdir()) == ["related.jsonl", "related.jsonl.meta.json"]
