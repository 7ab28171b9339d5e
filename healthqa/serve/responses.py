"""How the server answers: JSON that can be inlined in a page, errors as JSON with a status,
and the security headers every response carries."""

from __future__ import annotations

import math
from typing import Any, Callable

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthqa.ingest.errors import (HealthQAError, IndexBusyError, IndexMissingError, IndexVersionError,
                                    QueryError, RecordNotFound, StoreError)
from healthqa.search.results import Results
from healthqa.search.safe_json import compact_json

# Pages carry no script and load nothing from elsewhere; the stylesheet is served from here.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "base-uri 'none'; frame-ancestors 'none'")


def json_body(content: Any) -> bytes:
    """JSON as ``healthqa ... --json`` writes it, compact: ``<``, ``>``, ``&`` and C1 controls as ``\\u`` escapes."""
    return compact_json(content)


def results_body(results: Results) -> bytes:
    """``json_body(results.to_dict())``, the same bytes, written faster: the only floats of
    results are the hits' scores, rounded to 4 places, so finite ones are plain
    (:func:`~healthqa.search.safe_json.compact_json`)."""
    return compact_json(results.to_dict(), plain=all(math.isfinite(hit.score) for hit in results.hits))


class SafeJSONResponse(JSONResponse):
    """A response of :func:`json_body`."""

    def render(self, content: Any) -> bytes:
        return json_body(content)


def error_response(status: int, message: str) -> SafeJSONResponse:
    return SafeJSONResponse({"status": status, "error": message}, status_code=status)


def status_of(exc: HealthQAError) -> int:
    """The HTTP status a library error stands for."""
    if isinstance(exc, RecordNotFound):
        return 404
    if isinstance(exc, QueryError):
        return 400
    if isinstance(exc, (IndexMissingError, IndexVersionError, IndexBusyError, StoreError)):
        return 503  # nothing the client can change: no index or store yet, or a writer holds it
    return 500


_SECURITY_HEADERS = [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                     (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]


_CORS = [(b"access-control-allow-origin", b"*")]


class Guard:
    """ASGI middleware: refuse a body whose declared length is over the limit (413) before
    reading it, add the security headers to every response, and answer a failure nothing
    else handled with ``on_error``'s response (a 500) while the connection stays usable."""

    def __init__(self, app: ASGIApp, max_body_bytes: int,
                 on_error: Callable[[Scope, Exception], Response] | None = None, public_reads: bool = False):
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Open reads may be fetched by another site's pages (the widget, the JSON): say so to browsers.
        self.public_reads = public_reads
        self.on_error = on_error or (lambda scope, exc: error_response(500, f"internal error ({type(exc).__name__})"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            response = (error_response(413, f"request body of {int(declared):,} bytes is over the limit of "
                                            f"{self.max_body_bytes:,} bytes")
                        if declared.isdigit() else error_response(400, "Content-Length is not a number"))
            await response(scope, receive, send)
            return
        started = False
        extra = _SECURITY_HEADERS + (_CORS if self.public_reads and scope["method"] == "GET"
                                     and scope["path"].startswith("/v1/") else [])

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:  # part of a response went out: only closing the connection can say it failed
                raise
            await self.on_error(scope, exc)(scope, receive, send_with_headers)
