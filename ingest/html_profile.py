"""Extraction profiles: a user's CSS selectors for a site the automatic reading gets wrong.

A profile file is JSON: a list of profiles, each with a ``url`` pattern (shell-style,
``*`` for any run of characters, matched against the page's canonical URL or, when the
page names none, its file path) and CSS selectors, evaluated inside each post::

    [{"url": "https://forum.example.org/t/*",
      "post": "div.post", "body": ".post-body", "author": ".post-author",
      "date": "time", "role": ".rank", "title": "h1"}]

``post`` and ``body`` are required; the others are optional. The first profile whose
pattern matches a page reads it; pages no profile matches are read automatically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from bs4 import Tag

from healthqa.ingest.errors import ProfileError
from healthqa.ingest.html_dates import iso_date
from healthqa.ingest.html_tree import Thread, block_text, clean_role, date_of
from healthqa.ingest.normalise import clean_optional, clean_text
from healthqa.ingest.record import Answer

_FIELDS = ("url", "post", "body", "author", "date", "role", "title")


@dataclass(frozen=True)
class Profile:
    """CSS selectors for the posts of the pages whose URL matches ``url``."""

    url: str
    post: str
    body: str
    author: str | None = None
    date: str | None = None
    role: str | None = None
    title: str | None = None

    def matches(self, address: str | None) -> bool:
        return bool(address) and fnmatchcase(address, self.url)


def load_profiles(path: str) -> tuple[Profile, ...]:
    """Read and check a profile file; :class:`ProfileError` names the file and what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read profile file {path!r}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProfileError(f"profile file {path!r} is not valid JSON: {exc}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise ProfileError(f"profile file {path!r}: expected a list of profiles")
    return tuple(_profile(item, path, n) for n, item in enumerate(data, 1))


def _profile(item: object, path: str, n: int) -> Profile:
    where = f"profile file {path!r}, profile {n}"
    if not isinstance(item, dict):
        raise ProfileError(f"{where}: expected an object with 'url', 'post' and 'body'")
    unknown = sorted(set(item) - set(_FIELDS))
    if unknown:
        raise ProfileError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_FIELDS)})")
    for key in ("url", "post", "body"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise ProfileError(f"{where}: {key!r} is missing or empty")
    for key in _FIELDS:
        if item.get(key) is not None and not isinstance(item[key], str):
            raise ProfileError(f"{where}: {key!r} must be a string")
    profile = Profile(**item)
    _check_selectors(profile, where)
    return profile


def _check_selectors(profile: Profile, where: str) -> None:
    from bs4 import BeautifulSoup

    probe = BeautifulSoup("<p></p>", "lxml")
    for key in _FIELDS[1:]:
        selector = getattr(profile, key)
        if selector:
            try:
                probe.select(selector)
            except Exception as exc:  # soupsieve raises its own SelectorSyntaxError
                raise ProfileError(f"{where}: {key!r} is not a valid CSS selector ({exc})") from None


def profile_for(profiles: tuple[Profile, ...], url: str | None, origin: str) -> Profile | None:
    """The first profile whose pattern matches the page's URL, or its file path."""
    return next((p for p in profiles if p.matches(url) or p.matches(origin)), None)


def profile_thread(root: Tag, profile: Profile) -> Thread | None:
    """The thread as the profile's selectors find it, or ``None`` when they find no post."""
    posts = []
    for post in root.select(profile.post):
        body = post.select_one(profile.body)
        text = clean_text(block_text(body)) if body is not None else ""
        if text:
            posts.append((post, text))
    if not posts:
        return None
    answers = tuple(_answer(post, text, profile) for post, text in posts)
    first = answers[0]
    title = root.select_one(profile.title) if profile.title else None
    return Thread(
        question=clean_optional(title.get_text(" ")) if title is not None else None,
        format="html-forum",
        detail=first.text,
        asked_by=first.author,
        date=first.date,
        date_iso=first.date_iso,
        answers=answers[1:],
        method="profile",
    )


def _answer(post: Tag, text: str, profile: Profile) -> Answer:
    author = _selected_text(post, profile.author)
    date = date_of(post.select_one(profile.date)) if profile.date else None
    return Answer(text=text, author=author, role=clean_role(_selected_text(post, profile.role)),
                  date=date, date_iso=iso_date(date))


def _selected_text(post: Tag, selector: str | None) -> str | None:
    found = post.select_one(selector) if selector else None
    return clean_optional(found.get_text(" ")) if found is not None else None
