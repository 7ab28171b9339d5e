"""The ingest pipeline end to end: folders in, records in a store, every bad file reported."""

from __future__ import annotations

import os
import pathlib
import shutil
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthqa.ingest import pipeline
from healthqa.ingest.detect import parse_document
from healthqa.ingest.errors import RejectedInput
from healthqa.ingest.pipeline import Options, Summary, ingest, read_and_parse
from healthqa.ingest.store import Store

REPO = pathlib.Path(__file__).resolve().parents[2]
SEED_ID = "back-pain/how-can-foot-problems-cause-back-pain/b46b4ddb"
SEQUENTIAL = Options(workers=1)


def small_page(n: int) -> str:
    """A short text rendering with a question of its own."""
    return (
        f"Sleep\n\nWhy do I wake up at {n} past three every night?\n\nA Answers (1)\n\n"
        f"  • A , Sleep Medicine, answered\n\n    Try going to bed {n} minutes later.\n"
    )


def write_pages(folder: pathlib.Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"page-{n:05d}.txt").write_text(small_page(n), encoding="utf-8")


@pytest.fixture
def raw(tmp_path: pathlib.Path) -> pathlib.Path:
    """A private copy of the sample pages the project ships in raw/."""
    return pathlib.Path(shutil.copytree(REPO / "raw", tmp_path / "raw"))


@pytest.fixture
def pages(tmp_path: pathlib.Path, seed_page: pathlib.Path) -> pathlib.Path:
    """A folder holding one good page, the seed, for bad files to be put beside."""
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(seed_page, folder / "seed.txt")
    return folder


def files_in(folder: pathlib.Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())


def only_rejection(summary: Summary) -> tuple[str, str]:
    assert len(summary.rejected) == 1, summary.rejected
    return summary.rejected[0]


# -- a folder in, and in again -------------------------------------------------------


def test_ingest_sample_folder(raw: pathlib.Path, store: Store) -> None:
    summary = ingest([str(raw)], store, SEQUENTIAL)
    assert summary.rejected == [] and summary.skipped == []
    assert summary.files == files_in(raw)
    assert summary.new == store.count() > summary.files  # MedQuAD files hold several pairs each
    seed = store.get(SEED_ID)
    assert seed.roles == ("Physical Therapy", "Fitness")
    assert seed.origin == str(raw / "sharecare_back-pain_foot-problems.txt")
    assert store.get("GARD_0001095_Sec1").topic == "Charcot-Marie-Tooth disease type 1F"


def test_reingest_changes_nothing(raw: pathlib.Path, store: Store) -> None:
    first = ingest([str(raw)], store, SEQUENTIAL)
    seq = store.seq()
    again = ingest([str(raw)], store, SEQUENTIAL)
    assert (again.new, again.updated, again.deleted) == (0, 0, 0)
    assert again.unchanged == first.new
    assert again.files_unchanged == again.files == files_in(raw)
    assert store.seq() == seq  # nothing was written


def test_edited_answer_updates_the_record_in_place(raw: pathlib.Path, store: Store) -> None:
    ingest([str(raw)], store, SEQUENTIAL)
    count = store.count()
    page = raw / "sharecare_back-pain_foot-problems.txt"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "Sometimes, low-back pain", "Quite often, low-back pain"), encoding="utf-8")
    summary = ingest([str(raw)], store, SEQUENTIAL)
    assert (summary.new, summary.updated, summary.deleted) == (0, 1, 0)
    assert store.count() == count
    assert store.get(SEED_ID).answers[1].text.startswith("Quite often, low-back pain")


def test_file_yielding_fewer_records_loses_the_stale_ones(tmp_path: pathlib.Path, medquad_files: pathlib.Path,
                                                         store: Store) -> None:
    folder = tmp_path / "ninds"
    folder.mkdir()
    xml = folder / "0000007.xml"
    shutil.copy(medquad_files / "6_NINDS_QA" / "0000007.xml", xml)
    assert ingest([str(folder)], store, SEQUENTIAL).new == 2
    text = xml.read_text(encoding="utf-8")
    xml.write_text(text[:text.index('<pair pid="2">')] + "</qaPairs>\n</doc>\n", encoding="utf-8")
    summary = ingest([str(folder)], store, SEQUENTIAL)
    assert (summary.unchanged, summary.deleted) == (1, 1)
    assert store.ids() == ["NINDS_0000007_Sec1"]
    assert store.deleted_since(0) == ["NINDS_0000007_Sec2"]


def test_prune_removes_records_whose_file_is_gone(raw: pathlib.Path, store: Store) -> None:
    ingest([str(raw)], store, SEQUENTIAL)
    shutil.rmtree(raw / "medquad")
    kept = ingest([str(raw)], store, SEQUENTIAL)
    assert kept.deleted == 0 and store.find("GARD_0001095_Sec1") is not None
    pruned = ingest([str(raw)], store, Options(workers=1, prune=True))
    assert pruned.deleted > 0
    assert store.find("GARD_0001095_Sec1") is None and store.find(SEED_ID) is not None
    assert not [origin for origin in store.origins() if "medquad" in origin]
    assert store.count() == kept.unchanged  # the records of the files still there


def test_good_file_turned_bad_keeps_its_records_and_is_reported(pages: pathlib.Path, store: Store) -> None:
    ingest([str(pages)], store, SEQUENTIAL)
    before = store.get(SEED_ID)
    (pages / "seed.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    summary = ingest([str(pages)], store, SEQUENTIAL)
    assert only_rejection(summary) == (str(pages / "seed.txt"), "binary file (not text, HTML or XML)")
    assert store.get(SEED_ID) == before
    again = ingest([str(pages)], store, SEQUENTIAL)  # still bad, and still said so
    assert only_rejection(again)[1] == "binary file (not text, HTML or XML)"
    assert [r.path for r in store.rejects()] == [str(pages / "seed.txt")]


# -- bad inputs: one rejection each, the rest of the batch goes in ------------------

_BAD_FILES = [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b" \n\n\t\r\n", "empty file (only white space)"),
    ("photo-no-extension", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x00" + bytes(300), "binary file"),
    ("broken.txt", b"\xef\xbb\xbfBack Pain\nWhy? \xff\xfe\n", "invalid utf-8: bad bytes at offset"),
    ("klingon.html", b'<html><meta charset="klingon"><body>Why? caf\xe9 \xff</body></html>',
     "unknown encoding 'klingon' declared"),
    ("no-question.txt", "A Answers (1)\n  • A , Fitness, answered\n    Walk.\n".encode(),
     "no question found"),
    ("cut-off.txt", b"Back Pain\n\nHow can foot probl", "not a Q&A page"),
    ("article.txt", (REPO / "tests/ingest/data/text/not_qa_article.txt").read_bytes(), "not a Q&A page"),
    ("feed.json", b'{"question": "Why?"}', "JSON data, not a Q&A page"),
]


@pytest.mark.parametrize(("name", "data", "reason"), _BAD_FILES, ids=[case[0] for case in _BAD_FILES])
def test_bad_file_is_rejected_with_its_reason_and_the_batch_goes_on(
        pages: pathlib.Path, store: Store, name: str, data: bytes, reason: str) -> None:
    (pages / name).write_bytes(data)
    summary = ingest([str(pages)], store, SEQUENTIAL)
    path, why = only_rejection(summary)
    assert path == str(pages / name)
    assert why.startswith(reason)
    assert summary.new == 1 and store.ids() == [SEED_ID]
    assert [(r.path, r.reason) for r in store.rejects()] == [(path, why)]


def test_medquad_document_without_pairs_is_skipped_not_rejected(pages: pathlib.Path, store: Store) -> None:
    # Six of MedQuAD's NIDDK documents are well formed and hold no pair: nothing to fix.
    empty = pages / "empty.xml"
    empty.write_bytes((REPO / "tests/ingest/data/medquad/5_NIDDK_QA/0000175.xml").read_bytes())
    summary = ingest([str(pages)], store, SEQUENTIAL)
    assert summary.ok and summary.rejected == []
    assert summary.skipped == [(str(empty), "MedQuAD document has no question-answer pairs")]
    assert summary.new == 1 and store.rejects() == []


def test_truncated_html_page_is_rejected(pages: pathlib.Path, store: Store) -> None:
    pytest.importorskip("healthqa.ingest.html", reason="the HTML parser is not there yet")
    (pages / "cut.html").write_text(
        "<!DOCTYPE html><html><head><title>Back pain | Forum</title></head>"
        "<body><div class='thread'><h1 class='title'>Back p", encoding="utf-8")
    summary = ingest([str(pages)], store, SEQUENTIAL)
    path, why = only_rejection(summary)
    assert path == str(pages / "cut.html")
    assert not why.startswith("parser failed")  # a reason, not a crash
    assert store.ids() == [SEED_ID]


def test_file_over_the_size_limit_is_rejected_unread(pages: pathlib.Path, store: Store) -> None:
    big = pages / "huge.txt"
    with open(big, "wb") as handle:  # sparse: 50 MB on paper, nothing on disk
        handle.truncate(50 * 1_048_576)
    summary = ingest([str(pages)], store, SEQUENTIAL)
    assert only_rejection(summary) == (str(big), "file too large (50.0 MB; the limit is 20.0 MB, see --max-size)")
    assert store.ids() == [SEED_ID]
    assert [r.path for r in store.rejects()] == [str(big)]  # listed by `records rejects` though never read


def test_real_50_mb_file_is_rejected(pages: pathlib.Path, store: Store) -> None:
    big = pages / "huge.txt"
    page = small_page(1).encode()
    big.write_bytes((page * (50 * 1_048_576 // len(page) + 1))[:50 * 1_048_576])
    summary = ingest([str(pages)], store, SEQUENTIAL)
    assert only_rejection(summary)[1].startswith("file too large (50.0 MB")


def test_small_size_limit_is_shown_in_kilobytes(pages: pathlib.Path, store: Store) -> None:
    summary = ingest([str(pages)], store, Options(workers=1, max_bytes=2000))
    assert only_rejection(summary) == (str(pages / "seed.txt"), "file too large (2.6 KB; the limit is 2.0 KB, see --max-size)")


def test_folder_of_a_thousand_small_files_with_worker_processes(tmp_path: pathlib.Path, store: Store) -> None:
    write_pages(tmp_path / "many", 1_000)  # three batches, parsed by worker processes
    summary = ingest([str(tmp_path / "many")], store, Options(workers=2))
    assert summary.new == store.count() == 1_000
    assert summary.rejected == []
    assert store.get(store.ids()[0]).roles == ("Sleep Medicine",)


@pytest.mark.slow
def test_folder_of_ten_thousand_small_files(tmp_path: pathlib.Path, store: Store) -> None:
    write_pages(tmp_path / "many", 10_000)
    started = time.perf_counter()
    summary = ingest([str(tmp_path / "many")], store)  # default options: worker processes
    seconds = time.perf_counter() - started
    print(f"10,000 files ingested in {seconds:.1f} s")  # shown with -s; no timed assertion (STYLE rule 9)
    assert summary.new == store.count() == 10_000
    assert summary.rejected == []
    assert store.get(store.ids()[0]).roles == ("Sleep Medicine",)


# -- symbolic links -------------------------------------------------------------------


def test_folder_link_to_its_parent_is_walked_once(pages: pathlib.Path, store: Store) -> None:
    (pages / "sub").mkdir()
    (pages / "sub" / "page.txt").write_text(small_page(1), encoding="utf-8")
    os.symlink("..", pages / "sub" / "up")
    summary = ingest([str(pages)], store, SEQUENTIAL)
    assert summary.new == 2 and summary.rejected == []
    assert summary.skipped == [(str(pages / "sub" / "up"), "symbolic link loop: folder already visited")]


def test_file_link_loop_is_rejected(pages: pathlib.Path, store: Store) -> None:
    os.symlink("b.txt", pages / "a.txt")
    os.symlink("a.txt", pages / "b.txt")
    summary = ingest([str(pages)], store, SEQUENTIAL)
    assert sorted(summary.rejected) == [(str(pages / "a.txt"), "symbolic link loop"),
                                        (str(pages / "b.txt"), "symbolic link loop")]
    assert store.ids() == [SEED_ID]
    assert [(r.path, r.reason) for r in store.rejects()] == sorted(summary.rejected)


def test_path_that_does_not_exist_is_reported_but_not_kept(tmp_path: pathlib.Path, pages: pathlib.Path,
                                                          store: Store) -> None:
    summary = ingest([str(pages), str(tmp_path / "typo")], store, SEQUENTIAL)
    assert only_rejection(summary) == (str(tmp_path / "typo"), "no such file or folder")
    assert store.rejects() == [] and store.ids() == [SEED_ID]


def test_link_to_a_file_outside_the_folder_is_skipped(tmp_path: pathlib.Path, pages: pathlib.Path,
                                                      text_pages: pathlib.Path, store: Store) -> None:
    outside = tmp_path / "elsewhere.txt"
    shutil.copy(text_pages / "no_topic.txt", outside)
    os.symlink(outside, pages / "linked.txt")
    summary = ingest([str(pages)], store, SEQUENTIAL)
    [(path, why)] = summary.skipped
    assert path == str(pages / "linked.txt")
    assert "outside the given folders" in why and "--follow-links" in why
    assert summary.rejected == [] and store.ids() == [SEED_ID]

    followed = ingest([str(pages)], store, Options(workers=1, follow_links=True))
    assert followed.new == 1 and store.count() == 2


# -- interruptions --------------------------------------------------------------------


def test_interrupted_ingest_keeps_committed_records_and_next_run_finishes(
        tmp_path: pathlib.Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    total = pipeline._BATCH_FILES + 50
    write_pages(tmp_path / "many", total)
    calls = 0

    def parse_then_interrupt(text: str, origin: str):
        nonlocal calls
        calls += 1
        if calls > pipeline._BATCH_FILES + 25:
            raise KeyboardInterrupt
        return parse_document(text, origin)

    monkeypatch.setattr(pipeline, "parse_document", parse_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        ingest([str(tmp_path / "many")], store, SEQUENTIAL)
    committed = store.count()
    assert 0 < committed < total
    for record_id in store.ids():
        page = store.get(record_id)
        assert page == parse_document(pathlib.Path(page.origin).read_text(encoding="utf-8"), page.origin)[1][0]

    monkeypatch.undo()
    summary = ingest([str(tmp_path / "many")], store, SEQUENTIAL)
    assert (summary.new, summary.unchanged) == (total - committed, committed)
    assert store.count() == total


# -- nothing but RejectedInput, whatever the input -------------------------------------


@st.composite
def mutated(draw: st.DrawFn, original: str) -> str:
    """``original`` with a few random cuts, insertions and line shuffles."""
    text = original
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["cut", "insert", "truncate", "shuffle"]))
        at = draw(st.integers(0, len(text)))
        if action == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 400)):]
        elif action == "insert":
            text = text[:at] + draw(st.text(max_size=20)) + text[at:]
        elif action == "truncate":
            text = text[:at]
        else:
            lines = text.split("\n")
            text = "\n".join(draw(st.permutations(lines)))
    return text


_SEED_TEXT = (REPO / "tests/ingest/data/text/sharecare_back-pain_foot-problems.txt").read_text(encoding="utf-8")
_MEDQUAD_TEXT = (REPO / "tests/ingest/data/medquad/6_NINDS_QA/0000007.xml").read_text(encoding="utf-8")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), mutated(_SEED_TEXT), mutated(_MEDQUAD_TEXT)))
def test_parse_document_raises_nothing_but_rejected_input(text: str) -> None:
    try:
        fmt, pages = parse_document(text, "fuzz.txt")
    except RejectedInput as exc:
        assert exc.reason and exc.origin == "fuzz.txt"
    else:
        assert fmt in ("text", "medquad", "html") and pages
        assert all(p.question for p in pages)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_read_and_parse_never_raises_on_arbitrary_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "file.bin"
    path.write_bytes(data)
    parsed = read_and_parse(str(path))
    assert (parsed.reason is None) == bool(parsed.pages)


def test_a_file_rejected_by_an_earlier_version_and_now_skipped_leaves_the_rejects(pages: pathlib.Path,
                                                                                  store: Store) -> None:
    licence = pages / "LICENSE.txt"
    licence.write_text("Attribution 4.0 International\n", encoding="utf-8")
    with store.transaction():  # as an ingest before skipping existed left it
        store.remember_file(str(licence), "0" * 40, "rejected", "no question found")
    summary = ingest([str(pages)], store, SEQUENTIAL)
    assert summary.ok and summary.skipped == [(str(licence), "not a page: a licence or readme")]
    assert store.rejects() == []
