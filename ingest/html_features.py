"""What the thread detector measures on a page, and every weight it gives it, in one place.

The features are generic: text and link text, a member's profile link or an
author-classed element, a date (a ``<time>``, a date-classed element, a short date-like
text), the longest run of prose. No site's or engine's name appears here or in the
modules that use them (:mod:`healthqa.ingest.html_detect`, :mod:`healthqa.ingest.html_post`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bs4 import Tag
from bs4.element import NavigableString, PreformattedString


@dataclass(frozen=True)
class DetectorWeights:
    """Every feature the detector weighs, in one place. Tuned on forums-dev (see ``bench/threads.py``)."""

    min_posts: int = 2                # a thread shows at least this many posts in one group
    min_post_chars: int = 2           # a member with less text outside links is no post
    min_mean_chars: float = 40.0      # mean text per post, below it the group is a list of links
    min_prose_chars: int = 30         # median longest text run per post, below it a listing
    max_link_density: float = 0.5     # share of a group's text inside links, above it a listing
    min_cue_share: float = 0.5        # share of posts with an author or date cue of their own
    min_shared_structure: float = 0.3  # median share of element kinds a post has in common with another post
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


def first_chars(first: str, pattern: str) -> re.Pattern[str]:
    """``pattern`` (case-insensitive) behind a look-ahead for the characters ``first`` that
    every match starts with. The engine then passes over most positions with one set test
    instead of trying each alternative there: three times quicker on links and short texts,
    and every match is where it was (the look-ahead takes no text)."""
    return re.compile(f"(?=[{first}])(?:{pattern})", re.I)


# Generic words of profile links and author/date/role/quote classes, in the languages seen.
PROFILE_HREF = first_chars("mupa/?&s", r"member|user|profil|author|autor|/u/|[?&]u=\d|showuser|/people/|/~")
NOT_PROFILE_HREF = first_chars("lr/?&#qs",
                               r"logout|login|register|/posts?/|[?&]p=\d|#p|/posts?/\d|quote|reply|report|search")
AUTHOR_CLASS = re.compile(r"author|user|poster|member|nick|(?<![a-z])name|byline|from|profile", re.I)
NOT_AUTHOR_CLASS = re.compile(r"avatar|info|stats|title|rank|sig|online|extra|detail|details|pane|block", re.I)
DATE_CLASS = re.compile(r"date|time|posted|published|created|when", re.I)
ROLE_CLASS = re.compile(r"rank|usertitle|user-title|user_title|role|badge|status|group|title", re.I)
# The member's rank or title printed under the name (narrower than ROLE_CLASS: no "title", "status").
RANK_CLASS = re.compile(r"rank|usertitle|user-title|user_title|userrank|user-rank", re.I)
QUOTE_CLASS = re.compile(r"quote|bbcode_container|citation", re.I)
# A "last edited by NAME, DATE" note: its name and date are not the post's author and date.
EDIT_CLASS = re.compile(r"edit(?:ed)?(?:by|note|info|[-_]note)?(?![a-z])", re.I)
DROP_CLASS = re.compile(r"signature|(?<![a-z])sig(?![a-z])|button|(?<![a-z])btn|share|like|vote|react|report|"
                         r"attribution|(?<![a-z])ad(?:s|vert)?(?![a-z])|sponsor|editedby|edited-by|"
                         r"(?<![a-z])tools|actions|controls|footer|toolbar|" + EDIT_CLASS.pattern, re.I)
AVATAR_CLASS = re.compile(r"avatar|photo|picture|image", re.I)
QUOTE_TAGS = frozenset({"blockquote", "div", "section", "aside", "table", "figure", "dl"})
DIGITS = re.compile(r"\d+")
BLOCK_TAGS = frozenset("article aside blockquote dd div dl dt fieldset figure footer form header li main ol p "
                        "section table tbody td tr ul h1 h2 h3 h4 h5 h6 pre center font span".split())
LAYOUT_BREAKS = frozenset("article aside blockquote dd div dl dt fieldset figure footer form header li main ol p "
                           "section table tr ul h1 h2 h3 h4 h5 h6 pre hr".split())
SKIPPED = frozenset("script style noscript template svg head title button select option textarea input iframe "
                     "object canvas nav form label".split())
DATE_TEXT = first_chars(
    r"\djfmasondytghvi",
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{1,2}:\d{2}\b|"
    r"\b(?:jan|feb|f[eé]v|m[aä]r|apr|avr|ma[iy]|jun|juin|jul|juil|aug|ao[uû]|sep|o[ck]t|nov|d[eé][cz])[a-zé]*\.?\s+\d|"
    r"\d\.?\s+(?:jan|feb|f[eé]v|m[aä]r|apr|avr|ma[iy]|jun|juin|jul|juil|aug|ao[uû]|sep|o[ck]t|nov|d[eé][cz])|"
    r"\b(?:ago|yesterday|today|gestern|heute|vor \d|her\b|hier|aujourd|il y a|hace|ayer|hoy)",
)
WHITESPACE = re.compile(r"\s+")



@dataclass(slots=True)
class Stats:
    text: int = 0       # characters of text (whitespace collapsed)
    links: int = 0      # of which inside <a>
    authors: int = 0    # links to member profiles, elements marked as the author
    named: int = 0      # author-classed elements (a theme may nest several around one name)
    dates: int = 0      # <time> elements / date-classed elements
    prose: int = 0      # the longest run of text outside links (a sentence, not a title and counts)
    dated: int = 0      # short texts that read as a date ("2019-09-29 10:46", "Apr 17, 2019")


EMPTY = Stats()



def measure(root: Tag, weights: DetectorWeights, tags: list[Tag] | None = None) -> dict[int, Stats] | None:
    """Text, link text and cues of every element, in one bottom-up pass (``tags``: those of
    :func:`tags_under`, when the caller has them already). This runs over every element of
    every page the detector reads: counts are kept in local names, each element's
    :class:`Stats` made once, at its end, what its name and class add looked up (:func:`_effect`)."""
    tags = tags if tags is not None else tags_under(root, weights.max_elements)
    if tags is None:
        return None
    stats: dict[int, Stats] = {}
    get, max_date, date_search, effects = stats.get, weights.max_date_chars, DATE_TEXT.search, _EFFECTS.get
    for tag in reversed(tags):
        name = tag.name
        if name in SKIPPED:
            stats[id(tag)] = Stats()
            continue
        text = links = authors = named = dates = dated = prose = 0
        for child in tag.contents:
            sub = get(id(child))  # every element below has its Stats by now: None is a string
            if sub is not None:
                text += sub.text
                links += sub.links
                authors += sub.authors
                named += sub.named
                dates += sub.dates
                dated += sub.dated
                if sub.prose > prose:
                    prose = sub.prose
            elif child.__class__ is NavigableString or (_KINDS.get(child.__class__) or _kind(child.__class__)) is _TEXT:
                length = len(child.strip())
                text += length
                if 6 <= length <= max_date and date_search(child):
                    dated += 1
                if length > prose:
                    prose = length
        if name == "a":
            links, prose = text, 0
        attrs = tag.attrs
        if attrs or name in _CUE_NAMES:  # (an element with no attributes is a cue only by its name)
            value = attrs.get("class")
            value = value if value is None or isinstance(value, str) else " ".join(value)
            effect = effects((name, value)) or _effect(name, value)
            if effect is _RESET:
                authors = named = dates = dated = 0
            else:
                if name == "a" or "itemprop" in attrs:
                    authors += is_author_cue(tag, text > 0)
                named, dates = named + effect[0], dates + effect[1]
        stats[id(tag)] = Stats(text, links, authors, named, dates, prose, dated)
    return stats


# The elements that are cues with no attributes: a quote, a time.
_CUE_NAMES = frozenset({"blockquote", "time"})
_RESET = (-1, -1)
_EFFECTS: dict[tuple[str, str | None], tuple[int, int]] = {}


def _effect(name: str, value: str | None) -> tuple[int, int]:
    """What an element's own name and class add to its content's cues, as (author-classed,
    dates), or ``_RESET`` for a quote or an edit note: the author and dates inside are another
    post's, or the editor's. Memoised on (name, class): themes repeat their classes."""
    author_class, date_class, quote_class, edit_note = class_cues(value)
    if name == "blockquote" or (quote_class and name in QUOTE_TAGS) or edit_note:
        effect = _RESET
    else:
        effect = (int(author_class), int(date_class or name == "time"))
    if len(_EFFECTS) < 8192:
        _EFFECTS[(name, value)] = effect
    return effect


def tags_under(root: Tag, limit: int) -> list[Tag] | None:
    """``root`` and every element below it in page order, or ``None`` past ``limit`` elements."""
    tags: list[Tag] = [root]
    for node in root.descendants:
        if node.__class__ is Tag or isinstance(node, Tag):
            tags.append(node)
            if len(tags) > limit:
                return None
    return tags


_TAG, _TEXT, _OTHER = "tag", "text", "other"
_KINDS: dict[type, str] = {}


def _kind(cls: type) -> str:
    """A node class as :func:`measure` reads it: an element, text a reader sees, or other markup (a comment)."""
    if issubclass(cls, Tag):
        kind = _TAG
    elif issubclass(cls, NavigableString) and not issubclass(cls, PreformattedString):
        kind = _TEXT
    else:
        kind = _OTHER
    _KINDS[cls] = kind
    return kind


@lru_cache(maxsize=4096)
def _class_cues_of(value: str) -> tuple[bool, bool, bool, bool]:
    return (AUTHOR_CLASS.search(value) is not None and NOT_AUTHOR_CLASS.search(value) is None,
            DATE_CLASS.search(value) is not None, QUOTE_CLASS.search(value) is not None,
            EDIT_CLASS.search(value) is not None)


def class_cues(value: object) -> tuple[bool, bool, bool, bool]:
    """Whether a class attribute marks an author, a date, a quote, an edit note (memoised: themes repeat their classes)."""
    if not value:
        return False, False, False, False
    return _class_cues_of(value if isinstance(value, str) else " ".join(value))


def is_author_cue(tag: Tag, has_text: bool | None = None) -> bool:
    """A link to a member's profile (by its address or its class) that shows a name, or an
    element marked as the author. ``has_text``, when known, saves reading the link's text."""
    if tag.name == "a":
        href = tag.get("href")
        if not isinstance(href, str):
            return False
        profile = _profile_href(href)
        if profile is None or not (profile or class_cues(tag.attrs.get("class"))[0]):
            return False
        return bool(tag.get_text(strip=True)) if has_text is None else has_text
    return tag.get("itemprop") == "author" or tag.get("rel") == "author"


@lru_cache(maxsize=8192)
def _profile_href(href: str) -> bool | None:
    """``None`` for a link that is no profile's (login, a post, a reply...), else whether its
    address names a profile (memoised: a thread links each member's profile from every post)."""
    if NOT_PROFILE_HREF.search(href) is not None:
        return None
    return PROFILE_HREF.search(href) is not None


def author_classed(tag: Tag) -> bool:
    return class_cues(tag.attrs.get("class"))[0]


def is_date_cue(tag: Tag) -> bool:
    if tag.name == "time":
        return True
    value = tag.attrs.get("class")
    if not value:
        return False
    text = value if isinstance(value, str) else " ".join(value)
    return DATE_CLASS.search(text) is not None




def has_cue(s: Stats, weights: DetectorWeights) -> bool:
    """An author or a date of its own, and not so many that the element holds several posts."""
    return (s.authors <= weights.max_authors_per_post and s.dates <= weights.max_dates_per_post
            and bool(s.authors or s.named or s.dates or 1 <= s.dated <= weights.max_dates_per_post))




def own_text(stats: dict[int, Stats], tag: Tag) -> int:
    s = stats.get(id(tag), EMPTY)
    return s.text - s.links




def has_class_match(tag: Tag, pattern: re.Pattern[str]) -> bool:
    value = tag.attrs.get("class")
    if not value:
        return False
    return _matches(pattern, value if isinstance(value, str) else " ".join(value))


@lru_cache(maxsize=8192)
def _matches(pattern: re.Pattern[str], value: str) -> bool:
    return pattern.search(value) is not None




def inside(node: object, container: Tag | None) -> bool:
    return container is not None and any(parent is container for parent in getattr(node, "parents", ()))
