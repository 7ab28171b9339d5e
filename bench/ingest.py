"""Ingest throughput and memory: all of MedQuAD, and real forum pages repeated, as loose
files and as one WARC.

Run by hand, not by CI::

    .venv/bin/python bench/ingest.py                       # every part, default data
    .venv/bin/python bench/ingest.py --medquad PATH --html PATH --copies 40
    .venv/bin/python bench/ingest.py --skip-html --skip-warc
    .venv/bin/python bench/ingest.py --skip-medquad --skip-warc --forums-copies 5   # real pages only

Each part runs in a fresh process, so its peak memory is its own: the larger of
``getrusage`` for the process itself and for its (worker) children. Every part ingests
into a new temporary data directory with the library's default options (two worker
processes), then ingests again to time the "everything unchanged" path. The WARC part
writes the same page copies as the HTML part into one ``.warc.gz`` (one response record
each, its own URL) and ingests that, so its pages/s stand next to the loose files'.
The forums part does the same with the pages of forums-dev (larger pages, 110 KB on average,
taken from the ``html`` of each gold JSON). Targets: all of MedQuAD in under 20 s; real forum
pages at 50 pages/s or more. The CPU time printed beside the wall time shows how much other
work on the machine slowed a run; for page parts the CPU time a page takes gives the rate two
idle cores would reach (2 / CPU seconds a page), which is the figure to compare on a busy machine.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import multiprocessing
import pathlib
import re
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field

REPO = pathlib.Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path and its name would hide the
# ``ingest`` package; the repository root must be searched instead.
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)

from healthqa.ingest.pipeline import Options, Summary, ingest  # noqa: E402
from healthqa.ingest.store import Store  # noqa: E402

DEFAULT_MEDQUAD = REPO.parent / "shared" / "data" / "medquad"
DEFAULT_HTML = REPO.parent / "shared" / "data" / "realpages-dev"
DEFAULT_FORUMS = REPO.parent / "shared" / "data" / "forums-dev"
MEDQUAD_TARGET_SECONDS = 20.0
HTML_TARGET_PAGES_PER_SECOND = 50.0


@dataclass
class Run:
    """What one part of the benchmark measured."""

    name: str
    files: int = 0
    records: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    reingest_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    rejected: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0


def peak_rss_mb() -> float:
    """The peak resident memory of this process or any child it waited for, in MB."""
    kilobytes = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return kilobytes / 1024  # Linux reports kilobytes


def cpu_seconds() -> float:
    """CPU time (user and system) of this process and the children it waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _reasons(summary: Summary) -> dict[str, int]:
    # Reasons carry details (offsets, sizes) and, for a page of a WARC, its URL first; the
    # first words after that are enough to group them.
    return dict(collections.Counter(re.sub(r"^\w+://\S+: ", "", reason).split(":")[0]
                                    for _, reason in summary.rejected).most_common())


def time_ingest(name: str, folder: pathlib.Path) -> Run:
    """Ingest ``folder`` into a fresh data directory, then again; measure both."""
    run = Run(name)
    with tempfile.TemporaryDirectory(prefix="healthqa-bench-") as data_dir, Store.open(data_dir) as store:
        started, cpu_started = time.perf_counter(), cpu_seconds()
        summary = ingest([str(folder)], store, Options())
        run.seconds = time.perf_counter() - started
        run.cpu_seconds = cpu_seconds() - cpu_started  # the worker pool is joined inside ingest()
        # A WARC is one file of many pages: count its pages.
        run.files, run.records, run.rejected = summary.pages or summary.files, store.count(), _reasons(summary)
        started = time.perf_counter()
        again = ingest([str(folder)], store, Options())
        run.reingest_seconds = time.perf_counter() - started
        if again.new or again.updated:
            run.error = f"re-ingest changed records ({again.new} new, {again.updated} updated)"
    run.peak_rss_mb = peak_rss_mb()
    return run


def bench_medquad(folder: pathlib.Path) -> Run:
    """All of MedQuAD (every subset folder under ``folder``)."""
    if not folder.is_dir():
        return Run("MedQuAD", error=f"no folder {folder}")
    return time_ingest("MedQuAD", folder)


def copy_pages(source: pathlib.Path, target: pathlib.Path, copies: int) -> int:
    """Copy every ``*.html`` page of ``source`` ``copies`` times under distinct names."""
    pages = sorted(source.glob("*.html"))
    for n in range(copies):
        for page in pages:
            shutil.copyfile(page, target / f"{page.stem}.copy{n:03d}.html")
    return len(pages) * copies


def bench_html(folder: pathlib.Path, copies: int) -> Run:
    """Real forum pages, repeated ``copies`` times so the rate is measurable."""
    if importlib.util.find_spec("healthqa.ingest.html") is None:
        return Run(f"real HTML pages x{copies}", error="FAILED: the HTML parser (ingest/html.py) is not there yet")
    return _bench_pages(f"real HTML pages x{copies}", folder, "*.html", copy_pages, copies)


def _bench_pages(name: str, folder: pathlib.Path, pattern: str, write, copies: int) -> Run:
    """Ingest the pages ``write`` makes of ``folder`` (``copies`` times each) in a temporary folder."""
    if not folder.is_dir() or not any(folder.glob(pattern)):
        return Run(name, error=f"FAILED: no {pattern} pages in {folder}")
    with tempfile.TemporaryDirectory(prefix="healthqa-bench-pages-") as pages:
        write(folder, pathlib.Path(pages), copies)
        run = time_ingest(name, pathlib.Path(pages))
    if run.rejected.get("parser failed"):
        run.error = f"FAILED: the HTML parser crashed on {run.rejected['parser failed']} pages"
    return run


def write_forum_pages(source: pathlib.Path, target: pathlib.Path, copies: int) -> int:
    """Write the page of every gold JSON of ``source`` (its ``html``) ``copies`` times under distinct names."""
    import json

    pages = [(path.stem, json.loads(path.read_text()).get("html")) for path in sorted(source.glob("*.json"))]
    pages = [(stem, html) for stem, html in pages if isinstance(html, str)]
    for n in range(copies):
        for stem, html in pages:
            (target / f"{stem}.copy{n:03d}.html").write_text(html)
    return len(pages) * copies


def bench_forums(folder: pathlib.Path, copies: int) -> Run:
    """The forums-dev threads (larger real pages), repeated ``copies`` times."""
    return _bench_pages(f"forums-dev pages x{copies}", folder, "*.json", write_forum_pages, copies)


def write_warc(source: pathlib.Path, target: pathlib.Path, copies: int) -> int:
    """Write every ``*.html`` page of ``source`` ``copies`` times into one WARC, as a crawler would."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    pages = sorted(source.glob("*.html"))
    with open(target, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for n in range(copies):
            for page in pages:
                body = page.read_bytes()
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                   ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(
                    f"https://bench.invalid/{page.stem}/{n:03d}", "response", payload=io.BytesIO(body),
                    length=len(body), http_headers=http))
    return len(pages) * copies


def bench_warc(folder: pathlib.Path, copies: int) -> Run:
    """The pages of :func:`bench_html`, the same number of times, read out of one WARC."""
    name = f"real HTML pages x{copies} in one WARC"
    if not folder.is_dir() or not any(folder.glob("*.html")):
        return Run(name, error=f"FAILED: no *.html pages in {folder}")
    with tempfile.TemporaryDirectory(prefix="healthqa-bench-warc-") as work:
        warc = pathlib.Path(work) / "crawl.warc.gz"
        write_warc(folder, warc, copies)
        return time_ingest(name, warc)


def _child(queue: multiprocessing.Queue, func_name: str, args: tuple) -> None:
    queue.put(globals()[func_name](*args))


def isolated(func_name: str, *args: object) -> Run:
    """Run ``func_name(*args)`` in a fresh process, so its memory peak is its own."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, func_name, args))
    process.start()
    try:
        run = queue.get()
    finally:
        process.join()
    return run


def report(run: Run, unit: str) -> list[str]:
    """Lines describing one part; ``unit`` is what the rate counts: "records" or "pages"."""
    if run.error and not run.seconds:
        return [f"{run.name}: {run.error}"]
    rate = run.records_per_second if unit == "records" else run.files_per_second
    rejected = sum(run.rejected.values())
    lines = [
        f"{run.name}: {run.files} files, {run.records} records, {rejected} files rejected",
        f"  ingest:    {run.seconds:.1f} s, {rate:.0f} {unit}/s ({run.cpu_seconds:.1f} s of CPU time)",
        f"  re-ingest: {run.reingest_seconds:.1f} s (everything unchanged)",
        f"  peak RSS:  {run.peak_rss_mb:.0f} MB",
    ]
    if unit == "pages" and run.files:
        per_page = run.cpu_seconds / run.files
        lines.insert(2, f"  CPU:       {per_page * 1000:.1f} ms a page: {2 / per_page:.0f} pages/s on 2 idle cores")
    lines += [f"  rejected:  {count} x {reason}" for reason, count in run.rejected.items()]
    if run.error:
        lines.append(f"  {run.error}")
    return lines


def verdicts(medquad: Run | None, html: Run | None, forums: Run | None = None) -> list[str]:
    lines = []
    if medquad is not None:
        ok = not medquad.error and 0 < medquad.seconds < MEDQUAD_TARGET_SECONDS
        lines.append(f"target MedQuAD under {MEDQUAD_TARGET_SECONDS:.0f} s: {'met' if ok else 'NOT met'}")
    if html is not None:
        ok = not html.error and html.files_per_second >= HTML_TARGET_PAGES_PER_SECOND
        lines.append(f"target HTML >= {HTML_TARGET_PAGES_PER_SECOND:.0f} pages/s: {'met' if ok else 'NOT met'}")
    if forums is not None:
        ok = not forums.error and forums.files_per_second >= HTML_TARGET_PAGES_PER_SECOND
        lines.append(f"target forums-dev >= {HTML_TARGET_PAGES_PER_SECOND:.0f} pages/s: {'met' if ok else 'NOT met'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--medquad", type=pathlib.Path, default=DEFAULT_MEDQUAD, help="MedQuAD folder")
    parser.add_argument("--html", type=pathlib.Path, default=DEFAULT_HTML, help="folder of real *.html pages")
    parser.add_argument("--copies", type=int, default=40, help="times each HTML page is repeated")
    parser.add_argument("--forums", type=pathlib.Path, default=DEFAULT_FORUMS,
                        help="folder of gold forum threads (JSON with 'html')")
    parser.add_argument("--forums-copies", type=int, default=5, help="times each forum page is repeated")
    parser.add_argument("--skip-medquad", action="store_true")
    parser.add_argument("--skip-html", action="store_true")
    parser.add_argument("--skip-warc", action="store_true", help="skip the same pages read out of a WARC")
    parser.add_argument("--skip-forums", action="store_true", help="skip the forums-dev pages")
    args = parser.parse_args(argv)

    medquad = html = forums = None
    if not args.skip_medquad:
        medquad = isolated("bench_medquad", args.medquad)
        print("\n".join(report(medquad, "records")), flush=True)
    if not args.skip_html:
        html = isolated("bench_html", args.html, args.copies)
        print("\n".join(report(html, "pages")), flush=True)
    if not args.skip_forums:
        forums = isolated("bench_forums", args.forums, args.forums_copies)
        print("\n".join(report(forums, "pages")), flush=True)
    if not args.skip_warc:
        warc = isolated("bench_warc", args.html, args.copies)
        print("\n".join(report(warc, "pages")), flush=True)
        if html is not None and html.seconds and warc.seconds:
            print(f"  WARC vs loose files: {warc.files_per_second:.0f} vs {html.files_per_second:.0f} pages/s")
    lines = verdicts(medquad, html, forums)
    print("\n".join(lines))
    return 0 if all(line.endswith(": met") for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
