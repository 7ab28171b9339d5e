"""A rebuild within a memory budget: several segments, the same search results, the same crash safety.

The real test corpus (:mod:`tests.index.real_corpus`) is rebuilt once with room for one
segment and once with a budget so small that the page index and the answer index are each
written as several segments; every search and answer search of the relevance questions
must then come out the same, scores, facets and snippets included.
"""

from __future__ import annotations

import pathlib
import shutil
import signal
import subprocess
import sys
from dataclasses import replace

import pytest

from healthqa.index import answers as answer_index, bulk, writer
from healthqa.index.schema import build_schema
from healthqa.index.store import current_generation, open_index
from healthqa.index.writer import document, rebuild, sync
from healthqa.ingest.record import Answer
from healthqa.ingest.store import Store
from healthqa.search.evaluate import read_queries
from healthqa.search.searcher import Searcher

TESTS = pathlib.Path(__file__).resolve().parent.parent
QUERIES = TESTS / "search" / "data" / "relevance" / "queries.tsv"
ONE_SEGMENT_MB = 1_000_000.0


def _data_dir(real_store: pathlib.Path, where: pathlib.Path) -> pathlib.Path:
    shutil.copytree(real_store, where, symlinks=True)
    return where


def _small_budget(real_store: pathlib.Path, segments: int) -> float:
    """A budget that cuts the page index into about ``segments`` segments."""
    indexed = {name for name, field in build_schema().items() if field.indexed}
    with Store.open(str(real_store), readonly=True) as store:
        chars = sum(len(value) for page in store.pages() for name, value in document(page).items()
                    if name in indexed and isinstance(value, str))
    return bulk.BASE_MB + chars / segments * bulk.BYTES_PER_CHAR / 1_048_576


def _segments(data_dir: pathlib.Path) -> tuple[int, int]:
    generation = current_generation(str(data_dir))
    ix, _ = open_index(str(data_dir))
    with ix.reader() as pages, answer_index.open_answers(generation).reader() as answers:
        return len(list(pages.leaf_readers())), len(list(answers.leaf_readers()))


def _everything_searched(data_dir: pathlib.Path,
                         forms: tuple[str, ...] = ("paraphrase", "subject+message")) -> list[dict[str, object]]:
    seen = []
    with Searcher(str(data_dir)) as searcher:
        for form in forms:
            for query in read_queries(str(QUERIES), form):
                seen.append(searcher.search(query.text, limit=20).to_dict())
                seen.append(searcher.search_answers(query.text, limit=10).to_dict())
        seen.append(searcher.search('"blood pressure"', limit=50).to_dict())  # positions across segments
    return seen


@pytest.fixture(scope="module")
def one_segment(real_store: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    data_dir = _data_dir(real_store, tmp_path_factory.mktemp("one") / "data")
    with Store.open(str(data_dir)) as store:
        rebuild(str(data_dir), store, memory_mb=ONE_SEGMENT_MB)
    return data_dir


@pytest.fixture(scope="module")
def one_segment_seen(one_segment: pathlib.Path) -> list[dict[str, object]]:
    """What the one-segment build gives the paraphrase questions (searched once for the module)."""
    return _everything_searched(one_segment, ("paraphrase",))


def test_a_small_budget_writes_several_segments_that_search_as_one(
        real_store: pathlib.Path, one_segment: pathlib.Path, tmp_path: pathlib.Path) -> None:
    data_dir = _data_dir(real_store, tmp_path / "data")
    with Store.open(str(data_dir)) as store:
        report = rebuild(str(data_dir), store, memory_mb=_small_budget(real_store, 5))
    pages, answers = _segments(data_dir)
    assert _segments(one_segment) == (1, 1)
    assert pages >= 4 and answers >= 2, (pages, answers)
    assert report.documents == open_index(str(one_segment))[0].doc_count()
    assert _everything_searched(data_dir) == _everything_searched(one_segment)


def test_a_sync_after_a_segmented_rebuild_updates_and_deletes_in_any_segment(real_store: pathlib.Path,
                                                                              tmp_path: pathlib.Path) -> None:
    data_dir = _data_dir(real_store, tmp_path / "data")
    budget = _small_budget(real_store, 5)
    with Store.open(str(data_dir)) as store:
        rebuild(str(data_dir), store, memory_mb=budget)
        pages = list(store.pages())
        first, last = pages[0], pages[-1]  # in the first segment and in the last
        changed = replace(last, answers=(Answer("Try zyxwvut drops."),), content_hash="")
        with store.transaction():
            store.delete([first.id])
            store.put(changed)
        report = sync(str(data_dir), store, memory_mb=budget)
        count = store.count()
    assert (report.added_or_updated, report.deleted, report.documents, report.rebuilt) == (1, 1, count, False)
    with Searcher(str(data_dir)) as searcher:
        assert searcher.docnum(first.id) is None
        assert [hit.id for hit in searcher.search("zyxwvut").hits] == [last.id]
        assert [hit.id for hit in searcher.search_answers("zyxwvut").answers] == [last.id]


def _segment_sizes(data_dir: pathlib.Path) -> dict[str, int]:
    """The page index's segments: id -> documents (deleted ones included)."""
    ix, _ = open_index(str(data_dir))
    with ix.reader() as reader:
        return {leaf.segment().segment_id(): leaf.doc_count_all() for leaf, _ in reader.leaf_readers()}


def test_an_incremental_index_after_a_segmented_rebuild_rewrites_only_small_segments(
        real_store: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoosh's own merge policy would rewrite most of a rebuild's segments, a posting at a time,
    once there are enough of them; a sync merges only the smallest, up to ``MERGE_DOCS`` documents."""
    data_dir = _data_dir(real_store, tmp_path / "data")
    budget = _small_budget(real_store, 16)
    with Store.open(str(data_dir)) as store:
        rebuild(str(data_dir), store, memory_mb=budget)
        before = _segment_sizes(data_dir)
        smallest = sorted(before.values())[:2]
        monkeypatch.setattr(writer, "MERGE_DOCS", 1 + sum(smallest))  # the changed page and two segments
        page = next(iter(store.pages()))
        with store.transaction():
            store.put(replace(page, answers=(Answer("Try zyxwvut drops."),), content_hash=""))
        report = sync(str(data_dir), store, memory_mb=budget)
    after = _segment_sizes(data_dir)
    assert len(before) >= 12 and report.added_or_updated == 1 and not report.rebuilt
    rewritten = set(before) - set(after)
    assert sorted(before[segment] for segment in rewritten) == smallest
    assert len(after) == len(before) - 1
    with Searcher(str(data_dir)) as searcher:
        assert [hit.id for hit in searcher.search("zyxwvut").hits] == [page.id]
        assert searcher.search("zyxwvut").total == 1


_KILL_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
import killpoint
killpoint.arm("healthqa.index.bulk:write_documents", int(sys.argv[2]))
from healthqa.index.writer import rebuild
from healthqa.ingest.record import Answer
from healthqa.ingest.store import Store
with Store.open(sys.argv[3]) as store:
    rebuild(sys.argv[3], store, memory_mb=float(sys.argv[4]))
"""


@pytest.mark.parametrize("segment", ["page", "answer"])
def test_a_rebuild_killed_between_segments_leaves_the_previous_index_serving(
        real_store: pathlib.Path, one_segment: pathlib.Path, one_segment_seen: list, tmp_path: pathlib.Path,
        segment: str) -> None:
    data_dir = _data_dir(one_segment, tmp_path / "data")
    before = current_generation(str(data_dir))
    budget = _small_budget(real_store, 5)
    # write_documents is called once a segment: its second call comes after the first page
    # segment is committed; its call after the last page segment, after the first answer segment.
    call = 2 if segment == "page" else _page_segments(real_store, tmp_path, budget) + 2
    killed = subprocess.run([sys.executable, "-c", _KILL_SCRIPT, str(TESTS / "robustness"), str(call), str(data_dir),
                             str(budget)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert killed.returncode == -signal.SIGKILL
    assert current_generation(str(data_dir)) == before
    left = [path for path in data_dir.glob("index.*") if path.is_dir() and str(path) != before]
    assert len(left) == 1 and list(left[0].glob("*.toc"))  # a segment was committed before the kill
    assert _everything_searched(data_dir, ("paraphrase",)) == one_segment_seen
    with Store.open(str(data_dir)) as store:
        rebuild(str(data_dir), store, memory_mb=budget)
    assert not left[0].exists()  # the next write removes what the killed one left
    assert _everything_searched(data_dir, ("paraphrase",)) == one_segment_seen


def _page_segments(real_store: pathlib.Path, tmp_path: pathlib.Path, budget: float) -> int:
    data_dir = _data_dir(real_store, tmp_path / "count")
    with Store.open(str(data_dir)) as store:
        rebuild(str(data_dir), store, memory_mb=budget)
    return _segments(data_dir)[0]


def test_the_budget_decides_how_much_text_a_segment_takes() -> None:
    assert bulk.segment_chars(bulk.BASE_MB + 1) == 1_048_576 // bulk.BYTES_PER_CHAR
    assert bulk.segment_chars(1) == 1  # below the fixed cost: still a document a segment
    documents = [{"text": "a" * 10, "shown": "b" * 1000}, {"text": "c" * 10}, {"text": "d" * 10}]
    parts = [list(part) for part in bulk._parts(documents, 15, frozenset({"text"}))]
    assert parts == [documents[:2], documents[2:]]  # stored-only text does not count
