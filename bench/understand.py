"""Question understanding against the NLM annotations of the LiveQA dev questions.

Usage: python bench/understand.py DATA_DIR [--queries Q] [--annotations A]

For each question (both forms: paraphrase, subject+message):
- focus found: some recognised focus shares a word (stem) with an annotated focus, each
  taken with the names it goes by (as written, its indexed topic, its clinical name: the
  annotated focus is read by the same reader, so "DVT" meets "deep vein thrombosis");
  also reported: sharing a word as written, and the same words (stop words aside);
- type: the classifier's type, read in the annotation's scheme (the table below maps
  MedQuAD's type names onto it), is one of the question's annotated types. Several
  annotated types (EFFECT, PERSON_ORGANIZATION, INGREDIENT, TAPERING, ...) have no
  MedQuAD counterpart and cannot be right.
The annotations are evaluation data only: nothing here feeds ranking.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time
from collections import Counter

REPO = pathlib.Path(__file__).resolve().parent.parent
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)

from healthqa.search.evaluate import read_queries  # noqa: E402
from healthqa.search.searcher import Searcher  # noqa: E402
from healthqa.index.vocabulary import phrase_key  # noqa: E402

DEV = REPO.parent / "shared" / "data" / "liveqa-med-dev"

# MedQuAD question types -> the LiveQA annotation scheme (Kilicoglu et al. 2018).
TO_LIVEQA = {
    "information": "INFORMATION", "other information": "INFORMATION", "how can i learn more": "INFORMATION",
    "symptoms": "SYMPTOM", "treatment": "TREATMENT", "causes": "CAUSE", "genetic changes": "CAUSE",
    "outlook": "PROGNOSIS", "stages": "PROGNOSIS", "exams and tests": "DIAGNOSIS",
    "when to contact a medical professional": "DIAGNOSIS", "inheritance": "INHERITANCE",
    "side effects": "SIDE_EFFECT", "important warning": "SIDE_EFFECT", "severe reaction": "SIDE_EFFECT",
    "indication": "INDICATION", "why get vaccinated": "INDICATION", "usage": "USAGE", "forget a dose": "USAGE",
    "prevention": "PREVENTION", "complications": "COMPLICATION", "storage and disposal": "STORAGE_DISPOSAL",
    "dietary": "LIFESTYLE_DIET", "susceptibility": "SUSCEPTIBILITY", "dose": "DOSAGE",
    "emergency or overdose": "OVERDOSE", "how does it work": "ACTION", "interactions with medications": "INTERACTION",
    "interactions with foods": "INTERACTION", "interactions with herbs and supplements": "INTERACTION",
    "contraindication": "CONTRAINDICATION", "precautions": "CONTRAINDICATION", "frequency": "FREQUENCY",
    "research": "RESEARCH", "support groups": "SUPPORT", "considerations": "OTHER",
    "brand names": "INGREDIENT", "brand names of combination products": "INGREDIENT", "how effective is it": "EFFECT",
}


def _names(focus) -> set[str]:
    """The words a recognised focus goes by: as written, its topic, its clinical name."""
    return {w for name in (focus.text, focus.topic, focus.canonical) if name for w in phrase_key(name).split()}


def read_annotations(path: pathlib.Path) -> dict[str, dict]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["qid"]: row for row in rows}


def score(searcher: Searcher, queries: list, annotations: dict[str, dict], verbose: bool) -> dict[str, float]:
    found = words = exact = typed = total = 0
    sources: Counter = Counter()
    for query in queries:
        gold = annotations.get(query.qid)
        if gold is None:
            continue
        total += 1
        understood = searcher.understand(query.text)
        mine = [set(phrase_key(f.text).split()) for f in understood.focus]
        theirs = [set(phrase_key(f["text"]).split()) for f in gold["focus"]]
        words += any(m & t for m in mine for t in theirs)
        exact += any(m == t for m in mine for t in theirs if t)
        # The same thing under another name: "DVT" and "deep vein thrombosis", "Gabamentine"
        # (as annotated) and "gabapentin": the annotated focus read by the same reader.
        named = [_names(f) for f in understood.focus]
        gold_named = [set(phrase_key(f["text"]).split()) | set().union(*map(_names, searcher.understand(f["text"]).focus))
                      for f in gold["focus"]]
        found += any(m & t for m in named for t in gold_named)
        sources.update(f.source for f in understood.focus)
        wanted = {t["type"] for t in gold["types"]}
        qtype = understood.qtype.name if understood.qtype else ""
        typed += TO_LIVEQA.get(qtype) in wanted
        if verbose:
            print(f"  {query.qid:<6} focus {[f.text for f in understood.focus]} vs {[f['text'] for f in gold['focus']]}; "
                  f"type {qtype} vs {sorted(wanted)}")
    return {"questions": total, "focus found": found / total, "focus words": words / total, "focus exact": exact / total,
            "type": typed / total, "sources": dict(sources)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir")
    parser.add_argument("--queries", type=pathlib.Path, default=DEV / "queries.tsv")
    parser.add_argument("--annotations", type=pathlib.Path, default=DEV / "annotations.jsonl")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    annotations = read_annotations(args.annotations)
    with Searcher(args.data_dir) as searcher:
        for form in ("paraphrase", "subject+message"):
            started = time.perf_counter()
            figures = score(searcher, read_queries(str(args.queries), form), annotations, args.verbose)
            print(f"{form:<16} {figures['questions']} questions: focus found {figures['focus found']:.3f} "
                  f"(sharing a word as written {figures['focus words']:.3f}, the same words "
                  f"{figures['focus exact']:.3f}), type accuracy {figures['type']:.3f}; "
                  f"focus sources {figures['sources']} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
