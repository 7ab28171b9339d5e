"""Reading one post the detector found: its author, body, date and role.

The body is the largest block of the post with no author or date cue, passing over the
author's column, signatures, toolbars and quotes of other posts; quotes inside it are
kept, marked ``> ``. Features and weights come from :mod:`healthqa.ingest.html_features`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

from bs4 import Tag
from bs4.element import NavigableString, PreformattedString

from healthqa.ingest.html_dates import iso_date
from healthqa.ingest.html_features import (
    AVATAR_CLASS, BLOCK_TAGS, DATE_CLASS, DATE_TEXT, DROP_CLASS, EMPTY, LAYOUT_BREAKS, QUOTE_CLASS, QUOTE_TAGS, RANK_CLASS, ROLE_CLASS, SKIPPED, WEIGHTS, WHITESPACE,
    DetectorWeights, Stats, author_classed, has_class_match, inside, is_author_cue, is_date_cue, own_text,
)
from healthqa.ingest.html_tree import clean_role, tidy_layout
from healthqa.ingest.normalise import clean_optional, clean_text


@dataclass(frozen=True)
class DetectedPost:
    text: str
    author: str | None
    role: str | None
    date: str | None
    date_iso: str | None




def read_post(parts: list[Tag], stats: dict[int, Stats], timed: set[int] | None = None) -> DetectedPost | None:
    """The post printed by ``parts`` (one element, or a header row and a text row), or ``None``
    when it holds no text. ``timed``: the ids of the elements that hold a ``<time>``, when known."""
    author_tag = next((a for a in (_author_of(part, stats) for part in parts) if a is not None), None)
    author = _name_of(author_tag) if author_tag is not None else None
    body: Tag | None = _body_of(parts, author_tag, stats)
    body_text = own_text(stats, body)
    # (A post printed over two rows has its text in a row of its own: never read whole.)
    if (len(parts) == 1 and body_text < WEIGHTS.min_body_share * own_text(stats, parts[0])
            and _loose_text(body, stats) > body_text):
        # The text sits beside the header, in no element of its own: the whole post minus its header.
        header = {id(author_tag)} | {id(t) for part in parts for t in part.find_all(True) if is_date_cue(t)}
        text = clean_text("\n\n".join(_post_text(part, stats, frozenset(header)) for part in parts))
        body = None
    else:
        text = clean_text(_post_text(body, stats))
    if not text:
        return None
    around = [_Around(part, body) for part in parts]
    date = next((d for d in (_date_of(part, a, timed) for part, a in zip(parts, around)) if d), None)
    role = next((r for r in (_role_of(a, author_tag) for a in around) if r), None)
    if author is None:
        author = next((n for n in (_name_above_rank(part, body, a) for part, a in zip(parts, around)) if n), None)
    return DetectedPost(text=text, author=author, role=role, date=date, date_iso=iso_date(date) if date else None)


def holding(tags: list[Tag], name: str) -> set[int]:
    """The ids of the elements of ``tags`` (a page's, in page order) that hold a ``name`` element:
    a post's walk for one is skipped when it holds none."""
    held: set[int] = set()
    for tag in tags:
        if tag.name == name:
            parent = tag.parent
            while parent is not None and id(parent) not in held:
                held.add(id(parent))
                parent = parent.parent
    return held


def _loose_text(body: Tag, stats: dict[int, Stats]) -> int:
    """Text beside the body in the same element, in blocks with no cue: more of the post, unwrapped."""
    parent = body.parent
    if parent is None:
        return 0
    loose = 0
    for sibling in parent.contents:
        if sibling is body:
            continue
        if isinstance(sibling, Tag):
            s = stats.get(id(sibling), EMPTY)
            if not (s.authors or s.named or s.dates):
                loose += s.text - s.links
        elif isinstance(sibling, NavigableString) and not isinstance(sibling, PreformattedString):
            loose += len(sibling.strip())
    return loose




def _author_of(member: Tag, stats: dict[int, Stats]) -> Tag | None:
    """The post's author: its first profile link with a name (not an avatar), else the
    innermost author-classed element of the first one, outside quotes either way."""
    classed = None
    for node in member.descendants:
        cues = stats.get(id(node))  # (only elements have them)
        if cues is None or not (cues.authors or cues.named) or _inside_quote(node, member):
            continue
        if node.name == "a" and is_author_cue(node) and _named_link(node):
            return node
        if classed is None and node.name != "a" and author_classed(node) and stats[id(node)].text:
            classed = node
    return _innermost_author(classed, stats) if classed is not None else None


def _named_link(link: Tag) -> bool:
    return len(link.get_text(strip=True)) >= 2 and not has_class_match(link, AVATAR_CLASS)


def _innermost_author(tag: Tag, stats: dict[int, Stats]) -> Tag:
    """``div.user > h4.user-name > span.username``: the element that holds the name alone."""
    while True:
        # (The first 200 elements below, in page order, as find_all(True, limit=200) lists them.)
        below = itertools.islice((node for node in tag.descendants if isinstance(node, Tag)), 200)
        inner = next((node for node in below
                      if stats.get(id(node), EMPTY).text and (author_classed(node) or
                                                                (node.name == "a" and is_author_cue(node)))), None)
        if inner is None:
            return tag
        tag = inner


def _inside_quote(node: Tag, stop: Tag) -> bool:
    for parent in node.parents:
        if parent is stop:
            return False
        if parent.name == "blockquote" or has_class_match(parent, QUOTE_CLASS):
            return True
    return False




def _short_text(tag: Tag, limit: int) -> bool:
    return 0 < len(tag.get_text(" ", strip=True)) <= limit


def _name_of(tag: Tag) -> str | None:
    """The name an author element shows: its first piece of text (a rank or a join date may
    follow), passing over a one-letter avatar."""
    shown = tag.get_text(" ", strip=True) if tag.name == "a" else next(
        (text.strip() for text in tag.find_all(string=True, limit=50)
         if len(text.strip()) >= 2 and not isinstance(text, PreformattedString)), "")
    name = clean_optional(WHITESPACE.sub(" ", shown))
    if name is None or len(name) > WEIGHTS.max_name_chars:
        return None
    return name


def _body_of(parts: list[Tag], author_tag: Tag | None, stats: dict[int, Stats],
             weights: DetectorWeights = WEIGHTS) -> Tag:
    """The largest block of the post with no author or date cue (those are its header), else
    the largest that does not hold the author's name, else the whole post.

    A block of short items in the author's column (join date, post count: no sentence) is
    passed over for the text outside that column, however short.
    """
    body = _largest_block(parts, author_tag, stats, weights, None)
    side = _author_side(author_tag, parts, stats)
    if side is not None and (body is side or inside(body, side)) and stats[id(body)].prose < weights.min_prose_chars:
        outside = _largest_block(parts, author_tag, stats, weights, side)
        if outside is not None and not (outside is side or inside(outside, side)):
            return outside
    return body


def _largest_block(parts: list[Tag], author_tag: Tag | None, stats: dict[int, Stats], weights: DetectorWeights,
                   side: Tag | None) -> Tag:
    holds_author = {id(p) for p in author_tag.parents} | {id(author_tag)} if author_tag is not None else set()
    best, best_text = None, 0
    member = parts[0]
    fallback, fallback_text = member, -1
    stack: list = list(reversed(parts if len(parts) > 1 else member.contents))
    while stack:
        node = stack.pop()
        if not isinstance(node, Tag) or node is side or _never_body(node):
            continue  # a signature, a toolbar, a quote of another post, the author's column: never the body
        s = stats.get(id(node), EMPTY)
        own = s.text - s.links
        if node.name in BLOCK_TAGS and id(node) not in holds_author:
            # Header-free: no date, no author block; a profile link only as a mention inside prose.
            header_free = not s.dates and not s.dated and not s.named and (not s.authors or s.links < 0.3 * s.text)
            if header_free and own > best_text:
                best, best_text = node, own
            if own > fallback_text:
                fallback, fallback_text = node, own
        # No block inside holds more text than this one (except inside a link): none can win.
        if own > min(best_text, fallback_text) or node.name == "a":
            stack.extend(reversed(node.contents))
    if id(member) not in holds_author and best is None:
        return member
    return best if best is not None and best_text >= weights.min_body_share * fallback_text else fallback


def _never_body(node: Tag) -> bool:
    if node.name == "blockquote":
        return True
    dropped, quote = _class_roles(node)
    return dropped or (quote and node.name in QUOTE_TAGS)


def _class_roles(tag: Tag) -> tuple[bool, bool]:
    """Whether the element's class marks what a post's text leaves out (a signature, a toolbar...),
    and whether it marks a quote."""
    value = tag.attrs.get("class")
    if not value:
        return False, False
    return _class_roles_of(value if isinstance(value, str) else " ".join(value))


@lru_cache(maxsize=4096)
def _class_roles_of(value: str) -> tuple[bool, bool]:
    return DROP_CLASS.search(value) is not None, QUOTE_CLASS.search(value) is not None


def _author_side(author_tag: Tag | None, parts: list[Tag], stats: dict[int, Stats]) -> Tag | None:
    """The column or header of the post that holds the author (join date, post count...).

    The post's first split into several blocks with text: the block there that holds the name.
    """
    if author_tag is None:
        return None
    container = next((part for part in parts if part is author_tag or inside(author_tag, part)), None)
    while container is not None:
        children = [c for c in container.contents if isinstance(c, Tag) and stats.get(id(c), EMPTY).text]
        if len(children) != 1:
            break
        container = children[0]
    if container is None:
        return None
    return next((c for c in container.contents if isinstance(c, Tag) and (c is author_tag or inside(author_tag, c))),
                None)


def _post_text(body: Tag, stats: dict[int, Stats], skip: frozenset[int] = frozenset()) -> str:
    """The body's text laid out; quotes marked ``> ``, signatures, buttons and controls (and ``skip``) left out."""
    out: list[str] = []
    whole = stats.get(id(body), EMPTY).text
    _write(body, out, lambda tag: _is_quote(tag, stats, whole), skip)
    return tidy_layout("".join(out))


def _is_quote(tag: Tag, stats: dict[int, Stats], whole: int) -> bool:
    """A quote of another post: a ``blockquote`` or quote-classed block holding part of the body, not all of it."""
    if tag.name != "blockquote" and not (tag.name in QUOTE_TAGS and has_class_match(tag, QUOTE_CLASS)):
        return False
    cues = stats.get(id(tag), EMPTY)
    return cues.links < cues.text < 0.9 * whole


def _write(node: Tag, out: list[str], is_quote, skip: frozenset[int] = frozenset()) -> None:
    for child in node.contents:
        if isinstance(child, Tag):
            name = child.name
            if name in SKIPPED or (skip and id(child) in skip):
                continue
            dropped, quote = _class_roles(child)
            if dropped and not quote:
                continue
            if name == "br":
                out.append("\n")
            elif (name == "blockquote" or (quote and name in QUOTE_TAGS)) and is_quote(child):
                quoted: list[str] = []
                _write(child, quoted, lambda tag: False, skip)
                inner = tidy_layout("".join(quoted))
                if inner:  # empty quote-classed elements are markers, not quotes
                    out.append("\n\n> " + inner + "\n\n")
            elif name in LAYOUT_BREAKS:
                out.append("\n\n")
                _write(child, out, is_quote, skip)
                out.append("\n\n")
            else:
                _write(child, out, is_quote, skip)
        elif child.__class__ is NavigableString or (isinstance(child, NavigableString)
                                                     and not isinstance(child, PreformattedString)):
            out.append(WHITESPACE.sub(" ", child))


def _date_of(member: Tag, around: _Around, timed: set[int] | None = None) -> str | None:
    """The date the post shows: a ``<time>`` (its ``datetime`` when empty), a date-classed element, or date-like text."""
    time = next((node for node in member.descendants if node.name == "time"), None) \
        if timed is None or id(member) in timed else None
    if time is not None:
        shown = clean_optional(time.get_text(" ", strip=True))
        value = time.get("datetime") or time.get("title")
        return shown or (clean_optional(value) if isinstance(value, str) else None)
    for node in around.classed:
        if has_class_match(node, DATE_CLASS):
            for candidate in (node.get("title"), node.get("datetime"), node.get_text(" ", strip=True)):
                if isinstance(candidate, str) and len(candidate) < 80 and DATE_TEXT.search(candidate):
                    return WHITESPACE.sub(" ", candidate).strip()
    for text in around.texts:  # no date-classed element: the first date-like line
        line = WHITESPACE.sub(" ", str(text)).strip()
        if 0 < len(line) < 80 and DATE_TEXT.search(line):
            return line
    return None


class _Around:
    """What a post shows outside its body, in page order, from one walk shared by the readers of
    its date, role and name: the elements with a class, and the first 200 texts.

    The walk visits at most ``limit`` nodes, skipping the body and unread elements (scripts,
    forms...). Elements without a class are never a date, a role or a rank: they are not kept.
    """

    def __init__(self, root: Tag, body: Tag | None, limit: int = 5000) -> None:
        self.classed: list[Tag] = []
        self.texts: list[NavigableString] = []
        stack: list[object] = list(reversed(root.contents))
        seen = 0
        while stack and seen < limit:
            node = stack.pop()
            seen += 1
            if node.__class__ is NavigableString or (isinstance(node, NavigableString)
                                                     and not isinstance(node, PreformattedString)):
                if len(self.texts) < 200:
                    self.texts.append(node)
            elif isinstance(node, Tag):
                if node is body or node.name in SKIPPED:
                    continue
                if node.attrs.get("class"):
                    self.classed.append(node)
                stack.extend(reversed(node.contents))


def _name_above_rank(member: Tag, body: Tag | None, around: _Around) -> str | None:
    """A name printed with no link and no class, read from the author's column: the short
    text just before the member's rank (``<dt>ann</dt><dd class="usertitle">Member</dd>``)."""
    rank = next((node for node in around.classed if node.name != "a" and has_class_match(node, RANK_CLASS)), None)
    if rank is None:
        return None
    for text in rank.find_all_previous(string=True, limit=6):
        if not inside(text, member) or isinstance(text, PreformattedString):
            return None
        shown = WHITESPACE.sub(" ", str(text)).strip()
        if shown:
            # A name, not a heading, a date or a label ("Posts:", "#1")
            is_name = (2 <= len(shown) <= WEIGHTS.max_name_chars and not DATE_TEXT.search(shown)
                       and not shown.endswith(":") and any(c.isalpha() for c in shown))
            return shown if is_name and not (body is not None and inside(text, body)) else None
    return None


def _role_of(around: _Around, author_tag: Tag | None) -> str | None:
    """A rank or title printed beside the author (outside the body), when the site shows one."""
    holds_author = {id(p) for p in author_tag.parents} if author_tag is not None else set()
    for node in around.classed:
        if node is author_tag or id(node) in holds_author or not has_class_match(node, ROLE_CLASS):
            continue
        text = clean_optional(node.get_text(" ", strip=True))
        if text and len(text) <= WEIGHTS.max_role_chars and not DATE_TEXT.search(text):
            return clean_role(text)
    return None
