"""The index directory: where it lives, what it says about itself, how it is opened.

``<data>/index`` is a symbolic link to one generation ``<data>/index.<n>``. A rebuild
writes a new generation beside it and swaps the link atomically, so a searcher that
opened the old generation keeps reading it while the new one goes live (it holds a
lease on it: :mod:`healthqa.index.generations`). Each
generation holds ``healthqa-index.json``: the schema version, the record-store
sequence number it is in step with, and how it was built.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from whoosh import index as whoosh_index

from healthqa.index.generations import LINK_NAME, collect, new_generation
from healthqa.index.schema import SCHEMA_VERSION
from healthqa.ingest import datadir
from healthqa.ingest.errors import IndexMissingError, IndexVersionError, IndexWriteError
from healthqa.ingest.files import replacing

META_NAME = "healthqa-index.json"
__all__ = ["IndexMeta", "LINK_NAME", "current_generation", "link_path", "new_generation", "open_index", "read_meta",
           "swap_in", "write_meta"]


@dataclass(frozen=True)
class IndexMeta:
    """What an index generation says about itself."""

    schema_version: int = SCHEMA_VERSION
    store_seq: int = 0
    built_at: float = 0.0
    documents: int = 0


def link_path(data_dir: str) -> str:
    return os.path.join(data_dir, LINK_NAME)


def read_meta(generation: str) -> IndexMeta:
    try:
        with open(os.path.join(generation, META_NAME), encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise IndexVersionError(f"index {generation!r} has no {META_NAME}: run 'healthqa reindex'") from None
    except (OSError, ValueError) as exc:
        raise IndexVersionError(f"index {generation!r}: unreadable {META_NAME} ({exc}): run 'healthqa reindex'") from None
    if not isinstance(data, dict):
        raise IndexVersionError(f"index {generation!r}: {META_NAME} is not an object: run 'healthqa reindex'")
    known = {k: v for k, v in data.items() if k in IndexMeta.__dataclass_fields__}
    return IndexMeta(**known)


def write_meta(generation: str, meta: IndexMeta) -> None:
    """Write the meta file atomically (write beside, then rename)."""
    try:
        with replacing(os.path.join(generation, META_NAME)) as tmp, open(tmp, "w", encoding="utf-8") as handle:
            json.dump(asdict(meta), handle)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise _write_error(generation, exc) from None


def current_generation(data_dir: str) -> str:
    """The generation directory the index link points at; raises if there is none."""
    link = link_path(data_dir)
    if not os.path.lexists(link):
        raise IndexMissingError(f"no search index in {data_dir!r}: run 'healthqa index' (after 'healthqa ingest')")
    target = os.path.realpath(link)
    if not os.path.isdir(target):
        raise IndexMissingError(f"search index {link!r} points at a missing directory: run 'healthqa reindex'")
    return target


def open_index(data_dir: str, generation: str | None = None) -> tuple[whoosh_index.Index, IndexMeta]:
    """Open the current index generation (or ``generation``), checking its schema version.

    >>> open_index("/nonexistent")
    Traceback (most recent call last):
    ...
    healthqa.ingest.errors.IndexMissingError: no search index in '/nonexistent': run 'healthqa index' (after 'healthqa ingest')
    """
    datadir.check(data_dir)
    generation = generation or current_generation(data_dir)
    meta = read_meta(generation)
    if meta.schema_version != SCHEMA_VERSION:
        raise IndexVersionError(
            f"the index has schema version {meta.schema_version}, this healthqa uses {SCHEMA_VERSION}: run 'healthqa reindex'"
        )
    try:
        return whoosh_index.open_dir(generation), meta
    except Exception as exc:  # why: Whoosh raises assorted errors (TypeError, EOFError, ...) on damaged files
        raise IndexMissingError(f"search index {generation!r} cannot be opened ({type(exc).__name__}: {exc}): "
                                "run 'healthqa reindex'") from None


CHECK_THE_DISK = "check the data directory's permissions and free space"


def write_error(exc: OSError, then: str, where: str | None = None) -> IndexWriteError:
    """The one message for an index write the system refused: its reason, and what to do ``then``.

    >>> str(write_error(OSError(28, "No space left on device"), "run 'healthqa index'"))
    "cannot write the search index (No space left on device): run 'healthqa index'"
    """
    place = f" in {where!r}" if where else ""
    return IndexWriteError(f"cannot write the search index{place} ({exc.strerror or exc}): {then}")


def _write_error(where: str, exc: OSError) -> IndexWriteError:
    return write_error(exc, f"{CHECK_THE_DISK}, then run 'healthqa index'", where)


def swap_in(data_dir: str, generation: str) -> None:
    """Point the index link at ``generation`` atomically; then remove the generations nobody uses.

    A generation a searcher still has open (its lease) is kept until it is closed, however
    many rebuilds come after; so is anything healthqa did not record making. A file or
    folder named ``index`` that is not healthqa's link is never replaced: it is an error.
    """
    link = link_path(data_dir)
    if os.path.lexists(link) and not os.path.islink(link):
        what = "folder" if os.path.isdir(link) else "file"
        raise IndexWriteError(f"{link!r} is a {what} healthqa did not make (healthqa keeps a link to the index "
                              "there): move it out of the data directory, then run 'healthqa reindex'")
    name = f"{LINK_NAME}.{os.getpid()}.swap"
    tmp = os.path.join(data_dir, name)
    try:
        datadir.record(data_dir, name, "link")
        if os.path.islink(tmp):  # left by a killed swap of a process with this pid: recorded, ours
            os.remove(tmp)
        os.symlink(os.path.basename(generation), tmp)
        os.replace(tmp, link)
    except OSError as exc:
        raise _write_error(data_dir, exc) from None
    collect(data_dir, keep=frozenset({os.path.basename(generation)}))
