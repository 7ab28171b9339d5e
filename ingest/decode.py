"""Bytes to text by detection: byte-order mark, then the declared charset, then a guess.

A file that is empty, binary, or in no encoding we can read is rejected with a
:class:`~healthqa.ingest.errors.DecodeError` that says which of these it is.
"""

from __future__ import annotations

import codecs
import re

from healthqa.ingest.errors import DecodeError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED = (
    re.compile(rb"""<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""", re.I),
    re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I),
)
_SNIFF = 4096
# Browsers read a page declared as Latin-1 as cp1252 (WHATWG encoding standard).
_ALIASES = {"latin1": "cp1252", "latin_1": "cp1252", "iso8859_1": "cp1252", "ascii": "cp1252"}


def declared_charset(data: bytes) -> str | None:
    """The charset a page names in its XML declaration or ``<meta>``, if any."""
    head = data[:_SNIFF * 4]
    for pattern in _DECLARED:
        match = pattern.search(head)
        if match:
            return match.group(1).decode("ascii").lower()
    return None


# Codecs Python files under text encodings that no page is written in: they transform text
# (escapes, domain names) or refuse every input ("undefined"), and raise UnicodeError, not
# UnicodeDecodeError, on bytes they do not expect.
_NOT_CHARSETS = frozenset({"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape"})


class _NotACharset(Exception):
    """A declared name that Python knows but that is no character set (rot13, base64, zlib, ...)."""


def _codec(name: str) -> str | None:
    """The codec for a charset name; ``None`` if unknown; :class:`_NotACharset` for a codec that is no charset."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # bytes.decode refuses bytes-to-bytes codecs (base64, zlib, ...) with a LookupError of its own.
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        raise _NotACharset(info.name)
    return _ALIASES.get(info.name.replace("-", "_"), info.name)


def _charset(name: str) -> str | None:
    """Like :func:`_codec`, with codecs that are no charset read as no codec at all."""
    try:
        return _codec(name)
    except _NotACharset:
        return None


# Control bytes that text never holds (tab, line feeds and form feed are text).
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32)])
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)


def _looks_binary(data: bytes) -> bool:
    head = data[:_SNIFF]
    if b"\x00" in head:
        return True
    controls = len(head.translate(None, _NOT_CONTROL_BYTES))  # counted in C, not byte by byte
    return controls > len(head) * 0.05


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """Text in UTF-16 with no byte-order mark, told by where its zero bytes fall.

    Latin-script text in UTF-16 has a zero byte in nearly every other position (the high
    byte of each character), on the odd offsets for little-endian and the even ones for
    big-endian, and almost none on the other side; binary data has its zeros anywhere.
    """
    head = data[:_SNIFF - _SNIFF % 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    for zeros, others, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros >= half * 0.3 and others <= half * 0.02:
            try:
                text = data[:len(data) - len(data) % 2].decode(name)
            except UnicodeDecodeError:
                return None
            if not _looks_binary(text.encode("utf-8", "surrogatepass")):
                return text, name
    return None


def decode_bytes(data: bytes, origin: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)`` for the bytes of one file.

    >>> decode_bytes('café'.encode('utf-8'))
    ('café', 'utf-8')
    """
    if not data.strip():
        raise DecodeError("empty file" if not data else "empty file (only white space)", origin)
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name), name
            except UnicodeDecodeError as exc:
                raise DecodeError(f"invalid {name}: bad bytes at offset {exc.start}", origin) from None
    bomless = _utf16_without_bom(data) if b"\x00" in data[:_SNIFF] else None
    if bomless:
        return bomless
    if _looks_binary(data):
        raise DecodeError("binary file (not text, HTML or XML)", origin)
    # Bytes that are valid UTF-8 win over any declaration: non-ASCII text is valid UTF-8
    # almost never by accident, while pages labelled ISO-8859-1 that serve UTF-8 are common.
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    declared = declared_charset(data)
    try:
        codec = _codec(declared) if declared else None
    except _NotACharset:
        codec = None  # a codec but no charset ("rot13", "base64"): the bytes are read by detection
    else:
        if declared and codec is None:
            raise DecodeError(f"unknown encoding {declared!r} declared", origin)
    if codec:
        try:
            return data.decode(codec), codec
        except UnicodeError:
            pass  # the declaration lies more often than detection does
    return _guess(data, origin, declared, utf8_error)


def _western(data: bytes) -> str | None:
    """The bytes as cp1252 when they read as mostly-ASCII Western text.

    Health Q&A sites are mostly Western, and statistical detectors take short Western
    samples for cp1125 and the like; text in another script read as cp1252 is nearly
    all accented letters, which the ratio below rules out.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    letters = sum(1 for ch in text if ch.isalpha())
    foreign = sum(1 for ch in text if ord(ch) > 127 and ch.isalpha())
    return text if letters and foreign <= letters * 0.15 else None


def _guess(data: bytes, origin: str | None, declared: str | None, utf8_error: UnicodeDecodeError) -> tuple[str, str]:
    western = _western(data)
    if western is not None:
        return western, "cp1252"
    from charset_normalizer import from_bytes  # imported late: only needed for odd files

    # No BOM and no NUL bytes rule out UTF-16/32, which short samples are often taken for.
    excluded = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"]
    matches = from_bytes(data[:1_000_000], cp_exclusion=excluded)
    best = matches.best()
    if best is None or best.encoding is None:
        what = f"declared {declared!r} but " if declared else ""
        raise DecodeError(f"invalid encoding: {what}not valid UTF-8 (offset {utf8_error.start}) and no other encoding fits", origin)
    codec = _charset(best.encoding)
    if codec is None:
        raise DecodeError("invalid encoding: bytes fit neither UTF-8 nor a known charset", origin)
    try:
        return data.decode(codec), codec
    except UnicodeError:
        raise DecodeError(f"invalid encoding: bytes fit neither UTF-8 nor {codec}", origin) from None
