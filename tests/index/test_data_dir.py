"""The data directory is healthqa's, provably (audit findings 1 and 7): a foreign directory is
refused and never written to, only recorded generations are deleted, lock files are never
truncated, partial generations go at the next start, and what healthqa creates is owner-only."""

from __future__ import annotations

import os
import pathlib
import shutil
import stat

import pytest
from click.testing import CliRunner, Result

from healthqa.cli import cli
from healthqa.index.store import current_generation, new_generation

# The names the README gives: the mark, the manifest, and a generation's lease file.
MARKER, MANIFEST, LEASE_NAME = "healthqa-data.json", "healthqa-manifest.json", "healthqa-lease"

REPO = pathlib.Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "ingest" / "data" / "text" / "sharecare_back-pain_foot-problems.txt"


def run(data_dir: pathlib.Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def tree(folder: pathlib.Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for folders and links)."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() and not p.is_symlink() else None
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def pages(tmp_path: pathlib.Path) -> pathlib.Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(SEED, folder / "seed.txt")
    return folder


def test_the_audit_reproduction_is_refused_and_nothing_is_touched(tmp_path: pathlib.Path, pages: pathlib.Path) -> None:
    data = tmp_path / "D"
    (data / "index").mkdir(parents=True)
    (data / "index.d").mkdir()
    (data / "index" / "notes.txt").write_text("n\n")
    before = tree(data)
    for args in (["ingest", str(pages)], ["reindex"], ["index"]):
        result = run(data, *args)
        assert result.exit_code == 1
        assert result.stderr == (f"Error: data directory '{data}' is not empty and was not made by healthqa ('index': "
                                 "not the link healthqa keeps to its index); nothing was written there: choose a new "
                                 "or empty directory (--data-dir or HEALTHQA_DATA)\n")
        assert tree(data) == before


def test_a_project_checkout_as_data_directory_is_refused(tmp_path: pathlib.Path, pages: pathlib.Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "index").mkdir(parents=True)
    (checkout / "index" / "writer.py").write_text("def sync(): ...\n")
    (checkout / "setup.cfg").write_text("[metadata]\n")
    before = tree(checkout)
    for args in (["ingest", str(pages)], ["reindex"]):
        result = run(checkout, *args)
        assert result.exit_code == 1 and "is not empty and was not made by healthqa" in result.stderr
    assert tree(checkout) == before


def test_only_recorded_generations_are_deleted(tmp_path: pathlib.Path, pages: pathlib.Path) -> None:
    data = tmp_path / "data"
    assert run(data, "ingest", str(pages)).exit_code == 0
    # Things of the user's, put in healthqa's directory afterwards, named like healthqa's.
    (data / "index.d").mkdir()
    (data / "index.d" / "notes.txt").write_text("mine")
    (data / "index.18ed0000.1").mkdir()
    (data / "index.old").write_text("mine too")
    for _ in range(3):
        assert run(data, "reindex").exit_code == 0
    assert (data / "index.d" / "notes.txt").read_text() == "mine"
    assert (data / "index.18ed0000.1").is_dir() and (data / "index.old").read_text() == "mine too"
    generations = [p for p in data.iterdir() if (p / "healthqa-index.json").exists() and not p.is_symlink()]
    assert generations == [pathlib.Path(current_generation(str(data)))]  # and the old ones are gone


def test_lock_files_are_never_truncated(tmp_path: pathlib.Path, pages: pathlib.Path) -> None:
    data = tmp_path / "data"
    assert run(data, "ingest", str(pages)).exit_code == 0
    for name in ("ingest.lock", "index.lock"):
        (data / name).write_text("a note someone kept here\n")
    assert run(data, "ingest", str(pages)).exit_code == 0
    assert run(data, "reindex").exit_code == 0
    for name in ("ingest.lock", "index.lock"):
        assert (data / name).read_text() == "a note someone kept here\n"


def test_a_partial_generation_of_a_killed_rebuild_goes_at_the_next_start(tmp_path: pathlib.Path,
                                                                         pages: pathlib.Path) -> None:
    data = tmp_path / "data"
    assert run(data, "ingest", str(pages)).exit_code == 0
    partial = pathlib.Path(new_generation(str(data)))  # what a reindex killed while writing leaves
    (partial / "MAIN_x.seg").write_bytes(b"\0" * 4096)
    result = run(data, "index")  # nothing to index: only the start of a write
    assert result.exit_code == 0 and result.stdout.startswith("index updated: 0 added or updated")
    assert not partial.exists()


def test_new_data_directories_and_files_are_owner_only(tmp_path: pathlib.Path, pages: pathlib.Path) -> None:
    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        assert run(data, "ingest", str(pages)).exit_code == 0
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.lstat().st_mode) for p in [data, *data.iterdir()] if not p.is_symlink()}
    generation = os.path.basename(current_generation(str(data)))
    assert modes.pop("data") == 0o700 and modes.pop(generation) == 0o700
    assert set(modes.values()) == {0o600}, modes
    assert {"records.sqlite", "ingest.lock", "index.lock", MARKER} <= modes.keys()


def _as_an_earlier_version_left_it(data: pathlib.Path) -> None:
    """What healthqa made before the mark existed: the same files, without mark, manifest or leases."""
    for name in (MARKER, MANIFEST):
        (data / name).unlink()
    for lease in data.glob(f"index.*/{LEASE_NAME}"):
        lease.unlink()
    (data / "ingest.lock").write_text(f"{os.getpid()}\n")  # it kept the holder's pid there
    (data / "vocabulary.sqlite").write_bytes(b"SQLite format 3\x00")  # its word lists, beside the index


def test_a_data_directory_of_an_earlier_version_is_adopted(tmp_path: pathlib.Path, pages: pathlib.Path) -> None:
    data = tmp_path / "data"
    assert run(data, "ingest", str(pages)).exit_code == 0
    _as_an_earlier_version_left_it(data)
    old_generation = current_generation(str(data))
    assert run(data, "search", "foot").exit_code == 0  # reading writes nothing
    assert not (data / MARKER).exists()
    assert run(data, "reindex").exit_code == 0
    assert (data / MARKER).exists() and not os.path.exists(old_generation)  # recorded when adopted, then dropped
    assert "foot" in run(data, "search", "foot").stdout


def test_an_earlier_version_directory_with_anything_else_in_it_is_refused(tmp_path: pathlib.Path,
                                                                          pages: pathlib.Path) -> None:
    data = tmp_path / "data"
    assert run(data, "ingest", str(pages)).exit_code == 0
    _as_an_earlier_version_left_it(data)
    generation = pathlib.Path(current_generation(str(data)))
    (generation / "notes.txt").write_text("mine")
    before = tree(data)
    result = run(data, "reindex")
    assert result.exit_code == 1
    assert f"('{generation.name}': holds 'notes.txt', which is not an index file)" in result.stderr
    assert tree(data) == before
