"""Every ranking choice, as data with a default, chosen when a searcher is built.

Nothing here is toggled on a live searcher: build a new one with other settings.
The defaults were tuned on the development half of the LiveQA medical questions
(``../shared/data/liveqa-med-dev``); see the README for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


def _weights() -> dict[str, float]:
    return {"question": 2.0, "detail": 0.5, "answer": 1.0, "role_text": 0.5,
            "topic": 1.0, "synonyms": 0.5, "related": 0.2}


def _field_b() -> dict[str, float]:
    return {}


@dataclass(frozen=True)
class RankingSettings:
    """How plain words are matched and ranked.

    >>> RankingSettings().with_changes(k1=1.5).k1
    1.5
    """

    # Per-field weights of the BM25F sum (query-time boosts).
    weights: dict[str, float] = field(default_factory=_weights)
    # BM25 parameters; ``field_b`` overrides ``b`` per field.
    k1: float = 1.2
    b: float = 0.75
    field_b: dict[str, float] = field(default_factory=_field_b)
    # Plain words are OR-ed; a document matching more of them gets this bonus factor.
    or_bonus: float = 0.9
    # Bonus factors (0 turns one off): the share of a page's topic the query names, and
    # a question type matching what the query asks (measured to hurt here: off).
    focus_weight: float = 0.5
    qtype_weight: float = 0.0
    # Words found in no document are also searched as their nearest indexed spelling,
    # at this share of their weight (consumer questions are often misspelled).
    fuzzy_weight: float = 1.0
    # A page gains this share of the best score among pages on the same topic
    # (the sections of one document answer together).
    topic_spread: float = 0.6

    def with_changes(self, **changes: Any) -> "RankingSettings":
        return replace(self, **changes)


def _related_weights() -> dict[str, float]:
    return {"question": 2.0, "topic": 1.0, "synonyms": 0.5, "answer": 0.3}


@dataclass(frozen=True)
class RelatedSettings:
    """How related questions are chosen (see :mod:`healthqa.search.related`)."""

    # Fields a page's key terms are matched in, with their weights.
    weights: dict[str, float] = field(default_factory=_related_weights)
    # Key terms taken from a page's answers (the rarest first) and their share of weight.
    answer_terms: int = 8
    answer_term_weight: float = 0.4
    # Bonus factor for a candidate whose question type matches what is asked.
    type_bonus: float = 0.5
    # Each earlier pick on the same topic / of the same question type multiplies a
    # candidate's score by these (diversity); candidates considered before picking.
    same_topic_decay: float = 0.7
    same_type_decay: float = 0.8
    same_topic_and_type_decay: float = 0.5
    candidates: int = 60


@dataclass(frozen=True)
class SearchSettings:
    """Everything a :class:`healthqa.search.searcher.Searcher` is built with."""

    ranking: RankingSettings = field(default_factory=RankingSettings)
    related: RelatedSettings = field(default_factory=RelatedSettings)
    max_query_chars: int = 2000
    # The budget of one query (see search/expansion.py): what a prefix*, wildcard, fuzzy~ or
    # [a TO b] range word may stand for, and how long expanding such words may take before
    # the best results so far are returned with a note.
    max_expansions: int = 256   # terms one such word may stand for (the most common)
    max_expansion_scan: int = 10_240  # index terms looked at for one prefix, wildcard or range
    max_fuzzy_edits: int = 2    # as Lucene: 'word~9' is read as 'word~2', with a note
    max_clauses: int = 1024     # terms all of a query's expansions may add up to
    query_seconds: float = 2.0  # time budget for expanding a query's words
    snippet_chars: int = 240
    answers_per_hit: int = 2
    facet_limit: int = 20
    suggest: bool = True
