"""Cut what no extractor reads out of a page's text before BeautifulSoup builds its tree.

bs4 spends tens of microseconds on every node it builds, which makes its tree most of
the cost of parsing a page. Comments, scripts, styles, icons, menus and sidebars are a
third of a forum page's nodes and never hold a question or an answer, so they go
before the (single) parse.

The scan follows the HTML tokenizer where it matters (a comment or raw-text element
ends at its first closing mark) and is linear on any input: every search starts where
the last one ended, a tag's attributes are read only up to the next ``<`` or ``>``,
and anything left unclosed ends the pruning, leaving the rest of the page untouched.
Tags that do not fit these patterns are simply kept: pruning is only ever a saving.
"""

from __future__ import annotations

import re

# Attribute text up to the tag's end; quoted values may hold anything but < and >.
# Written "unrolled" (no alternation inside a repeat) and possessive (``*+``): what follows
# it is a ">" that it can never hold, so giving text back could never make a match, and
# the engine does not try to (on the <a> and <span> tags that turn out not to be empty).
_ATTRIBUTES = r"""[^<>"']*+(?:(?:"[^"<>]*+"|'[^'<>]*+')[^<>"']*+)*+"""
_RAW_TEXT = ("script", "style", "noscript", "svg", "template")
_VOID = ("input", "img", "source", "link", "meta", "wbr")
_INLINE = ("i", "span", "a", "b", "em", "strong", "label")


def _starting(*words: str) -> str:
    """A look-ahead for the first characters of ``words``: the engine passes over text that
    starts none of them with one set test instead of trying each word there."""
    return "(?=[" + re.escape("".join(sorted({word[0] for word in words}))) + "])"


# Group 1: comment; 2, 3: raw-text element and its attributes; 4: void element;
# 5: empty inline pair (an icon, a spacer). Behind a look-ahead for the first characters of
# these names: most tags (div, p, li, td...) are passed over at once (a third of the search's time).
_UNREAD = re.compile(
    r"<" + _starting("!", *_RAW_TEXT, *_VOID, *_INLINE) + r"(?:(!--)"
    r"|(" + "|".join(_RAW_TEXT) + r")\b(" + _ATTRIBUTES + r")>"
    r"|((?:" + "|".join(_VOID) + r")\b" + _ATTRIBUTES + r">)"
    r"|((" + "|".join(_INLINE) + r")\b" + _ATTRIBUTES + r">\s*</\6\s*>))",
    re.I | re.ASCII,  # HTML names are ASCII-case-insensitive: "ſ" (long s) is not an "s"
)
_CLOSING = {name: re.compile(r"</" + name + r"\s*>", re.I | re.ASCII) for name in _RAW_TEXT}
_COMMENT_END = "-->"
# A <noscript> this large (or holding microdata) is the page served to crawlers: its
# content is the page, not a "please enable JavaScript" notice.
_CRAWLER_VIEW_CHARS = 2000
# Group 1: a kept (JSON) script opening; 2, 3: a <nav>, <aside> or <select> tag, opening or closing
# (a select is a menu: a "jump to forum" list is a twentieth of a forum page's elements).
_SECTIONS = ("nav", "aside", "select")
_SECTION = re.compile(r"<" + _starting("script", "/", *_SECTIONS) + r"(?:(script)\b" + _ATTRIBUTES
                      + r">|(/?)(" + "|".join(_SECTIONS) + r")\b" + _ATTRIBUTES + r">)", re.I | re.ASCII)
# (Behind the look-ahead, most of a sidebar's characters are passed over at once: 3x quicker.)
_KEPT_WORDS = ("itemprop", "itemscope", "breadcrumb", "author", "quote")
_WORTH_KEEPING = re.compile(_starting(*_KEPT_WORDS) + "(?:" + "|".join(_KEPT_WORDS) + ")", re.I)


def prune(text: str) -> str:
    """The page's text without comments, non-JSON scripts, styles, icons, menus and sidebars.

    Kept: JSON scripts (JSON-LD, ``__NEXT_DATA__``), the content of a ``<noscript>`` that
    holds a crawler view (microdata, or much markup), anything carrying microdata, the
    canonical link, Open Graph metadata, and ``<nav>`` / ``<aside>`` / ``<select>`` blocks that
    mention microdata, a breadcrumb, an author or a quote (some themes print quotes as asides).

    >>> prune('<p>Hi<!-- note --></p><script>var a;</script><nav><a href="/">Home</a></nav>')
    '<p>Hi </p>  '
    """
    return _drop_sections(_drop_unread(text))


def _drop_unread(text: str) -> str:
    out: list[str] = []
    done = 0
    for_search = 0
    while (match := _UNREAD.search(text, for_search)) is not None:
        end = _end_of(text, match)
        if end < 0:  # unclosed comment or script: the tokenizer reads on to the end
            break
        out += [text[done:match.start()], _replacement(match, text, end)]
        done = for_search = end
    out.append(text[done:])
    return "".join(out)


def _end_of(text: str, match: re.Match[str]) -> int:
    """Where the matched markup ends, or -1 when it never closes."""
    if match.group(1):
        end = text.find(_COMMENT_END, match.end())
        return end + len(_COMMENT_END) if end >= 0 else -1
    if match.group(2):
        closing = _CLOSING[match.group(2).lower()].search(text, match.end())
        return closing.end() if closing else -1
    return match.end()


def _replacement(match: re.Match[str], text: str, end: int) -> str:
    """What the matched markup becomes: itself when kept, its content when it is a crawler view, else a space."""
    if _kept(match, text, end):
        return text[match.start():end]
    if match.group(2) and match.group(2).lower() == "noscript":
        inner = text[match.end():_CLOSING["noscript"].search(text, match.end()).start()]
        if len(inner) > _CRAWLER_VIEW_CHARS or "itemscope" in inner:
            return inner
    return " "


def _kept(match: re.Match[str], text: str, end: int) -> bool:
    """Whether an extractor reads this markup: JSON data, microdata, the page's URL or type."""
    if match.group(1):
        return False
    if match.group(2):
        return match.group(2).lower() == "script" and "json" in match.group(3).lower()
    head = text[match.start():min(end, match.start() + 600)].lower()
    if "itemprop" in head or "itemscope" in head:
        return True
    if head.startswith("<link"):
        return "canonical" in head
    return head.startswith("<meta") and "og:" in head


def _drop_sections(text: str) -> str:
    """Remove balanced ``<nav>`` / ``<aside>`` / ``<select>`` blocks that hold nothing an extractor reads.

    Kept scripts are stepped over whole, so that markup quoted inside JSON is never
    taken for a tag; an unclosed block or script ends the pruning.
    """
    out: list[str] = []
    done = for_search = 0
    start, name, depth = -1, "", 0
    while (match := _SECTION.search(text, for_search)) is not None:
        for_search = match.end()
        if match.group(1):
            closing = _CLOSING["script"].search(text, match.end())
            if closing is None:
                break
            for_search = closing.end()
            continue
        is_closing, tag = match.group(2), match.group(3).lower()
        if start < 0:
            if not is_closing:
                start, name, depth = match.start(), tag, 1
        elif tag == name:
            depth += -1 if is_closing else 1
            if depth == 0:
                if not _WORTH_KEEPING.search(text, start, match.end()):
                    out += [text[done:start], " "]
                    done = match.end()
                start = -1
    out.append(text[done:])
    return "".join(out)
