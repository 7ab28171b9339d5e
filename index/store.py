"""The index directory: where it lives, what it says about itself, how it is opened.

``<data>/index`` is a symbolic link to one generation ``<data>/index.<n>``. A rebuild
writes a new generation beside it and swaps the link atomically, so a searcher that
opened the old generation keeps reading it while the new one goes live. Each
generation holds ``healthqa-index.json``: the schema version, the record-store
sequence number it is in step with, and how it was built.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass

from whoosh import index as whoosh_index

from healthqa.index.schema import SCHEMA_VERSION
from healthqa.ingest.errors import IndexMissingError, IndexVersionError, IndexWriteError
from healthqa.ingest.files import replacing

META_NAME = "healthqa-index.json"
LINK_NAME = "index"


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


def open_index(data_dir: str) -> tuple[whoosh_index.Index, IndexMeta]:
    """Open the current index generation, checking its schema version.

    >>> open_index("/nonexistent")
    Traceback (most recent call last):
    ...
    healthqa.ingest.errors.IndexMissingError: no search index in '/nonexistent': run 'healthqa index' (after 'healthqa ingest')
    """
    generation = current_generation(data_dir)
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


def new_generation(data_dir: str) -> str:
    """Create an empty directory for a new index generation."""
    stamp = f"{time.time_ns():x}"
    path = os.path.join(data_dir, f"{LINK_NAME}.{stamp}.{os.getpid()}")
    try:
        os.makedirs(path)
    except OSError as exc:
        raise _write_error(data_dir, exc) from None
    return path


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


def swap_in(data_dir: str, generation: str, keep: int = 2) -> None:
    """Point the index link at ``generation`` atomically; drop the generations no search needs.

    With ``keep`` of 2 or more the generation it replaces is kept, so that searches that
    opened it finish normally. Every other generation goes, including those that were never
    live: what a rebuild killed before its swap left behind. (Only one process writes the
    index at a time, so no other generation is being built now.)
    """
    link = link_path(data_dir)
    previous = os.path.basename(os.path.realpath(link)) if os.path.lexists(link) else None
    tmp = f"{link}.{os.getpid()}.swap"
    try:
        if os.path.lexists(tmp):
            os.remove(tmp)
        os.symlink(os.path.basename(generation), tmp)
        if os.path.isdir(link) and not os.path.islink(link):
            shutil.rmtree(link)  # a plain directory left by hand: the link replaces it
        os.replace(tmp, link)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise _write_error(data_dir, exc) from None
    kept = {os.path.basename(generation)} | ({previous} if previous and keep >= 2 else set())
    _drop_old(data_dir, kept)


def _drop_old(data_dir: str, kept: set[str]) -> None:
    prefix = f"{LINK_NAME}."
    for name in os.listdir(data_dir):
        path = os.path.join(data_dir, name)
        if not name.startswith(prefix) or name in kept:
            continue
        if os.path.islink(path):
            if name.endswith(".swap"):  # the temporary link of a swap that was killed
                with contextlib.suppress(OSError):
                    os.remove(path)
        elif os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
