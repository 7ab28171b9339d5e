"""Relevance measures on hand-computed examples, and reading queries, judgments and runs."""

from __future__ import annotations

import math
import pathlib

import pytest

from corpus_index import DATA
from healthqa.ingest.errors import HealthQAError
from healthqa.search.evaluate import MEASURES, Query, evaluate, measure, read_qrels, read_queries, write_run

LIVEQA = DATA / "liveqa-queries.tsv"  # the first line and two questions of the LiveQA dev queries.tsv


def log2(n: int) -> float:
    return math.log2(n)


# -- measure ------------------------------------------------------------------------------


def test_every_measure_on_a_hand_computed_ranking() -> None:
    judged = {"a": 3, "b": 0, "c": 2, "d": 1, "f": 3, "g": 2}   # f and g are not retrieved
    got = measure(["a", "b", "c", "d", "e", "x"], judged)       # e and x were never judged
    dcg = 3 / log2(2) + 0 / log2(3) + 2 / log2(4) + 1 / log2(5)
    ideal = 3 / log2(2) + 3 / log2(3) + 2 / log2(4) + 2 / log2(5) + 1 / log2(6)
    assert got == pytest.approx({
        "nDCG@10": dcg / ideal,             # 0.6205: graded gains
        "MAP@10": (1 / 1 + 2 / 3) / 4,      # relevant (grade >= 2) at ranks 1 and 3, of 4 relevant
        "P@5": 2 / 5,
        "MRR@10": 1.0,
        "avgScore": 3.0,                    # the grade of the first hit
        "judged@10": 4 / 10,                # a, b, c, d
    })
    assert got["nDCG@10"] == pytest.approx(0.6205, abs=1e-4)


def test_first_relevant_hit_at_rank_two() -> None:
    got = measure(["x", "b", "a"], {"a": 2, "b": 3, "x": 1})
    assert got["MRR@10"] == 0.5
    assert got["avgScore"] == 1.0                             # a related (grade 1) first hit
    assert got["MAP@10"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert got["P@5"] == pytest.approx(2 / 5)
    dcg = 1 + 3 / log2(3) + 2 / log2(4)
    ideal = 3 + 2 / log2(3) + 1 / log2(4)
    assert got["nDCG@10"] == pytest.approx(dcg / ideal)


def test_the_ideal_ranking_scores_one() -> None:
    got = measure(["b", "a", "c"], {"a": 2, "b": 3, "c": 1})
    assert got["nDCG@10"] == pytest.approx(1.0)
    assert (got["MAP@10"], got["MRR@10"], got["judged@10"]) == (1.0, 1.0, 0.3)


def test_only_the_first_ten_hits_count() -> None:
    ranked = [f"x{n}" for n in range(10)] + ["a"]
    got = measure(ranked, {"a": 3})
    assert all(got[name] == 0.0 for name in MEASURES)


def test_nothing_retrieved_scores_zero() -> None:
    assert measure([], {"a": 3}) == dict.fromkeys(MEASURES, 0.0)


def test_judgments_with_nothing_relevant_score_zero_not_an_error() -> None:
    got = measure(["a", "b"], {"a": 0, "b": 1})
    assert (got["MAP@10"], got["P@5"], got["MRR@10"]) == (0.0, 0.0, 0.0)
    assert got["nDCG@10"] == pytest.approx(1 / log2(3))  # b, the only gain, is at rank 2 instead of 1
    assert got["judged@10"] == 0.2


# -- evaluate -----------------------------------------------------------------------------


def test_evaluate_averages_over_judged_queries_only() -> None:
    rankings = {"heart": [("a", 2.0), ("b", 1.0)], "lungs": [("x", 1.0)], "skin": [("a", 1.0)]}
    queries = [Query("Q1", "heart"), Query("Q2", "lungs"), Query("Q3", "skin")]
    qrels = {"Q1": {"a": 3}, "Q2": {"y": 2}}                    # Q3 has no judgments: not counted
    means, runs = evaluate(queries, qrels, lambda text: rankings[text])
    assert means["queries"] == 2
    assert means["nDCG@10"] == pytest.approx(0.5)               # 1.0 and 0.0
    assert means["MRR@10"] == pytest.approx(0.5)
    assert runs == {"Q1": rankings["heart"], "Q2": rankings["lungs"]}


def test_evaluate_with_no_judged_query_says_so() -> None:
    with pytest.raises(HealthQAError, match="no query has judgments in the qrels file"):
        evaluate([Query("Q9", "x")], {"Q1": {"a": 1}}, lambda text: [])


def test_write_run_writes_trec_lines(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "run.txt"
    write_run(str(path), {"Q1": [("a", 2.5), ("b", 1.25)], "Q2": [("c", 0.123456)]}, name="test")
    assert path.read_text(encoding="utf-8") == ("Q1 Q0 a 1 2.5000 test\nQ1 Q0 b 2 1.2500 test\n"
                                                "Q2 Q0 c 1 0.1235 test\n")


# -- reading queries ----------------------------------------------------------------------


def test_read_plain_queries(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "queries.tsv"
    path.write_text("Q1\tfoot pain\n\nQ2\t  heart\tattack \nQ3\n", encoding="utf-8")
    assert read_queries(str(path)) == [Query("Q1", "foot pain"), Query("Q2", "heart attack")]


def test_read_liveqa_paraphrases() -> None:
    assert read_queries(str(LIVEQA), "paraphrase") == [
        Query("TQ1", "What is the relationship between Noonan syndrome and polycystic renal disease?"),
        # TQ103 has no paraphrase: it is asked in its own words.
        Query("TQ103", "What can cause white cells ti uprate"),
    ]


def test_read_liveqa_subject_and_message() -> None:
    assert read_queries(str(LIVEQA), "subject+message") == [
        Query("TQ1", "Noonan syndrome What are the references with noonan syndrome and polycystic renal disease"),
        Query("TQ103", "What can cause white cells ti uprate"),
    ]


def test_read_liveqa_saved_with_a_byte_order_mark(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "queries.tsv"
    path.write_bytes(b"\xef\xbb\xbf" + LIVEQA.read_bytes())
    assert read_queries(str(path), "paraphrase") == read_queries(str(LIVEQA), "paraphrase")


@pytest.mark.parametrize(("content", "form", "message"), [
    ("", "paraphrase", "no queries"),
    ("just words, no tab\n", "paraphrase", "expected lines of 'qid<TAB>text'"),
    ("qid\tsubject\tmessage\tparaphrase\nTQ1\ta\tb\tc\n", "title", "unknown query form 'title'"),
    ("qid\tsubject\tparaphrase\nTQ1\ta\tc\n", "subject+message", "no column 'message'"),
])
def test_unreadable_queries_say_why(tmp_path: pathlib.Path, content: str, form: str, message: str) -> None:
    path = tmp_path / "queries.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(HealthQAError, match=message):
        read_queries(str(path), form)


def test_missing_queries_file_says_so(tmp_path: pathlib.Path) -> None:
    with pytest.raises(HealthQAError, match="cannot read queries"):
        read_queries(str(tmp_path / "missing.tsv"))


# -- reading judgments --------------------------------------------------------------------


def test_read_qrels(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "qrels.txt"
    path.write_text("TQ1 0 GARD_0004375_Sec1 1\n\nTQ1 0 GHR_0000804_Sec1 2\nTQ3 0 ADAM_0003147_Sec1 0\n")
    assert read_qrels(str(path)) == {"TQ1": {"GARD_0004375_Sec1": 1, "GHR_0000804_Sec1": 2},
                                     "TQ3": {"ADAM_0003147_Sec1": 0}}


@pytest.mark.parametrize(("content", "message"), [
    ("TQ1 0 doc 1\nTQ1 doc 1\n", r"qrels.txt:2: expected 'qid 0 docid grade'"),
    ("TQ1 0 doc high\n", "cannot read qrels"),
])
def test_malformed_qrels_say_where(tmp_path: pathlib.Path, content: str, message: str) -> None:
    path = tmp_path / "qrels.txt"
    path.write_text(content)
    with pytest.raises(HealthQAError, match=message):
        read_qrels(str(path))
