"""The question-type classifier: a small versioned model trained on MedQuAD's own types."""

from __future__ import annotations

import json

import pytest

from healthqa.search.qtype import MODEL_PATH, classifier, features


def test_the_model_is_small_versioned_and_attributed() -> None:
    with open(MODEL_PATH, encoding="utf-8") as handle:
        model = json.load(handle)
    assert model["version"].startswith("qtype-")
    assert "MedQuAD" in model["attribution"] and "CC BY 4.0" in model["attribution"]
    assert len(model["weights"]) == len(model["features"]) and len(model["bias"]) == len(model["labels"])
    assert {"treatment", "symptoms", "causes", "side effects", "information"} <= set(model["labels"])


@pytest.mark.parametrize(("question", "qtype"), [
    ("how do you treat a migraine", "treatment"),
    ("what are the symptoms of the flu", "symptoms"),
    ("what causes hiccups", "causes"),
    ("is psoriasis inherited", "inheritance"),
    ("how is lyme disease diagnosed", "exams and tests"),
    ("how can i prevent kidney stones", "prevention"),
    ("who is at risk for glaucoma", "susceptibility"),
    ("what are the side effects of lisinopril", "side effects"),
])
def test_everyday_questions_get_their_type(question: str, qtype: str) -> None:
    prediction = classifier().predict(question)
    assert prediction.name == qtype
    assert 0.0 < prediction.confidence <= 1.0
    assert all(p <= prediction.confidence for _, p in prediction.alternatives)


def test_the_focus_is_not_a_feature() -> None:
    # A question type is learned from how it is asked, not what it is about.
    assert features("What are the treatments for Paget's disease?", ("Paget's disease",)) == ["treatment"]


def test_a_question_with_no_known_word_falls_back_to_the_prior() -> None:
    prediction = classifier().predict("zzz qqq")
    assert prediction.name == "information" and prediction.confidence < 0.5
