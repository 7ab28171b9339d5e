"""Related questions and the HTTP API through the cluster backend (real searchd: 2 shards x 2 replicas + a head).

One cluster serves the whole module; the last test kills a shard and starts it again.
"""

from __future__ import annotations

import json
import random

import httpx
from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.index.cluster import daemons
from healthqa.ingest.normalise import question_key
from healthqa.ingest.store import Store
from healthqa.search.backend import open_searcher, related_finder
from healthqa.serve.settings import ServeSettings
from tests.cluster.cluster_fixtures import corpus_dir, module_cluster  # noqa: F401  (fixtures; skip without searchd)
from tests.serve.conftest import running

QUESTIONS = ("my father had a heart attack, can he exercise?", "is glaucoma hereditary", "diabetes diet for children",
             "how is pneumonia treated", "back pain when standing", "can asthma be cured",
             "side effects of chemotherapy")


def sample_ids(data_dir, count: int = 20) -> list[str]:
    with Store.open(str(data_dir), readonly=True) as store:
        return random.Random(1).sample(store.ids(), count)


def both(data_dir):
    return open_searcher(str(data_dir), "whoosh"), open_searcher(str(data_dir), "cluster")


def cli_json(data_dir, *args: str):
    shown = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "--json", *args])
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.stdout)


def test_related_by_id_through_the_cluster_overlaps_the_whoosh_path(module_cluster):
    whoosh, cluster = both(module_cluster.data_dir)
    with whoosh, cluster:
        ours, theirs = related_finder(cluster), related_finder(whoosh)
        shared = []
        for record_id in sample_ids(module_cluster.data_dir):
            found = ours.for_id(record_id, 5)
            expected = {s.id for s in theirs.for_id(record_id, 5)}
            assert len(found) == 5 and record_id not in {s.id for s in found}
            assert len({question_key(s.question) for s in found}) == 5  # no duplicate questions
            shared.append(len(expected & {s.id for s in found}))
        assert ours.missing_shards == ()
    # Measured: 2.8 of 5 in common on average, never none (the engine weighs every key word alike).
    assert min(shared) >= 1 and sum(shared) / len(shared) >= 2.5, shared


def test_related_for_free_text_through_the_cluster_overlaps_the_whoosh_path(module_cluster):
    whoosh, cluster = both(module_cluster.data_dir)
    with whoosh, cluster:
        ours, theirs = related_finder(cluster), related_finder(whoosh)
        shared = [len({s.id for s in ours.for_question(q, 5)} & {s.id for s in theirs.for_question(q, 5)})
                  for q in QUESTIONS]
    assert min(shared) >= 2 and sum(shared) / len(shared) >= 3, shared


def test_related_command_takes_the_backend(module_cluster):
    data = module_cluster.data_dir
    record_id = sample_ids(data, 1)[0]
    shown = cli_json(data, "related", "--backend", "cluster", record_id)
    with open_searcher(str(data), "cluster") as cluster:
        assert shown == [s.to_dict() for s in related_finder(cluster).for_id(record_id, 5)]
    assert cli_json(data, "related", "--backend", "cluster", "--question", "is glaucoma hereditary")


def test_the_api_searches_and_relates_through_the_cluster_and_reports_its_nodes(module_cluster):
    data = module_cluster.data_dir
    record_id = sample_ids(data, 1)[0]
    with running(ServeSettings(data_dir=str(data), backend="cluster")) as url, httpx.Client(base_url=url, timeout=60) as client:
        found = client.get("/v1/search", params={"q": "heart attack", "limit": 5}).json()
        assert found == cli_json(data, "search", "--backend", "cluster", "--limit", "5", "heart attack")
        assert found["missing_shards"] == [] and len(found["hits"]) == 5
        related = client.get(f"/v1/related/{record_id}")
        assert related.json() == cli_json(data, "related", "--backend", "cluster", record_id)
        assert "x-missing-shards" not in related.headers
        asked = client.get("/v1/related", params={"q": "how is pneumonia treated"}).json()
        assert asked == cli_json(data, "related", "--backend", "cluster", "--question", "how is pneumonia treated")
        health = client.get("/v1/health").json()
        assert (health["status"], health["backend"], health["missing_shards"]) == ("ok", "cluster", [])
        assert len(health["nodes"]) == 5 and all(n["up"] for n in health["nodes"])
        stats = client.get("/v1/stats").json()
        assert stats["documents"] == stats["records"] == health["records"] == sum(stats["sources"].values())
        page = client.get("/", params={"q": "heart attack"})
        assert page.status_code == 200 and found["hits"][0]["question"] in page.text
        assert "partial results" not in page.text


def test_a_dead_shard_is_named_in_the_api(module_cluster):
    data, layout = module_cluster.data_dir, module_cluster.layout
    with running(ServeSettings(data_dir=str(data), backend="cluster")) as url, httpx.Client(base_url=url, timeout=60) as client:
        # Another page size than below: a worker serves a search it remembers, complete, as it was.
        complete = client.get("/v1/search", params={"q": "heart attack", "limit": 20}).json()
        try:
            for node in layout.shards[0]:
                daemons.kill(node, module_cluster.paths)
            partial = client.get("/v1/search", params={"q": "heart attack"}).json()
            health = client.get("/v1/health").json()
            asked = client.get("/v1/related", params={"q": "my father had a heart attack, can he exercise?"})
            page = client.get("/", params={"q": "heart attack"})
        finally:
            for node in layout.shards[0]:
                daemons.start(node, module_cluster.paths)
    assert partial["missing_shards"] == [0] and 0 < partial["total"] < complete["total"]
    assert all(layout.shard_of(hit["id"]) == 1 for hit in partial["hits"])
    assert (health["status"], health["missing_shards"]) == ("partial", [0])
    assert [n["up"] for n in health["nodes"] if n["shard"] == 0] == [False, False]
    assert asked.status_code == 200 and asked.headers["x-missing-shards"] == "0"
    assert all(layout.shard_of(s["id"]) == 1 for s in asked.json())
    assert page.status_code == 200 and "partial results: shard 0 of 2" in page.text
