"""Question type: a linear classifier from question text to what it asks (treatment, side
effects, causes, ...), applied with numpy.

The model is trained on MedQuAD's own ``qtype`` labels by ``bench/train_qtype.py`` and
ships as ``qtype_model.json`` beside this module (features, one weight row per type,
biases, its version and the data's attribution). Nothing is trained at install or run
time. The labels are MedQuAD's type names, the ones indexed pages carry, so a predicted
type can be matched against pages directly.

>>> from healthqa.search.qtype import classifier               # doctest: +SKIP
>>> classifier().predict("can i take ibuprofen with warfarin").name   # doctest: +SKIP
'interactions with medications'
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MODEL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qtype_model.json")
FOCUS_TOKEN = "FOCUS"
_WORD = re.compile(r"[^\W_]+")


_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    """Plural and verb endings off ("treated" -> treat, "effects" -> effect). Lighter than
    Porter's stemmer on purpose: it keeps "effective" apart from "effects"."""
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + replacement
    return word


# Function words: templated questions share them across types ("what is", "how to"),
# so a model trained on templates leans on them and fails on everyday wording.
FUNCTION_WORDS = frozenset(
    "a an and are as at be by can for from have if in is it may not of on or that the this to us we will with "
    "you your i my me do does did what which how who why whom am s there about should".split())


def tokens(text: str, focus: tuple[str, ...] = ()) -> list[str]:
    """Lower-case words of ``text``, each focus phrase replaced by one placeholder token."""
    lowered = " " + " ".join(_WORD.findall(text.lower())) + " "
    for phrase in sorted(focus, key=len, reverse=True):
        words = " ".join(_WORD.findall(phrase.lower()))
        if words:
            lowered = lowered.replace(f" {words} ", f" {FOCUS_TOKEN} ")
    return lowered.split()


def features(text: str, focus: tuple[str, ...] = ()) -> list[str]:
    """Content-word stems of a question and their bigrams (focus, function words and
    numbers left out).

    >>> features("What are the side effects of aspirin?", ("aspirin",))
    ['side', 'effect', 'side effect']
    """
    return list(_features(text, tuple(focus)))


@lru_cache(maxsize=8)  # one search's questions, not a memo of questions asked before
def _features(text: str, focus: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`features`, remembered: reading one question asks for them four times."""
    words = [w for w in map(_feature_word, tokens(text, focus)) if w is not None]
    return tuple(words + [f"{a} {b}" for a, b in zip(words, words[1:])])


@lru_cache(maxsize=100_000)
def _feature_word(word: str) -> str | None:
    """A token's stem, or None for a function word, the focus or a number (remembered:
    questions share their words)."""
    if word in FUNCTION_WORDS or word == FOCUS_TOKEN or word.isdigit():
        return None
    return _stem(word)


@dataclass(frozen=True)
class Prediction:
    """The most likely type, its probability, and the runners-up."""

    name: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    cues: tuple[str, ...] = ()  # the question's features the model knows: its evidence

    def to_dict(self) -> dict:
        return {"type": self.name, "confidence": round(self.confidence, 3), "cues": list(self.cues),
                "alternatives": [{"type": n, "confidence": round(p, 3)} for n, p in self.alternatives]}


class QuestionTypeClassifier:
    """Applies an exported linear model: softmax(W x + b) over bag-of-n-gram features."""

    def __init__(self, model: dict):
        self.version = model["version"]
        self.labels: list[str] = model["labels"]
        self.index = {f: i for i, f in enumerate(model["features"])}
        self.weights = np.asarray(model["weights"], dtype=np.float32)  # features x labels
        self.bias = np.asarray(model["bias"], dtype=np.float32)

    def probabilities(self, text: str, focus: tuple[str, ...] = ()) -> np.ndarray:
        """The probability of each label (read-only: remembered for the question)."""
        return _read(self, text, tuple(focus))[0]

    def cues(self, text: str, focus: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The question's features the model knows (its evidence; none: only the prior)."""
        return _read(self, text, tuple(focus))[1]

    def predict(self, text: str, focus: tuple[str, ...] = (), alternatives: int = 2) -> Prediction:
        probs = self.probabilities(text, focus)
        order = np.argsort(-probs)
        cues = self.cues(text, focus)
        return Prediction(self.labels[order[0]], float(probs[order[0]]),
                          tuple((self.labels[i], float(probs[i])) for i in order[1:1 + alternatives]), cues)


@lru_cache(maxsize=8)  # as _features
def _read(model: QuestionTypeClassifier, text: str, focus: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """The model's probabilities for a question, and its features the model knows; remembered:
    reading one question asks for both twice (its MedQuAD type and its consumer type)."""
    known = [f for f in _features(text, focus) if f in model.index]
    rows = sorted({model.index[f] for f in known})
    logits = model.bias + (model.weights[rows].sum(axis=0) if rows else 0.0)
    logits = logits - logits.max()
    exp = np.exp(logits)
    probs = exp / exp.sum()
    probs.flags.writeable = False
    return probs, tuple(dict.fromkeys(known))


@lru_cache(maxsize=2)
def classifier(path: str = MODEL_PATH) -> QuestionTypeClassifier:
    """The shipped model, read once per process (on first use: search starts without it)."""
    with open(path, encoding="utf-8") as handle:
        return QuestionTypeClassifier(json.load(handle))
