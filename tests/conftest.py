"""Fixtures shared by every test package: where the copied test data lives, a fresh store."""

from __future__ import annotations

import pathlib
from typing import Iterator

import pytest

from ingest.store import Store

TESTS = pathlib.Path(__file__).resolve().parent
INGEST_DATA = TESTS / "ingest" / "data"


@pytest.fixture
def text_pages() -> pathlib.Path:
    """Folder of plain-text renderings: the seed page and small variants of it."""
    return INGEST_DATA / "text"


@pytest.fixture
def medquad_files() -> pathlib.Path:
    """Folder of trimmed MedQuAD files, each under its subset's folder name."""
    return INGEST_DATA / "medquad"


@pytest.fixture
def seed_page(text_pages: pathlib.Path) -> pathlib.Path:
    """The page the project was specified from."""
    return text_pages / "sharecare_back-pain_foot-problems.txt"


@pytest.fixture
def store(tmp_path: pathlib.Path) -> Iterator[Store]:
    """An empty record store in a data directory of its own."""
    with Store.open(str(tmp_path / "data")) as opened:
        yield opened
