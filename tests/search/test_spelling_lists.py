"""Spelling never corrects a real word: 300+ correctly spelled words are left alone, common
misspellings get the right word, and a question in another language is not rewritten."""

from __future__ import annotations

import pathlib
from typing import Iterator

import pytest

from healthqa.ingest.record import Answer, QAPage
from healthqa.search.searcher import Searcher
from healthqa.search.spelling import Speller
from tests.search.corpus_index import DATA, build_index

LISTS = DATA / "spelling"


def correct_words() -> list[str]:
    lines = LISTS.joinpath("correct-words.txt").read_text(encoding="utf-8").splitlines()
    return [word for line in lines if not line.startswith("#") for word in line.split()]


def misspellings() -> list[tuple[str, str]]:
    lines = LISTS.joinpath("misspellings.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


@pytest.fixture(scope="module")
def speller(index_reader) -> Speller:
    return Speller(index_reader)


def test_the_lists_are_as_long_as_promised() -> None:
    assert len(set(correct_words())) >= 300
    assert len(misspellings()) >= 50


def test_no_correctly_spelled_word_is_corrected(speller: Speller) -> None:
    corrected = {word: speller.word(word) for word in correct_words() if speller.word(word)}
    assert corrected == {}


# Words an index-only speller rewrote on MedQuAD, and the words it rewrote them into.
REWRITTEN = {"drink": "during", "sitting": "spitting", "statins": "stain", "naturally": "neurally",
             "covid": "cvid", "hart": "heart"}
FOREIGN = {"fièvre enfant": "fièvre infant", "dolor de cabeza": "color de cabeza"}


@pytest.fixture(scope="module")
def near_words_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """An index whose common words lie one or two edits from real words and foreign words."""
    words = sorted(set(REWRITTEN.values()) | {"fever", "infant", "color", "cad"})
    pages = [QAPage(id=f"near-{copy}", source="test", format="medquad", question=f"{' '.join(words)} ({copy})?",
                    origin=f"test/near/{copy}", answers=(Answer(text="An answer."),)) for copy in range(6)]
    return build_index(tmp_path_factory.mktemp("near") / "data", pages)


def test_the_index_alone_would_rewrite_them(near_words_dir: pathlib.Path) -> None:
    # Without the word lists (what the speller did before): the tests below are not vacuous.
    with Searcher(str(near_words_dir)) as searcher:
        speller = Speller(searcher._reader, real_words=False, min_length=3)
        assert {word: speller.word(word) for word in REWRITTEN} == REWRITTEN
        assert speller.word("cbd") == "cad"
        assert {query: speller.suggest(query) for query in FOREIGN} == FOREIGN


def test_words_once_rewritten_are_left_as_typed(near_words_dir: pathlib.Path) -> None:
    with Searcher(str(near_words_dir)) as searcher:
        for query in [*REWRITTEN, "cbd oil"]:
            results = searcher.search(query)
            assert results.suggestion is None and results.corrected_from is None, query
            assert not any(note.startswith("also searched") for note in results.notes), query


@pytest.mark.parametrize("query", list(FOREIGN))
def test_a_question_in_another_language_is_not_rewritten(near_words_dir: pathlib.Path, query: str) -> None:
    with Searcher(str(near_words_dir)) as searcher:
        results = searcher.search(query)
    assert results.suggestion is None and results.corrected_from is None
    assert not any(note.startswith("also searched") for note in results.notes)


@pytest.fixture(scope="module")
def vocabulary_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """An index whose questions hold every right spelling of the misspelling list, each on
    several pages, as a large collection would."""
    targets = sorted({good for _, good in misspellings()})
    pages = []
    for start in range(0, len(targets), 8):
        words = targets[start:start + 8]
        for copy in range(6):
            pages.append(QAPage(id=f"page-{start}-{copy}", source="test", format="medquad",
                                question=f"What about {' and '.join(words)}? ({copy})", origin=f"test/{start}/{copy}",
                                answers=(Answer(text="An answer."),), topic=words[0].title()))
    return build_index(tmp_path_factory.mktemp("spelling") / "data", pages)


def test_common_misspellings_get_the_right_word(vocabulary_dir: pathlib.Path) -> None:
    with Searcher(str(vocabulary_dir)) as searcher:
        pairs = misspellings()
        wrong = {bad: searcher.search(bad).suggestion for bad, good in pairs if searcher.search(bad).suggestion != good}
    assert len(wrong) <= 0.2 * len(pairs), wrong


def test_an_english_question_with_a_typo_is_still_corrected(searcher: Searcher) -> None:
    assert searcher.search("symptoms of pnuemonia").suggestion == "symptoms of pneumonia"
