"""``POST /v1/pages``: pages sent by a scraper, ingested and indexed as ``healthqa ingest`` does.

The same locks as the command: the data directory's ingest lock while records are
stored, then the index writer's lock while the index is brought up to date. A lock held
by a running ingest or reindex is waited for briefly and then reported (a 503), never
waited on for ever.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import time
from typing import Any

from fastapi import HTTPException, Request
from pydantic import ValidationError

from healthqa.ingest.errors import IndexBusyError
from healthqa.ingest.lock import exclusive
from healthqa.ingest.pipeline import Options
from healthqa.ingest.push import PushedPage, check_url, ingest_pushed
from healthqa.serve.models import PushRequestModel
from healthqa.serve.settings import ServeSettings

JSON_TYPES = ("application/json",)


async def read_body(request: Request, settings: ServeSettings) -> bytes:
    """The request body, at most ``max_body_bytes`` (else 413) and sent within ``body_seconds`` (else 408)."""
    deadline = time.monotonic() + settings.body_seconds
    chunks: list[bytes] = []
    size = 0
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), max(0.0, deadline - time.monotonic()))
        except StopAsyncIteration:
            break
        except asyncio.TimeoutError:
            raise HTTPException(408, f"the request body took longer than {settings.body_seconds:g} s to arrive") from None
        size += len(chunk)
        if size > settings.max_body_bytes:
            raise HTTPException(413, f"request body is over the limit of {settings.max_body_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def pages_from_body(body: bytes, content_type: str, url: str | None) -> list[PushedPage]:
    """The pages a request sends: a JSON batch ``{"pages": [...]}``, or one page as the raw body."""
    if content_type.split(";")[0].strip().lower() not in JSON_TYPES:
        if not body:
            raise HTTPException(422, "the request body is empty: send the page's bytes, or a JSON batch")
        return [PushedPage(body, _url(url, "url"))]
    try:
        batch = PushRequestModel.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise HTTPException(422, f"JSON body: {where}: {first.get('msg', 'invalid')}") from None
    if not batch.pages:
        raise HTTPException(422, "JSON body: pages: the list is empty")
    return [_page(n, item) for n, item in enumerate(batch.pages)]


def _page(n: int, item: Any) -> PushedPage:
    if (item.content is None) == (item.content_base64 is None):
        raise HTTPException(422, f"pages[{n}]: give exactly one of content and content_base64")
    if item.content is not None:
        data = item.content.encode("utf-8", "surrogatepass")
    else:
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise HTTPException(422, f"pages[{n}].content_base64: not valid base64") from None
    return PushedPage(data, _url(item.url, f"pages[{n}].url"))


def _url(url: str | None, where: str) -> str | None:
    try:
        return check_url(url)
    except ValueError as exc:
        raise HTTPException(422, f"{where}: {exc}") from None


def push(settings: ServeSettings, pages: list[PushedPage]) -> dict[str, Any]:
    """Ingest and index ``pages`` (blocking: run it in a thread). The response's JSON."""
    from healthqa.index.writer import sync
    from healthqa.ingest.store import Store

    data_dir, wait = settings.data_dir, settings.lock_wait
    with exclusive(os.path.join(data_dir, "ingest.lock"), wait, "ingest"):
        with Store.open(data_dir, timeout=wait) as store:
            summary, parsed = ingest_pushed(pages, store, Options(max_bytes=settings.max_body_bytes))
    stored = len(summary.changes)
    try:
        with Store.open(data_dir, timeout=wait) as store:
            report = sync(data_dir, store, wait, memory_mb=settings.index_memory_mb)
    except IndexBusyError as exc:
        raise IndexBusyError(f"{stored} records were stored but not indexed yet ({exc}); the next ingest or "
                             "'healthqa index' indexes them") from None
    return _response(pages, parsed, summary, report.documents)


def _response(pages: list[PushedPage], parsed: list, summary, documents: int) -> dict[str, Any]:
    """What a push did, each record and each reject pointing back at the page it came from."""
    by_origin = {p.path: n for n, p in enumerate(parsed)}
    page_of: dict[str, int] = {}
    for n, item in enumerate(parsed):
        for record in item.pages:
            page_of.setdefault(record.id, n)
    return {
        "pages": len(pages), "new": summary.new, "updated": summary.updated, "unchanged": summary.unchanged,
        "deleted": summary.deleted,
        "records": [{"page": page_of.get(c.id, 0), "id": c.id, "change": str(c.kind)} for c in summary.changes],
        "rejected": [{"page": by_origin[path], "url": pages[by_origin[path]].url, "reason": reason}
                     for path, reason in summary.rejected],
        "documents": documents,
    }
