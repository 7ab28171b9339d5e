"""Paths: ingest reads only inside the folders it was given (unless told to follow links) and
writes only inside the data directory, whatever the pages, their names and the folder names hold."""

from __future__ import annotations

import os
import pathlib
import random
import shutil

import pytest
from click.testing import CliRunner, Result

from healthqa.cli import cli
from healthqa.ingest.pipeline import Options, ingest
from healthqa.ingest.store import Store

from faultkit import INGEST_DATA, text_page

SEED = INGEST_DATA / "text" / "sharecare_back-pain_foot-problems.txt"
SEQUENTIAL = Options(workers=1)


def run(data_dir: pathlib.Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def tree(root: pathlib.Path, skip: pathlib.Path | None = None) -> dict[str, tuple[int, int]]:
    """Every entry under ``root`` (links not followed) as path -> (size, mtime), ``skip`` left out.

    Folders count by name only: creating the data directory changes its parent's time.
    """
    out = {}
    for folder, dirs, files in os.walk(root):
        if skip is not None and pathlib.Path(folder) == skip:
            dirs[:] = []
            continue
        for name in dirs + files:
            path = pathlib.Path(folder) / name
            if skip is not None and path == skip:
                continue
            info = path.lstat()
            folder_only = path.is_dir() and not path.is_symlink()
            out[str(path.relative_to(root))] = (0, 0) if folder_only else (info.st_size, info.st_mtime_ns)
    return out


@pytest.fixture
def pages(tmp_path: pathlib.Path) -> pathlib.Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(SEED, folder / "seed.txt")
    return folder


@pytest.fixture
def outside(tmp_path: pathlib.Path) -> pathlib.Path:
    """A folder beside the one ingested, holding pages that must not be read through links."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(text_page(1, random.Random(1)), encoding="utf-8")
    return folder


def origins(store: Store) -> set[str]:
    return {store.get(record_id).origin for record_id in store.ids()}


# -- links out of the folders given -----------------------------------------------------------


def test_links_leading_out_are_skipped_with_a_reason_and_followed_only_when_asked(
        tmp_path: pathlib.Path, pages: pathlib.Path, outside: pathlib.Path, store: Store) -> None:
    (pages / "sub").mkdir()
    os.symlink(outside, pages / "folder-link")                              # a folder, absolute
    os.symlink("../../outside/secret.txt", pages / "sub" / "file-link.txt")  # a file, relative, climbing out
    summary = ingest([str(pages)], store, SEQUENTIAL)
    assert sorted(path for path, _ in summary.skipped) == [str(pages / "folder-link"),
                                                           str(pages / "sub" / "file-link.txt")]
    assert all("outside the given folders, not followed (use --follow-links)" in why for _, why in summary.skipped)
    assert summary.rejected == [] and origins(store) == {str(pages / "seed.txt")}

    followed = ingest([str(pages)], store, Options(workers=1, follow_links=True))
    assert followed.skipped == [] and followed.new == 1  # the secret page, once: both links lead to it
    assert store.count() == 2


def test_a_link_inside_leading_to_a_folder_whose_link_leads_out_is_stopped_there(
        pages: pathlib.Path, outside: pathlib.Path, store: Store) -> None:
    (pages / "a").mkdir()
    os.symlink(pages / "a", pages / "b")          # inside: followed
    os.symlink(outside, pages / "a" / "escape")   # out, reached through the inside link too
    summary = ingest([str(pages)], store, SEQUENTIAL)
    assert sorted(summary.skipped) == [
        (str(pages / "a" / "escape"), "symbolic link to a folder outside the given folders, not followed "
                                      "(use --follow-links)"),
        (str(pages / "b"), "symbolic link loop: folder already visited")]  # a folder is read once
    assert origins(store) == {str(pages / "seed.txt")}


def test_a_folder_given_through_a_link_is_read_and_its_own_files_count_as_inside(
        tmp_path: pathlib.Path, pages: pathlib.Path, store: Store) -> None:
    os.symlink(pages, tmp_path / "via-link")
    os.symlink(pages / "seed.txt", pages / "alias.txt")  # a link to a file inside the folder given
    summary = ingest([str(tmp_path / "via-link")], store, SEQUENTIAL)
    assert summary.skipped == [] and summary.rejected == []
    assert store.count() == 1  # both names give the same record


def test_fifos_and_devices_are_never_opened(tmp_path: pathlib.Path, pages: pathlib.Path, store: Store) -> None:
    os.mkfifo(pages / "pipe.txt")  # opening it would block for ever
    os.symlink("/dev/zero", pages / "zero.txt")  # reading it would never end
    summary = ingest([str(pages)], store, Options(workers=1, follow_links=True))
    assert sorted(summary.skipped) == [(str(pages / "pipe.txt"), "not a regular file"),
                                       (str(pages / "zero.txt"), "not a regular file")]
    assert store.count() == 1


# -- the data directory -----------------------------------------------------------------------


def test_ingest_of_the_folder_holding_the_data_directory_passes_it_over(
        tmp_path: pathlib.Path, pages: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(pages)  # the default data directory, ./healthqa-data, is inside the folder ingested
    monkeypatch.delenv("HEALTHQA_DATA", raising=False)
    first = CliRunner().invoke(cli, ["ingest", "."])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(cli, ["ingest", "."])  # now records.sqlite and the index are there to find
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("1 file: 0 new, 0 updated, 1 unchanged records; 0 files rejected\n")
    assert again.stderr == ""
    inside = CliRunner().invoke(cli, ["ingest", "--no-index", "healthqa-data"])
    assert inside.exit_code == 0
    assert inside.stderr == "skipped healthqa-data: inside the healthqa data directory, not read\n"
    assert CliRunner().invoke(cli, ["records", "rejects"]).stderr == "no rejected files\n"


@pytest.mark.parametrize("name", ["data?mode=ro", "data#1", "data%3F", "da ta", "dätä", "data?x=1#frag"])
def test_a_data_directory_named_with_uri_characters_holds_its_own_store(tmp_path: pathlib.Path,
                                                                        pages: pathlib.Path, name: str) -> None:
    before = set(os.listdir(tmp_path))
    data_dir = tmp_path / name
    result = run(data_dir, "ingest", str(pages))
    assert result.exit_code == 0, result.output
    assert set(os.listdir(tmp_path)) == before | {name}  # nothing written beside it
    assert (data_dir / "records.sqlite").is_file()
    assert run(data_dir, "records", "list").stdout.startswith("back-pain/")
    assert "1 page matches" in run(data_dir, "search", "foot").stdout


def hostile_folder(root: pathlib.Path) -> pathlib.Path:
    """Pages whose names, ids, URLs and sources look like paths that lead elsewhere."""
    folder = root / "hostile"
    (folder / "..a..").mkdir(parents=True)  # hidden (a leading dot): passed over
    (folder / "a..b").mkdir()
    (folder / "-rf").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "a..b" / "\x1b[2J.txt").write_text(text_page(7, random.Random(7)), encoding="utf-8")
    (folder / "escape.html").write_text(
        '<html><head><link rel="canonical" href="https://x.org/../../../../tmp/escape"></head><body>'
        '<script type="application/ld+json">{"@type": "Question", "name": "Is ../../etc/passwd a path?",'
        '"acceptedAnswer": {"text": "No, an id."}}</script></body></html>', encoding="utf-8")
    (folder / "0000001.xml").write_text(
        '<?xml version="1.0"?><Document id="1" source="../../../outside" url="file:///etc/passwd"><QAPairs>'
        '<QAPair pid="1"><Question qid="1">Where am I written ?</Question><Answer>In the store.</Answer>'
        "</QAPair></QAPairs></Document>", encoding="utf-8")
    return folder


def test_nothing_is_written_outside_the_data_directory(tmp_path: pathlib.Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = hostile_folder(tmp_path)
    data_dir = tmp_path / "work" / "data"
    data_dir.parent.mkdir()
    monkeypatch.chdir(data_dir.parent)  # relative writes would land here
    before = tree(tmp_path)
    for args in (["ingest", str(folder)], ["index"], ["reindex"], ["search", "path"], ["search", "--json", "store"],
                 ["records", "list"], ["records", "export"], ["related", "--question", "where is the store"]):
        result = run(data_dir, *args)
        assert result.exit_code == 0, (args, result.output)
    after = tree(tmp_path, skip=data_dir)
    assert after == before
    with Store.open(str(data_dir), readonly=True) as store:
        assert store.count() == 4
        assert store.get("../../../outside_0000001_Sec1").url is None  # an id, not a path; only http(s) URLs kept
        assert store.find("https://x.org/../../../../tmp/escape") is not None


def test_file_and_folder_names_that_are_not_utf8_are_skipped_with_a_reason(
        tmp_path: pathlib.Path, pages: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Bytes that are not UTF-8 come back from the file system as lone surrogates, which the
    # store cannot keep as text: before, one such name stopped the whole ingest with a traceback.
    bad_file = os.fsdecode(bytes(pages) + b"/bad\xff.txt")
    bad_folder = os.fsdecode(bytes(pages) + b"/dir\xfe")
    shutil.copy(SEED, bad_file)
    os.mkdir(bad_folder)
    shutil.copy(SEED, os.path.join(bad_folder, "inside.txt"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--data-dir", "data", "ingest", "--no-index", str(pages)], color=True)
    assert result.exit_code == 0, result.output
    assert result.stdout == "3 files: 1 new, 0 updated, 0 unchanged records; 0 files rejected, 2 skipped\n"
    assert result.stderr.splitlines() == [
        "skipped pages/bad\ufffd.txt: name is not valid UTF-8, not read (rename it)",
        "skipped pages/dir\ufffd: name is not valid UTF-8, not read (rename it)"]
