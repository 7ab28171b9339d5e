"""POST /v1/pages: pages sent by a scraper are ingested and indexed as 'healthqa ingest' does,
with the write key, the ingest and index locks, and hostile bodies refused cleanly."""

from __future__ import annotations

import base64
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import INGEST_DATA
from tests.serve.conftest import running
from healthqa.serve.settings import ServeSettings

SEED = (INGEST_DATA / "text" / "sharecare_back-pain_foot-problems.txt").read_bytes()
FORUM = (INGEST_DATA / "html" / "medhelp_heart-rhythm-tikosyn-1640925.html").read_bytes()
ARTICLE = (INGEST_DATA / "html" / "healthline_how-to-overcome-binge-eating.html").read_bytes()
SEED_URL = "https://www.example.org/health/foot-problems-back-pain"


def test_a_raw_page_is_ingested_indexed_and_searchable_at_once(writable):
    with writable() as (client, _data):
        before = client.get("/v1/health").json()
        response = client.post("/v1/pages", params={"url": SEED_URL}, content=SEED,
                               headers={"Content-Type": "text/plain"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["new"] == 1 and body["rejected"] == [] and body["documents"] == 25
        assert body["records"] == [{"page": 0, "id": SEED_URL, "change": "new"}]
        # The same worker, no restart: the next search sees the new page.
        hits = client.get("/v1/search", params={"q": "pronated foot ilium"}).json()["hits"]
        assert hits[0]["id"] == SEED_URL and hits[0]["url"] == SEED_URL
        assert client.get("/v1/health").json()["documents"] == before["documents"] + 1
        record = client.get(f"/v1/records/{SEED_URL}").json()
        assert record["answers"][0]["role"] == "Physical Therapy"
        again = client.post("/v1/pages", params={"url": SEED_URL}, content=SEED).json()
        assert again["unchanged"] == 1 and again["new"] == 0


def test_a_batch_reports_records_and_rejects_and_the_rest_goes_on(writable):
    pages = [{"content_base64": base64.b64encode(FORUM).decode()},
             {"content": ARTICLE.decode("utf-8"), "url": "https://example.org/article"},
             {"content": ""},
             {"content_base64": base64.b64encode(b"\x00\x01\x02binary" * 50).decode()}]
    with writable() as (client, _data):
        response = client.post("/v1/pages", json={"pages": pages})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["pages"] == 4 and body["new"] == 1 and [r["page"] for r in body["records"]] == [0]
        reasons = {r["page"]: r["reason"] for r in body["rejected"]}
        assert set(reasons) == {1, 2, 3}
        assert "not a Q&A page" in reasons[1] and "empty" in reasons[2] and "binary" in reasons[3]
        forum_id = body["records"][0]["id"]
        assert client.get(f"/v1/records/{forum_id}").json()["question"]
        assert client.get("/v1/search", params={"q": "tikosyn"}).json()["total"] >= 1


@pytest.mark.parametrize(("body", "words"), [
    (b"{not json", "JSON body"),
    (b'{"pages": []}', "the list is empty"),
    (b'{"pages": [{"url": "https://example.org/x"}]}', "exactly one of content and content_base64"),
    (b'{"pages": [{"content_base64": "***"}]}', "not valid base64"),
    (b'{"pages": [{"content": "x", "url": "javascript:alert(1)"}]}', "not an http(s) URL"),
    (b'{"pages": "everything"}', "JSON body: pages"),
])
def test_bad_batches_are_422_and_store_nothing(writable, body, words):
    with writable() as (client, _data):
        response = client.post("/v1/pages", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 422 and words in response.json()["error"]
        assert client.get("/v1/health").json()["records"] == 24


def test_writes_need_the_api_key(writable, corpus_dir):
    with writable() as (client, _data):
        for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"},
                        {"Authorization": "", "X-API-Key": "wrong"}):
            response = client.post("/v1/pages", content=SEED, headers=headers)
            assert response.status_code == 401 and "API key" in response.json()["error"]
        assert client.post("/v1/pages", content=SEED, headers={"Authorization": "", "X-API-Key": "test-write-key"}
                           ).status_code == 200
    with running(ServeSettings(data_dir=str(corpus_dir))) as url:
        refused = httpx.post(f"{url}/v1/pages", content=SEED, headers={"Authorization": "Bearer anything"})
        assert refused.status_code == 401 and "HEALTHQA_API_KEY" in refused.json()["error"]


def test_oversized_bodies_are_413(writable):
    with writable(max_body_bytes=2048) as (client, _data):
        declared = client.post("/v1/pages", content=SEED)  # the seed page is 2,626 bytes
        assert declared.status_code == 413 and "over the limit of 2,048 bytes" in declared.json()["error"]
        streamed = client.post("/v1/pages", content=iter([SEED[:1500], SEED[1500:]]))  # chunked: no length
        assert streamed.status_code == 413
        assert client.get("/v1/health").json()["records"] == 24


def test_a_client_too_slow_to_send_its_body_gets_408(writable):
    with writable(body_seconds=0.3) as (client, _data):
        address = urlsplit(str(client.base_url))
        with socket.create_connection((address.hostname, address.port), timeout=60) as conn:
            conn.sendall(b"POST /v1/pages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-write-key\r\n"
                         b"Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\nonly part of it")
            reply = _read_response(conn)
        assert reply.startswith("HTTP/1.1 408") and "took longer than 0.3 s" in reply
        assert client.get("/v1/health").json()["records"] == 24


def _read_response(conn: socket.socket) -> str:
    """One whole HTTP response (headers and a body of Content-Length bytes) from ``conn``."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += conn.recv(65536)
    return (head + b"\r\n\r\n" + body).decode()


def test_a_running_ingest_makes_it_503_not_a_hang(writable, lock_held_elsewhere):
    with writable(lock_wait=0) as (client, data):
        with lock_held_elsewhere(data / "ingest.lock"):
            busy = client.post("/v1/pages", content=SEED)
        assert busy.status_code == 503 and "another healthqa ingest is running" in busy.json()["error"]
        with lock_held_elsewhere(data / "index.lock"):
            stored = client.post("/v1/pages", content=SEED)
        assert stored.status_code == 503 and "stored but not indexed" in stored.json()["error"]
        assert client.get("/v1/health").json()["records"] == 25  # stored, as the message says
        assert client.post("/v1/pages", content=FORUM).status_code == 200  # the next push indexes both
        assert client.get("/v1/health").json()["documents"] == 26


def test_the_first_push_into_an_empty_data_dir_builds_the_index(tmp_path):
    with running(ServeSettings(data_dir=str(tmp_path / "new"), api_key="k")) as url:
        with httpx.Client(base_url=url, timeout=60, headers={"X-API-Key": "k"}) as client:
            assert client.get("/v1/search", params={"q": "foot"}).status_code == 503
            assert client.post("/v1/pages", content=SEED).json()["documents"] == 1
            assert client.get("/v1/search", params={"q": "foot"}).json()["total"] == 1
            assert client.get("/v1/health").json()["status"] == "ok"
