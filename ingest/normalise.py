"""The single place where text is normalised.

Every parser passes what it extracts through :func:`clean_text` (running text,
paragraphs kept) or :func:`clean_line` (names, roles, questions), so records from
every format share one form: HTML entities decoded, cp1252 characters that were
mis-decoded as Latin-1 repaired, Unicode NFC, tidy whitespace, no control
characters. Both functions are idempotent.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Callable, Iterable
from urllib.parse import quote, urlsplit

def _cp1252(code: int) -> str:
    try:
        return bytes([code]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d are unassigned in cp1252
        return ""


# U+0080..U+009F are C1 controls that never occur in real text; in scraped pages they
# are cp1252 bytes (’ “ ” – …) that somebody decoded as Latin-1. One translate table
# repairs them and drops other control characters in a single pass.
_REPAIR = {code: _cp1252(code) for code in range(0x80, 0xA0)}
_CONTROLS = {code: None for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}
_CONTROLS.update({0x200B: None, 0xFEFF: None, 0xFFFE: None, 0x0D: "\n"})
# Lone surrogates are no text (JSON's "\ud800" makes one); they cannot even be written as UTF-8.
_CONTROLS.update({code: None for code in range(0xD800, 0xE000)})
_PARAGRAPH_BREAK = re.compile(r"\s*\n\s*\n\s*")
# What the two tables change: most text has none of it, and a regex search in C is
# cheaper than ``str.translate`` with a dict, which looks up every character in Python.
_TO_REPAIR = re.compile("[\x80-\x9f]")
_TO_STRIP = re.compile("[\x00-\x08\x0b-\x1f\x7f\u200b\ufeff\ufffe\ud800-\udfff]")


def repair_cp1252(text: str) -> str:
    """Turn C1 controls (cp1252 bytes read as Latin-1) back into their characters."""
    return text.translate(_REPAIR) if _TO_REPAIR.search(text) else text


def unescape_entities(text: str) -> str:
    """Decode HTML entities to a fixed point, so double escapes (``&amp;amp;``) go too.

    Each round that changes anything shortens the text, so the loop ends.
    """
    while "&" in text:
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def strip_controls(text: str) -> str:
    """Drop control characters and lone surrogates (tabs and newlines stay; CR becomes LF)."""
    return text.replace("\r\n", "\n").translate(_CONTROLS) if _TO_STRIP.search(text) else text


def nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def tidy_paragraphs(text: str) -> str:
    """Collapse runs of white space, keep paragraph breaks (blank lines) as ``\\n\\n``."""
    if "\n" not in text:
        return " ".join(text.split())
    paragraphs = (" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def tidy_line(text: str) -> str:
    """Collapse every run of white space, line breaks included, to one space."""
    return " ".join(text.split())


def compose(*steps: Callable[[str], str]) -> Callable[[str], str]:
    """Chain small cleaning steps left to right (as itemloaders' ``MapCompose``)."""

    def run(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return run


# Controls go before entity decoding (so they cannot hide an entity) and again after it
# (``&#1;`` decodes to one); NFC comes last because removing characters can leave a
# base letter next to a combining mark.
_BASE = compose(strip_controls, unescape_entities, repair_cp1252, strip_controls, nfc)
_MAX_ROUNDS = 8


def settle(text: str) -> str:
    """The base steps repeated until nothing changes, so that cleaning twice is cleaning once.

    Removing a character can join the halves of an entity (``&am\\x81p;`` -> ``&amp;``),
    so while an ``&`` is left another round runs; without one a round is final.
    """
    cleaned = _BASE(text)
    for _ in range(_MAX_ROUNDS):
        if "&" not in cleaned:
            break
        again = _BASE(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


clean_text: Callable[[str], str] = compose(settle, tidy_paragraphs)
clean_line: Callable[[str], str] = compose(settle, tidy_line)


def clean_optional(text: str | None) -> str | None:
    """:func:`clean_line` that maps ``None`` and blank text to ``None``."""
    if text is None:
        return None
    cleaned = clean_line(text)
    return cleaned or None


def clean_unique(items: Iterable[str]) -> tuple[str, ...]:
    """Clean lines, drop blanks and case-insensitive duplicates, keep first order."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        cleaned = clean_line(item)
        key = cleaned.casefold()
        if cleaned and key not in seen:
            seen.add(key)
            out.append(cleaned)
    return tuple(out)


def question_key(question: str) -> str:
    """A question reduced for duplicate detection: case, punctuation and spacing folded."""
    folded = clean_line(question).casefold()
    return " ".join(re.findall(r"\w+", folded))


def slug(text: str, limit: int = 60) -> str:
    """Lower-case ASCII-ish slug of ``text`` for readable ids."""
    folded = unicodedata.normalize("NFKD", clean_line(text).casefold())
    ascii_only = folded.encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_only)
    out = "-".join(words)
    return out[:limit].rstrip("-")


_URL_ENDS = re.compile(r"^[\s\x00-\x20]+|[\s\x00-\x20]+$")
_URL_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_url(value: object) -> str | None:
    """An ``http(s)`` URL as a browser reads it, or ``None`` for anything else.

    Spaces and control characters at the ends go, tabs and line breaks inside go
    (the WHATWG URL standard), and any other control character is percent-encoded:
    a URL becomes a record's id, which is printed and must stay one clean line.

    >>> clean_url(" https://example.org/a\\nb\\x1b[2J ")
    'https://example.org/ab%1B[2J'
    >>> clean_url("javascript:alert(1)") is None
    True
    >>> clean_url("https://[not-a-host/") is None
    True
    """
    if not isinstance(value, str):
        return None
    url = _URL_ENDS.sub("", value).replace("\t", "").replace("\n", "").replace("\r", "")
    url = _SURROGATES.sub("", url)
    if not url.lower().startswith(("http://", "https://")):
        return None
    url = _URL_CONTROLS.sub(lambda m: quote(m.group(), safe=""), url)
    try:
        urlsplit(url).port  # reading the host and port raises for what no browser would open ("http://[x")
    except ValueError:
        return None
    return url
