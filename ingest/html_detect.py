"""Find the posts of a thread from the page's own structure, with no markup and no site rules.

A pure function of the parsed tree (:func:`detect_thread`), in the spirit of Readability
and trafilatura (text and link density) and of harvest (one repeated pattern for posts):

1. one pass over the tree measures every element: its text, the part of it inside links,
   and cues that a post carries (a link to a member profile or an author-classed element,
   a date);
2. sibling elements with the same signature (tag and first class, digits dropped) form a
   candidate group; the group whose members carry the most text outside links, each with
   one author or date cue of its own, is the thread. Lists of *other* threads (related,
   latest) are mostly links and score low; a container of many posts carries many
   authors per member and scores low too;
3. an element before the group that holds text and an author cue is the first post when
   its markup differs from the replies;
4. in each post: the author's display name, the date as shown, a role or rank beside the
   author, and the body (the largest block without the author's name), with quotes marked
   ``> `` and signatures and buttons left out.

Every feature and weight is named in :class:`DetectorWeights`; ``bench/threads.py``
prints the per-engine effect of a change.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from bs4 import Tag
from bs4.element import NavigableString, PreformattedString

from healthqa.ingest.html_dates import iso_date
from healthqa.ingest.html_tree import Thread, classes_of, clean_role, tidy_layout
from healthqa.ingest.normalise import clean_optional, clean_text
from healthqa.ingest.record import Answer


@dataclass(frozen=True)
class DetectorWeights:
    """Every feature the detector weighs, in one place. Tuned on forums-dev (see ``bench/threads.py``)."""

    min_posts: int = 2                # a thread shows at least this many posts in one group
    min_post_chars: int = 2           # a member with less text outside links is no post
    min_mean_chars: float = 40.0      # mean text per post, below it the group is a list of links
    min_prose_chars: int = 30         # median longest text run per post, below it a listing
    max_link_density: float = 0.5     # share of a group's text inside links, above it a listing
    min_cue_share: float = 0.5        # share of posts with an author or date cue of their own
    min_alternation: float = 0.6      # share of cued members followed by a cue-less one: posts span two rows
    max_authors_per_post: int = 8     # author cues in one post (name, avatar, rank...); more is a list
    max_date_chars: int = 40          # a longer text is a sentence that mentions a date, not a date
    max_dates_per_post: int = 6       # posted (often twice), edited, the author's join date
    link_density_power: float = 2.0   # score *= (1 - link density) ** power
    post_count_weight: float = 1.0    # score *= 1 + weight * ln(posts)
    cue_floor: float = 0.15           # score factor for a group with no cues at all
    min_body_share: float = 0.5       # a cue-free block is the body when it holds this share of the post's text
    first_post_min_chars: int = 20    # a preceding block with this much text may be the first post
    max_name_chars: int = 60          # longer "names" are sentences
    max_role_chars: int = 60
    max_elements: int = 60_000        # beyond this the page is not measured (bounded time)


WEIGHTS = DetectorWeights()

# Generic words of profile links and author/date/role/quote classes, in the languages seen.
_PROFILE_HREF = re.compile(r"(?:member|user|profil|author|autor|/u/|[?&]u=\d|showuser|/people/|/~)", re.I)
_NOT_PROFILE_HREF = re.compile(r"(?:logout|login|register|/posts?/|[?&]p=\d|#p|/posts?/\d|quote|reply|report|search)", re.I)
_AUTHOR_CLASS = re.compile(r"author|user|poster|member|nick|(?<![a-z])name|byline|from|profile", re.I)
_NOT_AUTHOR_CLASS = re.compile(r"avatar|info|stats|title|rank|sig|online|extra|detail|details|pane|block", re.I)
_DATE_CLASS = re.compile(r"date|time|posted|published|created|when", re.I)
_ROLE_CLASS = re.compile(r"rank|usertitle|user-title|user_title|role|badge|status|group|title", re.I)
_QUOTE_CLASS = re.compile(r"quote|bbcode_container|citation", re.I)
_DROP_CLASS = re.compile(r"signature|(?<![a-z])sig(?![a-z])|button|(?<![a-z])btn|share|like|vote|react|report|"
                         r"attribution|(?<![a-z])ad(?:s|vert)?(?![a-z])|sponsor|editedby|edited-by|"
                         r"(?<![a-z])tools|actions|controls|footer|toolbar", re.I)
_AVATAR_CLASS = re.compile(r"avatar|photo|picture|image", re.I)
_QUOTE_TAGS = frozenset({"blockquote", "div", "section", "aside", "table", "figure", "dl"})
_DIGITS = re.compile(r"\d+")
_BLOCK_TAGS = frozenset("article aside blockquote dd div dl dt fieldset figure footer form header li main ol p "
                        "section table tbody td tr ul h1 h2 h3 h4 h5 h6 pre center font span".split())
_LAYOUT_BREAKS = frozenset("article aside blockquote dd div dl dt fieldset figure footer form header li main ol p "
                           "section table tr ul h1 h2 h3 h4 h5 h6 pre hr".split())
_SKIPPED = frozenset("script style noscript template svg head title button select option textarea input iframe "
                     "object canvas nav form label".split())
_DATE_TEXT = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{1,2}:\d{2}\b|"
    r"\b(?:jan|feb|f[eé]v|m[aä]r|apr|avr|ma[iy]|jun|juin|jul|juil|aug|ao[uû]|sep|o[ck]t|nov|d[eé][cz])[a-zé]*\.?\s+\d|"
    r"\d\.?\s+(?:jan|feb|f[eé]v|m[aä]r|apr|avr|ma[iy]|jun|juin|jul|juil|aug|ao[uû]|sep|o[ck]t|nov|d[eé][cz])|"
    r"\b(?:ago|yesterday|today|gestern|heute|vor \d|her\b|hier|aujourd|il y a|hace|ayer|hoy)",
    re.I,
)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class DetectedPost:
    text: str
    author: str | None
    role: str | None
    date: str | None
    date_iso: str | None


@dataclass
class _Stats:
    text: int = 0       # characters of text (whitespace collapsed)
    links: int = 0      # of which inside <a>
    authors: int = 0    # links to member profiles, elements marked as the author
    named: int = 0      # author-classed elements (a theme may nest several around one name)
    dates: int = 0      # <time> elements / date-classed elements
    prose: int = 0      # the longest run of text outside links (a sentence, not a title and counts)
    dated: int = 0      # short texts that read as a date ("2019-09-29 10:46", "Apr 17, 2019")


_EMPTY = _Stats()


def detect_thread(root: Tag, weights: DetectorWeights = WEIGHTS) -> Thread | None:
    """The thread the page shows, found from its structure, or ``None`` when it shows none.

    >>> from bs4 import BeautifulSoup
    >>> post = '<div class="post"><a href="/members/{0}">{0}</a><time>3 May 2020</time><p>{1}</p></div>'
    >>> html = '<h1>Help?</h1>' + post.format("ann", "My knee hurts after running, what helps?" * 2) \\
    ...        + post.format("bob", "Rest it for a week and ice it twice a day, then see a doctor.")
    >>> thread = detect_thread(BeautifulSoup(html, "lxml"))
    >>> thread.asked_by, thread.answers[0].author, thread.answers[0].date
    ('ann', 'bob', '3 May 2020')
    """
    posts = detect_posts(root, weights)
    if not posts:
        return None
    first, rest = posts[0], posts[1:]
    return Thread(
        question=None,
        format="html-forum",
        detail=first.text,
        asked_by=first.author,
        date=first.date,
        date_iso=first.date_iso,
        answers=tuple(Answer(text=p.text, author=p.author, role=p.role, date=p.date, date_iso=p.date_iso)
                      for p in rest),
        method="detector",
    )


def detect_posts(root: Tag, weights: DetectorWeights = WEIGHTS) -> list[DetectedPost]:
    """The posts of the thread in page order (first post first), or ``[]``."""
    stats = _measure(root, weights)
    if stats is None:
        return []
    group = _best_group(root, stats, weights)
    if group is None:
        return []
    parts = _post_parts(group, stats, weights)
    first = _first_post(group, stats, weights)
    if first is not None:
        parts.insert(0, [first])
    posts = [post for post in (_read_post(post_parts, stats) for post_parts in parts) if post is not None]
    return posts if len(posts) >= weights.min_posts else []


def _post_parts(members: list[Tag], stats: dict[int, _Stats], weights: DetectorWeights) -> list[list[Tag]]:
    """The members grouped into posts: one member each, or, where the page prints a post as a
    header row with the author and date and a row with the text (table layouts), a cued
    member with the cue-less member after it. Other cue-less members (pagers) are dropped."""
    cued = [_has_cue(stats[id(m)], weights) for m in members]
    if len({_signature(m) for m in members}) == 2 and any(cued):
        return _interleaved_posts(members, cued)
    followers = sum(1 for i in range(1, len(members)) if cued[i - 1] and not cued[i])
    alternating = followers >= weights.min_alternation * sum(cued)
    posts: list[list[Tag]] = []
    for member, has_cue in zip(members, cued):
        if has_cue:
            posts.append([member])
        elif alternating and posts and len(posts[-1]) == 1:
            posts[-1].append(member)
    return posts


def _measure(root: Tag, weights: DetectorWeights) -> dict[int, _Stats] | None:
    """Text, link text and cues of every element, in one bottom-up pass."""
    tags: list[Tag] = [root]
    for node in root.descendants:
        if isinstance(node, Tag):
            tags.append(node)
            if len(tags) > weights.max_elements:
                return None
    stats: dict[int, _Stats] = {}
    for tag in reversed(tags):
        own = _Stats()
        if tag.name in _SKIPPED:
            stats[id(tag)] = own
            continue
        for child in tag.contents:
            if isinstance(child, Tag):
                sub = stats.get(id(child))
                if sub is not None:
                    own.text += sub.text
                    own.links += sub.links
                    own.authors += sub.authors
                    own.named += sub.named
                    own.dates += sub.dates
                    own.dated += sub.dated
                    if sub.prose > own.prose:
                        own.prose = sub.prose
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                length = len(child.strip())
                own.text += length
                if 6 <= length <= weights.max_date_chars and _DATE_TEXT.search(child):
                    own.dated += 1
                if length > own.prose:
                    own.prose = length
        if tag.name == "a":
            own.links, own.prose = own.text, 0
        author_class, date_class, quote_class = _class_cues(tag.attrs.get("class"))
        if tag.name == "blockquote" or (quote_class and tag.name in _QUOTE_TAGS):
            own.authors = own.named = own.dates = own.dated = 0  # a quote names another post's author and date
        else:
            own.authors += tag.name == "a" and _is_author_cue(tag) or "itemprop" in tag.attrs and _is_author_cue(tag)
            own.named += author_class
            own.dates += date_class or tag.name == "time"
        stats[id(tag)] = own
    return stats


@lru_cache(maxsize=4096)
def _class_cues_of(value: str) -> tuple[bool, bool, bool]:
    return (_AUTHOR_CLASS.search(value) is not None and _NOT_AUTHOR_CLASS.search(value) is None,
            _DATE_CLASS.search(value) is not None, _QUOTE_CLASS.search(value) is not None)


def _class_cues(value: object) -> tuple[bool, bool, bool]:
    """Whether a class attribute marks an author, a date, a quote (memoised: themes repeat their classes)."""
    if not value:
        return False, False, False
    return _class_cues_of(value if isinstance(value, str) else " ".join(value))


def _is_author_cue(tag: Tag) -> bool:
    """A link to a member's profile (by its address or its class), or an element marked as the author."""
    if tag.name == "a":
        href = tag.get("href")
        if not isinstance(href, str) or _NOT_PROFILE_HREF.search(href) is not None or not tag.get_text(strip=True):
            return False
        return _PROFILE_HREF.search(href) is not None or _class_cues(tag.attrs.get("class"))[0]
    return tag.get("itemprop") == "author" or tag.get("rel") == "author"


def _author_classed(tag: Tag) -> bool:
    value = tag.attrs.get("class")
    text = value if isinstance(value, str) else " ".join(value or ())
    return _AUTHOR_CLASS.search(text) is not None and _NOT_AUTHOR_CLASS.search(text) is None


def _is_date_cue(tag: Tag) -> bool:
    if tag.name == "time":
        return True
    value = tag.attrs.get("class")
    if not value:
        return False
    text = value if isinstance(value, str) else " ".join(value)
    return _DATE_CLASS.search(text) is not None


def _signature(tag: Tag) -> tuple[str, str]:
    names = classes_of(tag)
    return tag.name, _DIGITS.sub("", names[0]) if names else ""


def _groups(root: Tag, stats: dict[int, _Stats]) -> Iterator[list[Tag]]:
    """Runs of siblings that share a signature and hold text, under every element."""
    for parent in _elements(root):
        if stats.get(id(parent), _EMPTY).text == 0:
            continue
        buckets: dict[tuple[str, str], list[Tag]] = {}
        for child in parent.contents:
            if isinstance(child, Tag) and child.name not in _SKIPPED and stats[id(child)].text:
                buckets.setdefault(_signature(child), []).append(child)
        runs = [members for members in buckets.values() if len(members) >= 2]
        yield from runs
        if len(runs) >= 2:
            pair = _interleaved(*sorted(runs, key=len, reverse=True)[:2])
            if pair:
                yield pair


def _interleaved_posts(members: list[Tag], cued: list[bool]) -> list[list[Tag]]:
    """Posts of two interleaved runs: each starts at a member of the run whose first member has a cue."""
    lead = _signature(members[cued.index(True)])
    posts: list[list[Tag]] = []
    for member in members[cued.index(True):]:
        if _signature(member) == lead:
            posts.append([member])
        else:
            posts[-1].append(member)
    return posts


def _interleaved(first: list[Tag], second: list[Tag]) -> list[Tag] | None:
    """Two runs of siblings that take turns (a header row, a text row, ...) as one run, in page order."""
    if abs(len(first) - len(second)) > max(3, len(first) // 10):
        return None
    mine, theirs = {id(tag) for tag in first}, {id(tag) for tag in second}
    merged = [tag for tag in first[0].parent.contents if isinstance(tag, Tag) and (id(tag) in mine or id(tag) in theirs)]
    turns = sum(1 for a, b in zip(merged, merged[1:]) if (id(a) in mine) != (id(b) in mine))
    return merged if turns >= 0.8 * (len(merged) - 1) else None


def _elements(root: Tag) -> Iterator[Tag]:
    yield root
    yield from (node for node in root.descendants if isinstance(node, Tag))


def _best_group(root: Tag, stats: dict[int, _Stats], weights: DetectorWeights) -> list[Tag] | None:
    best, best_score = None, 0.0
    for members in _groups(root, stats):
        score = _group_score(members, stats, weights)
        if score > best_score:
            best, best_score = members, score
    return best


def _group_score(members: list[Tag], stats: dict[int, _Stats], weights: DetectorWeights) -> float:
    """Text outside links carried by posts that each have an author or date of their own."""
    posts = [_sum(stats, parts) for parts in _post_parts(members, stats, weights)]
    posts = [s for s in posts if s.text - s.links >= weights.min_post_chars]
    if len(posts) < weights.min_posts:
        return 0.0
    text = sum(s.text for s in posts)
    own = sum(s.text - s.links for s in posts)
    density = 1 - own / text if text else 1.0
    if density > weights.max_link_density or own / len(posts) < weights.min_mean_chars:
        return 0.0
    if sorted(s.prose for s in posts)[len(posts) // 2] < weights.min_prose_chars:
        return 0.0  # titles, names and counts: a list of other threads
    cued = sum(1 for s in posts if _has_cue(s, weights))
    share = cued / len(posts)
    if share < weights.min_cue_share:
        return 0.0
    cue_factor = weights.cue_floor + (1 - weights.cue_floor) * share
    # More posts for the same text: a run of posts rather than a few containers of them.
    count_factor = 1 + weights.post_count_weight * math.log(len(posts))
    return own * (1 - density) ** weights.link_density_power * cue_factor * count_factor


def _sum(stats: dict[int, _Stats], parts: list[Tag]) -> _Stats:
    if len(parts) == 1:
        return stats[id(parts[0])]
    total = _Stats()
    for part in parts:
        s = stats[id(part)]
        total.text, total.links = total.text + s.text, total.links + s.links
        total.authors, total.dates = total.authors + s.authors, total.dates + s.dates
        total.named += s.named
        total.dated += s.dated
        total.prose = max(total.prose, s.prose)
    return total


def _has_cue(s: _Stats, weights: DetectorWeights) -> bool:
    """An author or a date of its own, and not so many that the element holds several posts."""
    return (s.authors <= weights.max_authors_per_post and s.dates <= weights.max_dates_per_post
            and bool(s.authors or s.named or s.dates or 1 <= s.dated <= weights.max_dates_per_post))


def _first_post(members: list[Tag], stats: dict[int, _Stats], weights: DetectorWeights) -> Tag | None:
    """The thread's first post when the page marks it up differently from the group's posts.

    Looked for among the earlier siblings of the first member and of its parent: the
    nearest one with text and an author cue of its own (and no more than one post's worth).
    """
    first = members[0]
    for anchor in (first, first.parent):
        if anchor is None:
            continue
        for sibling in anchor.find_previous_siblings(limit=3):
            if not isinstance(sibling, Tag) or sibling.name in _SKIPPED:
                continue
            s = stats.get(id(sibling))
            if s is None:
                continue
            if (s.text - s.links >= weights.first_post_min_chars and _has_cue(s, weights)
                    and s.links <= (s.text - s.links)):
                return sibling
    return None


def _read_post(parts: list[Tag], stats: dict[int, _Stats]) -> DetectedPost | None:
    author_tag = next((a for a in (_author_of(part, stats) for part in parts) if a is not None), None)
    author = _name_of(author_tag) if author_tag is not None else None
    body: Tag | None = _body_of(parts, author_tag, stats)
    body_text = _own(stats, body)
    if (body_text < WEIGHTS.min_body_share * sum(_own(stats, part) for part in parts)
            and _loose_text(body, stats) > body_text):
        # The text sits beside the header, in no element of its own: the whole post minus its header.
        header = {id(author_tag)} | {id(t) for part in parts for t in part.find_all(True) if _is_date_cue(t)}
        text = clean_text("\n\n".join(_post_text(part, stats, frozenset(header)) for part in parts))
        body = None
    else:
        text = clean_text(_post_text(body, stats))
    if not text:
        return None
    date = next((d for d in (_date_of(part, body) for part in parts) if d), None)
    role = next((r for r in (_role_of(part, author_tag, body) for part in parts) if r), None)
    return DetectedPost(text=text, author=author, role=role, date=date, date_iso=iso_date(date) if date else None)


def _loose_text(body: Tag, stats: dict[int, _Stats]) -> int:
    """Text beside the body in the same element, in blocks with no cue: more of the post, unwrapped."""
    parent = body.parent
    if parent is None:
        return 0
    loose = 0
    for sibling in parent.contents:
        if sibling is body:
            continue
        if isinstance(sibling, Tag):
            s = stats.get(id(sibling), _EMPTY)
            if not (s.authors or s.named or s.dates):
                loose += s.text - s.links
        elif isinstance(sibling, NavigableString) and not isinstance(sibling, PreformattedString):
            loose += len(sibling.strip())
    return loose


def _own(stats: dict[int, _Stats], tag: Tag) -> int:
    s = stats.get(id(tag), _EMPTY)
    return s.text - s.links


def _author_of(member: Tag, stats: dict[int, _Stats]) -> Tag | None:
    """The post's author: its first profile link with a name (not an avatar), else the
    innermost author-classed element of the first one, outside quotes either way."""
    classed = None
    for node in member.descendants:
        cues = stats.get(id(node), _EMPTY)
        if not isinstance(node, Tag) or not (cues.authors or cues.named) or _inside_quote(node, member):
            continue
        if node.name == "a" and _is_author_cue(node) and _named_link(node):
            return node
        if classed is None and node.name != "a" and _author_classed(node) and stats[id(node)].text:
            classed = node
    return _innermost_author(classed, stats) if classed is not None else None


def _named_link(link: Tag) -> bool:
    return len(link.get_text(strip=True)) >= 2 and not _has_class_match(link, _AVATAR_CLASS)


def _innermost_author(tag: Tag, stats: dict[int, _Stats]) -> Tag:
    """``div.user > h4.user-name > span.username``: the element that holds the name alone."""
    while True:
        inner = next((node for node in tag.find_all(True, limit=200)
                      if stats.get(id(node), _EMPTY).text and (_author_classed(node) or
                                                                (node.name == "a" and _is_author_cue(node)))), None)
        if inner is None:
            return tag
        tag = inner


def _inside_quote(node: Tag, stop: Tag) -> bool:
    for parent in node.parents:
        if parent is stop:
            return False
        if parent.name == "blockquote" or _has_class_match(parent, _QUOTE_CLASS):
            return True
    return False


def _has_class_match(tag: Tag, pattern: re.Pattern[str]) -> bool:
    value = tag.attrs.get("class")
    if not value:
        return False
    return _matches(pattern, value if isinstance(value, str) else " ".join(value))


@lru_cache(maxsize=8192)
def _matches(pattern: re.Pattern[str], value: str) -> bool:
    return pattern.search(value) is not None


def _short_text(tag: Tag, limit: int) -> bool:
    return 0 < len(tag.get_text(" ", strip=True)) <= limit


def _name_of(tag: Tag) -> str | None:
    """The name an author element shows: its first piece of text (a rank or a join date may
    follow), passing over a one-letter avatar."""
    shown = tag.get_text(" ", strip=True) if tag.name == "a" else next(
        (text.strip() for text in tag.find_all(string=True, limit=50)
         if len(text.strip()) >= 2 and not isinstance(text, PreformattedString)), "")
    name = clean_optional(_WHITESPACE.sub(" ", shown))
    if name is None or len(name) > WEIGHTS.max_name_chars:
        return None
    return name


def _body_of(parts: list[Tag], author_tag: Tag | None, stats: dict[int, _Stats],
             weights: DetectorWeights = WEIGHTS) -> Tag:
    """The largest block of the post with no author or date cue (those are its header), else
    the largest that does not hold the author's name, else the whole post.

    A block of short items in the author's column (join date, post count: no sentence) is
    passed over for the text outside that column, however short.
    """
    body = _largest_block(parts, author_tag, stats, weights, None)
    side = _author_side(author_tag, parts, stats)
    if side is not None and (body is side or _inside(body, side)) and stats[id(body)].prose < weights.min_prose_chars:
        outside = _largest_block(parts, author_tag, stats, weights, side)
        if outside is not None and not (outside is side or _inside(outside, side)):
            return outside
    return body


def _largest_block(parts: list[Tag], author_tag: Tag | None, stats: dict[int, _Stats], weights: DetectorWeights,
                   side: Tag | None) -> Tag:
    holds_author = {id(p) for p in author_tag.parents} | {id(author_tag)} if author_tag is not None else set()
    best, best_text = None, 0
    member = parts[0]
    fallback, fallback_text = member, -1
    nodes = (node for part in parts for node in ([part] if len(parts) > 1 else []) + list(part.descendants))
    dropped: set[int] = set()
    for node in nodes:
        if not isinstance(node, Tag):
            continue
        if (id(node.parent) in dropped or node is side or _has_class_match(node, _DROP_CLASS)
                or node.name == "blockquote" or (node.name in _QUOTE_TAGS and _has_class_match(node, _QUOTE_CLASS))):
            # A signature, a toolbar, a quote of another post, the author's column: never the body.
            dropped.add(id(node))
            continue
        if node.name not in _BLOCK_TAGS:
            continue
        s = stats.get(id(node))
        if s is None:
            continue
        own = s.text - s.links
        # Header-free: no date, no author block; a profile link only as a mention inside prose.
        header_free = not s.dates and not s.named and (not s.authors or s.links < 0.3 * s.text)
        if header_free and own > best_text and id(node) not in holds_author:
            best, best_text = node, own
        if id(node) not in holds_author and own > fallback_text:
            fallback, fallback_text = node, own
    if id(member) not in holds_author and best is None:
        return member
    return best if best is not None and best_text >= weights.min_body_share * fallback_text else fallback


def _author_side(author_tag: Tag | None, parts: list[Tag], stats: dict[int, _Stats]) -> Tag | None:
    """The column or header of the post that holds the author (join date, post count...).

    The post's first split into several blocks with text: the block there that holds the name.
    """
    if author_tag is None:
        return None
    container = next((part for part in parts if part is author_tag or _inside(author_tag, part)), None)
    while container is not None:
        children = [c for c in container.contents if isinstance(c, Tag) and stats.get(id(c), _EMPTY).text]
        if len(children) != 1:
            break
        container = children[0]
    if container is None:
        return None
    return next((c for c in container.contents if isinstance(c, Tag) and (c is author_tag or _inside(author_tag, c))),
                None)


def _post_text(body: Tag, stats: dict[int, _Stats], skip: frozenset[int] = frozenset()) -> str:
    """The body's text laid out; quotes marked ``> ``, signatures, buttons and controls (and ``skip``) left out."""
    out: list[str] = []
    whole = stats.get(id(body), _EMPTY).text
    _write(body, out, lambda tag: _is_quote(tag, stats, whole), skip)
    return tidy_layout("".join(out))


def _is_quote(tag: Tag, stats: dict[int, _Stats], whole: int) -> bool:
    """A quote of another post: a ``blockquote`` or quote-classed block holding part of the body, not all of it."""
    if tag.name != "blockquote" and not (tag.name in _QUOTE_TAGS and _has_class_match(tag, _QUOTE_CLASS)):
        return False
    cues = stats.get(id(tag), _EMPTY)
    return cues.links < cues.text < 0.9 * whole


def _write(node: Tag, out: list[str], is_quote, skip: frozenset[int] = frozenset()) -> None:
    for child in node.contents:
        if isinstance(child, Tag):
            if child.name in _SKIPPED or id(child) in skip or (
                    _has_class_match(child, _DROP_CLASS) and not _has_class_match(child, _QUOTE_CLASS)):
                continue
            if child.name == "br":
                out.append("\n")
            elif is_quote(child):
                quoted: list[str] = []
                _write(child, quoted, lambda tag: False, skip)
                inner = tidy_layout("".join(quoted))
                if inner:  # empty quote-classed elements are markers, not quotes
                    out.append("\n\n> " + inner + "\n\n")
            elif child.name in _LAYOUT_BREAKS:
                out.append("\n\n")
                _write(child, out, is_quote, skip)
                out.append("\n\n")
            else:
                _write(child, out, is_quote, skip)
        elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
            out.append(_WHITESPACE.sub(" ", str(child)))


def _date_of(member: Tag, body: Tag | None) -> str | None:
    """The date the post shows: a ``<time>`` (its ``datetime`` when empty), a date-classed element, or date-like text."""
    time = member.find("time")
    if time is not None:
        shown = clean_optional(time.get_text(" ", strip=True))
        value = time.get("datetime") or time.get("title")
        return shown or (clean_optional(value) if isinstance(value, str) else None)
    texts = []
    for node in _outside(member, body):
        if isinstance(node, Tag):
            if _has_class_match(node, _DATE_CLASS):
                for candidate in (node.get("title"), node.get("datetime"), node.get_text(" ", strip=True)):
                    if isinstance(candidate, str) and len(candidate) < 80 and _DATE_TEXT.search(candidate):
                        return _WHITESPACE.sub(" ", candidate).strip()
        elif not isinstance(node, PreformattedString) and len(texts) < 200:
            texts.append(node)
    for text in texts:  # no date-classed element: the first date-like line
        line = _WHITESPACE.sub(" ", str(text)).strip()
        if 0 < len(line) < 80 and _DATE_TEXT.search(line):
            return line
    return None


def _outside(root: Tag, body: Tag | None, limit: int = 5000) -> Iterator[object]:
    """The nodes under ``root`` in page order, the ``body`` subtree and unread elements left out."""
    stack: list[object] = list(reversed(root.contents))
    seen = 0
    while stack and seen < limit:
        node = stack.pop()
        seen += 1
        if isinstance(node, Tag):
            if node is body or node.name in _SKIPPED:
                continue
            yield node
            stack.extend(reversed(node.contents))
        elif isinstance(node, NavigableString):
            yield node


def _inside(node: object, container: Tag | None) -> bool:
    return container is not None and any(parent is container for parent in getattr(node, "parents", ()))


def _role_of(member: Tag, author_tag: Tag | None, body: Tag | None) -> str | None:
    """A rank or title printed beside the author (outside the body), when the site shows one."""
    holds_author = {id(p) for p in author_tag.parents} if author_tag is not None else set()
    for node in _outside(member, body):
        if (not isinstance(node, Tag) or node is author_tag or id(node) in holds_author
                or not _has_class_match(node, _ROLE_CLASS)):
            continue
        text = clean_optional(node.get_text(" ", strip=True))
        if text and len(text) <= WEIGHTS.max_role_chars and not _DATE_TEXT.search(text):
            return clean_role(text)
    return None
