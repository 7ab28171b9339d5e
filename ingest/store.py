"""The record store: one SQLite database, the source of truth the index is rebuilt from.

Every change to a record takes the next number of a sequence, so a reader (the index)
can ask "what changed since N" and stay in step incrementally. Writes happen in
transactions: a crash loses at most the batch being written, never earlier records.
A second writer waits for the first (SQLite's busy timeout), then says the store is busy.
"""

from __future__ import annotations

import enum
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

from healthqa.ingest import datadir
from healthqa.ingest.defaults import WAIT_SECONDS
from healthqa.ingest.errors import RecordNotFound, StoreBusyError, StoreError
from healthqa.ingest.record import QAPage

SCHEMA_VERSION = 1
DB_NAME = "records.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    id TEXT PRIMARY KEY, origin TEXT NOT NULL, content_hash TEXT NOT NULL,
    question_key TEXT NOT NULL, data TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS pages_origin ON pages(origin);
CREATE INDEX IF NOT EXISTS pages_seq ON pages(seq);
CREATE TABLE IF NOT EXISTS deleted (id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS deleted_seq ON deleted(seq);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, file_hash TEXT NOT NULL, status TEXT NOT NULL,
    reason TEXT, format TEXT, records INTEGER NOT NULL DEFAULT 0, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS fetched (
    url TEXT PRIMARY KEY, body_hash TEXT NOT NULL, origin TEXT NOT NULL, ids TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT);
"""


@dataclass(frozen=True)
class FileState:
    """What the store remembers of one input file from the last time it was read."""

    path: str
    file_hash: str
    status: str  # "ok" or "rejected"
    reason: str | None
    format: str | None
    records: int


class ChangeKind(enum.StrEnum):
    """What storing one record did to it."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class FetchedState:
    """What the store remembers of one page fetched by URL (from a crawl) the last time it was read."""

    url: str
    body_hash: str
    origin: str
    ids: tuple[str, ...]
    status: str  # "ok" or "rejected"
    reason: str | None


@dataclass(frozen=True)
class Change:
    """What storing one record did."""

    id: str
    kind: ChangeKind


class Store:
    """The SQLite record store of one data directory.

    >>> import tempfile
    >>> with Store.open(tempfile.mkdtemp()) as store:
    ...     store.count()
    0
    """

    def __init__(self, connection: sqlite3.Connection, path: str):
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, data_dir: str, *, timeout: float = WAIT_SECONDS, readonly: bool = False) -> "Store":
        path = os.path.join(data_dir, DB_NAME)
        if readonly:
            datadir.check(data_dir)
        else:
            datadir.claim(data_dir)
        if readonly and not os.path.exists(path):
            raise StoreError(f"no record store in {data_dir!r}: run 'healthqa ingest PATH' first")
        try:
            if not readonly:
                datadir.create_file(path)  # owner-only; SQLite gives its -wal and -shm files the same mode
            uri = datadir.sqlite_uri(path, readonly)
            db = _connect(uri, timeout, readonly)
            db.execute("PRAGMA busy_timeout = %d" % int(timeout * 1000))
            if not readonly:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                db.executescript(_SCHEMA)
            cls._check_version(db, path, readonly)
        except sqlite3.OperationalError as exc:
            raise _store_error(exc, path) from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"record store {path!r} is damaged or not a database ({exc})") from None
        except OSError as exc:
            raise StoreError(f"cannot open record store in {data_dir!r}: {exc.strerror}") from None
        return cls(db, path)

    @staticmethod
    def _check_version(db: sqlite3.Connection, path: str, readonly: bool = False) -> None:
        """Check (and on a new store, write) the schema version. Reading it also makes a
        damaged file say so when the store is opened, not at the first query."""
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None and readonly:
            raise StoreError(f"record store {path!r} was never written: run 'healthqa ingest PATH' first")
        if row is None:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            db.execute("INSERT OR IGNORE INTO meta VALUES ('seq', '0')")
        elif int(row[0]) != SCHEMA_VERSION:
            raise StoreError(f"record store {path!r} has schema version {row[0]}, this healthqa reads {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """All writes inside happen together or not at all."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _store_error(exc, self.path) from None
        try:
            yield self
        except sqlite3.DatabaseError as exc:  # disk full, I/O error, damaged file: say so, not a traceback
            self._rollback()
            raise _store_error(exc, self.path) from None
        except BaseException:
            self._rollback()
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise _store_error(exc, self.path) from None

    @contextmanager
    def savepoint(self) -> Iterator["Store"]:
        """Inside a transaction: writes in the block are undone if it raises, the rest kept."""
        self._db.execute("SAVEPOINT one_file")
        try:
            yield self
        except sqlite3.DatabaseError as exc:
            self._undo_savepoint()
            raise _store_error(exc, self.path) from None
        except BaseException:
            self._undo_savepoint()
            raise
        self._db.execute("RELEASE one_file")

    def _undo_savepoint(self) -> None:
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK TO one_file")
                self._db.execute("RELEASE one_file")
            except sqlite3.DatabaseError:
                pass  # the whole transaction is gone already (disk full): the caller rolls back

    def _rollback(self) -> None:
        """Undo the open transaction. After some errors (disk full) SQLite has undone it
        already, and a second ROLLBACK would raise and hide the error that matters."""
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass

    # -- reading -------------------------------------------------------------------

    def count(self, since: int = 0) -> int:
        """Records in the store (changed after sequence number ``since``, if given)."""
        return self._db.execute("SELECT count(*) FROM pages WHERE seq > ?", (since,)).fetchone()[0]

    def get(self, record_id: str) -> QAPage:
        row = self._db.execute("SELECT data FROM pages WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise RecordNotFound(f"no record with id {record_id!r}")
        return QAPage.from_json(row[0])

    def find(self, record_id: str) -> QAPage | None:
        try:
            return self.get(record_id)
        except RecordNotFound:
            return None

    def ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM pages ORDER BY id")]

    def pages(self, since: int = 0, batch: int = 2000) -> Iterator[QAPage]:
        """Every record changed after sequence number ``since``, in sequence order."""
        cursor = self._db.execute("SELECT data FROM pages WHERE seq > ? ORDER BY seq", (since,))
        while rows := cursor.fetchmany(batch):
            for (data,) in rows:
                yield QAPage.from_json(data)

    def deleted_since(self, since: int) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM deleted WHERE seq > ?", (since,))]

    def seq(self) -> int:
        """The sequence number of the latest change."""
        return int(self._db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])

    def file_state(self, path: str) -> FileState | None:
        row = self._db.execute(
            "SELECT path, file_hash, status, reason, format, records FROM files WHERE path = ?", (path,)
        ).fetchone()
        return FileState(*row) if row else None

    def rejects(self) -> list[FileState]:
        rows = self._db.execute(
            "SELECT path, file_hash, status, reason, format, records FROM files WHERE status = 'rejected' ORDER BY path"
        )
        return [FileState(*row) for row in rows]

    def origins(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT path FROM files ORDER BY path")]

    def ids_from(self, origin: str) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT id FROM pages WHERE origin = ?", (origin,))}

    def fetched_state(self, url: str) -> FetchedState | None:
        """What the last ingest of the page fetched from ``url`` gave (a crawl keys pages by URL)."""
        row = self._db.execute(
            "SELECT url, body_hash, origin, ids, status, reason FROM fetched WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        return FetchedState(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4], row[5])

    def has_ids(self, ids: Iterable[str]) -> bool:
        """Whether every one of ``ids`` is a stored record."""
        ids = list(ids)
        found = sum(self._db.execute("SELECT count(*) FROM pages WHERE id = ?", (i,)).fetchone()[0] for i in ids)
        return found == len(ids)

    def origin_claimed(self, origin: str, other_than: str) -> bool:
        """Whether a fetched page other than the one from URL ``other_than`` now sits at ``origin``."""
        return self._db.execute("SELECT 1 FROM fetched WHERE origin = ? AND url != ? LIMIT 1",
                                (origin, other_than)).fetchone() is not None

    # -- writing (call inside ``transaction()``) -----------------------------------

    def _next_seq(self) -> int:
        row = self._db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING value").fetchone()
        return int(row[0])

    def put(self, page: QAPage) -> Change:
        """Insert or update one record by id; an identical record is left alone."""
        row = self._db.execute("SELECT content_hash, origin FROM pages WHERE id = ?", (page.id,)).fetchone()
        if row is not None and row[0] == page.content_hash and row[1] == page.origin:
            return Change(page.id, ChangeKind.UNCHANGED)
        self._db.execute(
            "INSERT OR REPLACE INTO pages (id, origin, content_hash, question_key, data, seq) VALUES (?,?,?,?,?,?)",
            (page.id, page.origin, page.content_hash, page.question_key, page.to_json(), self._next_seq()),
        )
        if row is None:
            # Only an id not in ``pages`` can be listed as deleted: it is back now.
            self._db.execute("DELETE FROM deleted WHERE id = ?", (page.id,))
            return Change(page.id, ChangeKind.NEW)
        return Change(page.id, ChangeKind.UPDATED if row[0] != page.content_hash else ChangeKind.UNCHANGED)

    def delete(self, ids: Iterable[str]) -> int:
        removed = 0
        for record_id in ids:
            if self._db.execute("DELETE FROM pages WHERE id = ?", (record_id,)).rowcount:
                self._db.execute("INSERT OR REPLACE INTO deleted VALUES (?, ?)", (record_id, self._next_seq()))
                removed += 1
        return removed

    def remember_file(self, path: str, file_hash: str, status: str, reason: str | None = None,
                      format: str | None = None, records: int = 0) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO files (path, file_hash, status, reason, format, records, seen_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (path, file_hash, status, reason, format, records, time.time()),
        )

    def remember_fetched(self, state: FetchedState) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO fetched (url, body_hash, origin, ids, status, reason) VALUES (?,?,?,?,?,?)",
            (state.url, state.body_hash, state.origin, json.dumps(list(state.ids)), state.status, state.reason),
        )

    def forget_file_row(self, path: str) -> None:
        """Drop what is remembered of ``path`` and nothing else (its records have moved on)."""
        self._db.execute("DELETE FROM files WHERE path = ?", (path,))

    def forget_file(self, path: str) -> int:
        """Drop a file and the records that came from it; return how many records went."""
        removed = self.delete(sorted(self.ids_from(path)))
        self._db.execute("DELETE FROM files WHERE path = ?", (path,))
        return removed

    def iter_json(self) -> Iterator[str]:
        for (data,) in self._db.execute("SELECT data FROM pages ORDER BY id"):
            yield data


def _connect(uri: str, timeout: float, readonly: bool) -> sqlite3.Connection:
    db = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    if readonly:
        try:
            db.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        except sqlite3.OperationalError as exc:
            if "unable to open" not in str(exc):
                raise
            # A store in WAL mode in a folder we cannot write (a read-only mount): SQLite cannot
            # create the shared-memory file beside it. No writer can be at work there either, or
            # that file would exist: read the file as it stands.
            db.close()
            db = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=timeout, isolation_level=None)
    return db


def _store_error(exc: sqlite3.Error, path: str) -> StoreError:
    text = str(exc)
    if "unable to open" in text:
        return StoreError(f"cannot open record store {path!r}: check that the data directory exists and can "
                          "be written")
    if "locked" in text or "busy" in text:
        return StoreBusyError(f"record store {path!r} is busy: another healthqa process is writing; try again")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"record store {path!r} is read-only: check the data directory's permissions")
    if "disk" in text and "full" in text:
        return StoreError(f"disk full while writing record store {path!r}: nothing of this batch was saved")
    return StoreError(f"record store {path!r}: {text}")

