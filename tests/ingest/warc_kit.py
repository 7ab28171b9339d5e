"""WARC files written with ``warcio`` for the tests, as crawlers write them."""

from __future__ import annotations

import gzip
import io
import pathlib
from dataclasses import dataclass

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

TESTS = pathlib.Path(__file__).resolve().parent.parent
HTML = TESTS / "ingest" / "data" / "html"
TEXT = TESTS / "ingest" / "data" / "text"
SITE = "https://forum.example.org"

# A text rendering in ISO-8859-2 with no declaration of its own: only the server's charset
# header tells "ł" (0xB3) from the "³" that a Western guess reads.
LATIN2_PAGE = (
    "Back Pain\n\nCan flat feet cause pain in the lower back?\n\nA Answers (1)\n\n"
    "  * Paweł Łukasiewicz , Physical Therapy, answered\n\n"
    "    Yes: flat feet turn the legs inward and tilt the pelvis, which strains the lower back.\n"
)


@dataclass(frozen=True)
class Capture:
    """One record to write: a response (``status``), or a revisit when ``revisit`` is set."""

    url: str
    body: bytes = b""
    status: str = "200 OK"
    content_type: str | None = "text/html"
    headers: tuple[tuple[str, str], ...] = ()
    revisit: bool = False


def write_warc(path: pathlib.Path, captures: list[Capture], compress: bool = True) -> pathlib.Path:
    """Write ``captures`` as a WARC (one gzip member per record when ``compress``), with a
    warcinfo record first and a request record before each response, as wget does."""
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=compress)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "healthqa tests"}))
        for capture in captures:
            _write(writer, capture)
    return path


def _write(writer: WARCWriter, capture: Capture) -> None:
    headers = [("Content-Type", capture.content_type)] if capture.content_type else []
    headers += list(capture.headers) + [("Content-Length", str(len(capture.body)))]
    http = StatusAndHeaders(capture.status, headers, protocol="HTTP/1.1")
    asked = f"GET / HTTP/1.1\r\nHost: {capture.url.split('/')[2]}\r\n\r\n".encode()
    # Lengths given: without one warcio buffers the payload in a temporary file it never closes.
    request = writer.create_warc_record(capture.url, "request", payload=io.BytesIO(asked), length=len(asked))
    writer.write_record(request)
    if capture.revisit:
        record = writer.create_revisit_record(capture.url, digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                              refers_to_uri=capture.url, refers_to_date="2024-01-01T00:00:00Z",
                                              http_headers=http)
    else:
        record = writer.create_warc_record(capture.url, "response", payload=io.BytesIO(capture.body),
                                           length=len(capture.body), http_headers=http)
    writer.write_record(record)


def mixed_captures() -> list[Capture]:
    """A crawl of a health forum as a crawler keeps it: pages, a redirect, a 404, a revisit,
    a gzip-encoded page, a page in a legacy charset, and a stylesheet."""
    medhelp = (HTML / "medhelp_heart-rhythm-tikosyn-1640925.html").read_bytes()
    scope = (HTML / "scope_copd-57774.html").read_bytes()
    seed = (TEXT / "named_experts.txt").read_bytes()
    return [
        Capture(f"{SITE}/posts/tikosyn", medhelp, content_type="text/html; charset=utf-8"),
        Capture(f"{SITE}/questions/foot-pain.txt", seed, content_type="text/plain"),
        Capture(f"{SITE}/old-thread", status="301 Moved Permanently", headers=(("Location", f"{SITE}/posts/tikosyn"),)),
        Capture(f"{SITE}/gone", b"<html><body>Not found</body></html>", status="404 Not Found"),
        Capture(f"{SITE}/posts/tikosyn", revisit=True, content_type="text/html; charset=utf-8"),
        Capture(f"{SITE}/discussion/copd", gzip.compress(scope), content_type="text/html",
                headers=(("Content-Encoding", "gzip"),)),
        Capture(f"{SITE}/questions/flat-feet", LATIN2_PAGE.encode("iso-8859-2"),
                content_type="text/plain; charset=ISO-8859-2"),
        Capture(f"{SITE}/style.css", b"body { color: red }", content_type="text/css"),
    ]
