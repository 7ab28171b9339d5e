"""The HTML pages over HTTP: the search page, a record's page, the docs; no script, text escaped;
and 'healthqa serve' itself."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from html import unescape

import httpx


def _hits(html: str) -> list[str]:
    return [unescape(q) for q in re.findall(r'<a class="question" href="[^"]*">(.*?)</a>', html)]


def test_search_page_shows_results_with_roles_snippets_and_related(client):
    page = client.get("/", params={"q": "heart attack"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    api = client.get("/v1/search", params={"q": "heart attack"}).json()
    assert _hits(html) == [hit["question"] for hit in api["hits"]]  # the page shows what the API returns
    assert '<span class="role">Cardiology</span>' in html and "<em>heart</em>" in html.lower()
    assert html.count('class="also"') >= 5  # each hit's related questions
    assert "<script" not in html


def test_facet_links_filter_and_pagination_keeps_them(client):
    html = client.get("/", params={"q": "exercise", "limit": 2}).text
    link = unescape(re.search(r'href="([^"]*)" data-facet="role" data-value="Fitness"', html).group(1))
    filtered = client.get(link).text
    assert 'class="active"><a href="/?q=exercise&amp;limit=2"' in filtered  # clicking again removes it
    api = client.get("/v1/search", params={"q": "exercise", "role": "Fitness", "limit": 50}).json()
    assert re.search(rf"{api['total']} pages match", filtered)
    following = unescape(re.search(r'rel="next" href="([^"]*)"', filtered).group(1))
    assert "role=Fitness" in following and "page=2" in following
    assert _hits(client.get(following).text) == [h["question"] for h in api["hits"][2:4]]


def test_did_you_mean_and_no_results(client):
    corrected = client.get("/", params={"q": "pnuemonia"}).text
    assert 'id="correction"' in corrected and "pneumonia" in corrected
    assert 'id="none"' in client.get("/", params={"q": "zzzqqq xylophone"}).text


def test_page_text_with_script_shows_as_text(client):
    html = client.get("/", params={"q": "inhaler"}).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    record = client.get("/records/asthma-inhaler").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in record and "<script>" not in record
    assert "&lt;b&gt;helps&lt;/b&gt;" in record
    escapes = client.get("/records/asthma-exercise").text
    assert "Can exercise trigger asthma?" in escapes and "\x1b" not in escapes and "\x07" not in escapes


def test_record_page_shows_every_answer_with_its_role_and_related(client):
    html = client.get("/records/heart-attack-recovery").text
    assert "How soon can I exercise after a heart attack?" in html
    assert '<span class="role">Cardiology</span>' in html and '<span class="role">Fitness</span>' in html
    related = client.get("/v1/related/heart-attack-recovery").json()
    for suggestion in related:
        assert unescape(suggestion["question"]) in unescape(html)
    missing = client.get("/records/nope")
    assert missing.status_code == 404 and "no record with id" in missing.text


def test_bad_page_parameters_are_an_error_page_not_a_traceback(client):
    response = client.get("/", params={"q": "cough", "page": "x"})
    assert response.status_code == 422 and "parameter page" in response.text and "<html" in response.text
    star = client.get("/", params={"q": "*"})
    assert star.status_code == 400 and "would match too much" in star.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthqa_serve_starts_on_127_0_0_1_and_serves(corpus_dir):
    port = _free_port()
    env = {**os.environ, "HEALTHQA_API_KEY": ""}
    with subprocess.Popen([sys.executable, "-m", "healthqa", "--data-dir", str(corpus_dir), "serve",
                           "--port", str(port)], stderr=subprocess.PIPE, text=True, env=env) as server:
        try:
            for line in server.stderr:
                if "Uvicorn running on" in line:
                    break
            assert f"http://127.0.0.1:{port}" in line
            health = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=60).json()
            assert health["status"] == "ok" and health["documents"] == 24
        finally:
            server.terminate()
            server.communicate()


def test_healthqa_serve_with_workers_replaces_a_dead_worker_and_stops_on_sigterm(corpus_dir):
    port = _free_port()
    with subprocess.Popen([sys.executable, "-m", "healthqa", "--data-dir", str(corpus_dir), "serve",
                           "--port", str(port), "--workers", "2"], stderr=subprocess.PIPE, text=True) as server:
        try:
            lines = _until(server, "Application startup complete", 2)
            assert f"healthqa serving on http://127.0.0.1:{port} with 2 workers" in "".join(lines)
            pids = [int(p) for p in re.findall(r"Started server process \[(\d+)\]", "".join(lines))]
            assert len(pids) == 2
            os.kill(pids[0], signal.SIGKILL)
            replaced = "".join(_until(server, "Application startup complete", 1))
            assert f"(pid {pids[0]}) ended with status -9: starting another" in replaced
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                assert all(client.get("/v1/search", params={"q": "asthma"}).status_code == 200 for _ in range(6))
        finally:
            server.terminate()
            rest = server.communicate()[1]
        assert server.returncode == 0 and rest.count("Application shutdown complete") == 2


def test_healthqa_serve_spreads_keep_alive_connections_evenly_over_its_workers(corpus_dir):
    port = _free_port()
    with subprocess.Popen([sys.executable, "-m", "healthqa", "--data-dir", str(corpus_dir), "serve",
                           "--port", str(port), "--workers", "2"], stderr=subprocess.PIPE, text=True) as server:
        connections = []
        try:
            lines = _until(server, "Application startup complete", 2)
            pids = [int(p) for p in re.findall(r"Started server process \[(\d+)\]", "".join(lines))]
            for _ in range(10):  # ten keep-alive clients, as a site's connection pool would hold
                connection = socket.create_connection(("127.0.0.1", port))
                connections.append(connection)
                connection.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert connection.recv(65536).startswith(b"HTTP/1.1 200")  # answered: held by a worker
            assert sorted(_open_connections(pid, port) for pid in pids) == [5, 5]
        finally:
            for connection in connections:
                connection.close()
            server.terminate()
            server.communicate()


def _open_connections(pid: int, port: int) -> int:
    """How many established TCP connections on local ``port`` process ``pid`` holds (from /proc)."""
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(target[8:-1])
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if int(row[1].split(":")[1], 16) == port and row[3] == "01" and row[9] in held)


def _until(server: subprocess.Popen, text: str, times: int) -> list[str]:
    """Lines of the server's log up to the ``times``-th that holds ``text``."""
    lines, seen = [], 0
    for line in server.stderr:
        lines.append(line)
        seen += text in line
        if seen == times:
            break
    return lines
