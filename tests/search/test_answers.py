"""Answers matched one by one (Python API): role filters, phrases inside one answer, the
query language's field words, folded roles and topics, expert signals, answer listings, and
the answer index kept in step by incremental syncs.

On real pages: the seed page (Physical Therapy and Fitness answers), the real MedHelp and
Scope threads with their roles, and a forum thread with many roles and expert signals made
from the MedHelp one (``data/answers/forum_many-roles.html``, its header says what changed).
"""

from __future__ import annotations

import pathlib
import shutil
from typing import Iterator

import pytest

from healthqa.index.writer import sync
from healthqa.ingest.pipeline import Options, ingest
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store
from healthqa.search.searcher import Filters, Searcher
from healthqa.search.settings import AnswerSettings, SearchSettings

TESTS = pathlib.Path(__file__).resolve().parents[1]
PAGES = [TESTS / "ingest" / "data" / "text" / "sharecare_back-pain_foot-problems.txt",
         TESTS / "ingest" / "data" / "html" / "medhelp_heart-rhythm-tikosyn-1640925.html",
         TESTS / "ingest" / "data" / "html" / "scope_copd-57774.html",
         TESTS / "search" / "data" / "answers" / "forum_many-roles.html"]
SEED = "back-pain/how-can-foot-problems-cause-back-pain/b46b4ddb"
MEDHELP = "https://www.medhelp.org/posts/Heart-Rhythm/Tikosyn-load-ablation/show/1640925"
MANY_ROLES = "https://forum.example/posts/Heart-Rhythm/Tikosyn-load-ablation/show/many-roles"


def ingest_into(data_dir: pathlib.Path, files: list[pathlib.Path]) -> pathlib.Path:
    folder = data_dir.parent / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copy(file, folder / file.name)
    with Store.open(str(data_dir)) as store:
        summary = ingest([str(folder)], store, Options(workers=1))
        assert not summary.rejected
        sync(str(data_dir), store)
    return data_dir


@pytest.fixture(scope="module")
def pages_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return ingest_into(tmp_path_factory.mktemp("answers") / "data", PAGES)


@pytest.fixture(scope="module")
def searcher(pages_dir: pathlib.Path) -> Iterator[Searcher]:
    with Searcher(str(pages_dir)) as opened:
        yield opened


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


# -- the sample page: the acceptance case -------------------------------------------------


def test_role_filter_needs_an_answer_by_that_role_to_match(searcher: Searcher) -> None:
    # "vertical load" is in the Fitness answer only: the Physical Therapy answer beside it does not count.
    assert searcher.search("vertical load", Filters(roles=("Physical Therapy",))).total == 0
    fitness = searcher.search("vertical load", Filters(roles=("Fitness",)))
    assert ids(fitness) == [SEED]
    [answer] = fitness.hits[0].answers
    assert answer.role == "Fitness" and "vertical load" in answer.snippet.plain()
    therapy = searcher.search("pronation", Filters(roles=("physical   therapy",)))  # case and spaces folded
    assert ids(therapy) == [SEED]
    assert [a.role for a in therapy.hits[0].answers] == ["Physical Therapy"]
    assert "pronated" in therapy.hits[0].answers[0].snippet.plain()


def test_without_a_filter_a_hit_shows_the_answers_that_matched_best_first(searcher: Searcher) -> None:
    hit = next(hit for hit in searcher.search("vertical load").hits if hit.id == SEED)
    assert [a.role for a in hit.answers] == ["Fitness"]  # the only answer that says it
    hit = next(hit for hit in searcher.search("ilium pelvis spine").hits if hit.id == SEED)
    # both say "spine"; only one says all three
    assert [a.role for a in hit.answers] == ["Physical Therapy", "Fitness"]


def test_a_phrase_never_spans_two_answers(searcher: Searcher) -> None:
    # The Physical Therapy answer ends "... in the spine." and the Fitness answer starts "Sometimes, ..."
    for query in ('"spine sometimes"', 'answer:"spine sometimes"'):
        assert searcher.search(query).total == 0, query
    assert ids(searcher.search('answer:"vertical load"')) == [SEED]
    assert ids(searcher.search('"vertical load"')) == [SEED]


# -- a forum thread with many roles --------------------------------------------------------


def test_forum_thread_role_filter_keeps_the_answer_of_that_role(searcher: Searcher) -> None:
    # "recall" is in one reply only (not in the question): by "Community Leader" on both threads.
    leaders = searcher.search("recall", Filters(roles=("community leader",)))
    assert set(ids(leaders)) == {MEDHELP, MANY_ROLES}
    for hit in leaders.hits:
        assert [a.role.casefold() for a in hit.answers] == ["community leader"]
        assert "recall" in hit.answers[0].snippet.plain()
    for role in ("Electrophysiology", "Cardiology"):
        assert searcher.search("recall", Filters(roles=(role,))).total == 0
    either = searcher.search("recall", Filters(roles=("Cardiology", "Community Leader")))
    assert set(ids(either)) == {MEDHELP, MANY_ROLES}


def test_words_on_the_page_count_for_each_answer_but_other_answers_do_not(searcher: Searcher) -> None:
    # "Tikosyn" is in the thread's question: every answer there answers it.
    found = searcher.search("tikosyn", Filters(roles=("Electrophysiology",)))
    assert ids(found) == [MANY_ROLES] and [a.role for a in found.hits[0].answers] == ["Electrophysiology"]
    # "jog" is in the Electrophysiology reply only.
    assert ids(searcher.search("jog", Filters(roles=("Electrophysiology",)))) == [MANY_ROLES]
    assert searcher.search("jog", Filters(roles=("Cardiology",))).total == 0


def test_roles_are_one_facet_value_whatever_their_case(searcher: Searcher) -> None:
    results = searcher.search("tikosyn")
    leader = [name for name in results.facets["role"] if name.casefold() == "community leader"]
    assert len(leader) == 1 and results.facets["role"][leader[0]] == 2
    assert results.facets["role"]["Cardiology"] == 1


def test_expert_signals_rank_accepted_and_voted_answers(pages_dir: pathlib.Path) -> None:
    # The two threads ask the same question: shown apart (not collapsed) to compare them.
    plain = SearchSettings(answers=AnswerSettings(accepted_weight=0.0, votes_weight=0.0), collapse_duplicates=False)
    accepted = SearchSettings(answers=AnswerSettings(accepted_weight=10.0, votes_weight=0.0),
                              collapse_duplicates=False)
    with Searcher(str(pages_dir), plain) as a, Searcher(str(pages_dir), accepted) as b:
        before = {hit.id: hit for hit in a.search("doctor").hits}
        after = {hit.id: hit for hit in b.search("doctor").hits}
    assert after[MANY_ROLES].score > before[MANY_ROLES].score * 5  # its accepted answer says "doctor"
    assert after[MEDHELP].score == pytest.approx(before[MEDHELP].score)  # no signals on the real page
    assert after[MANY_ROLES].answers[0].accepted and after[MANY_ROLES].answers[0].role == "Cardiology"
    assert not before[MANY_ROLES].answers[0].accepted
    voted = next(a for a in after[MANY_ROLES].answers + before[MANY_ROLES].answers if a.votes)
    assert voted.votes == 12 and voted.role == "Community Leader"


# -- the query language --------------------------------------------------------------------


def test_field_words_restrict_to_their_field(tmp_path: pathlib.Path) -> None:
    pages = [QAPage(id="tracker", source="forum", format="text", origin="o", topic="Gadgets",
                    question="Is a fitness tracker accurate?", answers=(Answer("Mine counts steps well."),)),
             QAPage(id="walks", source="sharecare", format="text", origin="o", topic="Fitness",
                    question="How far should I walk?", answers=(Answer("Start with ten minutes.", role="Fitness"),))]
    data_dir = tmp_path / "data"
    with Store.open(str(data_dir)) as store:
        with store.transaction():
            for page in pages:
                store.put(page)
        sync(str(data_dir), store)
    with Searcher(str(data_dir)) as searcher:
        assert set(ids(searcher.search("fitness"))) == {"tracker", "walks"}
        assert ids(searcher.search("role:fitness")) == ["walks"]
        assert ids(searcher.search("expert:Fitness")) == ["walks"]
        assert ids(searcher.search("topic:fitness")) == ["walks"]
        assert ids(searcher.search("source:SHARECARE")) == ["walks"]
        assert ids(searcher.search("answer:steps")) == ["tracker"]
        assert searcher.search("answer:fitness").total == 0
        [hit] = searcher.search("role:fitness").hits
        assert [a.role for a in hit.answers] == ["Fitness"]


# -- topics folded, facets truncated -------------------------------------------------------


def palsy_pages() -> list[QAPage]:
    spellings = ["Bell's palsy", "Bell's palsy", "Bell's Palsy", "bell's  palsy", "Stroke", "Migraine"]
    return [QAPage(id=f"p{n}", source="forum", format="text", origin="o", topic=topic,
                   question=f"Does my face droop {n}?", answers=(Answer("Facial weakness can droop.", role=role),))
            for n, (topic, role) in enumerate(zip(spellings, ["Neurology", "neurology", "NEUROLOGY ", "ENT", "ENT",
                                                              "Neurology"]))]


def test_topics_and_roles_fold_for_filters_and_facets(tmp_path: pathlib.Path) -> None:
    data_dir = tmp_path / "data"
    with Store.open(str(data_dir)) as store:
        with store.transaction():
            for page in palsy_pages():
                store.put(page)
        sync(str(data_dir), store)
    with Searcher(str(data_dir)) as searcher:
        results = searcher.search("droop")
        assert results.facets["topic"] == {"Bell's palsy": 4, "Migraine": 1, "Stroke": 1}  # most common spelling
        assert results.facets["role"] == {"Neurology": 4, "ENT": 2}
        for typed in ("BELL'S PALSY", "bell's palsy", " Bell's   Palsy "):
            assert set(ids(searcher.search("droop", Filters(topic=typed), limit=10))) == {"p0", "p1", "p2", "p3"}
        assert set(ids(searcher.search("droop", Filters(roles=("neurology",))))) == {"p0", "p1", "p2", "p5"}
    narrow = SearchSettings(facet_limit=2)
    with Searcher(str(data_dir), narrow) as searcher:
        results = searcher.search("droop")
        assert len(results.facets["topic"]) == 2 and results.facets_more == {"topic": 1}
        assert results.to_dict()["facets_more"] == {"topic": 1}


# -- answers listed one by one --------------------------------------------------------------


def test_search_answers_lists_each_matching_answer(searcher: Searcher) -> None:
    found = searcher.search_answers("pronation")
    assert sorted((a.id, a.role) for a in found.answers) == [(SEED, "Fitness"), (SEED, "Physical Therapy")]
    assert found.total == 2 and found.answers[0].score >= found.answers[1].score > 0
    therapy = searcher.search_answers("pronation", Filters(roles=("Physical Therapy",)))
    [listed] = therapy.answers
    assert (listed.role, listed.question) == ("Physical Therapy", "How can foot problems cause back pain?")
    assert searcher.search_answers("vertical load", Filters(roles=("Physical Therapy",))).total == 0
    leaders = searcher.search_answers("recall", limit=1)
    assert leaders.total == 2 and len(leaders.answers) == 1 and leaders.pages == 2
    assert leaders.answers[0].author == "Jerry_NJ"


# -- the answer index follows incremental syncs ---------------------------------------------


def test_sync_updates_and_deletes_answers(tmp_path: pathlib.Path) -> None:
    data_dir = ingest_into(tmp_path / "data", PAGES[:1])
    page = QAPage(id="knees", source="forum", format="text", origin="o", question="Why do my knees ache?",
                  answers=(Answer("Squats done badly strain them.", role="Fitness"),))
    with Store.open(str(data_dir)) as store:
        store.put(page)
        sync(str(data_dir), store)
        with Searcher(str(data_dir)) as searcher:
            assert ids(searcher.search("squats", Filters(roles=("Fitness",)))) == ["knees"]
        store.put(QAPage(**{**page.__dict__, "content_hash": "",
                            "answers": (Answer("Squats done badly strain them.", role="Orthopedics"),)}))
        sync(str(data_dir), store)
        with Searcher(str(data_dir)) as searcher:
            assert searcher.search("squats", Filters(roles=("Fitness",))).total == 0
            assert ids(searcher.search("squats", Filters(roles=("orthopedics",)))) == ["knees"]
            assert [a.role for a in searcher.search_answers("squats").answers] == ["Orthopedics"]
        store.delete(["knees"])
        sync(str(data_dir), store)
        with Searcher(str(data_dir)) as searcher:
            assert searcher.search_answers("squats").total == 0
            assert ids(searcher.search("vertical load", Filters(roles=("Fitness",)))) == [SEED]


def test_a_closed_searcher_keeps_no_index_file_open(pages_dir: pathlib.Path) -> None:
    # The term tables are mapped and read through descriptors of their own: closing the searcher
    # (a server does at each new index generation) lets go of them at once, answers' index too.
    def open_files() -> set[str]:
        fds = pathlib.Path("/proc/self/fd")
        found = {str(fd.resolve()) for fd in fds.iterdir() if fd.exists()}
        found |= {line.split()[-1] for line in pathlib.Path("/proc/self/maps").read_text().splitlines()
                  if line.count(" ") >= 5}
        return {name for name in found if name.startswith(str(pages_dir.resolve()))}

    before = open_files()
    with Searcher(str(pages_dir)) as searcher:
        assert searcher.search_answers("pronation").total
        assert searcher.search("foot pain").total
        assert open_files() - before  # the check sees the files a searcher holds
    assert open_files() <= before
