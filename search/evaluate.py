"""Relevance measured the TREC way: queries, graded judgments (qrels), a run, measures.

Measures (per query, then averaged over every query that has judgments):
nDCG@10 with gain = grade; MAP@10, P@5 and MRR@10 with relevant = grade >= 2;
avgScore, the grade of the first hit (unjudged = 0); judged@10, the share of the
first ten hits that were judged at all.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from typing import Callable, Iterable

from healthqa.ingest.errors import HealthQAError

RELEVANT = 2
MEASURES = ("nDCG@10", "MAP@10", "P@5", "MRR@10", "avgScore", "judged@10")


@dataclass(frozen=True)
class Query:
    qid: str
    text: str


def read_queries(path: str, form: str = "paraphrase") -> list[Query]:
    """Queries from a plain ``qid<TAB>text`` file or the LiveQA ``queries.tsv`` layout.

    ``form`` picks the LiveQA column: ``paraphrase`` or ``subject+message``.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:  # -sig: files saved with a BOM
            rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    except (OSError, UnicodeDecodeError) as exc:
        raise HealthQAError(f"{path}: cannot read queries ({exc})") from None
    if not rows:
        raise HealthQAError(f"{path}: no queries")
    header = [c.strip().lower() for c in rows[0]]
    if "qid" in header and ("paraphrase" in header or "subject" in header):
        return _liveqa(rows[1:], header, form, path)
    queries = [Query(r[0].strip(), " ".join(c for c in r[1:]).strip()) for r in rows if len(r) >= 2 and r[0].strip()]
    if not queries:
        raise HealthQAError(f"{path}: expected lines of 'qid<TAB>text'")
    return queries


def _liveqa(rows: list[list[str]], header: list[str], form: str, path: str) -> list[Query]:
    columns = {"paraphrase": ["paraphrase"], "subject+message": ["subject", "message"]}.get(form)
    if columns is None:
        raise HealthQAError(f"unknown query form {form!r}: use paraphrase or subject+message")
    missing = [c for c in columns if c not in header]
    if missing:
        raise HealthQAError(f"{path}: no column {missing[0]!r}")
    at = [header.index(c) for c in columns]
    fallback = [header.index(c) for c in ("subject", "message") if c in header]
    qid = header.index("qid")
    queries = []
    for row in (r for r in rows if r):
        text = " ".join(row[i] for i in at if i < len(row)).strip()
        # A question with no paraphrase (TQ103 has none) is asked in its own words.
        text = text or " ".join(row[i] for i in fallback if i < len(row)).strip()
        queries.append(Query(row[qid], text))
    return queries


def read_qrels(path: str) -> dict[str, dict[str, int]]:
    """``qid 0 docid grade`` lines into ``{qid: {docid: grade}}``."""
    qrels: dict[str, dict[str, int]] = {}
    try:
        with open(path, encoding="utf-8-sig") as handle:
            for n, line in enumerate(handle, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 4:
                    raise HealthQAError(f"{path}:{n}: expected 'qid 0 docid grade'")
                qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise HealthQAError(f"{path}: cannot read qrels ({exc})") from None
    return qrels


def measure(ranked: list[str], judged: dict[str, int]) -> dict[str, float]:
    """All measures for one query's ranked doc ids against its judgments.

    >>> measure(["a", "b"], {"a": 3, "b": 0, "c": 2})["avgScore"]
    3.0
    """
    top = ranked[:10]
    grades = [judged.get(d, 0) for d in top]
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:10]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(grades))
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    relevant = sum(1 for g in judged.values() if g >= RELEVANT)
    hits, precision_sum, first = 0, 0.0, 0.0
    for i, g in enumerate(grades):
        if g >= RELEVANT:
            hits += 1
            precision_sum += hits / (i + 1)
            first = first or 1 / (i + 1)
    return {
        "nDCG@10": dcg / idcg if idcg else 0.0,
        "MAP@10": precision_sum / relevant if relevant else 0.0,
        "P@5": sum(1 for g in grades[:5] if g >= RELEVANT) / 5,
        "MRR@10": first,
        "avgScore": float(grades[0]) if grades else 0.0,
        "judged@10": sum(1 for d in top if d in judged) / 10,
    }


def evaluate(queries: Iterable[Query], qrels: dict[str, dict[str, int]],
             run: Callable[[str], list[tuple[str, float]]]) -> tuple[dict[str, float], dict[str, list[tuple[str, float]]]]:
    """Run every judged query and average the measures: ``(means, ranked lists by qid)``."""
    totals = dict.fromkeys(MEASURES, 0.0)
    runs: dict[str, list[tuple[str, float]]] = {}
    count = 0
    for query in queries:
        if query.qid not in qrels:
            continue
        ranked = run(query.text)
        runs[query.qid] = ranked
        for name, value in measure([d for d, _ in ranked], qrels[query.qid]).items():
            totals[name] += value
        count += 1
    if not count:
        raise HealthQAError("no query has judgments in the qrels file")
    return {name: total / count for name, total in totals.items()} | {"queries": count}, runs


def write_run(path: str, runs: dict[str, list[tuple[str, float]]], name: str = "healthqa") -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for qid, ranked in runs.items():
            for rank, (doc, score) in enumerate(ranked, 1):
                handle.write(f"{qid} Q0 {doc} {rank} {score:.4f} {name}\n")
