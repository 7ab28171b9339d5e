"""Hostile input: no parser and no search raises anything but its documented error, every
record stays clean, and no input runs past a time limit (a hang guard, generous).

CI runs a few dozen inputs of each kind (``*_quick``); the ``slow`` tests run a few hundred
and ``bench/faults.py`` runs ten thousand and more a target.
"""

from __future__ import annotations

import pathlib
from typing import Any, Callable

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthqa.cli import cli
from healthqa.ingest.decode import decode_bytes
from healthqa.ingest.detect import parse_document
from healthqa.ingest.errors import DecodeError, ParseError
from healthqa.ingest.html import parse_html
from healthqa.ingest.medquad import parse_medquad
from healthqa.ingest.pipeline import read_and_parse
from healthqa.ingest.text import parse_text
from healthqa.search.searcher import Searcher

import contracts
import hostile

LIMIT = 20.0  # seconds one input may take before it counts as a hang (inputs here take milliseconds)
FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example, HealthCheck.filter_too_much])


def within_limit(run, *value):
    return contracts.limited(LIMIT, run, lambda: contracts.describe(value[0] if len(value) == 1 else value, 2000))


def fuzzed(strategy: st.SearchStrategy, examples: int, check: Callable[[Any], object]):
    """Two tests of one check: a slow one (``examples`` inputs: ``bench/faults.py``) and a quick
    one for CI (``QUICK`` inputs: the same properties, a few seconds)."""

    @pytest.mark.slow
    @settings(FUZZ, max_examples=examples)
    @given(strategy)
    def many(value: Any) -> None:
        within_limit(lambda: check(value), value)

    @settings(FUZZ, max_examples=QUICK)
    @given(strategy)
    def few(value: Any) -> None:
        within_limit(lambda: check(value), value)

    return many, few


QUICK = 20

# The HTML parser is the slowest, and many of these pages are bombs: fewer of them.
test_html_parser, test_html_parser_quick = fuzzed(
    hostile.HTML, 150, lambda text: contracts.check_parser(parse_html, text))
test_text_parser, test_text_parser_quick = fuzzed(
    hostile.TEXT, 200, lambda text: contracts.check_parser(parse_text, text))
test_medquad_parser, test_medquad_parser_quick = fuzzed(
    hostile.MEDQUAD, 200, lambda text: contracts.check_parser(parse_medquad, text))
test_format_detection_and_parsing, test_format_detection_and_parsing_quick = fuzzed(
    hostile.DOCUMENT, 200, lambda text: contracts.check_document(parse_document, text))
test_bytes_to_records, test_bytes_to_records_quick = fuzzed(hostile.BYTES, 200, contracts.check_bytes)


@settings(FUZZ, max_examples=QUICK)
@given(hostile.BYTES)
def test_read_and_parse_a_file(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "page"
    path.write_bytes(data)
    parsed = within_limit(lambda: read_and_parse(str(path)), data)
    assert (parsed.reason is None) == bool(parsed.pages)
    if parsed.pages:
        contracts.check_pages(list(parsed.pages), str(path))


@pytest.mark.parametrize("text", ["", " ", "\x00", "\ufeff", "\ud800", "<" * 100_000, "&" * 100_000])
def test_edge_texts_are_rejected_or_read_by_every_parser(text: str) -> None:
    for parse in (parse_html, parse_text, parse_medquad):
        within_limit(lambda: contracts.check_parser(parse, text), text)


def test_xml_entities_are_never_expanded_or_fetched(tmp_path: pathlib.Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    doc = (f'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file://{secret}">]><Document id="1" '
           'source="X"><QAPairs><QAPair pid="1"><Question qid="1">Why &x; ?</Question><Answer>&x; and more</Answer>'
           "</QAPair></QAPairs></Document>")
    [page] = parse_medquad(doc, "x.xml")
    assert "TOPSECRET" not in page.to_json()
    assert contracts.check_parser(parse_medquad, hostile._entity_bomb(10, 10)) == "rejected"


def test_nested_forum_posts_cost_linear_time_not_quadratic() -> None:
    # Each post's text once, not again inside every post around it: this page took 170 s and
    # 3.5 GB at 10 MB before; now its answers hold no more text than the page.
    body = "word " * 800
    page = ('<html><body><h1 class="PageTitle">Why?</h1><ul>'
            + "".join(f'<li class="ItemComment"><div class="Message">{n} {body}' for n in range(200))
            + "</div></li>" * 200 + "</ul></body></html>")
    [record] = within_limit(lambda: parse_html(page, "nested.html"), page)
    assert len(record.answers) == 199 and sum(len(a.text) for a in record.answers) < len(page)


def test_page_with_too_many_elements_is_rejected_before_it_is_built() -> None:
    page = "<html><body>" + "<b>" * 250_000
    with pytest.raises(ParseError, match="more than 200,000 elements: too many to read"):
        within_limit(lambda: parse_html(page, "bomb.html"), page)


def test_urls_and_sources_from_pages_are_one_clean_line() -> None:
    page = ('<html><head><link rel="canonical" href=" https://x.org/a\nb\x1b[2J\x85c "></head><body><h1>Why?</h1>'
            '<script type="application/ld+json">{"@type": "Question", "name": "Why?", "acceptedAnswer": '
            '{"text": "Because \\ud800 so."}}</script></body></html>')
    [record] = parse_html(page, "x.html")
    assert record.id == record.url == "https://x.org/ab%1B[2J%C2%85c"
    assert record.answers[0].text == "Because so."  # a lone surrogate escaped in JSON is no text
    xml = ('<Document id="1" source="\x85 GARD\t" url="javascript:alert(1)"><QAPairs><QAPair pid="1"><Question qid="1">'
           "Why?</Question><Answer>a</Answer></QAPair></QAPairs></Document>")
    [pair] = parse_medquad(xml, "2_GARD_QA/0000001.xml")
    assert (pair.id, pair.source, pair.url) == ("… GARD_0000001_Sec1", "… GARD", None)


def test_text_lines_that_clean_to_nothing_are_no_topic_and_no_answer() -> None:
    text = "&#x1b;\n\nWhy?\n\nAnswers (2)\n\n• A , Fitness, answered\n\n  &#1;\x07\n\n• B , Diet, answered\n\n  Eat.\n"
    [page] = parse_text(text, "x.txt")
    assert page.topic is None and [a.text for a in page.answers] == ["Eat."]
    contracts.check_pages([page], "x.txt")


def test_decode_rejects_only_with_a_reason() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_bytes(b"\x00" * 10, "x")
    assert caught.value.reason == "binary file (not text, HTML or XML)"


# -- queries ------------------------------------------------------------------------------------


@pytest.mark.slow
@settings(FUZZ, max_examples=200)
@given(query=hostile.QUERY, role=hostile.ROLE, page=st.sampled_from([1, 1, 2, 50]))
def test_query_reader_through_the_searcher(searcher: Searcher, query: str, role: str, page: int) -> None:
    within_limit(lambda: contracts.check_query(searcher, query, role, page), query, role, page)


@settings(FUZZ, max_examples=QUICK * 2)  # a query takes milliseconds
@given(query=hostile.QUERY, role=hostile.ROLE, page=st.sampled_from([1, 1, 2, 50]))
def test_query_reader_through_the_searcher_quick(searcher: Searcher, query: str, role: str, page: int) -> None:
    within_limit(lambda: contracts.check_query(searcher, query, role, page), query, role, page)


@pytest.mark.slow
@settings(FUZZ, max_examples=100)
@given(query=hostile.QUERY, role=hostile.ROLE, as_json=st.booleans())
def test_search_command(corpus_dir: pathlib.Path, query: str, role: str, as_json: bool) -> None:
    within_limit(lambda: contracts.check_cli_search(CliRunner(), cli, str(corpus_dir), query, role, as_json),
                 query, role, as_json)


@settings(FUZZ, max_examples=QUICK)
@given(query=hostile.QUERY, role=hostile.ROLE, as_json=st.booleans())
def test_search_command_quick(corpus_dir: pathlib.Path, query: str, role: str, as_json: bool) -> None:
    within_limit(lambda: contracts.check_cli_search(CliRunner(), cli, str(corpus_dir), query, role, as_json),
                 query, role, as_json)


@pytest.mark.parametrize("query", ["NOT NOT pain", "NOT NOT", "pain AND AND", "OR OR OR", "( ) ( )", "pain ANDNOT",
                                   "\x00\x1b[2J*", "-", "+", "\\", "^", '"', "\ud800"])
def test_queries_once_found_to_break_the_parser(searcher: Searcher, query: str) -> None:
    contracts.check_query(searcher, query)
