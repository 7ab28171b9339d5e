"""The ranking: BM25F over the query's words, then evidence a consumer question gives.

Consumer questions are long and chatty; MedQuAD-like collections answer templated
questions ("What are the symptoms of X ?") about a focus X with synonyms. Two
signals beyond BM25F, each a named setting (0 turns it off):

- focus: how much of a page's topic the question names (the share of the topic's
  words found in the question), so a page about *the* thing asked about beats pages
  that mention it in passing;
- question type: a page whose question type matches what the question asks
  (symptoms, treatment, causes, side effects, ...) gets a bonus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Callable

import numpy as np
from whoosh import query as wq

from healthqa.index.schema import TEXT_FIELDS
from healthqa.search.engine import Postings, Scorer, WeightedTerm
from healthqa.search.settings import RankingSettings

# What a question asks, read from its words, and the question types that answer it.
QTYPE_CUES: dict[str, tuple[str, ...]] = {
    r"\bsymptom|\bsigns?\b|\bfeel\b": ("symptoms",),
    r"\btreat|\bcure|\btherap|\bmanag|\bremed|\bhelp\b|\bget rid": ("treatment",),
    r"\bcause|\bwhy\b|\bget it\b|\bcontract": ("causes",),
    r"\bside.?effects?\b|\breaction": ("side effects", "severe reaction"),
    r"\bdiagnos|\btest|\bexam|\bscan\b|\bmri\b": ("exams and tests",),
    r"\bprevent|\bavoid": ("prevention",),
    r"\binherit|\bgenetic|\bhereditary|\bpassed down|\bfamily": ("inheritance", "genetic changes"),
    r"\bdose\b|\bdosage|\bhow much|\bmg\b|\bhow many": ("dose", "usage"),
    r"\bprognos|\blife expectancy|\boutlook|\bsurviv": ("outlook",),
    r"\binteract|\btogether with|\bmix\b|\bwith alcohol|\bcombine": (
        "interactions with medications", "interactions with foods", "interactions with herbs and supplements"),
    r"\bwhat is\b|\bwhat are\b|\binformation|\bexplain|\bmean": ("information",),
    r"\bhow common|\bhow many people|\bfrequen": ("frequency",),
    r"\bcomplicat": ("complications",),
    r"\bstore|\bstorage|\bexpire|\bdispos": ("storage and disposal",),
    r"\bmissed|\bforg[eo]t": ("forget a dose",),
    r"\boverdose|\btoo much": ("emergency or overdose",),
    r"\bused for\b|\buse for\b|\bindicat|\bwhat does .* do\b": ("indication",),
    r"\bwork\b|\bworks\b": ("how does it work",),
    r"\bresearch|\bclinical trial|\bstud(y|ies)\b": ("research",),
    r"\bsupport group": ("support groups",),
    r"\bfoods?\b|\bdiet\b|\beat\b": ("dietary",),
    r"\bbrand|\bgeneric": ("brand names",),
}
_CUES = [(re.compile(pattern, re.I), types) for pattern, types in QTYPE_CUES.items()]
_word_of = attrgetter("word")
_tuple_new = tuple.__new__


def asked_types(text: str) -> set[str]:
    """The question types a question's words point at.

    >>> sorted(asked_types("What are the side effects of metformin?"))
    ['information', 'severe reaction', 'side effects']
    """
    return {t for pattern, types in _CUES if pattern.search(text) for t in types}


def weighted_terms(node: wq.Query, boost: float = 1.0) -> list[WeightedTerm]:
    """The positive words of a parsed query, each in a text field with its weight."""
    if isinstance(node, wq.Not):
        return []
    if isinstance(node, wq.AndNot):
        return weighted_terms(node.a, boost * node.boost)
    if isinstance(node, wq.Term):
        text = node.text.decode("utf-8") if isinstance(node.text, bytes) else node.text
        return [WeightedTerm(node.fieldname, text, boost * node.boost, text)] if node.fieldname in TEXT_FIELDS else []
    if isinstance(node, wq.Phrase):
        return [WeightedTerm(node.fieldname, w, boost * node.boost, w) for w in node.words]
    terms = []
    boost *= getattr(node, "boost", 1.0)
    for child in node.children():
        if type(child) is wq.Term:  # the common leaf (a plain query is an OR of them), without a call
            field = child.fieldname
            if field in TEXT_FIELDS:
                text = child.text
                if type(text) is bytes:
                    text = text.decode("utf-8")
                # The tuple made directly: a named tuple's own ``__new__`` is a Python call.
                terms.append(_tuple_new(WeightedTerm, (field, text, boost * child.boost, text)))
        else:
            terms.extend(weighted_terms(child, boost))
    return terms


def _at(values: np.ndarray, docs: np.ndarray | None) -> np.ndarray:
    return values if docs is None else values.take(docs)


def _positions(held: np.ndarray, docs: np.ndarray | None) -> tuple[np.ndarray | slice, np.ndarray]:
    """Which of the documents ``held`` are among ``docs`` (sorted; None: every document), as
    an index into ``held``, and their positions in ``docs``."""
    if docs is None:
        return slice(None), held
    if not len(docs):
        return np.zeros(len(held), dtype=bool), np.empty(0, np.intp)
    at = np.minimum(np.searchsorted(docs, held), len(docs) - 1)
    inside = docs[at] == held
    return inside, at[inside]


def _counted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``values``, sorted, and how often each comes (as ``np.unique(values,
    return_counts=True)``, without its general-purpose overhead: a search calls it for a few
    hundred values)."""
    values = np.sort(values)
    edges = np.empty(len(values) + 1, dtype=bool)
    edges[0] = edges[-1] = True
    np.not_equal(values[1:], values[:-1], out=edges[1:-1])
    starts = np.flatnonzero(edges)
    return values[starts[:-1]], starts[1:] - starts[:-1]


def is_plain(node: wq.Query) -> bool:
    """True for an OR of single words in text fields (a positive score means a match)."""
    if isinstance(node, wq.Term):
        return node.fieldname in TEXT_FIELDS
    return isinstance(node, wq.Or) and all(c.fieldname in TEXT_FIELDS if type(c) is wq.Term else is_plain(c)
                                           for c in node.children())


@dataclass(frozen=True)
class Asked:
    """What ranking needs of an understood question: each focus as its index terms
    (a phrase and its alternatives, such as its clinical name), and the type asked."""

    focus: tuple[tuple[tuple[str, ...], ...], ...] = ()
    qtype: str | None = None
    confidence: float = 0.0
    asking: frozenset[str] = frozenset()  # index terms of the words that ask ("side", "effect")
    # The drug focus of a question asking whether a drug goes with something else: its
    # pages come first (RankingSettings.drug_first).
    lead: tuple[tuple[str, ...], ...] = ()


class Ranker:
    """Scores every document for a parsed query, with the settings it was built with."""

    def __init__(self, postings: Postings, settings: RankingSettings, doc_qtypes: np.ndarray | None = None,
                 qtype_names: list[str] | None = None, doc_topics: np.ndarray | None = None,
                 qtype_loader: Callable[[], tuple[np.ndarray, list[str]]] | None = None):
        self.postings = postings
        self.settings = settings
        self.scorer = Scorer(postings, settings)
        self.doc_qtypes = doc_qtypes
        self.qtype_index = {name: i for i, name in enumerate(qtype_names or [])}
        self.doc_topics = doc_topics
        self._held: dict[tuple, object] = {}  # focus phrases' pages (index data, not questions)
        # Reads the question types when a question's type is first used (a fresh process
        # answering one query without a telling word never reads them).
        self._qtype_loader = qtype_loader

    def _load_qtypes(self) -> None:
        if self.doc_qtypes is None and self._qtype_loader is not None:
            ids, names = self._qtype_loader()
            self.doc_qtypes, self.qtype_index = ids, {name: i for i, name in enumerate(names)}

    def scores(self, terms: list[WeightedTerm], text: str,
               asked: Asked | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Final scores of every document, and which documents match a word at all (from :meth:`matching`)."""
        docs, scores = self.matching(terms, text, asked)
        out = np.zeros(self.postings.size, dtype=scores.dtype)
        out[docs] = scores
        matched = np.zeros(self.postings.size, dtype=bool)
        matched[docs] = True
        return out, matched

    def matching(self, terms: list[WeightedTerm], text: str,
                 asked: Asked | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The documents that match a word at all (ascending), and their final scores.

        Only matching documents are ranked: the bonuses below reorder matches, they
        never make a page without any of the words into one. So they are computed for the
        matching documents only (a quarter of the index for a typical question) and the
        others keep their score of 0.
        """
        docs, scores = self.scorer.matching(terms)
        settings = self.settings
        if settings.focus_weight:
            # Pages naming none of the query's words in their topic keep their score (a factor of 1).
            at, shares = self._focus_shares(terms, asked.asking if asked else frozenset(), docs)
            scores[at] *= 1.0 + settings.focus_weight * shares
        # Each matching page's topic slot, read once for the two signals that group pages by topic.
        slots = self._topic_slots.take(docs) if self.doc_topics is not None and len(self.doc_topics) else None
        if asked is not None:
            scores = self.understood(scores, asked, docs, slots)
        if settings.topic_spread and self.doc_topics is not None:
            scores += settings.topic_spread * self.topic_best(scores, docs, slots)
        if settings.qtype_weight and self.doc_qtypes is not None:
            asked = [self.qtype_index[t] for t in asked_types(text) if t in self.qtype_index]
            if asked:
                scores *= 1.0 + settings.qtype_weight * np.isin(self.doc_qtypes[docs], asked)
        return docs, scores

    def understood(self, scores: np.ndarray, asked: Asked, docs: np.ndarray | None = None,
                   slots: np.ndarray | None = None) -> np.ndarray:
        """Scores (of ``docs``, or of every document) with the evidence of an understood
        question: focus, type, answers (``slots``: the ``docs``' topic slots, when read already)."""
        settings = self.settings
        if settings.focus_match_weight and asked.focus:
            scores = scores * (1.0 + settings.focus_match_weight * self.focus_match(asked.focus, docs))
        if settings.type_weight and asked.qtype:
            self._load_qtypes()
        if settings.type_weight and asked.qtype and self.doc_qtypes is not None:
            wanted = self.qtype_index.get(asked.qtype)
            if wanted is not None:
                # A factor of 1 elsewhere (as ``1 + weight * False``): in float64, as a product
                # with an array of those factors gives, multiplied where the type is the one asked.
                factor = 1.0 + settings.type_weight * asked.confidence * True
                scores = scores.astype(np.float64)
                np.multiply(scores, factor, out=scores, where=_at(self.doc_qtypes, docs) == wanted)
        if settings.unanswered_factor != 1.0 or settings.stubs_below_answers:
            scores = self.stubs_below_answers(scores, docs, slots)
        if settings.drug_first and asked.lead:
            scores = self.lead_first(scores, asked.lead, docs)
        return scores

    def lead_first(self, scores: np.ndarray, lead: tuple[tuple[str, ...], ...],
                   docs: np.ndarray | None = None) -> np.ndarray:
        """Matching pages (of ``docs``, whose ``scores`` these are) whose topic is the ``lead``
        focus above every other page, in their own order."""
        on = (self.focus_match((lead,), docs) > 0) & (scores > 0)
        if not on.any() or on.all():
            return scores
        return np.where(on, scores + float(scores[~on].max()), scores).astype(np.float32)

    @cached_property
    def _stubs(self) -> np.ndarray:
        return self.postings.lengths("answer") <= 0

    def stubs_below_answers(self, scores: np.ndarray, docs: np.ndarray | None = None,
                            slots: np.ndarray | None = None) -> np.ndarray:
        """Pages without answers keep ``unanswered_factor`` of their score and, when a
        matching page on their topic has answers, fall below the lowest such page: a stub
        yields to an answer on its focus, and stays where it is when nothing else answers.
        ``scores`` are those of ``docs`` (default: every document); ``slots``, when given,
        their topic slots."""
        if self.settings.unanswered_factor != 1.0:
            scores = np.where(_at(self._stubs, docs), scores * self.settings.unanswered_factor, scores)
        if not self.settings.stubs_below_answers or self.doc_topics is None or not len(self.doc_topics):
            return np.array(scores, copy=True)
        # In float32, as ``lowest`` holds them: the same values (rounding keeps order), and
        # ``ufunc.at`` on mixed types is some 40 times slower.
        out = scores.astype(np.float32)
        if slots is None:
            slots = _at(self._topic_slots, docs)
        # The lowest positive score of a page with answers on each topic (inf: none), in the
        # even slots; the odd ones (stubs') and those of pages with no topic stay inf. Held one
        # place on in ``below``, so that ``below[slot]`` is ``lowest[slot - 1]`` (inf for slot 0).
        below = np.full(2 * (self._topic_count + 1) + 1, np.inf, dtype=np.float32)
        lowest = below[1:]
        positive = scores > 0
        answered = out if positive.all() else np.where(positive, out, np.inf)
        np.minimum.at(lowest, slots, answered)
        lowest[1::2] = np.inf
        lowest[-2] = np.inf
        # A stub (with a positive score: a lower one stays lower than any cap) is capped below
        # its topic's lowest, the slot before its own; a page with answers looks up an odd slot.
        caps = below.take(slots)
        caps *= 0.999
        return np.minimum(out, caps)

    @cached_property
    def _topic_slots(self) -> np.ndarray:
        """Each page's slot in a per-topic array of two slots a topic: twice its topic (the topic
        count for pages with none), plus one for a page without answers."""
        topics = np.where(self.doc_topics >= 0, self.doc_topics, self._topic_count)
        return (2 * topics + self._stubs).astype(np.intp)

    @cached_property
    def _topic_count(self) -> int:
        return int(self.doc_topics.max()) + 1 if len(self.doc_topics) else 0

    def focus_match(self, focus: tuple[tuple[tuple[str, ...], ...], ...], docs: np.ndarray | None = None) -> np.ndarray:
        """Per page (of ``docs``, or every page), how well its topic (or, at a share, its
        synonyms) is one of the focus phrases: the share of the topic's words the phrase
        covers, when it has all of them.

        Only the few pages holding a phrase are visited; the values (and their type: float64
        once a synonym share counts) are those of a pass over every page."""
        phrases = [stems for alternatives in focus for stems in alternatives if stems]
        best = np.zeros(self.postings.size if docs is None else len(docs),
                        dtype=np.float64 if self.settings.synonym_match_share and phrases else np.float32)
        if phrases:
            # Every phrase's pages at once: the best value of each page, whatever their order.
            matches = [self._phrase_match(stems) for stems in phrases]
            pages = np.concatenate([pages for pages, _ in matches])
            inside, at = _positions(pages, docs)
            np.maximum.at(best, at, np.concatenate([values for _, values in matches])[inside])
        return best

    def _phrase_match(self, stems: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The pages whose topic has every one of ``stems``, with the share of the topic they
        cover, then (at the synonym share, as float64) those whose synonyms have them (remembered)."""
        key = ("match", stems)
        found = self._held.get(key)
        if found is None:
            held, covered = self._topic_cover(stems)
            share = self.settings.synonym_match_share
            if share:
                synonyms = self._holding("synonyms", stems)
                held = np.concatenate([held, synonyms])
                covered = np.concatenate([covered.astype(np.float64), np.full(len(synonyms), share, dtype=np.float64)])
            found = self._remember(key, (held, covered))
        return found

    def _topic_cover(self, stems: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The pages whose topic has every one of ``stems``, and the share of their topic's
        words those are (remembered, as the holdings)."""
        key = ("cover", stems)
        found = self._held.get(key)
        if found is None:
            held = self._holding("topic", stems)
            lengths = self.postings.lengths("topic")[held]
            covered = np.divide(len(stems), lengths, out=np.zeros(len(held), np.float32), where=lengths > 0).clip(0, 1)
            found = self._remember(key, (held, covered))
        return found

    def _holding(self, field: str, stems: tuple[str, ...]) -> np.ndarray:
        """The documents that hold every one of ``stems`` in ``field`` (remembered: a focus
        phrase recurs across questions, and the index does not change under a ranker)."""
        key = (field, stems)
        found = self._held.get(key)
        if found is None:
            for stem in set(stems):
                docs = self.postings.get(field, stem).docs
                found = docs if found is None else np.intersect1d(found, docs, assume_unique=True)
            found = self._remember(key, found)
        return found

    def _remember(self, key: tuple, value):
        if len(self._held) >= 20_000:  # bounded: a long-lived server sees ever new phrases
            self._held.clear()
        self._held[key] = value
        return value

    def topic_best(self, scores: np.ndarray, docs: np.ndarray | None = None,
                   slots: np.ndarray | None = None) -> np.ndarray:
        """For each page (of ``docs``, whose ``scores`` these are; default every page), the best
        score of any page on its topic among them (0 for pages with none); ``slots``, when
        given, are the ``docs``' topic slots."""
        if slots is None:
            topics = _at(self.doc_topics, docs)
            topics = np.where(topics >= 0, topics, self._topic_count)  # the topic count: no topic
        else:
            topics = slots >> 1
        best = np.zeros(self._topic_count + 1, dtype=np.float32)
        np.maximum.at(best, topics, scores.astype(np.float32, copy=False))  # as above: the same values, faster
        best[-1] = 0.0  # pages with no topic
        return best.take(topics).astype(scores.dtype, copy=False)

    def focus(self, terms: list[WeightedTerm], asking: frozenset[str] = frozenset(),
              docs: np.ndarray | None = None) -> np.ndarray:
        """Share of each page's topic words (of ``docs``, or of every page) that the query names
        (0 to 1); the words it asks with ("bad" in "bad for", "side effects") name no topic (Bad Breath)."""
        out = np.zeros(self.postings.size if docs is None else len(docs), dtype=np.float32)
        at, shares = self._focus_shares(terms, asking, docs)
        out[at] = shares
        return out

    def _focus_shares(self, terms: list[WeightedTerm], asking: frozenset[str],
                      docs: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Where (positions in ``docs``, or document numbers) :meth:`focus` is not 0, and its values there."""
        held = [self.postings.get("topic", word).docs for word in set(map(_word_of, terms)) - asking]
        if not held:
            return np.empty(0, np.intp), np.empty(0, np.float32)
        pages, counts = _counted(np.concatenate(held))
        inside, at = _positions(pages, docs)
        pages, counts = pages[inside], counts[inside].astype(np.float32)
        lengths = self.postings.lengths("topic")[pages]
        return at, np.divide(counts, lengths, out=np.zeros_like(counts), where=lengths > 0).clip(0, 1)
