"""Parser for MedQuAD XML: one :class:`QAPage` per question-answer pair of a document.

Record ids follow the published judgments (``<Source>_<file stem>_Sec<position>``,
e.g. ``GARD_0004375_Sec1``), so a qrels line maps straight to a record and a record
back to its file and pair. Tag names are matched without case: a few files use
``qaPairs/pair/question``.
"""

from __future__ import annotations

import os
import re

from lxml import etree

from healthqa.ingest.errors import ParseError
from healthqa.ingest.normalise import clean_line, clean_optional, clean_text, clean_unique, clean_url
from healthqa.ingest.record import Answer, QAPage

# The judged-answer ids abbreviate one source name.
_ID_PREFIX = {"MPlusHerbsSupplements": "MPlusHerbsSuppls"}
_ROOTS = {"document", "doc", "diseasefile"}  # the casings and names MedQuAD files use
# The text is decoded already and handed to lxml as UTF-8: the declaration must say so, or lxml
# decodes it again by the name the page declared (mojibake, or "Unsupported encoding").
_DECLARED_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"'>]*\2""")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


def looks_like_medquad(text: str) -> bool:
    """True when the text starts like a MedQuAD document."""
    head = text[:2000].lower()
    return any(f"<{name}" in head for name in _ROOTS) and "<qapairs" in text[:500_000].lower()


def record_id(source: str, origin: str, position: int) -> str:
    """The judgment-compatible id of the pair at 1-based ``position`` in file ``origin``."""
    stem = os.path.splitext(os.path.basename(origin))[0]
    return f"{_ID_PREFIX.get(source, source)}_{stem}_Sec{position}"


def parse_medquad(text: str, origin: str) -> list[QAPage]:
    """Parse one MedQuAD XML document into one record per QA pair.

    >>> xml = ('<Document id="1" source="GARD" url="http://x"><Focus>Acne</Focus><QAPairs>'
    ...        '<QAPair pid="1"><Question qid="1-1" qtype="information">What is Acne ?</Question>'
    ...        '<Answer>Spots.</Answer></QAPair></QAPairs></Document>')
    >>> [(p.id, p.topic, p.answers[0].text) for p in parse_medquad(xml, "2_GARD_QA/0000001.xml")]
    [('GARD_0000001_Sec1', 'Acne', 'Spots.')]
    """
    root = _parse_xml(text, origin)
    doc = _Doc(root)
    # Cleaned like any text: XML allows C1 control characters in attributes, and the source names ids.
    source = clean_optional(root.get("source")) or clean_optional(root.get("corpus")) or "MedQuAD"
    pages = []
    for position, pair in enumerate(doc.pairs, start=1):
        page = _pair_record(doc, pair, source, origin, position)
        if page is not None:
            pages.append(page)
    if not pages:
        raise ParseError("MedQuAD document has no question-answer pairs", origin)
    return pages


def _parse_xml(text: str, origin: str) -> etree._Element:
    try:
        utf8 = _DECLARED_ENCODING.sub(r"\1\2utf-8\2", text[:500], count=1) + text[500:]
        root = etree.fromstring(utf8.encode("utf-8"), _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"malformed XML: {exc}", origin) from None
    if root is None or _local(root.tag) not in _ROOTS:
        raise ParseError("XML is not a MedQuAD <Document>", origin)
    return root


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _text(node: etree._Element | None) -> str:
    return "".join(node.itertext()) if node is not None else ""


def _child(node: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in node if _local(c.tag) == name), None)


class _Doc:
    """One document's focus, synonyms and QA pairs, found in a single walk of the tree."""

    def __init__(self, root: etree._Element):
        focus, synonyms, self.pairs = None, [], []
        for element in root.iter():
            tag = _local(element.tag)
            if tag in ("focus", "doctitle-focus") and focus is None:
                focus = _text(element)
            elif tag == "synonym":
                synonyms.append(_text(element))
            elif tag in ("qapair", "pair"):
                self.pairs.append(element)
        self.focus = clean_optional(focus)
        self.synonyms = clean_unique(synonyms)
        self.url = clean_url(root.get("url"))


def _pair_record(doc: _Doc, pair: etree._Element, source: str, origin: str, position: int) -> QAPage | None:
    question_el = _child(pair, "question")
    question = clean_line(_text(question_el))
    if not question:
        return None
    answer = clean_text(_text(_child(pair, "answer")))
    return QAPage(
        id=record_id(source, origin, position),
        source=source,
        format="medquad",
        question=question,
        origin=origin,
        answers=(Answer(text=answer),) if answer else (),
        url=doc.url,
        topic=doc.focus,
        question_type=clean_optional(question_el.get("qtype")) if question_el is not None else None,
        synonyms=doc.synonyms,
    )
