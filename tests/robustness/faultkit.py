"""What the fault tests and ``bench/faults.py`` share: a corpus, the CLI as a process, and the checks.

The checks say what "nothing is lost" means after a crash or a fault:

- the store passes SQLite's integrity check, every record parses and equals what its
  file gives today, and every file is stored whole or not at all (:func:`check_store`);
- no lock is left held: ``ingest.lock``, ``index.lock`` and Whoosh's own (:func:`assert_unlocked`);
- the index opens, holds each id once, and holds exactly the store's records once
  ``healthqa index`` has run (:func:`index_state`, :func:`assert_index_matches_store`);
- searches work and find pages by the unique word each one carries (:func:`assert_searches_work`).
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from index.store import current_generation, open_index, read_meta
from index.writer import LOCK_NAME
from ingest.lock import exclusive
from ingest.pipeline import read_and_parse
from ingest.record import QAPage
from ingest.store import DB_NAME

REPO = pathlib.Path(__file__).resolve().parents[2]
INGEST_DATA = REPO / "tests" / "ingest" / "data"

TOPICS = ("Back Pain", "Asthma", "Diabetes", "Sleep", "Migraine", "Gout", "Arthritis", "Allergies",
          "Heart Rhythm", "Pregnancy", "Skin Care", "Nutrition", "Anxiety", "Flu", "Kidney Stones")
ROLES = ("Physical Therapy", "Fitness", "Internal Medicine", "Nutrition", "Cardiology", "Pulmonology", None)
WORDS = ("rest", "walk", "water", "stretch", "doctor", "sleep", "diet", "salt", "sugar", "ice", "heat",
         "pillow", "shoes", "posture", "breathing", "inhaler", "dose", "tablet", "fever", "rash", "coffee")


def marker(n: int) -> str:
    """The word only page ``n`` of a generated corpus holds: a search for it finds that page."""
    return f"case{n:05d}"


def _answer_lines(rng: random.Random, n: int, count: int) -> list[str]:
    lines = []
    for _ in range(count):
        role = rng.choice(ROLES)
        lines.append(f"  • A , {role}, answered" if role else "  • Sam, answered")
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60)))
        lines.append(f"    Try {body} for {marker(n)}.")
        lines.append("")
    return lines


def text_page(n: int, rng: random.Random, version: int = 0) -> str:
    """A text rendering shaped like the seed page, with its own question and marker word."""
    topic = TOPICS[n % len(TOPICS)]
    count = rng.randint(1, 3)
    lines = [topic, "", f"Why does {topic.lower()} keep me up, {marker(n)}{' again' * version}?", "",
             f"A Answers ({count})", ""]
    return "\n".join(lines + _answer_lines(rng, n, count)) + "\n"


def html_page(n: int, rng: random.Random) -> str:
    """An HTML page with schema.org JSON-LD and a canonical URL of its own."""
    answers = [{"@type": "Answer", "text": f"Try {' '.join(rng.choice(WORDS) for _ in range(20))} {marker(n)}.",
                "author": {"@type": "Person", "name": f"user{k}"}} for k in range(rng.randint(1, 3))]
    data = {"@context": "https://schema.org", "@type": "QAPage",
            "mainEntity": {"@type": "Question", "name": f"Is {rng.choice(WORDS)} safe for {marker(n)}?",
                           "suggestedAnswer": answers}}
    return (f'<!DOCTYPE html><html><head><link rel="canonical" href="https://forum.example.org/q/{n}">'
            f'<script type="application/ld+json">{json.dumps(data)}</script></head>'
            f"<body><h1>Question {n}</h1><p>{' '.join(rng.choice(WORDS) for _ in range(30))}</p></body></html>")


def medquad_doc(n: int, rng: random.Random) -> str:
    """A MedQuAD document with two to four question-answer pairs."""
    pairs = "".join(
        f'<QAPair pid="{k}"><Question qid="{n}-{k}" qtype="information">What is {marker(n)} part {k} ?</Question>'
        f"<Answer>{' '.join(rng.choice(WORDS) for _ in range(40))} {marker(n)}.</Answer></QAPair>"
        for k in range(1, rng.randint(2, 4) + 1))
    return (f'<?xml version="1.0" encoding="UTF-8"?><Document id="{n:07d}" source="GEN" url="https://gen.example.org/{n}">'
            f"<Focus>Topic {n}</Focus><QAPairs>{pairs}</QAPairs></Document>")


@dataclass(frozen=True)
class Corpus:
    """A generated folder of pages: every format, a few bad files, a marker word per page."""

    root: pathlib.Path
    pages: int        # files that give records
    bad: int          # files that are rejected

    @property
    def files(self) -> int:
        return self.pages + self.bad


def write_corpus(root: pathlib.Path, pages: int, seed: int = 7, start: int = 0) -> Corpus:
    """``pages`` good files (80 % text, 10 % HTML, 10 % MedQuAD) in folders of 500, and two bad files.

    Pages are numbered from ``start``, across formats, so that each has a marker word of its
    own (and corpora numbered apart share no record).
    """
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for n in range(start, start + pages):
        folder = root / f"part{n // 500:02d}"
        folder.mkdir(exist_ok=True)
        kind = n % 10
        if kind == 8:
            (folder / f"thread-{n:05d}.html").write_text(html_page(n, rng), encoding="utf-8")
        elif kind == 9:
            (folder / f"{n:07d}.xml").write_text(medquad_doc(n, rng), encoding="utf-8")
        else:
            (folder / f"page-{n:05d}.txt").write_text(text_page(n, rng), encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    return Corpus(root, pages, 2)


def change_corpus(corpus: Corpus, seed: int = 11) -> None:
    """Edit a tenth of the text pages, delete a twentieth of the files, add new ones (for incremental runs)."""
    rng = random.Random(seed)
    texts = sorted(corpus.root.rglob("page-*.txt"))
    for path in texts[::10]:
        n = int(path.stem.split("-")[1])
        path.write_text(text_page(n, rng, version=1), encoding="utf-8")
    for path in sorted(corpus.root.rglob("*.*"))[5::20]:
        if path.suffix in (".txt", ".xml", ".html") and path.stat().st_size:
            path.unlink()
    extra = corpus.root / "added"
    extra.mkdir(exist_ok=True)
    for n in range(corpus.pages, corpus.pages + max(20, corpus.pages // 10)):
        (extra / f"page-{n:05d}.txt").write_text(text_page(n, rng), encoding="utf-8")


# -- the CLI as a separate process ----------------------------------------------------------


def healthqa(data_dir: pathlib.Path, *args: str) -> list[str]:
    """The command line of ``healthqa --data-dir DATA ARGS`` run with this interpreter."""
    return [sys.executable, "-m", "healthqa", "--data-dir", str(data_dir), *args]


def run_cli(data_dir: pathlib.Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(healthqa(data_dir, *args), capture_output=True, text=True, timeout=timeout,
                          cwd=str(data_dir.parent))


@dataclass(frozen=True)
class Kill:
    """How one SIGKILL went: whether the process was still running when it landed."""

    killed: bool
    returncode: int
    after: float            # seconds from start to the kill (or to the process's own end)
    committed_before: dict  # the store's records (id -> content hash) read just before the kill


def kill_after(command: list[str], delay: float, data_dir: pathlib.Path | None = None) -> Kill:
    """Start ``command``, SIGKILL it ``delay`` seconds later; read the store just before, if asked.

    The store is read from another connection, so what it shows was committed: all of it
    must still be there after the kill.
    """
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=str(data_dir.parent) if data_dir else None)
    deadline = started + delay
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))
    committed = store_records(data_dir) if data_dir is not None else {}
    running = process.poll() is None
    if running:
        process.send_signal(signal.SIGKILL)
    returncode = process.wait(timeout=60)
    return Kill(running and returncode == -signal.SIGKILL, returncode, time.monotonic() - started, committed)


# -- the store ------------------------------------------------------------------------------


def _connect_readonly(data_dir: pathlib.Path) -> sqlite3.Connection | None:
    path = data_dir / DB_NAME
    if not path.exists():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    db.execute("PRAGMA busy_timeout = 30000")
    return db


def store_records(data_dir: pathlib.Path) -> dict[str, str]:
    """Every committed record as id -> content hash (empty when there is no store yet)."""
    for _ in range(50):
        try:
            db = _connect_readonly(data_dir)
            if db is None:
                return {}
            try:
                return dict(db.execute("SELECT id, content_hash FROM pages"))
            finally:
                db.close()
        except sqlite3.OperationalError:  # the store is being created this instant
            time.sleep(0.02)
    raise AssertionError(f"the store in {data_dir} cannot be read")


def store_files(data_dir: pathlib.Path) -> dict[str, tuple[str, str | None, int]]:
    """Every remembered input file as path -> (status, reason, records)."""
    db = _connect_readonly(data_dir)
    if db is None:
        return {}
    try:
        return {path: (status, reason, records)
                for path, status, reason, records in db.execute("SELECT path, status, reason, records FROM files")}
    finally:
        db.close()


def check_store(data_dir: pathlib.Path) -> int:
    """Assert the store is whole and true to its files; return how many records it holds.

    Every record parses and equals what its file gives now; each file that is stored has
    all its records and no more; no record lacks its file's row (nothing half-written).
    """
    db = _connect_readonly(data_dir)
    if db is None:
        return 0
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT id, origin, content_hash, data FROM pages").fetchall()
        files = {path: (status, records) for path, status, records
                 in db.execute("SELECT path, status, records FROM files")}
    finally:
        db.close()
    by_origin: dict[str, dict[str, str]] = {}
    for record_id, origin, content_hash, data in rows:
        page = QAPage.from_json(data)
        assert (page.id, page.content_hash, page.origin) == (record_id, content_hash, origin)
        by_origin.setdefault(origin, {})[record_id] = content_hash
    assert set(by_origin) <= set(files), f"records without their file's row: {sorted(set(by_origin) - set(files))[:3]}"
    for path, (status, records) in files.items():
        stored = by_origin.get(path, {})
        if status != "ok":
            continue
        parsed = read_and_parse(path)
        expected = {page.id: page.content_hash for page in parsed.pages}
        assert stored == expected, f"{path}: stored {len(stored)} records, the file gives {len(expected)}"
        assert records == len(expected), path
    return len(rows)


# -- locks ------------------------------------------------------------------------------------


def assert_unlocked(data_dir: pathlib.Path) -> None:
    """No process holds the ingest lock, the index lock or Whoosh's write lock."""
    for name in ("ingest.lock", LOCK_NAME):
        if (data_dir / name).exists():
            with exclusive(str(data_dir / name), 0, name):
                pass
    if os.path.lexists(data_dir / "index"):
        # Whoosh's own lock, taken as its writer takes it (opening a writer to try would leave
        # the files of an empty segment behind: Whoosh's cancel does not remove them).
        ix, _ = open_index(str(data_dir))
        lock = ix.lock("WRITELOCK")
        assert lock.acquire(blocking=False), "Whoosh's write lock is held"
        lock.release()


# -- the index --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexState:
    """What the live index holds: id -> question, and the store sequence number it says it is at."""

    docs: dict[str, str]
    store_seq: int
    generation: str


def index_state(data_dir: pathlib.Path) -> IndexState | None:
    """The live index's documents (each id must be there once), or ``None`` when there is no index."""
    if not os.path.lexists(data_dir / "index"):
        return None
    generation = current_generation(str(data_dir))
    ix, meta = open_index(str(data_dir))
    with ix.searcher() as searcher:
        stored = list(searcher.all_stored_fields())
    docs = {fields["id"]: fields["question"] for fields in stored}
    assert len(docs) == len(stored), "an id is indexed twice"
    return IndexState(docs, meta.store_seq, generation)


def store_questions(data_dir: pathlib.Path) -> dict[str, str]:
    db = _connect_readonly(data_dir)
    if db is None:
        return {}
    try:
        return {record_id: json.loads(data)["question"] for record_id, data in db.execute("SELECT id, data FROM pages")}
    finally:
        db.close()


def store_seq(data_dir: pathlib.Path) -> int:
    db = _connect_readonly(data_dir)
    if db is None:
        return 0
    try:
        return int(db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])
    finally:
        db.close()


def assert_index_matches_store(data_dir: pathlib.Path) -> IndexState:
    state = index_state(data_dir)
    assert state is not None, "no index"
    expected = store_questions(data_dir)
    assert state.docs == expected, (f"index and store differ: {len(set(state.docs) - set(expected))} extra, "
                                    f"{len(set(expected) - set(state.docs))} missing")
    assert state.store_seq == store_seq(data_dir)
    assert read_meta(state.generation).documents == len(expected)
    return state


def orphan_generations(data_dir: pathlib.Path) -> list[str]:
    """Generation folders that are not the live one (the previous one is kept on purpose)."""
    live = os.path.basename(os.path.realpath(data_dir / "index")) if os.path.lexists(data_dir / "index") else None
    return sorted(p.name for p in data_dir.iterdir()
                  if p.name.startswith("index.") and p.is_dir() and not p.is_symlink() and p.name != live)


def assert_searches_work(data_dir: pathlib.Path, markers: list[int], rng: random.Random, tries: int = 5) -> int:
    """Search for the marker words of a few indexed pages: each finds its own page first."""
    from search.searcher import Searcher

    found = 0
    with Searcher(str(data_dir)) as searcher:
        assert searcher.search("pain sleep doctor").total >= 0
        for n in rng.sample(markers, min(tries, len(markers))):
            results = searcher.search(marker(n))
            assert results.total >= 1 and marker(n) in json.dumps(results.hits[0].question + " " + " ".join(
                a.snippet.plain() for a in results.hits[0].answers) + results.hits[0].snippet.plain()), marker(n)
            found += 1
    return found


def indexed_markers(state: IndexState) -> list[int]:
    """Numbers of the generated pages whose question names their marker word."""
    out = []
    for question in state.docs.values():
        for word in question.replace("?", " ").split():
            if word.startswith("case") and word[4:].isdigit():
                out.append(int(word[4:]))
    return out


def copy_data_dir(template: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    """A private copy of a data directory (the index link is copied as a link)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(template, target, symlinks=True)
    return target


SEARCH_CORPUS = REPO / "tests" / "search" / "data" / "corpus.jsonl"


def corpus_records() -> list[QAPage]:
    """The 24 hand-written records of the search tests (pneumonia, diabetes, heart attack, roles)."""
    lines = SEARCH_CORPUS.read_text(encoding="utf-8").splitlines()
    return [QAPage.from_json(line) for line in lines if line.strip()]


def build_index(data_dir: pathlib.Path, pages: list[QAPage]) -> pathlib.Path:
    """Store ``pages`` in a new record store in ``data_dir`` and index them."""
    from index.writer import sync
    from ingest.store import Store

    with Store.open(str(data_dir)) as store:
        with store.transaction():
            for page in pages:
                store.put(page)
        sync(str(data_dir), store)
    return data_dir


# -- kill trials: one SIGKILL, the checks after it, the recovery, the checks after that ---------------


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


class Collect:
    """``with collect(problems, "what"):`` turns a failed check into a line of ``problems``."""

    def __init__(self, problems: list[str], what: str):
        self.problems, self.what = problems, what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, tb) -> bool:
        if error is None:
            return False
        if isinstance(error, KeyboardInterrupt):
            return False
        self.problems.append(f"{self.what}: {type(error).__name__}: {str(error)[:300]}")
        return True


def timed_cli(data_dir: pathlib.Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = run_cli(data_dir, *args)
    return result, time.monotonic() - started


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
                 rng: random.Random) -> Trial:
    """SIGKILL a first ``healthqa ingest`` of ``corpus`` after ``delay`` s; check; run it again; check."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    kill = kill_after(healthqa(data_dir, "ingest", str(corpus.root)), delay, data_dir)
    problems: list[str] = []
    stored = 0
    with Collect(problems, "store after the kill"):
        stored = check_store(data_dir)
        after = store_records(data_dir)
        lost = [k for k, v in kill.committed_before.items() if after.get(k) != v]
        assert not lost, f"{len(lost)} records committed before the kill are gone or changed, e.g. {lost[:2]}"
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
                rng: random.Random, reindex_after: bool = True) -> Trial:
    """SIGKILL ``healthqa index`` or ``reindex`` on a copy of ``template`` after ``delay`` s; check;
    recover with ``healthqa index`` (and, after a killed reindex, a ``reindex`` too if asked)."""
    before = template.before
    copy_data_dir(template.folder, data_dir)
    expected = store_questions(data_dir)
    kill = kill_after(healthqa(data_dir, command), delay)
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
    if state.generation != before.generation:
        return "new generation swapped in"
    return "committed, meta not yet written" if state.store_seq == before.store_seq else "committed"


def unreferenced_files(generation: str) -> list[str]:
    """Files in an index generation that its table of contents does not name (a write cut short)."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(generation)
    toc = ix._read_toc()
    segments = [segment.segment_id() for segment in toc.segments]
    known = {"healthqa-index.json", "topics.cache.npz", f"_{ix.indexname}_{toc.generation}.toc",
             f"{ix.indexname}_WRITELOCK"}
    return sorted(name for name in os.listdir(generation)
                  if name not in known and not any(name.startswith(segment) for segment in segments))


# -- searching while others write ---------------------------------------------------------------------

QUERIES = ("pain", "sleep doctor", "asthma inhaler", '"back pain"', "water -salt", "diet*", "fevr", "topic:gout",
           "case00003", "case00011 OR case00012", "again", "coffee +rest", "migraine~", "what is", "shoes posture")


def search_loop(data_dir: str, out: str, stop: str, minimum: int, seconds: float, seed: int) -> None:
    """Search ``data_dir`` until ``stop`` exists and ``minimum`` queries ran (or ``seconds`` passed),
    as a site does: one searcher kept open and reopened once the index changed, and now and
    then a fresh one (as each ``healthqa search`` process opens). Every result, or the error
    instead, goes to ``out`` as a JSON line."""
    from search.searcher import Filters, Searcher

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
            done += 1
    if searcher is not None:
        searcher.close()


def search_loop_command(data_dir: pathlib.Path, out: pathlib.Path, stop: pathlib.Path, minimum: int,
                        seconds: float, seed: int) -> list[str]:
    code = (f"import sys; sys.path[:0] = [{str(REPO)!r}, {str(pathlib.Path(__file__).parent)!r}]; import faultkit; "
            f"faultkit.search_loop({str(data_dir)!r}, {str(out)!r}, {str(stop)!r}, {minimum}, {seconds}, {seed})")
    return [sys.executable, "-c", code]


def expected_results(data_dir: pathlib.Path) -> dict[tuple[str, tuple[str, ...]], tuple[int, list[str]]]:
    """What each query of :data:`QUERIES` gives on the index of ``data_dir`` (with and without the role filter)."""
    from search.searcher import Filters, Searcher

    out = {}
    with Searcher(str(data_dir)) as searcher:
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


# -- environment faults: a full disk, a read-only folder -----------------------------------------------


class Unavailable(Exception):
    """This machine cannot stage the fault (not root, no mount, or root's rights bypass it)."""


def _can_write(folder: pathlib.Path) -> bool:
    probe = folder / f".probe-{os.getpid()}"
    try:
        probe.write_bytes(b"x")
    except OSError:
        return False
    probe.unlink()
    return True


@contextlib.contextmanager
def small_disk(folder: pathlib.Path, size: str) -> Iterator[Callable[[str], None]]:
    """A tmpfs of ``size`` mounted on ``folder`` (root only): a real "No space left on device".

    Yields a function that resizes it (``"64m"``): the way back, freeing space.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        raise Unavailable("a small disk needs a tmpfs mount, which needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode:
        raise Unavailable(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")

    def resize(new_size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={new_size}", str(folder)], check=True, capture_output=True)

    try:
        yield resize
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@contextlib.contextmanager
def read_only(folder: pathlib.Path) -> Iterator[None]:
    """``folder`` read-only for this process: a read-only bind mount as root, ``chmod`` otherwise."""
    if os.geteuid() == 0:
        bound = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
        if bound.returncode:
            raise Unavailable(f"root ignores file modes and cannot bind-mount here: {bound.stderr.decode().strip()}")
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
            if _can_write(folder):
                raise Unavailable("the read-only mount still takes writes")
            yield
        finally:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        return
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    try:
        if _can_write(folder):
            raise Unavailable("chmod does not stop writes here")
        yield
    finally:
        folder.chmod(mode)


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
        time.sleep(1.0)
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
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip() == str(first.pid)):
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
