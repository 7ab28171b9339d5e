"""The data directory is healthqa's, provably, and healthqa deletes only what it recorded.

A data directory healthqa creates is made owner-only (0700) and marked with
``healthqa-data.json`` (its format version), as PostgreSQL marks its own with
``PG_VERSION``. Before anything is written, :func:`claim` checks the mark:

- a missing or empty directory is made healthqa's (created 0700, marked);
- a marked one is used, if its format is one this healthqa reads;
- a directory an earlier healthqa made (before the mark existed) is adopted, but only if
  every entry in it is one healthqa makes (the record store, its lock files, the index
  link and its generation folders, with Whoosh's files only): then it is marked;
- anything else is refused with a message naming what is in the way, and never written to.

``healthqa-manifest.json`` records the paths healthqa created that it may delete later
(index generations, the temporary link of a swap). Nothing else is ever deleted: no
name pattern decides. Lock files are created exclusively and never truncated; files
healthqa creates here are owner-only (0600).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from typing import Iterator
from urllib.parse import quote

from healthqa.ingest.errors import DataDirError
from healthqa.ingest.lock import exclusive

MARKER = "healthqa-data.json"
MANIFEST = "healthqa-manifest.json"
SETTINGS_FILE = "healthqa.toml"  # the settings file a user may put in the data directory (healthqa/config.py)
FORMAT = 1
DIR_MODE = 0o700
FILE_MODE = 0o600

# What an earlier healthqa (without the mark) left in a data directory, by name and kind.
_STORE = "records.sqlite"
_STORE_SIDES = {f"{_STORE}-wal", f"{_STORE}-shm", f"{_STORE}-journal"}
_LOCKS = {"ingest.lock", "index.lock"}
_GENERATION = re.compile(r"index\.[0-9a-f]+\.[0-9]+")
_SWAP = re.compile(r"index\.[0-9]+\.swap")
# Inside a generation: Whoosh's segment files and locks, and healthqa's meta file and caches
# (the word lists and vocabularies, index/vocabulary.py, written beside and renamed).
_GENERATION_FILE = re.compile(r"_?MAIN[A-Za-z0-9_.]*|healthqa-index\.json(\.[0-9]+)?(\.tmp)?|"
                              r"topics\.cache\.npz(\.[0-9]+\.tmp\.npz)?|healthqa-lease|"
                              r"vocabulary\.sqlite(\.[0-9]+\.[0-9]+\.tmp)?|"
                              r"lay-names\.sqlite(\.[0-9]+\.tmp)?")
# The word lists as earlier versions kept them, beside the index rather than in it.
_OLD_VOCABULARY = "vocabulary.sqlite"


def claim(data_dir: str) -> None:
    """Make sure ``data_dir`` is healthqa's before anything is written in it (see the module doc).

    >>> import tempfile, os
    >>> folder = os.path.join(tempfile.mkdtemp(), "data")
    >>> claim(folder); sorted(os.listdir(folder)), oct(os.stat(folder).st_mode & 0o777)
    (['healthqa-data.json'], '0o700')
    """
    try:
        entries = os.listdir(data_dir)
    except FileNotFoundError:
        entries = _create(data_dir)
    except NotADirectoryError:
        raise DataDirError(f"data directory {data_dir!r} is a file, not a directory") from None
    except OSError as exc:
        raise DataDirError(f"cannot read data directory {data_dir!r} ({exc.strerror or exc})") from None
    if MARKER in entries:
        check(data_dir)
        return
    if entries:
        problem = _foreign(data_dir, entries)
        if problem:
            raise DataDirError(
                f"data directory {data_dir!r} is not empty and was not made by healthqa ({problem}); nothing was "
                "written there: choose a new or empty directory (--data-dir or HEALTHQA_DATA)")
        _adopt(data_dir)
        return
    _write_marker(data_dir)


def _adopt(data_dir: str) -> None:
    """Mark a directory an earlier healthqa made, recording the generations it left (which may
    be deleted later). Under the index lock: the manifest has one writer at a time."""
    with exclusive(os.path.join(data_dir, "index.lock"), 30.0, "index writer"):
        entries = os.listdir(data_dir)
        if MARKER in entries:  # another process adopted it meanwhile
            return
        _write_manifest(data_dir, {name: _kind(name) for name in entries if _kind(name)})
        _write_marker(data_dir)


@contextlib.contextmanager
def locked(data_dir: str, name: str, wait: float, what: str) -> Iterator[None]:
    """Claim ``data_dir``, then hold its lock file ``name`` (see :func:`healthqa.ingest.lock.exclusive`)."""
    claim(data_dir)
    with exclusive(os.path.join(data_dir, name), wait, what):
        yield


def create_file(path: str) -> None:
    """Create an empty owner-only file at ``path`` unless something is there already."""
    with contextlib.suppress(FileExistsError):
        with create_exclusive(path):
            pass


def check(data_dir: str) -> None:
    """For readers: refuse a data directory marked by a healthqa of another format; unmarked is fine."""
    path = os.path.join(data_dir, MARKER)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        version = int(data["format"])
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataDirError(f"data directory mark {path!r} is unreadable ({exc}): is this a healthqa data "
                           "directory?") from None
    if version != FORMAT:
        raise DataDirError(f"data directory {data_dir!r} has format {version}; this healthqa reads format {FORMAT}")


def _create(data_dir: str) -> list[str]:
    parent = os.path.dirname(os.path.abspath(data_dir))
    try:
        os.makedirs(parent, exist_ok=True)
        os.mkdir(data_dir, DIR_MODE)
    except FileExistsError:  # another healthqa process made it just now
        pass
    except OSError as exc:
        raise DataDirError(f"cannot create data directory {data_dir!r} ({exc.strerror or exc})") from None
    return os.listdir(data_dir)


def _write_marker(data_dir: str) -> None:
    try:
        with create_exclusive(os.path.join(data_dir, MARKER)) as handle:
            handle.write(json.dumps({"format": FORMAT, "made_by": "healthqa"}).encode() + b"\n")
    except FileExistsError:  # another healthqa process marked it just now
        check(data_dir)
    except OSError as exc:
        raise DataDirError(f"cannot write in data directory {data_dir!r} ({exc.strerror or exc})") from None


@contextlib.contextmanager
def create_exclusive(path: str) -> Iterator:
    """A new owner-only file at ``path``; ``FileExistsError`` if anything is there already."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        yield handle


def _kind(name: str) -> str | None:
    """What an entry left by an earlier healthqa is, for the manifest (``None``: nothing to delete)."""
    if _GENERATION.fullmatch(name):
        return "generation"
    if _SWAP.fullmatch(name):
        return "link"
    return None


def _foreign(data_dir: str, entries: list[str]) -> str | None:
    """The first entry an earlier healthqa would not have left, described; ``None`` if there is none."""
    for name in sorted(entries):
        path = os.path.join(data_dir, name)
        problem = _entry_problem(path, name)
        if problem:
            return f"{name!r}: {problem}"
    return None


def _entry_problem(path: str, name: str) -> str | None:
    if name == _STORE:
        return None if _is_store(path) else "not a healthqa record store"
    if name in _STORE_SIDES:
        return None if _is_file(path) else "not a file"
    if name in _LOCKS:
        return None if _is_lock(path) else "not a healthqa lock file"
    if name == _OLD_VOCABULARY:
        return None if _is_file(path) else "not a file"
    if name == SETTINGS_FILE:  # the user's settings, written before the first run (healthqa/config.py)
        return None if _is_file(path) else "not a file"
    if name in (MANIFEST, f"{MANIFEST}.tmp"):  # an adoption killed before its mark was written
        return None if _is_file(path) else "not a file"
    if name == "index":
        target = os.readlink(path) if os.path.islink(path) else ""
        return None if _GENERATION.fullmatch(target) else "not the link healthqa keeps to its index"
    if _SWAP.fullmatch(name):
        return None if os.path.islink(path) else "not a link"
    if _GENERATION.fullmatch(name):
        return _generation_problem(path)
    return "healthqa makes no such file"


def _is_file(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)


def _is_lock(path: str) -> bool:
    if not _is_file(path) or os.path.getsize(path) > 32:
        return False
    with open(path, "rb") as handle:
        return re.fullmatch(rb"[0-9]*\n?", handle.read()) is not None


def sqlite_uri(path: str, readonly: bool = True) -> str:
    """The SQLite URI of a file, quoted: a '?' or '#' in a folder's name ("data?mode=ro",
    "data#1") would otherwise end the file name early, and another file would be opened."""
    return "file:" + quote(os.path.abspath(path)) + ("?mode=ro" if readonly else "")


def _is_store(path: str) -> bool:
    if not _is_file(path):
        return False
    with open(path, "rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            return False
    try:
        db = sqlite3.connect(sqlite_uri(path), uri=True)
        try:
            return db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() is not None
        finally:
            db.close()
    except sqlite3.Error:
        return False


_ANSWERS = "answers"  # the answer index inside a generation (index/answers.py): Whoosh's files only


def _generation_problem(path: str, inner_folders: tuple[str, ...] = (_ANSWERS,)) -> str | None:
    if os.path.islink(path) or not os.path.isdir(path):
        return "not an index folder"
    for inner in os.listdir(path):
        full = os.path.join(path, inner)
        if inner in inner_folders:
            problem = _generation_problem(full, ())
            if problem:
                return f"{inner}/ {problem}"
        elif not (_GENERATION_FILE.fullmatch(inner) and _is_file(full)):
            return f"holds {inner!r}, which is not an index file"
    return None


# -- the manifest ------------------------------------------------------------------------------


def recorded(data_dir: str) -> dict[str, str]:
    """The paths healthqa created in ``data_dir`` and may delete: name -> kind."""
    try:
        with open(os.path.join(data_dir, MANIFEST), encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise DataDirError(f"{os.path.join(data_dir, MANIFEST)!r} is unreadable ({exc}): healthqa will not "
                           "delete anything until it is fixed or removed") from None
    paths = data.get("paths") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in paths.items()} if isinstance(paths, dict) else {}


def record(data_dir: str, name: str, kind: str) -> None:
    """Add ``name`` to the manifest, before it is created (a run killed after is cleaned up later)."""
    _write_manifest(data_dir, {**recorded(data_dir), name: kind})


def forget(data_dir: str, names: set[str]) -> None:
    """Take ``names`` (deleted, or never made) out of the manifest."""
    paths = recorded(data_dir)
    if names & paths.keys():
        _write_manifest(data_dir, {k: v for k, v in paths.items() if k not in names})


def _write_manifest(data_dir: str, paths: dict[str, str]) -> None:
    """Write the manifest atomically. Callers hold the index lock, so one name for the
    temporary file serves (and the next writer reuses what a killed one left)."""
    path = os.path.join(data_dir, MANIFEST)
    tmp = f"{path}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"paths": dict(sorted(paths.items()))}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise DataDirError(f"cannot write {path!r} ({exc.strerror or exc})") from None
