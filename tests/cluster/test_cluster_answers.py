"""Answers, expert signals, did-you-mean and the batch related table through the cluster
(real searchd: 2 shards x 2 replicas + a head), each compared with the Whoosh index."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil
from typing import Iterator

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.index.cluster.build import sync as cluster_sync
from healthqa.index.writer import sync
from healthqa.ingest.store import Store
from healthqa.search.cluster import ClusterSearcher
from healthqa.search.searcher import Filters, Searcher
from healthqa.search.settings import AnswerSettings, SearchSettings
from tests.cluster.cluster_fixtures import Running, corpus_dir, running  # noqa: F401  (fixtures; skip without searchd)

NO_SIGNALS = SearchSettings(answers=AnswerSettings(accepted_weight=0.0, votes_weight=0.0))


@pytest.fixture(scope="module")
def signalled(tmp_path_factory: pytest.TempPathFactory, corpus_dir: pathlib.Path) -> Iterator[Running]:  # noqa: F811
    """The real corpus with each forum page's second answer accepted and voted (the real pages
    carry no such signals), its Whoosh index synced, and a cluster built from it."""
    corpus = tmp_path_factory.mktemp("signalled") / "data"
    shutil.copytree(corpus_dir, corpus)
    with Store.open(str(corpus)) as store:
        with store.transaction():
            for page in [p for p in store.pages() if len(p.answers) > 1]:
                answers = list(page.answers)
                answers[1] = dataclasses.replace(answers[1], accepted=True, votes=50)
                store.put(dataclasses.replace(page, answers=tuple(answers), content_hash=""))
        sync(str(corpus), store)
    with running(tmp_path_factory.mktemp("signalled-cluster") / "data", corpus) as started:
        yield started


def test_search_answers_lists_the_answers_the_whoosh_index_lists(signalled):
    data = str(signalled.data_dir)
    overlaps = []
    with Searcher(data) as whoosh, ClusterSearcher(data, signalled.paths.root) as cluster:
        for query in ("heart attack", "foot pain exercise", "asthma inhaler", "knee pain running", "diabetes diet"):
            theirs = [(a.id, a.role, a.author) for a in whoosh.search_answers(query).answers]
            ours = cluster.search_answers(query)
            assert ours.answers[0].id == whoosh.search_answers(query).answers[0].id, query
            overlaps.append(len(set(theirs) & {(a.id, a.role, a.author) for a in ours.answers}) / len(theirs))
        physio = cluster.search_answers("foot pain", Filters(roles=("physical therapy",)))
        listed = [(a.id, a.role) for a in cluster.search_answers("foot pain exercise").answers]
    assert sum(overlaps) / len(overlaps) >= 0.7, overlaps
    assert physio.answers and {a.role for a in physio.answers} == {"Physical Therapy"}
    shown = CliRunner().invoke(cli, ["--data-dir", data, "--json", "search", "--answers", "--backend", "cluster",
                                     "foot pain exercise"])
    assert shown.exit_code == 0, shown.output
    assert [(a["id"], a["role"]) for a in json.loads(shown.stdout)["answers"]] == listed


def _scores(searcher, query: str) -> dict[str, float]:
    return {h.id: h.score for h in searcher.search(query, limit=50).hits}


def test_expert_signals_raise_pages_by_the_factor_the_whoosh_index_gives(signalled):
    data = str(signalled.data_dir)
    raised = 0
    with Searcher(data) as w, Searcher(data, NO_SIGNALS) as w0, \
            ClusterSearcher(data, signalled.paths.root) as c, ClusterSearcher(data, signalled.paths.root, NO_SIGNALS) as c0:
        for query in ("foot pain exercise", "back pain", "asthma inhaler"):
            whoosh, whoosh0, ours, ours0 = (_scores(s, query) for s in (w, w0, c, c0))
            for page in set(whoosh) & set(ours) & set(whoosh0) & set(ours0):
                factor = ours[page] / ours0[page]
                assert factor == pytest.approx(whoosh[page] / whoosh0[page], rel=1e-3), (query, page)
                raised += factor > 1.5
    assert raised >= 3


def test_did_you_mean_and_corrections_match_the_whoosh_index(signalled):
    data = str(signalled.data_dir)
    with Searcher(data) as whoosh, ClusterSearcher(data, signalled.paths.root) as cluster:
        for query in ("heart atack", "diabetis", "asthma inhailer", "statins and grapefruit"):
            theirs, ours = whoosh.search(query), cluster.search(query)
            assert (ours.suggestion, ours.corrected_from, ours.searched, ours.notes) == \
                   (theirs.suggestion, theirs.corrected_from, theirs.searched, theirs.notes), query
            assert ours.total == theirs.total > 0, query
            assert cluster.understand(query).focus == whoosh.understand(query).focus, query
    assert (theirs.suggestion, ours.suggestion) == (None, None)  # real words are never corrected


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, corpus_dir: pathlib.Path) -> Iterator[Running]:  # noqa: F811
    """A cluster over 60 of the corpus's records (relating every page through the head takes a
    few queries a page)."""
    corpus = tmp_path_factory.mktemp("small") / "data"
    shutil.copytree(corpus_dir, corpus)
    with Store.open(str(corpus)) as store:
        with store.transaction():
            store.delete(store.ids()[60:])
    with running(tmp_path_factory.mktemp("small-cluster") / "data", corpus) as started:
        yield started


def read_lines(path: str) -> dict[str, dict]:
    with open(path, encoding="utf-8") as handle:
        return {line["id"]: line for line in map(json.loads, handle)}


def test_related_all_stale_and_update_through_the_cluster(small, tmp_path: pathlib.Path):
    data, out = str(small.data_dir), str(tmp_path / "related.jsonl")
    runner = CliRunner()

    def related(*args: str):
        done = runner.invoke(cli, ["--data-dir", data, "--json", "related", "--backend", "cluster", *args])
        assert done.exit_code == 0, done.output
        return json.loads(done.stdout)

    assert related("--all", "--out", out, "--workers", "1")["pages"] == 60
    lines = read_lines(out)
    with Store.open(data) as store:
        ids = store.ids()
        assert sorted(lines) == ids and all(line["related"] for line in lines.values())
        changed = store.get(ids[0])
        with store.transaction():
            store.put(dataclasses.replace(changed, question=changed.question + " zanzibarite", content_hash=""))
        behind = runner.invoke(cli, ["--data-dir", data, "related", "--backend", "cluster", "--update", out])
        assert behind.exit_code == 1 and "run 'healthqa cluster sync' first" in behind.output
        cluster_sync(small.layout, small.paths, store)
    assert ids[0] in related("--stale", out)["stale"]
    report = related("--update", out, "--workers", "1")
    assert ids[0] in report["stale"] and not report["new"] and not report["gone"]
    after = read_lines(out)
    assert after[ids[0]]["question"].endswith("zanzibarite") and sorted(after) == ids
    assert related("--stale", out)["stale"] == []
