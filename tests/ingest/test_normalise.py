"""Text normalisation: the one place every parser's output passes through."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from healthqa.ingest.normalise import clean_line, clean_optional, clean_text, clean_unique, question_key, slug

# Pieces that scraped pages really contain, mixed into arbitrary text so that Hypothesis
# tries entities, mis-decoded cp1252 bytes and combining marks next to each other.
_PIECES = st.sampled_from([
    "&amp;", "&amp;amp;", "&#146;", "&#x92;", "&lt;", "&nbsp;", "&quot;", "&#1;", "&am", "p;", "&",
    "\r\n", "\r", "\n", "\n\n", "\t", " ", "\u00a0", "\u200b", "\ufeff", "\x00", "\x07", "\x7f",
    "\u0301", "\u0308", "\u037e", "\x81", "e", "E", "A", "?", "don", "t",
])
_C1 = st.characters(min_codepoint=0x80, max_codepoint=0x9F)
_MIXED = st.lists(st.one_of(_PIECES, _C1, st.text(max_size=5)), max_size=30).map("".join)
_ANY_TEXT = st.one_of(st.text(), _MIXED)


# Found by hand: removing U+0081 (unassigned in cp1252) joins "&am" and "p;", and NFC
# turns U+037E (Greek question mark) into ";".
_JOINS_AN_ENTITY = ["&am\x81p;", "&am&#x81;p;", "&amp\u037e", "&l\x00t;"]


@settings(max_examples=100, deadline=None)
@given(_ANY_TEXT)
@example(_JOINS_AN_ENTITY[0])
@example(_JOINS_AN_ENTITY[1])
@example(_JOINS_AN_ENTITY[2])
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@settings(max_examples=100, deadline=None)
@given(_ANY_TEXT)
@example(_JOINS_AN_ENTITY[0])
@example(_JOINS_AN_ENTITY[1])
@example(_JOINS_AN_ENTITY[2])
def test_clean_line_is_idempotent(text: str) -> None:
    once = clean_line(text)
    assert clean_line(once) == once


@settings(max_examples=100, deadline=None)
@given(_ANY_TEXT)
def test_cleaned_text_is_nfc_without_controls(text: str) -> None:
    cleaned = clean_text(text)
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not [ch for ch in cleaned if unicodedata.category(ch) == "Cc" and ch != "\n"]
    assert "\n\n\n" not in cleaned
    assert cleaned == cleaned.strip()


@settings(max_examples=100, deadline=None)
@given(_ANY_TEXT)
def test_cleaned_line_is_one_line(text: str) -> None:
    cleaned = clean_line(text)
    assert "\n" not in cleaned and "\r" not in cleaned
    assert "  " not in cleaned


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("It\x92s a patient\x92s right", "It’s a patient’s right"),  # cp1252 read as Latin-1
        ("\x93Vertical load\x94 \x96 shock", "“Vertical load” – shock"),
        ("Salt &amp;amp; pepper", "Salt & pepper"),  # escaped twice by the site
        ("Crohn&#146;s disease", "Crohn’s disease"),
        ("Cafe\u0301 au lait", "Café au lait"),  # decomposed accent -> one code point
        ("no\x00 con\x07trols\u200b here", "no controls here"),
        ("A\u00a0\u00a0B", "A B"),
        ("  two\n lines  ", "two lines"),
    ],
)
def test_clean_line_repairs_what_scraped_pages_contain(raw: str, clean: str) -> None:
    assert clean_line(raw) == clean


def test_clean_line_gives_nfc_single_code_points() -> None:
    assert clean_line("Cafe\u0301") == "Caf\u00e9"
    assert len(clean_line("Cafe\u0301")) == 4


def test_clean_text_keeps_paragraphs_and_joins_wrapped_lines() -> None:
    raw = "  First line\r\nwrapped here.\r\n\r\n\r\n   Second   paragraph.  \n \n\tThird."
    assert clean_text(raw) == "First line wrapped here.\n\nSecond paragraph.\n\nThird."


def test_clean_optional_maps_blank_to_none() -> None:
    assert clean_optional(None) is None
    assert clean_optional(" \u200b\n ") is None
    assert clean_optional(" Fitness ") == "Fitness"


def test_clean_unique_drops_blanks_and_case_duplicates_in_order() -> None:
    assert clean_unique(["CMT 1F", "", "cmt 1f", "Charcot&#8211;Marie", "  "]) == ("CMT 1F", "Charcot–Marie")


def test_question_key_folds_case_punctuation_and_spacing() -> None:
    assert question_key("How can  foot problems cause BACK pain?") == question_key("how can foot problems cause back pain")


def test_slug_is_lowercase_ascii_words() -> None:
    assert slug("Crohn\x92s Disease: What & Why?") == "crohns-disease-what-why"
