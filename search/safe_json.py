"""JSON whose text can be inlined in a page or printed to a terminal: one rule for every output."""

from __future__ import annotations

import re

# Characters that JSON may carry raw but a reader of the output must not get raw: C1 controls
# and line separators (terminals, JavaScript), <, >, & (an HTML page that inlines the JSON),
# and lone surrogates (a query typed in bytes that are not UTF-8), which cannot even be printed.
# Outside strings JSON has none of them, so replacing them in the text changes no value.
# <, > and & (every snippet's <em>) are replaced in C first: a call per character was most of it.
_RARE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def json_safe(text: str) -> str:
    r"""JSON text with the characters above written as ``\uXXXX`` escapes: the same data.

    >>> json_safe('{"q": "<b>\x9b"}')
    '{"q": "\\u003cb\\u003e\\u009b"}'
    """
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if text.isascii() and "\x7f" not in text:  # none of the rare ones (a flag and one fast scan)
        return text
    return _RARE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
