"""Did-you-mean from the index's own vocabulary.

Words are checked against the ``spell`` field (questions, topics, synonyms and roles,
unstemmed). A word that is rare or absent there is replaced by the nearest common
word (fewest edits, then most documents), so "hart atack" becomes "heart attack".
"""

from __future__ import annotations

import re

from index.schema import STOP

_WORD = re.compile(r"[^\W\d_]{3,}")
_SYNTAX = re.compile(r"[\"*~:()+-]")


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (a swap of two neighbours counts as one edit).

    >>> edit_distance("pnuemonia", "pneumonia")
    1
    """
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


class Speller:
    """Suggests corrections for one index reader."""

    def __init__(self, reader, field: str = "spell", rare: int = 3, ratio: int = 5):
        self.reader = reader
        self.field = field
        self.rare = rare      # a word in fewer documents than this may be a typo
        self.ratio = ratio    # a correction must be this many times more common

    def word(self, word: str) -> str | None:
        """The correction for one lower-case word, or ``None`` if it looks right."""
        freq = self.reader.doc_frequency(self.field, word)
        if freq >= self.rare or word in STOP:
            return None
        maxdist = 1 if len(word) <= 4 else 2
        best = None
        for candidate in self.reader.terms_within(self.field, word, maxdist):
            candidate = candidate.decode("utf-8") if isinstance(candidate, bytes) else candidate
            cfreq = self.reader.doc_frequency(self.field, candidate)
            if candidate == word or cfreq < max(freq, 1) * self.ratio:
                continue
            key = (edit_distance(word, candidate), candidate[:1] != word[:1], -cfreq)
            if best is None or key < best[0]:
                best = (key, candidate)
        return best[1] if best else None

    def suggest(self, query: str) -> str | None:
        """The query with its misspelled words corrected, or ``None`` if none are."""
        if _SYNTAX.search(query):
            return None  # do not rewrite structured queries
        changed = False

        def fix(match: re.Match[str]) -> str:
            nonlocal changed
            original = match.group()
            correction = self.word(original.lower())
            if correction is None:
                return original
            changed = True
            return correction

        suggestion = _WORD.sub(fix, query)
        return suggestion if changed else None
