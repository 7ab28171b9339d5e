"""Did-you-mean from the index's own vocabulary.

Words are checked against the ``spell`` field (questions, topics, synonyms and roles,
unstemmed). A word that is rare or absent there is replaced by the nearest common
word (fewest edits, then most documents), so "heart atack" becomes "heart attack".
A real word is never corrected, whatever the index holds: a word of the general English
list or of a medical vocabulary (:mod:`healthqa.index.vocabulary`) stays as typed
("statins" is not a typo for "stain"), and so do words shorter than ``min_length``
(abbreviations such as "cbd"). A question in another language is not rewritten.
"""

from __future__ import annotations

import re
from functools import cached_property


from healthqa.index.schema import STOP
from healthqa.index.vocabulary import Vocabulary
from healthqa.search.memo import Memo
from healthqa.search.query_syntax import has_sign

_WORD = re.compile(r"[^\W\d_]{3,}")
# Query syntax, after which a query is left alone; a hyphen inside a word ("type-2") is not syntax.
_SYNTAX_MARKS = '"*~:()'  # and a sign starting a word (query_syntax.has_sign)


class Speller:
    """Suggests corrections for one index reader."""

    def __init__(self, reader, field: str = "spell", rare: int = 3, ratio: int = 5, min_length: int = 4,
                 real_words: bool = True, cache_dir: str | None = None):
        self.reader = reader
        self.min_length = min_length  # shorter words are too often abbreviations to correct
        self.real_words = real_words  # never correct a word of the English or medical lists
        self.vocabulary_lists = Vocabulary(cache_dir)  # the word lists, kept in the index generation
        self.field = field
        self.rare = rare      # a word in fewer documents than this may be a typo
        self.ratio = ratio    # a correction must be this many times more common
        self._known = Memo(50_000, self._correct)  # word -> its correction, or None
        # A search asks twice (suggestion, corrections); a few texts, not a memo of questions asked before.
        self._foreign = Memo(8, self._reads_foreign)
        self._frequencies = Memo(100_000, lambda word: self.reader.doc_frequency(self.field, word))

    @cached_property
    def vocabulary(self) -> list[str]:
        """Every word of the spelling field (read once, on the first rare word)."""
        return [w.decode("utf-8") if isinstance(w, bytes) else w for w in self.reader.lexicon(self.field)]

    def word(self, word: str) -> str | None:
        """The correction for one lower-case word, or ``None`` if it looks right."""
        return self._known[word]

    def _correct(self, word: str) -> str | None:
        if word in STOP or len(word) < self.min_length:
            return None
        freq = self._frequency(word)
        if freq >= self.rare or (self.real_words and self.vocabulary_lists.is_real_word(word)):
            return None
        maxdist = 1 if len(word) <= 4 else 2
        # rapidfuzz compares against the whole vocabulary in C++: milliseconds, not seconds.
        # Imported here: a query whose words are all indexed never needs it.
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        near = process.extract(word, self.vocabulary, scorer=DamerauLevenshtein.distance,
                               score_cutoff=maxdist, limit=50)
        best = None
        for candidate, distance, _ in near:
            cfreq = self.reader.doc_frequency(self.field, candidate)
            if candidate == word or cfreq < max(freq, 1) * self.ratio:
                continue
            key = (distance, candidate[:1] != word[:1], -cfreq)
            if best is None or key < best[0]:
                best = (key, candidate)
        return best[1] if best else None

    def _frequency(self, word: str) -> int:
        """The number of documents with ``word`` in the spelling field (remembered per word)."""
        return self._frequencies[word]

    def is_foreign(self, text: str) -> bool:
        """True when ``text`` reads as another language than English (left as typed).

        Only words the index does not know well are looked up: a query of indexed
        words never loads the word lists.
        """
        return self._foreign[text]

    def _reads_foreign(self, text: str) -> bool:
        words = _WORD.findall(text.lower())
        if not self.real_words or all(self._frequency(w) >= self.rare for w in words):
            return False
        return self.vocabulary_lists.looks_foreign(words)

    def suggest(self, query: str) -> str | None:
        """The query with its misspelled words corrected, or ``None`` if none are."""
        if any(mark in query for mark in _SYNTAX_MARKS) or has_sign(query, word_after=False) or self.is_foreign(query):
            return None  # do not rewrite structured queries, nor another language into English
        known = self._known
        # Most questions have nothing to correct: told by their words alone, without a rewrite
        # (in ASCII, the lower-cased text's words are the words lower-cased).
        if query.isascii() and all(known[word] is None for word in _WORD.findall(query.lower())):
            return None
        changed = False

        def fix(match: re.Match[str]) -> str:
            nonlocal changed
            original = match.group()
            correction = self.word(original.lower())  # remembered: a long query repeats words
            if correction is None:
                return original
            changed = True
            return correction

        suggestion = _WORD.sub(fix, query)
        return suggestion if changed else None
