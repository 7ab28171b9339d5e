"""``healthqa`` in a terminal: progress bars on stderr, and Ctrl-C, through a pseudo-terminal.

Each Ctrl-C is a real SIGINT to the child's process group (workers included), sent while the
child waits for it at the point the test wants (``PtyRun(pause_at=...)``): the work cannot
run to its end first, however busy the machine.
"""

from __future__ import annotations

import os
import pathlib
import re

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.ingest.lock import exclusive
from healthqa.ingest.store import Store
from tests.cli.ptykit import PtyRun, bar_position

TOTAL = 1000


def write_pages(folder: pathlib.Path, count: int) -> pathlib.Path:
    folder.mkdir()
    for n in range(count):
        (folder / f"page-{n:05d}.txt").write_text(
            f"Sleep\n\nWhy do I wake at {n} past three?\n\nAnswers (1)\n\n• A , Sleep Medicine, answered\n\n"
            f"  Go to bed {n} minutes later.\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """1,000 one-answer text pages: three commit batches, read by a pool of workers."""
    return write_pages(tmp_path_factory.mktemp("terminal") / "many", TOTAL)


@pytest.fixture(scope="module")
def few(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return write_pages(tmp_path_factory.mktemp("terminal") / "few", 300)


def stored(data_dir: pathlib.Path) -> int:
    with Store.open(str(data_dir), readonly=True) as store:
        return store.count()


def summary_files(stdout: str) -> int:
    match = re.match(r"(\d+) files?: (\d+) new, 0 updated, 0 unchanged records; 0 files rejected\n", stdout)
    assert match and match[1] == match[2], stdout
    return int(match[1])


# -- progress ------------------------------------------------------------------------------


def test_ingest_shows_a_bar_with_the_file_count_and_a_stage_line_for_indexing(few: pathlib.Path,
                                                                              tmp_path: pathlib.Path) -> None:
    code, stdout, terminal = PtyRun(["--data-dir", str(tmp_path / "data"), "ingest", str(few)]).finish()
    assert code == 0, terminal
    assert "ingesting  [" in terminal and "300/300" in terminal and "100%" in terminal
    assert re.search(r"\d+/300 +\d+%  [\d,]+ files/s  eta \d+:\d\d", terminal)  # rate and time left
    assert "0/300" in terminal.split("indexing")[0]  # the count is known from the first update: never N/0
    assert "indexing 300 records  [" in terminal
    # stdout carries the summary only: no bar, no control characters
    assert stdout.splitlines() == ["300 files: 300 new, 0 updated, 0 unchanged records; 0 files rejected",
                                   stdout.splitlines()[1]]
    assert stdout.splitlines()[1].startswith("index rebuilt: 300 added or updated, 0 deleted, 300 documents")


def test_quiet_turns_the_bar_off_and_keeps_the_summary(few: pathlib.Path, tmp_path: pathlib.Path) -> None:
    code, stdout, terminal = PtyRun(["ingest", "--no-index", str(few), "--quiet",
                                     "--data-dir", str(tmp_path / "data")]).finish()
    assert code == 0
    assert terminal == ""
    assert stdout == "300 files: 300 new, 0 updated, 0 unchanged records; 0 files rejected\n"


def test_related_all_shows_a_bar_over_the_pages(few: pathlib.Path, tmp_path: pathlib.Path) -> None:
    data = tmp_path / "data"
    assert CliRunner().invoke(cli, ["ingest", str(few), "--data-dir", str(data)]).exit_code == 0
    out = tmp_path / "related.jsonl"
    code, stdout, terminal = PtyRun(["--data-dir", str(data), "related", "--all", "--out", str(out),
                                     "--workers", "1"]).finish()
    assert code == 0, terminal
    assert "relating pages  [" in terminal and "300/300" in terminal
    assert stdout.startswith(f"300 pages written to {out} in ")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 300


# -- Ctrl-C ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("workers", "after"), [(2, 1), (2, 450), (2, 700), (1, 200)],
                         ids=["2-workers-at-once", "2-workers-after-a-commit", "2-workers-late", "1-worker"])
def test_ctrl_c_stops_at_a_batch_boundary_keeps_the_records_and_the_next_run_finishes(
        many: pathlib.Path, tmp_path: pathlib.Path, workers: int, after: int) -> None:
    data = tmp_path / "data"
    run = PtyRun(["--data-dir", str(data), "ingest", "--workers", str(workers), str(many)],
                 pause_at=("healthqa.progress:Progress.advance", after))  # once `after` files are read
    run.wait_for_pause()
    assert bar_position(run.terminal, TOTAL) >= after
    run.interrupt()
    code, stdout, terminal = run.finish()

    assert code == 130, terminal
    assert "Traceback" not in terminal
    read = summary_files(stdout)
    assert after <= read < TOTAL
    files = "1 file" if read == 1 else f"{read} files"
    assert f"stopped by Ctrl-C: the records of the {files} read are saved; the index was not updated. " \
           "Run the same command again to read the rest." in terminal
    assert stored(data) == read  # every file reported read has its record; nothing half-written
    with exclusive(str(data / "ingest.lock"), 0, "ingest"):  # released: taken at once
        pass
    again = CliRunner().invoke(cli, ["--data-dir", str(data), "ingest", "--no-index", str(many)])
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"{TOTAL} files: {TOTAL - read} new, 0 updated, {read} unchanged records;")
    assert stored(data) == TOTAL


def test_ctrl_c_while_indexing_keeps_the_records_and_the_index_as_it_was(many: pathlib.Path,
                                                                        tmp_path: pathlib.Path) -> None:
    data = tmp_path / "data"
    run = PtyRun(["--data-dir", str(data), "ingest", str(many)],
                 pause_at=("healthqa.progress:Progress.reach", 1))  # the index writer's first report
    run.wait_for_pause()
    assert f"indexing {TOTAL} records" in run.terminal
    run.interrupt()
    code, stdout, terminal = run.finish()

    assert code == 130, terminal
    assert "Traceback" not in terminal
    assert stdout == f"{TOTAL} files: {TOTAL} new, 0 updated, 0 unchanged records; 0 files rejected\n"
    assert "stopped by Ctrl-C while indexing: the records are saved and the index is as it was; " \
           "run 'healthqa index' to bring it up to date." in terminal
    assert stored(data) == TOTAL
    assert not os.path.lexists(data / "index")  # no half-built index swapped in
    index = CliRunner().invoke(cli, ["--data-dir", str(data), "index", "--wait", "0"])  # not left locked
    assert index.exit_code == 0 and index.stdout.startswith(f"index rebuilt: {TOTAL} added or updated")


def test_ctrl_c_during_related_all_leaves_the_output_file_as_it_was(many: pathlib.Path,
                                                                    tmp_path: pathlib.Path) -> None:
    data = tmp_path / "data"
    assert CliRunner().invoke(cli, ["--data-dir", str(data), "ingest", str(many)]).exit_code == 0
    out = tmp_path / "related.jsonl"
    out.write_text("what an earlier run wrote\n", encoding="utf-8")
    run = PtyRun(["--data-dir", str(data), "related", "--all", "--out", str(out), "--workers", "2"],
                 pause_at=("healthqa.progress:Progress.advance", 1))  # the first page done
    run.wait_for_pause()
    run.interrupt()
    code, stdout, terminal = run.finish()

    assert code == 130, terminal
    assert "Traceback" not in terminal and stdout == ""
    assert f"stopped by Ctrl-C: {out} is as it was; run the command again." in terminal
    assert out.read_text(encoding="utf-8") == "what an earlier run wrote\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "related.jsonl"]  # no temporary file left
