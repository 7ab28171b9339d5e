"""Every query has a budget: fuzzy edits capped, expansions capped in count, a time budget
that returns the best results so far with a note (audit finding 2)."""

from __future__ import annotations

from typing import Any

import pytest
import whoosh.automata.lev

from healthqa.search.query import QueryReader
from healthqa.search.searcher import Searcher
from healthqa.search.settings import SearchSettings


def terms(parsed) -> set[tuple[str, str]]:
    return set(parsed.query.iter_all_terms())


@pytest.fixture
def no_automaton(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoosh's Levenshtein automaton grows exponentially with the edits ('~9' took 10 GB): never built."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a Levenshtein automaton was built")

    monkeypatch.setattr(whoosh.automata.lev, "levenshtein_automaton", refuse)


@pytest.mark.parametrize("typed", ["pneumonoultramicroscopicsilicovolcanoconiosis~9", "pnuemonia~7", "a~5"])
def test_fuzzy_edits_are_capped_at_two_with_a_note(index_reader: Any, no_automaton: None, typed: str) -> None:
    reader = QueryReader(index_reader.schema, SearchSettings())
    word, edits = typed.rsplit("~", 1)
    parsed = reader.parse(typed, index_reader)
    assert any(note.endswith(f"~{edits}': fuzzy words allow at most 2 edits; read as ~2") for note in parsed.notes)
    assert terms(parsed) == terms(reader.parse(f"{word}~2", index_reader))


def test_a_capped_fuzzy_word_finds_what_two_edits_find(searcher: Searcher, no_automaton: None) -> None:
    capped = searcher.search("pnuemonia~9", limit=50)
    assert capped.total == searcher.search("pnuemonia~2", limit=50).total > 0
    assert "'pnuemonia~9': fuzzy words allow at most 2 edits; read as ~2" in capped.notes


def test_a_wide_range_stands_for_a_bounded_number_of_terms(index_reader: Any) -> None:
    reader = QueryReader(index_reader.schema, SearchSettings(max_expansions=5, max_expansion_scan=40))
    parsed = reader.parse("answer:[a TO zzzz]", index_reader)
    found = terms(parsed)
    assert 0 < len(found) <= 5 and {field for field, _ in found} == {"answer"}
    assert parsed.notes == ("'[a TO zzzz]' covers too many words: used those among the first 40",
                            "'[a TO zzzz]' matches many words: used the 5 most common")


def test_all_expansions_of_a_query_share_one_cap(index_reader: Any) -> None:
    reader = QueryReader(index_reader.schema, SearchSettings(max_clauses=12))
    parsed = reader.parse("pa* he* di* pnuemonia~2 question:[a TO z]", index_reader)
    expanded = {(field, word) for field, word in terms(parsed) if word != "pnuemonia"}  # a fuzzy word left as typed
    assert 0 < len(expanded) <= 12
    assert "the query expands to more than 12 terms: some words not expanded" in parsed.notes


def test_a_spent_time_budget_returns_results_so_far_with_a_note(corpus_dir: Any) -> None:
    with Searcher(str(corpus_dir), SearchSettings(query_seconds=0.0)) as searcher:
        results = searcher.search("pneumonia~2 diab*")
    assert results.total > 0  # the fuzzy word searched as typed
    assert {hit.topic for hit in results.hits} == {"Pneumonia"}  # 'diab*' not expanded
    assert any(note.startswith("time budget of 0 s spent: the results are the best found so far")
               for note in results.notes)
