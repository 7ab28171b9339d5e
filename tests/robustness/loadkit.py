"""Searching while others write, and two ingests at once (``test_concurrency.py``, ``bench/faults.py``)."""

from __future__ import annotations

import fcntl
import json
import os
import pathlib
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field

from faultkit import (REPO, Collect, Corpus, change_corpus, check_store, copy_data_dir, healthqa, run_cli,
                      store_files, store_records, write_corpus)


QUERIES = ("pain", "sleep doctor", "asthma inhaler", '"back pain"', "water -salt", "diet*", "fevr", "topic:gout",
           "case00003", "case00011 OR case00012", "again", "coffee +rest", "migraine~", "what is", "shoes posture")


def search_loop(data_dir: str, out: str, stop: str, minimum: int, seconds: float, seed: int) -> None:
    """Search ``data_dir`` until ``stop`` exists and ``minimum`` queries ran (or ``seconds`` passed),
    as a site does: one searcher kept open and reopened once the index changed, and now and
    then a fresh one (as each ``healthqa search`` process opens). Every result, or the error
    instead, goes to ``out`` as a JSON line."""
    from healthqa.search.searcher import Filters, Searcher

    rng = random.Random(seed)
    searcher = None
    started = time.monotonic()
    done = 0
    with open(out, "w", encoding="utf-8") as log:
        while time.monotonic() - started < seconds and (done < minimum or not os.path.exists(stop)):
            query = rng.choice(QUERIES)
            roles = ("Fitness",) if rng.random() < 0.2 else ()
            line: dict = {"query": query, "roles": list(roles), "at": time.time()}
            try:
                if searcher is None or not searcher.is_current() or rng.random() < 0.2:
                    if searcher is not None:
                        searcher.close()
                    searcher = Searcher(data_dir)
                results = searcher.search(query, Filters(roles=roles), limit=10)
                line.update(total=results.total, ids=[hit.id for hit in results.hits], docs=searcher.doc_count)
            except Exception as exc:  # every failure is a finding: it is logged, and the loop goes on
                line["error"] = f"{type(exc).__name__}: {exc}"
                searcher = None
            log.write(json.dumps(line) + "\n")
            if not done:
                log.flush()  # the first result says this searcher is running (search_while_writing waits for it)
            done += 1
    if searcher is not None:
        searcher.close()


def search_loop_command(data_dir: pathlib.Path, out: pathlib.Path, stop: pathlib.Path, minimum: int,
                        seconds: float, seed: int) -> list[str]:
    code = (f"import sys; sys.path[:0] = [{str(REPO)!r}, {str(pathlib.Path(__file__).parent)!r}]; import loadkit; "
            f"loadkit.search_loop({str(data_dir)!r}, {str(out)!r}, {str(stop)!r}, {minimum}, {seconds}, {seed})")
    return [sys.executable, "-c", code]


def expected_results(data_dir: pathlib.Path) -> dict[tuple[str, tuple[str, ...]], tuple[int, list[str]]]:
    """What each query of :data:`QUERIES` gives on the index of ``data_dir`` (with and without the role filter)."""
    from healthqa.search.searcher import Searcher

    with Searcher(str(data_dir)) as searcher:
        return results_of(searcher)


def results_of(searcher) -> dict[tuple[str, tuple[str, ...]], tuple[int, list[str]]]:
    """What each query of :data:`QUERIES` gives on one searcher (with and without the role filter)."""
    from healthqa.search.searcher import Filters

    out = {}
    for query in QUERIES:
        for roles in ((), ("Fitness",)):
            results = searcher.search(query, Filters(roles=roles), limit=10)
            out[(query, roles)] = (results.total, [hit.id for hit in results.hits])
    return out


@dataclass
class SearchTally:
    """What the searchers saw: how many queries, failures, results that match no index state."""

    queries: int = 0
    failures: list[str] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)
    states_seen: dict[int, int] = field(default_factory=dict)
    during_writes: int = 0


def tally_searches(logs: list[pathlib.Path], states: list[dict], window: tuple[float, float]) -> SearchTally:
    """Check every logged result against the results of each index state the writers went through."""
    tally = SearchTally()
    for log in logs:
        for raw in log.read_text(encoding="utf-8").splitlines():
            line = json.loads(raw)
            tally.queries += 1
            tally.during_writes += window[0] <= line["at"] <= window[1]
            if "error" in line:
                tally.failures.append(f"{line['query']!r}: {line['error']}")
                continue
            key = (line["query"], tuple(line["roles"]))
            seen = (line["total"], line["ids"])
            matches = [n for n, state in enumerate(states) if state[key] == (seen[0], seen[1])]
            if not matches:
                tally.inconsistent.append(f"{key}: total {seen[0]}, ids {seen[1][:3]}... match no index state")
            else:
                tally.states_seen[matches[0]] = tally.states_seen.get(matches[0], 0) + 1
    return tally


def search_while_writing(corpus: Corpus, data_dir: pathlib.Path, work: pathlib.Path, minimum: int,
                         rounds: int = 1) -> SearchTally:
    """Two searcher processes run while ``healthqa ingest --prune`` (with its index update) and
    ``healthqa reindex`` write, ``rounds`` times over (the corpus changing before each ingest).
    Every result is checked against each index state the writers went through."""
    stop = work / "stop"
    stop.unlink(missing_ok=True)
    snapshots = [copy_data_dir(data_dir, work / "state-0")]
    logs = [work / f"search-{n}.jsonl" for n in range(2)]
    searchers = [subprocess.Popen(search_loop_command(data_dir, log, stop, minimum, 1800, seed))
                 for seed, log in enumerate(logs)]
    try:
        _wait_for_first_results(searchers, logs)
        started = time.time()
        for round_ in range(rounds):
            change_corpus(corpus, seed=100 + round_)
            ingest = run_cli(data_dir, "ingest", "--prune", str(corpus.root))
            assert ingest.returncode in (0, 1), ingest.stderr[-500:]
            snapshots.append(copy_data_dir(data_dir, work / f"state-{len(snapshots)}"))
            reindex = run_cli(data_dir, "reindex")
            assert reindex.returncode == 0, reindex.stderr[-500:]
            snapshots.append(copy_data_dir(data_dir, work / f"state-{len(snapshots)}"))
        finished = time.time()
    finally:
        stop.touch()
        for process in searchers:
            process.wait(timeout=1800)
    states = [expected_results(snapshot) for snapshot in snapshots]
    return tally_searches(logs, states, (started, finished))


def _wait_for_first_results(searchers: list[subprocess.Popen], logs: list[pathlib.Path]) -> None:
    """Block until every searcher has logged a result: all of them search before any write starts."""
    while not all(log.exists() and log.stat().st_size for log in logs):
        ended = [process.args for process in searchers if process.poll() is not None]
        assert not ended, f"a searcher ended before its first search: {ended}"
        time.sleep(0.01)


def _held_elsewhere(lock: pathlib.Path) -> bool:
    """Whether another process holds the lock file (healthqa writes nothing into it)."""
    try:
        with open(lock, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True
    return False


def two_ingests_at_once(work: pathlib.Path, pages: int = 700) -> list[str]:
    """A second ingest while one runs: with ``--wait 0`` it says another is running; with a wait
    it runs once the first is done. Nothing is lost: the store ends as both ingested alone."""
    big = write_corpus(work / "big", pages)
    small = write_corpus(work / "small", 40, start=100_000)
    alone = {}
    for corpus in (big, small):
        reference = work / f"alone-{corpus.root.name}"
        run_cli(reference, "ingest", "--no-index", str(corpus.root))
        alone[corpus.root.name] = (store_records(reference), store_files(reference))
    data_dir = work / "both"
    # One worker: the first ingest holds the lock for a few seconds, time enough for the others to start.
    first = subprocess.Popen(healthqa(data_dir, "ingest", "--no-index", "--workers", "1", str(big.root)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(work))
    lock = data_dir / "ingest.lock"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _held_elsewhere(lock):
        time.sleep(0.01)
    second = [subprocess.Popen(healthqa(data_dir, "ingest", "--no-index", "--wait", wait, str(small.root)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(work))
              for wait in ("0", "60")]
    (_, refused), (waited, _) = [process.communicate(timeout=300) for process in second]
    first.communicate(timeout=300)
    problems: list[str] = []
    with Collect(problems, "the second ingest, --wait 0"):
        assert second[0].returncode == 1
        assert refused.startswith("Error: another healthqa ingest is running (lock "), refused
        assert refused.endswith("ingest.lock); waited 0 s\n"), refused
    with Collect(problems, "the second ingest, --wait 60"):
        assert (first.returncode, second[1].returncode) == (1, 1)  # each corpus holds two bad files
        assert waited == f"42 files: {len(alone['small'][0])} new, 0 updated, 0 unchanged records; 2 files rejected\n"
    with Collect(problems, "the store after both"):
        check_store(data_dir)
        assert store_records(data_dir) == {**alone["big"][0], **alone["small"][0]}
        assert store_files(data_dir) == {**alone["big"][1], **alone["small"][1]}
    return problems
