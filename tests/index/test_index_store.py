"""The index directory: generations behind a link, the meta file, and opening with clear errors."""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from healthqa.index.schema import SCHEMA_VERSION
from healthqa.index.store import (META_NAME, IndexMeta, current_generation, link_path, new_generation, open_index,
                         read_meta, swap_in, write_meta)
from healthqa.index.writer import sync
from healthqa.ingest.errors import IndexMissingError, IndexVersionError
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store

PAGE = QAPage(id="gout", source="NIDDK", format="medquad", origin="x", topic="Gout",
              question="What foods trigger gout?", answers=(Answer("Red meat and shellfish."),))


@pytest.fixture
def data_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    """A data directory with one record, indexed."""
    data = tmp_path / "data"
    with Store.open(str(data)) as store:
        with store.transaction():
            store.put(PAGE)
        sync(str(data), store)
    return data


def meta_path(data_dir: pathlib.Path) -> pathlib.Path:
    return pathlib.Path(current_generation(str(data_dir))) / META_NAME


def test_the_index_link_points_at_a_generation_that_describes_itself(data_dir: pathlib.Path) -> None:
    link = pathlib.Path(link_path(str(data_dir)))
    assert link.is_symlink() and link.resolve().name.startswith("index.")
    meta = json.loads(meta_path(data_dir).read_text(encoding="utf-8"))
    assert meta["schema_version"] == SCHEMA_VERSION and meta["documents"] == 1 and meta["store_seq"] == 1
    ix, opened = open_index(str(data_dir))
    assert ix.doc_count() == 1 and opened == read_meta(current_generation(str(data_dir)))


def test_no_index_says_run_healthqa_index(tmp_path: pathlib.Path) -> None:
    with pytest.raises(IndexMissingError) as error:
        open_index(str(tmp_path))
    assert str(error.value) == f"no search index in '{tmp_path}': run 'healthqa index' (after 'healthqa ingest')"


def test_link_to_a_missing_generation_says_run_healthqa_reindex(tmp_path: pathlib.Path) -> None:
    os.symlink("index.gone", tmp_path / "index")
    with pytest.raises(IndexMissingError, match="points at a missing directory: run 'healthqa reindex'"):
        open_index(str(tmp_path))


def test_other_schema_version_says_run_healthqa_reindex(data_dir: pathlib.Path) -> None:
    meta = json.loads(meta_path(data_dir).read_text(encoding="utf-8"))
    meta_path(data_dir).write_text(json.dumps({**meta, "schema_version": SCHEMA_VERSION + 1}), encoding="utf-8")
    with pytest.raises(IndexVersionError) as error:
        open_index(str(data_dir))
    assert str(error.value) == (f"the index has schema version {SCHEMA_VERSION + 1}, this healthqa uses "
                                f"{SCHEMA_VERSION}: run 'healthqa reindex'")


@pytest.mark.parametrize(("content", "message"), [
    (None, f"has no {META_NAME}: run 'healthqa reindex'"),
    ("{not json", f"unreadable {META_NAME} .*: run 'healthqa reindex'"),
    ("[1, 2]", f"{META_NAME} is not an object: run 'healthqa reindex'"),
])
def test_missing_or_damaged_meta_says_run_healthqa_reindex(data_dir: pathlib.Path, content: str | None,
                                                           message: str) -> None:
    if content is None:
        meta_path(data_dir).unlink()
    else:
        meta_path(data_dir).write_text(content, encoding="utf-8")
    with pytest.raises(IndexVersionError, match=message):
        open_index(str(data_dir))


def test_damaged_whoosh_files_say_run_healthqa_reindex(data_dir: pathlib.Path) -> None:
    generation = pathlib.Path(current_generation(str(data_dir)))
    for toc in generation.glob("*.toc"):
        toc.unlink()
    with pytest.raises(IndexMissingError, match="cannot be opened .*: run 'healthqa reindex'"):
        open_index(str(data_dir))


def test_meta_round_trips_and_ignores_keys_it_does_not_know(tmp_path: pathlib.Path) -> None:
    meta = IndexMeta(store_seq=7, built_at=1.5, documents=3)
    write_meta(str(tmp_path), meta)
    assert read_meta(str(tmp_path)) == meta
    data = json.loads((tmp_path / META_NAME).read_text(encoding="utf-8"))
    (tmp_path / META_NAME).write_text(json.dumps({**data, "from_a_later_version": True}), encoding="utf-8")
    assert read_meta(str(tmp_path)) == meta
    assert [p.name for p in tmp_path.iterdir()] == [META_NAME]  # no temporary file left beside it


def test_swap_keeps_generations_a_searcher_holds_and_drops_the_rest(data_dir: pathlib.Path) -> None:
    from healthqa.search.searcher import Searcher

    held = Searcher(str(data_dir))
    made: list[str] = []
    for _ in range(3):
        made.append(new_generation(str(data_dir)))
        (pathlib.Path(made[-1]) / "healthqa-index.json").write_text("{}")
        swap_in(str(data_dir), made[-1])
        assert current_generation(str(data_dir)) == os.path.realpath(made[-1])
        left = sorted(p.name for p in data_dir.iterdir() if p.is_dir() and not p.is_symlink())
        assert left == sorted({os.path.basename(held.generation), os.path.basename(made[-1])})
    held.close()
    swap_in(str(data_dir), made[-1])  # the next write finds the generation free
    assert [p.name for p in data_dir.iterdir() if p.is_dir() and not p.is_symlink()] == [os.path.basename(made[-1])]


def test_swap_never_replaces_a_folder_or_file_healthqa_did_not_make(tmp_path: pathlib.Path) -> None:
    from healthqa.ingest.datadir import claim
    from healthqa.ingest.errors import IndexWriteError

    claim(str(tmp_path))
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "stray").write_text("x")
    generation = new_generation(str(tmp_path))
    with pytest.raises(IndexWriteError, match=r"/index' is a folder healthqa did not make .*: move it out"):
        swap_in(str(tmp_path), generation)
    assert (tmp_path / "index" / "stray").read_text() == "x"
