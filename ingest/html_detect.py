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

Every feature and weight is named in :mod:`healthqa.ingest.html_features`
(:class:`DetectorWeights`); posts are read by :mod:`healthqa.ingest.html_post`;
``bench/threads.py`` prints the per-engine effect of a change.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache
from typing import Iterator

from bs4 import Tag

from healthqa.ingest.html_features import (
    DIGITS, EMPTY, SKIPPED, WEIGHTS, DetectorWeights, Stats, has_cue, measure, tags_under,
)
from healthqa.ingest.html_post import DetectedPost, holding, read_post
from healthqa.ingest.html_tree import Thread
from healthqa.ingest.record import Answer


def detect_thread(root: Tag, weights: DetectorWeights = WEIGHTS, tags: list[Tag] | None = None) -> Thread | None:
    """The thread the page shows, found from its structure, or ``None`` when it shows none.

    >>> from bs4 import BeautifulSoup
    >>> post = '<div class="post"><a href="/members/{0}">{0}</a><time>3 May 2020</time><p>{1}</p></div>'
    >>> html = '<h1>Help?</h1>' + post.format("ann", "My knee hurts after running, what helps?" * 2) \\
    ...        + post.format("bob", "Rest it for a week and ice it twice a day, then see a doctor.")
    >>> thread = detect_thread(BeautifulSoup(html, "lxml"))
    >>> thread.asked_by, thread.answers[0].author, thread.answers[0].date
    ('ann', 'bob', '3 May 2020')
    """
    posts = detect_posts(root, weights, tags)
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


def detect_posts(root: Tag, weights: DetectorWeights = WEIGHTS, tags: list[Tag] | None = None) -> list[DetectedPost]:
    """The posts of the thread in page order (first post first), or ``[]``. ``tags``: ``root`` and
    every element below it in page order, when the caller has them."""
    if tags is None:
        tags = tags_under(root, weights.max_elements)
    elif len(tags) > weights.max_elements:
        tags = None
    stats = measure(root, weights, tags) if tags is not None else None
    if stats is None:
        return []
    group = _best_group(tags, stats, weights)
    if group is None:
        return []
    parts = _post_parts(group, stats, weights)
    first = _first_post(group, stats, weights)
    if first is not None:
        parts.insert(0, [first])
    timed = holding(tags, "time")
    posts = [post for post in (read_post(post_parts, stats, timed) for post_parts in parts) if post is not None]
    return posts if len(posts) >= weights.min_posts else []


def _post_parts(members: list[Tag], stats: dict[int, Stats], weights: DetectorWeights) -> list[list[Tag]]:
    """The members grouped into posts: one member each, or, where the page prints a post as a
    header row with the author and date and a row with the text (table layouts), a cued
    member with the cue-less member after it. Other cue-less members (pagers) are dropped."""
    cued = [has_cue(stats[id(m)], weights) for m in members]
    if len({_signature(m) for m in members}) == 2 and any(cued):
        return _interleaved_posts(members, cued)
    followers = sum(1 for i in range(1, len(members)) if cued[i - 1] and not cued[i])
    alternating = followers >= weights.min_alternation * sum(cued)
    posts: list[list[Tag]] = []
    for member, cue in zip(members, cued):
        if cue:
            posts.append([member])
        elif alternating and posts and len(posts[-1]) == 1:
            posts[-1].append(member)
    return posts




def _signature(tag: Tag) -> tuple[str, str]:
    value = tag.attrs.get("class")
    if not value:
        return tag.name, ""
    # Memoised on the class text: themes repeat their classes. (A tree may keep classes as lists.)
    return _signature_of(tag.name, value if isinstance(value, str) else " ".join(value))


@lru_cache(maxsize=4096)
def _signature_of(name: str, value: str | None) -> tuple[str, str]:
    names = value.split() if value else ()
    if not names:
        return name, ""
    first = names[0]
    return name, first if first.isalpha() else DIGITS.sub("", first)


def _groups(tags: list[Tag], stats: dict[int, Stats], weights: DetectorWeights = WEIGHTS) -> Iterator[list[Tag]]:
    """Runs of siblings that share a signature and hold text, under every element of ``tags``."""
    # An element with less text than the smallest thread passes (most of them) holds no group worth scoring.
    least = weights.min_posts * weights.min_mean_chars
    for parent in tags:
        s = stats.get(id(parent), EMPTY)
        if s.text - s.links < least or len(parent.contents) < 2:
            continue
        buckets: dict[tuple[str, str], list[Tag]] = {}
        for child in parent.contents:
            if isinstance(child, Tag) and child.name not in SKIPPED and stats[id(child)].text:
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


def _best_group(tags: list[Tag], stats: dict[int, Stats], weights: DetectorWeights) -> list[Tag] | None:
    scored = [(score, order, members) for order, members in enumerate(_groups(tags, stats, weights))
              if (score := _group_score(members, stats, weights)) > 0]
    # Highest score first, the earlier group on a tie; the structure is compared last, as it walks every member.
    scored.sort(key=lambda item: (-item[0], item[1]))
    return next((members for _, _, members in scored
                 if _shared_structure(members) >= weights.min_shared_structure), None)


_STRUCTURE_MEMBERS = 8
_STRUCTURE_NODES = 600


def _shared_structure(members: list[Tag]) -> float:
    """How far the members are copies of one template: for each member, the largest share of
    element kinds (tag and class) it has in common with another member; the median of these.

    Posts printed by a forum repeat one template (author box, date, body, toolbar), so each
    has a near twin (0.7-1.0 on forum pages). An article's body beside its author's bio box,
    two plain blocks that happen to sit side by side, share almost nothing (0.03). The first
    members, and the start of each, tell (a long thread would cost a walk of the whole page).
    """
    kinds = [{_signature(node) for node in itertools.islice(member.descendants, _STRUCTURE_NODES) if isinstance(node, Tag)}
             for member in members[:_STRUCTURE_MEMBERS]]
    best = []
    for i, mine in enumerate(kinds):
        best.append(max((len(mine & theirs) / len(mine | theirs) if mine | theirs else 1.0)
                        for j, theirs in enumerate(kinds) if j != i))
    return sorted(best)[len(best) // 2]


def _group_score(members: list[Tag], stats: dict[int, Stats], weights: DetectorWeights) -> float:
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
    cued = sum(1 for s in posts if has_cue(s, weights))
    share = cued / len(posts)
    if share < weights.min_cue_share:
        return 0.0
    cue_factor = weights.cue_floor + (1 - weights.cue_floor) * share
    # More posts for the same text: a run of posts rather than a few containers of them.
    count_factor = 1 + weights.post_count_weight * math.log(len(posts))
    return own * (1 - density) ** weights.link_density_power * cue_factor * count_factor


def _sum(stats: dict[int, Stats], parts: list[Tag]) -> Stats:
    if len(parts) == 1:
        return stats[id(parts[0])]
    total = Stats()
    for part in parts:
        s = stats[id(part)]
        total.text, total.links = total.text + s.text, total.links + s.links
        total.authors, total.dates = total.authors + s.authors, total.dates + s.dates
        total.named += s.named
        total.dated += s.dated
        total.prose = max(total.prose, s.prose)
    return total




def _first_post(members: list[Tag], stats: dict[int, Stats], weights: DetectorWeights) -> Tag | None:
    """The thread's first post when the page marks it up differently from the group's posts.

    Looked for among the earlier siblings of the first member and of its parent: the
    nearest one with text, a sentence and one author of its own (not a box of members).
    """
    first = members[0]
    for anchor in (first, first.parent):
        if anchor is None:
            continue
        for sibling in anchor.find_previous_siblings(limit=3):
            if not isinstance(sibling, Tag) or sibling.name in SKIPPED:
                continue
            s = stats.get(id(sibling))
            if s is None:
                continue
            # One author, a sentence, mostly text: a post, not a box of members or links.
            if (s.text - s.links >= weights.first_post_min_chars and has_cue(s, weights) and s.authors <= 2
                    and s.prose >= weights.min_prose_chars and s.links <= (s.text - s.links)):
                return sibling
    return None
