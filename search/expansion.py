"""Fuzzy, prefix, wildcard and range words turned into a bounded set of index terms.

Every query has a budget (:class:`~healthqa.search.settings.SearchSettings`), as Lucene
and Elasticsearch bound theirs: at most ``max_fuzzy_edits`` edits (``~9`` is read as
``~2``), at most ``max_expansions`` terms for one word (the most common), at most
``max_expansion_scan`` index terms looked at for one word, at most ``max_clauses`` terms
for the whole query, and ``query_seconds`` of expanding. Reaching a limit is a note in
the results, never an error: the words expanded so far are searched, and a fuzzy word
not expanded any more is searched as typed.

Fuzzy words are matched against the field's vocabulary with rapidfuzz (C++, memory in
proportion to the vocabulary), not with Whoosh's Levenshtein automaton, whose size grows
exponentially with the number of edits.
"""

from __future__ import annotations

import time
from itertools import islice
from typing import Callable, Iterable, Iterator

from whoosh import query as wq

from healthqa.search.settings import SearchSettings

_MULTI_TERM = (wq.Prefix, wq.Wildcard, wq.FuzzyTerm, wq.Regex, wq.TermRange)
_CHECK_EVERY = 1024  # index terms read between two looks at the clock


def _text(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


class Budget:
    """The limits of one query, and how much of them it has used."""

    def __init__(self, settings: SearchSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._clock = clock
        self._deadline = clock() + settings.query_seconds
        self.clauses = 0
        self.notes: list[str] = []

    def expired(self) -> bool:
        return self._clock() >= self._deadline

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class Expander:
    """Expands multi-term words against one index reader (build once per reader)."""

    def __init__(self, reader, settings: SearchSettings):
        self.reader = reader
        self.settings = settings
        self._vocabularies: dict[str, list[str]] = {}

    def bound(self, parsed: wq.Query, budget: Budget) -> wq.Query:
        """``parsed`` with every multi-term word replaced by an OR of at most the budget's terms."""
        return parsed.accept(lambda node: self._expand(node, budget) if isinstance(node, _MULTI_TERM) else node)

    def _expand(self, node: wq.Query, budget: Budget) -> wq.Query:
        settings = self.settings
        if budget.expired():
            budget.note(f"time budget of {settings.query_seconds:g} s spent: the results are the best found so far "
                        "(some words not expanded)")
            return _as_typed(node)
        room = settings.max_clauses - budget.clauses
        if room <= 0:
            budget.note(f"the query expands to more than {settings.max_clauses:,} terms: some words not expanded")
            return _as_typed(node)
        if isinstance(node, wq.FuzzyTerm):
            found = [(word, None) for word in self._fuzzy(node, budget)]
        else:
            found = self._scanned(node, budget)
        if len(found) > settings.max_expansions:
            found = self._most_common(node.fieldname, found)[:settings.max_expansions]
            budget.note(f"'{_shown(node)}' matches many words: used the {settings.max_expansions} most common")
        if len(found) > room:
            found = self._most_common(node.fieldname, found)[:room]
            budget.note(f"the query expands to more than {settings.max_clauses:,} terms: some words not expanded")
        budget.clauses += len(found)
        if not found:
            return wq.NullQuery
        return wq.Or([wq.Term(node.fieldname, word) for word, _ in found], boost=node.boost)

    def _most_common(self, field: str, found: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
        counted = [(w, self.reader.doc_frequency(field, w) if df is None else df) for w, df in found]
        return sorted(counted, key=lambda item: (-item[1], item[0]))

    def _scanned(self, node: wq.Query, budget: Budget) -> list[tuple[str, int | None]]:
        """Prefix, wildcard, regex and range words: the index terms they cover, read in order,
        with their document frequency when the term table gives it on the way."""
        found: list[tuple[str, int | None]] = []
        scan = self.settings.max_expansion_scan
        for n, (term, frequency) in enumerate(islice(_candidates(self.reader, node), scan + 1)):
            if n == scan:
                budget.note(f"'{_shown(node)}' covers too many words: used those among the first {scan:,}")
                break
            if n % _CHECK_EVERY == _CHECK_EVERY - 1 and budget.expired():
                budget.note(f"time budget of {self.settings.query_seconds:g} s spent while expanding "
                            f"'{_shown(node)}': the results are the best found so far")
                break
            found.append((_text(term), frequency))
        return found

    def _fuzzy(self, node: wq.FuzzyTerm, budget: Budget) -> list[str]:
        edits = node.maxdist
        cap = self.settings.max_fuzzy_edits
        if edits > cap:
            budget.note(f"'{node.text}~{edits}': fuzzy words allow at most {cap} edits; read as ~{cap}")
            edits = cap
        # Imported here: only fuzzy words need it.
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        text = _text(node.text)
        vocabulary = self._vocabulary(node.fieldname)
        prefix = text[:node.prefixlength] if node.prefixlength else ""
        if prefix:
            vocabulary = [w for w in vocabulary if w.startswith(prefix)]
        found = process.extract(text, vocabulary, scorer=OSA.distance, score_cutoff=edits, limit=None)
        return [word for word, _, _ in found]

    def _vocabulary(self, field: str) -> list[str]:
        if field not in self._vocabularies:
            self._vocabularies[field] = [_text(w) for w in _lexicon(self.reader, field)]
        return self._vocabularies[field]


def _candidates(reader, node: wq.Query) -> Iterator[tuple[bytes | str, int | None]]:
    """The terms a prefix, range, wildcard or regex covers, in index order, with their
    document frequency where the term table gives it (prefixes and ranges)."""
    field = node.fieldname
    if field not in reader.schema:
        return
    if isinstance(node, wq.Prefix):
        for term, info in reader.iter_prefix(field, node.text):
            yield term, info.doc_frequency()
    elif isinstance(node, wq.TermRange):
        yield from _range(reader, node)
    else:
        yield from ((term, None) for _, term in node.expanded_terms(reader))


def _range(reader, node: wq.TermRange) -> Iterator[tuple[bytes, int]]:
    fieldobj = reader.schema[node.fieldname]
    try:
        start = fieldobj.to_bytes(node.start) if node.start is not None else b""
        end = fieldobj.to_bytes(node.end) if node.end is not None else None
    except ValueError:
        return
    for (name, term), info in reader.iter_from(node.fieldname, start):
        if name != node.fieldname or (end is not None and (term > end or (term == end and node.endexcl))):
            return
        if not (term == start and node.startexcl):
            yield term, info.doc_frequency()


def _lexicon(reader, field: str) -> Iterable[bytes | str]:
    try:
        return reader.lexicon(field)
    except KeyError:  # an empty index has no terms of any field
        return ()


def _shown(node: wq.Query) -> str:
    """The word as a note names it, without its field (one note for the copies in every field)."""
    return _text(node.text) if hasattr(node, "text") else str(node).split(":", 1)[-1]


def _as_typed(node: wq.Query) -> wq.Query:
    """What a word the budget does not expand is searched as: a fuzzy word as typed, others not at all."""
    if isinstance(node, wq.FuzzyTerm):
        return wq.Term(node.fieldname, node.text, boost=node.boost)
    return wq.NullQuery
