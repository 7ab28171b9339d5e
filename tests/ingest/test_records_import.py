"""``healthqa ingest records.jsonl``: the records ``records export`` wrote, checked line by line."""

from __future__ import annotations

import json
import pathlib

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.ingest.records_import import BadRecord, record_from
from healthqa.ingest.store import Store
from tests.ingest.warc_kit import mixed_captures, write_warc

REPO = pathlib.Path(__file__).resolve().parent.parent.parent


def _run(data_dir: pathlib.Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


def _export(data_dir: pathlib.Path, out: pathlib.Path) -> str:
    code, output = _run(data_dir, "records", "export", "--out", str(out))
    assert code == 0, output
    return out.read_text("utf-8")


def test_export_then_import_reproduces_the_records_exactly(tmp_path):
    # Every kind of record: text, HTML, MedQuAD (many records per file) and pages from a crawl.
    crawl = write_warc(tmp_path / "crawl.warc.gz", mixed_captures())
    code, output = _run(tmp_path / "a", "ingest", "--no-index", "--workers", "1", str(REPO / "raw"), str(crawl))
    assert code == 0, output
    exported = _export(tmp_path / "a", tmp_path / "a.jsonl")
    assert len(exported.splitlines()) > 20

    code, output = _run(tmp_path / "b", "ingest", "--no-index", str(tmp_path / "a.jsonl"))
    assert code == 0, output
    assert _export(tmp_path / "b", tmp_path / "b.jsonl") == exported
    with Store.open(str(tmp_path / "a")) as a, Store.open(str(tmp_path / "b")) as b:
        assert a.ids() == b.ids()
        for record_id in a.ids():  # equal field by field, the hash and origin too
            assert a.get(record_id).to_dict() == b.get(record_id).to_dict()


def test_each_bad_line_gets_one_message_and_the_rest_is_imported(tmp_path):
    good = {"id": "q1", "source": "tool", "format": "text", "question": "Why do feet hurt?", "origin": "x.txt",
            "answers": [{"text": "Shoes.", "votes": 3}]}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({k: v for k, v in good.items() if k != "question"}),
        json.dumps({**good, "id": "q4", "answers": [{"text": "a"}, {"text": "b", "votes": "many"}]}),
        json.dumps({**good, "id": "q5", "colour": "red"}),
        json.dumps({**good, "id": "q6", "content_hash": "0" * 32}),
        "",
        json.dumps([1, 2]),
        json.dumps({**good, "id": "q9", "synonyms": ["foot", 7]}),
        json.dumps({**good, "id": "q10", "question": "   "}),
        json.dumps({**good, "id": "q11", "answers": [{"text": "x", "accepted": "yes"}]}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    code, output = _run(tmp_path / "data", "ingest", "--no-index", str(path))
    assert code == 1
    messages = [line.removeprefix(f"rejected {path}: ") for line in output.splitlines() if line.startswith("rejected")]
    assert messages == [
        "line 2: not JSON (Expecting property name enclosed in double quotes at column 2)",
        "line 3: field 'question' is missing",
        "line 4: field 'answers[1].votes' must be an integer or null, not \"many\"",
        "line 5: unknown field 'colour'",
        f"line 6: field 'content_hash' '{'0' * 32}' does not match the record's content (drop it to have it computed)",
        "line 8: the line must be a JSON object, not [1, 2]",
        "line 9: field 'synonyms' item 1 must be a string, not 7",
        "line 10: field 'question' must not be empty",
        "line 11: field 'answers[0].accepted' must be true or false, not \"yes\"",
    ]
    code, listed = _run(tmp_path / "data", "records", "list")
    assert listed.splitlines() == ["q1\t1\tWhy do feet hurt?"]
    # A record made by another tool, without a hash, has one computed.
    with Store.open(str(tmp_path / "data")) as store:
        assert store.get("q1").content_hash == record_from({**good}).content_hash != ""


def test_an_unchanged_import_is_not_read_again_and_changes_nothing(tmp_path):
    code, output = _run(tmp_path / "a", "ingest", "--no-index", str(REPO / "raw"))
    exported = tmp_path / "a.jsonl"
    _export(tmp_path / "a", exported)
    _run(tmp_path / "b", "ingest", "--no-index", str(exported))
    with Store.open(str(tmp_path / "b")) as store:
        seq = store.seq()
    code, output = _run(tmp_path / "b", "ingest", "--no-index", str(exported))
    assert code == 0, output
    assert "0 new, 0 updated" in output
    with Store.open(str(tmp_path / "b")) as store:
        assert store.seq() == seq


@pytest.mark.parametrize("value, message", [
    ({"id": "x"}, "field 'source' is missing"),
    ({"id": 3, "source": "s", "format": "f", "question": "q", "origin": "o"}, "field 'id' must be a string, not 3"),
    ({"id": "x", "source": "s", "format": "f", "question": "q", "origin": "o", "answers": {"text": "a"}},
     "field 'answers' must be a list, not {\"text\": \"a\"}"),
    ({"id": "x", "source": "s", "format": "f", "question": "q", "origin": "o", "answers": [{"votes": 1}]},
     "field 'answers[0].text' is missing"),
])
def test_record_from_names_the_field_and_what_is_wrong(value, message):
    with pytest.raises(BadRecord) as raised:
        record_from(value)
    assert str(raised.value) == message
