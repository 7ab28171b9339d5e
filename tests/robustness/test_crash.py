"""SIGKILLs of ``healthqa ingest``, ``index`` and ``reindex`` while they write.

CI kills each at chosen points of the code (:mod:`killpoint`): the same moment on every run,
however busy the machine. The kills on a timer (``slow``: run by ``bench/faults.py``, not CI)
land wherever the delay falls.

After each kill: the store opens, holds every record committed before the kill, and every
file in it is whole; no lock is left held; the index opens with the old or the new records
(never a mix) and searches work. Then the next run brings everything in line with a run
that was never killed. ``bench/faults.py`` does this fifty times each, at random moments.
"""

from __future__ import annotations

import pathlib
import random

import pytest

from faultkit import Corpus, write_corpus
from killkit import (At, IndexTemplate, Reference, index_trial, ingest_trial, make_index_template, make_reference,
                     until_landed)

PAGES = 420  # two commits of 400 files: a kill can land between them


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("crash")


@pytest.fixture(scope="module")
def corpus(work: pathlib.Path) -> Corpus:
    return write_corpus(work / "corpus", PAGES)


@pytest.fixture(scope="module")
def reference(corpus: Corpus, work: pathlib.Path) -> Reference:
    return make_reference(corpus, work)


@pytest.fixture(scope="module")
def template(corpus: Corpus, work: pathlib.Path) -> IndexTemplate:
    return make_index_template(corpus, work)


@pytest.fixture(scope="module")
def long_corpus(work: pathlib.Path) -> Corpus:
    """Three batches of 400 files: after the first commit a whole batch is still to be stored."""
    return write_corpus(work / "long" / "corpus", 1_100)


@pytest.mark.slow
def test_ingest_killed_while_storing_records(long_corpus: Corpus, work: pathlib.Path) -> None:
    reference = make_reference(long_corpus, work / "long")
    # The clock starts when the store shows the first commit (however slowly the ingest
    # started on a busy machine); the kill lands a third of the way to the end of the
    # records, inside the second batch of 400 (earlier again if a kill came too late).
    trials = until_landed(1, reference.store_seconds - reference.first_commit, lambda upper: upper / 3,
                          lambda delay, _: ingest_trial(long_corpus, work / "long" / "ingest", reference,
                                                        delay=delay, rng=random.Random(1), after_first_commit=True))
    assert [t.problems for t in trials] == [[]] * len(trials)
    assert (trials[-1].killed, trials[-1].phase) == (True, "killed while storing records")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["index", "reindex"])
def test_index_writer_killed_midway(command: str, template: IndexTemplate, work: pathlib.Path) -> None:
    seconds = template.index_seconds if command == "index" else template.reindex_seconds
    trials = until_landed(1, seconds, lambda upper: (template.startup_seconds + upper) / 2,  # in the writing
                          lambda delay, _: index_trial(command, template, work / command, delay=delay,
                                                       rng=random.Random(3)))
    assert [t.problems for t in trials] == [[]] * len(trials)
    assert trials[-1].killed


# -- kills at chosen points: what CI runs ----------------------------------------------------

@pytest.mark.parametrize("at, phase", [
    (At("healthqa.ingest.pipeline:_commit", 2), "killed while storing records"),  # before the second batch
    (At("healthqa.index.whoosh_internals:write_postings", 3), "killed while building the index"),
], ids=["second-batch", "building-index"])
def test_ingest_killed_at(at: At, phase: str, corpus: Corpus, reference: Reference, work: pathlib.Path) -> None:
    trial = ingest_trial(corpus, work / "ingest-at", reference, delay=0, rng=random.Random(1), at=at,
                         args=("--workers", "1"))
    assert (trial.killed, trial.phase, trial.problems) == (True, phase, [])


@pytest.mark.parametrize("command, at, phase", [
    ("index", At("healthqa.index.writer:document", 20), "index as before; killed while writing a segment"),
    ("index", At("healthqa.index.writer:write_meta"), "committed, meta not yet written"),
    ("reindex", At("healthqa.index.writer:swap_in"), "index as before; killed while building a new generation"),
], ids=["index-adding", "index-after-commit", "reindex-before-swap"])
def test_index_writer_killed_at(command: str, at: At, phase: str, template: IndexTemplate,
                                work: pathlib.Path) -> None:
    trial = index_trial(command, template, work / f"{command}-at", delay=0, rng=random.Random(3), at=at)
    assert trial.killed and trial.problems == []
    assert trial.phase.startswith(phase), trial.phase
