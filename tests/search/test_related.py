"""Related questions: explicit links first, never self or duplicates, diversity, edge cases."""

from __future__ import annotations

import json
import pathlib

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.index.writer import sync
from healthqa.ingest.errors import RecordNotFound
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store
from healthqa.search.related import RelatedFinder
from healthqa.search.searcher import Searcher


def page(pid: str, question: str, topic: str, answer: str = "", qtype: str | None = None,
         related: tuple[str, ...] = ()) -> QAPage:
    return QAPage(id=pid, source="test", format="test", question=question, origin=f"/pages/{pid}",
                  answers=(Answer(text=answer),) if answer else (), topic=topic, question_type=qtype,
                  related=related)


CORPUS = [
    page("flu-what", "What is influenza?", "Influenza", "Influenza is a viral infection of the nose, throat and lungs.",
         "information", related=("How is influenza treated?", "Can pets catch the flu?")),
    page("flu-treat", "How is influenza treated?", "Influenza", "Rest, fluids and antiviral drugs treat influenza.",
         "treatment"),
    page("flu-treat-dup", "How is Influenza treated ?", "Influenza", "Antiviral drugs such as oseltamivir.", "treatment"),
    page("flu-symptoms", "What are the symptoms of influenza?", "Influenza",
         "Fever, cough, sore throat and muscle aches are influenza symptoms.", "symptoms"),
    page("flu-prevent", "How can influenza be prevented?", "Influenza", "A yearly influenza vaccine prevents it.",
         "prevention"),
    *[page(f"flu-reword-{n}", f"What is influenza {word}?", "Influenza", "Influenza is a viral infection.", "information")
      for n, word in enumerate(["exactly", "really", "anyway", "basically", "precisely"])],
    page("cold-what", "What is the common cold?", "Common cold", "A viral infection of the nose and throat, milder than influenza.",
         "information"),
    page("cold-treat", "How is a cold treated?", "Common cold", "Rest and fluids; colds pass in a week.", "treatment"),
    page("covid-what", "What is COVID-19?", "COVID-19", "A viral infection of the lungs caused by a coronavirus.", "information"),
    page("no-answers", "What causes influenza?", "Influenza", "", "causes"),
    page("back-pain", "How can foot problems cause back pain?", "Back Pain", "Flat feet rotate the legs.",
         related=("What causes low back pain?",)),
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("related") / "data")
    with Store.open(path) as store:
        with store.transaction():
            for record in CORPUS:
                store.put(record)
        sync(path, store)
    return path


@pytest.fixture(scope="module")
def finder(data_dir: str):
    with Searcher(data_dir) as searcher:
        yield RelatedFinder(searcher)


def test_an_explicit_link_that_resolves_ranks_first(finder: RelatedFinder) -> None:
    found = finder.for_id("flu-what")
    assert found[0].question == "How is influenza treated?"
    assert found[0].resolved and "linked from the page" in found[0].reasons[0]


def test_an_explicit_link_to_nothing_indexed_is_offered_as_text_marked_unresolved(finder: RelatedFinder) -> None:
    found = finder.for_id("back-pain")
    assert found[0].question == "What causes low back pain?"
    assert found[0].id is None and not found[0].resolved
    unresolved = [s for s in finder.for_id("flu-what") if not s.resolved]
    assert [s.question for s in unresolved] == ["Can pets catch the flu?"]


def test_never_the_page_itself_nor_a_duplicate_question(finder: RelatedFinder) -> None:
    for record in CORPUS:
        found = finder.for_id(record.id, k=8)
        ids = [s.id for s in found]
        keys = [" ".join(s.question.lower().replace("?", " ").split()) for s in found]
        assert record.id not in ids
        assert len(keys) == len(set(keys)), f"duplicate questions for {record.id}: {keys}"
        assert record.question_key not in {" ".join(k.split()) for k in keys}
    # flu-treat-dup has flu-treat's question: neither is suggested for the other
    assert "flu-treat" not in [s.id for s in finder.for_id("flu-treat-dup", k=8)]


def test_suggestions_are_diversified_not_rewordings_of_one_question(finder: RelatedFinder) -> None:
    found = finder.for_question("what is influenza", k=5)
    rewordings = [s for s in found if s.id and s.id.startswith("flu-reword")]
    assert len(rewordings) <= 2, [s.question for s in found]
    assert len({s.topic for s in found}) >= 2 or len({s.question for s in found}) == 5


def test_a_page_with_no_answers_still_gets_related_questions(finder: RelatedFinder) -> None:
    found = finder.for_id("no-answers")
    assert found and all(s.id != "no-answers" for s in found)
    assert any(s.topic == "Influenza" for s in found)
    assert any("same topic: Influenza" in s.reasons for s in found)


def test_free_text_question_finds_the_question_type_it_asks(finder: RelatedFinder) -> None:
    found = finder.for_question("my son has the flu (influenza), what treatment helps?", k=3)
    assert found[0].id in {"flu-treat", "flu-treat-dup"}
    assert any(r.startswith("shared key terms:") and "influenza" in r for r in found[0].reasons)


def test_an_unknown_id_is_a_clear_error(finder: RelatedFinder, data_dir: str) -> None:
    with pytest.raises(RecordNotFound, match="no indexed page with id 'nope'"):
        finder.for_id("nope")
    result = CliRunner().invoke(cli, ["--data-dir", data_dir, "related", "nope"])
    assert result.exit_code == 1
    assert "no indexed page with id 'nope'" in result.output


def test_cli_json_shape(data_dir: str) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", data_dir, "related", "flu-what", "--json", "-k", "3"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert len(items) == 3
    assert set(items[0]) == {"id", "question", "topic", "score", "reasons", "resolved", "also_in"}
    assert items[0]["score"] is None  # an explicit link has no computed score
    assert all(isinstance(i["reasons"], list) and i["reasons"] for i in items)


def test_cli_needs_exactly_one_mode(data_dir: str) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", data_dir, "related"])
    assert result.exit_code == 2
    assert "exactly one of" in result.output


def test_an_empty_index_gives_a_clear_message(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "data")
    with Store.open(path) as store:
        sync(path, store)
    result = CliRunner().invoke(cli, ["--data-dir", path, "related", "--question", "flu"])
    assert result.exit_code == 0
    assert "The index is empty" in result.output


def test_precompute_then_stale_then_update(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "data")
    out = str(tmp_path / "related.jsonl")
    with Store.open(path) as store:
        with store.transaction():
            for record in CORPUS:
                store.put(record)
        sync(path, store)
    runner = CliRunner()
    result = runner.invoke(cli, ["--data-dir", path, "related", "--all", "--out", out, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert f"{len(CORPUS)} pages written" in result.output and "pages/s" in result.output
    lines = [json.loads(line) for line in pathlib.Path(out).read_text().splitlines()]
    assert sorted(line["id"] for line in lines) == sorted(r.id for r in CORPUS)
    assert "0 stale, 0 new, 0 gone" in runner.invoke(cli, ["--data-dir", path, "related", "--stale", out]).output

    changed = page("cold-treat", "How is a cold treated?", "Common cold", "Zinc lozenges may shorten a cold.", "treatment")
    added = page("cold-prevent", "How can colds be prevented?", "Common cold", "Wash hands often.", "prevention")
    with Store.open(path) as store:
        with store.transaction():
            store.put(changed)
            store.put(added)
            store.delete(["covid-what"])
        sync(path, store)
    report = runner.invoke(cli, ["--data-dir", path, "related", "--stale", out]).output
    assert "new\tcold-prevent" in report and "gone\tcovid-what" in report and "stale\tcold-treat" in report

    result = runner.invoke(cli, ["--data-dir", path, "related", "--update", out, "--workers", "1"])
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["id"] for line in pathlib.Path(out).read_text().splitlines()]
    assert "cold-prevent" in ids and "covid-what" not in ids
    assert all("covid-what" not in line for line in pathlib.Path(out).read_text().splitlines())
    assert "0 stale, 0 new, 0 gone" in runner.invoke(cli, ["--data-dir", path, "related", "--stale", out]).output
