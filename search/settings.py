"""Every ranking choice, as data with a default, chosen when a searcher is built.

Nothing here is toggled on a live searcher: build a new one with other settings. The
settings are frozen all the way down: the per-field weights are read-only mappings, so a
default can never be edited through one searcher and change every other.
The defaults were tuned on the development half of the LiveQA medical questions
(``../shared/data/liveqa-med-dev``); see the README for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Iterator, Mapping


class FrozenMap(Mapping[str, float]):
    """A read-only mapping (hashable, picklable, equal to any mapping with the same items).

    >>> weights = FrozenMap({"question": 2.0})
    >>> weights["question"], weights == {"question": 2.0}
    (2.0, True)
    >>> weights["question"] = 3.0
    Traceback (most recent call last):
    TypeError: 'FrozenMap' object does not support item assignment
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, float] | None = None):
        self._items = dict(items or {})

    def __getitem__(self, key: str) -> float:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"

    def __reduce__(self) -> tuple:
        return FrozenMap, (self._items,)


def _freeze_mappings(settings: object) -> None:
    """Replace every mapping field of a frozen dataclass by a :class:`FrozenMap` of it."""
    for f in fields(settings):  # type: ignore[arg-type]
        value = getattr(settings, f.name)
        if isinstance(value, Mapping) and not isinstance(value, FrozenMap):
            object.__setattr__(settings, f.name, FrozenMap(value))


def _weights() -> FrozenMap:
    return FrozenMap({"question": 2.0, "detail": 0.5, "answer": 1.0, "role_text": 0.5,
                      "topic": 1.0, "synonyms": 0.5, "related": 0.2})


def _field_b() -> FrozenMap:
    return FrozenMap()


@dataclass(frozen=True)
class RankingSettings:
    """How plain words are matched and ranked.

    >>> RankingSettings().with_changes(k1=1.5).k1
    1.5
    """

    # Per-field weights of the BM25F sum (query-time boosts).
    weights: Mapping[str, float] = field(default_factory=_weights)
    # BM25 parameters; ``field_b`` overrides ``b`` per field.
    k1: float = 1.2
    b: float = 0.75
    field_b: Mapping[str, float] = field(default_factory=_field_b)
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
    # What the question is understood to ask (search/understand.py); 0 turns each off.
    # A page whose topic is a focus the question names gains this factor, times the share
    # of its topic the focus covers; a focus found in its synonyms counts at a share.
    focus_match_weight: float = 2.0
    synonym_match_share: float = 0.5
    # The clinical names of lay or brand names the question uses ("pink eye" ->
    # conjunctivitis), searched at this share of the words' weight.
    expansion_weight: float = 0.5
    # A page of the type the classifier predicts gains this factor times its confidence.
    type_weight: float = 0.5
    type_min_confidence: float = 0.3  # and only when some word of the question told the type
    # Which type ranks pages: "model" (MedQuAD's types, from the model of search/qtype.py)
    # or "consumer" (the consumer type of search/consumer_types.py, read as the MedQuAD
    # type that answers it first).
    type_from: str = "consumer"
    # A page without answers falls below the lowest answered page on its topic that
    # matches (answered pages on the same focus come first; a stub still shows when
    # nothing else answers), and keeps this share of its score. The share is 1: a lower
    # one also sinks stubs below answered pages on other foci, which the judged questions
    # cannot measure (see the README: with filled answers every stub left is unjudged,
    # without them most judged pages are stubs).
    stubs_below_answers: bool = True
    unanswered_factor: float = 1.0
    # A question asking whether a drug can be taken with something (INTERACTION,
    # CONTRAINDICATION) that names a drug and something else: pages whose topic is the
    # drug come before pages that match only the other focus.
    drug_first: bool = True

    def __post_init__(self) -> None:
        _freeze_mappings(self)

    def with_changes(self, **changes: Any) -> "RankingSettings":
        return replace(self, **changes)


def _related_weights() -> FrozenMap:
    return FrozenMap({"question": 2.0, "topic": 1.0, "synonyms": 0.5, "answer": 0.3})


@dataclass(frozen=True)
class RelatedSettings:
    """How related questions are chosen (see :mod:`healthqa.search.related`)."""

    # Fields a page's key terms are matched in, with their weights.
    weights: Mapping[str, float] = field(default_factory=_related_weights)
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
    # What the question is understood to ask (search/understand.py); 0 turns each off.
    # A candidate whose topic (or, at a share, synonyms) is the focus gains this factor;
    # with a focus found, the question's other words count at a share ("oil" in "CBD oil");
    # the clinical names of lay words are searched at a share; the classifier's type, when
    # words tell it, joins the types asked.
    focus_bonus: float = 1.0
    other_word_weight: float = 0.5
    expansion_weight: float = 0.5
    type_model: bool = True
    # A page's own related link is looked for among this many best matches of its words.
    link_candidates: int = 10
    # Pair scores (``RelatedFinder.pair_score``): a word counts at most this many times,
    # each word of the candidate lowers the score by this share (long questions match more
    # by chance), and a word's rarity in the answers counts at this share of its rarity in
    # the questions.
    pair_word_cap: int = 2
    pair_length_penalty: float = 0.1
    answer_idf_share: float = 0.5
    # Characters of a text read for its key words.
    max_text_chars: int = 4000

    def __post_init__(self) -> None:
        _freeze_mappings(self)


@dataclass(frozen=True)
class AnswerSettings:
    """Expert signals: how answers one by one weigh in (see :mod:`healthqa.search.answers`).

    An answer's factor is ``(1 + accepted_weight if accepted) * (1 + votes_weight * share)``,
    ``share`` growing with log(1 + votes) up to 1 at ``votes_full`` votes. It orders the
    answers a hit shows and a listing, and multiplies a page's score by the best factor
    among its answers that match the query (sites without votes or acceptance: 1).
    """

    accepted_weight: float = 0.3
    votes_weight: float = 0.3
    votes_full: int = 50
    # With a role filter a page gains this share of the score (BM25 over that answer alone)
    # of its best-matching answer by the role.
    role_weight: float = 0.5


@dataclass(frozen=True)
class SearchSettings:
    """Everything a :class:`healthqa.search.searcher.Searcher` is built with."""

    ranking: RankingSettings = field(default_factory=RankingSettings)
    related: RelatedSettings = field(default_factory=RelatedSettings)
    answers: AnswerSettings = field(default_factory=AnswerSettings)
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
    # The same normalised question on the same topic from several sources is one hit
    # ("also in: ..."); this many candidates per shown hit are looked at to fill a page.
    collapse_duplicates: bool = True
    collapse_window: int = 4
    # Did-you-mean: a word in fewer than ``spell_rare`` documents may be a typo; its
    # correction must be at least ``spell_ratio`` times as common.
    spell_rare: int = 3
    spell_ratio: int = 5
    # A word of a general English list or a medical vocabulary is never corrected, nor a
    # word shorter than ``spell_min_length`` (abbreviations such as "cbd").
    spell_real_words: bool = True
    spell_min_length: int = 4
