"""``healthqa.scrapy.IngestPipeline`` driven item by item, without a crawl: bad items, posting."""

from __future__ import annotations

import base64
import http.server
import json
import pathlib
from typing import Iterator

import pytest

from healthqa.scrapy import IngestPipeline, page_item
from tests.crawl.crawl_site import serving

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
SEED = (REPO / "raw" / "sharecare_back-pain_foot-problems.txt").read_bytes()


class Stats:
    """The two calls of Scrapy's stats collector the pipeline makes."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def pipeline(**settings: object) -> tuple[IngestPipeline, Stats]:
    from scrapy.settings import Settings

    stats = Stats()
    made = IngestPipeline(Settings({"HEALTHQA_INDEX": False, **settings}), stats)
    made.open_spider()
    return made, stats


def test_items_without_url_or_body_are_counted_and_passed_on(tmp_path, caplog):
    made, stats = pipeline(HEALTHQA_DATA=str(tmp_path / "data"))
    odd = [{"body": SEED}, {"url": "ftp://example.org/x", "body": SEED}, {"url": "https://example.org/q"}]
    assert [made.process_item(item) for item in odd] == odd
    made.process_item({"url": "https://example.org/q", "body": SEED.decode("utf-8")})
    made.close_spider()
    assert stats.values == {"healthqa/invalid_items": 3, "healthqa/pages": 1, "healthqa/new": 1,
                            "healthqa/updated": 0, "healthqa/unchanged": 0, "healthqa/deleted": 0,
                            "healthqa/rejected": 0}
    assert "item has no http(s) 'url' (got 'ftp://example.org/x')" in caplog.text
    assert "item for https://example.org/q has no 'body' of bytes or text" in caplog.text


def test_the_index_is_brought_up_to_date_within_the_configured_memory_budget(tmp_path, monkeypatch):
    """The Scrapy setting, else ``index_memory_mb`` as the commands read it (environment, file, default)."""
    from healthqa.config import ConfigError

    data = tmp_path / "data"

    def budget(**settings: object) -> float:
        made, _ = pipeline(HEALTHQA_DATA=str(data), **settings)
        made.close_spider()
        return made.sink.memory_mb

    monkeypatch.delenv("HEALTHQA_INDEX_MEMORY_MB", raising=False)
    assert budget() == 512
    data.joinpath("healthqa.toml").write_text("index_memory_mb = 300\n")
    assert budget() == 300
    monkeypatch.setenv("HEALTHQA_INDEX_MEMORY_MB", "250")
    assert budget() == 250
    assert budget(HEALTHQA_INDEX_MEMORY_MB=1024) == 1024
    with pytest.raises(ConfigError, match=r"HEALTHQA_INDEX_MEMORY_MB: index_memory_mb = '50' is not valid"):
        budget(HEALTHQA_INDEX_MEMORY_MB=50)


def test_a_page_unchanged_since_the_last_crawl_is_not_parsed_again(tmp_path, monkeypatch):
    for n in range(2):
        made, stats = pipeline(HEALTHQA_DATA=str(tmp_path / "data"))
        made.process_item({"url": "https://example.org/q", "body": SEED})
        made.close_spider()
        if n == 0:  # the second crawl must not parse
            from healthqa.ingest import crawl

            monkeypatch.setattr(crawl, "parse_fetched", lambda page: pytest.fail(f"{page.url} parsed again"))
    assert (stats.values["healthqa/new"], stats.values["healthqa/unchanged"]) == (0, 1)


class _StandIn(http.server.BaseHTTPRequestHandler):
    """Answers ``POST /v1/pages`` as the API documents it, and keeps what it was sent."""

    received: list[tuple[str, dict[str, str], dict]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _StandIn.received.append((self.path, dict(self.headers), body))
        if self.headers.get("Authorization") != "Bearer sesame":
            self._reply(401, {"status": 401, "error": "a valid API key is needed"})
            return
        urls = [page["url"] for page in body["pages"]]
        self._reply(200, {"pages": len(urls), "new": len(urls) - 1, "updated": 0, "unchanged": 0, "deleted": 0,
                          "records": [], "documents": 1,
                          "rejected": [{"page": len(urls) - 1, "url": urls[-1], "reason": "not a Q&A page"}]})

    def _reply(self, status: int, data: dict) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[str]:
    _StandIn.received = []
    with serving(_StandIn) as url:
        yield url


def test_posting_sends_batches_with_the_key_and_reports_what_the_server_says(stand_in, caplog):
    made, stats = pipeline(HEALTHQA_URL=stand_in, HEALTHQA_API_KEY="sesame", HEALTHQA_BATCH=2)
    for n in range(3):
        made.process_item({"url": f"https://example.org/q/{n}", "body": SEED, "charset": "utf-8"})
    made.close_spider()
    paths = [path for path, _, _ in _StandIn.received]
    assert paths == ["/v1/pages", "/v1/pages"]
    _, headers, body = _StandIn.received[0]
    assert headers["Content-Type"] == "application/json"
    assert [p["url"] for p in body["pages"]] == ["https://example.org/q/0", "https://example.org/q/1"]
    assert base64.b64decode(body["pages"][0]["content_base64"]) == SEED
    assert (stats.values["healthqa/pages"], stats.values["healthqa/new"], stats.values["healthqa/rejected"]) == (3, 1, 2)
    assert "rejected https://example.org/q/1: not a Q&A page" in caplog.text


def test_a_refused_post_is_logged_and_counted_and_the_crawl_goes_on(stand_in, caplog):
    made, stats = pipeline(HEALTHQA_URL=stand_in, HEALTHQA_API_KEY="wrong", HEALTHQA_BATCH=1)
    assert made.process_item({"url": "https://example.org/q", "body": SEED}) is not None
    made.close_spider()
    assert stats.values == {"healthqa/failed": 1}
    assert f"1 pages not ingested: {stand_in}/v1/pages answered 401: a valid API key is needed" in caplog.text


def test_a_response_or_an_item_holding_one_is_a_page(tmp_path):
    from scrapy.http import TextResponse

    made, stats = pipeline(HEALTHQA_DATA=str(tmp_path / "data"))
    response = TextResponse("https://example.org/a", body=SEED, headers={"Content-Type": "text/plain"})
    made.process_item(response)
    made.process_item({"response": TextResponse("https://example.org/b", body=SEED)})
    made.close_spider()
    assert (stats.values["healthqa/pages"], stats.values["healthqa/new"]) == (2, 2)


def test_page_item_takes_the_charset_the_server_named():
    from scrapy.http import HtmlResponse

    response = HtmlResponse("https://example.org/q", body=b"<html></html>",
                            headers={"Content-Type": "text/html; charset=ISO-8859-2"})
    assert page_item(response) == {"url": "https://example.org/q", "body": b"<html></html>", "charset": "iso-8859-2"}


def test_posting_to_a_real_healthqa_serve(tmp_path, corpus_dir):
    """Against the server itself once it is installed (the stand-in above checks the request shape)."""
    pytest.importorskip("healthqa.serve.app")
    import shutil
    import urllib.request

    from healthqa.serve.settings import ServeSettings
    from tests.serve.conftest import running

    data = tmp_path / "data"
    shutil.copytree(corpus_dir, data, symlinks=True)
    article = (REPO / "tests" / "ingest" / "data" / "html" / "healthline_how-to-overcome-binge-eating.html")
    with running(ServeSettings(data_dir=str(data), api_key="sesame")) as url:
        made, stats = pipeline(HEALTHQA_URL=url, HEALTHQA_API_KEY="sesame", HEALTHQA_BATCH=2)
        made.process_item({"url": "https://example.org/foot", "body": SEED})
        made.process_item({"url": "https://example.org/article", "body": article.read_bytes()})
        made.close_spider()
        with urllib.request.urlopen(f"{url}/v1/records/https://example.org/foot") as reply:
            assert json.loads(reply.read())["question"] == "How can foot problems cause back pain?"
    assert (stats.values["healthqa/new"], stats.values["healthqa/rejected"]) == (1, 1)
