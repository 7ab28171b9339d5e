"""Real ``searchd`` processes on 127.0.0.1: 2 shards x 2 replicas and a head, on free ports, in
the test's own directory, built from the real test corpus, always stopped at the end."""

from __future__ import annotations

import contextlib
import pathlib
import shutil
import socket
from dataclasses import dataclass
from typing import Iterator

import pytest

from healthqa.index.cluster import daemons
from healthqa.index.cluster.build import build
from healthqa.index.cluster.engine_config import Paths, write_configs
from healthqa.index.cluster.layout import NODES_FILE, Layout, write_layout
from healthqa.index.writer import sync
from healthqa.ingest.store import Store
from tests.index.real_corpus import real_documents

if shutil.which("searchd") is None or shutil.which("indexer") is None:
    pytest.skip("searchd/indexer are not installed (Debian package sphinxsearch; .ci/run installs it)",
                allow_module_level=True)


@dataclass(frozen=True)
class Running:
    layout: Layout
    paths: Paths
    data_dir: pathlib.Path


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (each bound once to port 0, then released)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The real test corpus in a record store, with its Whoosh index (to compare with)."""
    data = tmp_path_factory.mktemp("cluster-corpus") / "data"
    real_documents(data)
    with Store.open(str(data)) as store:
        sync(str(data), store)
    return data


@pytest.fixture
def cluster(tmp_path: pathlib.Path, corpus_dir: pathlib.Path) -> Iterator[Running]:
    """A running cluster over a copy of the corpus (a test may change its store)."""
    with running(tmp_path / "data", corpus_dir) as started:
        yield started


@pytest.fixture(scope="module")
def module_cluster(tmp_path_factory: pytest.TempPathFactory, corpus_dir: pathlib.Path) -> Iterator[Running]:
    """One running cluster for a module's tests, which change neither its store nor its nodes."""
    with running(tmp_path_factory.mktemp("module-cluster") / "data", corpus_dir) as started:
        yield started


@contextlib.contextmanager
def running(data: pathlib.Path, corpus_dir: pathlib.Path) -> Iterator[Running]:
    """A cluster over a copy of the corpus in ``data``, stopped when the block ends."""
    shutil.copytree(corpus_dir, data)
    layout = Layout.on_ports(2, 2, free_ports(10))
    paths = Paths(str(data / "cluster"))  # where the commands look by default
    write_layout(str(data / "cluster" / NODES_FILE), layout)
    write_configs(layout, paths)
    try:
        with Store.open(str(data), readonly=True) as store:
            build(layout, paths, store)
        daemons.start_all(layout, paths)
        yield Running(layout, paths, data)
    finally:
        for node in layout.nodes():
            daemons.kill(node, paths)
