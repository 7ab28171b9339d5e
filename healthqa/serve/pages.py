"""The HTML pages: a search page at ``/``, a page per record, the related-questions widget and
the API docs. Server-rendered (Jinja2, autoescaped), no script. Each page renders the same
data the JSON API returns; the snippets' ``<em>`` is the only markup that comes from a page.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
import markupsafe
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import HTMLResponse, Response

from healthqa.ingest.errors import HealthQAError, IndexMissingError, RecordNotFound
from healthqa.ingest.normalise import clean_url
from healthqa.serve.api import (MAX_LIMIT, MAX_PAGE, MAX_QUERY, record_data, related_data, require_read,
                                run, search_data, settings_of, url_of)
from healthqa.serve.live import Opened

FACETS = ("role", "topic", "source")


# Control characters other than tab and line breaks mean nothing in a page (and a page's
# escape sequences must not reach a terminal that shows the HTML): every value drops them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_controls(value: Any) -> Any:
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(_CONTROL.sub("", value))
    return _CONTROL.sub("", value) if isinstance(value, str) else value


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("healthqa.serve", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=_no_controls)
    env.filters["record_url"] = lambda record_id: "/records/" + quote(record_id, safe="")
    env.filters["http_url"] = clean_url  # only an http(s) URL becomes a link
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def render_widget(request: Request, opened: Opened, record_id: str, k: int) -> str:
    items = []
    for s in related_data(opened, record_id, k):
        link = (url_of(opened, s["id"]) or str(request.base_url).rstrip("/") + environment().filters["record_url"](s["id"])
                if s["id"] else None)
        items.append({**s, "link": link})
    return render("widget.html", suggestions=items)


router = APIRouter(include_in_schema=False)
reads = [Depends(require_read)]


class _Query:
    """The search page's parameters, and links that change one of them."""

    def __init__(self, q: str, roles: list[str], topic: str | None, source: str | None, page: int, limit: int):
        self.q, self.roles, self.topic, self.source, self.page, self.limit = q, roles, topic, source, page, limit

    def link(self, **changes: Any) -> str:
        values = {"q": self.q, "role": self.roles, "topic": self.topic, "source": self.source, "page": 1,
                  "limit": self.limit, **changes}
        pairs = [("q", values["q"])] + [("role", r) for r in values["role"]]
        pairs += [(k, values[k]) for k in ("topic", "source") if values[k]]
        pairs += [(k, values[k]) for k, default in (("page", 1), ("limit", 10)) if values[k] != default]
        return "/?" + urlencode(pairs)

    def toggle(self, facet: str, value: str) -> str:
        """The link that adds ``value`` as a filter, or removes it when it is on."""
        if facet == "role":
            roles = [r for r in self.roles if r != value] if value in self.roles else self.roles + [value]
            return self.link(role=roles)
        return self.link(**{facet: None if getattr(self, facet) == value else value})

    def active(self, facet: str, value: str) -> bool:
        return value in self.roles if facet == "role" else getattr(self, facet) == value


@router.get("/", response_class=HTMLResponse, dependencies=reads)
async def search_page(request: Request, q: str = Query("", max_length=MAX_QUERY), role: list[str] = Query([]),
                      topic: str | None = Query(None, max_length=500), source: str | None = Query(None, max_length=500),
                      page: int = Query(1, ge=1, le=MAX_PAGE), limit: int = Query(10, ge=1, le=MAX_LIMIT)) -> Any:
    query = _Query(q.strip(), role, topic or None, source or None, page, limit)
    settings = settings_of(request)
    if not query.q:
        return HTMLResponse(render("search.html", query=query, results=None, related={}, facets=FACETS, message=None))
    try:
        results, related = run(request, lambda opened: _results(opened, query, settings.related_per_hit))
    except IndexMissingError as exc:
        return HTMLResponse(render("search.html", query=query, results=None, related={}, facets=FACETS,
                                   message=str(exc)), status_code=503)
    except HealthQAError as exc:
        return HTMLResponse(render("search.html", query=query, results=None, related={}, facets=FACETS,
                                   message=str(exc)), status_code=400)
    return HTMLResponse(render("search.html", query=query, results=results, related=related, facets=FACETS,
                               message=None))


def _results(opened: Opened, query: _Query, per_hit: int) -> tuple[dict[str, Any], dict[str, list]]:
    results = search_data(opened, query.q, query.roles, query.topic, query.source, query.limit, query.page)
    related = {hit["id"]: related_data(opened, hit["id"], per_hit) for hit in results["hits"]}
    return results, related


@router.get("/records/{record_id:path}", response_class=HTMLResponse, dependencies=reads)
async def record_page(request: Request, record_id: str) -> Any:
    settings = settings_of(request)
    try:
        record = record_data(settings, record_id)
    except RecordNotFound as exc:
        return HTMLResponse(render("error.html", status=404, message=str(exc)), status_code=404)
    try:
        related = run(request, lambda opened: related_data(opened, record_id, settings.related_k))
    except HealthQAError:  # stored but not indexed yet, or no index: the page still shows
        related = []
    return HTMLResponse(render("record.html", record=record, related=related))


@router.get("/docs", response_class=HTMLResponse)
async def docs(request: Request) -> Any:
    """The OpenAPI schema as a page: every endpoint, its parameters and responses."""
    return HTMLResponse(render("docs.html", api=request.app.openapi()))


@router.get("/static/style.css")
async def stylesheet() -> Response:
    css = resources.files("healthqa.serve").joinpath("static/style.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"cache-control": "max-age=3600"})

