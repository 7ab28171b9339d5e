"""Hostile input, a few hundred of each kind: no parser and no search raises anything but its
documented error, every record stays clean, and no input runs past a time limit.

``bench/faults.py`` runs the same checks on ten thousand and more inputs a target.
"""

from __future__ import annotations

import pathlib
from typing import Iterator

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthqa.cli import cli
from ingest.decode import decode_bytes
from ingest.detect import parse_document
from ingest.errors import DecodeError
from ingest.html import parse_html
from ingest.medquad import parse_medquad
from ingest.pipeline import read_and_parse
from ingest.text import parse_text
from search.searcher import Searcher

import hostile
from faultkit import build_index, corpus_records

LIMIT = 20.0  # seconds one input may take before it counts as a hang (inputs here take milliseconds)
FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example, HealthCheck.filter_too_much])


def within_limit(run, *value):
    return hostile.limited(LIMIT, run, lambda: hostile.describe(value[0] if len(value) == 1 else value, 2000))


@settings(FUZZ, max_examples=100)  # the slowest parser: a hundred pages, many of them bombs
@given(hostile.HTML)
def test_html_parser(text: str) -> None:
    within_limit(lambda: hostile.check_parser(parse_html, text), text)


@FUZZ
@given(hostile.TEXT)
def test_text_parser(text: str) -> None:
    within_limit(lambda: hostile.check_parser(parse_text, text), text)


@FUZZ
@given(hostile.MEDQUAD)
def test_medquad_parser(text: str) -> None:
    within_limit(lambda: hostile.check_parser(parse_medquad, text), text)


@FUZZ
@given(hostile.DOCUMENT)
def test_format_detection_and_parsing(text: str) -> None:
    within_limit(lambda: hostile.check_document(parse_document, text), text)


@FUZZ
@given(hostile.BYTES)
def test_bytes_to_records(data: bytes) -> None:
    within_limit(lambda: hostile.check_bytes(data), data)


@settings(FUZZ, max_examples=50)
@given(hostile.BYTES)
def test_read_and_parse_a_file(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "page"
    path.write_bytes(data)
    parsed = within_limit(lambda: read_and_parse(str(path)), data)
    assert (parsed.reason is None) == bool(parsed.pages)
    if parsed.pages:
        hostile.check_pages(list(parsed.pages), str(path))


@pytest.mark.parametrize("text", ["", " ", "\x00", "\ufeff", "\ud800", "<" * 100_000, "&" * 100_000])
def test_edge_texts_are_rejected_or_read_by_every_parser(text: str) -> None:
    for parse in (parse_html, parse_text, parse_medquad):
        within_limit(lambda: hostile.check_parser(parse, text), text)


def test_xml_entities_are_never_expanded_or_fetched(tmp_path: pathlib.Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    doc = (f'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file://{secret}">]><Document id="1" '
           'source="X"><QAPairs><QAPair pid="1"><Question qid="1">Why &x; ?</Question><Answer>&x; and more</Answer>'
           "</QAPair></QAPairs></Document>")
    [page] = parse_medquad(doc, "x.xml")
    assert "TOPSECRET" not in page.to_json()
    assert hostile.check_parser(parse_medquad, hostile._entity_bomb(10, 10)) == "rejected"


def test_decode_rejects_only_with_a_reason() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_bytes(b"\x00" * 10, "x")
    assert caught.value.reason == "binary file (not text, HTML or XML)"


# -- queries ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return build_index(tmp_path_factory.mktemp("fuzz-corpus") / "data", corpus_records())


@pytest.fixture(scope="module")
def searcher(corpus: pathlib.Path) -> Iterator[Searcher]:
    with Searcher(str(corpus)) as opened:
        yield opened


@settings(FUZZ, max_examples=200)
@given(query=hostile.QUERY, role=hostile.ROLE, page=st.sampled_from([1, 1, 2, 50]))
def test_query_reader_through_the_searcher(searcher: Searcher, query: str, role: str, page: int) -> None:
    within_limit(lambda: hostile.check_query(searcher, query, role, page), query, role, page)


@settings(FUZZ, max_examples=100)
@given(query=hostile.QUERY, role=hostile.ROLE, as_json=st.booleans())
def test_search_command(corpus: pathlib.Path, query: str, role: str, as_json: bool) -> None:
    within_limit(lambda: hostile.check_cli_search(CliRunner(), cli, str(corpus), query, role, as_json), query, role, as_json)


@pytest.mark.parametrize("query", ["NOT NOT pain", "NOT NOT", "pain AND AND", "OR OR OR", "( ) ( )", "pain ANDNOT",
                                   "\x00\x1b[2J*", "-", "+", "\\", "^", '"', "\ud800"])
def test_queries_once_found_to_break_the_parser(searcher: Searcher, query: str) -> None:
    hostile.check_query(searcher, query)
