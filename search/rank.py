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
    for child in node.children():
        terms.extend(weighted_terms(child, boost * getattr(node, "boost", 1.0)))
    return terms


def is_plain(node: wq.Query) -> bool:
    """True for an OR of single words in text fields (a positive score means a match)."""
    if isinstance(node, wq.Term):
        return node.fieldname in TEXT_FIELDS
    return isinstance(node, wq.Or) and all(is_plain(c) for c in node.children())


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
        # Reads the question types when a question's type is first used (a fresh process
        # answering one query without a telling word never reads them).
        self._qtype_loader = qtype_loader

    def _load_qtypes(self) -> None:
        if self.doc_qtypes is None and self._qtype_loader is not None:
            ids, names = self._qtype_loader()
            self.doc_qtypes, self.qtype_index = ids, {name: i for i, name in enumerate(names)}

    def scores(self, terms: list[WeightedTerm], text: str, asked: Asked | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Final scores of every document, and which documents match a word at all.

        Only matching documents are ranked: the bonuses below reorder matches, they
        never make a page without any of the words into one.
        """
        scores = self.scorer.score(terms)
        matched = scores > 0
        settings = self.settings
        if settings.focus_weight:
            scores *= 1.0 + settings.focus_weight * self.focus(terms, asked.asking if asked else frozenset())
        if asked is not None:
            scores = self.understood(scores, asked)
        if settings.topic_spread and self.doc_topics is not None:
            scores += settings.topic_spread * self.topic_best(scores) * matched
        if settings.qtype_weight and self.doc_qtypes is not None:
            asked = [self.qtype_index[t] for t in asked_types(text) if t in self.qtype_index]
            if asked:
                scores *= 1.0 + settings.qtype_weight * np.isin(self.doc_qtypes, asked)
        return scores, matched

    def understood(self, scores: np.ndarray, asked: Asked) -> np.ndarray:
        """Scores with the evidence of an understood question: focus, type, answers."""
        settings = self.settings
        if settings.focus_match_weight and asked.focus:
            scores = scores * (1.0 + settings.focus_match_weight * self.focus_match(asked.focus))
        if settings.type_weight and asked.qtype:
            self._load_qtypes()
        if settings.type_weight and asked.qtype and self.doc_qtypes is not None:
            wanted = self.qtype_index.get(asked.qtype)
            if wanted is not None:
                scores = scores * (1.0 + settings.type_weight * asked.confidence * (self.doc_qtypes == wanted))
        if settings.unanswered_factor != 1.0 or settings.stubs_below_answers:
            scores = self.stubs_below_answers(scores)
        if settings.drug_first and asked.lead:
            scores = self.lead_first(scores, asked.lead)
        return scores

    def lead_first(self, scores: np.ndarray, lead: tuple[tuple[str, ...], ...]) -> np.ndarray:
        """Matching pages whose topic is the ``lead`` focus above every other page, in
        their own order."""
        on = (self.focus_match((lead,)) > 0) & (scores > 0)
        if not on.any() or on.all():
            return scores
        return np.where(on, scores + float(scores[~on].max()), scores).astype(np.float32)

    def stubs_below_answers(self, scores: np.ndarray) -> np.ndarray:
        """Pages without answers keep ``unanswered_factor`` of their score and, when a
        matching page on their topic has answers, fall below the lowest such page: a stub
        yields to an answer on its focus, and stays where it is when nothing else answers."""
        stubs = self.postings.lengths("answer") <= 0
        scores = np.where(stubs, scores * self.settings.unanswered_factor, scores)
        if not self.settings.stubs_below_answers or self.doc_topics is None or not len(scores):
            return scores
        topics = self.doc_topics
        answered = (topics >= 0) & (scores > 0) & ~stubs
        lowest = np.full(int(topics.max()) + 2, np.inf, dtype=np.float32)
        np.minimum.at(lowest, topics[answered], scores[answered])
        cap = np.where(topics >= 0, lowest[topics], np.inf)
        return np.where(stubs & (scores > 0), np.minimum(scores, cap * 0.999), scores).astype(np.float32)

    def focus_match(self, focus: tuple[tuple[tuple[str, ...], ...], ...]) -> np.ndarray:
        """Per page, how well its topic (or, at a share, its synonyms) is one of the focus
        phrases: the share of the topic's words the phrase covers, when it has all of them."""
        best = np.zeros(self.postings.size, dtype=np.float32)
        topic_lengths = self.postings.lengths("topic")
        for alternatives in focus:
            for stems in alternatives:
                if not stems:
                    continue
                in_topic = self._has_all("topic", stems)
                share = np.divide(len(stems), topic_lengths, out=np.zeros_like(best), where=topic_lengths > 0)
                best = np.maximum(best, np.where(in_topic, share.clip(0, 1), 0.0))
                if self.settings.synonym_match_share:
                    best = np.maximum(best, self.settings.synonym_match_share * self._has_all("synonyms", stems))
        return best

    def _has_all(self, field: str, stems: tuple[str, ...]) -> np.ndarray:
        count = np.zeros(self.postings.size, dtype=np.int16)
        for stem in set(stems):
            count[self.postings.get(field, stem).docs] += 1
        return count >= len(set(stems))

    def topic_best(self, scores: np.ndarray) -> np.ndarray:
        """For each page, the best score of any page on its topic (0 for pages with none)."""
        topics = self.doc_topics
        has = topics >= 0
        best = np.zeros(int(topics.max()) + 1 if has.any() else 0, dtype=np.float32)
        np.maximum.at(best, topics[has], scores[has])
        out = np.zeros_like(scores)
        out[has] = best[topics[has]]
        return out

    def focus(self, terms: list[WeightedTerm], asking: frozenset[str] = frozenset()) -> np.ndarray:
        """Share of each page's topic words that the query names (0 to 1); the words it
        asks with ("bad" in "bad for", "side effects") name no topic (Bad Breath)."""
        covered = np.zeros(self.postings.size, dtype=np.float32)
        for word in {t.word for t in terms} - asking:
            posting = self.postings.get("topic", word)
            covered[posting.docs] += 1.0
        lengths = self.postings.lengths("topic")
        return np.divide(covered, lengths, out=np.zeros_like(covered), where=lengths > 0).clip(0, 1)
