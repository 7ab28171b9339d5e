"""A searcher survives any number of reindexes (audit finding 4): the generation it opened
is held (a lease) until it closes, then the next index write removes it."""

from __future__ import annotations

import os
import pathlib

from healthqa.index.store import current_generation
from healthqa.index.writer import rebuild
from healthqa.ingest.store import Store
from healthqa.search.searcher import Searcher
from tests.search.corpus_index import build_index, corpus_pages

QUERIES = ["pneumonia", "heart attack", "diabetes foot", "back pain", "asthma", "cholesterol"]


def answers(searcher: Searcher) -> list[list[tuple[str, str]]]:
    """Every query's hits with their stored question and first answer (stored fields are read)."""
    return [[(hit.id, hit.question + (hit.answers[0].snippet.plain() if hit.answers else ""))
             for hit in searcher.search(query, limit=5).hits] for query in QUERIES]


def test_a_searcher_keeps_working_across_many_reindexes(tmp_path: pathlib.Path) -> None:
    data_dir = str(build_index(tmp_path / "data", corpus_pages()))
    with Searcher(data_dir) as held:
        expected = answers(held)
        opened = current_generation(data_dir)
        with Store.open(data_dir) as store:
            for n in range(4):
                rebuild(data_dir, store)
                assert answers(held) == expected, f"after reindex {n + 1}"
        assert os.path.isdir(opened)
    with Store.open(data_dir) as store:
        rebuild(data_dir, store)
    assert not os.path.exists(opened)  # released on close, removed by the next write
    with Searcher(data_dir) as fresh:
        assert answers(fresh) == expected


def test_searchers_opened_between_reindexes_each_keep_their_own(tmp_path: pathlib.Path) -> None:
    data_dir = str(build_index(tmp_path / "data", corpus_pages()))
    held: list[Searcher] = []
    with Store.open(data_dir) as store:
        for _ in range(3):
            held.append(Searcher(data_dir))
            rebuild(data_dir, store)
    try:
        assert len({s.generation for s in held}) == 3
        expected = answers(held[0])
        assert all(answers(s) == expected for s in held)
    finally:
        for searcher in held:
            searcher.close()
