"""Records from the store as the engine's xmlpipe2 feeds, one file per shard.

Text fields are analysed here by healthqa's own analyzer and written as space-separated
terms, so the engine indexes exactly the terms the Whoosh index holds. Each record gets a
63-bit document id from its record id (the engine needs integers); the record id itself is
the ``rid`` string attribute.

>>> engine_terms("The feet hurt, 3.5 mg")
'feet hurt 35 mg'
>>> doc_id("medquad/0001") == doc_id("medquad/0001") > 0
True
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Iterable
from xml.sax.saxutils import escape

from healthqa.index.answers import fold
from healthqa.index.cluster.engine_config import FIELDS, Paths
from healthqa.index.cluster.layout import Layout
from healthqa.index.schema import spelling_analyzer, text_analyzer
from healthqa.index.writer import document
from healthqa.ingest.record import QAPage

_ANALYZER = text_analyzer()
_SPELLING = spelling_analyzer()
_NOT_WORD = re.compile(r"\W+")
_BAD_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n<sphinx:docset>\n'


def engine_terms(text: str) -> str:
    """``text`` as the index's terms, each reduced to word characters (the engine splits on the rest)."""
    terms = (_NOT_WORD.sub("", t.text) for t in _ANALYZER(text or ""))
    return " ".join(t for t in terms if t)


def doc_id(record_id: str) -> int:
    """A stable positive 63-bit document id for a record id."""
    return int.from_bytes(hashlib.blake2b(record_id.encode("utf-8"), digest_size=8).digest(), "big") >> 1 or 1


def role_id(role: str) -> int:
    """The number a role is filtered and counted by (its folded spelling's crc32)."""
    return zlib.crc32(fold(role).encode("utf-8"))


def index_terms(text: str) -> str:
    """The analyzer's terms of ``text`` as they are, space-separated (what reranking compares)."""
    return " ".join(t.text for t in _ANALYZER(text or ""))


def _text(value: object) -> str:
    return escape(_BAD_XML.sub("", str(value)))


def document_xml(page: QAPage, shard: int, fields: dict | None = None) -> str:
    """One ``<sphinx:document>`` of a record (``fields``: its index document, if made already)."""
    fields = fields or document(page)
    parts = [f"<{name}>{engine_terms(str(fields[name]))}</{name}>" for name in FIELDS]
    attrs = {"rid": page.id, "source": page.source, "topic_name": page.topic or "", "topic_key": fold(page.topic),
             "qtype": page.question_type or "", "answers": len(page.answers), "shard": shard,
             "signals": int(any(a.accepted or a.votes for a in page.answers)),
             "roles": ",".join(str(role_id(r)) for r in page.roles), "topic_terms": index_terms(page.topic or ""),
             "synonym_terms": index_terms("\n".join(page.synonyms)), "qkey": page.question_key}
    parts += [f"<{name}>{_text(value)}</{name}>" for name, value in attrs.items()]
    return f'<sphinx:document id="{doc_id(page.id)}">{"".join(parts)}</sphinx:document>\n'


@dataclass
class Vocabulary:
    """Names the engine's facets show and the words questions are read against: each folded
    topic and role in its most common spelling, and every synonym; for did-you-mean, the
    pages each word of the spelling field is on (as the Whoosh index's ``spell`` field: the
    engine cannot list its dictionary); and the answers' average length in words."""

    topics: dict[str, Counter] = field(default_factory=dict)
    roles: dict[int, Counter] = field(default_factory=dict)
    synonyms: set[str] = field(default_factory=set)
    spell: Counter = field(default_factory=Counter)
    answers: int = 0
    answer_words: int = 0

    def add(self, page: QAPage, spell_text: str = "") -> None:
        if page.topic:
            self.topics.setdefault(fold(page.topic), Counter())[page.topic] += 1
        for role in page.roles:
            self.roles.setdefault(role_id(role), Counter())[role] += 1
        self.synonyms.update(page.synonyms)
        self.spell.update({t.text for t in _SPELLING(spell_text)})
        self.answers += len(page.answers)
        self.answer_words += sum(len((a.text or "").split()) for a in page.answers)

    def to_dict(self) -> dict:
        def named(spellings: Counter) -> str:
            return min(spellings, key=lambda s: (-spellings[s], s))

        return {"topics": {k: named(v) for k, v in sorted(self.topics.items())},
                "roles": {str(k): named(v) for k, v in sorted(self.roles.items())},
                "synonyms": sorted(self.synonyms), "spell": dict(sorted(self.spell.items())),
                "average_answer": self.answer_words / self.answers if self.answers else 0.0}


def write_feeds(pages: Iterable[QAPage], layout: Layout, paths: Paths, part: str,
                killed: Iterable[str] = (), vocabulary: Vocabulary | None = None) -> list[int]:
    """Write one xmlpipe2 feed per shard for ``pages`` (and, for a delta, a kill-list of the
    record ids ``killed`` hides in main); returns the records written per shard."""
    counts = [0] * len(layout.shards)
    with ExitStack() as stack:
        feeds: list[IO[str]] = [stack.enter_context(open(paths.feed(s, part) + ".tmp", "w", encoding="utf-8"))
                                for s in range(len(layout.shards))]
        for feed in feeds:
            feed.write(_HEADER)
        for page in pages:
            shard, fields = layout.shard_of(page.id), document(page)
            feeds[shard].write(document_xml(page, shard, fields))
            counts[shard] += 1
            if vocabulary is not None:
                vocabulary.add(page, str(fields["spell"]))
        by_shard: list[list[str]] = [[] for _ in feeds]
        for record_id in killed:
            by_shard[layout.shard_of(record_id)].append(f"<id>{doc_id(record_id)}</id>")
        for feed, ids in zip(feeds, by_shard):
            feed.write(f"<sphinx:killlist>{''.join(ids)}</sphinx:killlist>\n" if ids else "")
            feed.write("</sphinx:docset>\n")
    for shard in range(len(layout.shards)):
        os.replace(paths.feed(shard, part) + ".tmp", paths.feed(shard, part))
    return counts
