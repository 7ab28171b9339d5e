"""``healthqa.scrapy.IngestPipeline`` in a real Scrapy crawl of a site served on 127.0.0.1."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

from click.testing import CliRunner

from healthqa.cli import cli
from tests.crawl.crawl_site import CANONICAL, site  # noqa: F401 (site is a fixture)

SPIDER = '''
import scrapy
from healthqa.scrapy import page_item


class Site(scrapy.Spider):
    name = "site"
    custom_settings = {
        "ITEM_PIPELINES": {"healthqa.scrapy.IngestPipeline": 300},
        # No listening consoles: the crawl's only sockets are its requests to 127.0.0.1.
        "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "HEALTHQA_BATCH": 2,
    }

    def __init__(self, start, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]

    def parse(self, response):
        yield from response.follow_all(css="a.page", callback=self.page)

    def page(self, response):
        yield page_item(response)
'''


def crawl(tmp_path: pathlib.Path, base: str, data_dir: pathlib.Path) -> str:
    """Run the spider in its own process (Twisted's reactor cannot start twice); its log."""
    spider = tmp_path / "spider.py"
    spider.write_text(SPIDER, "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"start={base}/index.html",
         "-s", f"HEALTHQA_DATA={data_dir}"],
        cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def _stat(log: str, name: str) -> int | None:
    for line in log.splitlines():
        if f"'healthqa/{name}':" in line:
            return int(line.split(f"'healthqa/{name}':")[1].strip(" ,}"))
    return None


def test_a_scrapy_crawl_ingests_its_pages_and_reports_rejects(tmp_path, site):
    data_dir = tmp_path / "data"
    log = crawl(tmp_path, site, data_dir)
    runner = CliRunner()
    listed = runner.invoke(cli, ["--data-dir", str(data_dir), "records", "list"])
    ids = {line.split("\t")[0] for line in listed.output.splitlines()}
    # URLs in the markup win; the text rendering, which has none, takes the URL it was fetched from.
    assert ids == {*CANONICAL.values(), f"{site}/foot-pain.txt"}
    assert f"healthqa: rejected {site}/binge-eating.html: not a Q&A page" in log
    assert (_stat(log, "pages"), _stat(log, "new"), _stat(log, "rejected")) == (5, 4, 1)
    rejects = runner.invoke(cli, ["--data-dir", str(data_dir), "records", "rejects"])
    assert rejects.output.startswith(f"{site}/binge-eating.html\t")
    # The index was brought up to date when the spider closed.
    found = runner.invoke(cli, ["--data-dir", str(data_dir), "search", "tikosyn", "--json"])
    assert json.loads(found.output)["hits"][0]["id"] == CANONICAL["tikosyn.html"]
