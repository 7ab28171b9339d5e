"""Fixtures for the index tests."""

from __future__ import annotations

import pathlib

import pytest

from tests.index.real_corpus import real_documents


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A data directory whose record store holds the real test corpus (no index): read only."""
    data_dir = tmp_path_factory.mktemp("store")
    real_documents(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def documents(real_store: pathlib.Path) -> list[dict[str, object]]:
    """The real test corpus as index documents (see :mod:`tests.index.real_corpus`)."""
    return real_documents(real_store)
