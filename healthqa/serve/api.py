"""The JSON API under ``/v1``: the same shapes as ``healthqa ... --json``, from the same library code.

The functions ``search_data``, ``related_data`` and ``record_data`` are what both this API
and the HTML pages (:mod:`healthqa.serve.pages`) render, so that the two never drift apart.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from healthqa.ingest.errors import HealthQAError, IndexMissingError
from healthqa.search.searcher import Filters
from healthqa.serve import push as pushing
from healthqa.serve.live import LiveIndex, Opened
from healthqa.serve.responses import SafeJSONResponse, error_response, results_body, status_of
from healthqa.serve.models import (ErrorModel, HealthModel, PushRequestModel, PushResponseModel, RecordModel,
                                   ResultsModel, StatsModel, SuggestionModel)
from healthqa.serve.settings import ServeSettings

MAX_LIMIT = 100
MAX_PAGE = 1000
MAX_QUERY = 10_000  # the searcher reads the first 2,000 characters and says so in a note
MAX_VALUE = 500  # a topic or source filter
DEFAULT_LIMIT = 10
MISSING_SHARDS = "X-Missing-Shards"  # related lists from a cluster with a shard down say which

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorModel} for code in (400, 401, 404, 422, 503)}


def settings_of(request: Request) -> ServeSettings:
    return request.app.state.settings


def live_of(request: Request) -> LiveIndex:
    return request.app.state.live


def _key_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


def _matches(given: str | None, wanted: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), wanted.encode())


async def require_read(request: Request) -> None:
    """Reads are open unless ``HEALTHQA_READ_KEY`` is set; then that key (or the write key) is needed."""
    settings = settings_of(request)
    if settings.read_key is None:
        return
    given = _key_of(request)
    if not (_matches(given, settings.read_key) or (settings.api_key and _matches(given, settings.api_key))):
        raise HTTPException(401, "this server needs a read key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'")


async def require_write(request: Request) -> None:
    """Writes need ``HEALTHQA_API_KEY``; a server started without one takes no writes."""
    settings = settings_of(request)
    if settings.api_key is None:
        raise HTTPException(401, "writes are disabled: start the server with HEALTHQA_API_KEY set")
    if not _matches(_key_of(request), settings.api_key):
        raise HTTPException(401, "a valid API key is needed: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'")


# -- what the API and the pages both render ---------------------------------------------------

def search_data(opened: Opened, q: str, roles: list[str], topic: str | None, source: str | None,
                limit: int, page: int) -> dict[str, Any]:
    results = opened.search(q, Filters(tuple(roles), topic or None, source or None), limit=limit, page=page)
    return results.to_dict()


def related_data(opened: Opened, record_id: str, k: int) -> list[dict[str, Any]]:
    return [s.to_dict() for s in opened.related(record_id, k)]


def record_data(settings: ServeSettings, record_id: str) -> dict[str, Any]:
    from healthqa.ingest.store import Store

    with Store.open(settings.data_dir, readonly=True) as store:
        return store.get(record_id).to_dict()


def url_of(opened: Opened, record_id: str) -> str | None:
    """The page's own URL, if the index knows it."""
    docnum = opened.searcher.docnum(record_id)
    return opened.searcher.page(docnum).url if docnum is not None else None


# -- the routes -------------------------------------------------------------------------------

router = APIRouter(prefix="/v1", responses=ERRORS)
reads = [Depends(require_read)]


@router.get("/search", response_model=ResultsModel, dependencies=reads, summary="Search the indexed pages")
async def search(request: Request,
                 q: str = Query(..., min_length=1, max_length=MAX_QUERY, description="The query, as on the command line"),
                 role: list[str] = Query([], description="Only pages with an answer by this expert role (repeatable)"),
                 topic: str | None = Query(None, max_length=MAX_VALUE, description="Only pages on this topic (any case)"),
                 source: str | None = Query(None, max_length=MAX_VALUE, description="Only pages from this source"),
                 limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Hits per page"),
                 page: int = Query(1, ge=1, le=MAX_PAGE, description="Which page of hits")) -> Any:
    """One page of results with facet counts, highlighted snippets, did-you-mean and notes:
    the shape `healthqa search --json` prints."""
    return search_response(request, q, role, topic, source, limit, page)


def search_response(request: Request, q: str, roles: list[str], topic: str | None, source: str | None,
                    limit: int, page: int) -> Response:
    """What ``GET /v1/search`` answers once its parameters are read (by the route or :class:`PlainSearch`)."""
    filters = Filters(tuple(roles), topic or None, source or None)
    body = run(request, lambda opened: opened.search_body(q, filters, limit, page, results_body))
    return Response(body, media_type=SafeJSONResponse.media_type)


class PlainSearch:
    """ASGI middleware: answers ``GET /v1/search`` whose parameters are plainly valid (as the
    route would read them) without FastAPI's per-request parameter solving, which costs more
    than a search's snippets. Anything else (a parameter out of range, a number written
    oddly, a read key to check) goes on to the route, which validates it and answers as
    documented: the answers are the same either way."""

    def __init__(self, app: ASGIApp, settings: ServeSettings):
        self.app = app
        self.open_reads = settings.read_key is None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["path"] == "/v1/search" and scope["method"] == "GET"
                and self.open_reads and not scope.get("root_path")):
            request = Request(scope, receive)
            args = _plain_search_args(request.query_params)
            if args is not None:
                try:
                    response = search_response(request, *args)
                except HealthQAError as exc:  # as the app's handler answers it on /v1/
                    response = error_response(status_of(exc), str(exc))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _plain_search_args(params: QueryParams) -> tuple | None:
    """The route's arguments from ``params`` when each is plainly valid, else None."""
    q, topic, source = params.get("q"), params.get("topic"), params.get("source")
    limit, page = _count(params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT), _count(params.get("page"), 1, MAX_PAGE)
    if q is None or not 0 < len(q) <= MAX_QUERY or limit is None or page is None:
        return None
    if (topic is not None and len(topic) > MAX_VALUE) or (source is not None and len(source) > MAX_VALUE):
        return None
    return q, params.getlist("role"), topic, source, limit, page


def _count(value: str | None, default: int, top: int) -> int | None:
    """``value`` as a whole number from 1 to ``top`` when written plainly (digits, no leading zero)."""
    if value is None:
        return default
    if value.isascii() and value.isdigit() and value[0] != "0" and len(value) <= len(str(top)) and int(value) <= top:
        return int(value)
    return None


@router.get("/related", response_model=list[SuggestionModel], dependencies=reads,
            summary="Existing questions related to a new, free-text question")
async def related_question(request: Request, q: str = Query(..., min_length=1, max_length=MAX_QUERY),
                           k: int = Query(5, ge=1, le=MAX_LIMIT)) -> Any:
    return run(request, lambda opened: _suggestions(opened, opened.finder.for_question(q, k)))


@router.get("/related/{record_id:path}/widget", response_class=HTMLResponse, dependencies=reads,
            summary="The related-questions box of a page, as an HTML fragment to embed")
async def related_widget(request: Request, record_id: str, k: int = Query(5, ge=1, le=MAX_LIMIT)) -> Any:
    """An `<aside>` listing the page's related questions, each linked to its own URL when the
    index knows it, else to this server's page for it. Text is escaped; there is no script."""
    from healthqa.serve.pages import render_widget

    return run(request, lambda opened: HTMLResponse(render_widget(request, opened, record_id, k)))


@router.get("/related/{record_id:path}", response_model=list[SuggestionModel], dependencies=reads,
            summary="People also asked: related questions of an indexed page")
async def related_page(request: Request, record_id: str, k: int = Query(5, ge=1, le=MAX_LIMIT)) -> Any:
    """The shape `healthqa related ID --json` prints (and the widget is made from)."""
    return run(request, lambda opened: _suggestions(opened, opened.related(record_id, k)))


def _suggestions(opened: Opened, found: list) -> Response:
    """Suggestions as JSON; with a cluster shard down, the header `X-Missing-Shards` lists it."""
    response = SafeJSONResponse([s.to_dict() for s in found])
    if opened.finder.missing_shards:
        response.headers[MISSING_SHARDS] = ",".join(map(str, opened.finder.missing_shards))
    return response


@router.get("/records/{record_id:path}", response_model=RecordModel, dependencies=reads, summary="One stored record")
async def record(request: Request, record_id: str) -> Any:
    """The shape `healthqa records show ID` prints."""
    return SafeJSONResponse(record_data(settings_of(request), record_id))


@router.get("/health", response_model=HealthModel, response_model_exclude_unset=True,
            summary="Whether the server can search, and what")
async def health(request: Request) -> Any:
    try:
        opened = live_of(request).get()
    except IndexMissingError:
        return {"status": "no-index", "generation": None, "schema_version": None, "documents": 0,
                "records": _record_count(settings_of(request))}
    settings = settings_of(request)
    searcher = opened.searcher
    if settings.backend == "cluster":
        cluster = searcher.health()
        return {"status": "partial" if cluster["missing_shards"] else "ok", "generation": opened.generation,
                "schema_version": None, "documents": searcher.page_count, "records": _record_count(settings),
                "backend": "cluster", **cluster}
    return {"status": "ok", "generation": opened.generation, "schema_version": searcher.meta.schema_version,
            "documents": searcher.doc_count, "records": _record_count(settings), "backend": "whoosh"}


def _record_count(settings: ServeSettings) -> int | None:
    from healthqa.ingest.store import Store

    try:
        with Store.open(settings.data_dir, readonly=True) as store:
            return store.count()
    except HealthQAError:
        return None


@router.get("/stats", response_model=StatsModel, dependencies=reads, summary="What the index holds")
async def stats(request: Request) -> Any:
    from healthqa.ingest.store import Store

    def figures(opened: Opened) -> dict[str, Any]:
        searcher = opened.searcher
        with Store.open(settings_of(request).data_dir, readonly=True) as store:
            records, store_seq = store.count(), store.seq()
        if settings_of(request).backend == "cluster":
            return {"generation": opened.generation, "schema_version": None, "records": records,
                    "store_seq": store_seq, "backend": "cluster", **searcher.stats(), **searcher.health()}
        values = searcher.values
        every = searcher.postings.live.astype(bool)
        return {"generation": opened.generation, "schema_version": searcher.meta.schema_version,
                "documents": searcher.doc_count, "records": records, "index_seq": searcher.meta.store_seq,
                "store_seq": store_seq, "built_at": searcher.meta.built_at, "roles": len(values["role"].names),
                "topics": len(values["topic"].names), "sources": values["source"].counts(every, 1000),
                "backend": "whoosh"}

    return run_json(request, figures)


@router.post("/pages", response_model=PushResponseModel, dependencies=[Depends(require_write)],
             summary="Ingest and index scraped pages",
             responses={408: {"model": ErrorModel}, 413: {"model": ErrorModel}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": PushRequestModel.model_json_schema()},
                 "text/html": {"schema": {"type": "string", "format": "binary"}},
                 "text/plain": {"schema": {"type": "string", "format": "binary"}}}}})
async def post_pages(request: Request, url: str | None = Query(None, description="URL of a page sent as the raw body")) -> Any:
    """Send one page as the raw body (any content type but JSON; `?url=` says where it came
    from) or many as `{"pages": [{"content" or "content_base64", "url"}]}`. Each page is
    decoded, detected and parsed as `healthqa ingest` does, then the index is updated. The
    response lists the records created, updated or unchanged and the pages rejected, with reasons."""
    settings = settings_of(request)
    body = await pushing.read_body(request, settings)
    pages = pushing.pages_from_body(body, request.headers.get("content-type", ""), url)
    return await run_in_threadpool(pushing.push, settings, pages)


def run(request: Request, work) -> Any:
    """Do `work` with the current searcher; a failure no library error explains drops that
    searcher, so the next request opens the index afresh."""
    live = live_of(request)
    opened = live.get()
    try:
        return work(opened)
    except HealthQAError:
        raise
    except Exception:
        live.discard(opened)
        raise


def run_json(request: Request, work) -> Response:
    """:func:`run`, its data sent as JSON. The data is the library's own `to_dict` shape, which
    the response models describe for the docs: validating it again would cost more than some
    searches do."""
    found = run(request, work)
    return found if isinstance(found, Response) else SafeJSONResponse(found)
