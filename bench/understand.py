"""Question understanding against the NLM annotations of the LiveQA dev questions.

Usage: python bench/understand.py DATA_DIR [--queries Q] [--annotations A]

For each question (both forms: paraphrase, subject+message):
- focus found: some recognised focus shares a word (stem) with an annotated focus, each
  taken with the names it goes by (as written, its indexed topic, its clinical name: the
  annotated focus is read by the same reader, so "DVT" meets "deep vein thrombosis");
  also reported: sharing a word as written, and the same words (stop words aside);
- type accuracy, as issue #11 defines it: the one predicted (main) type is among the
  question's annotated types. Given for the consumer type (``Understanding.asks``: the
  lexicon of search/consumer_types.py with the model) and for the MedQuAD model alone,
  its type read in the annotation's scheme (``FROM_MEDQUAD``; several annotated types,
  EFFECT, PERSON_ORGANIZATION, INGREDIENT, TAPERING, ..., have no MedQuAD counterpart),
  and per annotated type (a question with several types counts in each).
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

from healthqa.search.consumer_types import FROM_MEDQUAD  # noqa: E402
from healthqa.search.evaluate import read_queries  # noqa: E402
from healthqa.search.searcher import Searcher  # noqa: E402
from healthqa.index.vocabulary import phrase_key  # noqa: E402

DEV = REPO.parent / "shared" / "data" / "liveqa-med-dev"

def _names(focus) -> set[str]:
    """The words a recognised focus goes by: as written, its topic, its clinical name."""
    return {w for name in (focus.text, focus.topic, focus.canonical) if name for w in phrase_key(name).split()}


def read_annotations(path: pathlib.Path) -> dict[str, dict]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["qid"]: row for row in rows}


def score(searcher: Searcher, queries: list, annotations: dict[str, dict], verbose: bool) -> dict[str, float]:
    found = words = exact = typed = model_typed = total = 0
    sources: Counter = Counter()
    per_type: Counter = Counter()
    per_type_right: Counter = Counter()
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
        hit = any(m & t for m in named for t in gold_named)
        found += hit
        sources.update(f.source for f in understood.focus)
        wanted = {t["type"] for t in gold["types"]}
        qtype = understood.qtype.name if understood.qtype else ""
        model_typed += FROM_MEDQUAD.get(qtype) in wanted
        asks = understood.asks.name if understood.asks else ""
        typed += asks in wanted
        per_type.update(wanted)
        per_type_right.update(wanted & {asks})
        if verbose:
            print(f"  {query.qid:<6} {'' if hit else 'MISSED '}focus {[f.text for f in understood.focus]} vs "
                  f"{[f['text'] for f in gold['focus']]}; {'' if asks in wanted else 'WRONG '}type {asks} "
                  f"(model: {qtype}) vs {sorted(wanted)}")
    return {"questions": total, "focus found": found / total, "focus words": words / total, "focus exact": exact / total,
            "type": typed / total, "model type": model_typed / total, "sources": dict(sources),
            "per type": {t: (per_type_right[t], n) for t, n in per_type.most_common()}}


def rqe_check(searcher: Searcher, path: pathlib.Path) -> None:
    """Consumer types on questions nothing was tuned on: the RQE consumer questions, each
    labelled by a rule fixed before looking: the types (in the consumer scheme) the MedQuAD
    model gives the FAQ questions entailed by it (value="true"). Right when the consumer
    type predicted for the consumer question is one of them."""
    import xml.etree.ElementTree as ET

    labels: dict[str, set[str]] = {}
    for pair in ET.parse(path).getroot().iter("pair"):
        chq = " ".join((pair.findtext("chq") or "").split())
        if pair.get("value") == "true":
            faq = searcher.understand(pair.findtext("faq") or "").qtype
            labels.setdefault(chq, set()).add(FROM_MEDQUAD.get(faq.name if faq else "", "INFORMATION"))
    right = model_right = 0
    per_type: Counter = Counter()
    per_type_right: Counter = Counter()
    for chq, wanted in labels.items():
        understood = searcher.understand(chq)
        right += understood.asks.name in wanted
        model_right += FROM_MEDQUAD.get(understood.qtype.name) in wanted
        per_type.update(wanted)
        per_type_right.update(wanted & {understood.asks.name})
    print(f"RQE consumer questions ({len(labels)} with an entailed FAQ; labels from the FAQs' MedQuAD types): "
          f"type accuracy {right / len(labels):.3f} (MedQuAD model alone {model_right / len(labels):.3f})")
    print("  type right / questions of that type: " + ", ".join(
        f"{t} {per_type_right[t]}/{n}" for t, n in per_type.most_common()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir")
    parser.add_argument("--queries", type=pathlib.Path, default=DEV / "queries.tsv")
    parser.add_argument("--annotations", type=pathlib.Path, default=DEV / "annotations.jsonl")
    parser.add_argument("--rqe", type=pathlib.Path, default=REPO.parent / "shared" / "data" / "rqe-dev" / "rqe-amia2016-validation.xml",
                        help="RQE pairs for the untuned type check (skipped when missing)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    annotations = read_annotations(args.annotations)
    with Searcher(args.data_dir) as searcher:
        for form in ("paraphrase", "subject+message"):
            started = time.perf_counter()
            figures = score(searcher, read_queries(str(args.queries), form), annotations, args.verbose)
            print(f"{form:<16} {figures['questions']} questions: focus found {figures['focus found']:.3f} "
                  f"(sharing a word as written {figures['focus words']:.3f}, the same words "
                  f"{figures['focus exact']:.3f}), type accuracy {figures['type']:.3f} (MedQuAD model alone "
                  f"{figures['model type']:.3f}); focus sources {figures['sources']} ({time.perf_counter() - started:.1f} s)")
            print("  type right / questions of that type: " + ", ".join(
                f"{t} {right}/{n}" for t, (right, n) in figures["per type"].items()))
        if args.rqe.exists():
            rqe_check(searcher, args.rqe)


if __name__ == "__main__":
    main()
