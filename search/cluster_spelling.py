"""Did-you-mean and fuzzy corrections through a search cluster.

The engine (Sphinx 2.2) can count the pages of a word it is asked for, but cannot list its
dictionary, and its words are stems: it cannot say which real word is near a misspelling.
So the spelling vocabulary is the store's, built beside the feeds (``cluster build``; a
``sync`` adds the new pages' words): every word of the Whoosh index's ``spell`` field
(questions, topics, synonyms, roles, unstemmed) with the pages it is on. The same
:class:`healthqa.search.spelling.Speller` then corrects against it, so a cluster and a
Whoosh index over the same records suggest the same words. Whether a typed word is unknown
is the engine's say: the head's per-word page counts for the query as typed.

>>> counts = SpellCounts({"attack": 40, "atack": 1})
>>> counts.doc_frequency("spell", "attack"), sorted(counts.lexicon("spell"))
(40, ['atack', 'attack'])
"""

from __future__ import annotations

import re
from typing import Callable, Mapping

from healthqa.search.spelling import Speller

_LONG_WORD = re.compile(r"[^\W\d_]{4,}")


class SpellCounts:
    """The two things :class:`Speller` asks of an index reader, from a word -> pages table."""

    def __init__(self, pages: Mapping[str, int]):
        self._pages = pages

    def lexicon(self, field: str) -> list[str]:
        return list(self._pages)

    def doc_frequency(self, field: str, word: str) -> int:
        return int(self._pages.get(word, 0))


def apply(text: str, corrections: tuple[tuple[str, str], ...]) -> str:
    """``text`` with each corrected word replaced (whole words, any case).

    >>> apply("Heart atack signs", (("atack", "attack"),))
    'Heart attack signs'
    """
    for word, correction in corrections:
        text = re.sub(rf"\b{re.escape(word)}\b", correction, text, flags=re.I)
    return text


def corrections(speller: Speller, text: str, terms: Callable[[str], tuple[str, ...]],
                pages_of: Mapping[str, int]) -> tuple[tuple[str, str], ...]:
    """``(word, correction)`` for each word of ``text`` (four letters or more) none of whose
    terms is on any page (``pages_of``: the head's count of each term), as
    ``Searcher._corrections`` picks them."""
    if speller.is_foreign(text):
        return ()
    pairs = []
    for word in dict.fromkeys(_LONG_WORD.findall(text.lower())):
        stems = terms(word)
        if not stems or any(pages_of.get(s, 0) for s in stems):
            continue
        correction = speller.word(word)
        if correction is not None and terms(correction):
            pairs.append((word, correction))
    return tuple(pairs)
