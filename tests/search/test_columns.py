"""Per-document values for filters and facets, and their cache beside the index."""

from __future__ import annotations

import os
import pathlib

import numpy as np

from healthqa.search.columns import Values, cached, from_column, from_postings
from healthqa.search.searcher import Searcher


def test_counts_are_most_common_first_then_by_name_and_cut_at_the_limit() -> None:
    values = Values(["CDC", "GARD", "NHLBI"], np.array([0, 1, 1, 2, -1, 1, 0], dtype=np.int32))
    everything = np.ones(7, dtype=bool)
    assert values.counts(everything, 10) == {"GARD": 3, "CDC": 2, "NHLBI": 1}
    assert values.counts(everything, 2) == {"GARD": 3, "CDC": 2}
    assert values.counts(np.array([True, False, False, True, True, False, False]), 10) == {"CDC": 1, "NHLBI": 1}
    assert values.mask("GARD").tolist() == [False, True, True, False, False, True, False]
    assert not values.mask("absent").any()


def test_a_page_may_have_several_values_of_a_multi_valued_field() -> None:
    values = Values(["Cardiology", "Fitness"], np.zeros(4, dtype=np.int32), [np.array([0, 2]), np.array([2, 3])])
    assert values.counts(np.ones(4, dtype=bool), 10) == {"Cardiology": 2, "Fitness": 2}
    assert values.mask("Fitness").tolist() == [False, False, True, True]


def test_values_read_from_the_index_agree_with_the_stored_pages(searcher: Searcher) -> None:
    sources = from_postings(searcher.postings, "source")
    roles = from_postings(searcher.postings, "role", multi=True)
    topics = from_column(searcher.postings, "topic_exact")
    for doc in range(searcher.doc_count):
        page = searcher.page(doc)
        assert sources.names[sources.ids[doc]] == page.source
        assert sorted(name for name in roles.names if roles.mask(name)[doc]) == sorted(page.roles)
        assert (topics.names[topics.ids[doc]] if topics.ids[doc] >= 0 else None) == page.topic


def test_the_cache_is_used_while_its_key_holds_and_rebuilt_after(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "topics.cache.npz")
    built = []

    def build() -> Values:
        built.append(1)
        return Values(["Asthma", "Gout"], np.array([1, -1, 0], dtype=np.int32))

    first = cached(path, "gen-1", build)
    again = cached(path, "gen-1", build)
    assert len(built) == 1 and again.names == first.names and again.ids.tolist() == [1, -1, 0]
    cached(path, "gen-2", build)  # the index changed: built again
    assert len(built) == 2
    assert sorted(os.listdir(tmp_path)) == ["topics.cache.npz"]  # no temporary file left


def test_a_cache_that_cannot_be_written_still_gives_the_values(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "missing-folder" / "topics.cache.npz")
    values = cached(path, "key", lambda: Values(["Gout"], np.array([0], dtype=np.int32)))
    assert values.names == ["Gout"] and not os.path.exists(path)


def test_counts_from_the_matched_pages_numbers_are_those_of_the_mask_ties_by_name() -> None:
    # Names not in sorted order (as folding leaves them): equal counts still show by name.
    values = Values(["Gout", "Asthma", "Croup"], np.array([0, 2, 1, -1, 0, 1, 2], dtype=np.int32))
    matched = np.array([True, True, True, True, False, False, False])
    shown = values.top_counts(matched, 2)
    assert list(shown[0].items()) == [("Asthma", 1), ("Croup", 1)] and shown[1] == 1
    assert values.top_counts(matched, 2, np.flatnonzero(matched)) == shown


def test_counts_of_pages_indexed_source_by_source_are_those_page_by_page() -> None:
    # 2,000 pages in four runs of one source each (as a rebuilt index holds them), against the
    # same values scattered: counting run by run must give the counts of every page.
    ids = np.repeat(np.array([2, 0, -1, 1], dtype=np.int32), [700, 500, 300, 500])
    names = ["CDC", "GARD", "NHLBI"]
    matched = np.random.default_rng(7).random(len(ids)) < 0.3
    expected = {name: int(np.count_nonzero(matched & (ids == i))) for i, name in enumerate(names)}
    in_runs = Values(names, ids)
    assert in_runs.top_counts(matched, 10) == (dict(sorted(expected.items(), key=lambda kv: -kv[1])), 0)
    order = np.random.default_rng(8).permutation(len(ids))
    assert Values(names, ids[order]).top_counts(matched[order], 10) == in_runs.top_counts(matched, 10)
    assert in_runs.top_counts(matched, 2)[1] == 1
