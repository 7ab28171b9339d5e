"""Shared pieces of the HTML parsers: one walk over the tree, text with paragraphs, threads.

:class:`PageIndex` walks the parsed document once and files every element by tag
name, class and microdata attribute, so the extractors look things up instead of
walking the whole tree again for every BeautifulSoup search. :func:`block_text` turns
an element into text the way a browser lays it out: paragraph breaks at block
elements, line breaks at ``<br>``.
:class:`Thread` is what every extractor returns before it becomes a record.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterator

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PreformattedString

from healthqa.ingest.normalise import clean_line, clean_optional
from healthqa.ingest.record import Answer

_BLOCKS = frozenset(
    "address article aside blockquote dd details div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td "
    "tfoot th thead tr ul".split()
)
# Never reader-visible text: code, styling, and controls whose labels ("Reply", "Like")
# would otherwise end up inside answers.
_HIDDEN = frozenset(
    "script style noscript template svg head title button select option textarea input "
    "iframe object canvas".split()
)
# Where sites print a member's title beside the name.
ROLE_CLASSES = frozenset({"user_title", "RoleTitle", "usertitle", "user-title", "author-title", "user-role"})
# Membership labels, not expertise: a role facet full of "Member" helps nobody.
_NOT_ROLES = frozenset({"member", "new member", "user", "guest", "registered user"})
_PARAGRAPH = object()
_WHITESPACE = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[ \t]*\n[ \t]*")
_MANY_BREAKS = re.compile(r"\n{3,}")
_TAG = re.compile(r"</?[A-Za-z!][^>]{0,2000}>")
_BR = re.compile(r"<br\s*/?>", re.I)
_END_BLOCK = re.compile(r"</(?:p|div|li|h[1-6]|blockquote|tr|ul|ol)\s*>", re.I)


@dataclass(frozen=True)
class Thread:
    """A question post and its answers as one extractor found them (answers already cleaned)."""

    question: str | None
    format: str
    detail: str | None = None
    asked_by: str | None = None
    date: str | None = None
    answers: tuple[Answer, ...] = ()
    topic: str | None = None
    related: tuple[str, ...] = ()
    url: str | None = None
    date_iso: str | None = None
    method: str = "markup"  # how it was read: markup, layout, detector or profile

    def filled_from(self, other: Thread | None) -> Thread:
        """This thread completed from ``other``, the same thread as the page shows it.

        Schema markup often describes only the first post of a forum thread, a few of its
        replies, or an excerpt of the opening post: the page's own posts then win where
        there are more of them, and the full body wins over an excerpt.
        """
        if other is None:
            return self
        answers = self.answers
        if len(other.answers) > len(self.answers):
            answers = with_signals(other.answers, self.answers)
        detail = other.detail if _is_excerpt(self.detail, other.detail) else self.detail
        completed = answers is not self.answers or detail != self.detail
        return replace(
            self,
            question=self.question or other.question,
            detail=detail or other.detail,
            asked_by=self.asked_by or other.asked_by,
            date=self.date or other.date,
            answers=answers,
            topic=self.topic or other.topic,
            related=self.related or other.related,
            url=self.url or other.url,
            date_iso=self.date_iso or other.date_iso,
            method=f"{self.method}+{other.method}" if completed else self.method,
        )


def with_signals(posts: tuple[Answer, ...], marked: tuple[Answer, ...]) -> tuple[Answer, ...]:
    """``posts`` (the page's own) with the votes, acceptance and role of the ``marked`` answers
    (schema markup) that are the same posts: same author and the same opening words.

    Markup often carries what the visible page shows only as icons and counters; reading
    the posts from the page must not lose it. Each marked answer lends its signals once.
    """
    unused = [a for a in marked if a.votes is not None or a.accepted or a.role]
    out = []
    for post in posts:
        twin = next((a for a in unused if _same_post(a, post)), None)
        if twin is not None:
            unused.remove(twin)
            post = replace(post, votes=post.votes if post.votes is not None else twin.votes,
                           accepted=post.accepted or twin.accepted, role=post.role or twin.role)
        out.append(post)
    return tuple(out)


def _same_post(marked: Answer, post: Answer) -> bool:
    """Whether a marked answer and a page post are one post: authors agree (or one has none)
    and the marked text, an excerpt perhaps, opens the post or holds its opening words."""
    if marked.author and post.author and marked.author.casefold() != post.author.casefold():
        return False
    words, page_words = marked.text.split(), post.text.split()
    if not words or not page_words:
        return False
    head = " ".join(words[:8]).rstrip(".…")
    return head in " ".join(page_words) or " ".join(page_words[:8]) in " ".join(words)


def _is_excerpt(short: str | None, full: str | None) -> bool:
    """Whether ``short`` is missing or a cut-down start of ``full`` (an excerpt ending in "..." or mid-word)."""
    if not full:
        return False
    if not short:
        return True
    head = " ".join(short.rstrip(".… ").split()[:8])
    return len(short) < len(full) and head in " ".join(full.split())


class PageIndex:
    """Every element of a parsed page, filed by tag name, class, ``itemprop`` and ``itemscope``."""

    def __init__(self, soup: BeautifulSoup, tags: list[Tag] | None = None):
        """``tags``: every element of ``soup`` in page order, when the tree's builder listed them
        (:func:`healthqa.ingest.html_build.build_tree`); else the tree is walked for them."""
        self.soup = soup
        self.tags = tags if tags is not None else [node for node in soup.descendants if isinstance(node, Tag)]
        self.by_name: dict[str, list[Tag]] = defaultdict(list)
        self.by_class: dict[str, list[Tag]] = defaultdict(list)
        self.itemscopes: list[Tag] = []
        self.itemprops: list[Tag] = []
        self._order: dict[int, int] = {}
        self._depths = depths = {id(soup): 0}
        # One tight loop with local names: this runs over every element of every page.
        order, by_name, by_class, split = self._order, self.by_name, self.by_class, _split_classes
        for position, node in enumerate(self.tags):
            key = id(node)
            order[key] = position
            depths[key] = depths[id(node.parent)] + 1
            by_name[node.name].append(node)
            attrs = node.attrs
            if attrs:
                value = attrs.get("class")
                if value:
                    for name in split(value) if isinstance(value, str) else value:
                        by_class[name].append(node)
                if "itemscope" in attrs:
                    self.itemscopes.append(node)
                if "itemprop" in attrs:
                    self.itemprops.append(node)
        self.depth = max(depths.values())

    def subtree(self, root: Tag) -> list[Tag]:
        """``root`` and every element below it, in page order."""
        if root is self.soup:
            return [root, *self.tags]
        start, depth, depths, tags = self._order[id(root)] + 1, self._depths[id(root)], self._depths, self.tags
        end = start
        while end < len(tags) and depths[id(tags[end])] > depth:
            end += 1
        return [root, *tags[start:end]]

    def with_class(self, *names: str) -> list[Tag]:
        """Elements carrying any of ``names`` as a class, in document order, each once."""
        if len(names) == 1:
            return list(self.by_class.get(names[0], ()))
        found = {id(tag): tag for name in names for tag in self.by_class.get(name, ())}
        return [found[key] for key in sorted(found, key=self._order.__getitem__)]

    def first(self, name: str) -> Tag | None:
        tags = self.by_name.get(name)
        return tags[0] if tags else None


@lru_cache(maxsize=4096)
def _split_classes(value: str) -> tuple[str, ...]:
    """A class attribute's names (memoised: a page repeats its classes)."""
    return tuple(value.split())


def classes_of(tag: Tag) -> list[str]:
    """The element's classes, whether the tree keeps ``class`` as a list or as one string."""
    value = tag.attrs.get("class")
    if isinstance(value, str):
        return value.split()
    return list(value) if value else []


def has_class(tag: Tag, names: frozenset[str]) -> bool:
    return "class" in tag.attrs and any(name in names for name in classes_of(tag))


def find_with_class(root: Tag, names: frozenset[str], budget: int = 20_000) -> Tag | None:
    """The first element under ``root`` (or ``root`` itself) with one of the classes.

    A plain walk: bs4's ``find`` with a function filter costs several times more. The
    walk gives up after ``budget`` nodes, so that posts nested in posts cannot make a
    page cost quadratic time.
    """
    if has_class(root, names):
        return root
    for seen, node in enumerate(root.descendants):
        if seen > budget:
            break
        if isinstance(node, Tag) and has_class(node, names):
            return node
    return None


def clean_role(text: str | None) -> str | None:
    """A shown member title as a role, or ``None`` when it is blank or says nothing of expertise."""
    role = clean_optional(text)
    return None if role is None or role.casefold() in _NOT_ROLES else role


def role_near(post: Tag) -> str | None:
    """The member title a site prints inside a post's header (``div.user_title``)."""
    shown = find_with_class(post, ROLE_CLASSES)
    return clean_role(shown.get_text(" ")) if shown is not None else None


def block_text(root: Tag, bullets: bool = False, skip_classes: frozenset[str] = frozenset()) -> str:
    """The text of ``root`` laid out: ``\\n\\n`` between blocks, ``\\n`` at ``<br>``.

    With ``bullets`` each list item starts with "• ", as text renderings of pages show them.
    Elements below ``root`` with one of ``skip_classes`` are left out (a post nested in a post
    has a text of its own: read with its parent too, nested posts would cost quadratic time).

    >>> soup = BeautifulSoup("<div><p>One <b>two</b></p>three<br>four</div>", "lxml")
    >>> block_text(soup.div)
    'One two\\n\\nthree\\nfour'
    """
    out: list[str] = []
    pending_bullet = False
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if node is _PARAGRAPH:
            out.append("\n\n")
        elif isinstance(node, Tag):
            if node.name in _HIDDEN or (skip_classes and node is not root and has_class(node, skip_classes)):
                continue
            if node.name == "br":
                out.append("\n")
            elif node.name in _BLOCKS:
                out.append("\n\n")
                stack.append(_PARAGRAPH)
                pending_bullet = pending_bullet or (bullets and node.name == "li")
            stack.extend(reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            text = _WHITESPACE.sub(" ", str(node))
            if pending_bullet and text.strip():
                out.append("• ")
                text, pending_bullet = text.lstrip(), False
            out.append(text)
    return tidy_layout("".join(out))


def tidy_layout(text: str) -> str:
    """Trim spaces around line breaks and keep at most one blank line in a row."""
    return _MANY_BREAKS.sub("\n\n", _LINE_SPACES.sub("\n", text)).strip()


def markup_to_text(value: str) -> str:
    """Text of an HTML snippet held in a JSON string (JSON-LD ``text``, an app's ``body``).

    Such snippets are a post's own short markup, not a page: dropping tags after
    marking paragraph and line breaks reads them well enough without a second parse.
    """
    if "<" not in value:
        return value
    value = _BR.sub("\n", value)
    value = _END_BLOCK.sub("\n\n", value)
    return tidy_layout(_TAG.sub(" ", value))


def attribute_value(tag: Tag) -> str | None:
    """The value a microdata property carries in an attribute (``content``, ``datetime``, ...)."""
    for name in ("content", "datetime", "value"):
        value = tag.get(name)
        if isinstance(value, str) and value.strip():
            return value
    if tag.name in ("a", "link", "area"):
        return _string(tag.get("href"))
    if tag.name in ("img", "audio", "video", "source", "embed", "iframe"):
        return _string(tag.get("src"))
    return None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def date_of(tag: Tag | None, author: str | None = None) -> str | None:
    """A post's date: a ``datetime`` attribute (``<time>`` is often empty), else the shown text.

    Sites that print the author and the date in one line lose the author's name here.
    """
    if tag is None:
        return None
    time = tag if tag.name == "time" else tag.find("time")
    for candidate in (time, tag):
        if candidate is not None and _string(candidate.get("datetime")):
            return clean_line(candidate["datetime"])
    text = clean_line(tag.get_text(" "))
    if author and text.startswith(author):
        text = text[len(author):].strip()
    return text or _string(tag.get("content"))


def iter_dicts(data: object, limit: int = 50_000) -> Iterator[tuple[dict, dict | None]]:
    """Every dict inside parsed JSON with its parent dict, depth first, in document order.

    ``limit`` bounds the walk: a hostile blob cannot make one page take minutes.
    """
    stack: list[tuple[object, dict | None]] = [(data, None)]
    seen = 0
    while stack and seen < limit:
        node, parent = stack.pop()
        seen += 1
        if isinstance(node, dict):
            yield node, parent
            stack.extend((value, node) for value in reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend((value, parent) for value in reversed(node))
