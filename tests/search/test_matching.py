"""Which pages a query with syntax matches: the numpy masks equal what Whoosh's own matchers find."""

from __future__ import annotations

import pathlib
from typing import Iterator

import numpy as np
import pytest
from whoosh import query as wq

from healthqa.index.store import open_index
from healthqa.search.engine import Postings
from healthqa.search.matching import match_mask
from healthqa.search.query import QueryReader
from healthqa.search.settings import SearchSettings

QUERIES = ['"heart attack"', "heart -attack", "+pneumonia vaccine", "pneumonia NOT vaccine", "diabetes AND insulin",
           "(heart OR pneumonia) AND -vaccine", "source:CDC", "topic:diabetes blood", "diab*", "pneumona~"]


@pytest.fixture(scope="module")
def whoosh_searcher(corpus_dir: pathlib.Path) -> Iterator:
    ix, _ = open_index(str(corpus_dir))
    with ix.searcher() as opened:
        yield opened


@pytest.mark.parametrize("text", QUERIES)
def test_mask_equals_whooshs_matches(whoosh_searcher, text: str) -> None:
    reader = whoosh_searcher.reader()
    parsed = QueryReader(whoosh_searcher.schema, SearchSettings()).parse(text, reader).query
    expected = sorted(whoosh_searcher.docs_for_query(parsed))
    got = np.flatnonzero(match_mask(parsed, Postings(reader), whoosh_searcher)).tolist()
    assert got == expected and (expected or text == "heart -attack")


def test_every_and_nothing(whoosh_searcher) -> None:
    postings = Postings(whoosh_searcher.reader())
    assert match_mask(wq.Every(), postings, whoosh_searcher).sum() == whoosh_searcher.doc_count()
    assert not match_mask(wq.NullQuery, postings, whoosh_searcher).any()
    assert not match_mask(wq.Not(wq.Every()), postings, whoosh_searcher).any()
