"""HTTP throughput and latency of ``healthqa serve``: ``/v1/search`` at 1, 10 and 50 concurrent
clients, and at 10 while an ingest runs into the data directory being served.

Run by hand, not by CI, on a data directory that holds MedQuAD (``healthqa ingest
../shared/data/medquad``)::

    .venv/bin/python bench/http.py --data-dir DIR [--workers 2] [--requests 3000]

The data directory is copied to a scratch folder first (the ingest phase changes records),
and the server listens on 127.0.0.1 only. Queries: the LiveQA dev questions, paraphrase and
subject+message forms. Each client is one keep-alive connection sending one request after
another, for a bounded count of requests (and at most ``--seconds`` per phase). Prints
requests/s, p50/p95/p99 latency in ms, errors (any status but 200, or a broken connection),
the server's CPU ms per request (its workers' CPU time over the phase, from /proc: what 2
cores can reach whatever else the machine runs), each worker's share of it (how evenly the
connections were spread), the clients' own CPU ms per request and the load average.

Two servers are measured, each on its own copy: COLD with the result cache off
(``HEALTHQA_SEARCH_CACHE=0``: every request runs a search, the figure that says how fast
search is) and WARM with it on (the 102 questions repeat, so most requests are cache hits:
what a server whose popular queries repeat does, not search speed). ``--modes cold`` runs one.
The clients share the machine's cores with the server: the figures are a floor.

``--new-questions`` asks questions never asked before instead: the distinct consumer questions
and short questions of the RQE training pairs (about 7,800), no warm-up, each phase its own
slice, so every per-index table a search fills (word postings, phrase look-ups, decoded pages)
is met cold as often as real traffic of new questions would meet it. The LiveQA questions
repeat and so keep those tables warm.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote

REPO = pathlib.Path(__file__).resolve().parent.parent
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)  # this folder's search.py and ingest.py must not hide the packages

from healthqa.search.evaluate import read_queries  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
HOST = "127.0.0.1"
RQE = SHARED / "rqe-dev" / "rqe-amia2016-train.xml"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    client_cpu: float = 0.0  # the clients' (this process's) CPU seconds
    statuses: dict[int, int] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return int(head[9:12])


async def _client(port: int, paths: list[str], offset: int, count: int, deadline: float, tally: Tally,
                  keep_going=None) -> None:
    connection = None
    n = 0
    while (n < count or (keep_going and keep_going())) and time.monotonic() < deadline:
        path = paths[(offset + n) % len(paths)]
        n += 1
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.open_connection(HOST, port)
            status = await _request(*connection, path)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            tally.errors += 1
            connection = None
            continue
        tally.latencies.append(time.perf_counter() - started)
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        if status != 200:
            tally.errors += 1
    if connection is not None:
        connection[1].close()


async def load(port: int, paths: list[str], clients: int, total: int, seconds: float, keep_going=None) -> tuple[Tally, float]:
    """``clients`` connections sending ``total`` requests between them (or until ``keep_going``
    says stop, at most ``seconds``)."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    each = max(1, total // clients)
    started, cpu = time.perf_counter(), time.process_time()
    # Enough questions for every request: each client its own run of them (none asked twice).
    share = len(paths) // clients
    step = share if share >= each else 7
    await asyncio.gather(*(_client(port, paths, i * step, each, deadline, tally, keep_going) for i in range(clients)))
    tally.client_cpu = time.process_time() - cpu
    return tally, time.perf_counter() - started


def report(label: str, tally: Tally, seconds: float, before: dict[int, float], server: int) -> None:
    """One line of figures. ``before`` is the server's CPU seconds by process at the start of
    the phase: CPU ms per request does not depend on what else the machine runs, and bounds
    requests/s on idle cores; the workers' shares of it say how evenly the connections were
    spread over them. Then the resident memory of each worker after the phase."""
    after = cpu_by_process(server)
    used = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    cpu = sum(used.values())
    shares = sorted((used[pid] / cpu * 100 for pid in used if pid != server), reverse=True) if cpu else []
    split = "  CPU split " + "/".join(f"{share:.0f}" for share in shares) + "%" if len(shares) > 1 else ""
    done = len(tally.latencies)
    ms = [x * 1000 for x in tally.latencies]
    per = cpu / done * 1000 if done else float("nan")
    rss = "  RSS per worker " + "/".join(f"{mb:.0f}" for mb in worker_rss_mb(server)) + " MB"
    print(f"{label:<26} {done:>6} requests {done / seconds:6.1f} req/s  p50 {percentile(ms, .5):6.1f} ms  "
          f"p95 {percentile(ms, .95):6.1f} ms  p99 {percentile(ms, .99):6.1f} ms  errors {tally.errors}  "
          f"server CPU {per:.1f} ms/request{split}  client CPU {tally.client_cpu / max(done, 1) * 1000:.1f} ms  load {os.getloadavg()[0]:.1f}{rss}"
          + (f"  statuses {tally.statuses}" if set(tally.statuses) - {200} else ""), flush=True)


def worker_rss_mb(root: int) -> list[float]:
    """Resident memory (MiB) of the workers of server process ``root`` (itself, if it has none)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip()) == root and "VmRSS" in fields:
            found.append(int(fields["VmRSS"].split()[0]) / 1024)
    if not found:
        try:
            with open(f"/proc/{root}/status") as handle:
                found = [int(line.split()[1]) / 1024 for line in handle if line.startswith("VmRSS:")]
        except OSError:
            pass
    return sorted(found)


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) of process ``root`` and its children, from /proc."""
    return sum(cpu_by_process(root).values())


def cpu_by_process(root: int) -> dict[int, float]:
    """CPU seconds (user + system) of process ``root`` and of each of its children, by pid."""
    found: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == root or int(fields[1]) == root:  # fields[1]: the parent pid
            found[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def library_cpu_ms(data_dir: str, texts: list[str]) -> float:
    """CPU ms per question of ``Searcher.search`` itself, warm: what HTTP adds to is this."""
    from healthqa.search.searcher import Searcher

    with Searcher(data_dir) as searcher:
        for text in texts:
            searcher.search(text)
        started = time.process_time()
        for text in texts:
            searcher.search(text)
        return (time.process_time() - started) / len(texts) * 1000


def rqe_questions(path: pathlib.Path) -> list[str]:
    """The distinct questions (consumer questions and their short forms) of an RQE pairs file, in file order."""
    import xml.etree.ElementTree as ElementTree

    found: dict[str, None] = {}
    for pair in ElementTree.parse(path).getroot().iter("pair"):
        for part in ("chq", "faq"):
            text = " ".join((pair.findtext(part) or "").split())
            if text:
                found.setdefault(text)
    return list(found)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(data_dir: str, port: int, workers: int, cache: int) -> subprocess.Popen:
    env = {**os.environ, "HEALTHQA_API_KEY": "", "HEALTHQA_SEARCH_CACHE": str(cache)}
    server = subprocess.Popen([sys.executable, "-m", "healthqa", "--data-dir", data_dir, "serve", "--host", HOST,
                               "--port", str(port), "--workers", str(workers)],
                              stderr=subprocess.PIPE, text=True, env=env)
    assert server.stderr is not None
    ready = 0
    for line in server.stderr:
        if "Application startup complete" in line:  # one line per worker
            ready += 1
            if ready == workers:
                break
        if "Traceback" in line or "ERROR" in line:
            raise SystemExit(f"the server failed to start: {line.strip()}")
    # From here on the server's log is read and dropped, so that a full pipe never blocks it.
    threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
    return server


MODES = {"cold": "COLD: result cache off, every request is a search",
         "warm": "WARM: result cache on ({cache} searches), the {n} questions repeat: mostly cache hits"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, help="a data directory holding MedQuAD, indexed")
    parser.add_argument("--queries", default=str(SHARED / "liveqa-med-dev" / "queries.tsv"))
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--requests", type=int, default=3000, help="requests per phase (1 client: a tenth)")
    parser.add_argument("--seconds", type=float, default=120, help="longest a phase runs")
    parser.add_argument("--cache", type=int, default=1000, help="HEALTHQA_SEARCH_CACHE of the warm server")
    parser.add_argument("--modes", default="cold,warm", help="which servers to measure: cold, warm or both")
    parser.add_argument("--phases", default="1,10,50,ingest",
                        help="which phases to run: client counts, and 'ingest' (10 clients while an ingest runs)")
    parser.add_argument("--new-questions", action="store_true",
                        help="ask questions never asked before (distinct RQE questions, no warm-up, none repeated)"
                        " instead of the repeating LiveQA questions")
    parser.add_argument("--ingest", default=str(SHARED / "medquad" / "1_CancerGov_QA"),
                        help="folder ingested (from a scratch copy) while the server is under load")
    args = parser.parse_args()

    if args.new_questions:
        queries = rqe_questions(RQE)
    else:
        queries = [q.text for form in ("paraphrase", "subject+message") for q in read_queries(args.queries, form)]
    args.texts = queries
    paths = [f"/v1/search?q={quote(text[:2000])}" for text in queries]
    for mode in args.modes.split(","):
        print("\n" + MODES[mode].format(cache=args.cache, n=len(paths)), flush=True)
        measure(args, paths, args.cache if mode == "warm" else 0)


def measure(args, paths: list[str], cache: int) -> None:
    """Every phase against one server, on a fresh scratch copy of the data directory."""
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="healthqa-http-"))
    try:
        data = scratch / "data"
        print(f"copying {args.data_dir} to a scratch folder ...", flush=True)
        shutil.copytree(args.data_dir, data, symlinks=True,
                        ignore=shutil.ignore_patterns("*.lock"))
        port = free_port()
        server = start_server(str(data), port, args.workers, cache)
        try:
            run_phases(port, paths, args, data, scratch, server.pid)
        finally:
            server.terminate()
            server.wait(60)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_phases(port: int, paths: list[str], args, data: pathlib.Path, scratch: pathlib.Path, server: int) -> None:
    kind = "new (RQE) questions, none asked twice" if args.new_questions else "LiveQA questions"
    print(f"server: {args.workers} workers on {HOST}:{port}; {len(paths)} {kind}; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    if not args.new_questions:
        # Warm-up: each of 10 connections (spread over the workers) sends every question once, so
        # that no worker reads a question's postings for the first time while being measured.
        asyncio.run(load(port, paths, 10, 10 * len(paths), args.seconds))
        print(f"the search alone (a Searcher in this process, no HTTP): {library_cpu_ms(str(data), args.texts):.1f} ms "
              "CPU per question", flush=True)
    phases = args.phases.split(",")
    used = 0
    for clients in (int(p) for p in phases if p != "ingest"):
        total = args.requests // 10 if clients == 1 else args.requests
        asked = paths[used:used + total] if args.new_questions else paths
        if args.new_questions and len(asked) < total:
            raise SystemExit(f"only {len(paths)} new questions: ask fewer --requests or run fewer --phases")
        used += total if args.new_questions else 0
        cpu = cpu_by_process(server)
        tally, seconds = asyncio.run(load(port, asked, clients, total, args.seconds))
        report(f"{clients} clients", tally, seconds, cpu, server)
    if "ingest" in phases:
        ingest_phase(port, paths[used:] if args.new_questions else paths, args, data, scratch, server)


def ingest_phase(port: int, paths: list[str], args, data: pathlib.Path, scratch: pathlib.Path, server: int) -> None:
    """10 clients for as long as an ingest into the served data directory runs."""
    source = scratch / "incoming"
    shutil.copytree(args.ingest, source)  # another path: every record is updated, then the index synced
    ingest = subprocess.Popen([sys.executable, "-m", "healthqa", "--data-dir", str(data), "ingest", str(source)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.perf_counter()
    cpu = cpu_by_process(server)
    tally, seconds = asyncio.run(load(port, paths, 10, 0, args.seconds, keep_going=lambda: ingest.poll() is None))
    output = ingest.communicate()[0].strip().splitlines()
    report("10 clients during ingest", tally, seconds, cpu, server)
    print(f"  the ingest took {time.perf_counter() - started:.1f} s, exit {ingest.returncode}: "
          + " / ".join(output[-2:]), flush=True)


if __name__ == "__main__":
    main()
