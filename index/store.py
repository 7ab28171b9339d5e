"""The index directory: where it lives, what it says about itself, how it is opened.

``<data>/index`` is a symbolic link to one generation ``<data>/index.<n>``. A rebuild
writes a new generation beside it and swaps the link atomically, so a searcher that
opened the old generation keeps reading it while the new one goes live. Each
generation holds ``healthqa-index.json``: the schema version, the record-store
sequence number it is in step with, and how it was built.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass

from whoosh import index as whoosh_index
from whoosh.index import EmptyIndexError

from index.schema import SCHEMA_VERSION
from ingest.errors import IndexMissingError, IndexVersionError

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
    path = os.path.join(generation, META_NAME)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(asdict(meta), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


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
    ingest.errors.IndexMissingError: no search index in '/nonexistent': run 'healthqa index' (after 'healthqa ingest')
    """
    generation = current_generation(data_dir)
    meta = read_meta(generation)
    if meta.schema_version != SCHEMA_VERSION:
        raise IndexVersionError(
            f"the index has schema version {meta.schema_version}, this healthqa uses {SCHEMA_VERSION}: run 'healthqa reindex'"
        )
    try:
        return whoosh_index.open_dir(generation), meta
    except (EmptyIndexError, OSError, ValueError) as exc:
        raise IndexMissingError(f"search index {generation!r} cannot be opened ({exc}): run 'healthqa reindex'") from None


def new_generation(data_dir: str) -> str:
    """Create an empty directory for a new index generation."""
    os.makedirs(data_dir, exist_ok=True)
    stamp = f"{time.time_ns():x}"
    path = os.path.join(data_dir, f"{LINK_NAME}.{stamp}.{os.getpid()}")
    os.makedirs(path)
    return path


def swap_in(data_dir: str, generation: str, keep: int = 2) -> None:
    """Point the index link at ``generation`` atomically; drop all but ``keep`` generations.

    The previous generation is kept so that searches that opened it finish normally.
    """
    link = link_path(data_dir)
    tmp = f"{link}.{os.getpid()}.swap"
    if os.path.lexists(tmp):
        os.remove(tmp)
    os.symlink(os.path.basename(generation), tmp)
    if os.path.isdir(link) and not os.path.islink(link):
        shutil.rmtree(link)  # a plain directory left by hand: the link replaces it
    os.replace(tmp, link)
    _drop_old(data_dir, os.path.basename(generation), keep)


def _drop_old(data_dir: str, current: str, keep: int) -> None:
    prefix = f"{LINK_NAME}."
    generations = sorted(
        (n for n in os.listdir(data_dir) if n.startswith(prefix) and os.path.isdir(os.path.join(data_dir, n))
         and not os.path.islink(os.path.join(data_dir, n))),
        key=lambda n: _created(data_dir, n),
    )
    for name in generations[:-keep] if keep else generations:
        if name != current:
            shutil.rmtree(os.path.join(data_dir, name), ignore_errors=True)


def _created(data_dir: str, name: str) -> int:
    """When a generation was made, from the time in its name: a later write into an old
    generation (a sync, a searcher's cache) must not make it look newer than the current one."""
    try:
        return int(name.split(".")[1], 16)
    except (IndexError, ValueError):
        return int(os.path.getmtime(os.path.join(data_dir, name)) * 1e9)
