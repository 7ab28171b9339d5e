"""A worker follows the index: new generations and commits are picked up without a restart,
and a request that fails in an unforeseen way leaves the worker serving."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import time

import httpx

from healthqa.index.writer import rebuild, sync
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store
from healthqa.search.searcher import Searcher
from healthqa.serve.live import LiveIndex


def _add(data, question: str, answer: str) -> None:
    with Store.open(str(data)) as store:
        with store.transaction():
            store.put(QAPage(id=f"added/{question[:10]}", source="test", format="text", question=question,
                             answers=(Answer(answer),), origin="test"))
        sync(str(data), store)


def test_a_reindex_and_a_sync_are_picked_up_without_a_restart(writable):
    with writable() as (client, data):
        first = client.get("/v1/health").json()["generation"]
        _add(data, "Can zinc lozenges shorten a cold?", "Zinc lozenges may shorten a cold by a day.")
        assert client.get("/v1/search", params={"q": "zinc lozenges"}).json()["total"] == 1
        with Store.open(str(data)) as store:
            rebuild(str(data), store)
        health = client.get("/v1/health").json()
        assert health["generation"] != first and health["documents"] == 25
        assert client.get("/v1/search", params={"q": "zinc lozenges"}).json()["total"] == 1
        assert client.get("/v1/related/heart-attack-signs").status_code == 200


def test_a_commit_is_picked_up_after_the_index_had_long_been_unchanged(tmp_path, corpus_dir):
    # A worker that finds the index unchanged for a while answers from the folder's status;
    # a sync that commits into the same generation must still be seen by the next request.
    data = tmp_path / "data"
    shutil.copytree(corpus_dir, data, symlinks=True)
    live = LiveIndex(str(data))
    try:
        first = live.get()
        long_ago = time.time() - 60
        os.utime(first.searcher.generation, (long_ago, long_ago))
        assert live.get() is first and live.get() is first
        _add(data, "Can zinc lozenges shorten a cold?", "Zinc lozenges may shorten a cold by a day.")
        second = live.get()
        assert second is not first
        assert second.searcher.search("zinc lozenges").total == 1
    finally:
        live.close()


def test_a_warmed_index_has_its_search_tables_ready_before_the_first_request(tmp_path, corpus_dir):
    # The server warms the index as it starts: the tables a search builds on first use
    # (ranking, question understanding, facet values) are ready when the first request comes.
    live = LiveIndex(str(corpus_dir))
    try:
        opened = live.get()
        built = ("ranker", "question_reader", "values")
        assert not any(name in vars(opened.searcher) for name in built)
        opened.warm()
        assert all(name in vars(opened.searcher) for name in built)
    finally:
        live.close()


def test_remembered_results_are_dropped_when_the_index_changes(writable):
    params = {"q": "zinc lozenges cold"}
    with writable(search_cache=10) as (client, data):
        before = client.get("/v1/search", params=params).json()
        assert client.get("/v1/search", params=params).json() == before  # the second comes from the cache
        assert "added/Can zinc l" not in [hit["id"] for hit in before["hits"]]
        _add(data, "Can zinc lozenges shorten a cold?", "Zinc lozenges may shorten a cold by a day.")
        after = client.get("/v1/search", params=params).json()
        assert after["hits"][0]["id"] == "added/Can zinc l" and after["total"] == before["total"] + 1


def test_searches_go_on_while_a_reindex_runs_in_another_process(writable):
    code = ("import sys; from healthqa.ingest.store import Store; from healthqa.index.writer import rebuild\n"
            "for _ in range(3):\n"
            "    with Store.open(sys.argv[1]) as store: rebuild(sys.argv[1], store)\n")
    with writable() as (client, data):
        writer = subprocess.Popen([sys.executable, "-c", code, str(data)])
        statuses = []
        while writer.poll() is None or not statuses:
            statuses.append(client.get("/v1/search", params={"q": "heart attack"}).status_code)
        assert writer.wait() == 0
        assert set(statuses) == {200}
        assert client.get("/v1/search", params={"q": "heart attack"}).json()["total"] >= 5


def test_an_unforeseen_failure_is_a_500_and_the_next_request_works(writable, monkeypatch):
    original = Searcher.search
    calls = {"n": 0}

    def fails_once(self, text, *args, **kwargs):  # the first request's search (not the warm-up's)
        calls["n"] += text == "asthma"
        if text == "asthma" and calls["n"] == 1:
            raise RuntimeError("simulated fault")
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(Searcher, "search", fails_once)
    with writable() as (client, _data):
        failed = client.get("/v1/search", params={"q": "asthma"})
        assert failed.status_code == 500 and failed.json()["error"].startswith("internal error (RuntimeError)")
        assert "Traceback" not in failed.text and "simulated" not in failed.text
        assert client.get("/v1/search", params={"q": "asthma"}).json()["total"] >= 2


def test_with_no_index_yet_search_is_503_and_health_says_so(tmp_path):
    from healthqa.serve.settings import ServeSettings
    from tests.serve.conftest import running

    data = tmp_path / "empty"
    with running(ServeSettings(data_dir=str(data))) as url:
        health = httpx.get(f"{url}/v1/health").json()
        assert health["status"] == "no-index" and health["documents"] == 0
        missing = httpx.get(f"{url}/v1/search", params={"q": "cough"})
        assert missing.status_code == 503 and "healthqa index" in missing.json()["error"]
        no_store = httpx.get(f"{url}/v1/records/anything")
        assert no_store.status_code == 503 and "healthqa ingest" in no_store.json()["error"]
        _add(data, "Does honey soothe a cough?", "Honey can ease a cough in children over one year.")
        assert httpx.get(f"{url}/v1/search", params={"q": "honey cough"}).json()["total"] == 1


def test_a_new_index_that_cannot_be_opened_leaves_the_open_one_serving(writable):
    from healthqa.index.store import IndexMeta, new_generation, swap_in, write_meta

    with writable() as (client, data):
        before = client.get("/v1/health").json()["generation"]
        broken = new_generation(str(data))
        write_meta(broken, IndexMeta(schema_version=999))
        swap_in(str(data), broken)
        response = client.get("/v1/search", params={"q": "heart attack"})
        assert response.status_code == 200 and response.json()["total"] >= 5
        assert client.get("/v1/health").json()["generation"] == before
        with Store.open(str(data)) as store:
            rebuild(str(data), store)
        assert client.get("/v1/health").json()["generation"] not in (before, pathlib.Path(broken).name)
