"""The bulk segment writer makes the index Whoosh's own writer makes, read back field by field.

Built both ways from real records (:mod:`tests.index.real_corpus`, the ``documents`` fixture).
"""

from __future__ import annotations

import pathlib
import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.formats import Positions
from whoosh.qparser import QueryParser

from healthqa.index import blocks, bulk
from healthqa.index.schema import build_schema, role_analyzer, spelling_analyzer, text_analyzer
from healthqa.index.terms import FieldTerms, supports
from healthqa.ingest.pipeline import Options, ingest
from healthqa.ingest.store import Store
from healthqa.search.searcher import Searcher
from tests.index.real_corpus import FOLDERS, build, snapshot


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, documents: list[dict[str, object]]) -> dict[str, object]:
    """The real corpus indexed by Whoosh's writer and by the bulk writer (read only)."""
    root = tmp_path_factory.mktemp("built")
    return {kind: build(root / kind, build_schema(), documents, use_bulk=kind == "bulk") for kind in ("whoosh", "bulk")}


@pytest.fixture(scope="module")
def whoosh_built(built: dict[str, object]) -> dict[str, object]:
    """Everything a reader tells of the index Whoosh's own writer made."""
    return snapshot(built["whoosh"])


def test_bulk_segment_reads_back_as_whooshs_own(built: dict[str, object], whoosh_built: dict[str, object]) -> None:
    bulk_built = snapshot(built["bulk"])
    assert whoosh_built.keys() == bulk_built.keys()
    for key, expected in whoosh_built.items():
        assert bulk_built[key] == expected, key
    multi_block = [key for key, value in bulk_built.items() if ":" in key and len(value[-1]) > blocks.BLOCK]
    assert len(bulk_built["stored"]) > 800 and multi_block  # real size: terms over several blocks


def test_a_forked_process_encoding_some_fields_makes_the_same_index(
        tmp_path: pathlib.Path, documents: list[dict[str, object]], whoosh_built: dict[str, object],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "BATCH", 100)  # several batches: the answers go to a second process
    folder = tmp_path / "forked"
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = ix.writer()
    assert bulk.write_documents(writer, iter(documents), forked_fields=["answer", "spell"]) == len(documents)
    writer.commit()
    assert snapshot(whoosh_index.open_dir(str(folder))) == whoosh_built


def test_a_failure_in_the_forked_process_is_raised_here(tmp_path: pathlib.Path, documents: list[dict[str, object]],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "BATCH", 100)
    broken = [dict(fields, answer=12345) if n == 150 else fields for n, fields in enumerate(documents)]
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = ix.writer()
    with pytest.raises(TypeError):  # a number where text belongs, found by the process reading answers
        bulk.write_documents(writer, broken, forked_fields=["answer"])
    writer.cancel()


def test_searches_on_a_bulk_index_find_what_whoosh_finds(built: dict[str, object]) -> None:
    indexes = [built["whoosh"], built["bulk"]]
    for text in ['"heart attack"', '"high blood pressure"', "diabetes AND insulin", "role:Fitness", 'answer:"side effects"']:
        found = []
        for ix in indexes:
            with ix.searcher() as searcher:
                query = QueryParser("answer", ix.schema).parse(text)
                found.append([hit["id"] for hit in searcher.search(query, limit=None, sortedby="id")])
        assert found[0] == found[1] and found[0], text


def test_fields_whose_analyzer_is_not_reproduced_go_through_whoosh(tmp_path: pathlib.Path) -> None:
    schema = Schema(id=ID(stored=True), tags=KEYWORD(lowercase=True, commas=True, scorable=True),
                    body=TEXT(analyzer=StemmingAnalyzer(), phrase=True))
    assert not supports(schema["tags"]) and supports(schema["body"])
    documents = [{"id": str(n), "tags": f"Flu, cold{n % 3}, COUGH", "body": f"Coughing {n} nights. " * (n % 4)}
                 for n in range(300)]
    whoosh_built = snapshot(build(tmp_path / "whoosh", schema, documents, use_bulk=False))
    assert snapshot(build(tmp_path / "bulk", schema, documents, use_bulk=True)) == whoosh_built


def test_an_empty_store_builds_an_empty_index(tmp_path: pathlib.Path) -> None:
    ix = build(tmp_path, build_schema(), [], use_bulk=True)
    assert ix.doc_count() == 0


def test_bulk_writes_a_whole_new_segment(tmp_path: pathlib.Path, documents: list[dict[str, object]]) -> None:
    ix = build(tmp_path, build_schema(), documents[:5], use_bulk=True)
    writer = ix.writer()
    writer.add_document(**documents[5])
    with pytest.raises(ValueError, match="must have no documents yet"):
        bulk.write_documents(writer, documents[6:10])
    writer.cancel()


WORDS = st.sampled_from(["The", "cat's", "RUNNING", "3.5", "e.g.", "naïve", "Café", "is", "a", "I", "don't",
                         "x\u0301", "ﬁne", "İstanbul", "Straße", "über.alles", "_", "..", "—", "β-blocker", "drb1*04", "*", "wild*", "a.*b"])
TEXTS = st.one_of(st.text(max_size=80), st.lists(WORDS, max_size=30).map(" ".join))


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.one_of(st.none(), TEXTS), min_size=1, max_size=4))
def test_field_terms_are_the_analyzers_tokens_and_positions(values: list[str | None]) -> None:
    for analyzer in (text_analyzer(), spelling_analyzer(), role_analyzer()):
        field = TEXT(analyzer=analyzer, phrase=True)
        terms = FieldTerms(field)
        for value in values:
            terms.add(value)
        tokens = terms.tokens()
        got = list(zip(tokens.docs.tolist(), [tokens.vocabulary[t] for t in tokens.terms], tokens.positions.tolist()))
        expected = [(doc, t.text, t.pos) for doc, value in enumerate(values) if value is not None
                    for t in analyzer(value, positions=True, mode="index") if not t.stopped]
        assert got == expected
        assert tokens.lengths.tolist() == [sum(1 for e in expected if e[0] == doc) for doc in range(len(values))]


@settings(max_examples=100, deadline=None)
@given(positions=st.lists(st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=6, unique=True).map(sorted),
                          min_size=1, max_size=10))
def test_positions_are_encoded_as_whoosh_decodes_them(positions: list[list[int]]) -> None:
    freqs = np.array([len(p) for p in positions])
    flat = np.array([x for p in positions for x in p], dtype=np.int64)
    starts = np.cumsum(freqs) - freqs
    values = blocks.encode_positions(freqs, flat, starts)
    assert [Positions().decode_positions(v) for v in values] == positions
    assert [Positions().decode_frequency(v) for v in values] == freqs.tolist()
    assert all(pickle.loads(v[4:]) == pickle.loads(Positions().encode(p)[4:]) for v, p in zip(values, positions))


def test_a_rebuilt_index_answers_as_before(tmp_path: pathlib.Path, documents: list[dict[str, object]]) -> None:
    from healthqa.index.writer import rebuild

    data_dir = tmp_path / "data"
    with Store.open(str(tmp_path / "data")) as store:
        ingest([str(FOLDERS[0])], store, Options(workers=1))
        rebuild(str(data_dir), store)
        with Searcher(str(data_dir)) as searcher:
            results = searcher.search('"high blood pressure"')
            assert results.total > 0
            for hit in results.hits:  # a phrase needs the positions the bulk writer wrote
                page = store.get(hit.id)
                text = " ".join([page.question, *(a.text for a in page.answers)]).lower()
                assert "high blood pressure" in " ".join(text.replace("-", " ").split())
