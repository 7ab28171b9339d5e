"""JSON whose text can be inlined in a page or printed to a terminal: one rule for every output."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# Characters that JSON may carry raw but a reader of the output must not get raw: C1 controls
# and line separators (terminals, JavaScript), <, >, & (an HTML page that inlines the JSON),
# and lone surrogates (a query typed in bytes that are not UTF-8), which cannot even be printed.
# Outside strings JSON has none of them, so replacing them in the text changes no value.
# <, > and & (every snippet's <em>) are replaced in C first: a call per character was most of it.
_RARE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# The same characters in UTF-8 (orjson refuses lone surrogates: they never reach the bytes).
_RARE_UTF8 = re.compile(b"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]")
# A byte each of them holds (U+2028 and U+2029 end in \xa8 and \xa9): one byte is found by a
# memchr scan, where a three-byte sequence took a search 20 times slower (most bodies hold '…',
# which starts as they do).
_RARE_BYTES = (b"\x7f", b"\xc2", b"\xa8", b"\xa9")
# Subclasses, dataclasses and dates go to json.dumps, which writes or refuses them as before.
_LIKE_JSON_DUMPS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS


def json_safe(text: str) -> str:
    r"""JSON text with the characters above written as ``\uXXXX`` escapes: the same data.

    >>> json_safe('{"q": "<b>\x9b"}')
    '{"q": "\\u003cb\\u003e\\u009b"}'
    """
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if text.isascii() and "\x7f" not in text:  # none of the rare ones (a flag and one fast scan)
        return text
    return _RARE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def compact_json(content: Any, plain: bool = False) -> bytes:
    r"""``json_safe(json.dumps(content, ensure_ascii=False, separators=(",", ":")))`` in UTF-8.

    ``plain``: the caller knows ``content`` holds only JSON's own types (dicts with string
    keys, lists, tuples, strings, whole numbers, booleans, None) and floats that are 0 or
    finite and at least 0.0001 in size (scores rounded to 4 places). Then orjson writes it,
    about 8 times faster and byte for byte the same: both keep the keys' order, write text
    as it is but for the same escapes, and floats as the shortest digits that read back as
    the float (they differ only for NaN, infinities and floats under 0.0001). What orjson
    refuses (lone surrogates, numbers over 64 bits, other types) goes to json.dumps.

    >>> compact_json({"q": "a<b", "score": 1.5, "n": None}, plain=True)
    b'{"q":"a\\u003cb","score":1.5,"n":null}'
    """
    if plain:
        try:
            return _safe_utf8(orjson.dumps(content, option=_LIKE_JSON_DUMPS))
        except orjson.JSONEncodeError:
            pass
    return json_safe(json.dumps(content, ensure_ascii=False, separators=(",", ":"))).encode("utf-8")


def _safe_utf8(body: bytes) -> bytes:
    """:func:`json_safe` of UTF-8 JSON bytes."""
    body = body.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")
    if any(byte in body for byte in _RARE_BYTES):  # none: none of them (the pattern checks the rest)
        return _RARE_UTF8.sub(lambda m: b"\\u%04x" % ord(m.group().decode("utf-8")), body)
    return body
