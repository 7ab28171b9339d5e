"""``healthqa ingest`` and ``healthqa records`` as a person runs them."""

from __future__ import annotations

import json
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner, Result

from healthqa.cli import cli
from healthqa.ingest.errors import StoreError
from healthqa.ingest.store import Store
from tests.robustness import killpoint

SEED_ID = "back-pain/how-can-foot-problems-cause-back-pain/b46b4ddb"


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the test's folder: the CLI shows paths relative to where it runs."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def data_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "data"


@pytest.fixture
def pages(tmp_path: pathlib.Path, seed_page: pathlib.Path, medquad_files: pathlib.Path) -> pathlib.Path:
    """The seed page and two MedQuAD files: three files, four records."""
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(seed_page, folder / "seed.txt")
    shutil.copy(medquad_files / "2_GARD_QA" / "0001095.xml", folder / "0001095.xml")
    shutil.copy(medquad_files / "12_MPlusHerbsSupplements_QA" / "0000001.xml", folder / "0000001.xml")
    return folder


def run(data_dir: pathlib.Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def ingest(data_dir: pathlib.Path, *args: str) -> Result:
    return run(data_dir, "ingest", "--no-index", *args)


# -- ingest ---------------------------------------------------------------------------


def test_ingest_prints_a_summary_and_exits_0(data_dir: pathlib.Path, pages: pathlib.Path) -> None:
    result = ingest(data_dir, str(pages))
    assert result.exit_code == 0, result.output
    assert result.stdout == "3 files: 4 new, 0 updated, 0 unchanged records; 0 files rejected\n"
    assert result.stderr == ""


def test_second_ingest_reports_everything_unchanged(data_dir: pathlib.Path, pages: pathlib.Path) -> None:
    ingest(data_dir, str(pages))
    result = ingest(data_dir, str(pages))
    assert result.exit_code == 0
    assert result.stdout == "3 files: 0 new, 0 updated, 4 unchanged records; 0 files rejected\n"


def test_rejected_file_exits_1_and_the_others_are_ingested(data_dir: pathlib.Path, pages: pathlib.Path) -> None:
    (pages / "empty.txt").write_bytes(b"")
    result = ingest(data_dir, str(pages))
    assert result.exit_code == 1
    assert result.stdout == "4 files: 4 new, 0 updated, 0 unchanged records; 1 file rejected\n"
    assert result.stderr == "rejected pages/empty.txt: empty file\n"
    rejects = run(data_dir, "records", "rejects")
    assert rejects.exit_code == 0
    assert rejects.stdout == "pages/empty.txt\tempty file\n"


def test_warnings_are_printed_and_do_not_fail_the_run(data_dir: pathlib.Path, text_pages: pathlib.Path,
                                                      tmp_path: pathlib.Path) -> None:
    (tmp_path / "pages").mkdir()
    shutil.copy(text_pages / "count_mismatch.txt", tmp_path / "pages")
    result = ingest(data_dir, "pages")
    assert result.exit_code == 0  # a warning is not a rejection
    assert result.stderr == "warning pages/count_mismatch.txt: page states 3 answers but 2 were found\n"


def test_prune_reports_deleted_records(data_dir: pathlib.Path, pages: pathlib.Path) -> None:
    ingest(data_dir, str(pages))
    (pages / "0000001.xml").unlink()
    result = ingest(data_dir, "--prune", str(pages))
    assert result.exit_code == 0
    assert result.stdout == "2 files: 0 new, 0 updated, 2 unchanged records, 2 deleted; 0 files rejected\n"


def test_max_size_option_rejects_larger_files(data_dir: pathlib.Path, pages: pathlib.Path) -> None:
    result = ingest(data_dir, "--max-size", "0.002", str(pages / "seed.txt"))
    assert result.exit_code == 1
    assert "file too large (2.6 KB; the limit is 2.0 KB, see --max-size)" in result.stderr


def test_fill_answers_option(data_dir: pathlib.Path, pages: pathlib.Path, medquad_files: pathlib.Path) -> None:
    result = ingest(data_dir, "--fill-answers", str(medquad_files / "judged-answers.csv"), str(pages))
    assert result.exit_code == 0
    shown = json.loads(run(data_dir, "records", "show", "MPlusHerbsSuppls_0000001_Sec1").stdout)
    assert shown["answers"][0]["text"].startswith("Common charcoal is made from peat")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest"], "Missing argument 'PATHS...'"),
        (["ingest", "--max-size", "0", "x"], "Invalid value for '--max-size'"),
        (["ingest", "--workers", "0", "x"], "Invalid value for '--workers'"),
        (["ingest", "--fill-answers", "/no/such/file.csv", "x"], "Invalid value for '--fill-answers'"),
        (["records", "export", "--format", "csv"], "Invalid value for '--format'"),
        (["records", "show"], "Missing argument 'RECORD_ID'"),
        (["no-such-command"], "No such command"),
    ],
)
def test_usage_errors_exit_2(data_dir: pathlib.Path, args: list[str], message: str) -> None:
    result = run(data_dir, *args)
    assert result.exit_code == 2
    assert message in result.stderr


# -- records --------------------------------------------------------------------------


def test_records_list(data_dir: pathlib.Path, pages: pathlib.Path) -> None:
    ingest(data_dir, str(pages))
    result = run(data_dir, "records", "list")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "GARD_0001095_Sec1\t1\tWhat are the symptoms of Charcot-Marie-Tooth disease type 1F ?",
        "MPlusHerbsSuppls_0000001_Sec1\t0\tWhat is Activated Charcoal ?",
        "MPlusHerbsSuppls_0000001_Sec2\t0\tHow effective is Activated Charcoal ?",
        f"{SEED_ID}\t2\tHow can foot problems cause back pain?",
    ]
    limited = run(data_dir, "records", "list", "--limit", "1")
    assert limited.stdout.splitlines() == result.stdout.splitlines()[:1]


def test_records_show_prints_the_record_as_json(data_dir: pathlib.Path, pages: pathlib.Path) -> None:
    ingest(data_dir, str(pages))
    result = run(data_dir, "records", "show", SEED_ID)
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["topic"] == "Back Pain"
    assert [a["role"] for a in record["answers"]] == ["Physical Therapy", "Fitness"]
    assert record["related"] == ["What causes low back pain?"]
    assert record["origin"] == str(pages / "seed.txt")


def test_records_show_unknown_id_is_a_clear_error(data_dir: pathlib.Path, pages: pathlib.Path) -> None:
    ingest(data_dir, str(pages))
    result = run(data_dir, "records", "show", "UNKNOWN")
    assert result.exit_code == 1
    assert result.stderr == "Error: no record with id 'UNKNOWN'\n"


def test_records_export_jsonl(data_dir: pathlib.Path, pages: pathlib.Path, tmp_path: pathlib.Path) -> None:
    ingest(data_dir, str(pages))
    result = run(data_dir, "records", "export", "--format", "jsonl")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["GARD_0001095_Sec1", "MPlusHerbsSuppls_0000001_Sec1",
                                          "MPlusHerbsSuppls_0000001_Sec2", SEED_ID]
    gard = records[0]
    assert (gard["source"], gard["format"], gard["question_type"]) == ("GARD", "medquad", "symptoms")
    assert "CMT 1F" in gard["synonyms"]

    out = tmp_path / "records.jsonl"
    assert run(data_dir, "records", "export", "--out", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8") == result.stdout


def test_records_rejects_with_none(data_dir: pathlib.Path, pages: pathlib.Path) -> None:
    ingest(data_dir, str(pages))
    result = run(data_dir, "records", "rejects")
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("", "no rejected files\n")


def test_records_before_any_ingest_says_what_to_do(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "records", "list")
    assert result.exit_code == 1
    assert result.stderr == f"Error: no record store in '{data_dir}': run 'healthqa ingest PATH' first\n"


# -- where the data lives -------------------------------------------------------------


def test_data_dir_option_is_honoured(tmp_path: pathlib.Path, pages: pathlib.Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    ingest(first, str(pages / "seed.txt"))
    assert (first / "records.sqlite").exists()
    assert run(first, "records", "list").stdout.startswith(SEED_ID)
    assert run(second, "records", "list").exit_code == 1  # nothing there


def test_healthqa_data_environment_variable_is_honoured(tmp_path: pathlib.Path, pages: pathlib.Path) -> None:
    env = {"HEALTHQA_DATA": str(tmp_path / "from-env")}
    runner = CliRunner(env=env)
    assert runner.invoke(cli, ["ingest", "--no-index", str(pages / "seed.txt")]).exit_code == 0
    assert (tmp_path / "from-env" / "records.sqlite").exists()
    listed = runner.invoke(cli, ["records", "list"])
    assert listed.stdout.startswith(SEED_ID)
    # An explicit --data-dir wins over the environment.
    assert runner.invoke(cli, ["--data-dir", str(tmp_path / "other"), "records", "list"]).exit_code == 1


# -- two ingests at once --------------------------------------------------------------



def test_second_ingest_says_another_is_running_and_loses_nothing(data_dir: pathlib.Path,
                                                                   pages: pathlib.Path, lock_held_elsewhere) -> None:
    assert ingest(data_dir, str(pages / "seed.txt")).exit_code == 0
    with lock_held_elsewhere(data_dir / "ingest.lock"):
        result = ingest(data_dir, "--wait", "0.5", str(pages))
        assert result.exit_code == 1
        assert "another healthqa ingest is running" in result.stderr
        assert "waited 0.5 s" in result.stderr
        listed = run(data_dir, "records", "list")  # reading needs no lock
        assert listed.stdout.splitlines() == [f"{SEED_ID}\t2\tHow can foot problems cause back pain?"]
    after = ingest(data_dir, "--wait", "0.5", str(pages))
    assert after.exit_code == 0
    assert after.stdout == "3 files: 3 new, 0 updated, 1 unchanged records; 0 files rejected\n"


# -- an ingest killed midway ----------------------------------------------------------


def _many_pages(folder: pathlib.Path, total: int) -> None:
    folder.mkdir()
    for n in range(total):
        (folder / f"page-{n:05d}.txt").write_text(
            f"Sleep\n\nWhy do I wake at {n} past three?\n\nAnswers (1)\n\n• A , Sleep Medicine, answered\n\n"
            f"  Go to bed {n} minutes later.\n", encoding="utf-8")


def test_ingest_killed_after_its_first_commit_keeps_it_and_the_next_run_finishes(data_dir: pathlib.Path,
                                                                                  tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "many"
    total = 500  # two batches of 400 files: the kill lands as the second is about to be stored
    _many_pages(folder, total)
    command = killpoint.command("healthqa.ingest.pipeline:_commit", 2, "--data-dir", str(data_dir), "ingest",
                                "--no-index", "--workers", "1", str(folder))
    assert subprocess.run(command, capture_output=True).returncode == -signal.SIGKILL
    with Store.open(str(data_dir), readonly=True) as store:
        assert store.count() == 400
        assert all(store.get(record_id).answers for record_id in store.ids())
    result = ingest(data_dir, str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{total} files: {total - 400} new, 0 updated, 400 unchanged records; 0 files rejected\n"


@pytest.mark.slow
def test_killed_ingest_keeps_committed_records_and_the_next_run_finishes(data_dir: pathlib.Path,
                                                                          tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "many"
    total = 1000  # three batches: the kill lands after the first commit, long before the end
    _many_pages(folder, total)
    command = [sys.executable, "-c", "from healthqa.cli import main; main()",
               "--data-dir", str(data_dir), "ingest", "--no-index", "--workers", "1", str(folder)]
    writer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        committed = _wait_for_records(data_dir, writer)
    finally:
        writer.kill()  # SIGKILL: no clean-up code runs
        writer.wait(timeout=10)
    assert 0 < committed < total

    with Store.open(str(data_dir), readonly=True) as store:
        survived = store.count()
        assert survived >= committed
        assert all(store.get(record_id).answers for record_id in store.ids())
    result = ingest(data_dir, str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"{total} files: {total - survived} new, 0 updated, {survived} unchanged records; "
                             "0 files rejected\n")


def _wait_for_records(data_dir: pathlib.Path, writer: subprocess.Popen, timeout: float = 60.0) -> int:
    """Poll the store until the running ingest has committed a batch; return the count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and writer.poll() is None:
        try:
            with Store.open(str(data_dir), readonly=True, timeout=0.1) as store:
                if count := store.count():
                    return count
        except (StoreError, sqlite3.OperationalError):
            pass  # not created yet
        time.sleep(0.01)
    raise AssertionError("the ingest committed nothing before it ended or the time ran out")
