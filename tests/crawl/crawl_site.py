"""A small health forum served on 127.0.0.1 for crawlers to fetch: real pages from raw/ and the test corpus."""

from __future__ import annotations

import contextlib
import http.server
import pathlib
import shutil
import threading
from typing import Iterator

import pytest

TESTS = pathlib.Path(__file__).resolve().parent.parent
REPO = TESTS.parent
HTML = TESTS / "ingest" / "data" / "html"
PAGES = {  # served name -> a real page from raw/ or the test corpus
    "tikosyn.html": REPO / "raw" / "html" / "medhelp_heart-rhythm-tikosyn-1640925.html",
    "copd.html": REPO / "raw" / "html" / "scope_copd-57774.html",
    "cbd-oil.html": HTML / "shiftms_cbd-oil-11.html",
    "binge-eating.html": HTML / "healthline_how-to-overcome-binge-eating.html",  # an article: rejected
    "foot-pain.txt": REPO / "raw" / "sharecare_back-pain_foot-problems.txt",
}
CANONICAL = {  # the pages whose markup names their URL
    "tikosyn.html": "https://www.medhelp.org/posts/Heart-Rhythm/Tikosyn-load-ablation/show/1640925",
    "copd.html": "https://community.scope.org.uk/discussion/57774/copd",
    "cbd-oil.html": "https://shift.ms/topic/cbd-oil-11",
}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site(tmp_path: pathlib.Path) -> Iterator[str]:
    """The forum on a free port of 127.0.0.1: an index linking every page, and a page that is missing."""
    root = tmp_path / "site"
    root.mkdir()
    for name, source in PAGES.items():
        shutil.copyfile(source, root / name)
    links = "".join(f'<a class="page" href="/{name}">{name}</a>' for name in [*PAGES, "missing.html"])
    (root / "index.html").write_text(f"<html><body>{links}</body></html>", "utf-8")
    handler = lambda *args, **kwargs: _Quiet(*args, directory=str(root), **kwargs)  # noqa: E731
    with serving(handler) as url:
        yield url


@contextlib.contextmanager
def serving(handler) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 (a free port) in a thread, for the ``with`` block: its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
