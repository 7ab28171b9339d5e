"""The writer lock: one holder at a time, a clear message for the one that waits, gone when its holder dies."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
from typing import Callable

import pytest

from healthqa.ingest.errors import StoreBusyError, StoreError
from healthqa.ingest.lock import exclusive

_HOLD_THEN_WAIT = """
import sys
from healthqa.ingest.lock import exclusive
with exclusive(sys.argv[1], 0, "test"):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_the_lock_is_held_inside_the_block_only_and_names_its_holder(tmp_path: pathlib.Path) -> None:
    lock = tmp_path / "data" / "ingest.lock"
    with exclusive(str(lock), 0, "ingest"):
        assert lock.read_text().strip() == str(os.getpid())
        with pytest.raises(StoreBusyError, match=r"^another healthqa ingest is running \(lock .*ingest.lock\); waited 0 s$"):
            with exclusive(str(lock), 0, "ingest"):
                pass  # pragma: no cover - never reached
    with exclusive(str(lock), 0, "ingest"):  # free again
        pass


def test_a_holder_in_another_process_makes_the_wait_end_with_a_message(
        tmp_path: pathlib.Path, lock_held_elsewhere: Callable) -> None:
    lock = tmp_path / "index.lock"
    with lock_held_elsewhere(lock):
        with pytest.raises(StoreBusyError, match=r"another healthqa index writer is running .*waited 0.2 s"):
            with exclusive(str(lock), 0.2, "index writer"):
                pass  # pragma: no cover - never reached


def test_a_killed_holder_leaves_the_lock_free(tmp_path: pathlib.Path) -> None:
    lock = tmp_path / "ingest.lock"
    with subprocess.Popen([sys.executable, "-c", _HOLD_THEN_WAIT, str(lock)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        holder.send_signal(signal.SIGKILL)  # once it holds the lock: no clean-up code runs
        assert holder.wait(timeout=60) == -signal.SIGKILL
    with exclusive(str(lock), 0, "ingest"):
        pass


def test_a_folder_that_cannot_be_written_is_a_clear_error(tmp_path: pathlib.Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match=r"^cannot write in '.*file' \("):
        with exclusive(str(blocked / "ingest.lock"), 0, "ingest"):
            pass  # pragma: no cover - never reached
