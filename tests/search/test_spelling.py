"""Did-you-mean from the index's own vocabulary (questions, topics, synonyms and roles)."""

from __future__ import annotations

from typing import Any

import pytest

from healthqa.search.spelling import Speller


@pytest.fixture(scope="module")
def speller(index_reader: Any) -> Speller:
    return Speller(index_reader)


@pytest.mark.parametrize(("word", "correction"), [
    ("pnuemonia", "pneumonia"),
    ("pneumnia", "pneumonia"),
    ("diabetis", "diabetes"),
    ("diabets", "diabetes"),
    ("haert", "heart"),
    ("atack", "attack"),
    ("fitnes", "fitness"),      # roles are part of the vocabulary
])
def test_misspelled_word_is_corrected_to_a_common_word(speller: Speller, word: str, correction: str) -> None:
    assert speller.word(word) == correction


@pytest.mark.parametrize("word", ["pneumonia", "diabetes", "heart",  # common and right
                                  "what", "the",                      # stop words
                                  "xylophone", "zzzz"])               # nothing near them
def test_word_without_a_better_spelling_is_left_alone(speller: Speller, word: str) -> None:
    assert speller.word(word) is None


@pytest.mark.parametrize(("query", "suggestion"), [
    ("pnuemonia", "pneumonia"),
    ("Pnuemonia symptoms", "pneumonia symptoms"),
    ("haert atack", "heart attack"),
    ("what are the signs of diabetis?", "what are the signs of diabetes?"),
    ("type-2 diabetis", "type-2 diabetes"),
    ("haert atack haert", "heart attack heart"),
])
def test_suggest_corrects_the_misspelled_words_of_a_query(speller: Speller, query: str, suggestion: str) -> None:
    assert speller.suggest(query) == suggestion


@pytest.mark.parametrize("query", ["pneumonia", "heart attack", '"haert atack"', "question:diabetis",
                                   "diabetis -insulin", "+diabetis", "diab*", "diabetis~", "(haert atack)", ""])
def test_suggest_leaves_right_and_structured_queries_alone(speller: Speller, query: str) -> None:
    assert speller.suggest(query) is None
