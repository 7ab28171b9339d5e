"""Names that the indexed text itself gives one thing by, mined when a generation is written.

Answers and questions pair an everyday name with a clinical one: "diuretics (water pills)",
"ringing in the ears (tinnitus)", "X, also called Y", "X, also known as Y", "X, or Y,"; a
page's focus synonyms pair its topic with other names ("Stomach flu" for Viral
gastroenteritis). Each pair is kept here in both directions, keyed by :func:`loose_key` of
either side, in ``lay-names.sqlite`` inside the generation. Which side is the lay name is
not decided here: search decides it with the word lists (``search/understand.py``).

The key is loose on purpose: stop words out, each word stemmed, the stems sorted, so that
"my ears ring" meets "ringing in the ears" (verb and noun forms share a stem; word order
differs between a question and a name).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections import Counter
from functools import lru_cache
from typing import Iterable, Iterator

from healthqa.index.schema import STOP
from healthqa.index.keysets import KeySet
from healthqa.ingest.datadir import sqlite_uri

FILE_NAME = "lay-names.sqlite"
MAX_WORDS = 4
_NAME = re.compile(r"\"?([A-Za-z][A-Za-z'-]*(?: [A-Za-z][A-Za-z'-]*){0,3})\"?")
# Where a second name starts: "clinical (lay)", "A, also called B", "A is also known as B", "A, or B,".
_ANCHOR = re.compile(r" \(|,? (?:(?:is|are) )?(?:also|sometimes|commonly|often) (?:called|known as|named) (?:an? )?|, or ")
_TAIL = re.compile(r"[A-Za-z' -]*$")
_KEY_WORD = re.compile(r"[^\W_]+")  # a key's words: letters and digits ("type-2" is two)
_ENDS = {"(": ")", ",": ",", "": ""}


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    from whoosh.lang.porter import stem

    return stem(word)


def loose_key(text: str) -> str:
    """Stop words out, each word stemmed, the stems sorted and each kept once.

    >>> loose_key("ringing in the ears") == loose_key("my ears ring")
    True
    """
    words = _KEY_WORD.findall(text.lower())
    return " ".join(sorted({_stem(w) for w in words if w not in STOP}))


@lru_cache(maxsize=100_000)
def word_stems(word: str) -> frozenset[str]:
    """The stems one word gives a loose key (none for a stop word; "type-2" gives two)."""
    return frozenset(_stem(w) for w in _KEY_WORD.findall(word.lower()) if w not in STOP)


def pairs_in(text: str) -> Iterator[tuple[str, str]]:
    """Pairs of names ``text`` gives one thing by; the side before the bracket or the
    ``also called`` is its last one to four words that follow a stop word or start the clause."""
    for anchor in _ANCHOR.finditer(text):
        after = _NAME.match(text, anchor.end())
        if not after:
            continue
        closing = text[after.end():after.end() + 1]
        opened = anchor.group().strip()[:1]
        if opened == "(" and closing != ")" or opened == "," and anchor.group() == ", or " and closing != ",":
            continue  # "(see ...)" or a list going on: not a name in brackets
        if opened not in "(," and closing.isalpha():
            continue
        tail = _TAIL.search(text, max(0, anchor.start() - 60), anchor.start()).group()
        before = tail.split(" - ")[-1].split()[-MAX_WORDS:]  # a list's dash starts a name
        for n in range(1, len(before) + 1):
            # A whole name only: "fast heart rate (tachycardia)" pairs no "heart rate".
            whole = n == len(before) or before[-n - 1].lower() in STOP
            if whole and before[-n].lower() not in STOP:
                yield " ".join(before[-n:]), after.group(1)


def mine(pages: Iterable[object]) -> Counter:
    """(name, other name) -> how often the pages pair them, from their questions, answers,
    and focus synonyms (each with the page's topic)."""
    found: Counter = Counter()
    for page in pages:
        topic = getattr(page, "topic", None) or ""
        for synonym in getattr(page, "synonyms", ()) or ():
            if topic and loose_key(synonym) != loose_key(topic):
                found[(synonym, topic)] += 1
        texts = [getattr(page, "question", "") or ""] + [a.text for a in getattr(page, "answers", ()) or ()]
        for text in texts:
            for pair in pairs_in(text[:200_000]):
                found[pair] += 1
    return found


def write(folder: str, pages: Iterable[object], extend: bool = False) -> None:
    """Mine ``pages`` into ``folder``'s file (written beside and renamed); ``extend`` adds
    to what the file holds (a sync: pages that went keep their pairs until a reindex)."""
    found = mine(pages)
    path = os.path.join(folder, FILE_NAME)
    if extend:
        for row in _rows(path, "SELECT phrase, other, count FROM pairs WHERE mined = 1"):
            found[(row[0], row[1])] += row[2]
    tmp = f"{path}.{os.getpid()}.tmp"
    with contextlib.suppress(OSError):
        os.remove(tmp)
    try:
        db = sqlite3.connect(tmp)
        with db:
            # mined = 1: the pair as found; 0: the same pair the other way round.
            db.execute("CREATE TABLE pairs (key TEXT, phrase TEXT, other TEXT, count INTEGER, mined INTEGER)")
            rows = [(loose_key(a), a, b, n, 1) for (a, b), n in found.items()]
            rows += [(loose_key(b), b, a, n, 0) for (a, b), n in found.items()]
            db.executemany("INSERT INTO pairs VALUES (?, ?, ?, ?, ?)", rows)
            db.execute("CREATE INDEX pairs_key ON pairs(key)")
        db.close()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _rows(path: str, sql: str, args: tuple = ()) -> list[tuple]:
    if not os.path.exists(path):
        return []
    with contextlib.suppress(sqlite3.Error):
        db = sqlite3.connect(sqlite_uri(path), uri=True)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()
    return []


class LayNames:
    """Look-ups in one generation's mined names."""

    def __init__(self, folder: str | None):
        self.path = os.path.join(folder, FILE_NAME) if folder else None
        self._db: sqlite3.Connection | None = None
        # The file's keys, each as the hash of its set of stems: read once per generation
        # (41k keys at 47k records: 0.4 MB; they grow with the pairs the pages give).
        self._keys = KeySet(())
        self._pid = os.getpid()  # an SQLite connection must not cross a fork (related --all's workers)

    def pairable(self, stem_sets: list[frozenset[str]]) -> list[frozenset[str]]:
        """The sets of stems (:func:`word_stems` of a phrase's words) that are some key's: a
        phrase whose set is not pairs with nothing, and needs no look-up."""
        return self._keys.held(stem_sets) if self._ready() else []

    def others(self, keys: Iterable[str]) -> dict[str, list[tuple[str, str, int]]]:
        """Loose key -> (name, other name, times paired), most often paired first."""
        asked = sorted({k for k in keys if k})
        if not asked or not self._ready():
            return {}
        # Most of a question's phrases pair with nothing: only keys the file holds are asked for.
        sets = [frozenset(key.split()) for key in asked]
        pairable = set(self._keys.held(sets))
        wanted = [key for key, stems in zip(asked, sets) if stems in pairable]
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        found: dict[str, list[tuple[str, str, int]]] = {}
        with contextlib.suppress(sqlite3.Error):
            for key, phrase, other, count in self._db.execute(
                    f"SELECT key, phrase, other, count FROM pairs WHERE key IN ({marks}) ORDER BY count DESC, rowid",
                    wanted):
                found.setdefault(key, []).append((phrase, other, count))
        return found

    def close(self) -> None:
        """Let go of the file (a searcher closing its generation); a later look-up connects again."""
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None

    def _ready(self) -> bool:
        """Whether the file is there, connected to in this process (once connected, the file is
        not looked for again: a searcher holds its generation until it closes)."""
        if self._db is not None and self._pid == os.getpid():
            return True
        if not self.path or not os.path.exists(self.path):
            return False
        self._open()
        return True

    def _open(self) -> None:
        """Connect, and read the keys the file holds (through the same connection: the same file)."""
        self._pid = os.getpid()
        self._db = sqlite3.connect(sqlite_uri(self.path), uri=True, check_same_thread=False)
        with contextlib.suppress(sqlite3.Error):
            keys = self._db.execute("SELECT DISTINCT key FROM pairs")
            self._keys = KeySet(frozenset(key.split()) for key, in keys)
