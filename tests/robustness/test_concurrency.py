"""Searching while ingest, index and reindex write; two ingests at once.

Two processes search continuously while ``healthqa ingest`` (which brings the index up to
date at its end) and then ``healthqa reindex`` run. No search may fail, and each result
must be exactly what one of the index states the writers went through gives: the index
before, after the ingest, after the reindex (never half of one and half of another).
``bench/faults.py`` does the same with more queries and more rounds.
"""

from __future__ import annotations

import pathlib

from faultkit import run_cli, search_while_writing, two_ingests_at_once, write_corpus


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
