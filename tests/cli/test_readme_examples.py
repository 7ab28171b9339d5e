"""Every ``healthqa`` command in the README's examples runs, in the README's order, as written.

The examples that read the development data in ``../shared`` (absent on a fresh clone) are
run on the trimmed copies the tests keep; everything else is run exactly as printed, from
a folder holding a copy of ``raw/``.
"""

from __future__ import annotations

import os
import pathlib
import re
import shlex
import shutil

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from tests.ingest.warc_kit import SITE, Capture, write_warc
from tests.testenv import clear_settings

ROOT = pathlib.Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
# ../shared paths in the README -> the trimmed copies under tests/
STAND_INS = {
    "../shared/data/medquad-judged-answers.csv": TESTS / "ingest" / "data" / "medquad" / "judged-answers.csv",
    "../shared/data/medquad": "medquad",  # two subsets of tests/ingest/data/medquad, copied (see the fixture)
    "../shared/data/liveqa-med-dev/queries.tsv": TESTS / "search" / "data" / "relevance" / "queries.tsv",
    "../shared/data/liveqa-med-dev/qrels.txt": TESTS / "search" / "data" / "relevance" / "qrels.txt",
    "pages/": "raw/html/",  # "a folder of forum pages" in the profile example
}
HEREDOC = re.compile(r"^cat > (\S+) <<'(\w+)'\n(.*?)^\2$", re.M | re.S)


def readme_commands() -> list[str]:
    """The ``healthqa`` commands in the README's ``sh`` blocks, continuation lines joined; a
    ``cat > FILE <<'END'`` here-document is kept as ``cat > FILE`` followed by its text."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for name, _, content in HEREDOC.findall(block):
            commands.append(f"cat > {name}\n{content}")
        block = HEREDOC.sub("", block)
        for line in block.replace("\\\n", " ").splitlines():
            for part in re.split(r"\s*(?:&&|\|)\s*", line):
                try:
                    words = shlex.split(part, comments=True)
                except ValueError:  # a quote spanning lines (a curl example's JSON body): no healthqa command
                    continue
                if words and os.path.basename(words[0]) == "healthqa":
                    commands.append(part)
    return commands


COMMANDS = readme_commands()


def test_the_readme_has_examples_of_every_command() -> None:
    named = {shlex.split(c, comments=True)[1] for c in COMMANDS if not c.startswith("cat > ")}
    assert named >= {cmd for cmd in cli.commands if cmd != "records"} | {"records"}, sorted(named)


@pytest.fixture
def workdir(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    shutil.copytree(ROOT / "raw", tmp_path / "raw")
    seed = (ROOT / "raw" / "sharecare_back-pain_foot-problems.txt").read_bytes()  # the crawl the WARC example reads
    write_warc(tmp_path / "crawl.warc.gz", [Capture(f"{SITE}/t/foot-pain", seed, content_type="text/plain")])
    for subset in ("2_GARD_QA", "12_MPlusHerbsSupplements_QA"):  # sound files; others hold test faults
        shutil.copytree(TESTS / "ingest" / "data" / "medquad" / subset, tmp_path / "medquad" / subset)
    monkeypatch.chdir(tmp_path)
    clear_settings(monkeypatch)
    return tmp_path


def test_every_readme_command_runs(workdir: pathlib.Path) -> None:
    runner = CliRunner()
    for command in COMMANDS:
        if command.startswith("cat > "):  # a file the next examples read
            name, _, content = command[len("cat > "):].partition("\n")
            (workdir / name).write_text(content, encoding="utf-8")
            continue
        words = shlex.split(command, comments=True)[1:]
        words = [str(STAND_INS.get(word, word)) for word in words]
        if words[0] == "serve":  # a server runs until stopped: its example is checked for its options
            words = ["serve", *[w for w in words[1:] if not w.startswith("[")], "--help"]
        stdin = "foot pain\nheart rhythm\n" if words[-1:] == ["-"] and words[0] == "search" else None
        if ">" in words:  # a redirection: the output goes to the file named
            words = words[:words.index(">")]
        result = runner.invoke(cli, words, input=stdin)
        assert result.exit_code == 0, f"healthqa {shlex.join(words)}\n{result.output}"
        assert "Traceback" not in result.output
