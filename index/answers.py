"""The answer index: one Whoosh document per answer, beside the page index in each generation.

The page index (:mod:`healthqa.index.schema`) ranks question pages; it holds a page's
answers as one text. To match answers one by one (a role filter that needs an answer
*by that role* to match, ``--answers``, a phrase that must not span two answers) each
generation also holds ``answers/``: a second Whoosh index with one document per answer,
its text, its role (words, and one folded value for filters), and what a listing shows
(author, votes, accepted, the page's question). Both indexes carry the page's ``key``
(a 63-bit hash of its id and content hash) as a numeric column, so answers map to pages with
numpy.

Written in the same lock, from the same records, as the page index: by the bulk writer in a
rebuild and by Whoosh's writer in an incremental sync. A sync cannot commit two indexes at
once, so each version of a page has its own key: the answers of a new version are added
before the page index commits it and those of the old one deleted after, and a searcher that
opens both at once always finds the answers of the pages it sees.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Iterable

from whoosh import index as whoosh_index
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema

from healthqa.index.schema import text_analyzer
from healthqa.ingest.record import QAPage

ANSWERS_DIR = "answers"
_SPACES = re.compile(r"\s+")


def fold(value: str | None) -> str:
    """A role or topic as filters and facets compare it: case and whitespace folded.

    >>> fold("  Bell's   PALSY ") == fold("bell's palsy")
    True
    """
    return _SPACES.sub(" ", value or "").strip().casefold()


def page_key(record_id: str, version: str = "") -> int:
    """A 63-bit number standing for one version of a page (its id and content hash), shared by both indexes.

    >>> page_key("a", "1") == page_key("a", "1") != page_key("a", "2")
    True
    """
    digest = hashlib.blake2b(f"{record_id}\x1f{version}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def key_column() -> COLUMN:
    """The numeric column holding :func:`page_key` (a field of both schemas)."""
    return COLUMN(NumericColumn("q"))


def answer_schema() -> Schema:
    analyzer = text_analyzer()
    return Schema(
        page=ID(stored=True),  # the page id: an update deletes a page's answers by it
        version=ID(),  # the page's content hash: which version of the page the answer is of
        key=key_column(),
        text=TEXT(analyzer=analyzer, phrase=True),
        role_text=TEXT(analyzer=analyzer),
        role=ID(),  # folded, for filters
        accepted=ID(),  # "1" for an accepted answer
        signal=ID(),  # "1" for an answer that is accepted or has votes: the few ranking looks at
        votes=COLUMN(NumericColumn("i")),
        shown=STORED(),  # what a listing shows: see answer_documents
    )


def answer_documents(page: QAPage) -> list[dict[str, object]]:
    """The documents of a page's answers, in page order."""
    key = page_key(page.id, page.content_hash)
    documents = []
    for n, answer in enumerate(page.answers):
        document: dict[str, object] = {
            "page": page.id, "version": page.content_hash, "key": key, "text": answer.text, "role_text": answer.role or "",
            "shown": {"n": n, "role": answer.role, "author": answer.author, "votes": answer.votes,
                      "accepted": bool(answer.accepted), "date": answer.date, "question": page.question,
                      "topic": page.topic, "source": page.source, "url": page.url},
        }
        if answer.role and fold(answer.role):  # an empty ID value would index an empty term
            document["role"] = fold(answer.role)
        if answer.accepted:
            document["accepted"] = "1"
        if answer.accepted or answer.votes:
            document["signal"] = "1"
        if answer.votes:
            document["votes"] = max(-2**31, min(2**31 - 1, int(answer.votes)))
        documents.append(document)
    return documents


def path(generation: str) -> str:
    return os.path.join(generation, ANSWERS_DIR)


def create(generation: str) -> whoosh_index.Index:
    """An empty answer index inside a new generation directory."""
    os.makedirs(path(generation), exist_ok=True)
    return whoosh_index.create_in(path(generation), answer_schema())


def open_answers(generation: str) -> whoosh_index.Index:
    return whoosh_index.open_dir(path(generation))


def add_versions(writer, pages: list[QAPage]) -> None:
    """Add the answers of these versions of pages (replacing any of the same version: a sync
    that failed half way may have added them)."""
    from whoosh import query as wq

    for page in pages:
        writer.delete_by_query(wq.And([wq.Term("page", page.id), wq.Term("version", page.content_hash)]))
        for fields in answer_documents(page):
            writer.add_document(**fields)


def drop_other_versions(writer, pages: list[QAPage], deleted: Iterable[str]) -> None:
    """Delete the answers of deleted pages and of every other version of these pages."""
    from whoosh import query as wq

    for record_id in deleted:
        writer.delete_by_term("page", record_id)
    for page in pages:
        writer.delete_by_query(wq.AndNot(wq.Term("page", page.id), wq.Term("version", page.content_hash)))


def documents_of(pages: Iterable[QAPage]) -> Iterable[dict[str, object]]:
    for page in pages:
        yield from answer_documents(page)
