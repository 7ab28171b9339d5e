"""What an index's topics and focus synonyms say of a question's phrases: the look-ups that
question understanding makes (:class:`~healthqa.search.understand.QuestionReader`) for every
phrase of up to six words, so each is remembered, and most phrases are rejected by a quick
test on their words (:meth:`IndexPhrases.word_fields`) before any look-up.
"""

from __future__ import annotations

from functools import cached_property
from typing import Callable

import numpy as np

from healthqa.index.keysets import KeySet
from healthqa.search.columns import Values
from healthqa.search.engine import Postings
from healthqa.search.memo import Memo



class IndexPhrases:
    """Phrase look-ups over one index reader. ``topics`` gives the topic values (read on first use)."""

    def __init__(self, postings: Postings, analyzer, topics: Callable[[], Values]):
        self.postings = postings
        self._analyzer = analyzer
        self._topics = topics
        self._analysed = Memo(100_000, lambda word: tuple(t.text for t in self._analyzer(word)))
        self._found = Memo(50_000, self._find)  # (kind, phrase) -> what the phrase names
        self._words = Memo(100_000, self._word_fields)
        # A phrase's terms (focus names, topics, clinical names recur across questions): 50,000
        # phrases, about 10 MB at most.
        self._terms = Memo(50_000, lambda text: tuple(dict.fromkeys(
            term for word in text.split() for term in self.word_terms(word))))

    def word_fields(self, word: str) -> tuple[bool, bool]:
        """Whether some topic holds every index term of ``word``, and whether some synonyms do.
        A phrase with a word in no topic and a word in no synonyms can be found by neither
        :meth:`topic_named` nor :meth:`synonym_phrase` (remembered)."""
        return self._words[word]

    def _word_fields(self, word: str) -> tuple[bool, bool]:
        found = [self._in_fields(term) for term in self.word_terms(word)]
        return all(topic for topic, _ in found), all(synonyms for _, synonyms in found)

    def _in_fields(self, term: str) -> tuple[bool, bool]:
        """Whether any topic and any focus synonyms hold ``term`` (the term dictionary only)."""
        topics, synonyms = self._lexicons
        return term in topics, term in synonyms

    @cached_property
    def _lexicons(self) -> tuple[KeySet, KeySet]:
        """The terms of the topic and synonyms fields, read once per index (7.5k and 12k terms
        at 47k records, 0.2 MB): a new question's words need no term dictionary read each."""
        return _lexicon(self.postings, "topic"), _lexicon(self.postings, "synonyms")

    def topic_named(self, text: str) -> str | None:
        """The indexed topic that ``text`` names (its words, stop words aside), if any."""
        return self._found["topic", text]

    def _find(self, key: tuple[str, str]):
        """What phrase ``text`` names as ``kind`` (remembered in ``_found``: a question's phrases
        recur across questions)."""
        kind, text = key
        if kind == "topic word":
            return _any(self._all_in("topic", self.terms(text)))
        return self._find_topic(text) if kind == "topic" else self._find_synonym(text)

    def _find_topic(self, text: str) -> str | None:
        terms = self.terms(text)
        if not terms or len(terms) > 8:
            return None
        docs = self._all_in("topic", terms)
        if docs is None or not len(docs):
            return None
        docs = docs[self.postings.lengths("topic")[docs] == len(terms)]
        topics = self._topics()
        named = [topics.ids[d] for d in docs if topics.ids[d] >= 0]
        return topics.names[min(named)] if named else None

    def _all_in(self, field: str, terms: tuple[str, ...]) -> np.ndarray | None:
        """Live documents with every one of ``terms`` in ``field``."""
        docs = None
        for term in terms:
            found = self.postings.get(field, term).docs
            docs = found if docs is None else _intersect(docs, found)
            if not len(docs):
                break
        return docs if docs is None else docs[self.postings.live[docs]]

    def terms(self, text: str) -> tuple[str, ...]:
        """The index terms of a phrase, in order (each word analysed once, remembered)."""
        return self._terms[text]

    def word_terms(self, word: str) -> tuple[str, ...]:
        return self._analysed[word]

    def topic_word(self, text: str) -> bool:
        """Whether some topic holds every word of ``text``, among other words."""
        return self._found["topic word", text]

    def synonym_phrase(self, text: str) -> bool:
        return self._found["synonym", text]

    def _find_synonym(self, text: str) -> bool:
        return _any(self._all_in("synonyms", self.terms(text)))


def _intersect(one: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The documents in both sorted lists (as ``np.intersect1d``, without its sort of both)."""
    if len(one) > len(other):
        one, other = other, one
    if not len(one):
        return one
    at = np.minimum(np.searchsorted(other, one), len(other) - 1)
    return one[other[at] == one]


def _lexicon(postings: Postings, field: str) -> KeySet:
    return KeySet(term.decode("utf-8") for term in postings.lexicon(field))  # none in an empty index


def _any(docs: np.ndarray | None) -> bool:
    return docs is not None and bool(len(docs))

