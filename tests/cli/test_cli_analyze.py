"""``healthqa analyze`` and the search options of question understanding, through the CLI."""

from __future__ import annotations

import json
import pathlib

import pytest
from click.testing import CliRunner, Result

from healthqa.cli import cli
from tests.search import understand_corpus


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return understand_corpus.build(tmp_path_factory.mktemp("cli-understand") / "data")


def run(data_dir: pathlib.Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def test_analyze_says_what_was_understood(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "analyze", "what are the side effects of tylenol")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "question: what are the side effects of tylenol"
    assert lines[1] == "focus: 'tylenol' (drug vocabulary; topic 'Acetaminophen'; means 'acetaminophen')"
    assert lines[2] == "also searched: acetaminophen"
    assert lines[3].startswith("type: side effects (confidence ") and "from: side, effect" in lines[3]
    assert lines[4].startswith("asks: SIDE_EFFECT (confidence ") and "from: side effects" in lines[4]


def test_analyze_json(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "analyze", "--json", "is pink eye contagious")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["focus"] == [{"text": "pink eye", "source": "disease vocabulary", "topic": "Conjunctivitis",
                              "canonical": "conjunctivitis", "kind": "disease"}]
    assert data["expansions"] == ["conjunctivitis"] and data["type"]["type"]
    assert data["asks"]["type"] == "SUSCEPTIBILITY" and data["asking_words"] == ["contagious"]


def test_analyze_without_a_focus_says_so(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "analyze", "is it bad to sit all day")
    assert result.exit_code == 0 and "focus: none found" in result.output


def test_analyze_without_an_index_is_a_one_line_error(tmp_path: pathlib.Path) -> None:
    result = run(tmp_path / "nothing", "analyze", "pink eye")
    assert result.exit_code == 1 and result.output.startswith("Error: ") and len(result.output.splitlines()) == 1


def test_search_shows_where_else_a_question_is(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "what is high blood pressure")
    assert result.exit_code == 0, result.output
    assert result.output.count("What is (are) High Blood Pressure ?") == 1
    assert "   also in: " in result.output


def test_search_no_collapse_shows_every_copy(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "--no-collapse", "--json", "what is high blood pressure")
    assert result.exit_code == 0, result.output
    questions = [h["question"] for h in json.loads(result.output)["hits"]]
    assert questions.count("What is (are) High Blood Pressure ?") == 3


def test_related_follows_the_focus_and_shows_where_else_a_question_is(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "related", "--question", "does advil have side effects", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["id"] == "ibuprofen-side"
    text = run(data_dir, "related", "--question", "what is high blood pressure exactly")
    assert text.exit_code == 0 and "   also in: " in text.output
