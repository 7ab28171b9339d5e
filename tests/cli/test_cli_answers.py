"""Answers one by one as a person sees them: ``healthqa search --role``, ``--answers``,
field words and facet lines, on the seed page and real forum threads."""

from __future__ import annotations

import json
import pathlib
import shutil
from typing import Any

import pytest
from click.testing import CliRunner, Result

from healthqa.cli import cli
from healthqa.index.writer import sync
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store

TESTS = pathlib.Path(__file__).resolve().parents[1]
PAGES = [TESTS / "ingest" / "data" / "text" / "sharecare_back-pain_foot-problems.txt",
         TESTS / "ingest" / "data" / "html" / "medhelp_heart-rhythm-tikosyn-1640925.html",
         TESTS / "search" / "data" / "answers" / "forum_many-roles.html"]
QUESTION = "How can foot problems cause back pain?"


def run(data_dir: pathlib.Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def search_json(data_dir: pathlib.Path, *args: str) -> dict[str, Any]:
    result = run(data_dir, "search", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("cli-answers")
    for page in PAGES:
        shutil.copy(page, folder / page.name)
    data = folder / "data"
    result = run(data, "ingest", str(folder))
    assert result.exit_code == 0, result.output
    return data


def test_role_option_finds_only_pages_whose_answer_by_that_role_matches(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "vertical load", "--role", "Physical Therapy")
    assert (result.exit_code, result.stdout) == (0, "No results.\n")
    result = run(data_dir, "search", "vertical load", "--role", "Fitness")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "1 pages match; 1-1 shown (page 1 of 1)."
    assert lines[2] == f"1. {QUESTION}"
    assert lines[4].startswith("   [Fitness] ") and "[vertical] [load]" in lines[4]
    found = search_json(data_dir, "pronation", "--role", "physical therapy")
    [hit] = found["hits"]
    assert hit["question"] == QUESTION
    assert [a["role"] for a in hit["answers"]] == ["Physical Therapy"]
    assert "<em>pronated</em>" in hit["answers"][0]["snippet"]


def test_answers_option_lists_one_line_per_matching_answer(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "pronation", "--answers")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "2 answers match; 1-2 shown (page 1 of 1)."
    assert len(lines) == 3
    assert sorted(line.split("] ")[0].split(". ", 1)[1] for line in lines[1:]) == ["[Fitness", "[Physical Therapy"]
    assert [line.split(".", 1)[0] for line in lines[1:]] == ["1", "2"]
    for line in lines[1:]:
        assert f"] {QUESTION} | " in line and "[pronat" in line
    therapists = search_json(data_dir, "pronation", "--answers", "--role", "Physical Therapy")
    assert therapists["total"] == 1
    [answer] = therapists["answers"]
    assert (answer["role"], answer["question"], answer["author"]) == ("Physical Therapy", QUESTION, None)
    assert set(answer) == {"rank", "score", "id", "question", "topic", "source", "url", "role", "author", "votes",
                           "accepted", "snippet"}


def test_answers_listing_shows_author_votes_and_acceptance(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "doctor", "--answers", "--role", "Cardiology")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1].startswith("1. [Cardiology, heart2222, accepted] Tikosyn load/ablation | ")
    result = run(data_dir, "search", "recall", "--answers", "--role", "community leader")
    lines = result.stdout.splitlines()
    assert lines[0] == "2 answers match; 1-2 shown (page 1 of 1)."
    assert {line.split("] ")[0].split(". ", 1)[1] for line in lines[1:]} == {
        "[COMMUNITY LEADER, Jerry_NJ", "[Community Leader, Jerry_NJ, 12 votes"}


def test_no_matching_answer_listing(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "vertical load", "--answers", "--role", "Physical Therapy")
    assert (result.exit_code, result.stdout) == (0, "No answers.\n")


def test_role_field_word_restricts_to_roles(data_dir: pathlib.Path) -> None:
    words = search_json(data_dir, "exercise")
    roles = search_json(data_dir, "role:fitness")
    assert words["total"] == 2  # the seed page's role and the thread where a reply jogs "for exercise"
    assert [hit["question"] for hit in roles["hits"]] == [QUESTION]
    assert [a["role"] for a in roles["hits"][0]["answers"]] == ["Fitness"]


def test_facets_fold_roles_and_say_when_cut(tmp_path: pathlib.Path) -> None:
    data = tmp_path / "data"
    roles = [f"Role {n}" for n in range(10)] + ["role 0", "ROLE  0", "Role 0"]  # "Role 0" the most common
    with Store.open(str(data)) as store:
        with store.transaction():
            for n, role in enumerate(roles):
                store.put(QAPage(id=f"p{n}", source="forum", format="text", origin="o", question=f"Sore knee {n}?",
                                 answers=(Answer("Rest the knee.", role=role),)))
        sync(str(data), store)
    found = search_json(data, "knee")
    assert found["facets"]["role"]["Role 0"] == 4 and len(found["facets"]["role"]) == 10
    assert "facets_more" in found and found["facets_more"] == {}
    result = run(data, "search", "knee")
    [line] = [line for line in result.stdout.splitlines() if line.startswith("role: ")]
    assert line.startswith("role: Role 0 (4), Role 1 (1), ") and line.endswith(", and 2 more")
    assert not {"role 0", "ROLE  0"} & set(found["facets"]["role"])  # one entry, one spelling
    for typed in ("role 0", "ROLE 0"):
        assert search_json(data, "knee", "--role", typed)["total"] == 4


def test_hits_show_who_answered_with_votes_and_acceptance(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "doctor tikosyn", "--role", "Cardiology", "--role", "community leader")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.startswith("   [heart2222, Cardiology, accepted] ") for line in lines)
    assert any(line.startswith("   [Jerry_NJ, Community Leader, 12 votes] ") for line in lines)
