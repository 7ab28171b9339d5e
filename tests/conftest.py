"""Fixtures shared by every test package: where the copied test data lives, a fresh store."""

from __future__ import annotations

import contextlib
import pathlib
import subprocess
import sys
from typing import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from healthqa.ingest.store import Store
from healthqa.search.searcher import Searcher
from tests import parallel
from tests.index.real_corpus import real_documents
from tests.search.corpus_index import build_index, corpus_pages
from tests.testenv import VOCABULARY_DIR

TESTS = pathlib.Path(__file__).resolve().parent
INGEST_DATA = TESTS / "ingest" / "data"

# Hypothesis in the suite: the same examples on every run (a failure seen once is seen again,
# and a run cannot fail by drawing an unlucky input), no time limits per example (a busy
# machine is not a bug). ``pytest --hypothesis-profile explore`` (bench/faults.py) draws new
# examples each run. Loaded here, before the test modules build their own settings on it.
settings.register_profile("suite", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Two worker processes unless ``-n`` says otherwise (see :mod:`tests.parallel`)."""
    parallel.default_workers(config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    return parallel.make_scheduler(config, log)


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


_HOLD_LOCK = """
import fcntl, sys
handle = open(sys.argv[1], "a+")
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.readline()
"""


@contextlib.contextmanager
def _lock_held_elsewhere(lock: pathlib.Path) -> Iterator[None]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(lock)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        yield
    finally:
        holder.communicate("release\n", timeout=120)  # a guard against a hang, not a time the test needs


@pytest.fixture
def lock_held_elsewhere() -> Callable[[pathlib.Path], contextlib.AbstractContextManager[None]]:
    """``with lock_held_elsewhere(path):`` another process holds the lock file ``path``
    (as a running ingest or index writer does) until the block ends."""
    return _lock_held_elsewhere


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A data directory holding the corpus, indexed: for tests that only read it."""
    return build_index(tmp_path_factory.mktemp("corpus") / "data", corpus_pages())


@pytest.fixture(scope="module")
def searcher(corpus_dir: pathlib.Path) -> Iterator[Searcher]:
    """A searcher over the corpus with the default settings."""
    with Searcher(str(corpus_dir)) as opened:
        yield opened


@pytest.fixture(scope="session", autouse=True)
def _shared_vocabulary(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One copy of the word lists and vocabularies for the whole run (built once, a few
    seconds), not one per data directory; child processes inherit it. Under pytest-xdist the
    workers share one folder beside their own (the copy is written whole, then renamed in)."""
    import os

    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent / "vocabulary"
        shared.mkdir(exist_ok=True)
        if len(request.session.items) >= parallel.EAGER_VOCABULARY:
            parallel.build_once(shared)
        folder = str(shared)
    else:
        folder = str(tmp_path_factory.mktemp("vocabulary"))
    previous = os.environ.get(VOCABULARY_DIR)
    os.environ[VOCABULARY_DIR] = folder
    yield
    if previous is None:
        os.environ.pop(VOCABULARY_DIR, None)
    else:
        os.environ[VOCABULARY_DIR] = previous


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
