"""Train the question-type classifier shipped as ``search/qtype_model.json``.

Usage: python bench/train_qtype.py [MEDQUAD_DIR] [--out search/qtype_model.json]

Training data: the questions of MedQuAD and their ``qtype`` labels (Ben Abacha &
Demner-Fushman, "A question-entailment approach to question answering", BMC
Bioinformatics 2019; CC BY 4.0, https://creativecommons.org/licenses/by/4.0/).
Each question's focus and focus synonyms are replaced by one placeholder token, so the
model learns how a type is asked, not which diseases are asked about. The questions are
templated: identical (placeholder) questions are counted once. Model: multinomial
logistic regression with L2, fitted by full-batch Adam in numpy; weights are exported to
JSON and applied at run time by :mod:`healthqa.search.qtype`. Nothing here is read at run
time; the LiveQA annotations are never an input (``bench/understand.py`` scores on them).
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import random
import sys
import xml.etree.ElementTree as ET

import numpy as np

REPO = pathlib.Path(__file__).resolve().parent.parent
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)

from healthqa.search.qtype import features  # noqa: E402

VERSION = "qtype-1"
ATTRIBUTION = ("Trained on the question types of MedQuAD (Ben Abacha & Demner-Fushman, BMC Bioinformatics "
               "2019), CC BY 4.0: https://creativecommons.org/licenses/by/4.0/")


def read_medquad(folder: pathlib.Path, texts: list | None = None) -> list[tuple[list[str], str]]:
    """(features, qtype) of every MedQuAD question, focus masked; with ``texts``, each
    question's (text, focus, qtype) is added to it, in the same order."""
    examples = []
    for path in sorted(folder.glob("*/*.xml")):
        root = ET.parse(path).getroot()
        focus = [root.findtext("Focus") or ""] + [s.text or "" for s in root.iter("Synonym")]
        focus = tuple(f for f in focus if f.strip())
        for question in root.iter("Question"):
            if question.text and question.get("qtype"):
                examples.append((features(question.text, focus), question.get("qtype")))
                if texts is not None:
                    texts.append((question.text, focus, question.get("qtype")))
    return examples


def fit(x: np.ndarray, y: np.ndarray, labels: int, l2: float, steps: int, rate: float,
        weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = x.shape
    w = np.zeros((cols, labels), np.float64)
    b = np.zeros(labels, np.float64)
    onehot = np.eye(labels)[y]
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    for step in range(1, steps + 1):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot) * (weights / weights.sum())[:, None]
        grads = [x.T @ grad + l2 * w, grad.sum(axis=0)]
        for i, (param, g) in enumerate(zip((w, b), grads)):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            param -= rate * (m[i] / (1 - 0.9 ** step)) / (np.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8)
    return w, b


def train(examples: list[tuple[list[str], str]], min_count: int, l2: float, steps: int, power: float = 0.0) -> dict:
    """Fit on the distinct (features, type) pairs, each weighted by its count to ``power``
    (0: each distinct question once; measured best of 0, 0.5 and 1 on the LiveQA dev
    annotations, which is the only tuning done on them)."""
    seen = collections.Counter((tuple(sorted(set(f))), label) for f, label in examples)
    unique = sorted(seen)
    counts = collections.Counter(f for feats, _ in unique for f in feats)
    vocab = sorted(f for f, n in counts.items() if n >= min_count)
    index = {f: i for i, f in enumerate(vocab)}
    labels = sorted({label for _, label in unique})
    x = np.zeros((len(unique), len(vocab)), np.float32)
    for row, (feats, _) in enumerate(unique):
        x[row, [index[f] for f in feats if f in index]] = 1.0
    y = np.array([labels.index(label) for _, label in unique])
    w, b = fit(x, y, len(labels), l2, steps, 0.05, np.array([seen[u] ** power for u in unique], np.float64))
    keep = np.abs(w).max(axis=1) >= 0.01  # features that move no type are dropped
    return {"version": VERSION, "attribution": ATTRIBUTION, "labels": labels,
            "features": [f for f, k in zip(vocab, keep) if k],
            "weights": np.round(w[keep], 3).tolist(), "bias": np.round(b, 3).tolist(),
            "trained_on": {"questions": len(examples), "distinct": len(unique)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("medquad", nargs="?", type=pathlib.Path, default=REPO.parent / "shared" / "data" / "medquad")
    parser.add_argument("--out", type=pathlib.Path, default=REPO / "search" / "qtype_model.json")
    parser.add_argument("--min-count", type=int, default=1)
    parser.add_argument("--l2", type=float, default=1e-3)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    texts: list = []
    examples = read_medquad(args.medquad, texts)
    order = list(range(len(examples)))
    random.Random(0).shuffle(order)
    examples = [examples[i] for i in order]
    held = examples[: len(examples) // 10]
    from healthqa.search.qtype import QuestionTypeClassifier

    check = QuestionTypeClassifier(train(examples[len(held):], args.min_count, args.l2, args.steps))
    right = sum(check.labels[int(np.argmax(_logits(check, f)))] == label for f, label in held)
    print(f"held-out MedQuAD questions (a tenth, model trained on the rest): accuracy {right / len(held):.3f}")
    consumer_check(check, [texts[i] for i in order[: len(held)]])
    model = train(examples, args.min_count, args.l2, args.steps)
    args.out.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(model['features'])} features, {len(model['labels'])} types, "
          f"{args.out.stat().st_size / 1024:.0f} KiB, from {model['trained_on']}")


def consumer_check(model, held: list[tuple[str, tuple[str, ...], str]]) -> None:
    """The consumer types (search/consumer_types.py: lexicon plus ``model``) of the held-out
    questions against their MedQuAD types read in the consumer scheme: data the lexicon
    was not written from, with the model that never saw these questions."""
    from healthqa.search.consumer_types import FROM_MEDQUAD, consumer_type

    totals: collections.Counter = collections.Counter()
    right: collections.Counter = collections.Counter()
    for text, focus, qtype in held:
        wanted = FROM_MEDQUAD.get(qtype, "INFORMATION")
        totals[wanted] += 1
        right[wanted] += consumer_type(text, focus, model=model).name == wanted
    print(f"held-out MedQuAD questions, consumer types (lexicon + model): accuracy "
          f"{sum(right.values()) / len(held):.3f}; per type: "
          + ", ".join(f"{t} {right[t]}/{n}" for t, n in totals.most_common()))


def _logits(model, feats: list[str]) -> np.ndarray:
    rows = sorted({model.index[f] for f in feats if f in model.index})
    return model.bias + (model.weights[rows].sum(axis=0) if rows else 0.0)


if __name__ == "__main__":
    main()
