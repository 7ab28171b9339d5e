"""Writing the index: records in, documents out; incremental sync, rebuild, one writer at a time,
and a failed commit that leaves the index as it was."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Iterator

import pytest
from click.testing import CliRunner
from whoosh.query import Term
from whoosh.writing import SegmentWriter

from healthqa.cli import cli
from healthqa.index.store import current_generation, open_index, read_meta
from healthqa.index import writer as writer_module
from healthqa.index.writer import LOCK_NAME, document, index_status, rebuild, sync
from healthqa.ingest.errors import IndexBusyError, IndexWriteError
from healthqa.ingest.lock import exclusive
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store
from healthqa.search.searcher import Searcher


def page(n: int, answer: str = "Rest, fluids and time.", role: str | None = "Internal Medicine") -> QAPage:
    # A topic each, so that topic spread lends no page another page's score in these checks.
    return QAPage(id=f"page-{n}", source="sharecare", format="text", origin=f"pages/{n}.txt", topic=f"Colds {n}",
                  question=f"How do I get over cold number {n}?", answers=(Answer(answer, role=role),))


@pytest.fixture
def data_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: pathlib.Path) -> Iterator[Store]:
    with Store.open(str(data_dir)) as opened:
        yield opened


def put(store: Store, *pages: QAPage) -> None:
    with store.transaction():
        for one in pages:
            store.put(one)


def indexed(data_dir: pathlib.Path, field: str | None = None, word: str | None = None) -> list[str]:
    """Ids of the live documents of the index (having the analysed ``word`` in ``field``, if given).

    Read with Whoosh itself, so that these tests see what the writer did, whatever the ranking does.
    """
    ix, _ = open_index(str(data_dir))
    with ix.searcher() as searcher:
        if field is None:
            return sorted(fields["id"] for fields in searcher.all_stored_fields())
        analysed = [token.text for token in ix.schema[field].analyzer(word)]
        return sorted(hit["id"] for hit in searcher.search(Term(field, analysed[0]), limit=None))


def search_ids(data_dir: pathlib.Path, query: str) -> list[str]:
    with Searcher(str(data_dir)) as searcher:
        return [hit.id for hit in searcher.search(query, limit=100).hits]


# -- a record as a document ---------------------------------------------------------------


def test_document_holds_what_search_shows_and_filters_on() -> None:
    record = QAPage(id="x", source="medhelp", format="html", origin="o", question="Is AFib dangerous?",
                    topic="Heart Rhythm", detail="Since May.", question_type="information", url="https://e.org/x",
                    synonyms=("Atrial fibrillation",), related=("What is AFib?",),
                    answers=(Answer("Talk to your doctor.", author="Dr. A", role="Cardiology"),
                             Answer("Same here.", author="B", votes=4), Answer("Me too.", role="Cardiology", accepted=True)))
    doc = document(record)
    # Votes and acceptance are kept where an answer has them (the expert signals).
    assert json.loads(doc["answers"]) == [{"text": "Talk to your doctor.", "role": "Cardiology", "author": "Dr. A"},
                                          {"text": "Same here.", "role": None, "author": "B", "votes": 4},
                                          {"text": "Me too.", "role": "Cardiology", "author": None, "accepted": True}]
    assert doc["signal"] == "1"
    assert (doc["role"], doc["role_text"]) == ("Cardiology", "Cardiology")  # each role once
    assert doc["answer"] == "Talk to your doctor.\n\nSame here.\n\nMe too."
    assert (doc["topic"], doc["topic_exact"], doc["source"], doc["qtype"]) == (
        "Heart Rhythm", "Heart Rhythm", "medhelp", "information")
    assert doc["spell"] == "Is AFib dangerous? Heart Rhythm Atrial fibrillation Cardiology"
    assert (doc["url"], doc["related_stored"], doc["detail"]) == ("https://e.org/x", ["What is AFib?"], "Since May.")


# -- sync and rebuild ---------------------------------------------------------------------


def test_first_sync_builds_the_index(data_dir: pathlib.Path, store: Store) -> None:
    put(store, page(1), page(2))
    report = sync(str(data_dir), store)
    assert (report.added_or_updated, report.deleted, report.documents, report.rebuilt) == (2, 0, 2, True)
    assert index_status(str(data_dir), store) == {"index": "present", "documents": 2, "index_seq": 2,
                                                  "store_seq": 2}


def test_sync_applies_only_what_changed(data_dir: pathlib.Path, store: Store) -> None:
    put(store, page(1), page(2), page(3))
    sync(str(data_dir), store)
    generation = current_generation(str(data_dir))
    report = sync(str(data_dir), store)
    assert (report.added_or_updated, report.deleted, report.documents) == (0, 0, 3)  # nothing changed

    put(store, page(2, answer="Zinc lozenges may shorten it."), page(4))
    with store.transaction():
        store.delete(["page-3"])
    report = sync(str(data_dir), store)
    assert (report.added_or_updated, report.deleted, report.documents, report.rebuilt) == (2, 1, 3, False)
    assert current_generation(str(data_dir)) == generation  # updated in place
    assert indexed(data_dir) == ["page-1", "page-2", "page-4"]
    assert indexed(data_dir, "answer", "zinc") == ["page-2"]
    assert indexed(data_dir, "answer", "rest") == ["page-1", "page-4"]  # page-2's old answer is gone
    assert read_meta(generation).store_seq == store.seq()


def test_record_deleted_and_put_back_is_found_again(data_dir: pathlib.Path, store: Store) -> None:
    put(store, page(1), page(2))
    sync(str(data_dir), store)
    with store.transaction():
        store.delete(["page-1"])
    sync(str(data_dir), store)
    assert indexed(data_dir) == ["page-2"]
    put(store, page(1, answer="Honey soothes a cough."))
    assert sync(str(data_dir), store).documents == 2
    assert indexed(data_dir, "answer", "honey") == ["page-1"]


def test_a_replaced_store_makes_sync_rebuild(data_dir: pathlib.Path, store: Store) -> None:
    put(store, page(1), page(2), page(3))
    sync(str(data_dir), store)
    store.close()
    for name in os.listdir(data_dir):
        if name.startswith("records.sqlite"):
            os.remove(data_dir / name)
    with Store.open(str(data_dir)) as fresh:  # sequence numbers start again below the index's
        put(fresh, page(9))
        report = sync(str(data_dir), fresh)
    assert (report.rebuilt, report.documents) == (True, 1)
    assert indexed(data_dir) == ["page-9"]


def test_many_changes_at_once_are_rebuilt_not_written_one_by_one(data_dir: pathlib.Path, store: Store,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "REBUILD_FROM", 4)  # MedQuAD-sized batches, in miniature
    put(store, *(page(n) for n in range(10)))
    sync(str(data_dir), store)
    put(store, page(20), page(21))  # two of twelve: written in place
    first = current_generation(str(data_dir))
    assert sync(str(data_dir), store).rebuilt is False and current_generation(str(data_dir)) == first
    put(store, *(page(n, answer="Zinc lozenges.") for n in range(30, 36)))  # six of eighteen: rebuilt
    with store.transaction():
        store.delete(["page-1"])
    report = sync(str(data_dir), store)
    assert (report.rebuilt, report.documents) == (True, 17)
    assert current_generation(str(data_dir)) != first
    assert indexed(data_dir, "answer", "zinc") == [f"page-{n}" for n in range(30, 36)]
    assert "page-1" not in indexed(data_dir) and read_meta(current_generation(str(data_dir))).store_seq == store.seq()


def test_rebuild_swaps_in_a_new_generation(data_dir: pathlib.Path, store: Store) -> None:
    put(store, page(1))
    sync(str(data_dir), store)
    before = current_generation(str(data_dir))
    with Searcher(str(data_dir)):
        report = rebuild(str(data_dir), store)
        assert (report.added_or_updated, report.documents, report.rebuilt) == (1, 1, True)
        assert current_generation(str(data_dir)) != before
        assert os.path.isdir(before)  # kept for the search that opened it
    rebuild(str(data_dir), store)
    assert not os.path.exists(before)  # and removed once nothing holds it


def test_index_status_without_an_index(data_dir: pathlib.Path, store: Store) -> None:
    assert index_status(str(data_dir), store) == {"index": "missing", "store_seq": 0}


# -- one writer at a time -----------------------------------------------------------------



def test_busy_index_says_so_and_sync_works_once_free(data_dir: pathlib.Path, store: Store, lock_held_elsewhere) -> None:
    put(store, page(1))
    sync(str(data_dir), store)
    put(store, page(2))
    with lock_held_elsewhere(data_dir / LOCK_NAME):
        with pytest.raises(IndexBusyError, match=r"the search index is busy: another healthqa index writer is "
                                                 r"running \(lock .*index.lock\); waited 0.3 s"):
            sync(str(data_dir), store, wait=0.3)
        with pytest.raises(IndexBusyError):
            rebuild(str(data_dir), store, wait=0.3)
        assert search_ids(data_dir, "cold") == ["page-1"]  # searching needs no lock
    assert sync(str(data_dir), store, wait=0.3).added_or_updated == 1
    assert indexed(data_dir) == ["page-1", "page-2"]


# -- a failed commit ----------------------------------------------------------------------


def disk_full(self: SegmentWriter, segments: object) -> None:
    """Whoosh fails after writing the new segment, before the table of contents makes it live."""
    raise OSError(28, "No space left on device")


def assert_unlocked(data_dir: pathlib.Path) -> None:
    with exclusive(str(data_dir / LOCK_NAME), 0, "index writer"):
        pass
    ix, _ = open_index(str(data_dir))
    ix.writer(timeout=0).cancel()  # Whoosh's own write lock is free too


def test_failed_commit_leaves_the_index_usable_and_unlocked(data_dir: pathlib.Path, store: Store,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    put(store, page(1))
    sync(str(data_dir), store)
    put(store, page(2, answer="Zinc lozenges may shorten it."))
    monkeypatch.setattr(SegmentWriter, "_commit_toc", disk_full)
    with pytest.raises(IndexWriteError, match="No space left on device.*the index is as it was"):
        sync(str(data_dir), store)
    monkeypatch.undo()
    assert_unlocked(data_dir)
    assert search_ids(data_dir, "cold") == ["page-1"]  # as it was
    assert read_meta(current_generation(str(data_dir))).store_seq == 1

    assert sync(str(data_dir), store).added_or_updated == 1
    assert search_ids(data_dir, "zinc") == ["page-2"]


def test_failed_first_build_leaves_nothing_behind(data_dir: pathlib.Path, store: Store,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    put(store, page(1))
    monkeypatch.setattr(SegmentWriter, "_commit_toc", disk_full)
    with pytest.raises(IndexWriteError, match="No space left on device"):
        sync(str(data_dir), store)
    monkeypatch.undo()
    assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith("index")) == [LOCK_NAME]
    assert sync(str(data_dir), store).rebuilt
    assert search_ids(data_dir, "cold") == ["page-1"]


def test_a_failed_commit_is_a_one_line_error_in_the_cli(data_dir: pathlib.Path, store: Store,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    put(store, page(1))
    sync(str(data_dir), store)
    put(store, page(2))
    monkeypatch.setattr(SegmentWriter, "_commit_toc", disk_full)
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "index"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot write the search index (No space left on device)")
    assert "Traceback" not in result.output


def test_the_vocabulary_is_built_at_index_time_and_no_search_builds_it(data_dir, store, monkeypatch):
    from healthqa.index import vocabulary

    put(store, page(1), page(2))
    rebuild(str(data_dir), store)  # from the test run's shared copy ($HEALTHQA_VOCABULARY_DIR)
    first = current_generation(str(data_dir))
    assert vocabulary._is_current(os.path.join(first, vocabulary.CACHE_NAME))
    monkeypatch.delenv("HEALTHQA_VOCABULARY_DIR")
    rebuild(str(data_dir), store)  # from the previous generation
    second = current_generation(str(data_dir))
    assert second != first and vocabulary._is_current(os.path.join(second, vocabulary.CACHE_NAME))

    def no_build(db):
        raise AssertionError("a search built the vocabulary")

    monkeypatch.setattr(vocabulary, "_build", no_build)
    vocabulary._open_or_build.cache_clear()
    with Searcher(str(data_dir)) as searcher:
        understood = searcher.understand("can tylenol help cold number 1")
    assert "tylenol" in [f.text for f in understood.focus] and "acetaminophen" in understood.expansions


def test_a_crash_while_the_vocabulary_is_written_leaves_no_partial_file(data_dir, store, monkeypatch):
    from healthqa.index import vocabulary

    put(store, page(1))
    monkeypatch.delenv("HEALTHQA_VOCABULARY_DIR")

    def crash(path):
        with open(path, "wb") as handle:
            handle.write(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vocabulary, "_build_file", crash)
    with pytest.raises(IndexWriteError):
        rebuild(str(data_dir), store)
    assert not os.path.lexists(data_dir / "index")
    # The half-made generation is gone, and no partial file is left anywhere.
    assert not [p for p in data_dir.iterdir() if p.name.startswith("index.") and p.is_dir()]
    assert not list(data_dir.rglob("*.tmp")) and not list(data_dir.rglob(vocabulary.CACHE_NAME))
