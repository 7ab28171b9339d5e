"""Snippets: the part of a text where the query's words are densest, matches marked.

A snippet is a sequence of ``(text, matched)`` parts, rendered for a browser
(:meth:`Snippet.html`: the page's own ``<``, ``>`` and ``&`` escaped before any
emphasis is added), for a terminal (:meth:`Snippet.ansi`: control characters and
escape sequences from pages removed) or as plain text.
"""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass
from functools import cached_property, lru_cache

from healthqa.search.memo import Memo

# Escape sequences (CSI in its 7- and 8-bit forms, and OSC such as a window-title change) whole,
# then any other control character.
_UNSAFE_FOR_TERMINAL = re.compile(
    r"(?:\x1b\[|\x9b)[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# A lone surrogate (a file name that is not UTF-8) cannot be written to a terminal at all.
_SURROGATE = re.compile("[\ud800-\udfff]")


def terminal_safe(text: str) -> str:
    r"""``text`` with the escape sequences and control characters a page may hold removed.

    >>> terminal_safe("Yes\x1b[2J, really\x07")
    'Yes, really'
    """
    return _SURROGATE.sub("\ufffd", _UNSAFE_FOR_TERMINAL.sub("", text))


@dataclass(frozen=True)
class Snippet:
    """Text with the query's matches marked."""

    parts: tuple[tuple[str, bool], ...]
    matches: int

    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)

    def html(self) -> str:
        """The text escaped, matches in ``<em>`` (remembered: a hit shows its first answer's twice)."""
        return self._html

    @cached_property
    def _html(self) -> str:
        return "".join(f"<em>{html.escape(t)}</em>" if m else html.escape(t) for t, m in self.parts)

    def ansi(self, color: bool = True) -> str:
        safe = terminal_safe
        if not color:
            return "".join(f"[{safe(t)}]" if m else safe(t) for t, m in self.parts)
        return "".join(f"\x1b[1m{safe(t)}\x1b[0m" if m else safe(t) for t, m in self.parts)


def make_snippet(text: str, terms: frozenset[str], analyzer, width: int = 240) -> Snippet:
    """The ``width``-character window of ``text`` holding the most query terms.

    >>> from healthqa.index.schema import text_analyzer
    >>> make_snippet("Feet hurt. Flat feet can cause back pain.", frozenset({"back"}), text_analyzer(), 40).plain()
    '… hurt. Flat feet can cause back pain.'
    """
    if not text:
        return Snippet((), 0)
    spans = _matches(text, terms, analyzer) if terms else []
    # A match near the end still gets a full window: it starts early enough to fill the width.
    start = min(_best_window(spans, width), max(0, len(text) - width))
    start = _word_start(text, start)
    end = min(len(text), start + width)
    if end < len(text):
        end = max(text.rfind(" ", start, end), start + width // 2)
    inside = [(a, b) for a, b in spans if a >= start and b <= end]
    parts: list[tuple[str, bool]] = [("… ", False)] if start > 0 else []
    cursor = start
    for a, b in inside:
        if a > cursor:
            parts.append((text[cursor:a], False))
        parts.append((text[a:b], True))
        cursor = b
    parts.append((text[cursor:end] + (" …" if end < len(text) else ""), False))
    # A snippet is one line: paragraph breaks inside it become spaces.
    return Snippet(tuple((_one_line(t) if "\n" in t else t, m) for t, m in parts if t), len(spans))


def _one_line(text: str) -> str:
    return " ".join(text.split(" \n")).replace("\n", " ")


def _matches(text: str, terms: frozenset[str], analyzer) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` whose analysed form is a query term: the
    matches of :func:`term_words`' scan, each distinct word analysed once, in one pass."""
    spans, wanted = [], {}
    for word, span in term_words(text, terms):
        keep = wanted.get(word)
        if keep is None:
            keep = wanted[word] = not terms.isdisjoint(stems(analyzer, word))
        if keep:
            spans.append(span)
    return spans


def term_words(text: str, terms: frozenset[str]) -> list[tuple[str, tuple[int, int]]]:
    """The words of ``text`` that start like one of ``terms`` (their first three letters, in
    any case), with their spans: the only words that may analyse to a term. ASCII words
    come lower-cased (they analyse as their lower case does).

    Running the analyzer over whole answers costs milliseconds each; this finds these few
    words first, and only they are analysed, each distinct word once.

    >>> term_words("Flat feet: FEEDING", frozenset({"feet"}))
    [('feet', (5, 9)), ('feeding', (11, 18))]
    """
    heads = _heads(terms)
    if heads is None:
        return []
    if not text.isascii():
        return [(m.group(), m.span()) for m in heads.any_case.finditer(text)]
    if not heads.words_only:  # a head such as 'e.g': one scan of lower-case text for them all
        lower = text.lower()  # ASCII folds case exactly as re.I does: a case-sensitive scan is faster
        return [(m.group(), m.span()) for m in heads.lower.finditer(lower)]
    words = _HEAD_WORDS[text]  # each head's words, remembered with the text
    if len(heads.heads) == 1:
        return list(words[heads.heads[0]])
    found = [word for head in heads.heads for word in words[head]]
    if heads.nested:  # a head that begins another ('ca', 'can') finds the same words: once
        return [(word, span) for span, word in sorted({span: word for word, span in found}.items())]
    found.sort(key=_span_start)  # in text order
    return found


def _span_start(word: tuple[str, tuple[int, int]]) -> int:
    return word[1][0]


class _HeadWords(Memo):
    """The words of one ASCII text by head: ``words[head]`` holds the words (lower case) that
    start with ``head`` (letters and digits) with their spans, found by ``str.find`` and
    remembered: a page shown again (a popular page, another question's hit) is not scanned again."""

    def __init__(self, text: str):
        super().__init__(64, self._scan)
        self.lower = text.lower()

    def _scan(self, head: str) -> tuple[tuple[str, tuple[int, int]], ...]:
        lower, words = self.lower, []
        find = lower.find
        at = find(head)
        while at >= 0:
            if at and lower[at - 1] in _WORD_CHARS:  # inside a word
                at = find(head, at + 1)
                continue
            end = _WORD_TAIL(lower, at + len(head)).end()
            words.append((lower[at:end], (at, end)))
            at = find(head, end)
        return tuple(words)


_WORD_CHARS = frozenset(string.ascii_lowercase + string.digits + "_")  # \w in lower-case ASCII
_WORD_TAIL = re.compile(r"\w*").match
# The texts of the pages shown lately (the searcher remembers 1,024 pages), by their own string.
_HEAD_WORDS = Memo(1024, _HeadWords)


@dataclass(frozen=True)
class _Heads:
    heads: tuple[str, ...]  # the terms' first three letters, longest first
    lower: re.Pattern[str]  # a word starting with one, in lower-case text
    any_case: re.Pattern[str]  # the same in any case
    words_only: bool  # every head is letters and digits (\w)
    nested: bool  # a head begins another (a two-letter term and a longer one)


@lru_cache(maxsize=256)
def _heads(terms: frozenset[str]) -> _Heads | None:
    """For ``terms``: their heads and the pattern of a word starting like one."""
    heads = sorted({t[:3] for t in terms if t}, key=len, reverse=True)
    if not heads:
        return None
    source = r"\b(?:" + "|".join(map(re.escape, heads)) + r")\w*"
    words_only = all(re.fullmatch(r"\w+", head, re.A) for head in heads)
    nested = any(a != b and b.startswith(a) for a in heads for b in heads)
    return _Heads(tuple(heads), re.compile(source), re.compile(source, re.I), words_only, nested)


_STEMS: dict[tuple[int, str], frozenset[str]] = {}


def stems(analyzer, word: str) -> frozenset[str]:
    """The analysed forms of one word, remembered (the same words recur across answers)."""
    key = (id(analyzer), word)
    found = _STEMS.get(key)
    if found is None:
        if len(_STEMS) > 200_000:
            _STEMS.clear()
        found = _STEMS[key] = frozenset(t.text for t in analyzer(word, mode="index"))
    return found


def _best_window(spans: list[tuple[int, int]], width: int) -> int:
    """Start of the window that covers the most matches (two-pointer sweep)."""
    best, best_count, left = 0, 0, 0
    for right, (a, _) in enumerate(spans):
        while spans[left][0] < a - width * 0.8:
            left += 1
        if right - left + 1 > best_count:
            best_count, best = right - left + 1, spans[left][0]
    return max(0, best - width // 5) if best_count else 0


def _word_start(text: str, start: int) -> int:
    if start <= 0:
        return 0
    space = text.find(" ", start)
    return space + 1 if 0 <= space < start + 30 else start
