"""A query that starts with '-' (an exclusion) is a query, not an option (audit finding 6)."""

from __future__ import annotations

import json
import pathlib

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.search.searcher import Searcher


def search(data_dir: pathlib.Path, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "search", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("query", ["-exercise diabetes", "-heart exercise", "-diabetes foot", "-vaccine pneumonia"])
def test_a_query_starting_with_minus_excludes_that_word(corpus_dir: pathlib.Path, query: str) -> None:
    found = search(corpus_dir, query, "--json", "--limit", "20")
    with Searcher(str(corpus_dir)) as searcher:
        expected = [hit_id for hit_id, _ in searcher.ranked_ids(query, 20)]
    assert found["query"] == query and [h["id"] for h in found["hits"]] == expected
    excluded = query.split()[0][1:]
    assert found["hits"] and all(excluded not in h["question"].lower() for h in found["hits"])


def test_options_before_and_after_the_query_and_after_a_double_dash_still_work(corpus_dir: pathlib.Path) -> None:
    after = search(corpus_dir, "-exercise diabetes", "--limit", "2", "--json")
    before = search(corpus_dir, "--json", "--limit=2", "-exercise diabetes")
    dashes = search(corpus_dir, "--json", "--limit", "2", "--", "-exercise diabetes")
    assert after == before == dashes and len(after["hits"]) == 2


def test_an_unknown_option_like_word_alone_is_searched_not_refused(corpus_dir: pathlib.Path) -> None:
    found = search(corpus_dir, "--json", "-pneumonia")
    assert found["query"] == "-pneumonia" and found["total"] == 0
