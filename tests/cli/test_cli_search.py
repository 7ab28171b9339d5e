"""``healthqa index``, ``reindex``, ``search`` and ``eval`` as a person runs them."""

from __future__ import annotations

import functools
import json
import pathlib
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner, Result

from healthqa.cli import cli
from healthqa.index.store import META_NAME, current_generation
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store
from healthqa.search import results as results_module
from healthqa.search import searcher as searcher_module
from healthqa.search.evaluate import measure, read_qrels
from healthqa.search.searcher import Searcher
from healthqa.search.settings import RankingSettings, SearchSettings
from tests.search.corpus_index import build_index, corpus_pages

SEARCH_DATA = pathlib.Path(__file__).resolve().parents[1] / "search" / "data"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The corpus, indexed: for tests that only search it."""
    return build_index(tmp_path_factory.mktemp("cli-corpus") / "data", corpus_pages())


@pytest.fixture
def fresh_corpus(tmp_path: pathlib.Path) -> pathlib.Path:
    """The corpus, indexed in this test's own folder: for tests that change it."""
    return build_index(tmp_path / "data", corpus_pages())


def run(data_dir: pathlib.Path, *args: str, color: bool = False) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], color=color)


def search_json(data_dir: pathlib.Path, *args: str) -> dict[str, Any]:
    result = run(data_dir, "search", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def hit_ids(found: dict[str, Any]) -> list[str]:
    return [hit["id"] for hit in found["hits"]]


# -- filters and facets -------------------------------------------------------------------


def test_role_option_keeps_pages_answered_by_that_role_and_shows_that_answer(corpus: pathlib.Path) -> None:
    found = search_json(corpus, "exercise", "--role", "fitness", "--limit", "50")
    assert found["hits"] and {"diabetes-exercise", "asthma-exercise", "heart-attack-recovery"} <= set(hit_ids(found))
    for hit in found["hits"]:
        assert "Fitness" in hit["roles"]
        assert [answer["role"] for answer in hit["answers"]] == ["Fitness"]
    assert "cholesterol-level" in hit_ids(search_json(corpus, "exercise", "--limit", "50"))
    assert "cholesterol-level" not in hit_ids(found)  # says "exercise", but no fitness expert answered
    assert found["facets"]["role"]["Fitness"] == found["total"]


def test_repeated_role_option_keeps_pages_with_any_of_them(corpus: pathlib.Path) -> None:
    found = search_json(corpus, "heart", "--role", "Cardiology", "--role", "PSYCHIATRY")
    assert set(hit_ids(found)) == {"heart-attack-signs", "heart-attack-women", "heart-attack-recovery", "panic-attack"}


def test_topic_and_source_options(corpus: pathlib.Path) -> None:
    assert {hit["topic"] for hit in search_json(corpus, "exercise", "--topic", "ASTHMA")["hits"]} == {"Asthma"}
    assert set(hit_ids(search_json(corpus, "pneumonia", "--source", "cdc"))) == {"pneumonia-vaccine",
                                                                               "pneumonia-prevent"}


def test_unknown_role_gives_no_results_and_a_note(corpus: pathlib.Path) -> None:
    found = search_json(corpus, "exercise", "--role", "Astrology")
    assert (found["total"], found["hits"], found["notes"]) == (0, [], ["no page has role 'Astrology'"])
    result = run(corpus, "search", "exercise", "--topic", "Gardening")
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("No results.\n", "note: no page has topic 'Gardening'\n")


def test_facets_count_every_match(corpus: pathlib.Path) -> None:
    found = search_json(corpus, "heart", "--limit", "1")
    assert (found["total"], len(found["hits"])) == (7, 1)
    assert found["facets"] == {"role": {"Cardiology": 3, "Fitness": 1, "Psychiatry": 1},
                               "topic": {"Heart Attack": 5, "Anxiety": 1, "Stroke": 1},
                               "source": {"sharecare": 4, "NHLBI": 3}}


def test_terminal_output_lists_facets(corpus: pathlib.Path) -> None:
    result = run(corpus, "search", "heart", "--limit", "1")
    assert result.stdout.splitlines()[-3:] == ["role: Cardiology (3), Fitness (1), Psychiatry (1)",
                                                "topic: Heart Attack (5), Anxiety (1), Stroke (1)",
                                                "source: sharecare (4), NHLBI (3)"]


# -- the query language -------------------------------------------------------------------


HEART_ATTACK_PAGES = {"heart-attack-signs", "heart-attack-women", "heart-attack-recovery", "heart-attack-aspirin",
                      "heart-attack-causes"}


@pytest.mark.parametrize(("query", "expected"), [
    ('"heart attack"', HEART_ATTACK_PAGES | {"stroke-or-heart-attack"}),   # not "panic attack ... heart races"
    ('question:"heart attack"', HEART_ATTACK_PAGES | {"stroke-or-heart-attack"}),
    ('topic:"heart attack"', HEART_ATTACK_PAGES),
    ('answer:"blood clot"', {"heart-attack-causes"}),
    ('role:"physical therapy"', {"back-feet", "back-mattress"}),
    ("source:CDC", {"pneumonia-vaccine", "pneumonia-prevent"}),
    ("pneumonia -vaccine", {"pneumonia-symptoms", "pneumonia-walking", "pneumonia-recovery"}),
    ("+insulin diabetes", {"diabetes-insulin", "diabetes-exercise"}),
    ("diab*", {"diabetes-signs", "diabetes-diet", "diabetes-insulin", "diabetes-exercise", "diabetes-feet"}),
    ("insolin~", {"diabetes-insulin", "diabetes-exercise"}),
])
def test_query_language(corpus: pathlib.Path, query: str, expected: set[str]) -> None:
    assert set(hit_ids(search_json(corpus, query, "--limit", "50"))) == expected


def test_plain_words_also_find_the_words_apart(corpus: pathlib.Path) -> None:
    assert "panic-attack" in hit_ids(search_json(corpus, "heart attack", "--limit", "50"))


def test_field_word_searches_that_field_only(corpus: pathlib.Path) -> None:
    assert hit_ids(search_json(corpus, "question:vaccine")) == ["pneumonia-vaccine"]


# -- did you mean -------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "suggestion"), [("pnuemonia", "pneumonia"), ("diabetis", "diabetes"),
                                                   ("haert atack", "heart attack")])
def test_misspelled_query_gets_a_suggestion(corpus: pathlib.Path, typed: str, suggestion: str) -> None:
    found = search_json(corpus, typed)
    assert (found["suggestion"], found["corrected_from"], found["searched"]) == (suggestion, typed, suggestion)
    result = run(corpus, "search", typed)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"No results for '{typed}'; showing results for '{suggestion}'."


@pytest.fixture
def searcher_without_fuzzy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's searcher, but reading unknown words only as typed: a typo then finds nothing."""
    settings = SearchSettings(ranking=RankingSettings(fuzzy_weight=0.0))
    # The command imports its Searcher when it runs, from search.searcher.
    monkeypatch.setattr(searcher_module, "Searcher", functools.partial(Searcher, settings=settings))


@pytest.mark.usefixtures("searcher_without_fuzzy")
def test_query_finding_nothing_shows_results_for_the_suggestion(corpus: pathlib.Path) -> None:
    result = run(corpus, "search", "pnuemonia")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == ["No results for 'pnuemonia'; showing results for 'pneumonia'.",
                                              "5 pages match; 1-5 shown (page 1 of 1)."]
    found = search_json(corpus, "pnuemonia")
    assert (found["query"], found["corrected_from"], found["searched"], found["suggestion"]) == (
        "pnuemonia", "pnuemonia", "pneumonia", "pneumonia")
    assert {hit["topic"] for hit in found["hits"]} == {"Pneumonia"}


def test_default_search_says_the_results_are_for_the_suggestion(corpus: pathlib.Path) -> None:
    result = run(corpus, "search", "pnuemonia")
    assert result.stdout.splitlines()[0] == "No results for 'pnuemonia'; showing results for 'pneumonia'."


# -- pagination ---------------------------------------------------------------------------


def test_page_two_continues_page_one(corpus: pathlib.Path) -> None:
    whole = search_json(corpus, "pneumonia diabetes", "--limit", "50")
    first = search_json(corpus, "pneumonia diabetes", "--limit", "3")
    second = search_json(corpus, "pneumonia diabetes", "--limit", "3", "--page", "2")
    assert hit_ids(first) + hit_ids(second) == hit_ids(whole)[:6]
    assert not set(hit_ids(first)) & set(hit_ids(second))
    assert [hit["rank"] for hit in second["hits"]] == [4, 5, 6]
    assert first["total"] == second["total"] == whole["total"]
    assert first["pages"] == second["pages"] == -(-whole["total"] // 3)
    assert (second["page"], second["limit"]) == (2, 3)


def test_terminal_output_says_which_hits_are_shown(corpus: pathlib.Path) -> None:
    total = search_json(corpus, "pneumonia diabetes")["total"]
    result = run(corpus, "search", "pneumonia diabetes", "--limit", "3", "--page", "2")
    assert result.stdout.splitlines()[0] == f"{total} pages match; 4-6 shown (page 2 of {-(-total // 3)})."


def test_page_past_the_end(corpus: pathlib.Path) -> None:
    total = search_json(corpus, "pneumonia diabetes")["total"]
    pages = -(-total // 5)
    result = run(corpus, "search", "pneumonia diabetes", "--limit", "5", "--page", str(pages + 1))
    assert result.exit_code == 0
    assert result.stdout == f"No results on page {pages + 1} (of {pages}).\n"
    assert search_json(corpus, "pneumonia diabetes", "--limit", "5", "--page", str(pages + 1))["hits"] == []


@pytest.mark.parametrize("args", [["--limit", "0"], ["--page", "0"], ["--limit", "1001"]])
def test_out_of_range_limit_or_page_is_a_usage_error(corpus: pathlib.Path, args: list[str]) -> None:
    result = run(corpus, "search", "pain", *args)
    assert result.exit_code == 2 and "Invalid value" in result.stderr


# -- the JSON shape and what reaches a browser or a terminal ------------------------------

TOP_KEYS = {"query": str, "searched": str, "corrected_from": (str, type(None)), "suggestion": (str, type(None)),
            "total": int, "page": int, "pages": int, "limit": int, "notes": list, "facets": dict, "hits": list,
            "facets_more": dict}
HIT_KEYS = {"rank": int, "id": str, "score": float, "question": str, "topic": (str, type(None)), "source": str,
            "url": (str, type(None)), "question_type": (str, type(None)), "roles": list, "snippet": str,
            "answers": list, "also_in": list}
ANSWER_KEYS = {"role": (str, type(None)), "author": (str, type(None)), "snippet": str, "matches": int,
               "votes": (int, type(None)), "accepted": bool}


def test_the_keys_checked_are_the_documented_ones() -> None:
    documented = set(re.findall(r'"(\w+)":', results_module.__doc__ or ""))
    assert documented == set(TOP_KEYS) | set(HIT_KEYS) | set(ANSWER_KEYS)


def check_shape(data: dict[str, Any], keys: dict[str, Any]) -> None:
    assert set(data) == set(keys)
    for key, kind in keys.items():
        assert isinstance(data[key], kind), (key, data[key])


@pytest.mark.parametrize("query", ["inhaler", "heart", "pnuemonia", "zzzz", "what is the"])
def test_json_has_exactly_the_documented_keys_and_types(corpus: pathlib.Path, query: str) -> None:
    found = search_json(corpus, query)
    check_shape(found, TOP_KEYS)
    assert set(found["facets"]) <= {"role", "topic", "source"}
    if found["total"]:
        assert set(found["facets"]) == {"role", "topic", "source"}
        assert sum(found["facets"]["source"].values()) == found["total"]  # every page has one source
    for counts in found["facets"].values():
        assert all(isinstance(k, str) and isinstance(v, int) and v > 0 for k, v in counts.items())
    assert all(isinstance(note, str) for note in found["notes"])
    for hit in found["hits"]:
        check_shape(hit, HIT_KEYS)
        assert all(isinstance(role, str) for role in hit["roles"])
        for answer in hit["answers"]:
            check_shape(answer, ANSWER_KEYS)


def test_snippets_are_html_with_the_page_text_escaped(corpus: pathlib.Path) -> None:
    hit = search_json(corpus, "inhaler")["hits"][0]
    assert hit["id"] == "asthma-inhaler"
    assert hit["snippet"] == hit["answers"][0]["snippet"] == (
        "Shake the <em>inhaler</em> &amp; breathe out fully &lt;script&gt;alert(1)&lt;/script&gt; then press "
        "once as you breathe in slowly. A spacer &lt;b&gt;helps&lt;/b&gt; too.")
    assert hit["answers"][0]["matches"] == 1


def test_terminal_output_strips_escape_sequences_that_came_from_a_page(corpus: pathlib.Path) -> None:
    result = run(corpus, "search", "asthma exercise", color=True)  # color=True: click strips nothing itself
    assert result.exit_code == 0
    assert re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.output) is None, repr(result.output)
    assert "1. Can exercise trigger asthma?\n" in result.stdout
    assert "[Dr. Lee, Pulmonology] Yes: cold dry air during [exercise] can narrow the airways. Warm up first." \
        in result.stdout


def test_json_keeps_the_page_text_as_data(corpus: pathlib.Path) -> None:
    hit = next(h for h in search_json(corpus, "asthma exercise")["hits"] if h["id"] == "asthma-exercise")
    assert hit["question"] == "Can exercise trigger asthma?\x1b[2J\x1b[H"  # JSON escapes it; nothing is lost


# -- malformed queries: a clear error, or a literal reading with a note -------------------


@pytest.mark.parametrize("query", ["*", "a*", "*ain"])
def test_wildcard_matching_too_much_is_an_error(corpus: pathlib.Path, query: str) -> None:
    result = run(corpus, "search", query)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: '{query}' would match too much: put at least two letters before '*' "
                             "(e.g. diab*)\n")


@pytest.mark.parametrize(("query", "note"), [
    ('"heart attack', "unbalanced quote: read the words without the phrase"),
    ("(heart attack", "unbalanced parenthesis: read the words without grouping"),
    ("foo:bar heart", "unknown field 'foo': read as words (fields: answer, answers, detail, expert, focus, id, q, "
                      "qtype, question, related, role, site, source, synonym, synonyms, topic, type)"),
    (("heart attack " * 800)[:10_000], "query cut to its first 2,000 characters"),
    ("", "no words to search for (only common words or symbols)"),
    ("what is the", "no words to search for (only common words or symbols)"),
    ("AND", "no words to search for (only common words or symbols)"),
    ("OR", "no words to search for (only common words or symbols)"),
    ("NOT", "no words to search for (only common words or symbols)"),
])
def test_malformed_query_is_read_with_a_note(corpus: pathlib.Path, query: str, note: str) -> None:
    result = run(corpus, "search", query)
    assert result.exit_code == 0, result.output
    assert f"note: {note}" in result.stderr.splitlines()
    assert "Traceback" not in result.output
    assert note in search_json(corpus, query)["notes"]


# -- the index: missing, old, empty, busy -------------------------------------------------


def test_search_without_an_index_says_run_healthqa_index(tmp_path: pathlib.Path) -> None:
    result = run(tmp_path / "data", "search", "pneumonia")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: no search index in '{tmp_path / 'data'}': run 'healthqa index' "
                             "(after 'healthqa ingest')\n")


def test_index_of_another_schema_version_says_run_healthqa_reindex(fresh_corpus: pathlib.Path) -> None:
    meta_path = pathlib.Path(current_generation(str(fresh_corpus))) / META_NAME
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "schema_version": meta["schema_version"] + 1}), encoding="utf-8")
    result = run(fresh_corpus, "search", "pneumonia")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the index has schema version ")
    assert result.stderr.endswith(": run 'healthqa reindex'\n")
    assert run(fresh_corpus, "reindex").exit_code == 0
    assert search_json(fresh_corpus, "pneumonia")["total"] == 5


def test_empty_index_says_no_results(tmp_path: pathlib.Path) -> None:
    assert run(tmp_path / "data", "index").exit_code == 0
    result = run(tmp_path / "data", "search", "pneumonia")
    assert (result.exit_code, result.stdout) == (0, "No results.\n")


def test_index_busy_elsewhere_says_so_and_works_once_free(fresh_corpus: pathlib.Path, lock_held_elsewhere) -> None:
    with Store.open(str(fresh_corpus)) as store:
        with store.transaction():
            store.put(QAPage(id="gout", source="NIDDK", format="medquad", origin="x", topic="Gout",
                             question="What foods trigger gout?", answers=(Answer("Red meat and shellfish."),)))
    with lock_held_elsewhere(fresh_corpus / "index.lock"):
        result = run(fresh_corpus, "index", "--wait", "0.5")
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: the search index is busy: another healthqa index writer is running")
        assert result.stderr.endswith("waited 0.5 s\n")
        assert search_json(fresh_corpus, "pneumonia")["total"] == 5  # searching needs no lock
        assert run(fresh_corpus, "reindex", "--wait", "0.5").exit_code == 1
    after = run(fresh_corpus, "index", "--wait", "0.5")
    assert after.exit_code == 0, after.output
    assert after.stdout.startswith("index updated: 1 added or updated, 0 deleted, 25 documents")
    assert hit_ids(search_json(fresh_corpus, "gout")) == ["gout"]


# -- reindex while searching --------------------------------------------------------------


def test_searcher_open_during_reindex_keeps_answering(fresh_corpus: pathlib.Path) -> None:
    with Store.open(str(fresh_corpus)) as store:  # in the records, not yet in the index
        with store.transaction():
            store.put(QAPage(id="gout", source="NIDDK", format="medquad", origin="x", topic="Gout",
                             question="What foods trigger gout?", answers=(Answer("Red meat and shellfish."),)))
    with Searcher(str(fresh_corpus)) as before:
        expected = [hit.id for hit in before.search("pneumonia").hits]
        reindex = subprocess.Popen([sys.executable, "-c", "from healthqa.cli import main; main()",
                                    "--data-dir", str(fresh_corpus), "reindex"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        answered = 0
        while reindex.poll() is None:
            assert [hit.id for hit in before.search("pneumonia").hits] == expected
            answered += 1
        out, err = reindex.communicate(timeout=60)
        assert reindex.returncode == 0, err
        assert out.startswith("index rebuilt: 25 added or updated, 0 deleted, 25 documents")
        assert answered > 0
        assert not before.is_current()
        assert [hit.id for hit in before.search("pneumonia").hits] == expected
        assert before.search("gout").total == 0
    with Searcher(str(fresh_corpus)) as after:
        assert after.is_current()
        assert [hit.id for hit in after.search("gout").hits] == ["gout"]
        assert [hit.id for hit in after.search("pneumonia").hits] == expected


# -- pages that change --------------------------------------------------------------------


def text_page(answer: str) -> str:
    return ("Gout\n\nWhat foods trigger gout?\n\nA Answers (1)\n\n  • A , Nutrition, answered\n\n"
            f"    {answer}\n")


def test_changed_and_deleted_pages_after_ingest_and_index(tmp_path: pathlib.Path) -> None:
    data, pages = tmp_path / "data", tmp_path / "pages"
    pages.mkdir()
    page = pages / "gout.txt"
    page.write_text(text_page("Red meat and shellfish raise uric acid."), encoding="utf-8")
    shutil.copy(SEARCH_DATA.parents[1] / "ingest" / "data" / "text" / "sharecare_back-pain_foot-problems.txt",
                pages / "back.txt")
    assert run(data, "ingest", "--no-index", str(pages)).exit_code == 0
    assert run(data, "index").stdout.startswith("index rebuilt: 2 added or updated, 0 deleted, 2 documents")
    assert hit_ids(search_json(data, "shellfish")) != []

    page.write_text(text_page("Sugary drinks sweetened with fructose raise uric acid."), encoding="utf-8")
    assert run(data, "ingest", "--no-index", str(pages)).stdout.startswith("2 files: 0 new, 1 updated")
    assert run(data, "index").stdout.startswith("index updated: 1 added or updated, 0 deleted, 2 documents")
    first = search_json(data, "fructose")["hits"][0]
    assert first["id"].startswith("gout/") and "<em>fructose</em>" in first["snippet"]
    assert search_json(data, "shellfish")["total"] == 0

    page.unlink()
    assert run(data, "ingest", "--no-index", "--prune", str(pages)).exit_code == 0
    assert run(data, "index").stdout.startswith("index updated: 0 added or updated, 1 deleted, 1 documents")
    assert search_json(data, "fructose")["total"] == 0
    assert search_json(data, "gout")["total"] == 0
    assert search_json(data, "back pain")["total"] == 1


def test_updated_page_is_listed_once_with_its_new_answer(tmp_path: pathlib.Path) -> None:
    data, pages = tmp_path / "data", tmp_path / "pages"
    pages.mkdir()
    (pages / "gout.txt").write_text(text_page("Red meat and shellfish raise uric acid."), encoding="utf-8")
    run(data, "ingest", str(pages))
    (pages / "gout.txt").write_text(text_page("Sugary drinks with fructose raise uric acid."), encoding="utf-8")
    run(data, "ingest", str(pages))
    found = search_json(data, "fructose")
    assert (found["total"], len(found["hits"])) == (1, 1)  # today: 2, the second with the shellfish answer


def test_ingest_brings_the_index_up_to_date_by_itself(tmp_path: pathlib.Path) -> None:
    data, pages = tmp_path / "data", tmp_path / "pages"
    pages.mkdir()
    (pages / "gout.txt").write_text(text_page("Red meat and shellfish raise uric acid."), encoding="utf-8")
    result = run(data, "ingest", str(pages))
    assert result.stdout.splitlines()[1].startswith("index rebuilt: 1 added or updated")
    assert search_json(data, "shellfish")["total"] == 1


# -- eval ---------------------------------------------------------------------------------

MEASURE_LINE = re.compile(r"queries (\d+)  nDCG@10 ([\d.]+)  MAP@10 ([\d.]+)  P@5 ([\d.]+)  MRR@10 ([\d.]+)  "
                          r"avgScore ([\d.]+)  judged@10 ([\d.]+)\n")


def test_eval_prints_the_measures_and_writes_the_run(corpus: pathlib.Path, tmp_path: pathlib.Path) -> None:
    queries, qrels = SEARCH_DATA / "corpus-queries.tsv", SEARCH_DATA / "corpus-qrels.txt"
    run_file = tmp_path / "run.txt"
    result = run(corpus, "eval", str(queries), str(qrels), "--run", str(run_file))
    assert result.exit_code == 0, result.output
    printed = MEASURE_LINE.fullmatch(result.stdout)
    assert printed, result.stdout
    assert printed.group(1) == "2"  # Q3 has no judgments

    lines = [line.split() for line in run_file.read_text(encoding="utf-8").splitlines()]
    assert {line[0] for line in lines} == {"Q1", "Q2"}
    assert all(line[1] == "Q0" and line[5] == "healthqa" for line in lines)
    ranked = {qid: [line[2] for line in lines if line[0] == qid] for qid in ("Q1", "Q2")}
    assert ranked["Q1"][0] == "heart-attack-signs" and ranked["Q2"][0] == "asthma-inhaler"
    assert [int(line[3]) for line in lines if line[0] == "Q1"] == list(range(1, len(ranked["Q1"]) + 1))
    # What was printed is what the run file scores.
    judged = read_qrels(str(qrels))
    ndcg = sum(measure(ranked[q], judged[q])["nDCG@10"] for q in ranked) / 2
    assert float(printed.group(2)) == pytest.approx(ndcg, abs=5e-4)


def test_eval_with_the_liveqa_layout_and_either_field(corpus: pathlib.Path, tmp_path: pathlib.Path) -> None:
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("TQ1 0 GHR_0000804_Sec1 2\nTQ103 0 GARD_0004375_Sec1 1\n")
    for field in ("paraphrase", "subject+message"):
        result = run(corpus, "eval", str(SEARCH_DATA / "liveqa-queries.tsv"), str(qrels), "--field", field)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("queries 2  nDCG@10 0.000")  # none of these answers is in this corpus


def test_eval_with_no_judged_query_is_a_clear_error(corpus: pathlib.Path) -> None:
    result = run(corpus, "eval", str(SEARCH_DATA / "liveqa-queries.tsv"), str(SEARCH_DATA / "corpus-qrels.txt"))
    assert result.exit_code == 1
    assert result.stderr == "Error: no query has judgments in the qrels file\n"


def test_eval_with_an_unknown_field_is_a_usage_error(corpus: pathlib.Path) -> None:
    result = run(corpus, "eval", str(SEARCH_DATA / "liveqa-queries.tsv"), str(SEARCH_DATA / "corpus-qrels.txt"),
                 "--field", "title")
    assert result.exit_code == 2 and "Invalid value for '--field'" in result.stderr
