"""The SQLite record store: what goes in comes out, changes are numbered, failures are clear."""

from __future__ import annotations

import dataclasses
import pathlib
import sqlite3

import pytest

from healthqa.ingest.errors import RecordNotFound, StoreBusyError, StoreError
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import DB_NAME, Store


def make_page(record_id: str = "GARD_0000001_Sec1", answer: str = "Spots on the skin.", origin: str = "a.xml") -> QAPage:
    return QAPage(id=record_id, source="GARD", format="medquad", question="What is acne ?", origin=origin,
                  answers=(Answer(text=answer),), topic="Acne")


def test_every_field_survives_the_round_trip(store: Store) -> None:
    page = QAPage(
        id="https://example.org/q/1", source="example", format="html", question="Why do my knees ache?",
        origin="/pages/q1.html", url="https://example.org/q/1", topic="Knee Pain", detail="Mostly at night.",
        asked_by="runner42", date="2019-03-01", question_type="cause", synonyms=("knee ache",),
        related=("What is arthritis?",), warnings=("page states 3 answers but 2 were found",),
        answers=(Answer(text="Rest.", author="Dr. Jane Roe", role="Orthopedics", date="2019-03-02", votes=4,
                        accepted=True), Answer(text="Ice it.")),
    )
    with store.transaction():
        assert store.put(page).kind == "new"
    assert store.get(page.id) == page
    assert store.get(page.id).content_hash == page.content_hash


def test_put_says_new_updated_or_unchanged_and_numbers_changes(store: Store) -> None:
    with store.transaction():
        assert store.put(make_page()).kind == "new"
    seq = store.seq()
    with store.transaction():
        assert store.put(make_page()).kind == "unchanged"
    assert store.seq() == seq
    with store.transaction():
        assert store.put(make_page(answer="Blocked pores.")).kind == "updated"
    assert store.seq() == seq + 1
    assert [p.answers[0].text for p in store.pages(since=seq)] == ["Blocked pores."]
    assert store.count() == 1


def test_deleted_ids_are_listed_since_a_sequence_number(store: Store) -> None:
    with store.transaction():
        store.put(make_page("A_1_Sec1"))
        store.put(make_page("A_1_Sec2"))
    seq = store.seq()
    with store.transaction():
        assert store.delete(["A_1_Sec2", "no-such-id"]) == 1
    assert store.deleted_since(seq) == ["A_1_Sec2"]
    assert store.ids() == ["A_1_Sec1"]


def test_record_put_back_after_deletion_is_no_longer_listed_as_deleted(store: Store) -> None:
    with store.transaction():
        store.put(make_page("A_1_Sec1"))
    with store.transaction():
        store.delete(["A_1_Sec1"])
    seq = store.seq()
    with store.transaction():
        assert store.put(make_page("A_1_Sec1")).kind == "new"
    assert store.deleted_since(0) == []
    assert [p.id for p in store.pages(since=seq)] == ["A_1_Sec1"]


def test_failed_transaction_leaves_earlier_records_and_writes_nothing(store: Store) -> None:
    with store.transaction():
        store.put(make_page("kept"))
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put(make_page("lost"))
            raise RuntimeError("disk went away")
    assert store.ids() == ["kept"]
    assert store.find("lost") is None


def test_unknown_id_is_a_clear_error(store: Store) -> None:
    with pytest.raises(RecordNotFound) as caught:
        store.get("GARD_9999999_Sec1")
    assert str(caught.value) == "no record with id 'GARD_9999999_Sec1'"


def test_forget_file_drops_its_records(store: Store) -> None:
    with store.transaction():
        store.put(make_page("A_1_Sec1", origin="one.xml"))
        store.put(make_page("A_2_Sec1", origin="two.xml"))
        store.remember_file("one.xml", "hash1", "ok", format="medquad", records=1)
        store.remember_file("two.xml", "hash2", "ok", format="medquad", records=1)
    with store.transaction():
        assert store.forget_file("one.xml") == 1
    assert store.ids() == ["A_2_Sec1"]
    assert store.origins() == ["two.xml"]


def test_reading_a_data_dir_without_a_store_says_to_ingest_first(tmp_path: pathlib.Path) -> None:
    with pytest.raises(StoreError) as caught:
        Store.open(str(tmp_path / "nothing-here"), readonly=True)
    assert "run 'healthqa ingest PATH' first" in str(caught.value)


def test_file_that_is_not_a_database_is_reported_damaged(tmp_path: pathlib.Path) -> None:
    Store.open(str(tmp_path)).close()  # a data directory of healthqa's, whose store is then damaged
    (tmp_path / DB_NAME).write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(StoreError) as caught:
        Store.open(str(tmp_path))
    assert "damaged or not a database" in str(caught.value)


def test_store_of_another_schema_version_is_refused(tmp_path: pathlib.Path) -> None:
    Store.open(str(tmp_path)).close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.close()
    with pytest.raises(StoreError) as caught:
        Store.open(str(tmp_path))
    assert "schema version 99" in str(caught.value)


def test_second_writer_is_told_the_store_is_busy(tmp_path: pathlib.Path) -> None:
    with Store.open(str(tmp_path)) as first, Store.open(str(tmp_path), timeout=0.2) as second:
        with first.transaction():
            first.put(make_page("first"))
            with pytest.raises(StoreBusyError) as caught:
                with second.transaction():
                    second.put(make_page("second"))
            assert "busy" in str(caught.value)
        assert first.ids() == ["first"]


def test_reader_sees_committed_records_while_a_writer_works(tmp_path: pathlib.Path) -> None:
    with Store.open(str(tmp_path)) as writer:
        with writer.transaction():
            writer.put(make_page("committed"))
        with writer.transaction():
            writer.put(make_page("in-progress"))
            with Store.open(str(tmp_path), readonly=True) as reader:
                assert reader.ids() == ["committed"]


def test_records_are_frozen() -> None:
    page = make_page()
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.question = "changed"  # type: ignore[misc]
