"""A lock file that one writer holds at a time, released by the OS if the holder dies."""

from __future__ import annotations

import ctypes
import fcntl
import os
import re
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from healthqa.ingest.errors import StoreBusyError, StoreError


# Lock files this process holds: a forked child (a parse worker) inherits them and must let
# go of its copy, or the lock outlives a writer that was killed, for as long as the child runs.
_HELD: set = set()


def release_inherited() -> None:
    """In a forked child: close the copies of the parent's lock files (the parent keeps its lock)."""
    for handle in list(_HELD):
        handle.close()
    _HELD.clear()


def worker_start(parent: int) -> None:
    """Set up a forked worker: let go of the parent's locks, and end when the parent is gone.

    A worker forked from a writer that is then killed would otherwise hold its lock, and
    wait for work for ever. On Linux the kernel kills it with its parent (a parent-death
    signal); elsewhere a thread watches for the parent's end.
    """
    release_inherited()
    if not _die_with_parent():
        threading.Thread(target=_end_with_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent ends (``prctl(PR_SET_PDEATHSIG)``)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _end_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


@contextmanager
def exclusive(path: str, timeout: float, what: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``; wait up to ``timeout`` seconds for it.

    ``flock`` is released when the process exits, however it exits, so a killed
    writer never leaves the lock held (child processes it forks call
    :func:`release_inherited`). The file is created exclusively (owner-only) or opened
    as it is, never followed if it is a link; the holder's pid is written into it only if
    it holds nothing but what healthqa writes there (nothing, or a pid).
    """
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        handle = _open_lock_file(path)
    except OSError as exc:
        folder = os.path.dirname(path) or "."
        raise StoreError(f"cannot write in {folder!r} ({exc.strerror or exc}): check its permissions "
                         "and free space") from None
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
        _name_holder(handle)
        _HELD.add(handle)
        yield
    finally:
        _HELD.discard(handle)
        handle.close()


def _name_holder(handle) -> None:
    """Write this process's pid for a person to read, over a pid or nothing only: a lock file
    holding anything else (something of the user's) is never changed."""
    try:
        held = os.pread(handle.fileno(), 64, 0)
        if len(held) < 64 and re.fullmatch(rb"[0-9]*\n?", held):
            mine = f"{os.getpid()}\n".encode()
            os.pwrite(handle.fileno(), mine, 0)
            if len(held) > len(mine):
                os.ftruncate(handle.fileno(), len(mine))  # only the rest of an older pid
    except OSError:
        pass  # the pid is a courtesy; the lock is the flock


def _open_lock_file(path: str):
    flags = os.O_RDWR | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fd = os.open(path, flags)
    # Unbuffered: nothing is ever written through it.
    return os.fdopen(fd, "rb+", buffering=0)
