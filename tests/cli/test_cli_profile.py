"""``healthqa ingest --profile`` and how a page was read, as ``records show`` and the export give it."""

from __future__ import annotations

import json
import pathlib
import shutil

from click.testing import CliRunner, Result

from healthqa.cli import cli

THREADS = pathlib.Path(__file__).resolve().parents[1] / "ingest" / "data" / "threads"


def run(data_dir: pathlib.Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def _only_record(data_dir: pathlib.Path) -> dict:
    listed = run(data_dir, "records", "list")
    record_id = listed.stdout.splitlines()[0].split("\t")[0]
    shown = run(data_dir, "records", "show", record_id)
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.stdout)


def test_records_show_says_the_detector_read_an_unmarked_thread(tmp_path: pathlib.Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(THREADS / "unmarked-vbulletin-like.html", pages / "thread.html")
    result = run(tmp_path / "data", "ingest", "--no-index", str(pages))
    assert result.exit_code == 0, result.output
    record = _only_record(tmp_path / "data")
    assert record["method"] == "detector"
    assert record["date_iso"] == "2020-04-19T21:41"
    assert [a["author"] for a in record["answers"]] == ["Porky", "Altes.Eisen", "HerrAbisZ"]
    exported = run(tmp_path / "data", "records", "export", "--format", "jsonl")
    assert json.loads(exported.stdout.splitlines()[0])["method"] == "detector"


def test_profile_reads_the_page_it_matches(tmp_path: pathlib.Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    entry = '<div class="entry"><b class="who">{0}</b><p class="words">{1}</p></div>'
    (pages / "t.html").write_text("<html><body><h2>Cold feet?</h2>" + entry.format("ann", "My feet are cold.")
                                  + entry.format("bob", "See a doctor about it.") + "</body></html>")
    profile = tmp_path / "profiles.json"
    profile.write_text(json.dumps([{"url": "*/pages/*", "post": "div.entry", "body": ".words", "author": ".who",
                                    "title": "h2"}]))
    without = run(tmp_path / "plain", "ingest", "--no-index", str(pages))
    assert without.exit_code == 1 and "no question found" in without.stderr
    result = run(tmp_path / "data", "ingest", "--no-index", "--profile", str(profile), str(pages))
    assert result.exit_code == 0, result.output
    record = _only_record(tmp_path / "data")
    assert (record["method"], record["question"], record["asked_by"]) == ("profile", "Cold feet?", "ann")
    assert [(a["author"], a["text"]) for a in record["answers"]] == [("bob", "See a doctor about it.")]


def test_bad_profile_is_one_line_naming_the_file(tmp_path: pathlib.Path) -> None:
    profile = tmp_path / "profiles.json"
    profile.write_text('[{"url": "*", "post": "div"}]')
    result = run(tmp_path / "data", "ingest", "--no-index", "--profile", str(profile), str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"Error: profile file {str(profile)!r}, profile 1: 'body' is missing or empty"]
