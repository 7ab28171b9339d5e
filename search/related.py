"""Related questions: "people also asked" for a page, or existing answers for a new question.

Signals: the key terms of a page's question and answers (rarest first), its topic
and focus synonyms, the explicit related links harvested at ingest ("Did You See?"),
and, for a free-text question, the question type it asks. A suggestion is never the
page itself nor a duplicate (same normalised question), and the list is diversified:
each earlier pick on the same topic or of the same question type lowers a
candidate's score, so rewordings of one question do not fill it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Iterable

import numpy as np

from healthqa.index.stored import StoredPage
from healthqa.ingest.errors import RecordNotFound
from healthqa.ingest.normalise import question_key
from healthqa.search.engine import Scorer, WeightedTerm, top_k
from healthqa.search.memo import Memo
from healthqa.search.rank import asked_types
from healthqa.search.searcher import Searcher
from healthqa.search.snippets import stems
from healthqa.index.vocabulary import phrase_key

_WORD = re.compile(r"[^\W\d_][\w'-]*")
_EXPLICIT = "linked from the page"


@dataclass(frozen=True)
class Suggestion:
    """One related question, with the reasons it was chosen.

    A question linked from the page itself (``linked``) ranks first and has no score.
    """

    id: str | None
    question: str
    topic: str | None
    score: float | None
    reasons: tuple[str, ...]
    resolved: bool = True
    linked: bool = False
    # The same question on the same topic from other sources, collapsed into this one.
    also_in: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``score`` is null for a linked question."""
        return {"id": self.id, "question": self.question, "topic": self.topic,
                "score": None if self.score is None else round(self.score, 4),
                "reasons": list(self.reasons), "resolved": self.resolved,
                "also_in": [{"id": i, "source": source} for i, source in self.also_in]}


@dataclass(frozen=True)
class Brief:
    """What choosing needs of a candidate page."""

    id: str
    question: str
    topic: str | None
    qtype: str  # "" when the page has none
    key: str  # the normalised question (duplicates share it)
    topic_key: str  # the topic without regard to case, "" when none
    source: str = ""

    @classmethod
    def of(cls, page: StoredPage) -> "Brief":
        return cls(page.id, page.question, page.topic, page.question_type or "", question_key(page.question),
                   (page.topic or "").casefold(), page.source)


class RelatedFinder:
    """Finds related questions in one searcher's index, with its related settings.

    ``missing_shards``: the shards whose pages the last call could not consider (a cluster's
    shards with no live replica; always empty on one index).

    Where candidate pages come from is a few methods (``_candidates``, ``_link_matches``,
    ``_answer_idf``, ``_indexed``, ``brief``, ``for_id``): a search cluster's finder
    (:class:`healthqa.search.cluster_related.ClusterRelatedFinder`) answers them from the
    cluster's head and the store, and every choosing step here stays the same.
    """

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self.settings = searcher.settings.related
        self._qtypes = None
        self.missing_shards: tuple[int, ...] = ()
        self._briefs: dict[int, Brief] = {}
        self._understood = Memo(10_000, self.searcher.understand)  # pairs repeat questions

    @cached_property
    def postings(self):
        return self.searcher.postings

    @cached_property
    def scorer(self) -> Scorer:
        return Scorer(self.postings, self.searcher.settings.ranking.with_changes(or_bonus=0.0))

    def understand(self, text: str):
        """The searcher's understanding of ``text``, remembered (pairs repeat questions)."""
        return self._understood[text]

    def brief(self, docnum: int) -> Brief:
        """What choosing needs of a candidate, remembered: stored fields carry whole answers
        and cost a decompression to read."""
        found = self._briefs.get(docnum)
        if found is None:
            found = self._briefs[docnum] = Brief.of(self.searcher.page(docnum))
        return found

    # -- the two entry points --------------------------------------------------------

    def for_id(self, record_id: str, k: int = 5) -> list[Suggestion]:
        """Related questions for the indexed page ``record_id``."""
        docnum = self.searcher.docnum(record_id)
        if docnum is None:
            raise RecordNotFound(f"no indexed page with id {record_id!r} (see 'healthqa records list'; "
                                 "run 'healthqa index' if it was ingested recently)")
        return self.for_docnum(docnum, k)

    def for_docnum(self, docnum: int, k: int = 5) -> list[Suggestion]:
        return self.for_page(self.searcher.page(docnum), docnum, k)

    def for_page(self, page: StoredPage, key: Any, k: int = 5) -> list[Suggestion]:
        """Related questions for ``page``, whose candidate key (``brief``'s argument) is ``key``."""
        self.missing_shards = ()
        words = self._key_words(page)
        explicit = self._explicit(page.related, {key}, {question_key(page.question)})
        taken = {s.id for s in explicit if s.id}
        focus = ((tuple(t.text for t in self.searcher.analyzer(page.topic)),),) if page.topic else ()
        picked = self._pick(words, None, {key}, {question_key(page.question)} | _keys(explicit),
                            k - len(explicit), page, taken, focus)
        return (explicit + picked)[:k]

    def for_question(self, text: str, k: int = 5) -> list[Suggestion]:
        """Existing questions related to a new, free-text question."""
        self.missing_shards = ()
        understood = self.understand(text)
        if not understood.focus and self._names_unknown(text):
            return []  # "CBD oil": what it is about is in no page; "oil" alone would drift (diesel oil)
        words = self._focused(self._words(text), understood)
        # An existing question worded exactly like the new one is the best place to route it.
        return self._pick(words, self._asked(text, understood), set(), set(), k, None, set(),
                          self._focus_terms(understood))

    def pair_score(self, text: str, candidate: str) -> float:
        """How related ``candidate`` (another question's text) is to ``text``, using the
        index's statistics: shared words weighted by rarity (the focus's words above the
        others), times the type bonus and the bonus for sharing a focus."""
        understood = self.understand(text)
        mine = self._focused(self._words(text), understood)
        theirs = self._words(candidate)
        shared = set(mine) & set(theirs)
        counts = self._words(text)
        cap, penalty = self.settings.pair_word_cap, self.settings.pair_length_penalty
        score = sum(self._idf(stem) * min(counts.get(stem, 1), cap) * mine[stem] for stem in shared)
        score /= 1 + penalty * len(theirs)
        if self._asked(text, understood) & asked_types(candidate):
            score *= 1 + self.settings.type_bonus
        if self.settings.focus_bonus and _focus_keys(understood) & _focus_keys(self.understand(candidate)):
            score *= 1 + self.settings.focus_bonus
        return score

    # -- understanding ----------------------------------------------------------------------

    def _focused(self, counts: Counter, understood) -> dict[str, float]:
        """Word weights: the focus's words (and its clinical names) first, others at a share."""
        # Each focus weighs the same whatever its length: "ibuprofen" as much as "high blood pressure".
        focus: dict[str, float] = {}
        for found in understood.focus:
            named = stems(self.searcher.analyzer, found.text)
            for stem in named:
                focus[stem] = max(focus.get(stem, 0.0), 1.0 / len(named) ** 0.5)
        other = self.settings.other_word_weight if focus else 1.0
        # The words a question asks with ("bad for", "side effects") count as other words do
        # beside a focus: they tell the type, not the subject.
        asking = {stem for word in understood.asking for stem in stems(self.searcher.analyzer, word)}
        words = {stem: focus.get(stem, self.settings.other_word_weight if stem in asking else other)
                 for stem in counts}
        share = self.settings.expansion_weight
        for name in understood.expansions if share else ():
            for stem in stems(self.searcher.analyzer, name):
                words.setdefault(stem, share)
        return words

    def _names_unknown(self, text: str) -> bool:
        """True when a word of ``text`` is a name the index does not hold: no everyday English
        word, and in no indexed page ("cbd"). With no focus found, such a word is what the
        question is about, and no page can be related to it."""
        words = [w for w in _WORD.findall(text[:self.settings.max_text_chars]) if len(w) >= 3]
        kinds = self.searcher.question_reader.vocabulary.kinds(words)
        names = [stems(self.searcher.analyzer, w) for w in words if kinds.get(w.lower()) != "en"]
        if not names:
            return False
        known = self._indexed({stem for found in names for stem in found})
        return any(known.isdisjoint(found) for found in names)

    def _indexed(self, found: set[str]) -> set[str]:
        """Those of the stems ``found`` that some indexed page holds."""
        return {stem for stem in found if any(self.postings.get(field, stem).docs.size
                                              for field in ("question", "topic", "synonyms", "answer"))}

    def _asked(self, text: str, understood) -> set[str]:
        asked = asked_types(text)
        qtype = understood.qtype
        if self.settings.type_model and qtype and qtype.cues:
            asked.add(qtype.name)
        return asked

    def _focus_terms(self, understood) -> tuple[tuple[tuple[str, ...], ...], ...]:
        analyzer = self.searcher.analyzer
        return tuple(tuple(tuple(t.text for t in analyzer(name)) for name in (f.text, f.topic, f.canonical) if name)
                     for f in understood.focus)

    # -- key terms ---------------------------------------------------------------------

    def _words(self, text: str) -> Counter:
        """Stems of ``text`` with their counts (stop words out)."""
        counts: Counter = Counter()
        for word in _WORD.findall(text[:self.settings.max_text_chars]):
            for stem in stems(self.searcher.analyzer, word):
                counts[stem] += 1
        return counts

    def _idf(self, stem: str) -> float:
        return max(self.scorer.idf("question", stem), self.scorer.idf("answer", stem) * self.settings.answer_idf_share)

    def _weigh(self, counts: Counter, share: float) -> dict[str, float]:
        return {stem: share for stem in counts}

    def _key_words(self, page: StoredPage) -> dict[str, float]:
        """Question and topic words at full weight, the answers' rarest words at a share."""
        words = self._weigh(self._words(f"{page.question} {page.topic or ''}"), 1.0)
        answers = " ".join(a.text for a in page.answers)
        counts = self._words(answers)
        idf = self._answer_idf(set(counts))
        ranked = sorted(counts, key=lambda s: -counts[s] * idf[s])
        for stem in ranked[: self.settings.answer_terms]:
            words.setdefault(stem, self.settings.answer_term_weight)
        return words

    def _answer_idf(self, found: set[str]) -> dict[str, float]:
        """How rare each of the stems ``found`` is in answers."""
        return {stem: self.scorer.idf("answer", stem) for stem in found}

    # -- choosing --------------------------------------------------------------------

    def _candidates(self, words: dict[str, float], asked: set[str] | None, focus: tuple) -> list[tuple[Any, float]]:
        """The best pages for ``words`` as (key, score), best first: keys are document numbers here."""
        return top_k(self._scores(words, asked, focus), self.settings.candidates)

    def _scores(self, words: dict[str, float], asked: set[str] | None, focus: tuple = ()) -> np.ndarray:
        weights = self.settings.weights
        terms = [WeightedTerm(field, stem, weight * share, stem)
                 for stem, share in words.items() for field, weight in weights.items()]
        return self._bonuses(self.scorer.score(terms), asked, focus, self.searcher.ranker, self._qtype_values)

    def _bonuses(self, scores: np.ndarray, asked: set[str] | None, focus: tuple, ranker, qtypes) -> np.ndarray:
        """``scores`` times the focus bonus (``ranker``'s focus match) and the type bonus
        (``qtypes()``: each page's type id and the type names)."""
        if focus and self.settings.focus_bonus:
            scores *= 1 + self.settings.focus_bonus * ranker.focus_match(focus)
        if asked and self.settings.type_bonus:
            ids, names = qtypes()
            wanted = [i for i, name in enumerate(names) if name in asked]
            if wanted:
                scores *= 1 + self.settings.type_bonus * np.isin(ids, wanted)
        return scores

    def _qtype_values(self):
        if self._qtypes is None:
            from healthqa.search.columns import from_postings

            values = from_postings(self.postings, "qtype")
            self._qtypes = values.ids, values.names
        return self._qtypes

    def _pick(self, words: dict[str, float], asked: set[str] | None, skip_docs: set[int], skip_keys: set[str],
              k: int, source: StoredPage | None, taken: set[str], focus: tuple = ()) -> list[Suggestion]:
        if k <= 0 or not words:
            return []
        candidates = self._candidates(words, asked, focus)
        chosen: list[tuple[float, Brief]] = []
        keys = set(skip_keys)
        also_in: dict[tuple[str, str], list[tuple[str, str]]] = {}
        pool = []
        for key, score in candidates:
            if key in skip_docs:
                continue
            brief = self.brief(key)
            if (brief.key, brief.topic_key) in also_in:  # the same question on the same focus elsewhere
                also_in[brief.key, brief.topic_key].append((brief.id, brief.source))
            if brief.key in keys or brief.id in taken:
                continue
            keys.add(brief.key)
            also_in[brief.key, brief.topic_key] = []
            pool.append((score, brief))
        seen: Counter = Counter()
        while pool and len(chosen) < k:
            adjusted = [self._diverse(score, brief, seen) for score, brief in pool]
            best = max(range(len(pool)), key=adjusted.__getitem__)
            brief = pool.pop(best)[1]
            chosen.append((adjusted[best], brief))
            seen.update([("topic", brief.topic_key), ("type", brief.qtype),
                         ("both", brief.topic_key, brief.qtype)])
        return [replace(self._suggestion(score, brief, words, source), also_in=tuple(also_in[brief.key, brief.topic_key]))
                for score, brief in chosen]

    def _diverse(self, score: float, brief: Brief, seen: Counter) -> float:
        """The score lowered for each earlier pick on the same topic, of the same type, or both."""
        topic, qtype = brief.topic_key, brief.qtype
        settings = self.settings
        if topic:
            score *= settings.same_topic_decay ** seen[("topic", topic)]
        if qtype:
            score *= settings.same_type_decay ** seen[("type", qtype)]
        if topic and qtype:
            score *= settings.same_topic_and_type_decay ** seen[("both", topic, qtype)]
        return score

    def _suggestion(self, score: float, brief: Brief, words: dict[str, float],
                    source: StoredPage | None) -> Suggestion:
        reasons = []
        shared = [w for w in _WORD.findall(brief.question)
                  if not words.keys().isdisjoint(stems(self.searcher.analyzer, w))]
        if shared:
            reasons.append("shared key terms: " + ", ".join(dict.fromkeys(w.lower() for w in shared)))
        topic = brief.topic
        if source and topic and (source.topic or "").casefold() == topic.casefold():
            reasons.append(f"same topic: {topic}")
        return Suggestion(brief.id, brief.question, topic, score, tuple(reasons) or ("similar answers",))

    def _explicit(self, links: Iterable[str], skip_docs: set[int], skip_keys: set[str]) -> list[Suggestion]:
        """The page's own related links: resolved to indexed questions where possible."""
        out = []
        for link in links:
            key = question_key(link)
            if not key or key in skip_keys or key in _keys(out):
                continue
            words = self._weigh(self._words(link), 1.0)
            found = None
            for docnum, _ in self._link_matches(words) if words else []:
                if docnum not in skip_docs and self.brief(docnum).key == key:
                    found = self.brief(docnum)
                    break
            if found:
                out.append(Suggestion(found.id, found.question, found.topic, None, (_EXPLICIT,), linked=True))
            else:
                out.append(Suggestion(None, link, None, None, (_EXPLICIT + "; not an indexed question",),
                                      resolved=False, linked=True))
        return sorted(out, key=lambda s: not s.resolved)

    def _link_matches(self, words: dict[str, float]) -> list[tuple[Any, float]]:
        """The pages whose questions best match a related link's ``words``."""
        terms = [WeightedTerm("question", stem, 1.0, stem) for stem in words]
        return top_k(self.scorer.score(terms), self.settings.link_candidates)


def _focus_keys(understood) -> set[str]:
    """What a question's focus may be called: its words, its topic, its clinical name."""
    return {phrase_key(name) for f in understood.focus for name in (f.text, f.topic, f.canonical) if name}


def _keys(suggestions: Iterable[Suggestion]) -> set[str]:
    return {question_key(s.question) for s in suggestions}
