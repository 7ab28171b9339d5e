"""Index generations: made and recorded by the writer, leased by readers, removed when unused.

Every generation folder is recorded in the data directory's manifest before it is created
(:mod:`healthqa.ingest.datadir`), so a rebuild killed half-way leaves a folder that the
next index write removes; nothing that is not recorded is ever removed.

A reader (a :class:`~healthqa.search.searcher.Searcher`, a ``related --all`` worker, an
HTTP worker) holds a :class:`Lease` on the generation it opened: a shared ``flock`` on the
generation's ``healthqa-lease`` file, released when it closes or dies. The writer removes
a recorded generation only if it is not the current one and it can take that lock
exclusively, so a searcher keeps working across any number of reindexes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time

from healthqa.ingest import datadir
from healthqa.ingest.errors import IndexMissingError

LINK_NAME = "index"
LEASE_NAME = "healthqa-lease"
_ATTEMPTS = 20  # a reader racing that many removals in a row gives up


def new_generation(data_dir: str) -> str:
    """Record, then create, an empty folder for a new generation (with the data directory's mode)."""
    name = f"{LINK_NAME}.{time.time_ns():x}.{os.getpid()}"
    path = os.path.join(data_dir, name)
    datadir.record(data_dir, name, "generation")
    try:
        os.mkdir(path, datadir.DIR_MODE)
    except FileExistsError:
        datadir.forget(data_dir, {name})  # not ours: never touched
        raise
    except OSError:
        datadir.forget(data_dir, {name})
        raise
    # New generations follow the data directory: owner-only unless the user opened it up.
    os.chmod(path, os.stat(data_dir).st_mode & 0o777)
    datadir.create_file(os.path.join(path, LEASE_NAME))
    return path


def discard(data_dir: str, generation: str) -> None:
    """Remove a generation this process made and never swapped in (a failed rebuild)."""
    name = os.path.basename(generation)
    if name in datadir.recorded(data_dir):
        shutil.rmtree(generation, ignore_errors=True)
        if not os.path.lexists(generation):
            datadir.forget(data_dir, {name})


def collect(data_dir: str, keep: frozenset[str] = frozenset()) -> list[str]:
    """Remove what the manifest records and nobody uses: generations other than the current
    one (and ``keep``) that no reader leases, and leftover swap links. Returns the names removed.

    Call with the index lock held: then no other generation is being built.
    """
    link = os.path.join(data_dir, LINK_NAME)
    current = os.readlink(link) if os.path.islink(link) else None
    removed: set[str] = set()
    for name, kind in datadir.recorded(data_dir).items():
        path = os.path.join(data_dir, name)
        if name in keep or name == current:
            continue
        if not os.path.lexists(path):
            removed.add(name)  # gone already: only the record is left
        elif kind == "link" and os.path.islink(path):
            with contextlib.suppress(OSError):
                os.remove(path)
                removed.add(name)
        elif kind == "generation" and os.path.isdir(path) and not os.path.islink(path):
            if _remove_unleased(path):
                removed.add(name)
    datadir.forget(data_dir, removed)
    return sorted(removed)


def _remove_unleased(path: str) -> bool:
    lease = os.path.join(path, LEASE_NAME)
    try:
        datadir.create_file(lease)  # a generation from before leases: from now on it has one
        fd = os.open(lease, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a reader holds it
        # Removed while locked: a reader that opened the lease file meanwhile finds it unlinked.
        shutil.rmtree(path, ignore_errors=True)
        return not os.path.lexists(path)
    finally:
        os.close(fd)


class Lease:
    """A reader's hold on one generation: it is not removed while the lease is open.

    ``resolve`` names the generation to hold (called again if that one is removed before
    the lease is taken); a generation without a lease file (read-only storage) is read unheld.
    """

    def __init__(self, resolve):
        for _ in range(_ATTEMPTS):
            generation = resolve()
            fd = _lock_shared(os.path.join(generation, LEASE_NAME))
            if fd is not _GONE:
                self.generation = generation
                self._fd = fd
                return
        raise IndexMissingError("the search index was replaced too often while opening it: try again")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


_GONE = -1


def _lock_shared(path: str) -> int | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return _GONE if not os.path.isdir(os.path.dirname(path)) else None
    except OSError:
        return None  # cannot be read here: read without a lease
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a writer removes this generation
    except OSError:  # a file system without locks: read without a lease
        os.close(fd)
        return None
    if os.fstat(fd).st_nlink == 0:  # removed meanwhile
        os.close(fd)
        return _GONE
    return fd
