"""Parser for HTML Q&A pages and forum threads: one page in, one :class:`QAPage` out.

The page is parsed once (BeautifulSoup over lxml) and filed by :class:`PageIndex`;
then the first source that yields a question wins:

1. schema.org ``Question`` / ``QAPage`` in JSON-LD (``html-jsonld``), then in microdata
   (``html-microdata``); a ``DiscussionForumPosting`` in either (``html-forum``);
2. an app's ``__NEXT_DATA__`` blob holding the thread (``html-forum``);
3. a known forum layout (``html-forum``), which also fills in what the markup left
   out, e.g. the replies of a thread whose markup describes only the first post;
4. a page shaped like the seed's text rendering ("Answers (2)", "• name , role,
   answered"): reduced to text and read by :func:`healthqa.ingest.text.parse_text` (``html-text``).

A readable page with none of these is an article or some other page: it is rejected
with :class:`NotQAPage` or :class:`ParseError`, never given an invented question.
"""

from __future__ import annotations

import gc
import re
import warnings
from contextlib import contextmanager
from typing import Iterator
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning

from healthqa.ingest.errors import NotQAPage, ParseError, RejectedInput
from healthqa.ingest.html_build import build_tree
from healthqa.ingest.html_dates import iso_date
from healthqa.ingest.html_detect import detect_thread
from healthqa.ingest.html_forum import layout_thread, next_data_thread
from healthqa.ingest.html_profile import Profile, profile_for, profile_thread
from healthqa.ingest.html_prune import prune
from healthqa.ingest.html_schema import find_thread, load_jsonld, microdata_items, types_of
from healthqa.ingest.html_tree import PageIndex, Thread, block_text
from healthqa.ingest.normalise import clean_line, clean_optional, clean_unique, clean_url
from healthqa.ingest.record import Answer, QAPage, derive_id

# Browsers stop nesting elements at this depth (Blink); deeper markup is junk or an attack.
_MAX_DEPTH = 512
# bs4 spends about a kilobyte and tens of microseconds on every element: a 20 MB page of bare
# tags would take gigabytes and minutes. Real Q&A pages hold a few thousand elements.
_MAX_ELEMENTS = 200_000
_START_TAG = re.compile(r"<[A-Za-z!?]")  # elements, and the declarations and PIs that become nodes too
# lxml cannot encode lone surrogates; no page needs them.
_SURROGATES = re.compile("[\ud800-\udfff]")
_ARTICLE_TYPES = frozenset({"Article", "NewsArticle", "BlogPosting", "MedicalWebPage", "MedicalScholarlyArticle",
                            "ScholarlyArticle", "Report", "TechArticle", "HealthTopicContent"})
# An answer by the asker that starts with the same this-many characters repeats the opening post.
_SAME_START = 100
_SEED_HINT = re.compile(r"\banswered\b|\banswers?\s*\(", re.I)
_SEED_SHAPE = re.compile(r"^(?:[A-Z] )?Answers? \(\d+\)$|^• .*\banswered\b", re.M | re.I)
_BREADCRUMB_CLASSES = ("breadcrumb", "breadcrumbs", "Breadcrumbs", "breadcrumblinks", "breadcrumb-list")
# A login form; an HTTP error's status or reason phrase (RFC 9110) in a page's heading.
_PASSWORD_FIELD = re.compile(r"<input\b[^<>]{0,500}?\btype\s*=\s*[\"']?password\b", re.I)
_ERROR_HEADING = re.compile(r"^\W*[45]\d\d\b|\b(?:error|status|http)\W{0,3}[45]\d\d\b|\b(?:not found|forbidden|"
                            r"internal server error|service unavailable|bad gateway|gateway time-?out|bad request|"
                            r"unauthori[sz]ed|method not allowed)\b", re.I)
_MAX_HEADING = 120
_LOGIN_PAGE_CHARS = 3000
# Breadcrumb roots name the whole site, not the question's forum.
_SITE_ROOTS = frozenset({"home", "communities", "community", "forums", "forum", "discussions", "all communities"})


def parse_html(text: str, origin: str, profiles: tuple[Profile, ...] = ()) -> list[QAPage]:
    """Parse one decoded HTML page into a list of one :class:`QAPage`.

    ``profiles`` (see :mod:`healthqa.ingest.html_profile`) read the pages their URL pattern
    matches. Raises :class:`NotQAPage` for readable pages that are not Q&A pages (articles) and
    :class:`ParseError` for everything else that holds no question; never anything else.

    >>> html = ('<div itemscope itemtype="https://schema.org/Question"><h1 itemprop="name">Why?</h1>'
    ...         '<div itemprop="suggestedAnswer" itemscope itemtype="https://schema.org/Answer">'
    ...         '<span itemprop="text">Because.</span></div></div>')
    >>> page = parse_html(html, "x.html")[0]
    >>> (page.format, page.question, page.answers[0].text)
    ('html-microdata', 'Why?', 'Because.')
    """
    with _collector_paused():
        try:
            return [_read_page(text, origin, profiles)]
        except RejectedInput as exc:
            # Its traceback holds the page's tree: let the collector free the tree with the page read.
            raise exc.with_traceback(None)


def _read_page(text: str, origin: str, profiles: tuple[Profile, ...]) -> QAPage:
    soup, tags = _soup(text, origin)
    try:
        return _parse(soup, text, origin, profiles, tags)
    except RejectedInput:
        raise
    except Exception as exc:  # why: broken markup builds odd trees; one page must never stop a batch
        raise ParseError(f"unreadable HTML ({type(exc).__name__})", origin) from exc
    finally:
        _let_go(soup, tags)


def _let_go(soup: BeautifulSoup, tags: list[Tag] | None) -> None:
    """Empty every node of the tree (its links and its list of children, children before their
    parent) and the document's hold on it once the page is read: no node then holds another,
    so the tree is freed as soon as nothing holds it, without the cycle collector's search
    through it."""
    if tags is None:
        return
    for tag in (*reversed(tags), soup):
        for node in tag.contents:
            node.__dict__.clear()
    soup.contents, soup.next_element = [], None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while one page is read.

    A page's tree is thousands of new objects, all alive until the page is read: the
    collector would scan them again and again as they are made (a quarter of the time of
    reading a forum page) and free none. Once the page is read, :func:`_let_go` cuts the
    tree's cycles so that it is freed at once; what else the page made (and nothing, not even
    a rejection's traceback, holds) goes at the next collection.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _soup(text: str, origin: str) -> tuple[BeautifulSoup, list[Tag] | None]:
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty page", origin)
    try:
        markup = prune(_parsable(text))
        if not _too_many_elements(markup):
            with warnings.catch_warnings():
                # Short or odd inputs make bs4 warn (looks like a URL / like XML); we read them anyway.
                warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
                warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
                # Class lists stay strings (splitting them is a fifth of bs4's time); the tree is
                # copied from lxml's, half the time of bs4's own builder.
                return build_tree(markup)
    except Exception as exc:  # why: lxml and bs4 raise assorted errors on hostile bytes
        raise ParseError(f"unreadable HTML ({type(exc).__name__})", origin) from exc
    raise ParseError(f"more than {_MAX_ELEMENTS:,} elements: too many to read", origin)


def _too_many_elements(markup: str) -> bool:
    """Whether the markup opens more than :data:`_MAX_ELEMENTS` elements (counted in C, cheap test first)."""
    return markup.count("<") > _MAX_ELEMENTS and _START_TAG.subn("", markup)[1] > _MAX_ELEMENTS


def _parsable(text: str) -> str:
    """The text without what lxml refuses or garbles: NUL and lone surrogates (cheap checks first)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATES.sub("", text)
    return text


def _parse(soup: BeautifulSoup, text: str, origin: str, profiles: tuple[Profile, ...] = (),
           tags: list[Tag] | None = None) -> QAPage:
    index = PageIndex(soup, tags)
    if index.depth > _MAX_DEPTH:
        raise ParseError(f"markup nested deeper than {_MAX_DEPTH} levels", origin)
    nodes, invalid = load_jsonld(index)
    notes = ("invalid JSON-LD skipped",) if invalid else ()
    url = page_url(index)
    profile = profile_for(profiles, url, origin)
    thread = profile_thread(index.soup, profile) if profile is not None else None
    if profile is not None and thread is None:
        notes += (f"profile {profile.url!r} found no post: read automatically",)
    thread = thread or _find_thread(index, nodes)
    if thread is None:
        return _text_fallback(index, text, nodes, url, origin)
    return _record(thread, index, nodes, url, origin, notes)


def _find_thread(index: PageIndex, nodes: list[dict]) -> Thread | None:
    """The best thread the page describes, its gaps filled from the page's layout."""
    thread = (
        find_thread(nodes, "html-jsonld")
        or find_thread(microdata_items(index), "html-microdata")
        or next_data_thread(index)
    )
    if thread is None:
        return layout_thread(index) or _detected(index)
    # Markup may describe only part of the thread: the page's own posts complete it.
    return thread.filled_from(layout_thread(index) or _detected(index))


def _detected(index: PageIndex) -> Thread | None:
    root = index.first("body") or index.soup
    return detect_thread(root, tags=index.subtree(root))


def _record(thread: Thread, index: PageIndex, nodes: list[dict], url: str | None, origin: str,
            notes: tuple[str, ...]) -> QAPage:
    thread = _completed_by_repeat(thread)
    question = thread.question or _shown_title(index)
    if not question:
        raise ParseError("no question found", origin)
    url = url or clean_url(thread.url)
    topic = thread.topic or breadcrumb_topic(index, nodes, question)
    return QAPage(
        id=derive_id(question, topic, url),
        source=site_of(url),
        format=thread.format,
        url=url,
        topic=topic,
        question=question,
        detail=thread.detail,
        asked_by=thread.asked_by,
        date=thread.date,
        answers=tuple(map(_with_iso_date, _distinct_answers(thread))),
        related=clean_unique(thread.related),
        origin=origin,
        warnings=notes,
        date_iso=thread.date_iso or iso_date(thread.date),
        method=thread.method,
    )


def _with_iso_date(answer: Answer) -> Answer:
    if answer.date_iso or not answer.date:
        return answer
    parsed = iso_date(answer.date)
    return replace(answer, date_iso=parsed) if parsed else answer


def _distinct_answers(thread: Thread) -> tuple[Answer, ...]:
    """The answers less repeats: an answer printed twice (same author, text and date: the
    same text by the same author at another time is another post) and, in markup, the
    opening post listed again as the first comment."""
    answers = thread.answers
    if thread.method.startswith("markup"):
        answers = tuple(a for a in answers if not _repeats(a, thread))
    return unique_answers(answers)


def _completed_by_repeat(thread: Thread) -> Thread:
    """A markup thread completed from the repeat of its opening post: the asker's name the
    markup left out, the full text where the markup gave an excerpt."""
    repeat = next((a for a in thread.answers if _repeats(a, thread)), None)
    if repeat is None or not thread.method.startswith("markup"):
        return thread
    longer = len(repeat.text) > len(thread.detail or "")
    return replace(thread, asked_by=thread.asked_by or repeat.author, detail=repeat.text if longer else thread.detail)


def _repeats(answer: Answer, thread: Thread) -> bool:
    """Whether ``answer`` is the opening post again: same author (or none known), same start."""
    if not thread.detail:
        return False
    opening = " ".join(thread.detail.split())[:_SAME_START]
    return thread.asked_by in (None, answer.author) and " ".join(answer.text.split())[:_SAME_START] == opening


def unique_answers(answers: tuple[Answer, ...]) -> tuple[Answer, ...]:
    """Answers without exact repeats (same author, text and date), which some pages print twice."""
    seen: set[tuple[str | None, str, str | None]] = set()
    kept = []
    for answer in answers:
        key = (answer.author, answer.text, answer.date)
        if key not in seen:
            seen.add(key)
            kept.append(answer)
    return tuple(kept)


def _shown_title(index: PageIndex) -> str | None:
    """The page's heading, else its Open Graph title, else its ``<title>``."""
    h1 = index.first("h1")
    shown = clean_optional(h1.get_text(" ")) if h1 is not None else None
    if shown:
        return shown
    for meta in index.by_name.get("meta", ()):
        if meta.get("property") == "og:title" and clean_optional(meta.get("content")):
            return clean_optional(meta.get("content"))
    title = index.first("title")
    return clean_optional(title.get_text(" ")) if title is not None else None


def _text_fallback(index: PageIndex, text: str, nodes: list[dict], url: str | None, origin: str) -> QAPage:
    """Read a markup-less page shaped like the seed rendering, or say why it is no Q&A page."""
    if _SEED_HINT.search(text):  # why: reducing a big page to text costs; most pages skip it
        reduced = block_text(index.soup.body or index.soup, bullets=True)
        if _SEED_SHAPE.search(reduced):
            return _from_text(reduced, url, origin)
    if _is_article(index, nodes):
        raise NotQAPage("not a Q&A page: article with no question/answer markup", origin)
    shown = _what_page(index, text)
    raise ParseError(f"no question found: {shown}" if shown else "no question found", origin)


def _what_page(index: PageIndex, text: str) -> str | None:
    """What a page with no thread shows instead, when it says so plainly: a login form, an HTTP error."""
    # (The raw text: inputs are pruned before the tree is built. A long page with a password
    # field is a thread page with a login box that the detector missed, not a login page.)
    if _PASSWORD_FIELD.search(text) and len((index.soup.body or index.soup).get_text()) <= _LOGIN_PAGE_CHARS:
        return "a login page (a password field, no posts)"
    for tag in (*index.by_name.get("title", ()), *index.by_name.get("h1", ()), *index.by_name.get("h2", ())):
        heading = clean_line(tag.get_text(" "))
        if len(heading) <= _MAX_HEADING and _ERROR_HEADING.search(heading):
            return f"an error page ({heading!r})"
    return None


def _from_text(reduced: str, url: str | None, origin: str) -> QAPage:
    try:
        from healthqa.ingest.text import parse_text  # lazily: the text parser is only needed for this fallback

        page = parse_text(reduced, origin)[0]
    except RejectedInput:
        raise
    except Exception as exc:  # why: a fault in the text reader must still reach the caller as a ParseError
        raise ParseError(f"text fallback failed ({type(exc).__name__})", origin) from exc
    return replace(page, id=url or page.id, url=url, source=site_of(url), format="html-text", content_hash="",
                   method="layout")


def _is_article(index: PageIndex, nodes: list[dict]) -> bool:
    og_type = next((m.get("content") for m in index.by_name.get("meta", ()) if m.get("property") == "og:type"), None)
    if isinstance(og_type, str) and og_type.strip().lower() == "article":
        return True
    return any(types_of(node) & _ARTICLE_TYPES for node in nodes) or bool(index.first("article"))


def page_url(index: PageIndex) -> str | None:
    """The page's canonical URL: ``<link rel=canonical>``, else ``og:url``.

    An ``og:url`` naming the section the page sits in (some sites give
    ``/Discussions`` on every thread) is narrowed to the page's own post-back form
    address when that lies below it.
    """
    for link in index.by_name.get("link", ()):
        rel = link.get("rel") or ""
        if "canonical" in (rel.lower().split() if isinstance(rel, str) else rel):
            url = clean_url(link.get("href"))
            if url:
                return url
    for meta in index.by_name.get("meta", ()):
        if meta.get("property") == "og:url":
            url = clean_url(meta.get("content"))
            if url:
                return _postback_url(index, url) or url
    return None


def _postback_url(index: PageIndex, section: str) -> str | None:
    base = urlsplit(section).path.rstrip("/") + "/"
    for form in index.by_name.get("form", ()):
        action = form.get("action")
        if isinstance(action, str) and str(form.get("method", "")).lower() == "post":
            own = clean_url(urljoin(section, action.strip()).split("?", 1)[0])
            if own and urlsplit(own).path.startswith(base) and len(urlsplit(own).path) > len(base):
                return own
    return None


def site_of(url: str | None) -> str:
    """The site's host without ``www.`` (``forum.example.org``), or ``html`` when the URL is unknown."""
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.") or "html"


def breadcrumb_topic(index: PageIndex, nodes: list[dict], question: str) -> str | None:
    """The forum or category the page's breadcrumb names last (site roots and the question itself skipped)."""
    names = _jsonld_breadcrumb(nodes)
    if not names:
        trail = _breadcrumb_trail(index)
        names = [a.get_text(" ") for a in trail.find_all("a")] if trail is not None else []
    skip = _SITE_ROOTS | {question.casefold()}
    kept = [name for name in clean_unique(names) if name.casefold() not in skip]
    return kept[-1] if kept else None


def _breadcrumb_trail(index: PageIndex) -> Tag | None:
    """The page's breadcrumb element: by class, by ``aria-label``, or as a microdata ``BreadcrumbList``."""
    trails = index.with_class(*_BREADCRUMB_CLASSES)
    if trails:
        return trails[0]
    for nav in index.by_name.get("nav", ()):
        if "breadcrumb" in str(nav.get("aria-label", "")).lower():
            return nav
    return next((t for t in index.itemscopes if str(t.get("itemtype", "")).endswith("BreadcrumbList")), None)


def _jsonld_breadcrumb(nodes: list[dict]) -> list[str]:
    for node in nodes:
        if "BreadcrumbList" in types_of(node):
            items = node.get("itemListElement")
            return [name for name in map(_crumb_name, items if isinstance(items, list) else []) if name]
    return []


def _crumb_name(item: object) -> str | None:
    if not isinstance(item, dict):
        return None
    inner = item.get("item")
    name = item.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
    return name if isinstance(name, str) else None
