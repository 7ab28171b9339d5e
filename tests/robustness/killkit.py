"""SIGKILL trials: one kill of ``healthqa ingest``, ``index`` or ``reindex``, the checks after it,
the next run, and the checks after that (``test_crash.py``, ``test_crash_points.py`` and
``bench/faults.py``). A kill lands after a delay (a timer: ``bench/faults.py`` and the slow
tests) or at a chosen point of the code (:mod:`killpoint`: the tests CI runs)."""

from __future__ import annotations

import os
import pathlib
import random
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Callable

import killpoint

from faultkit import (DB_NAME, Collect, Corpus, IndexState, assert_index_matches_store, assert_searches_work,
                      assert_unlocked, change_corpus, check_store, copy_data_dir, healthqa, index_state,
                      indexed_markers, orphan_generations, run_cli, store_files, store_questions, store_records,
                      timed_cli, unreferenced_files)


@dataclass(frozen=True)
class Kill:
    """How one SIGKILL went: whether the process was still running when it landed."""

    killed: bool
    returncode: int
    after: float            # seconds from start to the kill (or to the process's own end)
    committed_before: dict  # the store's records (id -> content hash) read just before the kill


def kill_after(command: list[str], delay: float, data_dir: pathlib.Path | None = None,
               after_first_commit: bool = False) -> Kill:
    """Start ``command``, SIGKILL it ``delay`` seconds later; read the store just before, if asked.
    With ``after_first_commit`` the delay counts from the moment the store shows the command's
    first commit (the command has reached the storing stage, however slowly it started).

    The store is read from another connection, so what it shows was committed: all of it
    must still be there after the kill.
    """
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=str(data_dir.parent) if data_dir else None)
    if after_first_commit and data_dir is not None:
        while process.poll() is None and not store_records(data_dir):
            time.sleep(0.005)
    deadline = time.monotonic() + delay
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))
    committed = store_records(data_dir) if data_dir is not None else {}
    running = process.poll() is None
    if running:
        process.send_signal(signal.SIGKILL)
    returncode = process.wait(timeout=60)
    return Kill(running and returncode == -signal.SIGKILL, returncode, time.monotonic() - started, committed)


@dataclass(frozen=True)
class At:
    """A chosen kill point: the ``call``-th call of ``target`` (``module:Class.method``)."""

    target: str
    call: int = 1


def kill_at(at: At, data_dir: pathlib.Path, *args: str) -> Kill:
    """Run ``healthqa --data-dir DATA ARGS`` until it kills itself at ``at`` (or ends first)."""
    started = time.monotonic()
    result = subprocess.run(killpoint.command(at.target, at.call, "--data-dir", str(data_dir), *args),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(data_dir.parent))
    return Kill(result.returncode == -signal.SIGKILL, result.returncode, time.monotonic() - started, {})


def _kill(data_dir: pathlib.Path, args: list[str], delay: float, at: At | None, read_store: bool,
          after_first_commit: bool = False) -> Kill:
    if at is not None:
        return kill_at(at, data_dir, *args)
    return kill_after(healthqa(data_dir, *args), delay, data_dir if read_store else None, after_first_commit)


@dataclass
class Trial:
    """One kill: whether it landed (the process was still running), where, and what was wrong."""

    command: str
    killed: bool
    after: float
    phase: str
    problems: list[str]

    @property
    def survived(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Reference:
    """What a completed ``healthqa ingest`` of a corpus leaves: the yardstick for killed ones."""

    records: dict[str, str]
    files: dict[str, tuple[str, str | None, int]]
    returncode: int
    first_commit: float    # seconds from the start of ``ingest --no-index`` to its first commit
    store_seconds: float   # to its end
    index_seconds: float   # the ``healthqa index`` that follows


def make_reference(corpus: Corpus, work: pathlib.Path) -> Reference:
    """Ingest ``corpus`` to the end in ``work/reference``, timing the first commit, the end of the
    records and the index build: kills are aimed at those phases."""
    data_dir = work / "reference"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    process = subprocess.Popen(healthqa(data_dir, "ingest", "--no-index", str(corpus.root)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=str(work))
    first_commit = None
    while process.poll() is None:
        if first_commit is None and (data_dir / DB_NAME).exists() and store_records(data_dir):
            first_commit = time.monotonic() - started
        time.sleep(0.01)
    store_seconds = time.monotonic() - started
    _, errors = process.communicate()
    assert process.returncode in (0, 1), errors[-2000:]
    indexed, index_seconds = timed_cli(data_dir, "index")
    assert indexed.returncode == 0, indexed.stderr[-2000:]
    return Reference(store_records(data_dir), store_files(data_dir), process.returncode,
                     first_commit or store_seconds, store_seconds, index_seconds)


def ingest_trial(corpus: Corpus, data_dir: pathlib.Path, reference: Reference, delay: float,
                 rng: random.Random, at: At | None = None, args: tuple[str, ...] = (),
                 after_first_commit: bool = False) -> Trial:
    """SIGKILL a first ``healthqa ingest`` of ``corpus`` after ``delay`` s (from its start, or from
    its first commit with ``after_first_commit``; or ``at`` a chosen point); check; run it
    again; check. Records the store holds after the kill must be as a run never killed leaves them."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    kill = _kill(data_dir, ["ingest", *args, str(corpus.root)], delay, at, read_store=True,
                 after_first_commit=after_first_commit)
    problems: list[str] = []
    stored = 0
    with Collect(problems, "store after the kill"):
        stored = check_store(data_dir)
        after = store_records(data_dir)
        lost = [k for k, v in kill.committed_before.items() if after.get(k) != v]
        assert not lost, f"{len(lost)} records committed before the kill are gone or changed, e.g. {lost[:2]}"
        wrong = [k for k, v in after.items() if reference.records.get(k) != v]
        assert not wrong, f"{len(wrong)} records after the kill differ from a run never killed, e.g. {wrong[:2]}"
    with Collect(problems, "locks after the kill"):
        assert_unlocked(data_dir)
    with Collect(problems, "index after the kill"):
        state = index_state(data_dir)
        if state is not None:  # a first ingest builds the index only once every record is stored
            assert state.docs == store_questions(data_dir)
            assert_searches_work(data_dir, indexed_markers(state), rng)
    phase = ("finished" if not kill.killed else "killed before the first commit" if stored == 0
             else "killed while storing records" if stored < len(reference.records)
             else "killed while building the index")
    _recover_ingest(corpus, data_dir, reference, rng, problems)
    return Trial("ingest", kill.killed, kill.after, phase, problems)


def _recover_ingest(corpus: Corpus, data_dir: pathlib.Path, reference: Reference, rng: random.Random,
                    problems: list[str]) -> None:
    result = run_cli(data_dir, "ingest", str(corpus.root))
    with Collect(problems, "the next ingest"):
        assert result.returncode == reference.returncode, result.stderr[-500:]
        assert store_records(data_dir) == reference.records, "the store differs from a run never killed"
        assert store_files(data_dir) == reference.files, "the files remembered differ from a run never killed"
        state = assert_index_matches_store(data_dir)
        assert_searches_work(data_dir, indexed_markers(state), rng)
        assert_unlocked(data_dir)


@dataclass(frozen=True)
class IndexTemplate:
    """A data directory whose store has changes its index has not seen yet, and timings on it."""

    folder: pathlib.Path
    before: IndexState        # the index as it is
    startup_seconds: float    # ``healthqa index`` with nothing to do: the part of a run before any write
    index_seconds: float
    reindex_seconds: float


def make_index_template(corpus: Corpus, work: pathlib.Path) -> IndexTemplate:
    """A data directory whose store has changes the index has not seen yet (edits, deletions,
    additions), the index as it is, and how long ``healthqa index`` and ``reindex`` take on it."""
    changed = work / "changed-corpus"
    if changed.exists():
        shutil.rmtree(changed)
    shutil.copytree(corpus.root, changed)
    template = work / "template"
    first = run_cli(template, "ingest", "--no-index", str(changed))
    assert first.returncode in (0, 1), first.stderr[-2000:]
    built, reindex_seconds = timed_cli(template, "index")  # a first build: what a reindex costs
    assert built.returncode == 0, built.stderr[-2000:]
    change_corpus(Corpus(changed, corpus.pages, corpus.bad))
    again = run_cli(template, "ingest", "--no-index", "--prune", str(changed))
    assert again.returncode in (0, 1), again.stderr[-2000:]
    before = index_state(template)
    assert before is not None and before.docs != store_questions(template)
    timing = copy_data_dir(template, work / "timing")
    _, index_seconds = timed_cli(timing, "index")
    _, startup_seconds = timed_cli(timing, "index")  # now in step: nothing to write
    shutil.rmtree(timing)
    return IndexTemplate(template, before, startup_seconds, index_seconds, reindex_seconds)


def index_trial(command: str, template: IndexTemplate, data_dir: pathlib.Path, delay: float,
                rng: random.Random, reindex_after: bool = True, at: At | None = None) -> Trial:
    """SIGKILL ``healthqa index`` or ``reindex`` on a copy of ``template`` after ``delay`` s (or
    ``at`` a chosen point); check; recover with ``healthqa index`` (and, after a killed reindex,
    a ``reindex`` too if asked)."""
    before = template.before
    copy_data_dir(template.folder, data_dir)
    expected = store_questions(data_dir)
    kill = _kill(data_dir, [command], delay, at, read_store=False)
    problems: list[str] = []
    phase = "unknown"
    with Collect(problems, "locks after the kill"):
        assert_unlocked(data_dir)
    with Collect(problems, "index after the kill"):
        state = index_state(data_dir)
        assert state is not None, "the index is gone"
        assert state.docs in (before.docs, expected), "the index holds neither the old nor the new records"
        phase = _index_phase(kill.killed, state, before, expected, data_dir)
        assert_searches_work(data_dir, indexed_markers(state), rng)
    with Collect(problems, "records after the kill"):
        assert store_questions(data_dir) == expected  # indexing never writes the store
    leftovers = len(orphan_generations(data_dir))
    result = run_cli(data_dir, "index")
    stray: list[str] = []
    with Collect(problems, "the next 'healthqa index'"):
        assert result.returncode == 0, result.stderr[-500:]
        state = assert_index_matches_store(data_dir)
        assert_searches_work(data_dir, indexed_markers(state), rng)
        assert_unlocked(data_dir)
        # Not a fault (the index never reads them) but worth knowing: files the killed write left.
        stray = unreferenced_files(state.generation)
    if command == "reindex" and reindex_after:
        rebuilt = run_cli(data_dir, "reindex")
        with Collect(problems, "the next 'healthqa reindex'"):
            assert rebuilt.returncode == 0, rebuilt.stderr[-500:]
            assert_index_matches_store(data_dir)
            assert len(orphan_generations(data_dir)) <= 1, f"generations left: {orphan_generations(data_dir)}"
    if leftovers:
        phase += f" ({leftovers} other generation folder{'s' if leftovers > 1 else ''} on disk until the next reindex)"
    if stray:
        kinds = sorted({"a temporary table of contents" if ".toc." in name else "segment files" for name in stray})
        phase += f" (left behind in the index folder for good: {' and '.join(kinds)})"
    return Trial(command, kill.killed, kill.after, phase, problems)


def _index_phase(killed: bool, state: IndexState, before: IndexState, expected: dict[str, str],
                 data_dir: pathlib.Path) -> str:
    if not killed:
        return "finished"
    if state.docs == before.docs:
        if orphan_generations(data_dir):
            return "index as before; killed while building a new generation"
        stray = unreferenced_files(state.generation)
        return ("index as before; killed while writing a segment" if stray
                else "index as before; killed before writing")
    # By name: the trial runs on a copy of the template, whose generation folders have the same names.
    if os.path.basename(state.generation) != os.path.basename(before.generation):
        return "new generation swapped in"
    return "committed, meta not yet written" if state.store_seq == before.store_seq else "committed"


def until_landed(kills: int, upper: float, delay: Callable[[float], float],
                 trial: Callable[[float, int], Trial]) -> list[Trial]:
    """Trials until ``kills`` of them killed a running command (at most four times as many tries).

    ``delay(upper)`` picks when to kill, before ``upper`` seconds. A kill that came after the
    command had finished lowers ``upper``: the command runs faster than its first timing said
    (a busy machine makes timings vary).
    """
    trials: list[Trial] = []
    while sum(t.killed for t in trials) < kills and len(trials) < 4 * kills:
        wait = delay(upper)
        trials.append(trial(wait, len(trials)))
        if not trials[-1].killed:
            upper = min(upper, wait)
    return trials
