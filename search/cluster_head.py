"""A search cluster's head over SphinxQL: one query's SQL, failover, and what comes back.

The head ``searchd`` fans a query out to one live replica of every shard and merges their
top matches (scored by the engine's BM25F with healthqa's field weights and word-coverage
bonus), their totals and facet counts (:class:`EngineAnswer`). When a mirror fails
mid-query the head does not retry it; :meth:`Head.ask` asks again while every shard still
has a live replica, and names the shards that have none.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Mapping

from healthqa.index.answers import fold
from healthqa.index.cluster import engine_config
from healthqa.index.cluster.feed import engine_terms, role_id
from healthqa.index.cluster.layout import Layout
from healthqa.index.cluster.sphinxql import connect, is_up, quoted
from healthqa.ingest.errors import ClusterError, QueryError
from healthqa.search.searcher import Filters
from healthqa.search.settings import SearchSettings

FACETS = (("source", "source"), ("topic", "topic_key"), ("role", "roles"))
COLUMNS = "rid, WEIGHT(), source, topic_name, qtype, answers, topic_terms, synonym_terms, qkey, signals"


@dataclass(frozen=True)
class Candidate:
    """One page the head returned, with what reranking and collapsing need."""

    id: str
    weight: float
    source: str
    topic: str
    qtype: str
    answers: int
    topic_terms: str
    synonym_terms: str
    qkey: str
    signals: int = 0  # 1: an answer is accepted or has votes (its factor is read from the store)


@dataclass(frozen=True)
class EngineAnswer:
    """What the head returned for one query: candidates best first, totals, facets, missing shards."""

    candidates: tuple[Candidate, ...]
    total: int
    facets: dict[str, dict[str, int]]
    keyword_docs: dict[str, int]
    missing: tuple[int, ...]


def ranker_expression(settings: SearchSettings, weights: Mapping[str, float] | None = None,
                      or_bonus: float | None = None) -> str:
    """The engine's ranking: BM25F over the text fields with healthqa's field weights (the
    engine takes whole numbers: weights and k1 are both scaled by 10, which leaves BM25F as
    it was), times the same bonus for covering more of the query's words. The query asks for
    plain, unnormalised idf (log N/n, as BM25's), which brought the top 10 nearer Whoosh's.

    >>> ranker_expression(SearchSettings())[:60]
    '1000000*bm25f(12.000,0.750,{question=20,detail=5,answer=10,r'
    """
    ranking = settings.ranking
    weights = ranking.weights if weights is None else weights
    or_bonus = ranking.or_bonus if or_bonus is None else or_bonus
    fields = ",".join(f"{f}={max(1, round(10 * weights.get(f, 0)))}" for f in engine_config.FIELDS
                      if weights.get(f, 0) > 0)
    return (f"1000000*bm25f({10 * ranking.k1:.3f},{ranking.b:.3f},{{{fields}}})"
            f"*(1+{or_bonus:.3f}*doc_word_count/query_word_count)")


def _facet_rows(rows, names: dict[str, str] | None, limit: int) -> tuple[dict[str, int], int]:
    """Facet rows ``(value, count)`` as ``{name: count}`` (the ``limit`` largest) and how many more."""
    counts: dict[str, int] = {}
    for value, count in rows:
        name = str(value) if names is None else names.get(str(value))
        if name:
            counts[name] = counts.get(name, 0) + int(count)
    shown = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return dict(shown), len(counts) - len(shown)


class Head:
    """The head ``searchd`` of a layout, asked over one SphinxQL connection (reopened when dropped)."""

    def __init__(self, layout: Layout, vocabulary: dict, settings: SearchSettings):
        self.layout, self.vocabulary, self.settings = layout, vocabulary, settings
        self._lock = threading.Lock()
        self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()

    def sql(self, text: str, filters: Filters, count: int, ranker: str | None = None, facets: bool = True) -> str:
        """The SphinxQL of one query: ranked candidates, their meta, then (``facets``) the facets."""
        words = " ".join(dict.fromkeys(engine_terms(text).split()))
        where = [f"MATCH({quoted(chr(34) + words + chr(34) + '/1')})"]
        if filters.source:
            where.append(f"source = {quoted(filters.source)}")
        if filters.topic:
            where.append(f"topic_key = {quoted(fold(filters.topic))}")
        if filters.roles:
            where.append(f"roles IN ({', '.join(str(role_id(r)) for r in filters.roles)})")
        # One round trip: the ranked query, its meta, then the facets of an unranked copy of it
        # (a FACET clause on the ranked query would rank every match again for each facet).
        head, condition = engine_config.HEAD_INDEX, " AND ".join(where)
        counted = "".join(f" FACET {column} ORDER BY COUNT(*) DESC LIMIT 1000" for _, column in FACETS)
        return "; ".join([
            f"SELECT {COLUMNS} FROM {head} WHERE {condition} ORDER BY WEIGHT() DESC, id ASC LIMIT {count} "
            f"OPTION ranker=expr('{ranker or ranker_expression(self.settings)}'), idf='plain,tfidf_unnormalized', "
            f"max_matches={max(count, 1000)}", "SHOW META",
            *([f"SELECT id FROM {head} WHERE {condition} LIMIT 1 OPTION ranker=none{counted}"] if facets else [])])

    def _execute(self, sql: str) -> tuple[list, dict[str, str]]:
        import pymysql

        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._connection is None:
                        self._connection = connect(self.layout.head)
                    cur = self._connection.cursor()
                    cur.execute(sql)
                    sets = [cur.fetchall()]
                    while cur.nextset():
                        sets.append(cur.fetchall())
                    return [sets[0], *sets[3:]], {str(k): str(v) for k, v in sets[1]}
                except pymysql.err.OperationalError:
                    self._connection = None  # the head restarted or dropped us: once more on a new connection
                    if attempt == 2:
                        raise ClusterError(f"the cluster head at {self.layout.head.host}:{self.layout.head.sql} "
                                           "does not answer") from None
        raise AssertionError("unreachable")

    def missing_shards(self) -> tuple[int, ...]:
        """Shards none of whose replicas answers now."""
        return tuple(s for s, replicas in enumerate(self.layout.shards) if not any(is_up(n, 0.5) for n in replicas))

    def ask(self, text: str, filters: Filters, count: int, ranker: str | None = None,
            facets: bool = True) -> EngineAnswer:
        """The head's answer for ``text``: candidates, total, facets (unless not wanted), and the
        shards that had no live replica. ``ranker`` is another ranking expression."""
        sql = self.sql(text, filters, count, ranker, facets)
        # The head picks a mirror per shard by ha_strategy and does not retry one that fails:
        # until it has learnt that a mirror is dead, a query can lose that shard. Shards with no
        # live replica are missing; while every shard has one, the query is asked again.
        attempts = 8 * max(len(replicas) for replicas in self.layout.shards)  # each retry is one refused connect
        for attempt in range(attempts):
            answer, failed = self._once(sql)
            if not failed:
                return answer
            missing = self.missing_shards()
            if missing:
                return dataclasses.replace(answer, missing=missing)
        # Agents kept failing while every shard answers probes: which shards are in is unknown.
        return dataclasses.replace(answer, missing=tuple(range(len(self.layout.shards))))

    def _once(self, sql: str) -> tuple[EngineAnswer, bool]:
        import pymysql

        try:
            sets, meta = self._execute(sql)
        except pymysql.err.MySQLError as exc:
            if "agent" not in str(exc):
                raise QueryError(f"the cluster cannot run this query: {exc.args[-1]}") from None
            return EngineAnswer((), 0, {}, {}, ()), True  # every agent failed
        names = {"source": None, "topic": self.vocabulary["topics"], "role": self.vocabulary["roles"]}
        limit = self.settings.facet_limit
        facets = {name: _facet_rows(rows, names[name], limit) for (name, _), rows in zip(FACETS, sets[1:])}
        docs = {meta[k]: int(meta["docs" + k[7:]]) for k in meta if k.startswith("keyword[")}
        found = tuple(Candidate(str(r[0]), float(r[1]), *map(str, r[2:5]), int(r[5]), *map(str, r[6:9]), int(r[9]))
                      for r in sets[0])
        answer = EngineAnswer(found, int(meta.get("total_found", 0)), facets, docs, ())
        return answer, "warning" in meta
