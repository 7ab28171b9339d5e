"""Which parser reads a file, decided by its content (never by its name)."""

from __future__ import annotations

import re
from typing import Callable

from healthqa.ingest.errors import ParseError, RejectedInput, one_line_reason
from healthqa.ingest.medquad import looks_like_medquad, parse_medquad
from healthqa.ingest.record import QAPage
from healthqa.ingest.text import parse_text

Parser = Callable[[str, str], list[QAPage]]
_HTML = re.compile(r"<(?:!doctype\s+html|html|head|body|meta|div|p|script|article|main)\b", re.I)


def _parse_html(text: str, origin: str, profiles: tuple = ()) -> list[QAPage]:
    from healthqa.ingest.html import parse_html  # bs4 is slow to import; only HTML needs it

    return parse_html(text, origin, profiles)


PARSERS: dict[str, Parser] = {"medquad": parse_medquad, "html": _parse_html, "text": parse_text}


def detect_format(text: str) -> str:
    """``"medquad"``, ``"html"`` or ``"text"``; raises for content no parser reads."""
    head = text[:4096].lstrip()
    if head.startswith("<?xml") or head[:200].lower().lstrip().startswith("<document"):
        if looks_like_medquad(text):
            return "medquad"
        if not _HTML.search(head):
            raise ParseError("XML that is not a MedQuAD document")
    if _HTML.search(head):
        return "html"
    if head.startswith(("{", "[")):
        raise ParseError("JSON data, not a Q&A page")
    return "text"


def parse_document(text: str, origin: str, profiles: tuple = ()) -> tuple[str, list[QAPage]]:
    """Detect the format of decoded ``text`` and parse it: ``(format, records)``.

    ``profiles`` (extraction profiles, ``--profile``) are passed to the HTML parser.

    Raises :class:`~healthqa.ingest.errors.RejectedInput` with a reason; never anything else.
    """
    try:
        fmt = detect_format(text)
        pages = _parse_html(text, origin, profiles) if fmt == "html" and profiles else PARSERS[fmt](text, origin)
    except RejectedInput as exc:
        exc.origin = exc.origin or origin
        raise
    except RecursionError:
        raise ParseError("markup nested too deeply to read", origin) from None
    except Exception as exc:  # a parser bug must cost one file, not the batch
        raise ParseError(f"parser failed: {one_line_reason(exc)}", origin) from None
    if not pages:
        raise ParseError("no question found", origin)
    return fmt, pages
