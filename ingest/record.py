"""The one record shape every parser produces: a :class:`QAPage` holding :class:`Answer` s.

Records are frozen: stages pass them on, nobody edits them in place. A record
knows how to turn itself into plain JSON-ready data and back, and carries a hash of
its content so that re-ingesting an unchanged page can be recognised.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from healthqa.ingest.normalise import question_key, slug


@dataclass(frozen=True)
class Answer:
    """One answer on a Q&A page. ``author`` and ``role`` are ``None`` when the page has none."""

    text: str
    author: str | None = None
    role: str | None = None
    date: str | None = None
    votes: int | None = None
    accepted: bool = False
    date_iso: str | None = None  # ``date`` read as ISO 8601 when it names a calendar day


@dataclass(frozen=True)
class QAPage:
    """A question with its answers, as one page of a Q&A site shows it.

    >>> page = QAPage(id="x", source="example", format="text", question="Why?",
    ...               answers=(Answer(text="Because."),), origin="raw/x.txt")
    >>> page.answers[0].text
    'Because.'
    """

    id: str
    source: str
    format: str
    question: str
    origin: str
    answers: tuple[Answer, ...] = ()
    url: str | None = None
    topic: str | None = None
    detail: str | None = None
    asked_by: str | None = None
    date: str | None = None
    question_type: str | None = None
    synonyms: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    content_hash: str = field(default="", compare=False)
    date_iso: str | None = None  # ``date`` read as ISO 8601 when it names a calendar day
    # How the page was read: "markup" (schema.org, embedded data), "layout" (a known page
    # layout), "detector" (the page's structure), "profile" (a user's selectors); None for
    # formats with one way of reading.
    method: str | None = None

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", _hash_content(self))

    @property
    def question_key(self) -> str:
        """The question folded for duplicate detection."""
        return question_key(self.question)

    @property
    def roles(self) -> tuple[str, ...]:
        """Distinct expert roles of the answers, in page order."""
        return tuple(dict.fromkeys(a.role for a in self.answers if a.role))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (``dataclasses.asdict`` deep-copies, ten times slower)."""
        data = _without_empty_later(dict(self.__dict__))
        data["answers"] = [_without_empty_later(dict(a.__dict__)) for a in self.answers]
        for name in ("synonyms", "related", "warnings"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "QAPage":
        values = {k: v for k, v in data.items() if k in _PAGE_FIELDS}
        values["answers"] = tuple(_answer(a) for a in data.get("answers", ()))
        for name in ("synonyms", "related", "warnings"):
            values[name] = tuple(data.get(name, ()))
        if not values.get("content_hash") or not _PAGE_REQUIRED.issubset(values):
            return cls(**values)
        # Read back from a store: every field is there and the hash is known. Filling the
        # instance directly skips the dataclass __init__, a third of the cost of a rebuild's reading.
        page = object.__new__(cls)
        page.__dict__.update(_PAGE_DEFAULTS, **values)
        return page

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "QAPage":
        return cls.from_dict(json.loads(text))


_PAGE_FIELDS = frozenset(f.name for f in fields(QAPage))
_PAGE_DEFAULTS = {f.name: f.default for f in fields(QAPage) if f.default is not MISSING}
_ANSWER_FIELDS = frozenset(f.name for f in fields(Answer))
_PAGE_REQUIRED = frozenset(f.name for f in fields(QAPage) if f.default is MISSING and f.default_factory is MISSING)
_ANSWER_DEFAULTS = {f.name: f.default for f in fields(Answer) if f.default is not MISSING}


def _answer(data: dict[str, Any]) -> Answer:
    if "text" not in data or not _ANSWER_FIELDS.issuperset(data):
        return Answer(**data)  # let the dataclass say what is wrong
    answer = object.__new__(Answer)
    answer.__dict__.update(_ANSWER_DEFAULTS, **data)
    return answer

# Fields that say where a record came from, not what it says: a page moved to another
# file, or re-hashed, is the same content.
_NOT_CONTENT = {"origin", "content_hash", "warnings"}


# Fields added after records were first stored: left out of the hash and of the plain data
# while empty, so that records without them keep their hash (no spurious "updated") and
# their JSON shape.
_LATER_FIELDS = ("date_iso", "method")


def _hash_content(page: QAPage) -> str:
    data = {k: v for k, v in page.__dict__.items() if k not in _NOT_CONTENT}
    data["answers"] = [_without_empty_later(a.__dict__) for a in page.answers]
    data = _without_empty_later(data)
    blob = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:32]


def _without_empty_later(data: dict[str, Any]) -> dict[str, Any]:
    if all(data.get(name) is not None for name in _LATER_FIELDS if name in data):
        return data
    return {k: v for k, v in data.items() if not (k in _LATER_FIELDS and v is None)}


def derive_id(question: str, topic: str | None = None, url: str | None = None) -> str:
    """A stable id: the canonical URL when known, else a readable slug of topic and question.

    A short hash of the folded question keeps two questions that slug alike apart.
    """
    if url:
        return url
    digest = hashlib.sha1(f"{question_key(topic or '')}|{question_key(question)}".encode()).hexdigest()[:8]
    parts = [p for p in (slug(topic or "", 30), slug(question, 60)) if p]
    return "/".join(parts + [digest])
