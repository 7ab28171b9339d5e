"""Pages out of WARC files, the format crawlers store what they fetched in.

``warcio`` streams the records of a ``.warc`` or ``.warc.gz`` without unpacking it. Every
HTTP response with status 200 and an HTML or text body becomes a :class:`Fetched` page
carrying its target URI and the charset its server named; revisits, other statuses and
other media types are skipped and counted in a :class:`WarcReport`. A truncated or
damaged file ends the reading at the last whole record: every page before it is kept and
the report says at which offset it stopped.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import BinaryIO, Iterator

from healthqa.ingest.normalise import clean_url

WARC_MAGIC = b"WARC/"
GZIP_MAGIC = b"\x1f\x8b"
# Media types that hold a page a parser can read; a missing type is left to detection.
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", "text/xml", "application/xml"})
_NEXT_RECORD = b"\r\n\r\nWARC/1."  # the end of one record and the start of the next
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.I)


@dataclass(frozen=True)
class Fetched:
    """One page as a crawler fetched it: body bytes, the URL, and the server's charset.

    ``origin`` says where it was read (``crawl.warc.gz#offset=1234``); ``problem`` is set
    when the page cannot be read at all (too large), and ``body`` is then empty.
    """

    url: str
    body: bytes
    origin: str
    charset: str | None = None
    problem: str | None = None


@dataclass
class WarcReport:
    """What reading one WARC file found: pages given, records skipped by reason, where it stopped."""

    path: str
    pages: int = 0
    skipped: Counter = field(default_factory=Counter)
    stopped: str | None = None  # "truncated at offset 1234 (...)" when the file ends badly

    def describe(self) -> str:
        """One line for a person: ``"5 pages; skipped 1 revisit, 1 HTTP 404"``."""
        text = f"{self.pages} {'page' if self.pages == 1 else 'pages'}"
        if self.skipped:
            text += "; skipped " + ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items()))
        return text


def is_warc(head: bytes) -> bool:
    """Whether a file starting with ``head`` (its first kilobytes) is a WARC, compressed or not."""
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
        except zlib.error:
            return False
    return head.startswith(WARC_MAGIC)


def origin_of(path: str, offset: int) -> str:
    """The origin of the record at ``offset`` (of its gzip member, in a ``.warc.gz``) of ``path``."""
    return f"{path}#offset={offset}"


_ORIGIN = re.compile(r"#offset=\d+\Z")


def container_of(origin: str) -> str:
    """The file an origin lies in: the WARC for a record's origin, else the origin itself."""
    return _ORIGIN.sub("", origin)


def content_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, if any."""
    match = _CHARSET.search(content_type or "")
    return match.group(1).lower() if match else None


def read_warc(path: str, report: WarcReport, max_bytes: int, latest: dict[str, str] | None = None,
              bodies: bool = True) -> Iterator[Fetched]:
    """Every page of the WARC at ``path``, in file order; ``report`` is filled in as it goes.

    With ``latest`` (URL -> origin of its last capture, from :func:`last_captures`), an
    earlier capture of a URL captured again later is skipped, so that reading the same
    crawl twice gives the same pages. Without ``bodies`` pages come with empty bodies.
    Never raises for a bad file: a damaged or truncated WARC ends the iteration and
    sets ``report.stopped``. (A file that cannot be opened at all raises ``OSError``.)
    """
    # Gzipped as a whole (``gzip crawl.warc``), not record by record as crawlers write it,
    # a WARC cannot be streamed by warcio: it is read decompressed, and offsets count the
    # decompressed bytes.
    limit = max_bytes if bodies else -1
    if not gzipped_whole(path):
        with open(path, "rb") as handle:
            yield from _read(handle, path, report, limit, latest)
        return
    with gzip.open(path, "rb") as stream:
        handle = _Lenient(stream)
        yield from _read(handle, path, report, limit, latest)
        if handle.cut:  # whatever warcio made of the end, the file is cut short
            where = re.search(r"at offset \d+", report.stopped or "")
            report.stopped = f"truncated {where.group() if where else 'near its end'}: the gzip stream ends early"


class _Lenient:
    """A gzip stream that ends quietly where a truncated file ends (``cut`` then says so).

    Read in small steps: what one read decompressed is lost when the file ends inside it.
    The position is counted here, since gzip's own counts what such a read lost.
    """

    def __init__(self, stream: gzip.GzipFile):
        self.stream = stream
        self.cut = False
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        parts, wanted = [], size if size >= 0 else 1 << 62
        while wanted > 0 and not self.cut:
            try:
                part = self.stream.read(min(wanted, 1024))
            except (EOFError, OSError, zlib.error):
                self.cut = True
                break
            if not part:
                break
            parts.append(part)
            wanted -= len(part)
        data = b"".join(parts)
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int) -> int:
        try:
            self.position = self.stream.seek(offset)
        except (EOFError, OSError, zlib.error):
            self.cut = True
        return self.position


def gzipped_whole(path: str, look: int = 1 << 20) -> bool:
    """Whether the gzip WARC at ``path`` holds more than one record in its first gzip member."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    seen = b""
    with open(path, "rb") as handle:
        if handle.read(2) != GZIP_MAGIC:
            return False
        handle.seek(0)
        while len(seen) < look and not decompressor.eof and (block := handle.read(65536)):
            try:
                seen += decompressor.decompress(block, look)
            except zlib.error:
                return False  # damaged: reading it record by record says where
            if _NEXT_RECORD in seen:
                return True
    return False


def _read(handle: BinaryIO, path: str, report: WarcReport, max_bytes: int,
          latest: dict[str, str] | None) -> Iterator[Fetched]:
    from warcio.archiveiterator import ArchiveIterator  # imported late: only crawls need it

    archive = ArchiveIterator(handle)
    end = 0  # where the last whole record ends
    while True:
        try:
            found = _next_page(archive, path, report, max_bytes)
        except Exception as exc:  # warcio, zlib and gzip raise many kinds for a damaged file
            report.stopped = f"damaged at offset {end}: {_first_line(exc)}"
            return
        if found is None:
            break
        page, end = found
        if report.stopped:
            return
        if page is None:
            continue
        if latest is not None and latest.get(page.url, page.origin) != page.origin:
            report.skipped["earlier captures of a URL captured again"] += 1
            continue
        report.pages += 1
        yield page
    if _rest_is_data(handle, end):
        report.stopped = f"truncated or damaged at offset {end}: what follows is not a whole record"


def _next_page(archive, path: str, report: WarcReport, max_bytes: int) -> tuple[Fetched | None, int] | None:
    """The next record's page (or ``None``) and where the record ends; ``None`` at the end of the file.

    warcio prints a warning for a record whose length is wrong: it is caught (only while
    warcio reads, never while the caller works) and reported as where the file is damaged.
    """
    warnings = io.StringIO()
    with contextlib.redirect_stderr(warnings):
        record = next(archive, None)
        if record is None:
            return None
        page = _page(record, path, report, max_bytes)
        offset = archive.get_record_offset()  # reads what is left of the record
        if _cut_short(record, archive):  # the file ended inside this record
            report.stopped = f"truncated at offset {offset}: the record there is cut short"
        elif warnings.getvalue():
            report.stopped = f"damaged at offset {offset}: a record's length does not match its header"
        end = offset + archive.get_record_length()
    return (replace(page, origin=origin_of(path, offset)) if page else None), end


def _page(record, path: str, report: WarcReport, max_bytes: int) -> Fetched | None:
    """The page a record holds, or ``None`` (counted in ``report``) when it holds none."""
    kind = record.rec_type
    if kind == "revisit":
        report.skipped["revisit"] += 1
        return None
    if kind != "response":
        return None  # requests, warcinfo, metadata: the crawl's bookkeeping, not pages
    url = clean_url((record.rec_headers.get_header("WARC-Target-URI") or "").strip("<>"))
    http = record.http_headers
    if url is None or http is None:
        report.skipped["not an HTTP response"] += 1
        return None
    status = http.get_statuscode()
    if status != "200":
        report.skipped[f"HTTP {status}"] += 1
        return None
    content_type = http.get_header("Content-Type")
    media = (content_type or "").split(";")[0].strip().lower()
    if media and media not in PAGE_TYPES:
        report.skipped["not HTML or text"] += 1
        return None
    origin = origin_of(path, 0)  # the offset is known once the record is read to its end
    if max_bytes < 0:
        return Fetched(url, b"", origin, content_charset(content_type))  # a look at the headers only
    try:
        body = record.content_stream().read(max_bytes + 1)
    except Exception as exc:  # a body whose Content-Encoding does not decode: this page only
        return Fetched(url, b"", origin, problem=f"body cannot be decoded ({_first_line(exc)})")
    if len(body) > max_bytes:
        return Fetched(url, b"", origin, problem=f"page too large (over {max_bytes:,} bytes)")
    return Fetched(url, body, origin, content_charset(content_type))


def _cut_short(record, records) -> bool:
    """Whether the file ended inside the record just read to its end.

    In a ``.warc.gz`` the record's gzip member must have ended (a cut in its last bytes
    leaves the content whole but the file truncated all the same); in a ``.warc`` the
    header block and the content must add up to what was read (a cut inside the headers
    leaves warcio a record with no content to miss).
    """
    if record.raw_stream.limit:
        return True
    decompressor = getattr(records.reader, "decompressor", None)
    if decompressor is not None:
        return not getattr(decompressor, "eof", True)
    declared = record.rec_headers.get_header("Content-Length") or ""
    return not declared.isdigit() or record.rec_headers.total_len + int(declared) != records.get_record_length()


def last_captures(paths: list[str]) -> dict[str, str]:
    """URL -> origin of its last capture over the WARCs at ``paths``, read in that order.

    A quick pass over the headers only (no page is decoded or parsed).
    """
    latest: dict[str, str] = {}
    for path in paths:
        try:
            for page in read_warc(path, WarcReport(path), 0, bodies=False):
                latest[page.url] = page.origin
        except OSError:
            continue  # reading it for real says why
    return latest


def _rest_is_data(handle: BinaryIO, end: int) -> bool:
    """Whether anything but blank lines follows the last whole record."""
    try:
        handle.seek(end)
        while block := handle.read(65536):
            if block.strip():
                return True
    except (OSError, EOFError):  # a file gzipped as a whole, cut short
        return True
    return False


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    message = text[0][:120] if text else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def read_head(path: str, size: int = 4096) -> bytes:
    """The first ``size`` bytes of ``path`` (empty when it cannot be read: reading it later says why)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""
