"""The conventions of command-line tools: exit codes, skipped files, --json everywhere, ``-`` for
stdin, global options anywhere, colour switches, plurals and one home for settings."""

from __future__ import annotations

import json
import os
import pathlib
import shutil

import pytest
from click.testing import CliRunner, Result

from healthqa.cli import cli
from tests.cli.ptykit import PtyRun
from tests.search.corpus_index import build_index, corpus_pages
from tests.testenv import clear_settings

DATA = pathlib.Path(__file__).resolve().parent / "data"
SEED_ID = "back-pain/how-can-foot-problems-cause-back-pain/b46b4ddb"


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the test's folder (paths are shown relative to it), with no settings from outside."""
    monkeypatch.chdir(tmp_path)
    clear_settings(monkeypatch, "NO_COLOR")


@pytest.fixture
def medquad_like(tmp_path: pathlib.Path, medquad_files: pathlib.Path) -> pathlib.Path:
    """A corpus folder as MedQuAD ships: its licence and readme (trimmed copies) beside the XML,
    plus an image and an archive."""
    folder = tmp_path / "medquad"
    shutil.copytree(medquad_files / "2_GARD_QA", folder / "2_GARD_QA")
    shutil.copytree(medquad_files / "9_CDC_QA", folder / "9_CDC_QA")
    shutil.copy(DATA / "LICENSE.txt", folder / "LICENSE.txt")
    shutil.copy(DATA / "readme.txt", folder / "readme.txt")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (folder / "old.zip").write_bytes(b"PK\x03\x04" + bytes(64))
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return build_index(tmp_path_factory.mktemp("conventions") / "data", corpus_pages())


def invoke(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(cli, list(args), input=stdin)


# -- exit codes and what is not a page ---------------------------------------------------


def test_licence_readme_image_and_archive_are_skipped_and_listed_not_rejected(medquad_like: pathlib.Path) -> None:
    result = invoke("--data-dir", "data", "ingest", "--no-index", "medquad")
    assert result.exit_code == 0, result.output
    assert result.stdout == "6 files: 4 new, 0 updated, 0 unchanged records; 0 files rejected, 4 skipped\n"
    assert result.stderr.splitlines() == [
        "skipped medquad/LICENSE.txt: not a page: a licence or readme",
        "skipped medquad/logo.png: not a page: an image",
        "skipped medquad/old.zip: not a page: an archive",
        "skipped medquad/readme.txt: not a page: a licence or readme",
    ]
    assert invoke("--data-dir", "data", "records", "rejects").stdout == ""


def test_missing_path_is_a_usage_error_and_nothing_is_ingested(medquad_like: pathlib.Path) -> None:
    result = invoke("--data-dir", "data", "ingest", "--no-index", "medquad", "no-such-folder")
    assert result.exit_code == 2
    assert "Invalid value for 'PATHS...': Path 'no-such-folder' does not exist." in result.stderr
    assert not (pathlib.Path("data") / "records.sqlite").exists()


def test_empty_folder_says_so(tmp_path: pathlib.Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke("--data-dir", "data", "ingest", "--no-index", "empty")
    assert result.exit_code == 0
    assert result.stderr == "warning: no files found in empty\n"
    assert result.stdout == "0 files: 0 new, 0 updated, 0 unchanged records; 0 files rejected\n"


def test_exclude_glob_and_healthqaignore_pass_files_over(medquad_like: pathlib.Path) -> None:
    (medquad_like / "notes.txt").write_text("not a page at all", encoding="utf-8")
    (medquad_like / ".healthqaignore").write_text("# drafts\nnotes.txt\n", encoding="utf-8")
    result = invoke("--data-dir", "data", "ingest", "--no-index", "medquad", "--exclude", "9_CDC_QA/",
                    "--exclude", "*.png", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout == "4 files: 1 new, 0 updated, 0 unchanged records; 0 files rejected, 3 skipped, " \
                            "3 excluded\n"
    listed = invoke("--data-dir", "data", "records", "list").stdout
    assert listed.startswith("GARD_0001095_Sec1\t") and "CDC" not in listed


def test_rejected_page_still_exits_1(medquad_like: pathlib.Path) -> None:
    (medquad_like / "empty.html").write_bytes(b"")
    result = invoke("--data-dir", "data", "ingest", "--no-index", "medquad", "-q")
    assert result.exit_code == 1
    assert result.stderr == "rejected medquad/empty.html: empty file\n"
    assert result.stdout.endswith("; 1 file rejected, 4 skipped\n")


# -- global options anywhere -------------------------------------------------------------


def test_global_options_work_before_or_after_the_subcommand(seed_page: pathlib.Path) -> None:
    after = invoke("ingest", "--no-index", str(seed_page), "--data-dir", "one", "--quiet")
    before = invoke("--data-dir", "two", "--quiet", "ingest", "--no-index", str(seed_page))
    assert after.exit_code == before.exit_code == 0
    assert after.stdout == before.stdout == "1 file: 1 new, 0 updated, 0 unchanged records; 0 files rejected\n"
    assert invoke("records", "list", "--data-dir", "one").stdout.startswith(SEED_ID)
    assert invoke("records", "--data-dir", "two", "list").stdout.startswith(SEED_ID)
    # the one after the subcommand wins
    assert invoke("--data-dir", "nowhere", "records", "list", "--data-dir", "two").exit_code == 0


def test_every_command_accepts_the_global_options() -> None:
    def walk(group, path=()):
        for name, command in group.commands.items():
            yield path + (name,), command
            if hasattr(command, "commands"):
                yield from walk(command, path + (name,))

    for path, command in walk(cli):
        flags = {opt for param in command.params for opt in param.opts}
        assert {"--data-dir", "--quiet", "--color", "--json"} <= flags, path


# -- --json everywhere -------------------------------------------------------------------


def test_json_from_ingest_records_and_index(medquad_like: pathlib.Path) -> None:
    (medquad_like / "empty.html").write_bytes(b"")
    result = invoke("--data-dir", "data", "--json", "ingest", "medquad")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("files", "new", "updated", "unchanged", "deleted", "excluded")} == \
        {"files": 7, "new": 4, "updated": 0, "unchanged": 0, "deleted": 0, "excluded": 0}
    assert summary["rejected"] == [{"path": str(medquad_like / "empty.html"), "reason": "empty file"}]
    assert [s["reason"] for s in summary["skipped"]] == ["not a page: a licence or readme", "not a page: an image",
                                                         "not a page: an archive", "not a page: a licence or readme"]
    assert summary["interrupted"] is False
    assert summary["index"]["documents"] == 4 and summary["index"]["rebuilt"] is True

    listed = invoke("--data-dir", "data", "records", "list", "--json").stdout.splitlines()
    listed = [json.loads(line) for line in listed]
    assert [r["id"] for r in listed] == ["CDC_0000397_Sec1", "CDC_0000397_Sec2", "CDC_0000397_Sec3",
                                         "GARD_0001095_Sec1"]
    assert listed[3] == {"id": "GARD_0001095_Sec1", "answers": 1,
                         "question": "What are the symptoms of Charcot-Marie-Tooth disease type 1F ?"}
    rejects = json.loads(invoke("--data-dir", "data", "records", "rejects", "--json").stdout)
    assert rejects == [{"path": str(medquad_like / "empty.html"), "reason": "empty file"}]
    index = json.loads(invoke("--data-dir", "data", "index", "--json").stdout)
    assert (index["rebuilt"], index["added_or_updated"], index["documents"]) == (False, 0, 4)
    reindex = json.loads(invoke("--data-dir", "data", "reindex", "--json").stdout)
    assert (reindex["rebuilt"], reindex["added_or_updated"], reindex["documents"]) == (True, 4, 4)


def test_json_from_eval(corpus: pathlib.Path, tmp_path: pathlib.Path) -> None:
    (tmp_path / "q.tsv").write_text("1\tsigns of a heart attack\n", encoding="utf-8")
    (tmp_path / "qrels.txt").write_text("1 0 heart-attack-signs 3\n", encoding="utf-8")
    result = invoke("--data-dir", str(corpus), "eval", "q.tsv", "qrels.txt", "--json")
    assert result.exit_code == 0, result.output
    measures = json.loads(result.stdout)
    assert measures["queries"] == 1 and measures["MRR@10"] == 1.0 and measures["nDCG@10"] == 1.0


def test_json_from_related_stale(corpus: pathlib.Path, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "related.jsonl"
    written = invoke("--data-dir", str(corpus), "related", "--all", "--out", str(out), "--workers", "1", "--json")
    assert json.loads(written.stdout)["pages"] == 24
    stale = json.loads(invoke("--data-dir", str(corpus), "related", "--stale", str(out), "--json").stdout)
    assert (stale["stale"], stale["new"], stale["gone"]) == ([], [], [])


# -- stdin -------------------------------------------------------------------------------


def test_search_dash_reads_queries_from_stdin_and_prints_json_lines(corpus: pathlib.Path) -> None:
    result = invoke("--data-dir", str(corpus), "search", "-", "--limit", "2",
                    stdin="heart attack\n\npneumonia vaccine\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [found["query"] for found in lines] == ["heart attack", "pneumonia vaccine"]
    assert all(len(found["hits"]) == 2 for found in lines)
    assert lines[1]["hits"][0]["id"].startswith("pneumonia-")


def test_a_query_from_stdin_that_cannot_be_read_gives_an_error_line_and_the_rest_go_on(corpus: pathlib.Path) -> None:
    result = invoke("--data-dir", str(corpus), "search", "-", stdin="heart\n*\npneumonia\n")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [found["query"] for found in lines] == ["heart", "*", "pneumonia"]
    assert lines[1] == {"query": "*", "error": lines[1]["error"]} and lines[1]["error"]
    assert lines[0]["hits"] and lines[2]["hits"]


def test_ingest_dash_reads_paths_from_stdin(medquad_like: pathlib.Path) -> None:
    paths = f"{medquad_like / '2_GARD_QA'}\n{medquad_like / '9_CDC_QA' / '0000397.xml'}\n"
    result = invoke("--data-dir", "data", "ingest", "--no-index", "-", stdin=paths)
    assert result.exit_code == 0, result.output
    assert result.stdout == "2 files: 4 new, 0 updated, 0 unchanged records; 0 files rejected\n"
    missing = invoke("--data-dir", "data", "ingest", "--no-index", "-", stdin="medquad/typo.xml\n")
    assert missing.exit_code == 2
    assert "'medquad/typo.xml' (read from stdin) does not exist" in missing.stderr


# -- colour ------------------------------------------------------------------------------


def test_search_colours_a_terminal_unless_no_color_or_no_color_option(corpus: pathlib.Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    args = ["--data-dir", str(corpus), "search", "heart attack", "--limit", "1"]
    _, _, coloured = PtyRun(args, env=env, stdout_on_terminal=True).finish()
    _, _, no_color_env = PtyRun(args, env=env | {"NO_COLOR": "1"}, stdout_on_terminal=True).finish()
    _, _, no_color_option = PtyRun([*args, "--no-color"], env=env, stdout_on_terminal=True).finish()
    assert "\x1b[1m" in coloured and "heart attack" in coloured.lower()
    for plain in (no_color_env, no_color_option):
        assert "\x1b[" not in plain and "1. " in plain


def test_color_option_colours_a_pipe(corpus: pathlib.Path) -> None:
    assert "\x1b[" in invoke("--data-dir", str(corpus), "search", "heart attack", "--color").stdout
    assert "\x1b[" not in invoke("--data-dir", str(corpus), "search", "heart attack").stdout


# -- usage messages and plurals ------------------------------------------------------------


def test_unquoted_question_says_to_quote_it(corpus: pathlib.Path) -> None:
    result = invoke("--data-dir", str(corpus), "related", "--question", "foot", "pain")
    assert result.exit_code == 2
    assert "--question takes one argument: put the question in quotes, as in --question 'foot pain'" \
        in result.stderr


def test_one_is_singular(corpus: pathlib.Path, seed_page: pathlib.Path, tmp_path: pathlib.Path) -> None:
    result = invoke("--data-dir", "data", "ingest", str(seed_page))
    assert result.stdout.splitlines()[0] == "1 file: 1 new, 0 updated, 0 unchanged records; 0 files rejected"
    assert " 1 document (" in result.stdout.splitlines()[1]
    found = invoke("--data-dir", "data", "search", "foot")
    assert found.stdout.startswith("1 page matches; 1-1 shown (page 1 of 1).\n")
    related = invoke("--data-dir", "data", "related", "--all", "--out", "r.jsonl", "--workers", "1")
    assert related.stdout.startswith("1 page written to r.jsonl")


# -- settings ----------------------------------------------------------------------------


def test_config_shows_each_value_and_where_it_came_from(tmp_path: pathlib.Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "healthqa.toml").write_text("workers = 1\nlimit = 3\nwait = 5\n", encoding="utf-8")
    result = invoke("config", "--data-dir", "data", "--json", env={"HEALTHQA_LIMIT": "4", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    toml = os.path.join("data", "healthqa.toml")
    assert shown["data_dir"] == {"value": "data", "source": "option"}
    assert shown["workers"] == {"value": 1, "source": toml}
    assert shown["wait"] == {"value": 5.0, "source": toml}
    assert shown["limit"] == {"value": 4, "source": "env HEALTHQA_LIMIT"}
    assert shown["max_size"] == {"value": 20.0, "source": "default"}
    assert shown["color"] == {"value": "never", "source": "env NO_COLOR"}
    text = invoke("config", env={"HEALTHQA_DATA": "data"}).stdout.splitlines()
    assert text[0].split() == ["data_dir", "data", "env", "HEALTHQA_DATA"]
    assert text[1].split() == ["workers", "1", toml]


def test_settings_from_the_file_and_environment_reach_the_commands(corpus: pathlib.Path) -> None:
    (corpus / "healthqa.toml").write_text("limit = 2\n", encoding="utf-8")
    try:
        assert len(json.loads(invoke("--data-dir", str(corpus), "search", "heart", "--json").stdout)["hits"]) == 2
        from_env = invoke("--data-dir", str(corpus), "search", "heart", "--json", env={"HEALTHQA_LIMIT": "3"})
        assert len(json.loads(from_env.stdout)["hits"]) == 3
        after = invoke("search", "heart", "--json", "--data-dir", str(corpus))  # its file is read all the same
        assert len(json.loads(after.stdout)["hits"]) == 2
        option = invoke("search", "heart", "--json", "--limit", "1", env={"HEALTHQA_DATA": str(corpus)})
        assert len(json.loads(option.stdout)["hits"]) == 1
    finally:
        (corpus / "healthqa.toml").unlink()


@pytest.mark.parametrize(("content", "env", "message"), [
    ("colour = 'never'\n", {}, "healthqa.toml: unknown setting 'colour' (known: workers, max_size, wait, "
                               "limit, color, backend, cluster_dir, quiet)"),
    ("workers = 0\n", {}, "healthqa.toml: workers = 0 is not valid: expected a whole number from 1 to 64"),
    ("workers = [\n", {}, "healthqa.toml: cannot read it"),
    ("", {"HEALTHQA_WAIT": "soon"}, "$HEALTHQA_WAIT: wait = 'soon' is not valid: expected a number of 0 or more"),
])
def test_a_bad_setting_is_a_usage_error_naming_where_it_is(tmp_path: pathlib.Path, content: str,
                                                           env: dict[str, str], message: str) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "healthqa.toml").write_text(content, encoding="utf-8")
    result = invoke("--data-dir", "data", "ingest", "--no-index", "data", env=env)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


# -- a command added later ---------------------------------------------------------------


def test_a_command_added_to_the_group_gets_the_global_options_and_a_clean_ctrl_c() -> None:
    """What the other commands get (serve, analyze, ...) without code of their own."""
    import click

    from healthqa.cli_common import Context
    from healthqa.cli_group import HealthQAGroup

    @click.group(cls=HealthQAGroup)
    def group() -> None:
        """A group."""

    @group.command("show")
    @click.pass_obj
    def show(obj: Context) -> None:
        """Print where the data lives."""
        click.echo(f"{obj.data_dir} json={obj.json} quiet={obj.quiet}")

    @group.command("hang")
    def hang() -> None:
        """Stand for a command interrupted by Ctrl-C."""
        raise KeyboardInterrupt

    runner = CliRunner()
    shown = runner.invoke(group, ["show", "--data-dir", "elsewhere", "--json", "-q"], obj=Context())
    assert (shown.exit_code, shown.stdout) == (0, "elsewhere json=True quiet=True\n")
    interrupted = runner.invoke(group, ["hang"], obj=Context())
    assert interrupted.exit_code == 130
    assert interrupted.stderr == "\nstopped by Ctrl-C\n"
