"""A Scrapy item pipeline that ingests the pages a spider fetches (``pip install healthqa[scrapy]``).

In the Scrapy project's ``settings.py``::

    ITEM_PIPELINES = {"healthqa.scrapy.IngestPipeline": 300}
    HEALTHQA_DATA = "healthqa-data"        # ingest into this data directory, or
    # HEALTHQA_URL = "http://127.0.0.1:8000"  # post to a running 'healthqa serve'
    # HEALTHQA_API_KEY = "..."                # (or the HEALTHQA_API_KEY environment variable)
    HEALTHQA_BATCH = 100                   # pages per commit (or per request)
    # HEALTHQA_INDEX_MEMORY_MB = 512        # peak memory of indexing at the end (default: as the commands)

and in the spider, ``yield page_item(response)`` (or ``{"response": response}``, or any item
with ``url`` and ``body``, and optionally ``charset``). Pages are parsed as ``healthqa ingest`` parses files, keyed
by URL: a page unchanged since the last crawl is not parsed again. Rejected pages are
logged as warnings and counted in the crawl's stats (``healthqa/rejected``, beside
``healthqa/new``, ``healthqa/updated``, ...); the item goes on to later pipelines as it came.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import urllib.error
import urllib.request
from contextlib import ExitStack
from typing import Any

from healthqa import config
from healthqa.ingest.normalise import clean_url
from healthqa.ingest.warc import Fetched, content_charset

logger = logging.getLogger(__name__)

_COUNTS = ("new", "updated", "unchanged", "deleted")


def page_item(response: Any) -> dict[str, Any]:
    """The item for one Scrapy response: its URL, body bytes and the charset its server named."""
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    return {"url": response.url, "body": response.body, "charset": content_charset(content_type)}


def fetched_from(item: Any) -> Fetched:
    """A :class:`Fetched` page from a Scrapy response, an item holding one as ``response``, or an
    item with ``url`` and ``body`` (and optionally ``charset``); raises ``ValueError`` saying what is wrong."""
    from itemadapter import ItemAdapter

    if _is_response(item):
        item = page_item(item)
    adapter = ItemAdapter(item)
    if _is_response(adapter.get("response")):
        adapter = ItemAdapter(page_item(adapter["response"]))
    url = clean_url(adapter.get("url"))
    if url is None:
        raise ValueError(f"item has no http(s) 'url' (got {str(adapter.get('url'))[:100]!r})")
    body = adapter.get("body")
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, bytes):
        raise ValueError(f"item for {url} has no 'body' of bytes or text")
    charset = adapter.get("charset")
    return Fetched(url, body, url, charset if isinstance(charset, str) else None)


def index_memory_mb(value: Any, data_dir: str) -> float:
    """The Scrapy setting ``HEALTHQA_INDEX_MEMORY_MB`` if given, else ``index_memory_mb`` as every
    command reads it (``$HEALTHQA_INDEX_MEMORY_MB``, ``healthqa.toml``, the default); raises
    :class:`~healthqa.config.ConfigError` naming the value when it is not a number of 200 or more."""
    env = dict(os.environ)
    if value not in (None, ""):
        env[f"{config.ENV_PREFIX}_INDEX_MEMORY_MB"] = str(value)
    return config.load({"data_dir": data_dir}, env).get("index_memory_mb")


def _is_response(value: Any) -> bool:
    return all(hasattr(value, name) for name in ("url", "body", "headers", "status"))


class IngestPipeline:
    """Scrapy item pipeline: pages into a healthqa data directory, or posted to ``healthqa serve``."""

    def __init__(self, settings: Any, stats: Any):
        self.stats = stats
        self.batch_size = max(1, settings.getint("HEALTHQA_BATCH", 100))
        self.url = settings.get("HEALTHQA_URL")
        self.api_key = settings.get("HEALTHQA_API_KEY") or os.environ.get(f"{config.ENV_PREFIX}_API_KEY")
        self.data_dir = config.data_dir(settings.get("HEALTHQA_DATA"))
        self.update_index = settings.getbool("HEALTHQA_INDEX", True)
        self.wait = settings.getfloat("HEALTHQA_WAIT", config.DEFAULT_WAIT)
        self.memory_mb = index_memory_mb(settings.get("HEALTHQA_INDEX_MEMORY_MB"), self.data_dir)
        self.sink: _Local | _Remote | None = None
        self.pending: list[Fetched] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> "IngestPipeline":
        return cls(crawler.settings, crawler.stats)

    def open_spider(self, spider: Any = None) -> None:
        if self.url:
            self.sink = _Remote(self.url, self.api_key)
        else:
            self.sink = _Local(self.data_dir, self.wait, self.memory_mb)
        logger.info("healthqa: pages go to %s", self.url or os.path.abspath(self.data_dir))

    def process_item(self, item: Any, spider: Any = None) -> Any:
        try:
            self.pending.append(fetched_from(item))
        except ValueError as exc:
            logger.warning("healthqa: %s", exc)
            self.stats.inc_value("healthqa/invalid_items")
            return item
        if len(self.pending) >= self.batch_size:
            self.flush()
        return item

    def close_spider(self, spider: Any = None) -> None:
        try:
            self.flush()
        finally:
            if self.sink is not None:
                self.sink.close(self.update_index)

    def flush(self) -> None:
        """Ingest (or post) the pages collected so far, and report what happened to them."""
        if not self.pending or self.sink is None:
            return
        batch, self.pending = self.pending, []
        try:
            counts, rejected = self.sink.send(batch)
        except Exception as exc:  # the crawl goes on; the lost pages are counted and said
            logger.error("healthqa: %d pages not ingested: %s", len(batch), exc)
            self.stats.inc_value("healthqa/failed", len(batch))
            return
        self.stats.inc_value("healthqa/pages", len(batch))
        for name in _COUNTS:
            self.stats.inc_value(f"healthqa/{name}", counts.get(name, 0))
        for where, reason in rejected:
            logger.warning("healthqa: rejected %s: %s", where, reason.removeprefix(f"{where}: "))
        self.stats.inc_value("healthqa/rejected", len(rejected))


class _Local:
    """Pages into a data directory, holding its ingest lock for the whole crawl (as an ingest does)."""

    def __init__(self, data_dir: str, wait: float, memory_mb: float = config.INDEX_MEMORY_MB):
        from healthqa.ingest.lock import exclusive
        from healthqa.ingest.store import Store

        self.data_dir = data_dir
        self.wait = wait
        self.memory_mb = memory_mb
        self.stack = ExitStack()
        self.stack.enter_context(exclusive(os.path.join(data_dir, "ingest.lock"), wait, "ingest"))
        self.store = self.stack.enter_context(Store.open(data_dir, timeout=wait))

    def send(self, batch: list[Fetched]) -> tuple[dict[str, int], list[tuple[str, str]]]:
        from healthqa.ingest.crawl import ingest_pages
        from healthqa.ingest.pipeline import Summary

        summary = Summary()
        ingest_pages(batch, self.store, summary)
        return {name: getattr(summary, name) for name in _COUNTS}, summary.rejected

    def close(self, update_index: bool) -> None:
        self.stack.close()
        if update_index:
            from healthqa.index.writer import sync
            from healthqa.ingest.store import Store

            with Store.open(self.data_dir, timeout=self.wait) as store:
                report = sync(self.data_dir, store, self.wait, memory_mb=self.memory_mb)
            logger.info("healthqa: index brought up to date: %s", report)


class _Remote:
    """Pages posted to ``POST /v1/pages`` of a ``healthqa serve`` (JSON batch, raw bytes in base64)."""

    def __init__(self, url: str, api_key: str | None, timeout: float = 120.0):
        self.endpoint = url.rstrip("/") + "/v1/pages"
        self.api_key = api_key
        self.timeout = timeout

    def request(self, batch: list[Fetched]) -> urllib.request.Request:
        pages = [{"url": page.url, "content_base64": base64.b64encode(page.body).decode("ascii")} for page in batch]
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return urllib.request.Request(self.endpoint, json.dumps({"pages": pages}).encode(), headers, method="POST")

    def send(self, batch: list[Fetched]) -> tuple[dict[str, int], list[tuple[str, str]]]:
        try:
            with urllib.request.urlopen(self.request(batch), timeout=self.timeout) as reply:
                answer = json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{self.endpoint} answered {exc.code}: {_error_of(exc)}") from None
        except urllib.error.URLError as exc:
            raise RuntimeError(f"cannot reach {self.endpoint}: {exc.reason}") from None
        rejected = [(r.get("url") or batch[r["page"]].url, r.get("reason", "rejected"))
                    for r in answer.get("rejected", [])]
        return {name: int(answer.get(name, 0)) for name in _COUNTS}, rejected

    def close(self, update_index: bool) -> None:
        pass  # the server brings its index up to date with every request


def _error_of(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read()).get("error", exc.reason))
    except (ValueError, AttributeError, OSError):
        return str(exc.reason)
