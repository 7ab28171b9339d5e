"""Which parser reads a file, decided by its content, and the one error a parser may raise."""

from __future__ import annotations

import pathlib

import pytest

from healthqa.ingest import detect
from healthqa.ingest.detect import detect_format, parse_document
from healthqa.ingest.errors import ParseError

DATA = pathlib.Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize("path, expected", [
    ("text/sharecare_back-pain_foot-problems.txt", "text"),
    ("html/medhelp_heart-rhythm-tikosyn-1640925.html", "html"),
    ("html/scope_copd-57774.html", "html"),
    ("medquad/2_GARD_QA/0001095.xml", "medquad"),
])
def test_real_files_are_read_by_their_parser_whatever_their_name(path: str, expected: str) -> None:
    text = (DATA / path).read_text(encoding="utf-8")
    assert detect_format(text) == expected
    fmt, pages = parse_document(text, "renamed.dat")
    assert fmt == expected and pages and all(page.origin == "renamed.dat" for page in pages)


def test_xml_that_is_not_medquad_is_rejected_with_the_reason() -> None:
    with pytest.raises(ParseError, match="XML that is not a MedQuAD document"):
        parse_document('<?xml version="1.0"?><feed><entry>Hi</entry></feed>', "feed.xml")


def test_a_parser_bug_costs_one_file_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, origin: str) -> list:
        raise KeyError("answers")

    monkeypatch.setitem(detect.PARSERS, "text", broken)
    with pytest.raises(ParseError, match=r"parser failed: KeyError: 'answers'") as caught:
        parse_document("Back Pain\n\nWhy?\n", "page.txt")
    assert caught.value.origin == "page.txt"


def test_a_page_with_no_question_is_rejected() -> None:
    with pytest.raises(ParseError, match="no question found|not a Q&A page"):
        parse_document("Just some words on a line.\n", "words.txt")
