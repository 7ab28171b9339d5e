"""Searching while ingest, index and reindex write; two ingests at once.

Two processes search continuously while ``healthqa ingest`` (which brings the index up to
date at its end) and then ``healthqa reindex`` run. No search may fail, and each result
must be exactly what one of the index states the writers went through gives: the index
before, after the ingest, after the reindex (never half of one and half of another).
``bench/faults.py`` does the same with more queries and more rounds.
"""

from __future__ import annotations

import pathlib

import pytest

from faultkit import run_cli, write_corpus
from healthqa.index.writer import rebuild
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store
from healthqa.search import searcher as searcher_module
from healthqa.search.searcher import Searcher
from tests.search.corpus_index import build_index, corpus_pages
from loadkit import search_while_writing, two_ingests_at_once


def test_searches_during_ingest_and_reindex_never_fail_and_always_see_one_index(tmp_path: pathlib.Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 300)
    data_dir = tmp_path / "data"
    assert run_cli(data_dir, "ingest", str(corpus.root)).returncode == 1  # the corpus's two bad files
    tally = search_while_writing(corpus, data_dir, tmp_path, minimum=150)
    assert tally.failures == []
    assert tally.inconsistent == []
    assert tally.queries >= 300 and tally.during_writes > 0
    assert len(tally.states_seen) >= 2  # searches saw the index before and after the writes


def test_a_second_ingest_waits_or_says_another_is_running_and_nothing_is_lost(tmp_path: pathlib.Path) -> None:
    assert two_ingests_at_once(tmp_path) == []


def test_a_searcher_opened_while_a_reindex_swaps_knows_which_index_it_reads(
        tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = build_index(tmp_path / "data", corpus_pages())
    with Store.open(str(data_dir)) as store:
        with store.transaction():
            store.put(QAPage(id="gout", source="NIDDK", format="medquad", origin="x", topic="Gout",
                             question="What foods trigger gout?", answers=(Answer("Red meat and shellfish."),)))

    def open_then_reindex(path: str, generation: str | None = None):
        opened = real_open_index(path, generation)
        with Store.open(path) as store:  # the race, made certain: the swap lands between the two reads
            rebuild(path, store)
        return opened

    real_open_index = searcher_module.open_index
    monkeypatch.setattr(searcher_module, "open_index", open_then_reindex)
    with Searcher(str(data_dir)) as searcher:
        # It reads the generation open_index opened (before the swap), so it knows it is stale.
        assert not searcher.is_current()
        assert searcher.search("gout").total == 0
    monkeypatch.undo()
    with Searcher(str(data_dir)) as searcher:
        assert searcher.is_current() and searcher.search("gout").total == 1
