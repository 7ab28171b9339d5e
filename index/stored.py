"""What the index stores of each page, as a frozen record: enough to show a hit without the record store.

The index writer (:func:`healthqa.index.writer.document`) stores the answers as one JSON string
and the related questions as a list; :meth:`StoredPage.from_fields` reads Whoosh's stored
fields back into this shape, so that no reader of the index looks fields up by key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Mapping, Protocol


class _AnswerLike(Protocol):
    text: str
    role: str | None
    author: str | None
    votes: int | None
    accepted: bool


@dataclass(frozen=True)
class StoredAnswer:
    """One answer as the index keeps it (votes and accepted: the expert signals, where a site has them)."""

    text: str
    role: str | None = None
    author: str | None = None
    votes: int | None = None
    accepted: bool = False


def encode_answers(answers: Iterable[_AnswerLike]) -> str:
    """The stored form of a page's answers (a JSON list of ``{"text", "role", "author"}``, with
    ``"votes"`` and ``"accepted"`` only where an answer has them).

    >>> encode_answers([StoredAnswer("Rest.", "Fitness")])
    '[{"text": "Rest.", "role": "Fitness", "author": null}]'
    >>> encode_answers([StoredAnswer("Rest.", votes=3, accepted=True)])
    '[{"text": "Rest.", "role": null, "author": null, "votes": 3, "accepted": true}]'
    """
    return json.dumps([_encoded(a) for a in answers], ensure_ascii=False)


def _encoded(answer: _AnswerLike) -> dict[str, Any]:
    out: dict[str, Any] = {"text": answer.text, "role": answer.role, "author": answer.author}
    if getattr(answer, "votes", None) is not None:
        out["votes"] = answer.votes
    if getattr(answer, "accepted", False):
        out["accepted"] = True
    return out


def decode_answers(stored: str | None) -> tuple[StoredAnswer, ...]:
    """The answers of a page from their stored form.

    >>> decode_answers('[{"text": "Rest.", "role": "Fitness", "author": null}]')
    (StoredAnswer(text='Rest.', role='Fitness', author=None, votes=None, accepted=False),)
    """
    return tuple(StoredAnswer(a["text"], a.get("role"), a.get("author"), a.get("votes"), bool(a.get("accepted")))
                 for a in json.loads(stored or "[]"))


@dataclass(frozen=True)
class StoredPage:
    """The stored fields of one indexed page."""

    id: str
    question: str
    topic: str | None
    source: str
    url: str | None
    question_type: str | None
    answers: tuple[StoredAnswer, ...]
    related: tuple[str, ...]

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> "StoredPage":
        """From Whoosh's ``stored_fields()`` of a document (empty values read as absent).

        >>> StoredPage.from_fields({"id": "x", "question": "Why?", "topic": "", "source": "text"}).topic is None
        True
        """
        return cls(id=fields["id"], question=fields["question"], topic=fields.get("topic") or None,
                   source=fields.get("source", ""), url=fields.get("url"),
                   question_type=fields.get("qtype") or None, answers=decode_answers(fields.get("answers")),
                   related=tuple(fields.get("related_stored") or ()))

    @cached_property
    def roles(self) -> tuple[str, ...]:
        """The expert roles of the answers, each once, in answer order (worked out once: a page
        read from the index is remembered, and shown again for other questions)."""
        return tuple(dict.fromkeys(a.role for a in self.answers if a.role))
