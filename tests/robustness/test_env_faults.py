"""The machine misbehaves: a full disk, a read-only data directory, permission denied, a deleted
or damaged index, a damaged store. Each gives a one-line message (never a traceback), damages
nothing, and has a way back (``healthqa reindex`` from the store, or the same command again).

A real full disk and a real read-only folder need root (a tmpfs or a read-only bind mount);
elsewhere those tests skip, and the in-process versions (writes that raise ``ENOSPC``,
``chmod``) still run.
"""

from __future__ import annotations

import errno
import gc
import os
import pathlib
import shutil
import sqlite3

import pytest
from click.testing import CliRunner, Result
from whoosh.filedb.structfile import StructFile

from healthqa.cli import cli
from healthqa.index.store import current_generation, open_index
from healthqa.index.writer import rebuild
from healthqa.ingest import pipeline, walk
from healthqa.ingest.errors import IndexMissingError, IndexWriteError
from healthqa.ingest.store import Store
from healthqa.search.searcher import Searcher

from envkit import Unavailable, read_only, small_disk
from faultkit import (Corpus, assert_index_matches_store, assert_unlocked, change_corpus, check_store, index_state,
                      run_cli, store_records, write_corpus)


def run(data_dir: pathlib.Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def assert_message(result: Result, start: str) -> None:
    """Exit 1 with one line on stderr that starts with ``start``: a message, never a traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stderr.startswith(start), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def found(data_dir: pathlib.Path, query: str) -> int:
    with Searcher(str(data_dir)) as searcher:
        return searcher.search(query).total


@pytest.fixture
def corpus(tmp_path: pathlib.Path) -> Corpus:
    return write_corpus(tmp_path / "corpus", 120)


@pytest.fixture
def data_dir(tmp_path: pathlib.Path, corpus: Corpus) -> pathlib.Path:
    """The corpus ingested and indexed."""
    data = tmp_path / "data"
    assert run(data, "ingest", str(corpus.root)).exit_code == 1  # the corpus's two bad files
    return data


@pytest.fixture
def reference(tmp_path: pathlib.Path, corpus: Corpus) -> dict[str, str]:
    """The records an undisturbed ingest of the corpus gives."""
    data = tmp_path / "reference"
    run(data, "ingest", "--no-index", str(corpus.root))
    return store_records(data)


def no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


# Whoosh leaves a file open when a write or a read of a damaged file fails (its bug, harmless in
# a CLI process, where ResourceWarning is not shown). Tests that make it fail in this process
# collect the leak before they end and let its warning pass.
WHOOSH_LEAKS = pytest.mark.filterwarnings("ignore::ResourceWarning",
                                          "ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def collect_leaks():
    yield
    gc.collect()


def raised(action) -> tuple[type | None, str]:
    """The type and message of what ``action()`` raises, its traceback (and Whoosh's open files) let go."""
    try:
        action()
    except Exception as exc:  # the test asserts on the type
        kind, message = type(exc), str(exc)
    else:
        kind, message = None, ""
    gc.collect()
    return kind, message


# -- a full disk --------------------------------------------------------------------------------


def test_disk_full_while_storing_keeps_the_batches_before_and_says_so(
        tmp_path: pathlib.Path, corpus: Corpus, reference: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_BATCH_FILES", 25)
    real_put = Store.put
    calls = 0

    def fills_up(self: Store, page):
        nonlocal calls
        calls += 1
        if calls > 60:  # in the third batch
            raise sqlite3.OperationalError("database or disk is full")
        return real_put(self, page)

    monkeypatch.setattr(Store, "put", fills_up)
    data = tmp_path / "data"
    result = run(data, "ingest", str(corpus.root))
    assert_message(result, f"Error: disk full while writing record store '{data / 'records.sqlite'}': "
                           "nothing of this batch was saved")
    kept = check_store(data)
    assert 0 < kept < len(reference)
    assert_unlocked(data)
    monkeypatch.undo()
    again = run(data, "ingest", str(corpus.root))  # space again: the same command finishes the job
    assert again.exit_code == 1 and "2 files rejected" in again.stdout
    assert store_records(data) == reference
    assert_index_matches_store(data)


@WHOOSH_LEAKS
def test_disk_full_while_indexing_leaves_the_index_as_it_was(
        data_dir: pathlib.Path, corpus: Corpus, monkeypatch: pytest.MonkeyPatch, collect_leaks: None) -> None:
    change_corpus(corpus)
    assert run(data_dir, "ingest", "--no-index", "--prune", str(corpus.root)).exit_code == 1
    generation = current_generation(str(data_dir))
    before = index_state(data_dir)
    monkeypatch.setattr(StructFile, "write", no_space)
    assert_message(run(data_dir, "index"), "Error: cannot write the search index (No space left on device)")
    result = run(data_dir, "reindex")
    assert result.exit_code == 1 and "No space left on device" in result.stderr and "Traceback" not in result.output
    monkeypatch.undo()
    assert current_generation(str(data_dir)) == generation
    assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith("index.") and p.is_dir()) == [
        os.path.basename(generation)]  # the failed rebuild left nothing behind
    assert index_state(data_dir) == before  # the index as it was, searchable
    assert found(data_dir, "rest") > 0
    assert_unlocked(data_dir)
    assert run(data_dir, "index").exit_code == 0
    assert assert_index_matches_store(data_dir).docs != before.docs


@WHOOSH_LEAKS
def test_rebuild_on_a_full_disk_says_it_cannot_write_the_index(data_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
                                                               collect_leaks: None) -> None:
    monkeypatch.setattr(StructFile, "write", no_space)
    with Store.open(str(data_dir)) as store:
        kind, message = raised(lambda: rebuild(str(data_dir), store))
    assert kind is IndexWriteError, (kind, message)


def test_a_really_full_disk(tmp_path: pathlib.Path, corpus: Corpus, reference: dict[str, str]) -> None:
    data = tmp_path / "small-disk"
    try:
        disk = small_disk(data, "400k")
        resize = disk.__enter__()
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        result = run_cli(data, "ingest", str(corpus.root))
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "disk full" in result.stderr or "No space left on device" in result.stderr, result.stderr
        check_store(data)
        assert_unlocked(data)
        resize("64m")  # the way back: free some space, run the same command
        again = run_cli(data, "ingest", str(corpus.root))
        assert again.returncode == 1 and "2 files rejected" in again.stdout, again.stderr
        assert store_records(data) == reference
        assert_index_matches_store(data)

        resize(f"{shutil.disk_usage(data).used // 1024 + 4096}k")  # 4 MB free, then filled
        filler = data / "filler"
        with open(filler, "wb") as handle:  # take what space is left
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError:
                pass
        before = index_state(data)
        for command in ("reindex", "index"):
            failed = run_cli(data, command)
            assert failed.returncode in (0, 1) and "Traceback" not in failed.stderr, failed.stderr
        assert index_state(data) == before
        filler.unlink()
        assert run_cli(data, "reindex").returncode == 0
        assert_index_matches_store(data)
    finally:
        disk.__exit__(None, None, None)


# -- a read-only data directory, permission denied ----------------------------------------------


def test_read_only_data_directory(data_dir: pathlib.Path, corpus: Corpus) -> None:
    records = store_records(data_dir)
    try:
        context = read_only(data_dir)
        context.__enter__()
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        assert run(data_dir, "search", "rest").exit_code == 0  # reading needs no writing
        assert run(data_dir, "records", "list").stdout.count("\n") == len(records)
        assert run(data_dir, "records", "rejects").exit_code == 0
        assert_message(run(data_dir, "ingest", str(corpus.root)), f"Error: cannot write in '{data_dir}' (")
        for command in ("index", "reindex"):
            result = run(data_dir, command)
            assert_message(result, "Error: cannot ")  # the store or the lock beside it, as found first
            assert f"'{data_dir}" in result.stderr
    finally:
        context.__exit__(None, None, None)
    check_store(data_dir)
    assert store_records(data_dir) == records
    assert run(data_dir, "reindex").exit_code == 0
    assert_index_matches_store(data_dir)


def test_unreadable_file_and_folder_are_rejected_with_the_reason_and_the_rest_goes_in(
        tmp_path: pathlib.Path, corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    locked_file = next(corpus.root.rglob("page-*.txt"))
    locked_folder = corpus.root / "locked"
    locked_folder.mkdir()
    shutil.copy(locked_file, locked_folder / "copy.txt")
    real_open, real_listdir = open, os.listdir

    def guarded_open(path, *args, **kwargs):
        if str(path) == str(locked_file):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    def guarded_listdir(path):
        if str(path) == str(locked_folder):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_listdir(path)

    # As ``chmod 000`` does for anyone but root: simulated, so that the test runs as root too.
    monkeypatch.setattr(pipeline, "open", guarded_open, raising=False)
    monkeypatch.setattr(walk.os, "listdir", guarded_listdir)
    with Store.open(str(tmp_path / "data")) as store:
        summary = pipeline.ingest([str(corpus.root), str(locked_file)], store, pipeline.Options(workers=1))
    monkeypatch.undo()
    rejected = dict(summary.rejected)
    assert rejected[str(locked_folder)] == "cannot list folder: Permission denied"
    assert rejected[str(locked_file)] == "cannot read: Permission denied"
    assert summary.new > 0
    check_store(tmp_path / "data")


def test_unreadable_store_says_so(data_dir: pathlib.Path) -> None:
    db = data_dir / "records.sqlite"
    db.chmod(0)
    try:
        if os.access(db, os.R_OK):
            pytest.skip("root reads files whatever their mode")
        for args in (["records", "list"], ["index"], ["ingest", str(data_dir.parent / "corpus")]):
            assert_message(run(data_dir, *args), "Error: cannot open record store")
    finally:
        db.chmod(0o644)


# -- a deleted or damaged index, a damaged store --------------------------------------------------


def test_deleted_index_generation_says_run_reindex_and_reindex_brings_it_back(data_dir: pathlib.Path) -> None:
    shutil.rmtree(current_generation(str(data_dir)))
    for args in (["search", "rest"], ["index"], ["related", "--question", "rest"]):
        assert_message(run(data_dir, *args), f"Error: search index '{data_dir / 'index'}' points at a missing "
                                             "directory: run 'healthqa reindex'")
    assert run(data_dir, "reindex").exit_code == 0
    assert_index_matches_store(data_dir)
    assert found(data_dir, "rest") > 0


def test_deleted_index_folders_and_link_say_run_index_and_index_rebuilds(data_dir: pathlib.Path) -> None:
    for path in data_dir.iterdir():
        if path.name.startswith("index") and path.name != "index.lock":
            path.unlink() if path.is_symlink() else shutil.rmtree(path)
    assert_message(run(data_dir, "search", "rest"), f"Error: no search index in '{data_dir}': run 'healthqa index'")
    result = run(data_dir, "index")
    assert result.exit_code == 0 and result.stdout.startswith("index rebuilt: ")
    assert_index_matches_store(data_dir)


@WHOOSH_LEAKS
@pytest.mark.parametrize("damage", ["empty", "garbage"])
def test_damaged_index_table_of_contents_says_run_reindex(data_dir: pathlib.Path, damage: str,
                                                          collect_leaks: None) -> None:
    for toc in pathlib.Path(current_generation(str(data_dir))).glob("*.toc"):
        toc.write_bytes(b"" if damage == "empty" else os.urandom(300))
    assert_message(run(data_dir, "search", "rest"), "Error: search index ")
    assert run(data_dir, "search", "rest").stderr.endswith(": run 'healthqa reindex'\n")
    assert raised(lambda: open_index(str(data_dir)))[0] is IndexMissingError
    assert run(data_dir, "reindex").exit_code == 0
    assert found(data_dir, "rest") > 0


def segment_files(data_dir: pathlib.Path) -> list[pathlib.Path]:
    """The files of the index's segments: one compound ``.seg`` each, or (after a rebuild) separate files."""
    files = [p for p in pathlib.Path(current_generation(str(data_dir))).glob("MAIN_*.*")]
    assert files
    return files


@WHOOSH_LEAKS
def test_damaged_segment_says_run_reindex(data_dir: pathlib.Path, collect_leaks: None) -> None:
    for segment in segment_files(data_dir):
        segment.write_bytes(os.urandom(100))
    kind, message = raised(lambda: Searcher(str(data_dir)).close())
    assert kind is IndexMissingError and message.endswith("run 'healthqa reindex'"), (kind, message)


def test_damaged_segment_is_a_message_in_the_cli_and_reindex_mends_it(data_dir: pathlib.Path) -> None:
    for segment in segment_files(data_dir):
        segment.write_bytes(os.urandom(100))
    result = run_cli(data_dir, "search", "rest")  # a process of its own: Whoosh leaves a file open as it fails
    assert result.returncode == 1 and result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert run(data_dir, "reindex").exit_code == 0
    assert found(data_dir, "rest") > 0


def test_damaged_store_says_so_and_a_new_ingest_is_the_way_back(data_dir: pathlib.Path, corpus: Corpus,
                                                                reference: dict[str, str]) -> None:
    db = data_dir / "records.sqlite"
    db.write_bytes(os.urandom(8192))
    for args in (["records", "list"], ["records", "show", "x"], ["index"], ["reindex"], ["ingest", str(corpus.root)]):
        assert_message(run(data_dir, *args), f"Error: record store '{db}' is damaged or not a database")
    assert run(data_dir, "search", "rest").exit_code == 0  # the index still answers
    db.rename(data_dir / "records.damaged")
    assert run(data_dir, "ingest", str(corpus.root)).exit_code == 1  # rebuilt from the pages; the two bad files
    assert store_records(data_dir) == reference
    assert_index_matches_store(data_dir)


def test_data_directory_that_is_a_file(tmp_path: pathlib.Path, corpus: Corpus) -> None:
    data = tmp_path / "data"
    data.write_text("not a folder")
    for args in (["ingest", str(corpus.root)], ["search", "rest"], ["index"]):
        result = run(data, *args)
        assert result.exit_code == 2 and f"Directory '{data}' is a file." in result.stderr
    assert data.read_text() == "not a folder"
