"""A lock file that one writer holds at a time, released by the OS if the holder dies."""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from typing import Iterator

from ingest.errors import StoreBusyError


@contextmanager
def exclusive(path: str, timeout: float, what: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``; wait up to ``timeout`` seconds for it.

    ``flock`` is released when the process exits, however it exits, so a killed
    writer never leaves the lock held.
    """
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    handle = open(path, "a+")
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusyError(f"another healthqa {what} is running (lock {path}); waited {timeout:g} s") from None
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()
