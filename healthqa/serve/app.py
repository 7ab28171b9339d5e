"""The ASGI app: FastAPI over one :class:`~healthqa.serve.live.LiveIndex` per worker.

>>> app = create_app(ServeSettings(data_dir="healthqa-data"))  # the index is opened when it starts
>>> sorted(app.openapi()["paths"])[:3]
['/v1/health', '/v1/pages', '/v1/records/{record_id}']
"""

from __future__ import annotations

import contextlib
import logging
from typing import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response

from healthqa import __version__
from healthqa.ingest.errors import HealthQAError
from healthqa.serve import api, pages
from healthqa.serve.live import LiveIndex
from healthqa.serve.responses import Guard, SafeJSONResponse, error_response, status_of
from healthqa.serve.settings import ServeSettings

log = logging.getLogger("healthqa.serve")

DESCRIPTION = ("Search health questions and answers, suggest related questions, and send new pages. "
               "Shapes are those of `healthqa ... --json`. Errors are `{\"status\": N, \"error\": \"message\"}`.")


def create_app(settings: ServeSettings) -> FastAPI:
    """The app for one worker, over ``settings.data_dir``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.live = LiveIndex(settings.data_dir, search_cache=settings.search_cache, backend=settings.backend,
                                   cluster_dir=settings.cluster_dir)
        try:
            app.state.live.get().warm()  # open the index now, so the first request does not wait for it
        except HealthQAError as exc:
            log.warning("%s", exc)
        yield
        app.state.live.close()

    app = FastAPI(title="healthqa", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  default_response_class=SafeJSONResponse, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.include_router(api.router)
    app.include_router(pages.router)
    _handle_errors(app)
    app.add_middleware(api.PlainSearch, settings=settings)  # inside the Guard: its headers, its 500s
    app.add_middleware(Guard, max_body_bytes=settings.max_body_bytes, on_error=_unforeseen,
                       public_reads=settings.read_key is None)
    return app


def app_from_env() -> FastAPI:
    """The factory ``healthqa serve`` hands uvicorn: each worker reads the same environment."""
    return create_app(ServeSettings.from_env())


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/v1/") or path == "/openapi.json")


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_html(request):
        return HTMLResponse(pages.render("error.html", status=status, message=message), status_code=status)
    return error_response(status, message)


def _unforeseen(scope, exc: Exception) -> Response:
    """A failure no handler explains: logged with its traceback here, a one-line 500 for the client."""
    request = Request(scope)
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return _error(request, 500, f"internal error ({type(exc).__name__}); the server goes on")


def _handle_errors(app: FastAPI) -> None:
    """Every failure is a status and a one-line message, never a traceback."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such page: {request.url.path}"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return _error(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")) or "request"
        return _error(request, 422, f"parameter {where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(HealthQAError)
    async def library_error(request: Request, exc: HealthQAError) -> Response:
        return _error(request, status_of(exc), str(exc))
