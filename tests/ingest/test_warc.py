"""WARC files as a source beside loose files: pages with their URL, skips counted, damage survived."""

from __future__ import annotations

import gzip
import json
import pathlib

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from healthqa.cli import cli
from healthqa.ingest import crawl
from healthqa.ingest.decode import decode_bytes
from healthqa.ingest.html import parse_html
from healthqa.ingest.pipeline import Options, ingest
from healthqa.ingest.store import Store
from healthqa.ingest.warc import WarcReport, read_warc
from tests.ingest.warc_kit import HTML, LATIN2_PAGE, SITE, Capture, mixed_captures, write_warc

ONE_PROCESS = Options(workers=1)
MEDHELP_CANONICAL = "https://www.medhelp.org/posts/Heart-Rhythm/Tikosyn-load-ablation/show/1640925"
SCOPE_CANONICAL = "https://community.scope.org.uk/discussion/57774/copd"


@pytest.fixture
def crawl_file(tmp_path: pathlib.Path) -> pathlib.Path:
    return write_warc(tmp_path / "crawl.warc.gz", mixed_captures())


def _records(store: Store) -> dict[str, object]:
    return {page.id: page for page in store.pages()}


def test_every_page_of_a_crawl_becomes_a_record_with_its_url(crawl_file, store):
    summary = ingest([str(crawl_file)], store, ONE_PROCESS)
    records = _records(store)
    assert sorted(records) == sorted([MEDHELP_CANONICAL, SCOPE_CANONICAL, f"{SITE}/questions/foot-pain.txt",
                                      f"{SITE}/questions/flat-feet"])
    # No canonical link in a text rendering: the crawl's URL is the page's URL, id and site.
    foot = records[f"{SITE}/questions/foot-pain.txt"]
    assert (foot.url, foot.source, foot.question) == (
        f"{SITE}/questions/foot-pain.txt", "forum.example.org", "Why do I wake up at 3 a.m. every night?")
    # A canonical link in the markup wins over the URL the crawler fetched.
    assert records[MEDHELP_CANONICAL].url == MEDHELP_CANONICAL
    assert (summary.new, summary.rejected, summary.pages) == (4, [], 4)
    assert summary.notes == [(str(crawl_file), "4 pages; skipped 1 HTTP 301, 1 HTTP 404, 1 not HTML or text, 1 revisit")]


def test_a_gzip_encoded_page_reads_as_the_same_page_as_a_loose_file(crawl_file, store):
    ingest([str(crawl_file)], store, ONE_PROCESS)
    loose = parse_html((HTML / "scope_copd-57774.html").read_text("utf-8"), "scope.html")[0]
    from_crawl = store.get(SCOPE_CANONICAL)
    assert from_crawl.content_hash == loose.content_hash
    assert len(from_crawl.answers) == len(loose.answers) > 0


def test_the_server_charset_decides_a_page_without_a_declaration(crawl_file, store):
    ingest([str(crawl_file)], store, ONE_PROCESS)
    assert store.get(f"{SITE}/questions/flat-feet").answers[0].author == "Paweł Łukasiewicz"
    # Without the header the same bytes read otherwise: the header is what made it right.
    guessed, _ = decode_bytes(LATIN2_PAGE.encode("iso-8859-2"))
    assert "Paweł Łukasiewicz" not in guessed


def test_origin_points_back_at_the_record_in_the_warc(crawl_file, store):
    ingest([str(crawl_file)], store, ONE_PROCESS)
    page = store.get(f"{SITE}/questions/flat-feet")
    path, offset = page.origin.split("#offset=")
    assert path == str(crawl_file)
    with open(path, "rb") as handle:
        handle.seek(int(offset))
        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_headers.get_header("WARC-Target-URI") == page.url
        assert record.content_stream().read() == LATIN2_PAGE.encode("iso-8859-2")


def test_the_same_warc_twice_changes_nothing_and_parses_nothing(crawl_file, store, monkeypatch):
    ingest([str(crawl_file)], store, ONE_PROCESS)
    before, seq = [p.to_json() for p in store.pages()], store.seq()

    def no_parsing(page):
        raise AssertionError(f"{page.url} parsed again")

    monkeypatch.setattr(crawl, "parse_fetched", no_parsing)
    again = ingest([str(crawl_file)], store, ONE_PROCESS)
    assert (again.new, again.updated, again.deleted, again.unchanged, again.rejected) == (0, 0, 0, 4, [])
    assert store.seq() == seq
    assert [p.to_json() for p in store.pages()] == before


def test_a_new_crawl_updates_a_changed_page_and_moves_the_unchanged_ones(tmp_path, crawl_file, store):
    ingest([str(crawl_file)], store, ONE_PROCESS)
    captures = mixed_captures()
    changed = LATIN2_PAGE.replace("strains the lower back", "strains the lower back and the knees")
    captures[6] = Capture(captures[6].url, changed.encode("iso-8859-2"), content_type=captures[6].content_type)
    second = write_warc(tmp_path / "recrawl.warc", captures, compress=False)
    summary = ingest([str(second)], store, ONE_PROCESS)
    assert (summary.new, summary.updated, summary.unchanged, summary.deleted) == (0, 1, 3, 0)
    assert "knees" in store.get(f"{SITE}/questions/flat-feet").answers[0].text
    assert {p.origin.split("#")[0] for p in store.pages()} == {str(second)}
    assert store.count() == 4


def _cut(data: bytes, at: int, path: pathlib.Path) -> pathlib.Path:
    path.write_bytes(data[:at])
    return path


def test_a_truncated_warc_keeps_every_earlier_page_and_says_where_it_stopped(tmp_path, crawl_file):
    data = crawl_file.read_bytes()
    full = list(read_warc(str(crawl_file), WarcReport(str(crawl_file)), 1 << 20))
    offsets = [int(p.origin.split("=")[1]) for p in full]
    cut = _cut(data, offsets[2] + 300, tmp_path / "cut.warc.gz")  # inside the third page's record
    runner = CliRunner()
    result = runner.invoke(cli, ["--data-dir", str(tmp_path / "data"), "ingest", "--no-index", str(cut)])
    assert result.exit_code == 1, result.output
    # Where the cut falls inside the gzip member decides which of two wordings applies.
    message = next(line for line in result.output.splitlines() if line.startswith(f"rejected {cut}: WARC truncated"))
    assert f" at offset {offsets[2]}: " in message and message.endswith("; the 2 pages before it were read")
    listed = runner.invoke(cli, ["--data-dir", str(tmp_path / "data"), "records", "list"])
    assert sorted(line.split("\t")[0] for line in listed.output.splitlines()) == sorted(
        [MEDHELP_CANONICAL, f"{SITE}/questions/foot-pain.txt"])


@pytest.mark.parametrize("compress", [True, False])
def test_a_warc_cut_anywhere_gives_a_prefix_of_its_pages(tmp_path, compress):
    captures = [Capture(f"{SITE}/q/{n}", f"<html><body><p>page {n}</p></body></html>".encode()) for n in range(3)]
    whole = write_warc(tmp_path / "whole.warc", captures, compress=compress)
    data = whole.read_bytes()
    urls = [c.url for c in captures]
    # A cut after the last byte a record holds (in the blank lines after it, or in the 8-byte
    # trailer of its gzip member) loses nothing: the rest is a shorter, whole WARC.
    trailer = 8 if compress else 0
    with open(whole, "rb") as handle:
        records = ArchiveIterator(handle)
        spans = [(records.get_record_offset(), records.get_record_length()) for _ in records]
    harmless = [(start + length - trailer, end) for (start, length), (end, _) in zip(spans, spans[1:] + [(len(data), 0)])]
    # Every 13th byte, and every byte near where a record starts or its content ends (every
    # byte passes too, in ten times the time).
    edges = {edge + d for low, high in harmless for edge in (low, high) for d in range(-4, 5)}
    for at in sorted(set(range(1, len(data), 13)) | {e for e in edges if 0 < e < len(data)}):
        report = WarcReport("cut")
        pages = [p.url for p in read_warc(str(_cut(data, at, tmp_path / "cut.warc")), report, 1 << 20)]
        assert pages == urls[:len(pages)], at
        if not any(low <= at <= high for low, high in harmless):
            assert report.stopped, f"a cut at {at} went unnoticed"


def test_garbage_in_the_middle_keeps_the_pages_before_it(tmp_path, crawl_file):
    data = crawl_file.read_bytes()
    full = list(read_warc(str(crawl_file), WarcReport("x"), 1 << 20))
    third = int(full[2].origin.split("=")[1])
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(data[:third] + b"\x00garbage" * 20 + data[third + 160:])
    report = WarcReport(str(damaged))
    pages = list(read_warc(str(damaged), report, 1 << 20))
    assert [p.url for p in pages] == [p.url for p in full[:2]]
    assert report.stopped and str(third) in report.stopped


def test_prune_drops_the_records_of_a_warc_that_is_gone(tmp_path, crawl_file, store):
    ingest([str(crawl_file)], store, ONE_PROCESS)
    crawl_file.unlink()
    summary = ingest([str(tmp_path)], store, Options(workers=1, prune=True))
    assert (summary.deleted, store.count()) == (4, 0)


def test_records_show_names_the_warc_and_offset(tmp_path, crawl_file):
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    result = runner.invoke(cli, [*data, "ingest", "--no-index", "--workers", "1", str(crawl_file)])
    assert result.exit_code == 0, result.output
    assert "4 pages; skipped 1 HTTP 301, 1 HTTP 404, 1 not HTML or text, 1 revisit" in result.output
    shown = json.loads(runner.invoke(cli, [*data, "records", "show", f"{SITE}/questions/flat-feet"]).output)
    assert shown["origin"].startswith(f"{crawl_file}#offset=")


def test_a_page_too_large_is_rejected_alone(tmp_path, store):
    big = Capture(f"{SITE}/big", b"<html><body>" + b"<p>words</p>" * 1000 + b"</body></html>")
    seed = Capture(f"{SITE}/seed", (pathlib.Path(__file__).parent / "data/text/named_experts.txt").read_bytes(),
                   content_type="text/plain")
    warc = write_warc(tmp_path / "c.warc.gz", [big, seed])
    summary = ingest([str(warc)], store, Options(workers=1, max_bytes=5000))
    assert [why for _, why in summary.rejected] == [f"{SITE}/big: page too large (over 5,000 bytes)"]
    assert store.ids() == [f"{SITE}/seed"]


def test_is_warc_reads_content_not_names(tmp_path, crawl_file):
    renamed = tmp_path / "crawl.dat"
    renamed.write_bytes(crawl_file.read_bytes())
    page = tmp_path / "page.warc"
    page.write_bytes((HTML / "scope_copd-57774.html").read_bytes())
    assert crawl.container_kind(str(renamed)) == "warc"
    assert crawl.container_kind(str(page)) is None



def test_the_last_capture_of_a_url_wins_and_reading_again_changes_nothing(tmp_path, store):
    first = (pathlib.Path(__file__).parent / "data/text/named_experts.txt").read_text("utf-8")
    later = first.replace("Why do I wake up at 3 a.m. every night?", "Why do I wake up at 4 a.m. every night?")
    url = f"{SITE}/questions/sleep"
    one = write_warc(tmp_path / "a.warc.gz", [Capture(url, first.encode(), content_type="text/plain")])
    two = write_warc(tmp_path / "b.warc.gz", [Capture(url, first.encode(), content_type="text/plain"),
                                               Capture(url, later.encode(), content_type="text/plain")])
    summary = ingest([str(tmp_path)], store, ONE_PROCESS)
    assert [p.question for p in store.pages()] == ["Why do I wake up at 4 a.m. every night?"]
    assert summary.notes == [(str(one), "0 pages; skipped 1 earlier captures of a URL captured again"),
                             (str(two), "1 page; skipped 1 earlier captures of a URL captured again")]
    seq = store.seq()
    again = ingest([str(tmp_path)], store, ONE_PROCESS)
    assert (again.new, again.updated, again.unchanged, store.seq()) == (0, 0, 1, seq)


def test_a_chunked_body_stored_as_sent_is_read_whole(tmp_path, store):
    page = (HTML / "scope_copd-57774.html").read_bytes()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (page[:4000], page[4000:]))
    warc = write_warc(tmp_path / "c.warc.gz", [Capture(f"{SITE}/copd", chunks + b"0\r\n\r\n",
                                                       headers=(("Transfer-Encoding", "chunked"),))])
    ingest([str(warc)], store, ONE_PROCESS)
    loose = parse_html(page.decode("utf-8"), "scope.html")[0]
    assert store.get(SCOPE_CANONICAL).content_hash == loose.content_hash


def test_a_warc_gzipped_as_a_whole_is_read_and_a_cut_one_keeps_a_prefix(tmp_path):
    plain = write_warc(tmp_path / "crawl.warc", mixed_captures(), compress=False)
    whole = gzip.compress(plain.read_bytes())
    (tmp_path / "whole.warc.gz").write_bytes(whole)
    report = WarcReport("whole")
    urls = [p.url for p in read_warc(str(tmp_path / "whole.warc.gz"), report, 1 << 20)]
    assert (len(urls), report.stopped) == (4, None)
    (tmp_path / "cut.warc.gz").write_bytes(whole[:len(whole) * 2 // 3])
    report = WarcReport("cut")
    kept = [p.url for p in read_warc(str(tmp_path / "cut.warc.gz"), report, 1 << 20)]
    assert 0 < len(kept) < 4 and kept == urls[:len(kept)]
    assert report.stopped


def test_a_page_whose_parsing_fails_unexpectedly_is_rejected_alone(crawl_file, store, monkeypatch):
    from healthqa.ingest import fetched

    real = fetched.decode_bytes

    def failing(data, origin=None, http_charset=None):
        if http_charset == "iso-8859-2":
            raise LookupError("a codec that misbehaves")
        return real(data, origin, http_charset=http_charset)

    monkeypatch.setattr(fetched, "decode_bytes", failing)
    summary = ingest([str(crawl_file)], store, ONE_PROCESS)
    assert [why for _, why in summary.rejected] == [
        f"{SITE}/questions/flat-feet: unexpected error: LookupError: a codec that misbehaves"]
    assert summary.new == 3
