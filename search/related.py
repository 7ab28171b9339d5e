"""Related questions: "people also asked" for a page, or existing answers for a new question.

Signals: the key terms of a page's question and answers (rarest first), its topic
and focus synonyms, the explicit related links harvested at ingest ("Did You See?"),
and, for a free-text question, the question type it asks. A suggestion is never the
page itself nor a duplicate (same normalised question), and the list is diversified:
each earlier pick on the same topic or of the same question type lowers a
candidate's score, so rewordings of one question do not fill it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from healthqa.ingest.errors import RecordNotFound
from healthqa.ingest.normalise import question_key
from healthqa.search.engine import Scorer, WeightedTerm, top_k
from healthqa.search.rank import asked_types
from healthqa.search.searcher import Searcher
from healthqa.search.snippets import stems

_WORD = re.compile(r"[^\W\d_][\w'-]*")
_EXPLICIT = "linked from the page"


@dataclass(frozen=True)
class Suggestion:
    """One related question, with the reasons it was chosen."""

    id: str | None
    question: str
    topic: str | None
    score: float
    reasons: tuple[str, ...]
    resolved: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "topic": self.topic, "score": round(self.score, 4),
                "reasons": list(self.reasons), "resolved": self.resolved}


def suggestions_json(suggestions: Iterable[Suggestion]) -> list[dict[str, Any]]:
    """The JSON shape of a list of suggestions (``healthqa related --json`` and the HTTP API):
    a question the page links to has no score (``null``)."""
    return [s.to_dict() | ({"score": None} if s.score == float("inf") else {}) for s in suggestions]


class RelatedFinder:
    """Finds related questions in one searcher's index, with its related settings."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self.settings = searcher.settings.related
        self.postings = searcher.postings
        self.scorer = Scorer(searcher.postings, searcher.settings.ranking.with_changes(or_bonus=0.0))
        self._qtypes = None
        self._briefs: dict[int, dict[str, Any]] = {}

    def brief(self, docnum: int) -> dict[str, Any]:
        """What choosing needs of a candidate (id, question, topic, type, key), remembered:
        stored fields carry whole answers and cost a decompression to read."""
        found = self._briefs.get(docnum)
        if found is None:
            stored = self.searcher.stored(docnum)
            found = self._briefs[docnum] = {
                "id": stored["id"], "question": stored["question"], "topic": stored.get("topic") or None,
                "qtype": stored.get("qtype") or "", "key": question_key(stored["question"]),
                "topic_key": (stored.get("topic") or "").casefold()}
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
        stored = self.searcher.stored(docnum)
        words = self._key_words(stored)
        explicit = self._explicit(stored.get("related_stored") or [], {docnum}, {question_key(stored["question"])})
        taken = {s.id for s in explicit if s.id}
        picked = self._pick(words, None, {docnum}, {question_key(stored["question"])} | _keys(explicit),
                            k - len(explicit), stored, taken)
        return (explicit + picked)[:k]

    def for_question(self, text: str, k: int = 5) -> list[Suggestion]:
        """Existing questions related to a new, free-text question."""
        words = self._weigh(self._words(text), 1.0)
        # An existing question worded exactly like the new one is the best place to route it.
        return self._pick(words, asked_types(text), set(), set(), k, None, set())

    def pair_score(self, text: str, candidate: str) -> float:
        """How related ``candidate`` (another question's text) is to ``text``, using the
        index's statistics: shared words weighted by rarity, times the type bonus."""
        mine = self._words(text)
        theirs = self._words(candidate)
        shared = set(mine) & set(theirs)
        score = sum(self._idf(stem) * min(mine[stem], 2) for stem in shared) / (1 + 0.1 * len(theirs))
        if asked_types(text) & asked_types(candidate):
            score *= 1 + self.settings.type_bonus
        return score

    # -- key terms ---------------------------------------------------------------------

    def _words(self, text: str) -> Counter:
        """Stems of ``text`` with their counts (stop words out)."""
        counts: Counter = Counter()
        for word in _WORD.findall(text[:4000]):
            for stem in stems(self.searcher.analyzer, word):
                counts[stem] += 1
        return counts

    def _idf(self, stem: str) -> float:
        return max(self.scorer.idf("question", stem), self.scorer.idf("answer", stem) * 0.5)

    def _weigh(self, counts: Counter, share: float) -> dict[str, float]:
        return {stem: share for stem in counts}

    def _key_words(self, stored: dict[str, Any]) -> dict[str, float]:
        """Question and topic words at full weight, the answers' rarest words at a share."""
        words = self._weigh(self._words(f"{stored['question']} {stored.get('topic') or ''}"), 1.0)
        answers = " ".join(a["text"] for a in json.loads(stored.get("answers") or "[]"))
        counts = self._words(answers)
        ranked = sorted(counts, key=lambda s: -counts[s] * self.scorer.idf("answer", s))
        for stem in ranked[: self.settings.answer_terms]:
            words.setdefault(stem, self.settings.answer_term_weight)
        return words

    # -- choosing --------------------------------------------------------------------

    def _scores(self, words: dict[str, float], asked: set[str] | None) -> np.ndarray:
        weights = self.settings.weights
        terms = [WeightedTerm(field, stem, weight * share, stem)
                 for stem, share in words.items() for field, weight in weights.items()]
        scores = self.scorer.score(terms)
        if asked and self.settings.type_bonus:
            qtypes = self._qtype_values()
            wanted = [i for i, name in enumerate(qtypes.names) if name in asked]
            if wanted:
                scores *= 1 + self.settings.type_bonus * np.isin(qtypes.ids, wanted)
        return scores

    def _qtype_values(self):
        if self._qtypes is None:
            from healthqa.search.columns import from_postings

            self._qtypes = from_postings(self.postings, "qtype")
        return self._qtypes

    def _pick(self, words: dict[str, float], asked: set[str] | None, skip_docs: set[int], skip_keys: set[str],
              k: int, source: dict[str, Any] | None, taken: set[str]) -> list[Suggestion]:
        if k <= 0 or not words:
            return []
        candidates = top_k(self._scores(words, asked), self.settings.candidates)
        chosen: list[tuple[float, dict[str, Any]]] = []
        keys = set(skip_keys)
        pool = []
        for docnum, score in candidates:
            if docnum in skip_docs:
                continue
            brief = self.brief(docnum)
            if brief["key"] in keys or brief["id"] in taken:
                continue
            keys.add(brief["key"])
            pool.append((score, brief))
        seen: Counter = Counter()
        while pool and len(chosen) < k:
            adjusted = [self._diverse(score, brief, seen) for score, brief in pool]
            best = max(range(len(pool)), key=adjusted.__getitem__)
            brief = pool.pop(best)[1]
            chosen.append((adjusted[best], brief))
            seen.update([("topic", brief["topic_key"]), ("type", brief["qtype"]),
                         ("both", brief["topic_key"], brief["qtype"])])
        return [self._suggestion(score, brief, words, source) for score, brief in chosen]

    def _diverse(self, score: float, brief: dict[str, Any], seen: Counter) -> float:
        """The score lowered for each earlier pick on the same topic, of the same type, or both."""
        topic, qtype = brief["topic_key"], brief["qtype"]
        settings = self.settings
        if topic:
            score *= settings.same_topic_decay ** seen[("topic", topic)]
        if qtype:
            score *= settings.same_type_decay ** seen[("type", qtype)]
        if topic and qtype:
            score *= settings.same_topic_and_type_decay ** seen[("both", topic, qtype)]
        return score

    def _suggestion(self, score: float, stored: dict[str, Any], words: dict[str, float],
                    source: dict[str, Any] | None) -> Suggestion:
        reasons = []
        shared = [w for w in _WORD.findall(stored["question"])
                  if not words.keys().isdisjoint(stems(self.searcher.analyzer, w))]
        if shared:
            reasons.append("shared key terms: " + ", ".join(dict.fromkeys(w.lower() for w in shared)))
        topic = stored.get("topic")
        if source and topic and (source.get("topic") or "").casefold() == topic.casefold():
            reasons.append(f"same topic: {topic}")
        return Suggestion(stored["id"], stored["question"], topic, score, tuple(reasons) or ("similar answers",))

    def _explicit(self, links: Iterable[str], skip_docs: set[int], skip_keys: set[str]) -> list[Suggestion]:
        """The page's own related links: resolved to indexed questions where possible."""
        out = []
        for link in links:
            key = question_key(link)
            if not key or key in skip_keys or key in _keys(out):
                continue
            words = self._weigh(self._words(link), 1.0)
            terms = [WeightedTerm("question", stem, 1.0, stem) for stem in words]
            found = None
            for docnum, _ in top_k(self.scorer.score(terms), 10) if terms else []:
                if docnum not in skip_docs and self.brief(docnum)["key"] == key:
                    found = self.brief(docnum)
                    break
            if found:
                out.append(Suggestion(found["id"], found["question"], found.get("topic"), float("inf"), (_EXPLICIT,)))
            else:
                out.append(Suggestion(None, link, None, float("inf"), (_EXPLICIT + "; not an indexed question",), False))
        return sorted(out, key=lambda s: not s.resolved)


def _keys(suggestions: Iterable[Suggestion]) -> set[str]:
    return {question_key(s.question) for s in suggestions}
