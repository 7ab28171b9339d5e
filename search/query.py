"""From what a person typed to a Whoosh query, safely.

The language: plain words (OR-ed, with a bonus for matching more of them),
"quoted phrases", ``field:value``, ``-exclusion`` / ``+required``, ``prefix*`` and
fuzzy ``word~``. Whatever is typed, the result is a query or a :class:`QueryError`
with a message a person can act on, never a traceback: unbalanced quotes and
parentheses are read literally, unknown fields are read as words, a lone ``*`` is
refused, very long input is cut, and every prefix, wildcard or fuzzy word stands for
a bounded number of terms.
"""

from __future__ import annotations

import copy
import re
from functools import cached_property
from dataclasses import dataclass
from itertools import chain

from whoosh import query as wq

from healthqa.index.schema import TEXT_FIELDS
from healthqa.ingest.errors import QueryError
from healthqa.search.engine import WeightedTerm
from healthqa.search.expansion import Budget, Expander
from healthqa.search.memo import Memo
from healthqa.search.query_syntax import SyntaxReader, has_sign
from healthqa.search.rank import weighted_terms
from healthqa.search.settings import SearchSettings

# Names a person may put before a colon, and the index field each one means.
FIELD_ALIASES = {
    "question": "question", "q": "question", "answer": "answer", "answers": "answer",
    "detail": "detail", "topic": "topic", "focus": "topic", "synonym": "synonyms", "synonyms": "synonyms",
    "role": "role_text", "expert": "role_text", "source": "source", "site": "source",
    "type": "qtype", "qtype": "qtype", "id": "id", "related": "related",
}
_FIELD_PREFIX = re.compile(r"(?<![\w\"])([A-Za-z_]+):(?=\S)")
_WILDCARD_WORD = re.compile(r"[^\s\"()]*\*[^\s\"()]*")
# What makes a query more than plain words: without any of these, the parser is skipped.
# The field names after renaming count too: "role:" becomes "role_text:", which is no alias.
_SYNTAX_MARKS = '"*~^'  # and a sign before a word (query_syntax.has_sign)
_FIELD_NAME = re.compile(r"(?i:\b(?:" + "|".join(sorted(set(FIELD_ALIASES) | set(FIELD_ALIASES.values()))) + r"):\S)")
_DASHES = re.compile(r"-{2,}")
# A "*" standing alone between two words is attached to neither: a sign written in the text
# ("LDL = total - 0.2 * triglycerides"), not a wildcard.
_LONE_STAR = re.compile(r"(?<=\S)(?: \*+)+ (?=\S)")
# A dash joined to the word before it ("covid-19", "well-"): a hyphen, not "not the next word".
_JOINED_DASH = re.compile(r"(?<=\w)-")
_OPERATORS = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|REQUIRE)\b")
# Fields holding exact values (not analysed words) that a person may name in any case.
_EXACT_FIELDS = frozenset({"source", "qtype"})
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # and lone surrogates: bytes that were not UTF-8


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query, the terms that count for highlighting, and notes for the user."""

    text: str
    query: wq.Query
    notes: tuple[str, ...]
    # The query's weighted terms, when they were made with it (plain words): else read from it.
    terms: tuple[WeightedTerm, ...] | None = None

    @property
    def is_empty(self) -> bool:
        return self.query is wq.NullQuery or isinstance(self.query, type(wq.NullQuery))

    def weighted_terms(self) -> list[WeightedTerm]:
        """:func:`~healthqa.search.rank.weighted_terms` of the query (a new list)."""
        return list(self.terms) if self.terms is not None else weighted_terms(self.query)


class QueryReader:
    """Reads query strings for one schema and settings (build once, use for many queries)."""

    def __init__(self, schema, settings: SearchSettings):
        self.settings = settings
        weights = settings.ranking.weights
        fields = [f for f in TEXT_FIELDS if weights.get(f, 0) > 0]
        self._weighted_fields = [(f, weights[f]) for f in fields]
        self._analyzer = schema["question"].analyzer
        self._schema = schema
        self._syntax = SyntaxReader(schema, self._weighted_fields, weights, settings.ranking.or_bonus)
        self._expanders: dict[int, Expander] = {}
        # The analysed words of each space-separated piece of a question, remembered: no token
        # crosses a space and each filter reads one token, so a text's words are its pieces'
        # words in turn, and pieces recur across questions (20,000 pieces: a few MB at most).
        self._piece_words = Memo(20_000, lambda piece: tuple(t.text for t in self._analyzer(piece)))
        # Each word's terms, one per weighted field: shared by the queries that hold the word (no
        # query node is changed in place: Whoosh's rewrites copy). 4,096 words: 3.5 MB at most.
        self._word_terms = Memo(4096, lambda word: tuple(wq.Term(field, word, boost=weight)
                                                         for field, weight in self._weighted_fields))
        # And their weighted terms, as rank.weighted_terms reads them from an OR of them (4,096
        # words: 2 MB at most).
        self._word_weighted = Memo(4096, lambda word: tuple(WeightedTerm(field, word, 1.0 * weight, word)
                                                            for field, weight in self._weighted_fields))

    @cached_property
    def _parser(self):
        """Whoosh's parser, for queries with syntax (imported when first needed: plain words skip it)."""
        from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, OrGroup, PlusMinusPlugin

        weights = self.settings.ranking.weights
        parser = MultifieldParser([f for f, _ in self._weighted_fields], self._schema, fieldboosts=weights,
                                  group=OrGroup.factory(self.settings.ranking.or_bonus))
        parser.add_plugin(FuzzyTermPlugin())
        parser.add_plugin(PlusMinusPlugin())
        return parser

    def read(self, text: str) -> tuple[str, list[str]]:
        """Tidy the raw string: length, lone wildcards, quotes, parentheses, field names."""
        notes: list[str] = []
        # Control characters mean nothing in a query and must not reach a message or a terminal
        # (none is printable: a printable text has none to replace).
        text = " ".join((text if text.isprintable() else _CONTROLS.sub(" ", text)).split())
        limit = self.settings.max_query_chars
        if len(text) > limit:
            text = text[:limit].rsplit(" ", 1)[0]
            notes.append(f"query cut to its first {limit:,} characters")
        # '?' ends questions far more often than it stands for a letter: read it as punctuation.
        # So is a run of dashes ("4 days -- can I ..."): only a single '-' before a word excludes it.
        text = text.replace("?", " ")
        text = _DASHES.sub(" ", text) if "--" in text else text
        if " *" in text:
            text, lone = _LONE_STAR.subn(" ", text)
            if lone:
                notes.append("a '*' standing alone between words read as a sign, not a wildcard")
        for word in _WILDCARD_WORD.findall(text) if "*" in text else ():
            stem = word.split(":")[-1].lstrip("+-").split("*")[0]
            if len(stem) < 2:
                raise QueryError(f"'{word}' would match too much: put at least two letters before '*' (e.g. diab*)")
        if text.count('"') % 2:
            text = text.replace('"', " ")
            notes.append("unbalanced quote: read the words without the phrase")
        if text.count("(") != text.count(")"):
            text = text.replace("(", " ").replace(")", " ")
            notes.append("unbalanced parenthesis: read the words without grouping")
        # A field name ends in a colon: a text without one has none (and is not scanned for one).
        return (self._fields(text, notes) if ":" in text else text), notes

    def _fields(self, text: str, notes: list[str]) -> str:
        def rename(match: re.Match[str]) -> str:
            name = match.group(1).lower()
            if name in FIELD_ALIASES:
                return f"{FIELD_ALIASES[name]}:"
            notes.append(f"unknown field '{match.group(1)}': read as words (fields: {', '.join(sorted(set(FIELD_ALIASES)))})")
            return f"{match.group(1)} "

        return _FIELD_PREFIX.sub(rename, text)

    def parse(self, text: str, reader) -> ParsedQuery:
        """Parse ``text`` against an index ``reader`` (needed to bound expansions)."""
        tidied, notes = self.read(text)
        if not _has_syntax(tidied):
            query, terms = self._plain_terms(tidied)
            return ParsedQuery(text=tidied, query=query, notes=tuple(notes), terms=terms)
        # A hyphen splits words, as the analyzer splits them; only a dash starting a word excludes
        # it. (Whoosh's parser, which a question with quotes or operators goes through, reads any
        # dash as "not the next word": "covid-19" would drop every page holding "19".) A field's
        # value ("source:x-y") keeps its dashes. Same length: the words keep their offsets.
        words = " ".join(word if ":" in word else _JOINED_DASH.sub(" ", word) for word in tidied.split(" "))
        try:
            parsed = self._syntax.parse(words)
            if parsed is None:  # syntax read by other plugins of Whoosh's parser (prefix*, word~, ^2, [a TO b])
                parsed = self._parser.parse(words)
        except Exception:  # Whoosh's parser is lenient; this is the last resort
            # Plain words, built without Whoosh's parser: it also fails on words alone ("NOT NOT").
            parsed = self._plain(re.sub(r"[^\w\s]", " ", tidied))
            notes.append("query syntax not understood: read as plain words")
        parsed = _not_as_exclusion(parsed).accept(lambda node: _exact_case(node, reader))
        parsed = self._bound(parsed, reader, notes)
        return ParsedQuery(text=tidied, query=parsed, notes=tuple(dict.fromkeys(notes)))

    def _plain(self, text: str) -> wq.Query:
        """Plain words straight to an OR of weighted terms (what the parser would build)."""
        return self._plain_terms(text)[0]

    def _plain_terms(self, text: str) -> tuple[wq.Query, tuple[WeightedTerm, ...]]:
        """:meth:`_plain`, and the query's weighted terms (made with it, word by word)."""
        words = dict.fromkeys(chain.from_iterable(map(self._piece_words.__getitem__, text.split())))
        if not words:
            return wq.NullQuery, ()
        return (wq.Or(list(chain.from_iterable(map(self._word_terms.__getitem__, words)))),
                tuple(chain.from_iterable(map(self._word_weighted.__getitem__, words))))

    def _bound(self, parsed: wq.Query, reader, notes: list[str]) -> wq.Query:
        if any(isinstance(node, wq.Every) for node in parsed.leaves()) or isinstance(parsed, wq.Every):
            raise QueryError("a lone '*' would match every page: put at least two letters before it")
        expander = self._expanders.get(id(reader))
        if expander is None or expander.reader is not reader:
            expander = Expander(reader, self.settings)
            self._expanders = {id(reader): expander}  # one reader at a time: a searcher's own
        budget = Budget(self.settings)
        bounded = expander.bound(parsed, budget)
        notes.extend(budget.notes)
        return bounded


def _has_syntax(text: str) -> bool:
    """Whether ``text`` holds syntax: quotes, wildcards, signs, a field or an operator (the
    field names and operators looked for only when a colon or the capitals are there: a
    long question is searched in a third of the time)."""
    if any(mark in text for mark in _SYNTAX_MARKS) or has_sign(text) or (":" in text and _FIELD_NAME.search(text)):
        return True
    return ("AND" in text or "OR" in text or "NOT" in text or "REQUIRE" in text) and bool(_OPERATORS.search(text))


def _not_as_exclusion(parsed: wq.Query) -> wq.Query:
    """Read ``a NOT b`` as ``a -b``: plain words are OR-ed, so Whoosh would read it as
    "a, or any page without b". ``NOT b`` alone, like ``-b`` alone, searches for nothing."""
    if isinstance(parsed, wq.Not):
        return wq.NullQuery

    def rewrite(node: wq.Query) -> wq.Query:
        if not isinstance(node, wq.Or) or not any(isinstance(c, wq.Not) for c in node.subqueries):
            return node
        excluded = [c.query for c in node.subqueries if isinstance(c, wq.Not)]
        wanted = [c for c in node.subqueries if not isinstance(c, wq.Not)]
        if not wanted:
            return wq.NullQuery
        kept = copy.copy(node)
        kept.subqueries = wanted
        return wq.AndNot(kept, wq.Or(excluded))

    return parsed.accept(rewrite)


def _exact_case(node: wq.Query, reader) -> wq.Query:
    """``source:cdc`` finds ``CDC``: exact-value fields are matched without regard to case,
    as the source filter is."""
    if not isinstance(node, wq.Term) or node.fieldname not in _EXACT_FIELDS or (node.fieldname, node.text) in reader:
        return node
    wanted = str(node.text).casefold()
    for term in reader.lexicon(node.fieldname):
        term = term.decode("utf-8") if isinstance(term, bytes) else term
        if term.casefold() == wanted:
            return wq.Term(node.fieldname, term, boost=node.boost)
    return node


def highlight_terms(parsed: wq.Query) -> frozenset[str]:
    """The analysed words of text fields in a query, for marking matches in snippets."""
    if type(parsed) is wq.Or and all(type(c) is wq.Term for c in parsed.subqueries):  # plain words: no tree walk
        # Each word comes once a field: the few distinct ones are decoded.
        texts = {c.text for c in parsed.subqueries if c.fieldname in TEXT_FIELDS}
        return frozenset(text.decode("utf-8") if isinstance(text, bytes) else text for text in texts)
    terms = set()
    for fieldname, text in parsed.iter_all_terms():
        if fieldname in TEXT_FIELDS:
            terms.add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return frozenset(terms)
