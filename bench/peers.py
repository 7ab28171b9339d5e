"""Peers for ``bench/search.py --peers``: the same records and questions in SQLite FTS5 and tantivy.

Both are optional bench dependencies, never runtime ones: FTS5 comes with Python's
sqlite3; tantivy is measured only when ``pip install tantivy`` was run by hand.
Each engine gets the question, answer and topic fields, weighted 2 / 1 / 1 with BM25,
and each question as an OR of its words; top 10, no highlights (they have their own).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time

from healthqa.index.schema import STOP
from healthqa.ingest.store import Store
from healthqa.search.evaluate import read_queries

_WORD = re.compile(r"[A-Za-z0-9]{2,}")


def _records(data_dir: str) -> list[tuple[str, str, str, str]]:
    with Store.open(data_dir, readonly=True) as store:
        return [(p.id, p.question, "\n\n".join(a.text for a in p.answers), p.topic or "") for p in store.pages()]


def _words(text: str) -> list[str]:
    """The question's words less stop words (healthqa's list), as a fair peer query."""
    return list(dict.fromkeys(w for w in (w.lower() for w in _WORD.findall(text)) if w not in STOP))[:64]


def _or_query(text: str) -> str:
    return " OR ".join(f'"{w}"' for w in _words(text)) or '"the"'



def _time_queries(run, texts: list[str], runs: int) -> tuple[float, float]:
    for text in texts:
        run(text)
    p50s, p95s = [], []
    for _ in range(runs):
        took = []
        for text in texts:
            started = time.perf_counter()
            run(text)
            took.append((time.perf_counter() - started) * 1000)
        took.sort()
        p50s.append(took[len(took) // 2])
        p95s.append(took[min(len(took) - 1, int(round(0.95 * (len(took) - 1))))])
    return statistics.median(p50s), statistics.median(p95s)


def fts5(records, queries: dict[str, list[str]], runs: int) -> dict[str, object]:
    folder = tempfile.mkdtemp(prefix="fts5-")
    path = os.path.join(folder, "fts.sqlite")
    db = sqlite3.connect(path)
    started = time.perf_counter()
    db.execute("CREATE VIRTUAL TABLE qa USING fts5(id UNINDEXED, question, answer, topic, tokenize='porter unicode61')")
    db.executemany("INSERT INTO qa VALUES (?,?,?,?)", records)
    db.commit()
    build = time.perf_counter() - started
    sql = "SELECT id FROM qa WHERE qa MATCH ? ORDER BY bm25(qa, 0, 2.0, 1.0, 1.0) LIMIT 10"
    out: dict[str, object] = {"build docs/s": len(records) / build, "index MB": os.path.getsize(path) / 1_048_576}
    for form, texts in queries.items():
        out[form] = _time_queries(lambda t: db.execute(sql, (_or_query(t),)).fetchall(), texts, runs)
    db.close()
    shutil.rmtree(folder, ignore_errors=True)
    return out


def tantivy_peer(records, queries: dict[str, list[str]], runs: int) -> dict[str, object] | None:
    try:
        import tantivy
    except ImportError:
        return None
    folder = tempfile.mkdtemp(prefix="tantivy-")
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True)
    for name in ("question", "answer", "topic"):
        builder.add_text_field(name, stored=False, tokenizer_name="en_stem")
    schema = builder.build()
    index = tantivy.Index(schema, path=folder)
    started = time.perf_counter()
    writer = index.writer()
    for rid, question, answer, topic in records:
        writer.add_document(tantivy.Document(id=rid, question=question, answer=answer, topic=topic))
    writer.commit()
    writer.wait_merging_threads()
    build = time.perf_counter() - started
    index.reload()
    searcher = index.searcher()
    size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)) / 1_048_576
    out: dict[str, object] = {"build docs/s": len(records) / build, "index MB": size}

    def run(text: str) -> None:
        words = " ".join(_words(text))
        if words:
            query = index.parse_query(words, ["question", "answer", "topic"], field_boosts={"question": 2.0})
            searcher.search(query, 10)

    for form, texts in queries.items():
        out[form] = _time_queries(run, texts, runs)
    shutil.rmtree(folder, ignore_errors=True)
    return out


def run_peers(data_dir: str, queries_path, runs: int, own: dict[str, object] | None = None) -> None:
    """Measure the peers and print one table with healthqa's own figures beside them."""
    records = _records(data_dir)
    queries = {form: [q.text for q in read_queries(str(queries_path), form)] for form in ("paraphrase", "subject+message")}
    rows = {"healthqa": own or {}, "sqlite-fts5": fts5(records, queries, runs)}
    peer = tantivy_peer(records, queries, runs)
    rows["tantivy"] = peer if peer is not None else {"note": "not installed (pip install tantivy)"}
    print(f"\n{'engine':<12} {'paraphrase p50/p95 ms':>22} {'subject+message p50/p95 ms':>27} {'build docs/s':>13} {'index MB':>9}")
    for name, row in rows.items():
        if "note" in row:
            print(f"{name:<12} {row['note']}")
            continue
        cells = []
        for form in ("paraphrase", "subject+message"):
            p50, p95 = row.get(form, (float("nan"), float("nan")))
            cells.append(f"{p50:.1f} / {p95:.1f}")
        print(f"{name:<12} {cells[0]:>22} {cells[1]:>27} {row.get('build docs/s', float('nan')):>13.0f} "
              f"{row.get('index MB', float('nan')):>9.0f}")
    print(f"peak RSS of the bench process (all engines): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
