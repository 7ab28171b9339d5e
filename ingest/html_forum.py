"""Forum threads without (complete) schema markup: known page layouts and embedded app data.

Forum engines print every post with the same classes, so a layout is data: which
classes mark a post, its author, body, date and the thread title (:data:`LAYOUTS`).
Adding a site is adding a line, as long as its engine keeps its classes. The first
post is the question; the others are its answers.

Server-rendered apps may ship the whole thread as JSON in ``__NEXT_DATA__``;
:func:`next_data_thread` looks there for a post that has a title, a body and a list
of replies, whatever the path to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

from bs4 import Tag

from healthqa.ingest.html_tree import (PageIndex, Thread, block_text, clean_role, date_of, find_with_class, iter_dicts,
                               markup_to_text, role_near)
from healthqa.ingest.normalise import clean_line, clean_optional, clean_text
from healthqa.ingest.record import Answer


@dataclass(frozen=True)
class ForumLayout:
    """The classes one forum engine gives each part of a post."""

    name: str
    posts: tuple[str, ...]
    author: frozenset[str]
    body: frozenset[str]
    date: frozenset[str]
    title: tuple[str, ...]


LAYOUTS: tuple[ForumLayout, ...] = (
    ForumLayout(  # posts as Item* blocks
        "item-blocks",
        posts=("ItemDiscussion", "ItemComment"),
        author=frozenset({"Username"}),
        body=frozenset({"Message"}),
        date=frozenset({"DateCreated"}),
        title=("PageTitle",),
    ),
    ForumLayout(  # bbp-* classes, plain and as one theme wraps them
        "bbp-classes",
        posts=("stream-topic", "type-topic", "type-reply"),
        author=frozenset({"bbp-author-name"}),
        body=frozenset({"topic-content", "bbp-topic-content", "bbp-reply-content"}),
        date=frozenset({"date-published", "bbp-topic-post-date", "bbp-reply-date", "bbp-reply-post-date"}),
        title=("bbp-topic-title",),
    ),
    ForumLayout(  # discussion-post blocks
        "discussion-post",
        posts=("discussion-post",),
        author=frozenset({"PostUser"}),
        body=frozenset({"discussion-post-body"}),
        date=frozenset({"discussion-post-meta-info"}),
        title=("discussion-post-meta-title",),
    ),
)


@dataclass(frozen=True)
class _Post:
    text: str
    author: str | None
    role: str | None
    date: str | None


def layout_thread(index: PageIndex) -> Thread | None:
    """The thread as the first matching layout prints it, or ``None`` when none matches."""
    for layout in LAYOUTS:
        posts = _posts(index, layout)
        if posts:
            first, rest = posts[0], posts[1:]
            titles = index.with_class(*layout.title)
            return Thread(
                question=clean_optional(titles[0].get_text(" ")) if titles else None,
                format="html-forum",
                detail=first.text,
                asked_by=first.author,
                date=first.date,
                answers=tuple(Answer(text=p.text, author=p.author, role=p.role, date=p.date) for p in rest),
                method="layout",
            )
    return None


def _posts(index: PageIndex, layout: ForumLayout) -> list[_Post]:
    """Posts in page order; a post wrapped in another post-classed element counts once.

    One theme wraps each reply in two elements that both carry ``type-reply``: both
    find the same body element, which is what identifies the post.
    """
    posts: list[_Post] = []
    seen_bodies: set[int] = set()
    for element in index.with_class(*layout.posts):
        body = find_with_class(element, layout.body)
        if body is None or id(body) in seen_bodies:
            continue
        seen_bodies.add(id(body))
        text = clean_text(block_text(body, skip_classes=frozenset(layout.posts)))
        if text:
            posts.append(_post(element, text, layout))
    return posts


def _post(element: Tag, text: str, layout: ForumLayout) -> _Post:
    shown = find_with_class(element, layout.author)
    author = clean_optional(shown.get_text(" ")) if shown is not None else None
    return _Post(
        text=text,
        author=author,
        role=role_near(element),
        date=date_of(find_with_class(element, layout.date), author),
    )


# Names such apps give the parts of a post; the first one present wins.
_TITLE_KEYS = ("title", "subject", "headline")
_BODY_KEYS = ("body", "content", "text", "message")
_REPLY_KEYS = ("responses", "replies", "comments", "answers")
_AUTHOR_KEYS = ("username", "displayName", "screenName", "name")
_DATE_KEYS = ("dateCreated", "createdAt", "datePublished", "created", "date")
_VOTE_KEYS = ("numRatings", "upvoteCount", "upvotes", "likeCount", "likes", "voteCount")
_RELATED_KEYS = ("relatedPastPosts", "relatedPosts", "relatedQuestions", "relatedThreads")
_COMMUNITY_KEYS = ("community", "currentCommunity", "forum", "category")
_MAX_NESTING = 30


def next_data_thread(index: PageIndex) -> Thread | None:
    """The thread held in a ``__NEXT_DATA__`` blob, if the page has one with a post."""
    script = next((s for s in index.by_name.get("script", ()) if s.get("id") == "__NEXT_DATA__"), None)
    if script is None:
        return None
    try:
        data = json.loads(script.get_text(), strict=False)
    except (ValueError, RecursionError):
        return None
    for node, parent in iter_dicts(data):
        replies = _first_list(node, _REPLY_KEYS)
        if replies is not None and _string(node, _TITLE_KEYS) and _string(node, _BODY_KEYS):
            return Thread(
                question=clean_optional(_string(node, _TITLE_KEYS)),
                format="html-forum",
                detail=clean_text(markup_to_text(_string(node, _BODY_KEYS) or "")) or None,
                asked_by=_author(node.get("author")),
                date=clean_optional(_string(node, _DATE_KEYS)),
                answers=tuple(_replies(replies, 0)),
                topic=_community(data),
                related=_related(parent),
                url=_string(node, ("postUrl", "url", "canonicalUrl")),
            )
    return None


def _replies(replies: list, depth: int) -> Iterator[Answer]:
    """Replies and their nested replies, flattened in page order."""
    for reply in replies:
        if not isinstance(reply, dict) or reply.get("isDeleted") is True:
            continue
        text = clean_text(markup_to_text(_string(reply, _BODY_KEYS) or ""))
        if text:
            yield Answer(
                text=text,
                author=_author(reply.get("author")),
                role=_author_role(reply.get("author")),
                date=clean_optional(_string(reply, _DATE_KEYS)),
                votes=_count(reply, _VOTE_KEYS),
            )
        nested = _first_list(reply, _REPLY_KEYS)
        if nested and depth < _MAX_NESTING:
            yield from _replies(nested, depth + 1)


def _author(author: Any) -> str | None:
    if isinstance(author, str):
        return clean_optional(author)
    return clean_optional(_string(author, _AUTHOR_KEYS)) if isinstance(author, dict) else None


def _author_role(author: Any) -> str | None:
    roles = author.get("roles") if isinstance(author, dict) else None
    for role in roles if isinstance(roles, list) else []:
        name = role.get("name") if isinstance(role, dict) else role
        if isinstance(name, str) and clean_role(name):
            return clean_role(name)
    return None


def _community(data: Any) -> str | None:
    for node, _ in iter_dicts(data):
        for key in _COMMUNITY_KEYS:
            value = node.get(key)
            if isinstance(value, dict) and _string(value, ("name", "title")):
                return clean_optional(_string(value, ("name", "title")))
    return None


def _related(parent: dict | None) -> tuple[str, ...]:
    posts = _first_list(parent, _RELATED_KEYS) if parent else None
    titles = (_string(p, _TITLE_KEYS) for p in posts or () if isinstance(p, dict))
    return tuple(clean_line(t) for t in titles if t)


def _first_list(node: dict, keys: tuple[str, ...]) -> list | None:
    for key in keys:
        value = node.get(key)
        if isinstance(value, list):
            return value
    return None


def _string(node: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = node.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _count(node: dict, keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = node.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None
