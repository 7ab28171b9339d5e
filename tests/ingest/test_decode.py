"""Bytes to text: byte-order marks, declared charsets, guesses, and the files we refuse."""

from __future__ import annotations

import codecs

import pytest

from healthqa.ingest.decode import declared_charset, decode_bytes
from healthqa.ingest.errors import DecodeError, RejectedInput

TEXT = "Crohn’s disease: café “au lait” spots?"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
    ids=["utf-8", "utf-16-le", "utf-16-be"],
)
def test_byte_order_mark_decides_and_is_dropped(data: bytes, encoding: str) -> None:
    assert decode_bytes(data) == (TEXT, encoding)


def test_charset_declared_in_meta_is_used() -> None:
    page = '<html><head><meta charset="windows-1252"></head><body>Crohn’s café</body></html>'
    text, encoding = decode_bytes(page.encode("cp1252"))
    assert encoding == "cp1252"
    assert "Crohn’s café" in text


def test_latin1_declared_in_http_equiv_meta_is_read_as_cp1252() -> None:
    # Browsers read pages labelled ISO-8859-1 as cp1252, so byte 0x92 is an apostrophe.
    page = b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">' \
           b'</head><body>Crohn\x92s caf\xe9</body></html>'
    text, encoding = decode_bytes(page)
    assert encoding == "cp1252"
    assert "Crohn’s café" in text


def test_charset_declared_in_xml_declaration_is_used() -> None:
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?><Document><Focus>Ménière disease</Focus></Document>'
    text, _ = decode_bytes(xml.encode("latin-1"))
    assert "<Focus>Ménière disease</Focus>" in text


def test_declared_charset_reads_xml_and_meta() -> None:
    assert declared_charset(b'<?xml version="1.0" encoding="UTF-8"?><doc/>') == "utf-8"
    assert declared_charset(b"<html><head><meta charset='Shift_JIS'>") == "shift_jis"
    assert declared_charset(b"<html><head><title>No charset</title>") is None


def test_cp1252_file_without_declaration_is_guessed() -> None:
    data = "Back Pain\nWhy doesn’t it stop? It’s “vertical load” – café.\n".encode("cp1252")
    text, encoding = decode_bytes(data)
    assert encoding == "cp1252"
    assert text == "Back Pain\nWhy doesn’t it stop? It’s “vertical load” – café.\n"


def test_plain_utf8_without_declaration() -> None:
    assert decode_bytes(TEXT.encode("utf-8")) == (TEXT, "utf-8")


def test_wrong_declaration_falls_back_to_utf8() -> None:
    page = '<html><head><meta charset="us-ascii"></head><body>Ménière’s</body></html>'.encode("utf-8")
    text, _ = decode_bytes(page)
    assert "Ménière’s" in text


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \r\n\t \n", "empty file (only white space)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)), "binary file"),
        (b"How can foot problems\x00 cause back pain?\x00" * 20, "binary file"),
        (bytes(range(1, 32)) * 40, "binary file"),
    ],
    ids=["empty", "whitespace-only", "png", "nul-bytes", "control-bytes"],
)
def test_unreadable_files_are_rejected_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_bytes(data, "page.txt")
    assert caught.value.reason.startswith(reason)
    assert caught.value.origin == "page.txt"
    assert str(caught.value).startswith("page.txt: ")


def test_unknown_declared_charset_with_non_utf8_bytes_is_rejected() -> None:
    page = b'<html><head><meta charset="klingon-1"></head><body>caf\xe9 \xff\xfe</body></html>'
    with pytest.raises(DecodeError) as caught:
        decode_bytes(page)
    assert caught.value.reason == "unknown encoding 'klingon-1' declared"


def test_unknown_declared_charset_with_utf8_bytes_is_read_as_utf8() -> None:
    page = '<html><head><meta charset="utf8x"></head><body>café</body></html>'.encode("utf-8")
    assert decode_bytes(page) == (page.decode("utf-8"), "utf-8")


def test_bad_bytes_after_a_byte_order_mark_are_rejected_with_the_offset() -> None:
    data = codecs.BOM_UTF8 + b"Back Pain\nWhy? \xff\xfe\n"
    with pytest.raises(DecodeError) as caught:
        decode_bytes(data)
    assert caught.value.reason == "invalid utf-8: bad bytes at offset 15"


def test_decode_error_is_a_rejected_input() -> None:
    # The pipeline catches RejectedInput: every decode failure must be one.
    with pytest.raises(RejectedInput):
        decode_bytes(b"")
