"""Consumer question types: the lexicon written from the type definitions, with the MedQuAD
model's mapped probabilities. The questions here are everyday phrasings written for these
tests (not the LiveQA evaluation questions)."""

from __future__ import annotations

import pathlib
import re

import pytest

from healthqa.search import consumer_types
from healthqa.search.consumer_types import FROM_MEDQUAD, LEXICON, TO_MEDQUAD, asking_words, consumer_type
from healthqa.search.qtype import classifier


@pytest.mark.parametrize(("question", "focus", "wanted"), [
    ("is advil gluten free", ("advil",), "INGREDIENT"),
    ("what kind of doctor treats gout", ("gout",), "PERSON_ORGANIZATION"),
    ("how do i come off prednisone safely", ("prednisone",), "TAPERING"),
    ("how should i dispose of old pills", (), "STORAGE_DISPOSAL"),
    ("can i take tylenol with alcohol", ("tylenol",), "INTERACTION"),
    ("can diabetes lead to blindness", ("diabetes", "blindness"), "COMPLICATION"),
    ("what causes hiccups", ("hiccups",), "CAUSE"),
    ("is the flu contagious", ("flu",), "SUSCEPTIBILITY"),
    ("how many mg of ibuprofen can i take in a day", ("ibuprofen",), "DOSAGE"),
    ("should i take metformin with food", ("metformin",), "USAGE"),
    ("how does metformin work", ("metformin",), "ACTION"),
    ("what can i take instead of ibuprofen", ("ibuprofen",), "ALTERNATIVE"),
    ("how can i prevent kidney stones", ("kidney stones",), "PREVENTION"),
    ("what is the life expectancy with als", ("als",), "PROGNOSIS"),
    ("what is lupus", ("lupus",), "INFORMATION"),
    ("what are the side effects of lisinopril", ("lisinopril",), "SIDE_EFFECT"),
    ("What are the symptoms of Glaucoma ?", ("Glaucoma",), "SYMPTOM"),
    ("How to diagnose Glaucoma ?", ("Glaucoma",), "DIAGNOSIS"),
])
def test_everyday_questions_get_their_consumer_type(question: str, focus: tuple[str, ...], wanted: str) -> None:
    prediction = consumer_type(question, focus)
    assert prediction.name == wanted, prediction
    assert 0.0 < prediction.confidence <= 1.0
    assert all(p <= prediction.confidence for _, p in prediction.alternatives)


def test_what_a_drug_leads_to_is_a_side_effect() -> None:
    assert consumer_type("does lisinopril cause a cough", ("lisinopril",), drug=True).name == "SIDE_EFFECT"
    assert consumer_type("does lisinopril cause a cough", ("lisinopril",), drug=False).name == "COMPLICATION"


def test_a_told_story_is_not_what_is_asked() -> None:
    # "I was diagnosed with asthma" tells; the question is what to eat.
    assert consumer_type("I was diagnosed with asthma last year. What should I eat?", ("asthma",)).name == \
        "LIFESTYLE_DIET"


def test_the_asking_sentence_outweighs_the_story() -> None:
    text = "My mother takes warfarin and her doctor checks her blood often. Is it safe to take aspirin with it?"
    assert consumer_type(text, ("warfarin", "aspirin")).name in ("INTERACTION", "CONTRAINDICATION")


def test_nothing_telling_is_a_request_for_information_with_no_confidence() -> None:
    prediction = consumer_type("zzz qqq")
    assert (prediction.name, prediction.confidence, prediction.cues) == ("INFORMATION", 0.0, ())


def test_every_type_has_a_definition_and_every_mapping_is_closed() -> None:
    for name, (definition, cues, weight) in LEXICON.items():
        assert definition and cues and weight > 0, name
    assert set(FROM_MEDQUAD) == set(classifier().labels)
    assert set(FROM_MEDQUAD.values()) <= set(LEXICON)
    assert set(TO_MEDQUAD.values()) <= set(classifier().labels)


def test_asking_words_are_the_cue_words_only() -> None:
    assert asking_words("water pill side effects") == {"side", "effects"}
    assert "coffee" not in asking_words("is coffee bad for your heart")


def test_a_cue_tied_to_the_end_of_a_question_counts_when_a_story_follows() -> None:
    # "What is X used for?" must end its sentence; it still counts when more text follows it.
    before = consumer_type("What is metformin used for? My mother takes it every day.", ("metformin",))
    after = consumer_type("My mother takes metformin every day. What is metformin used for?", ("metformin",))
    assert before.name == after.name == "INDICATION"
    assert "What is metformin used for?" in before.cues


def test_a_question_with_accents_is_read_as_the_same_question_without() -> None:
    plain = consumer_type("What are the side effects of cafe au lait?", ("cafe au lait",))
    accented = consumer_type("What are the side effects of café au lait?", ("café au lait",))
    assert plain.name == accented.name == "SIDE_EFFECT"
    assert asking_words("side effects of café") == asking_words("side effects of cafe") == {"side", "effects"}


def test_the_cues_tried_on_a_question_are_all_the_cues_that_match_it() -> None:
    # A cue is tried only where some word of the question starts as its first word: that
    # quick pass must never skip a cue that matches, nor find another match than a search
    # does (real MedQuAD questions, and each type's definition written as a question).
    folder = pathlib.Path(__file__).parent / "data" / "relevance" / "medquad"
    questions = [q for path in sorted(folder.glob("*/*.xml"))
                 for q in re.findall(r"<Question[^>]*>([^<]+)</Question>", path.read_text(encoding="utf-8"))]
    questions += [f"Can you tell me {definition}? I was told it is bad." for definition, _, _ in LEXICON.values()]
    assert len(questions) > 500
    cues = consumer_types._cues()
    for question in questions:
        everywhere = {at: found.span() for at, cue in enumerate(cues) if (found := cue.pattern.search(question))}
        assert {at: found.span() for at, found in consumer_types._in_text(question).items()} == everywhere, question
