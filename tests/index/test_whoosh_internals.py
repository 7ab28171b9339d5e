"""The read side of the Whoosh internals, checked against Whoosh's own reader and BM25F.

``test_bulk.py`` proves the bulk writer makes what Whoosh's writer makes. These tests prove
the other half: the numpy scorer's postings, field lengths and scores equal what Whoosh's
public reader and its own BM25F matchers give, on the real test corpus, in an index with
two segments and deleted documents. Each runs twice: with the installed Whoosh (the fast
road through :mod:`healthqa.index.whoosh_internals`) and with a pretend other version
(Whoosh's own readers and writer); the results must not change.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import itertools
import logging
import math
import pathlib
from typing import Iterator

import numpy as np
import pytest
import whoosh
from whoosh import query as wq
from whoosh.scoring import BM25F

from healthqa.index import whoosh_internals
from healthqa.index.schema import TEXT_FIELDS, build_schema
from healthqa.index.writer import rebuild
from healthqa.ingest.store import Store
from healthqa.search.engine import Postings, Scorer, WeightedTerm
from healthqa.search.searcher import Searcher
from healthqa.search.settings import RankingSettings
from tests.index.real_corpus import build

REPO = pathlib.Path(__file__).resolve().parents[2]
PRETEND = (2, 8, 0)


@contextlib.contextmanager
def pretend_other_whoosh(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whoosh says it is another version: the internals module is imported again under it."""
    monkeypatch.setattr(whoosh, "__version__", PRETEND)
    try:
        with caplog.at_level(logging.WARNING, logger="healthqa"):
            importlib.reload(whoosh_internals)
        said = [r.getMessage() for r in caplog.records if r.name == "healthqa"]
        assert len(said) == 1 and "whoosh-reloaded 2.8.0 is installed" in said[0]
        assert not whoosh_internals.enabled()
        # The fast road must not be taken: its private readers and writers fail if they are.
        for name in ("_read_blocks", "_decode_blocks", "_length_bytes", "write_postings", "write_field_lengths", "encode_postings"):
            monkeypatch.setattr(whoosh_internals, name, _never)
        yield
    finally:
        monkeypatch.undo()
        importlib.reload(whoosh_internals)
    assert whoosh_internals.enabled()


@pytest.fixture(params=["installed", "pretend"])
def version(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
            caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    """The installed Whoosh, or a pretend other version."""
    if request.param == "installed":
        assert whoosh_internals.enabled()
        yield request.param
        return
    with pretend_other_whoosh(monkeypatch, caplog):
        yield request.param


def _never(*args: object, **kwargs: object) -> None:
    raise AssertionError("a Whoosh internal was used under another Whoosh version")


@pytest.fixture(scope="module")
def two_segments(tmp_path_factory: pytest.TempPathFactory, documents: list[dict[str, object]]):
    """The corpus bulk-written as one segment, then a tenth of it updated through Whoosh's
    writer: a second segment, and deleted documents in the first."""
    ix = build(tmp_path_factory.mktemp("two-segments"), build_schema(), documents, use_bulk=True)
    writer = ix.writer()
    for fields in documents[::10]:
        writer.update_document(**dict(fields, question=f"{fields['question']} (updated)"))
    writer.commit(merge=False)
    with ix.reader() as reader:
        assert len(list(reader.leaf_readers())) == 2 and reader.has_deletions()
    return ix


def _queries(documents: list[dict[str, object]]) -> list[str]:
    """Real questions: two LiveQA consumer questions and questions of the corpus's pages."""
    lines = (REPO / "tests" / "search" / "data" / "liveqa-queries.tsv").read_text(encoding="utf-8").splitlines()[1:]
    consumer = [" ".join(line.split("\t")[1:3]) for line in lines]
    return consumer + [str(d["question"]) for d in documents[::37]]


def test_postings_and_lengths_equal_whooshs_reader(version: str, two_segments) -> None:
    with two_segments.reader() as reader:
        postings = Postings(reader)
        live = postings.live
        assert int(live.sum()) == reader.doc_count()
        checked = 0
        for field in [name for name, field in reader.schema.items() if field.indexed]:
            expected_lengths = [reader.doc_field_length(d, field) or 0 for d in range(reader.doc_count_all())]
            assert postings.lengths(field).tolist() == expected_lengths, field
            # Every term on the fast road; on the public road (the reference's own reader) a sample.
            for btext in itertools.islice(reader.lexicon(field), 0, None, 1 if version == "installed" else 9):
                text = btext.decode("utf-8")
                posting = postings.get(field, text)
                ids, weights = _whoosh_postings(reader, field, text)
                kept = live[posting.docs]
                assert posting.docs[kept].tolist() == ids, (field, text)
                assert posting.freqs[kept].tolist() == weights, (field, text)
                assert posting.doc_frequency == reader.doc_frequency(field, text), (field, text)
                assert postings.doc_frequency(field, text) == reader.doc_frequency(field, text), (field, text)
                checked += 1
            assert postings.lexicon(field) == list(reader.lexicon(field)), field
            absent = "zzq" + field  # a term no field holds: no postings, in any segment
            assert not len(postings.get(field, absent).docs) and postings.doc_frequency(field, absent) == 0
        assert checked > (9_000 if version == "installed" else 1_000)  # a real corpus


def test_stored_fields_equal_whooshs_reader(version: str, two_segments) -> None:
    with two_segments.reader() as reader:
        stored = whoosh_internals.StoredFields(reader)
        for docnum in range(reader.doc_count_all()):  # both segments, deleted documents too
            assert stored(docnum) == reader.stored_fields(docnum), docnum


def _whoosh_postings(reader, field: str, text: str) -> tuple[list[int], list[float]]:
    ids, weights = [], []
    matcher = reader.postings(field, text)
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


class _SameStatistics(BM25F):
    """Whoosh's BM25F with the two statistics healthqa chooses differently: the idf
    ``log(1 + (N - df + 0.5) / (df + 0.5))`` and the average of the one-byte field lengths of
    live documents. Postings, term weights, field lengths and the sum over fields with their
    boosts are all Whoosh's."""

    def __init__(self, averages: dict[str, float], **kwargs: float):
        super().__init__(**kwargs)
        self._averages = averages

    def idf(self, searcher, fieldname, text):
        n, df = searcher.doc_count_all(), searcher.doc_frequency(fieldname, text)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf)
        scorer.avgfl = self._averages[fieldname]
        return scorer


def test_scores_equal_whooshs_bm25f(version: str, two_segments, documents: list[dict[str, object]]) -> None:
    settings = RankingSettings(or_bonus=0.0)
    analyzer = two_segments.schema["question"].analyzer
    compared = 0
    with two_segments.reader() as reader:
        postings = Postings(reader)
        scorer = Scorer(postings, settings)
        averages = {field: postings.average_length(field) for field in TEXT_FIELDS}
        weighting = _SameStatistics(averages, B=settings.b, K1=settings.k1)
        with two_segments.searcher(weighting=weighting) as searcher:
            for question in _queries(documents):
                words = list(dict.fromkeys(token.text for token in analyzer(question)))
                terms = [WeightedTerm(field, word, weight, word) for word in words
                         for field, weight in settings.weights.items()]
                ours = scorer.score(terms)
                query = wq.Or([wq.Term(t.field, t.text, boost=t.weight) for t in terms])
                theirs = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
                assert set(np.flatnonzero(ours).tolist()) == set(theirs), question
                for docnum, score in theirs.items():
                    assert ours[docnum] == pytest.approx(score, rel=1e-5), (question, docnum)
                compared += len(theirs)
    assert compared > 1_000


def test_another_whoosh_version_builds_and_searches_the_same(real_store: pathlib.Path, tmp_path: pathlib.Path,
                                                            documents: list[dict[str, object]],
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    queries = _queries(documents) + ['"high blood pressure"', "diab* -insulin", "topic:asthma", "pnuemonia~"]

    def build_and_search(data_dir: pathlib.Path) -> tuple[dict[str, object], list[list[tuple[str, float]]]]:
        with Store.open(str(real_store), readonly=True) as store:
            report = rebuild(str(data_dir), store)
        with Searcher(str(data_dir)) as searcher:
            found = [[(hit.id, round(hit.score, 3)) for hit in searcher.search(q, limit=10).hits] for q in queries]
        return report.documents, found

    fast = build_and_search(tmp_path / "fast")
    with pretend_other_whoosh(monkeypatch, caplog):
        slow = build_and_search(tmp_path / "slow")
    assert slow == fast
    assert fast[0] > 800 and sum(map(len, fast[1])) > 100  # the real corpus, and most queries find pages


# Private names of other libraries that are their documented API.
_PUBLIC_PRIVATES = {"os._exit", "etree._Element"}


def test_no_other_module_touches_private_internals() -> None:
    """Only :mod:`healthqa.index.whoosh_internals` reaches below Whoosh's public API: no other
    module imports a private Whoosh name or uses a private attribute of an object not its own."""
    found = []
    for folder in ("healthqa", "index", "search", "ingest"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if path.name == "whoosh_internals.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
                    found += [f"{path.name}:{node.lineno} {a.name}" for a in node.names if a.name.startswith("_")]
                elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                    owner = node.value.id if isinstance(node.value, ast.Name) else None
                    if owner not in ("self", "cls") and ast.unparse(node) not in _PUBLIC_PRIVATES:
                        found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    assert found == []
