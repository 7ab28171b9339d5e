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
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Iterator, NamedTuple

import numpy as np

from healthqa.search.memo import Memo

# Escape sequences (CSI in its 7- and 8-bit forms, and OSC such as a window-title change) whole,
# then any other control character.
_UNSAFE_FOR_TERMINAL = re.compile(
    r"(?:\x1b\[|\x9b)[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


_TEXT = itemgetter(0)  # of a part
_START = itemgetter(0)  # of a span


# A lone surrogate (a file name that is not UTF-8) cannot be written to a terminal at all.
_SURROGATE = re.compile("[\ud800-\udfff]")


def terminal_safe(text: str) -> str:
    r"""``text`` with the escape sequences and control characters a page may hold removed.

    >>> terminal_safe("Yes\x1b[2J, really\x07")
    'Yes, really'
    """
    return _SURROGATE.sub("\ufffd", _UNSAFE_FOR_TERMINAL.sub("", text))


class Snippet(NamedTuple):
    """Text with the query's matches marked (an immutable tuple with named fields: cheap to build)."""

    parts: tuple[tuple[str, bool], ...]
    matches: int

    def plain(self) -> str:
        return "".join(map(_TEXT, self.parts))

    def html(self) -> str:
        """The text escaped, matches in ``<em>``."""
        parts, plain = self.parts, self.plain()
        if "&" in plain or "<" in plain or ">" in plain or '"' in plain or "'" in plain:  # what html.escape replaces
            parts = [(html.escape(t), m) for t, m in parts]  # only one snippet in ten or so
        return "".join([f"<em>{t}</em>" if m else t for t, m in parts])

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
    return Snippet(_parts(text, spans, start, end), len(spans))


def _parts(text: str, spans: list[tuple[int, int]], start: int, end: int) -> tuple[tuple[str, bool], ...]:
    """``text[start:end]`` cut at the matches ``spans`` (sorted, none overlapping) that lie
    inside it, with an ellipsis where text is left out, on one line."""
    parts: list[tuple[str, bool]] = [("… ", False)] if start > 0 else []
    cursor = start
    for a, b in spans[bisect_left(spans, (start,)):]:
        if b > end:  # the spans end in order too
            break
        if a > cursor:
            parts.append((text[cursor:a], False))
        parts.append((text[a:b], True))
        cursor = b
    last = text[cursor:end] + (" …" if end < len(text) else "")
    if last:
        parts.append((last, False))
    if text.find("\n", start, end) < 0:
        return tuple(parts)
    # A snippet is one line: paragraph breaks inside it become spaces.
    return tuple((_one_line(t) if "\n" in t else t, m) for t, m in parts)


def _one_line(text: str) -> str:
    return " ".join(text.split(" \n")).replace("\n", " ")


def _matches(text: str, terms: frozenset[str], analyzer) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` whose analysed form is a query term, in text
    order: each distinct word of :func:`term_word_spans` analysed once, its spans taken whole."""
    heads = _heads(terms)
    words = _HEAD_WORDS[text] if heads is not None and heads.words_only else None
    if words is not None and words.ascii_words:
        # The text's remembered words by head, not needed in text order: the heads that no
        # other head begins find each word once.
        found = [item for head in heads.first for item in words[head].items()]
    else:
        found = term_word_spans(text, terms).items()
    spans: list[tuple[int, int]] = []
    known, key = _STEMS, id(analyzer)
    for word, at in found:
        if not terms.isdisjoint(known.get((key, word)) or stems(analyzer, word)):
            spans += at
    spans.sort(key=_START)  # by start alone (no two start at one place), not pair by pair
    return spans


def term_words(text: str, terms: frozenset[str]) -> list[tuple[str, tuple[int, int]]]:
    """The words of ``text`` that start like one of ``terms`` (their first three letters, in
    any case), with their spans, in text order: the only words that may analyse to a term.
    ASCII words come lower-cased (they analyse as their lower case does).

    >>> term_words("Flat feet: FEEDING", frozenset({"feet"}))
    [('feet', (5, 9)), ('feeding', (11, 18))]
    """
    found = [(word, span) for word, spans in term_word_spans(text, terms).items() for span in spans]
    found.sort(key=_span_start)
    return found


def term_word_spans(text: str, terms: frozenset[str]) -> dict[str, list[tuple[int, int]]]:
    """:func:`term_words` by word: each distinct word with its spans (read only), the words
    in the order they first occur.

    Running the analyzer over whole answers costs milliseconds each; this finds these few
    words first, and only they are analysed, each distinct word once, its spans at once.

    >>> term_word_spans("feet, Feet, FEEDING", frozenset({"feet"}))
    {'feet': [(0, 4), (6, 10)], 'feeding': [(12, 19)]}
    """
    heads = _heads(terms)
    if heads is None:
        return {}
    if not text.isascii():
        return _by_word(heads.any_case.finditer(text))
    if not heads.words_only:  # a head such as '4.5': words may overlap, found as one scan finds them
        if heads.word_start:
            return _HEAD_WORDS[text].leftmost(heads.heads)
        return _by_word(heads.lower.finditer(text.lower()))  # ASCII folds case as re.I does
    words = _HEAD_WORDS[text]  # each head's words, remembered with the text
    if len(heads.heads) == 1:
        return words[heads.heads[0]]
    # A head that begins another ('ca', 'can') finds the same words, with the same spans.
    found = {word: spans for head in heads.heads for word, spans in words[head].items()}
    return dict(sorted(found.items(), key=_first_start))


def _by_word(matches) -> dict[str, list[tuple[int, int]]]:
    found: dict[str, list[tuple[int, int]]] = {}
    for match in matches:
        found.setdefault(match.group(), []).append(match.span())
    return found


def _span_start(word: tuple[str, tuple[int, int]]) -> int:
    return word[1][0]


def _first_start(word: tuple[str, list[tuple[int, int]]]) -> int:
    return word[1][0][0]


class _HeadWords(Memo):
    """The words of one ASCII text by head: ``words[head]`` holds the words (lower case) that
    start with ``head`` (letters and digits), each with its spans, found by ``str.find`` and
    remembered: a page shown again (a popular page, another question's hit) is not scanned again."""

    def __init__(self, text: str):
        # Up to 256 heads: a page shown for many questions is asked for more than a hundred.
        super().__init__(256, self._scan)
        self.lower = text.lower()
        # Whether the words are found as in ASCII text: any other character is neither a letter
        # nor a digit nor has a case (typographic quotes and dashes), so a word is ASCII and
        # starts where ASCII text would start it, in the lower-case text at the same place.
        self.ascii_words = text.isascii() or all(
            not (c.isalnum() or c == "_") and c.lower() == c for c in set(_NON_ASCII.findall(text)))
        self._starts: Memo | None = None  # each head's word starts, for heads such as '4.5' (made on first use)

    def leftmost(self, heads: tuple[str, ...]) -> dict[str, list[tuple[int, int]]]:
        """By word, the words that the pattern of ``heads`` (longest first) finds in the lower-case
        text, leftmost first and none overlapping another, from each head's remembered places."""
        if self._starts is None:  # (two threads may both make one: either serves)
            self._starts = Memo(256, lambda head: tuple(self._word_starts(head)))
        starts = self._starts
        found = sorted((start, -len(head), end) for head in heads for start, end in starts[head])
        words: dict[str, list[tuple[int, int]]] = {}
        last = 0
        for start, _, end in found:
            if start >= last:  # at one place the longest head comes first
                words.setdefault(self.lower[start:end], []).append((start, end))
                last = end
        return words

    def _word_starts(self, head: str) -> Iterator[tuple[int, int]]:
        """Each place ``head`` (starting with a letter or digit) starts a word, and that word's end."""
        lower = self.lower
        at = lower.find(head)
        while at >= 0:
            if at and lower[at - 1] in _WORD_CHARS:  # inside a word
                at = lower.find(head, at + 1)
                continue
            end = _WORD_TAIL(lower, at + len(head)).end()
            yield at, end
            at = lower.find(head, at + 1)  # (a head such as 'a.a' may start again inside the word)

    def _scan(self, head: str) -> dict[str, list[tuple[int, int]]]:
        """The words starting with ``head`` (letters and digits only: no word holds another
        start of it), each with its spans: :meth:`_word_starts` in one loop, no generator."""
        lower, size = self.lower, len(head)
        words: dict[str, list[tuple[int, int]]] = {}
        at = lower.find(head)
        while at >= 0:
            if at and lower[at - 1] in _WORD_CHARS:  # inside a word: the next start lies past this head
                at = lower.find(head, at + size)
                continue
            end = _WORD_TAIL(lower, at + size).end()
            found = words.get(lower[at:end])
            if found is None:
                words[lower[at:end]] = [(at, end)]
            else:
                found.append((at, end))
            at = lower.find(head, end)  # a word's end is not a word character: the next word is past it
        return words or _NO_WORDS


_NO_WORDS: dict[str, list[tuple[int, int]]] = {}  # shared by every head that starts no word (read only)
_WORD_CHARS = frozenset(string.ascii_lowercase + string.digits + "_")  # \w in lower-case ASCII
_WORD_TAIL = re.compile(r"\w*").match
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# The texts of the pages shown lately (the searcher remembers 1,024 pages), by their own string.
_HEAD_WORDS = Memo(1024, _HeadWords)


@dataclass(frozen=True)
class _Heads:
    heads: tuple[str, ...]  # the terms' first three letters, longest first
    first: tuple[str, ...]  # those that no other head begins (a word starts with one of them at most)
    source: str  # the pattern of a word starting with one
    words_only: bool  # every head is letters and digits (\w)
    word_start: bool  # every head starts with a letter or digit (\w)

    # The patterns are compiled only when a search needs them (a text that is not ASCII, a head
    # such as '4.5'): most never do, and compiling two a question cost more than the scans.
    @property
    def lower(self) -> re.Pattern[str]:
        """A word starting with a head, in lower-case text (compiled once: re's own cache)."""
        return re.compile(self.source)

    @property
    def any_case(self) -> re.Pattern[str]:
        """The same in any case."""
        return re.compile(self.source, re.I)


@lru_cache(maxsize=8)  # one search's terms (its hits ask for the same), not a memo of queries
def _heads(terms: frozenset[str]) -> _Heads | None:
    """For ``terms``: their heads and the pattern of a word starting like one."""
    heads = sorted({t[:3] for t in terms if t}, key=len, reverse=True)
    if not heads:
        return None
    source = r"\b(?:" + "|".join(map(re.escape, heads)) + r")\w*"
    words_only = all(re.fullmatch(r"\w+", head, re.A) for head in heads)
    word_start = all(re.match(r"\w", head, re.A) for head in heads)
    first = tuple(head for head in heads if not any(head != other and head.startswith(other) for other in heads))
    return _Heads(tuple(heads), first, source, words_only, word_start)


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
    """Start of the window that covers the most matches: the first densest."""
    if len(spans) > _FEW_MATCHES:
        return _best_window_numpy(spans, width)
    best, most, left = 0, 0, 0
    reach = width * 0.8
    for right, (a, _) in enumerate(spans):
        while spans[left][0] < a - reach:
            left += 1
        if right - left >= most:  # covers right - left + 1 matches: more than any window before
            most, best = right - left + 1, spans[left][0]
    return max(0, best - width // 5) if most else 0


# Up to this many matches a loop costs less than numpy's fixed cost (callgrind: a snippet has 11
# on average, a few hundred at most).
_FEW_MATCHES = 40


def _best_window_numpy(spans: list[tuple[int, int]], width: int) -> int:
    """:func:`_best_window` by numpy: for each match, how many before it start within reach."""
    starts = np.fromiter(map(_START, spans), dtype=np.int64, count=len(spans))  # no list in between
    before = np.arange(len(starts)) - starts.searchsorted(starts - width * 0.8)  # as floats: exact
    right = int(before.argmax())  # the first of the most
    return max(0, int(starts[right - before[right]]) - width // 5)


def _word_start(text: str, start: int) -> int:
    if start <= 0:
        return 0
    space = text.find(" ", start)
    return space + 1 if 0 <= space < start + 30 else start
