"""A WARC written by a real crawler: ``wget --warc-file`` of the test forum on 127.0.0.1."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from tests.crawl.crawl_site import CANONICAL, site  # noqa: F401 (site is a fixture)

# .ci/run installs wget; a machine without it cannot run this test.
needs_wget = pytest.mark.skipif(shutil.which("wget") is None, reason="wget is not installed")


@needs_wget
def test_a_wget_crawl_is_ingested_from_its_warc(tmp_path: pathlib.Path, site: str):
    work = tmp_path / "crawl"
    work.mkdir()
    subprocess.run(["wget", "--quiet", "--recursive", "--level=1", "--no-parent", "--delete-after",
                    "--no-directories", "-e", "robots=off", "--warc-file=crawl", f"{site}/index.html"],
                   cwd=work, check=False)  # wget exits 8 for the missing page
    warc = work / "crawl.warc.gz"
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    first = runner.invoke(cli, [*data, "ingest", "--no-index", str(warc)])
    assert first.exit_code == 1  # the index page and the article are no Q&A pages
    assert f"read {warc}: 6 pages; skipped 1 HTTP 404" in first.output
    listed = runner.invoke(cli, [*data, "records", "list"]).output
    assert {line.split("\t")[0] for line in listed.splitlines()} == {*CANONICAL.values(), f"{site}/foot-pain.txt"}

    again = runner.invoke(cli, [*data, "ingest", "--no-index", str(warc)])
    assert "0 new, 0 updated, 4 unchanged records; 2 files rejected" in again.output
    rejected = sorted(line for line in again.output.splitlines() if line.startswith("rejected"))
    assert rejected[0].endswith(f": {site}/binge-eating.html: not a Q&A page: article with no question/answer markup")
