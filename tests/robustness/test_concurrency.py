"""Searching while ingest, index and reindex write; two ingests at once.

CI searches at chosen points inside the writers (while documents are added, after the
commit, before and after a reindex swaps): each result must be exactly what the index
before or after the write gives, from a fresh searcher and from one kept open throughout.
The ``slow`` tests (and ``bench/faults.py``, with more queries and rounds) do the same with
processes searching continuously while others write, whenever the timing lands.
"""

from __future__ import annotations

import pathlib

import pytest

from faultkit import change_corpus, copy_data_dir, run_cli, write_corpus
from healthqa.index.writer import rebuild
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store
from healthqa.search import searcher as searcher_module
from healthqa.search.searcher import Searcher
from tests.search.corpus_index import build_index, corpus_pages
from healthqa.index import writer as writer_module
from loadkit import expected_results, results_of, search_while_writing, two_ingests_at_once


@pytest.mark.slow
def test_searches_during_ingest_and_reindex_never_fail_and_always_see_one_index(tmp_path: pathlib.Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 300)
    data_dir = tmp_path / "data"
    assert run_cli(data_dir, "ingest", str(corpus.root)).returncode == 1  # the corpus's two bad files
    tally = search_while_writing(corpus, data_dir, tmp_path, minimum=150)
    assert tally.failures == []
    assert tally.inconsistent == []
    assert tally.queries >= 300 and tally.during_writes > 0
    assert len(tally.states_seen) >= 2  # searches saw the index before and after the writes


def test_searches_at_chosen_points_of_the_writers_see_the_index_before_or_after(
        tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = write_corpus(tmp_path / "corpus", 120)
    data_dir = tmp_path / "data"
    assert run_cli(data_dir, "ingest", str(corpus.root)).returncode == 1  # the corpus's two bad files
    before = expected_results(copy_data_dir(data_dir, tmp_path / "before"))
    change_corpus(corpus)
    seen: list[tuple[str, dict]] = []
    kept = Searcher(str(data_dir))

    def search_at(point: str) -> None:
        with Searcher(str(data_dir)) as fresh:
            seen.append((point, results_of(fresh)))
        seen.append((f"{point}, searcher kept open", results_of(kept)))

    def at(name: str, call: int, point: str, after: bool = False) -> None:
        original, calls = getattr(writer_module, name), [0]

        def hooked(*args, **kwargs):
            calls[0] += 1
            if calls[0] == call and not after:
                search_at(point)
            result = original(*args, **kwargs)
            if calls[0] == call and after:
                search_at(point)
            return result

        monkeypatch.setattr(writer_module, name, hooked)

    at("document", 5, "adding documents")
    at("write_meta", 1, "committed, meta not yet written")
    at("swap_in", 1, "reindex before the swap")
    at("swap_in", 1, "reindex after the swap", after=True)
    try:
        assert run_cli(data_dir, "ingest", "--prune", "--no-index", str(corpus.root)).returncode == 1
        with Store.open(str(data_dir)) as store:
            writer_module.sync(str(data_dir), store)
            after = expected_results(copy_data_dir(data_dir, tmp_path / "after"))
            writer_module.rebuild(str(data_dir), store)
        rebuilt = expected_results(data_dir)  # one segment: the statistics of replaced pages are gone
    finally:
        kept.close()
    assert after != before
    expected = {"adding documents": before, "committed, meta not yet written": after,
                "reindex before the swap": after, "reindex after the swap": rebuilt}
    assert [point for point, _ in seen] == [p + kind for p in expected for kind in ("", ", searcher kept open")]
    for point, results in seen:
        assert results == (before if "kept open" in point else expected[point]), point


@pytest.mark.slow  # timing: the second ingests must start while the first holds the lock (CI's twin:
# tests/cli/test_cli_ingest.py, with the lock held by a test process)
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
