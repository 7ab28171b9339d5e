"""The cluster backend against real searchd processes (2 shards x 2 replicas + a head)."""

from __future__ import annotations

import dataclasses
import json
import threading

from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.index.cluster import daemons
from healthqa.index.cluster.build import build, delta_size, read_state, sync
from healthqa.index.cluster.engine_config import index_name
from healthqa.index.cluster.feed import engine_terms
from healthqa.index.cluster.sphinxql import cursor
from healthqa.index.cluster.status import live_docs
from healthqa.ingest.store import Store
from healthqa.search.cluster import ClusterSearcher
from healthqa.search.cluster_head import FACETS, _facet_rows
from healthqa.search.searcher import Filters, Searcher
from tests.cluster.cluster_fixtures import cluster, corpus_dir  # noqa: F401  (fixtures; skips without searchd)

QUERIES = ("heart attack symptoms", "diabetes diet", "what causes glaucoma", "pneumonia vaccine",
           "back pain foot", "treatment for high blood pressure")


def shard_ids(node) -> list[str]:
    """Record ids one replica serves (main and delta, the kill-list applied)."""
    with cursor(node) as cur:
        cur.execute(f"SELECT rid FROM {index_name(node.shard, 'main')}, {index_name(node.shard, 'delta')} "
                    "LIMIT 10000 OPTION max_matches=10000")
        return [row[0] for row in cur.fetchall()]


def searcher(cluster) -> ClusterSearcher:
    return ClusterSearcher(str(cluster.data_dir), cluster.paths.root)


def test_every_record_is_in_exactly_one_shard(cluster):
    with Store.open(str(cluster.data_dir), readonly=True) as store:
        ids = store.ids()
    served = {s: shard_ids(replicas[0]) for s, replicas in enumerate(cluster.layout.shards)}
    assert sorted(served[0] + served[1]) == sorted(ids)
    assert not set(served[0]) & set(served[1])
    assert all(cluster.layout.shard_of(i) == s for s, found in served.items() for i in found)
    for replicas in cluster.layout.shards:  # the mirrors serve the same records
        assert sorted(shard_ids(replicas[1])) == sorted(shard_ids(replicas[0]))
    assert live_docs(cluster.layout.head) == len(ids) > 500


def test_totals_and_facets_through_the_head_equal_the_shards_combined(cluster):
    with searcher(cluster) as s:
        names = {"source": None, "topic": s.vocabulary["topics"], "role": s.vocabulary["roles"]}
        for query in QUERIES:
            head = s.engine(query)
            totals, facets = 0, {name: {} for name, _ in FACETS}
            for replicas in cluster.layout.shards:
                sql = s.head.sql(query, Filters(), 100).replace(" FROM head ", f" FROM {index_name(replicas[0].shard, 'main')}, "
                                                                            f"{index_name(replicas[0].shard, 'delta')} ")
                with cursor(replicas[0]) as cur:
                    cur.execute(sql)  # the ranked query, its SHOW META, an unranked copy, then one result set per facet
                    sets = [cur.fetchall()]
                    while cur.nextset():
                        sets.append(cur.fetchall())
                totals += int(dict(sets[1])["total_found"])
                for (name, _), rows in zip(FACETS, sets[3:]):
                    for value, count in _facet_rows(rows, names[name], 10_000)[0].items():
                        facets[name][value] = facets[name].get(value, 0) + count
            assert head.total == totals > 0, query
            for name, (shown, more) in head.facets.items():
                assert shown == {k: facets[name][k] for k in shown} and more == len(facets[name]) - len(shown), query


def test_cluster_totals_and_facets_equal_the_whoosh_index(cluster):
    with searcher(cluster) as s, Searcher(str(cluster.data_dir)) as whoosh:
        for query in ("heart attack", "glaucoma", "diabetes"):
            ours, theirs = s.search(query), whoosh.search(query)
            assert (ours.total, ours.facets) == (theirs.total, theirs.facets), query
            assert ours.hits[0].id == theirs.hits[0].id, query


def test_an_update_reaches_every_replica(cluster):
    with Store.open(str(cluster.data_dir)) as store:
        changed, gone = store.ids()[:2]
        page = store.get(changed)
        with store.transaction():
            store.put(dataclasses.replace(page, question=page.question + " zanzibarite", content_hash=""))
            store.delete([gone])
        report = sync(cluster.layout, cluster.paths, store)
    assert report.rotated and not report.offline
    for node in [n for replicas in cluster.layout.shards for n in replicas]:
        ids = shard_ids(node)
        assert gone not in ids
        assert ids.count(changed) == (1 if node.shard == cluster.layout.shard_of(changed) else 0)
        with cursor(node) as cur:
            cur.execute(f"SELECT rid FROM {index_name(node.shard, 'main')}, {index_name(node.shard, 'delta')} "
                        f"WHERE MATCH('{engine_terms('zanzibarite')}')")
            assert [r[0] for r in cur.fetchall()] == ([changed] if node.shard == cluster.layout.shard_of(changed) else [])
    with searcher(cluster) as s:
        assert [h.id for h in s.search("zanzibarite").hits] == [changed]
    # Past delta_limit a sync rebuilds the mains: the deltas and their kill-lists are empty again.
    with Store.open(str(cluster.data_dir), readonly=True) as store:
        assert delta_size(store, read_state(cluster.paths)["main_seq"]) == 2
        assert sync(cluster.layout, cluster.paths, store).part == "delta"  # 2 of 834 is under 0.1
        report = sync(dataclasses.replace(cluster.layout, delta_limit=0.001), cluster.paths, store)
        assert report.part == "main" and "passed delta_limit" in report.reason and len(report.rotated) == 4
        assert delta_size(store, read_state(cluster.paths)["main_seq"]) == 0
    for node in [n for replicas in cluster.layout.shards for n in replicas]:
        with open(cluster.paths.feed(node.shard, "delta"), encoding="utf-8") as feed:
            assert "killlist" not in feed.read()
        with cursor(node) as cur:
            cur.execute(f"SELECT COUNT(*) FROM {index_name(node.shard, 'delta')}")
            assert cur.fetchall()[0][0] == 0
        ids = shard_ids(node)
        assert gone not in ids and ids.count(changed) == (1 if node.shard == cluster.layout.shard_of(changed) else 0)
    with searcher(cluster) as s:
        assert [h.id for h in s.search("zanzibarite").hits] == [changed]


def test_killing_one_replica_of_each_shard_keeps_results_complete(cluster):
    with searcher(cluster) as s:
        before = {q: s.search(q) for q in QUERIES}
        daemons.kill(cluster.layout.shards[0][0], cluster.paths)
        daemons.kill(cluster.layout.shards[1][1], cluster.paths)
        for query in QUERIES:
            after = s.search(query)
            assert after.missing_shards == () and not after.notes
            assert (after.total, [h.id for h in after.hits]) == (before[query].total, [h.id for h in before[query].hits])


def test_killing_a_whole_shard_marks_results_partial_and_names_it(cluster):
    with searcher(cluster) as s:
        complete = s.search("heart attack")
        for node in cluster.layout.shards[0]:
            daemons.kill(node, cluster.paths)
        partial = s.search("heart attack")
    assert partial.missing_shards == (0,)
    assert any("shard 0 of 2" in note for note in partial.notes)
    assert 0 < partial.total < complete.total
    assert all(cluster.layout.shard_of(h.id) == 1 for h in partial.hits)
    runner = CliRunner()
    shown = runner.invoke(cli, ["--data-dir", str(cluster.data_dir), "--json",
                                "search", "--backend", "cluster", "heart attack"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["missing_shards"] == [0]
    status = runner.invoke(cli, ["--data-dir", str(cluster.data_dir), "cluster", "status"])
    assert status.exit_code == 1 and status.output.count("DOWN") == 2


def test_a_rebuild_under_query_load_fails_no_query(cluster):
    results: list[object] = []
    started, done = threading.Event(), threading.Event()

    def load() -> None:
        with searcher(cluster) as s:
            while not done.is_set():
                try:
                    results.append(s.search("heart attack").total)
                except Exception as exc:  # any failure is counted, none may happen
                    results.append(exc)
                started.set()

    worker = threading.Thread(target=load)
    worker.start()
    try:
        started.wait(30)
        with Store.open(str(cluster.data_dir), readonly=True) as store:
            for _ in range(2):
                report = build(cluster.layout, cluster.paths, store)
                assert len(report.rotated) == 4
    finally:
        done.set()
        worker.join(60)
    assert len(results) > 1 and len(set(results)) == 1 and isinstance(results[0], int), results[:5]
