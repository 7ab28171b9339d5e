"""Lay names the indexed text gives ("diuretics (water pills)", a topic's focus synonyms),
and the two-foci rule, on trimmed MedQuAD pages (tests/search/data/lay/: a few sections of
real MedQuAD documents, answers cut to their first sentences and the one naming a lay
pair; MedQuAD, CC BY 4.0)."""

from __future__ import annotations

import pathlib
from typing import Iterator

import pytest

from healthqa.index import lay_names
from healthqa.index.vocabulary import word_key
from healthqa.ingest.record import QAPage
from healthqa.search.searcher import Searcher
from healthqa.search.settings import RankingSettings, SearchSettings
from healthqa.search.understand import LAY_NAME
from tests.search.corpus_index import build_index

PAGES = pathlib.Path(__file__).resolve().parent / "data" / "lay" / "medquad-trimmed.jsonl"


def pages() -> list[QAPage]:
    return [QAPage.from_json(line) for line in PAGES.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return build_index(tmp_path_factory.mktemp("lay") / "data", pages())


@pytest.fixture(scope="module")
def searcher(data_dir: pathlib.Path) -> Iterator[Searcher]:
    with Searcher(str(data_dir)) as opened:
        yield opened


def topics(searcher: Searcher, query: str, limit: int = 3) -> list[str | None]:
    return [hit.topic for hit in searcher.search(query, limit=limit).hits]


# -- mining ---------------------------------------------------------------------------------

def test_pairs_are_read_from_brackets_and_also_called() -> None:
    text = ("Medicines may include: - Diuretics (water pills) - Nitrates. "
            "- Diuretics are also called water pills. Symptoms include a fast heart rate (tachycardia).")
    found = set(lay_names.pairs_in(text))
    assert ("Diuretics", "water pills") in found
    assert ("fast heart rate", "tachycardia") in found
    assert ("heart rate", "tachycardia") not in found  # only a name as a whole
    # A bracket that is no name ("(see below)") or a list going on pairs nothing.
    assert not set(lay_names.pairs_in("Rest (see page 4) and fluids, or sleep and rest help."))


def test_a_verb_form_in_another_order_meets_the_name() -> None:
    assert lay_names.loose_key("my ears ring") == lay_names.loose_key("Ringing in the ears")
    assert lay_names.loose_key("stomach flu") != lay_names.loose_key("flu")


@pytest.mark.parametrize("word", ["Ringing", "ears", "type-2", "isn't", "X-rays", "childrens", "Ménière's", "it's", "COVID-19"])
def test_a_words_stems_are_the_words_of_its_phrase_key(word: str) -> None:
    # Question reading takes a phrase's stems from its vocabulary key: both must stem alike.
    assert lay_names.word_stems(word) == frozenset(word_key(word).split())


def test_the_index_keeps_the_mined_names(data_dir: pathlib.Path) -> None:
    generation = (data_dir / "index").resolve()
    found = lay_names.LayNames(str(generation)).others([lay_names.loose_key("water pills")])
    assert ("water pills", "diuretics") in {(a, b.lower()) for a, b, _ in found[lay_names.loose_key("water pill")]}


# -- recognition and ranking ----------------------------------------------------------------

def test_ears_ring_is_tinnitus(searcher: Searcher) -> None:
    (focus,) = searcher.understand("why do my ears ring").focus
    assert (focus.text, focus.source, focus.topic) == ("ears ring", LAY_NAME, "Tinnitus")
    assert topics(searcher, "why do my ears ring", 2) == ["Tinnitus", "Tinnitus"]


def test_stomach_flu_is_viral_gastroenteritis_not_flu(searcher: Searcher) -> None:
    understood = searcher.understand("stomach flu how long")
    assert [(f.text, f.topic) for f in understood.focus] == [("stomach flu", "Viral gastroenteritis")]
    assert topics(searcher, "stomach flu how long", 2) == ["Viral gastroenteritis", "Viral gastroenteritis"]


def test_water_pill_brings_the_clinical_name_the_answers_give(searcher: Searcher) -> None:
    understood = searcher.understand("water pill side effects")
    assert [(f.text, f.source, f.canonical) for f in understood.focus] == [("water pill", LAY_NAME, "diuretics")]
    assert understood.expansions == ("diuretics",)


def test_a_clinical_name_is_never_read_as_the_lay_one(searcher: Searcher) -> None:
    understood = searcher.understand("what causes tinnitus")
    assert [(f.text, f.source, f.canonical) for f in understood.focus] == [("tinnitus", "index topic", "tinnitus")]
    assert understood.expansions == ()


def test_a_drug_with_a_condition_ranks_the_drug_first(data_dir: pathlib.Path, searcher: Searcher) -> None:
    query = "can i take ibuprofen with high blood pressure"
    assert topics(searcher, query) == ["Ibuprofen"] * 3
    settings = SearchSettings(ranking=RankingSettings(drug_first=False))
    with Searcher(str(data_dir), settings) as without:
        assert "Ibuprofen" not in topics(without, query)
    # Asking about the condition alone is not changed by the drug rule.
    assert "Ibuprofen" not in topics(searcher, "treatment for high blood pressure")


def test_pages_indexed_later_add_their_names(tmp_path: pathlib.Path) -> None:
    from healthqa.index.writer import sync
    from healthqa.ingest.store import Store

    first, *rest = pages()
    data_dir = build_index(tmp_path / "data", [first])
    with Store.open(str(data_dir)) as store:
        with store.transaction():
            for page in rest:
                store.put(page)
        sync(str(data_dir), store)
    with Searcher(str(data_dir)) as later:
        assert [f.topic for f in later.understand("why do my ears ring").focus] == ["Tinnitus"]
        assert later.understand("water pill side effects").expansions == ("diuretics",)


@pytest.mark.parametrize("name", ["data?mode=ro", "data#1"])
def test_names_are_read_from_a_folder_whose_name_looks_like_uri_syntax(tmp_path: pathlib.Path, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    first, *rest = pages()
    lay_names.write(str(folder), [first])
    lay_names.write(str(folder), rest, extend=True)  # a sync keeps what the file held
    names = lay_names.LayNames(str(folder))
    found = names.others([lay_names.loose_key("water pills")])
    assert ("water pills", "diuretics") in {(a, b.lower()) for a, b, _ in found[lay_names.loose_key("water pills")]}
    # The first page's own pair (no later page gives it) survived the sync.
    key = lay_names.loose_key("Calcific aortic stenosis")
    assert ("Calcific aortic stenosis", "Aortic stenosis") in {(a, b) for a, b, _ in names.others([key])[key]}
