"""Fixtures for the search tests (the corpus and a searcher over it are in tests/conftest.py)."""

from __future__ import annotations

import pathlib
from typing import Any, Iterator

import pytest

from healthqa.index.store import open_index


@pytest.fixture(scope="module")
def index_reader(corpus_dir: pathlib.Path) -> Iterator[Any]:
    """A Whoosh reader of the corpus index, for the parts that work on one directly."""
    ix, _ = open_index(str(corpus_dir))
    with ix.reader() as reader:
        yield reader
