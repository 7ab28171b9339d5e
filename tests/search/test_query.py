"""Reading what a person typed: the query language, and malformed input read safely or refused clearly."""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from healthqa.ingest.errors import QueryError
from healthqa.search.query import QueryReader, highlight_terms
from healthqa.search.query_syntax import has_sign
from healthqa.search.rank import weighted_terms
from healthqa.search.searcher import Searcher
from healthqa.search.settings import SearchSettings


@pytest.fixture(scope="module")
def reader(index_reader: Any) -> QueryReader:
    return QueryReader(index_reader.schema, SearchSettings())


# -- tidying the raw string ---------------------------------------------------------------


def test_spaces_are_collapsed_and_question_marks_are_punctuation(reader: QueryReader) -> None:
    assert reader.read("  what   causes\tgout? ") == ("what causes gout ", [])


@pytest.mark.parametrize(("typed", "read_as"), [
    ("q:aspirin", "question:aspirin"),
    ("Question:aspirin", "question:aspirin"),
    ("role:fitness", "role_text:fitness"),
    ("expert:fitness", "role_text:fitness"),
    ("focus:asthma", "topic:asthma"),
    ("site:CDC", "source:CDC"),
    ("type:symptoms", "qtype:symptoms"),
])
def test_field_aliases_name_index_fields(reader: QueryReader, typed: str, read_as: str) -> None:
    assert reader.read(typed) == (read_as, [])


def test_unknown_field_is_read_as_words_with_a_note_listing_the_fields(reader: QueryReader) -> None:
    text, notes = reader.read("foo:bar")
    assert text == "foo bar"
    assert notes == ["unknown field 'foo': read as words (fields: answer, answers, detail, expert, focus, id, q, "
                     "qtype, question, related, role, site, source, synonym, synonyms, topic, type)"]


def test_a_colon_inside_words_or_phrases_is_not_a_field(reader: QueryReader) -> None:
    assert reader.read('"ratio 3:1" time: now') == ('"ratio 3:1" time: now', [])


# -- parsing against the index ------------------------------------------------------------


def test_prefix_stands_for_a_bounded_number_of_words(index_reader: Any) -> None:
    bounded = QueryReader(index_reader.schema, SearchSettings(max_expansions=1))
    parsed = bounded.parse("pa*", index_reader)
    assert parsed.notes == ("'pa' matches many words: used the 1 most common",)
    assert {text for _, text in parsed.query.iter_all_terms()} == {"pain"}  # the most common "pa..." word


def test_prefix_matching_nothing_finds_nothing(searcher: Searcher) -> None:
    results = searcher.search("zzq*")
    assert (results.total, results.notes) == (0, ())


def test_not_between_words_excludes_as_minus_does(searcher: Searcher) -> None:
    parsed = searcher.parse("pneumonia NOT vaccine").query
    assert isinstance(parsed, wq.AndNot)
    assert {text for _, text in parsed.a.iter_all_terms()} == {"pneumonia"}
    assert {text for _, text in parsed.b.iter_all_terms()} == {"vaccin"}


def test_a_double_dash_is_punctuation_not_an_exclusion(searcher: Searcher) -> None:
    """Typed text writes a dash as "--": the word after it is still searched for, not excluded."""
    parsed = searcher.parse("pneumonia -- vaccine").query
    assert not isinstance(parsed, wq.AndNot)
    assert {text for _, text in parsed.iter_all_terms()} == {"pneumonia", "vaccin"}
    assert isinstance(searcher.parse("pneumonia -vaccine").query, wq.AndNot)


@pytest.mark.parametrize("typed", ['flu-vaccine "heart attack"', 'flu-vaccine AND "heart attack"',
                                   'flu-vaccine (heart attack)'])
def test_a_hyphen_in_a_word_is_no_exclusion_with_quotes_or_operators_either(searcher: Searcher, typed: str) -> None:
    """"covid-19" searches for both words whatever else the question holds: Whoosh's parser,
    which quotes and operators bring in, would read the dash as 'not 19'."""
    parsed = searcher.parse(typed).query
    assert not isinstance(parsed, wq.AndNot)
    assert {"flu", "vaccin"} <= {text for _, text in parsed.iter_all_terms()}


def _same_query(ours: wq.Query, whoosh: wq.Query) -> bool:
    """The same query objects: same types, and the same attributes all the way down."""
    if type(ours) is not type(whoosh):
        return False
    if isinstance(ours, wq.CompoundQuery):
        return (len(ours.subqueries) == len(whoosh.subqueries)
                and {k: v for k, v in vars(ours).items() if k not in ("subqueries", "a", "b")}
                == {k: v for k, v in vars(whoosh).items() if k not in ("subqueries", "a", "b")}
                and all(_same_query(a, b) for a, b in zip(ours.subqueries, whoosh.subqueries)))
    if isinstance(ours, wq.Not):
        return ours.boost == whoosh.boost and _same_query(ours.query, whoosh.query)
    return vars(ours) == vars(whoosh) if hasattr(ours, "__dict__") else ours == whoosh


# Consumer questions that quote something (as in the RQE pairs), and the odd cases of the syntax.
QUOTED = [
    'What is "chronic Lyme disease "',
    'my doctor said it was "just a virus" but the rash is still there after "two weeks"',
    'is "pink eye" contagious',
    '"heart" attack',                 # a one-word phrase: Whoosh makes it a term at no boost
    '"the of" attack',                # a phrase of stop words only: nothing
    '"" heart',                       # an empty phrase
    'x"heart attack"y',               # a phrase inside a word
    '"heart attack" "heart attack" heart',  # repeats: each query once
    '"über café" naïve 3.5mg',
    'my covid-19 test and "sore throat"',  # a dash anywhere outside a phrase: "not the next part"
    '"heart attack" -aspirin',
    '-"heart attack"',                      # nothing wanted: nothing
    'pain - "heart attack" well-',
]


# Operators, brackets, fields and their odd cases (each shape Whoosh's parser reads its own way).
OPERATORS = [
    "CAN LIPNODES AND OR LIVER CANCER BE DETECTED IN A UPPER GI",  # a LiveQA question: "AND OR"
    "heart AND attack OR stroke NOT aspirin", "pain ANDNOT fever", "pain ANDMAYBE fever", "pain REQUIRE fever",
    "pain NOT", "(pain NOT)", "(+pain)", "AND pain", "pain OR", "a OR b OR c AND d", "(heart attack) OR (stroke)",
    "((pain))", ") pain (", "(pain (fever) cough", "x(heart attack)y", "+pain -fever +cough",
    "+ pain - - fever", "-pain +", "question:heart answer:\"chest pain\"", "question:(heart attack)",
    "question: heart", "foo:bar:baz pain", "3:1 ratio", "question:the ANDNOT question:pain",
    "source:CDC OR source:GARD", "'chest pain' heart", "don't 'x' 'the of' ''", "3,5mg AND Über",
    '"heart attack" AND (pain OR "chest pain") -aspirin', "NOT (the) pain", "(the) AND (of)",
    'and"ANDNOT answer: foo: OR    ANDNOT OR 3: x+',  # a binary query flattened into an OR: its boost reset
]


@pytest.mark.parametrize("typed", QUOTED + OPERATORS)
def test_syntax_is_read_as_whooshs_parser_reads_it(reader: QueryReader, typed: str) -> None:
    """Quotes, operators, brackets and fields are read without Whoosh's parser (ten times
    slower), into the very query objects it builds."""
    tidied, _ = reader.read(typed)
    ours = reader._syntax.parse(tidied)
    assert ours is not None
    assert _same_query(ours, reader._parser.parse(tidied))


def test_real_questions_with_syntax_are_read_as_whooshs_parser_reads_them(reader: QueryReader) -> None:
    path = pathlib.Path(__file__).parent / "data" / "syntax-questions.txt"
    questions = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    differ = []
    for question in questions:
        tidied, _ = reader.read(question)
        ours = reader._syntax.parse(tidied)
        if ours is None or not _same_query(ours, reader._parser.parse(tidied)):
            differ.append(question)
    assert len(questions) == 55 and differ == []



def test_the_weighted_terms_made_with_plain_words_are_those_read_from_their_query(reader: QueryReader,
                                                                                  index_reader: Any) -> None:
    """Plain words get their weighted terms with their query, word by word: the same terms,
    weights and order as :func:`weighted_terms` reads from the query (real MedQuAD questions)."""
    folder = pathlib.Path(__file__).parent / "data" / "relevance" / "medquad"
    questions = [q for path in sorted(folder.glob("*/*.xml"))
                 for q in re.findall(r"<Question[^>]*>([^<]+)</Question>", path.read_text(encoding="utf-8"))]
    assert len(questions) > 500
    found = 0
    for question in questions + ["what causes gout", "gout gout GOUT"]:
        parsed = reader.parse(question, index_reader)
        assert parsed.terms is not None, question
        made = parsed.weighted_terms()
        assert made == weighted_terms(parsed.query), question
        assert [type(t.weight) for t in made] == [float] * len(made), question
        found += bool(made)
    assert found > 500


@settings(max_examples=2000, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=" \t\n\u00a0\u2003ab+-", max_size=10))
def test_a_sign_before_a_word_is_found_as_the_syntax_pattern_finds_it(text: str) -> None:
    assert has_sign(text) == bool(re.search(r"(?:^|\s)[+-]\S", text))
    assert has_sign(text, word_after=False) == bool(re.search(r"(?<!\S)[+-]", text))

_PIECES = ["heart", "attack", "the", "of", "Pain", "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "(", ")",
           '"', "-", "+", "question:", "answer:", "source:", "foo:", "3:", "'", "covid-19", "don't", "x", "3,5mg",
           " ", "  ", "type:", "id:", "and", "Über", "topic:", "role_text:", "a.b"]


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.sampled_from(_PIECES), st.booleans()), min_size=1, max_size=14))
def test_made_up_syntax_is_read_as_whooshs_parser_reads_it(reader: QueryReader, pieces: list[tuple[str, bool]]) -> None:
    """Any mix of words, quotes, operators, brackets, signs and fields: the same query objects as
    Whoosh's parser builds, or (for shapes it fails on) left to it."""
    tidied, _ = reader.read("".join(piece + (" " if spaced else "") for piece, spaced in pieces))
    ours = reader._syntax.parse(tidied)
    if ours is None:
        return
    assert _same_query(ours, reader._parser.parse(tidied))


@pytest.mark.parametrize("typed", ["heart*", "pain~", "pain^2", "[a TO b]", "NOT NOT pain", "heart (pain +fever)"])
def test_other_syntax_and_shapes_whoosh_fails_on_are_left_to_its_parser(reader: QueryReader, typed: str) -> None:
    assert reader._syntax.parse(reader.read(typed)[0]) is None


def test_highlight_terms_are_the_analysed_words_of_text_fields(searcher: Searcher) -> None:
    parsed = searcher.parse('Vaccines "heart attack" source:CDC -smoking')
    assert highlight_terms(parsed.query) == {"vaccin", "heart", "attack", "smoke"}


# -- malformed queries: a clear error, or a safe literal reading with a note ---------------


@pytest.mark.parametrize(("typed", "note", "finds"), [
    ('"heart attack', "unbalanced quote: read the words without the phrase", "heart-attack-signs"),
    ('heart "attack" "', "unbalanced quote: read the words without the phrase", "heart-attack-signs"),
    ("(heart attack", "unbalanced parenthesis: read the words without grouping", "heart-attack-signs"),
    ("heart) attack", "unbalanced parenthesis: read the words without grouping", "heart-attack-signs"),
    ("foo:aspirin", "unknown field 'foo': read as words", "heart-attack-aspirin"),
    (("what are the warning signs of a heart attack " * 250)[:10_000], "query cut to its first 2,000 characters",
     "heart-attack-signs"),
])
def test_malformed_query_is_read_literally_with_a_note(searcher: Searcher, typed: str, note: str,
                                                       finds: str) -> None:
    results = searcher.search(typed)
    assert any(n.startswith(note) for n in results.notes), results.notes
    assert finds in [hit.id for hit in results.hits]


@pytest.mark.parametrize("typed", ["", "   ", "what is the", "How do I?", "AND", "OR", "NOT", "AND OR NOT",
                                   "NOT vaccine", "-vaccine", "()", '""', "+", "~", "^"])
def test_query_with_nothing_to_search_for_says_so(searcher: Searcher, typed: str) -> None:
    results = searcher.search(typed)
    assert (results.total, results.hits) == (0, ())
    assert "no words to search for (only common words or symbols)" in results.notes


@pytest.mark.parametrize("typed", ["*", "a*", "*ain", "heart **", "source:*", "d*b*t*s"])
def test_wildcard_that_would_match_too_much_is_refused(searcher: Searcher, typed: str) -> None:
    with pytest.raises(QueryError, match=r"would match too much: put at least two letters before '\*'"):
        searcher.search(typed)


# An RQE consumer question (rqe-amia2016-train.xml) that writes out a formula.
FORMULA = ("Is this an accurate formula to calculate low-density-lipoprotein (LDL)-cholesterol? "
           "LDL = (total cholesterol - high-density-lipoprotein) - (0.2 * triglycerides)")


@pytest.mark.parametrize("typed", [FORMULA, "weight * height", "pain * * back"])
def test_star_standing_alone_between_words_is_a_sign_not_a_refused_wildcard(searcher: Searcher, typed: str) -> None:
    results = searcher.search(typed)
    assert "a '*' standing alone between words read as a sign, not a wildcard" in results.notes
    assert "*" not in results.searched
    assert searcher.search(typed.replace("*", " ")).hits == results.hits  # the same as without it


@pytest.mark.parametrize("typed", ["x" * 10_000, "pain~9", "[a TO z]", "question:[a TO", "pain^", "^2 pain",
                                   "a~", "\\", "{", "pain/", "http://x.org/a?b=c", "heart\x00attack", "\x1b[2J"])
def test_odd_input_never_raises_anything_but_query_error(searcher: Searcher, typed: str) -> None:
    try:
        results = searcher.search(typed)
    except QueryError:
        return
    # An answer, consistent with itself: a first page of every match up to ten, notes on one line each.
    assert len(results.hits) == min(results.total, 10)
    assert [hit.rank for hit in results.hits] == list(range(1, len(results.hits) + 1))
    assert all(note and "\n" not in note for note in results.notes)
