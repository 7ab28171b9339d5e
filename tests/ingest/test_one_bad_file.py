"""One file never ends an ingest: odd declared codecs, UTF-16 without a byte-order mark,
and an exception injected into each stage of reading and storing one file (audit finding 3)."""

from __future__ import annotations

import pathlib
import shutil

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.ingest import decode, detect, pipeline
from healthqa.ingest.decode import decode_bytes
from healthqa.ingest.pipeline import Options, ingest
from healthqa.ingest.store import Store

SEQUENTIAL = Options(workers=1)
MEDQUAD = pathlib.Path(__file__).resolve().parent / "data" / "medquad"

# The audit's reproduction: a codec that is no charset, and one byte that is not UTF-8.
_DECLARED = ('<?xml version="1.0" encoding="{}"?>\n<Document source="X"><Focus>caf\xe9</Focus><QAPairs><QAPair>'
             '<Question>What is it?</Question><Answer>A</Answer></QAPair></QAPairs></Document>')
_NOT_CHARSETS = ["rot13", "base64", "hex", "zlib", "bz2", "quopri", "uu", "undefined", "idna", "punycode",
                 "unicode_escape"]


@pytest.mark.parametrize("codec", _NOT_CHARSETS)
def test_a_codec_that_is_no_charset_falls_back_to_detection(codec: str) -> None:
    text, encoding = decode_bytes(_DECLARED.format(codec).encode("latin-1"), "z.xml")
    assert encoding == "cp1252" and "<Focus>café</Focus>" in text


def test_the_audit_file_is_read_and_the_rest_of_the_medquad_batch_goes_in(tmp_path: pathlib.Path) -> None:
    folder = pathlib.Path(shutil.copytree(MEDQUAD, tmp_path / "medquad"))
    (folder / "z.xml").write_bytes(_DECLARED.format("rot13").encode("latin-1"))
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "ingest", "--no-index", str(folder)])
    # Two of the trimmed files are bad on purpose: rejected, and said so, like any bad file.
    assert result.exit_code == 1 and "z.xml" not in result.output, result.output
    assert result.output.endswith("7 files: 9 new, 0 updated, 0 unchanged records; 2 files rejected\n")
    with Store.open(str(tmp_path / "data"), readonly=True) as store:
        assert store.get("X_z_Sec1").topic == "café"
        assert store.count() == 9


def test_utf16_without_a_byte_order_mark_is_text_not_binary(tmp_path: pathlib.Path, seed_page: pathlib.Path) -> None:
    text = seed_page.read_text(encoding="utf-8")
    for codec in ("utf-16-le", "utf-16-be"):
        assert decode_bytes(text.encode(codec)) == (text, codec)
    page = tmp_path / "pages" / "seed-utf16.txt"
    page.parent.mkdir()
    page.write_bytes(text.encode("utf-16-le"))
    with Store.open(str(tmp_path / "data")) as store:
        summary = ingest([str(page.parent)], store, SEQUENTIAL)
    assert (summary.new, summary.rejected) == (1, [])


def test_binary_with_zero_bytes_is_still_binary() -> None:
    for data in (bytes(600), bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x01\x02" * 200):
        with pytest.raises(decode.DecodeError, match="binary file"):
            decode_bytes(data)


class Boom(Exception):
    """A failure nobody foresaw."""


def _from_bad_file(value: object) -> bool:
    """Whether an argument of a stage is the bad file, its path, its bytes, its text or a record of it."""
    if isinstance(value, (bytes, str)):
        return "a-bad" in str(value) or (b"Back Pain" if isinstance(value, bytes) else "Back Pain") in value[:100]
    return "a-bad" in str(getattr(value, "origin", ""))


# Each stage of one file's way in, with the function that fails there.
_STAGES = [
    ("read", pipeline.hashlib, "sha1"),
    ("decode", pipeline, "decode_bytes"),
    ("detect", detect, "detect_format"),
    ("parse", detect.PARSERS, "text"),
    ("store", Store, "put"),
]


@pytest.mark.parametrize(("stage", "owner", "name"), _STAGES, ids=[s[0] for s in _STAGES])
def test_an_exception_in_any_stage_rejects_that_file_by_name_and_the_batch_goes_on(
        tmp_path: pathlib.Path, seed_page: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
        stage: str, owner: object, name: str) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(seed_page, folder / "a-bad.txt")
    shutil.copy(MEDQUAD / "2_GARD_QA" / "0001095.xml", folder / "b-good.xml")
    original = owner[name] if isinstance(owner, dict) else getattr(owner, name)

    def fail_for_the_bad_file(*args: object, **kwargs: object):
        if any(_from_bad_file(a) for a in args):
            raise Boom("injected\nsecond line")
        return original(*args, **kwargs)

    if isinstance(owner, dict):
        monkeypatch.setitem(owner, name, fail_for_the_bad_file)
    else:
        monkeypatch.setattr(owner, name, fail_for_the_bad_file)
    with Store.open(str(tmp_path / "data")) as store:
        summary = ingest([str(folder)], store, SEQUENTIAL)
        [(path, reason)] = summary.rejected
        assert path == str(folder / "a-bad.txt")
        assert reason in ("unexpected error: Boom: injected", "parser failed: Boom: injected")
        assert summary.new == 1 and store.ids() == ["GARD_b-good_Sec1"]
        assert [r.path for r in store.rejects()] == [str(folder / "a-bad.txt")]
