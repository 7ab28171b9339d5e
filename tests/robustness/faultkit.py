"""What the fault tests and ``bench/faults.py`` share: a corpus, the CLI as a process, and the checks.

The checks say what "nothing is lost" means after a crash or a fault:

- the store passes SQLite's integrity check, every record parses and equals what its
  file gives today, and every file is stored whole or not at all (:func:`check_store`);
- no lock is left held: ``ingest.lock``, ``index.lock`` and Whoosh's own (:func:`assert_unlocked`);
- the index opens, holds each id once, and holds exactly the store's records once
  ``healthqa index`` has run (:func:`index_state`, :func:`assert_index_matches_store`);
- searches work and find pages by the unique word each one carries (:func:`assert_searches_work`).

The kills are in ``killkit.py``, searching while writing in ``loadkit.py``, a full disk and a
read-only folder in ``envkit.py``.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass

from healthqa.index.store import current_generation, open_index, read_meta
from healthqa.index.writer import LOCK_NAME
from healthqa.ingest.lock import exclusive
from healthqa.ingest.pipeline import read_and_parse
from healthqa.ingest.record import QAPage
from healthqa.ingest.store import DB_NAME

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
    from healthqa.search.searcher import Searcher

    found = 0
    with Searcher(str(data_dir)) as searcher:
        results = searcher.search("pain sleep doctor")
        assert len(results.hits) == min(results.total, 10)
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
