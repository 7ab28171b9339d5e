"""The JSON API through a real HTTP server on 127.0.0.1: every read endpoint, its shapes
(the same as the CLI's --json) and its errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.index.schema import SCHEMA_VERSION
from tests.serve.conftest import running
from healthqa.serve.settings import ServeSettings


def _cli_json(data_dir, *args: str):
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_search_returns_what_the_cli_prints_as_json(client, corpus_dir):
    response = client.get("/v1/search", params={"q": "heart attack", "limit": 3})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == _cli_json(corpus_dir, "search", "heart attack", "--limit", "3", "--json")
    body = response.json()
    assert body["total"] >= 5 and len(body["hits"]) == 3 and body["pages"] > 1
    assert set(body["facets"]) == {"role", "topic", "source"}
    assert "<em>" in body["hits"][0]["snippet"]


def test_search_filters_pages_and_facets(client):
    body = client.get("/v1/search", params=[("q", "exercise"), ("role", "cardiology"), ("role", "Fitness"),
                                            ("limit", 2), ("page", 2)]).json()
    assert body["page"] == 2 and body["limit"] == 2
    everything = client.get("/v1/search", params=[("q", "exercise"), ("role", "Cardiology"), ("role", "Fitness"),
                                                  ("limit", 50)]).json()
    assert everything["total"] == body["total"] > 2
    assert all({"Cardiology", "Fitness"} & set(hit["roles"]) for hit in everything["hits"])
    by_topic = client.get("/v1/search", params={"q": "exercise", "topic": "diabetes"}).json()
    assert by_topic["total"] >= 1 and {h["topic"] for h in by_topic["hits"]} == {"Diabetes"}


def test_search_says_did_you_mean_and_notes(client):
    corrected = client.get("/v1/search", params={"q": "pnuemonia"}).json()
    assert corrected["suggestion"] == "pneumonia" and corrected["corrected_from"] == "pnuemonia"
    assert corrected["total"] >= 5
    noted = client.get("/v1/search", params={"q": '"heart attack'}).json()
    assert noted["notes"] and noted["total"] >= 1


def test_page_text_is_never_markup_in_the_json(client):
    response = client.get("/v1/search", params={"q": "inhaler"})
    assert response.status_code == 200
    assert "<script>" not in response.text and "\\u003c" in response.text  # inlinable in a page
    snippet = response.json()["hits"][0]["answers"][0]["snippet"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"q": "*"}, 400, "would match too much"),
    ({}, 422, "parameter q"),
    ({"q": ""}, 422, "parameter q"),
    ({"q": "cough", "limit": 0}, 422, "parameter limit"),
    ({"q": "cough", "limit": 5000}, 422, "parameter limit"),
    ({"q": "cough", "page": "two"}, 422, "parameter page"),
    ({"q": "x" * 20_000}, 422, "parameter q"),
    ({"q": "cough", "limit": "99999999999999999999"}, 422, "parameter limit"),
    ({"q": "cough", "page": -1}, 422, "parameter page"),
])
def test_bad_search_parameters_are_json_errors(client, params, status, words):
    response = client.get("/v1/search", params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == status and words in body["error"] and "Traceback" not in response.text


def test_a_search_answers_the_same_however_its_numbers_are_written(client):
    # Plain numbers are read without FastAPI's parameter solving; others by the route itself.
    plain = client.get("/v1/search", params=[("q", "heart attack"), ("limit", "3"), ("page", "2"), ("role", "Cardiology")])
    assert plain.status_code == 200 and plain.json()["limit"] == 3 and plain.json()["page"] == 2
    for limit, page in (("03", "2"), ("+3", " 2"), ("3", "002")):
        odd = client.get("/v1/search", params=[("q", "heart attack"), ("limit", limit), ("page", page),
                                               ("role", "Cardiology")])
        assert odd.status_code == 200 and odd.content == plain.content
        assert {k: v for k, v in odd.headers.items() if k != "date"} == \
            {k: v for k, v in plain.headers.items() if k != "date"}


def test_bytes_that_are_not_text_in_a_query_are_read_safely(client):
    for raw in ("/v1/search?q=%ff%fe%00heart", "/v1/search?q=heart&role=%ff&topic=%00", "/v1/search?q=%zz"):
        response = client.get(raw)
        assert response.status_code == 200 and response.json()["hits"] is not None


def test_related_for_a_page_is_the_cli_shape(client, corpus_dir):
    response = client.get("/v1/related/heart-attack-signs", params={"k": 3})
    assert response.status_code == 200
    assert response.json() == _cli_json(corpus_dir, "related", "heart-attack-signs", "-k", "3", "--json")
    ids = [s["id"] for s in response.json()]
    assert len(ids) == 3 and "heart-attack-signs" not in ids


def test_related_for_free_text(client):
    found = client.get("/v1/related", params={"q": "my father had a heart attack, can he exercise?", "k": 2}).json()
    assert len(found) == 2 and all(s["reasons"] for s in found)
    assert "heart-attack-recovery" in [s["id"] for s in found]


def test_related_widget_is_an_escaped_fragment(client):
    response = client.get("/v1/related/asthma-exercise/widget", params={"k": 5})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert html.startswith('<aside class="healthqa-related"') and "<html" not in html
    assert "<script" not in html and "\x1b" not in html
    related = client.get("/v1/related/asthma-exercise", params={"k": 5}).json()
    for suggestion in related:
        assert suggestion["question"].replace("&", "&amp;") in html


def test_related_of_an_unknown_page_is_404(client):
    for path in ("/v1/related/no-such-page", "/v1/related/no-such-page/widget"):
        response = client.get(path)
        assert response.status_code == 404 and "no-such-page" in response.json()["error"]


def test_record_is_the_stored_record(client, corpus_dir):
    response = client.get("/v1/records/back-feet")
    assert response.status_code == 200
    assert response.json() == _cli_json(corpus_dir, "records", "show", "back-feet")
    missing = client.get("/v1/records/nope")
    assert missing.status_code == 404 and missing.json() == {"status": 404, "error": "no record with id 'nope'"}


def test_health_and_stats(client, corpus_dir):
    health = client.get("/v1/health").json()
    generation = (corpus_dir / "index").resolve().name
    assert health == {"status": "ok", "generation": generation, "schema_version": SCHEMA_VERSION, "documents": 24,
                      "records": 24, "backend": "whoosh"}
    stats = client.get("/v1/stats").json()
    assert stats["documents"] == stats["records"] == 24 and stats["index_seq"] == stats["store_seq"]
    assert sum(stats["sources"].values()) == 24 and stats["roles"] >= 8 and stats["topics"] >= 8


def test_unknown_paths_and_methods_are_json_errors(client):
    assert client.get("/v1/nothing").json() == {"status": 404, "error": "no such page: /v1/nothing"}
    response = client.delete("/v1/search")
    assert response.status_code == 405 and "DELETE" in response.json()["error"]


def test_openapi_and_docs_describe_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    expected = {"/v1/search", "/v1/related", "/v1/related/{record_id}", "/v1/related/{record_id}/widget",
                "/v1/records/{record_id}", "/v1/health", "/v1/stats", "/v1/pages"}
    assert expected <= set(paths)
    docs = client.get("/docs")
    assert docs.status_code == 200
    for path in expected:
        assert path in docs.text


def test_every_response_carries_a_content_security_policy(client):
    for path in ("/", "/?q=asthma", "/records/back-feet", "/v1/health", "/v1/nothing"):
        policy = client.get(path).headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
    # Open reads can be fetched by a site's own pages (the widget, the JSON); the pages themselves not.
    assert client.get("/v1/related/back-feet/widget").headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in client.get("/?q=asthma").headers


def test_a_read_key_closes_every_read_endpoint_but_health(corpus_dir):
    import httpx

    with running(ServeSettings(data_dir=str(corpus_dir), read_key="r-key", api_key="w-key")) as url:
        with httpx.Client(base_url=url, timeout=60) as anonymous:
            for path in ("/v1/search?q=cough", "/v1/related/back-feet", "/v1/records/back-feet", "/v1/stats", "/?q=cough"):
                assert anonymous.get(path).status_code == 401
            assert anonymous.get("/v1/health").status_code == 200
            assert anonymous.get("/v1/search?q=cough", headers={"X-API-Key": "r-key"}).status_code == 200
            assert anonymous.get("/v1/search?q=cough", headers={"Authorization": "Bearer w-key"}).status_code == 200
            assert anonymous.get("/v1/search?q=cough", headers={"X-API-Key": "wrong"}).status_code == 401
            assert "access-control-allow-origin" not in anonymous.get("/v1/health").headers
