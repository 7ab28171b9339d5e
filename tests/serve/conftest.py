"""A real HTTP server on 127.0.0.1 for the server tests: uvicorn in a thread, on a free port."""

from __future__ import annotations

import contextlib
import pathlib
import shutil
import socket
import threading
from typing import Callable, Iterator

import httpx
import pytest
import uvicorn

from healthqa.serve.app import create_app
from healthqa.serve.settings import ServeSettings

API_KEY = "test-write-key"


class _Server(uvicorn.Server):
    """uvicorn's server, saying when it is ready to take requests."""

    def __init__(self, config: uvicorn.Config):
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


@contextlib.contextmanager
def running(settings: ServeSettings) -> Iterator[str]:
    """Serve ``settings`` on a free port of 127.0.0.1 until the block ends; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert server.ready.wait(60), "the test server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@pytest.fixture(scope="module")
def base_url(corpus_dir: pathlib.Path) -> Iterator[str]:
    """A read-only server over the search corpus (no write key)."""
    with running(ServeSettings(data_dir=str(corpus_dir))) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as opened:
        yield opened


@pytest.fixture
def writable(tmp_path: pathlib.Path, corpus_dir: pathlib.Path) -> Callable[..., contextlib.AbstractContextManager]:
    """``with writable(**settings) as (client, data_dir):`` a server with a write key over a
    copy of the corpus that the test may change."""

    @contextlib.contextmanager
    def start(**changes) -> Iterator[tuple[httpx.Client, pathlib.Path]]:
        data = tmp_path / "data"
        if not data.exists():
            shutil.copytree(corpus_dir, data, symlinks=True)
        settings = ServeSettings(**{"data_dir": str(data), "api_key": API_KEY, **changes})
        with running(settings) as url, httpx.Client(base_url=url, timeout=60,
                                                    headers={"Authorization": f"Bearer {API_KEY}"}) as opened:
            yield opened, data

    return start
