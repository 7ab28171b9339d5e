"""What ``healthqa search --answers`` returns: answers, not pages, one by one.

JSON shape (``AnswerResults.to_dict``)::

    {"query": str, "searched": str, "total": int, "page": int, "pages": int, "limit": int,
     "notes": [str], "answers": [{"rank": int, "score": float, "id": str (the page),
      "question": str, "topic": str|null, "source": str, "url": str|null, "role": str|null,
      "author": str|null, "votes": int|null, "accepted": bool, "snippet": str (HTML)}]}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from healthqa.search.snippets import Snippet


@dataclass(frozen=True)
class AnswerListing:
    """One answer in a listing, with the page it is on."""

    rank: int
    score: float
    id: str
    question: str
    topic: str | None
    source: str
    url: str | None
    role: str | None
    author: str | None
    votes: int | None
    accepted: bool
    snippet: Snippet

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "score": round(self.score, 4), "id": self.id, "question": self.question,
                "topic": self.topic, "source": self.source, "url": self.url, "role": self.role,
                "author": self.author, "votes": self.votes, "accepted": self.accepted,
                "snippet": self.snippet.html()}


@dataclass(frozen=True)
class AnswerResults:
    """One page of matching answers."""

    query: str
    searched: str
    total: int
    page: int
    limit: int
    answers: tuple[AnswerListing, ...]
    notes: tuple[str, ...] = ()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "searched": self.searched, "total": self.total, "page": self.page,
                "pages": self.pages, "limit": self.limit, "notes": list(self.notes),
                "answers": [a.to_dict() for a in self.answers]}
