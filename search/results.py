"""The small, immutable result types search returns, and their JSON shape.

The JSON shape (``Results.to_dict``) is stable and documented in the README::

    {"query": str, "searched": str, "corrected_from": str|null, "suggestion": str|null,
     "total": int, "page": int, "pages": int, "limit": int, "notes": [str],
     "facets": {"role": {value: count}, "topic": {...}, "source": {...}},
     "hits": [{"rank": int, "id": str, "score": float, "question": str, "topic": str|null,
               "source": str, "url": str|null, "question_type": str|null, "roles": [str],
               "snippet": str (HTML: page text escaped, matches in <em>),
               "answers": [{"role": str|null, "author": str|null, "snippet": str, "matches": int,
                            "votes": int|null, "accepted": bool}],
               "also_in": [{"id": str, "source": str}]}],
     "facets_more": {"role": int, ...}}   # how many values each facet leaves out

Searched through a search cluster (``--backend cluster``), the object also holds
``missing_shards``, a list of the shards that had no live replica (empty: complete).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from healthqa.search.snippets import Snippet


# A hit and its answers are immutable tuples with named fields: built by tuple.__new__, ten
# of them a search cost a third of what frozen dataclasses' __init__ did (a setattr a field).
class AnswerHit(NamedTuple):
    """An answer of a hit that matched the query (or, failing that, its first answer)."""

    role: str | None
    author: str | None
    snippet: Snippet
    votes: int | None = None
    accepted: bool = False


class Hit(NamedTuple):
    """One question page in a result list."""

    rank: int
    id: str
    score: float
    question: str
    topic: str | None
    source: str
    url: str | None
    question_type: str | None
    roles: tuple[str, ...]
    snippet: Snippet
    answers: tuple[AnswerHit, ...]
    # The same question on the same topic elsewhere, collapsed into this hit: (id, source).
    also_in: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        snippet = self.snippet.html()  # the first answer's snippet, as a rule: rendered once
        return {
            "rank": self.rank, "id": self.id, "score": round(self.score, 4), "question": self.question,
            "topic": self.topic, "source": self.source, "url": self.url, "question_type": self.question_type,
            "roles": list(self.roles), "snippet": snippet,
            "answers": [{"role": a.role, "author": a.author,
                         "snippet": snippet if a.snippet is self.snippet else a.snippet.html(),
                         "matches": a.snippet.matches, "votes": a.votes, "accepted": a.accepted}
                        for a in self.answers] if self.answers else [],
            # (no comprehension, a function made and called, for the usual none)
            "also_in": [{"id": i, "source": source} for i, source in self.also_in] if self.also_in else [],
        }


@dataclass(frozen=True)
class Results:
    """One page of results for a query, with facet counts over all matches."""

    query: str
    searched: str
    total: int
    page: int
    limit: int
    hits: tuple[Hit, ...]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    corrected_from: str | None = None
    notes: tuple[str, ...] = ()
    facets_more: dict[str, int] = field(default_factory=dict)  # values left out of each facet
    # Through a search cluster: the shards that had no live replica, whose pages these results
    # lack (empty: complete). None for a search of one index, whose JSON has no such key.
    missing_shards: tuple[int, ...] | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit)) if self.limit else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query, "searched": self.searched, "corrected_from": self.corrected_from,
            "suggestion": self.suggestion, "total": self.total, "page": self.page, "pages": self.pages,
            "limit": self.limit, "notes": list(self.notes), "facets": self.facets, "facets_more": self.facets_more,
            "hits": [h.to_dict() for h in self.hits],
            **({} if self.missing_shards is None else {"missing_shards": list(self.missing_shards)}),
        }
