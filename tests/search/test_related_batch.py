"""Related questions for every page at once: the file, its meta, the pool of workers, staleness."""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from healthqa.index.writer import sync
from healthqa.ingest.errors import HealthQAError
from healthqa.ingest.store import Store
from healthqa.search.related_batch import meta_path, precompute, stale, update
from tests.search.corpus_index import build_index
from tests.search.test_related import CORPUS, page


@pytest.fixture
def data_dir(tmp_path: pathlib.Path) -> str:
    return str(build_index(tmp_path / "data", CORPUS))


def lines(path: pathlib.Path) -> dict[str, dict]:
    return {line["id"]: line for line in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def test_one_line_a_page_linked_questions_first_without_a_score(data_dir: str, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "related.jsonl"
    pages, _ = precompute(data_dir, str(out), k=3, workers=1)
    written = lines(out)
    assert pages == len(written) == len(CORPUS)
    first = written["flu-what"]["related"][0]
    assert (first["id"], first["score"], first["reasons"]) == ("flu-treat", None, ["linked from the page"])
    assert all(len(line["related"]) <= 3 for line in written.values())
    meta = json.loads(pathlib.Path(meta_path(str(out))).read_text(encoding="utf-8"))
    assert (meta["k"], meta["pages"]) == (3, len(CORPUS))
    assert sorted(os.listdir(tmp_path)) == ["data", "related.jsonl", "related.jsonl.meta.json"]  # no temporary file


def test_worker_processes_write_what_one_process_writes(data_dir: str, tmp_path: pathlib.Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from healthqa.search import related_batch

    monkeypatch.setattr(related_batch, "_CHUNK", 4)  # several chunks: the pool is used
    precompute(data_dir, str(tmp_path / "one.jsonl"), workers=1)
    precompute(data_dir, str(tmp_path / "two.jsonl"), workers=2)
    assert lines(tmp_path / "one.jsonl") == lines(tmp_path / "two.jsonl")


def test_a_changed_page_and_the_pages_suggesting_it_are_stale(data_dir: str, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "related.jsonl"
    precompute(data_dir, str(out), workers=1)
    pointing = {i for i, line in lines(out).items() if any(r["id"] == "cold-treat" for r in line["related"])}
    with Store.open(data_dir) as store:
        with store.transaction():
            store.put(page("cold-treat", "How is a cold treated?", "Common cold", "Zinc lozenges.", "treatment"))
        sync(data_dir, store)
    report = stale(data_dir, str(out))
    assert set(report.stale) == pointing | {"cold-treat"} and report.new == report.gone == ()
    update(data_dir, str(out), workers=1)
    assert stale(data_dir, str(out)).stale == ()


def test_a_file_without_its_meta_says_what_to_run(data_dir: str, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "related.jsonl"
    out.write_text("", encoding="utf-8")
    with pytest.raises(HealthQAError, match=r"meta.json is missing or unreadable: run 'healthqa related --all"):
        stale(data_dir, str(out))
