"""Fixtures for the search tests: the small corpus, indexed once per module for tests that only read."""

from __future__ import annotations

import pathlib
from typing import Any, Iterator

import pytest

from corpus_index import build_index, corpus_pages
from index.store import open_index
from search.searcher import Searcher


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A data directory holding the corpus, indexed: for tests that only read it."""
    return build_index(tmp_path_factory.mktemp("corpus") / "data", corpus_pages())


@pytest.fixture(scope="module")
def searcher(corpus_dir: pathlib.Path) -> Iterator[Searcher]:
    """A searcher over the corpus with the default settings."""
    with Searcher(str(corpus_dir)) as opened:
        yield opened


@pytest.fixture(scope="module")
def index_reader(corpus_dir: pathlib.Path) -> Iterator[Any]:
    """A Whoosh reader of the corpus index, for the parts that work on one directly."""
    ix, _ = open_index(str(corpus_dir))
    with ix.reader() as reader:
        yield reader
