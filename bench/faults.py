"""Long fault runs, by hand (not CI): crashes, concurrency, a full disk, hostile input.

    .venv/bin/python bench/faults.py                       # everything, about 20 minutes on 2 cores
    .venv/bin/python bench/faults.py --only crash fuzz     # some sections
    .venv/bin/python bench/faults.py --kills 10 --fuzz 1000 --queries 200   # a quicker pass
    .venv/bin/python bench/faults.py --corpus ../shared/data/medquad/6_NINDS_QA   # kill ingests of real files

Sections and what they print:

- ``crash``: ``--kills`` SIGKILLs each of ``healthqa ingest`` (a first ingest of a generated
  corpus, or ``--corpus``), ``healthqa index`` (a store with edits, deletions and additions
  not yet indexed) and ``healthqa reindex``, at random moments; after each, the checks of
  ``tests/robustness/faultkit.py`` (store whole and true to its files, nothing committed
  lost, no lock held, index opens with the old or the new records, searches work), then
  the next run, which must leave exactly what a run never killed leaves. Kills survived / tried.
- ``concurrency``: two processes search (``--queries`` each, at least) while ingest, index
  and reindex run twice over; every result must be what one of the index states gives.
  Then two ingests at once.
- ``env``: ingests into a tmpfs of random small size (root only): a real full disk at a
  random point, then the way back (more space, the same command).
- ``fuzz``: ``--fuzz`` hostile inputs for each parser, the whole bytes-to-records path, the
  query reader and ``healthqa search``; each in a process of its own, two at a time:
  counts, outcomes, the slowest input, peak memory.
- ``bombs``: pages at the size limit (``--bomb-mb``, 20 like ``--max-size``) built to cost
  the most: time and peak memory of reading each, in a process of its own.
- ``queries``: the worst-case queries of the hostile-input audit (fuzzy words with many
  edits, many fuzzy words, short fuzzy words, wide ranges and prefixes), each searched in a
  fresh process over ``--query-data`` (a data directory; by default MedQuAD from
  ``../shared/data/medquad`` is ingested first): seconds, peak RSS, hits and the notes
  that say which budget was reached. ``--query-mb`` caps each process's address space
  (a runaway query fails instead of taking the machine).
- ``slow``: the test suite's ``slow`` tests (kills on a timer, processes searching while others
  write, two ingests at once, fuzzing hundreds of inputs a kind, ten thousand files), which CI
  leaves out (``-m "not slow"``) for their deterministic twins: ``pytest -m slow``, with the
  Hypothesis profile ``explore`` (new examples each run; the suite's own profile draws the same
  examples every run).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

REPO = pathlib.Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path and its search.py / ingest.py would
# hide the packages of the same name: search the repository root instead.
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)
sys.path.insert(1, str(REPO / "tests" / "robustness"))  # the checks are the tests' own

import envkit  # noqa: E402
import faultkit  # noqa: E402
import killkit  # noqa: E402
import loadkit  # noqa: E402
from faultkit import Corpus  # noqa: E402
from killkit import Trial  # noqa: E402
from tests.search.corpus_index import build_index, corpus_pages  # noqa: E402

SECTIONS = ("crash", "concurrency", "env", "fuzz", "bombs", "queries", "slow")
FUZZ_TARGETS = ("decode", "text", "html", "medquad", "document", "bytes", "query", "cli")
BOMBS = ("flat-elements", "deep-elements", "unclosed-inline", "processing-instructions", "declarations",
         "attributes", "bare-brackets", "text-answers", "text-question-lines", "medquad-pairs", "jsonld-wide")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.fuzz_worker:
        return _fuzz_worker(args.fuzz_worker, args.fuzz, args.data_dir, args.limit)
    if args.bomb_worker:
        return _bomb_worker(args.bomb_worker, args.bomb_mb)
    if args.query_worker is not None:
        return _query_worker(args.query_worker, args.data_dir, args.query_mb)
    work = pathlib.Path(tempfile.mkdtemp(prefix="healthqa-faults-", dir=args.work))
    rng = random.Random(args.seed)
    started = time.monotonic()
    failed = 0
    try:
        for section in args.only or SECTIONS:
            print(f"\n== {section} ==", flush=True)
            failed += globals()[f"_{section}"](work / section, args, rng)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'all checks passed' if not failed else f'{failed} check(s) FAILED'} "
          f"in {(time.monotonic() - started) / 60:.1f} min")
    return 1 if failed else 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="Run only these sections.")
    parser.add_argument("--kills", type=int, default=50, help="SIGKILLs of each of ingest, index, reindex.")
    parser.add_argument("--pages", type=int, default=900, help="Pages of the generated corpus for the kills.")
    parser.add_argument("--corpus", help="A folder of real pages to kill ingests of, instead of a generated one.")
    parser.add_argument("--queries", type=int, default=500, help="Queries each searcher runs, at least.")
    parser.add_argument("--disk-trials", type=int, default=12, help="Ingests into a too-small disk.")
    parser.add_argument("--fuzz", type=int, default=10_000, help="Inputs for each fuzz target.")
    parser.add_argument("--limit", type=float, default=60.0, help="Seconds one fuzz input may take (a hang).")
    parser.add_argument("--bomb-mb", type=float, default=20.0, help="Size of the size-limit bombs.")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--work", help="Where the scratch folder goes [default: the system's temp folder].")
    parser.add_argument("--targets", nargs="+", choices=FUZZ_TARGETS, default=list(FUZZ_TARGETS),
                        help="Fuzz only these targets.")
    parser.add_argument("--fuzz-worker", choices=FUZZ_TARGETS, help=argparse.SUPPRESS)
    parser.add_argument("--bomb-worker", choices=BOMBS, help=argparse.SUPPRESS)
    parser.add_argument("--query-data", help="Data directory for the worst-case queries [default: ingest MedQuAD].")
    parser.add_argument("--query-mb", type=int, default=4096, help="Address-space cap of each query process, MB.")
    parser.add_argument("--query-worker", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# -- slow tests -------------------------------------------------------------------------------------


def _slow(work: pathlib.Path, args: argparse.Namespace, rng: random.Random) -> int:
    """The suite's ``slow`` tests, which CI leaves out; 1 if any failed."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "pytest", "-m", "slow", "-q", "--hypothesis-profile", "explore"],
                            cwd=REPO, capture_output=True, text=True)
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"pytest -m slow: {summary} ({time.monotonic() - started:.0f} s)", flush=True)
    if result.returncode:
        print(result.stdout[-4000:], result.stderr[-2000:], sep="\n", flush=True)
    return 1 if result.returncode else 0


# -- crash ------------------------------------------------------------------------------------------


def _crash(work: pathlib.Path, args: argparse.Namespace, rng: random.Random) -> int:
    work.mkdir(parents=True)
    corpus = _corpus(work, args)
    reference = killkit.make_reference(corpus, work)
    print(f"corpus: {len(reference.files):,} files, {len(reference.records):,} records; a first ingest stores "
          f"them in {reference.store_seconds:.1f} s and builds the index in {reference.index_seconds:.1f} s")
    def ingest_delay(upper: float) -> float:
        # Most kills while records are stored (commits of 400 files), the rest while the index is built.
        if rng.random() < 0.7:
            return rng.uniform(max(0.05, reference.first_commit - 0.3), min(upper, reference.store_seconds))
        return rng.uniform(min(upper, reference.store_seconds), upper)

    trials = killkit.until_landed(args.kills, reference.store_seconds + reference.index_seconds, ingest_delay,
                           lambda delay, n: killkit.ingest_trial(corpus, work / "ingest", reference, delay, rng))
    failed = _report("ingest", trials)
    template = killkit.make_index_template(corpus, work)
    print(f"index kills on a store with {len(faultkit.store_questions(template.folder)):,} records, "
          f"{len(template.before.docs):,} indexed before: 'healthqa index' takes {template.index_seconds:.1f} s "
          f"({template.startup_seconds:.1f} s of it starting up), 'healthqa reindex' about "
          f"{template.reindex_seconds:.1f} s")
    for command in ("index", "reindex"):
        seconds = template.index_seconds if command == "index" else template.reindex_seconds
        # From just before the end of the start-up to the end; every fifth killed reindex is
        # followed by another reindex, to check the generation it left is cleared.
        lower = template.startup_seconds * 0.8
        trials = killkit.until_landed(args.kills, seconds, lambda upper: rng.uniform(lower, max(lower, upper)),
                               lambda delay, n: killkit.index_trial(command, template, work / command, delay, rng,
                                                                    reindex_after=n % 5 == 0))
        failed += _report(command, trials)
    return failed


def _corpus(work: pathlib.Path, args: argparse.Namespace) -> Corpus:
    if not args.corpus:
        return faultkit.write_corpus(work / "corpus", args.pages)
    root = pathlib.Path(args.corpus).resolve()
    if not root.is_dir():
        raise SystemExit(f"--corpus {args.corpus}: no such folder")
    copy = work / "corpus"
    shutil.copytree(root, copy)  # the index kills edit their own copy; this one stays as it is
    return Corpus(copy, sum(1 for p in copy.rglob("*") if p.is_file()), 0)


def _report(command: str, trials: list[Trial]) -> int:
    landed = [t for t in trials if t.killed]
    survived = [t for t in landed if t.survived]
    phases: dict[str, int] = {}
    for trial in landed:
        phases[trial.phase] = phases.get(trial.phase, 0) + 1
    late = len(trials) - len(landed)
    print(f"healthqa {command}: {len(survived)}/{len(landed)} kills survived"
          + (f" ({late} more came after the command had finished, checked all the same)" if late else ""))
    for phase, count in sorted(phases.items(), key=lambda item: -item[1]):
        print(f"    {count:3d} {phase}")
    if landed:
        print(f"    kill times {min(t.after for t in landed):.2f}-{max(t.after for t in landed):.2f} s")
    failed = [t for t in trials if not t.survived]
    for trial in failed:
        print(f"    FAILED after {trial.after:.2f} s ({trial.phase}): " + " | ".join(trial.problems))
    return len(failed)


# -- concurrency ---------------------------------------------------------------------------------


def _concurrency(work: pathlib.Path, args: argparse.Namespace, rng: random.Random) -> int:
    work.mkdir(parents=True)
    corpus = faultkit.write_corpus(work / "corpus", 600)
    data_dir = work / "data"
    faultkit.run_cli(data_dir, "ingest", str(corpus.root))
    tally = loadkit.search_while_writing(corpus, data_dir, work, minimum=args.queries, rounds=2)
    print(f"searching while writing: {tally.queries:,} queries by 2 processes, {tally.during_writes:,} of them "
          f"while ingest, index and reindex ran (2 rounds); {len(tally.failures)} failed, "
          f"{len(tally.inconsistent)} matched no index state")
    print(f"    index states the results came from (before, after ingest, after reindex, ...): {tally.states_seen}")
    for line in (tally.failures + tally.inconsistent)[:10]:
        print(f"    FAILED: {line}")
    problems = loadkit.two_ingests_at_once(work / "two-ingests")
    said = ("the second said another is running (--wait 0) or waited (--wait 60); nothing lost" if not problems
            else "FAILED: " + " | ".join(problems))
    print(f"two ingests at once: {said}")
    return len(tally.failures) + len(tally.inconsistent) + len(problems)


# -- env -------------------------------------------------------------------------------------------


def _env(work: pathlib.Path, args: argparse.Namespace, rng: random.Random) -> int:
    work.mkdir(parents=True)
    corpus = faultkit.write_corpus(work / "corpus", 600)
    reference = killkit.make_reference(corpus, work)
    outcomes: dict[str, int] = {}
    failed = 0
    for n in range(args.disk_trials):
        size = rng.choice((150, 250, 400, 600, 900, 1300, 2000, 3000))
        try:
            outcome = _disk_full_trial(corpus, reference, work / f"disk-{n}", f"{size}k", rng)
        except envkit.Unavailable as exc:
            print(f"a full disk: skipped ({exc})")
            return 0
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        failed += outcome.startswith("FAILED")
    tried = args.disk_trials
    print(f"a full disk: {tried - failed}/{tried} ingests into a too-small tmpfs (150 KB to 3 MB) ended with a "
          "message, a whole store and no lock held, and finished once given space")
    for outcome, count in sorted(outcomes.items(), key=lambda item: -item[1]):
        print(f"    {count:3d} {outcome}")
    return failed


def _disk_full_trial(corpus: Corpus, reference: killkit.Reference, data_dir: pathlib.Path, size: str,
                     rng: random.Random) -> str:
    problems: list[str] = []
    with envkit.small_disk(data_dir, size) as resize:
        result = faultkit.run_cli(data_dir, "ingest", str(corpus.root))
        last = (result.stderr.strip().splitlines() or [""])[-1]
        with faultkit.Collect(problems, "after the full disk"):
            assert "Traceback" not in result.stderr, result.stderr[-800:]
            faultkit.check_store(data_dir)
            faultkit.assert_unlocked(data_dir)
        resize("256m")
        again = faultkit.run_cli(data_dir, "ingest", str(corpus.root))
        with faultkit.Collect(problems, "with space again"):
            assert again.returncode == reference.returncode, again.stderr[-500:]
            assert faultkit.store_records(data_dir) == reference.records
            faultkit.assert_index_matches_store(data_dir)
            faultkit.assert_unlocked(data_dir)
    if problems:
        return f"FAILED at {size}: " + " | ".join(problems)
    if result.returncode == reference.returncode and "rejected" in result.stderr and "Error" not in result.stderr:
        return f"fitted ({size})"
    return f"said: {last[:150]}"


# -- fuzz -------------------------------------------------------------------------------------------


def _fuzz(work: pathlib.Path, args: argparse.Namespace, rng: random.Random) -> int:
    work.mkdir(parents=True)
    corpus = faultkit.write_corpus(work / "corpus", 300)
    data_dir = build_index(work / "data", corpus_pages())
    faultkit.run_cli(data_dir, "ingest", str(corpus.root))  # a vocabulary for prefixes, fuzzy words, suggestions

    def one(target: str) -> dict:
        command = [sys.executable, __file__, "--fuzz-worker", target, "--fuzz", str(args.fuzz),
                   "--data-dir", str(data_dir), "--limit", str(args.limit)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=str(work))
        lines = done.stdout.strip().splitlines()
        if done.returncode or not lines:
            return {"target": target, "failure": f"worker exited {done.returncode}: {done.stderr[-1500:]}"}
        return json.loads(lines[-1])

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(one, args.targets))
    print(f"{'target':9s} {'inputs':>7s} {'accepted':>8s} {'rejected':>8s} {'max s':>7s} {'mean ms':>8s} "
          f"{'peak MB':>8s}  slowest input")
    for r in results:
        if "inputs" in r:
            mean = 1000 * r["total_seconds"] / max(1, r["inputs"])
            print(f"{r['target']:9s} {r['inputs']:7,d} {r['accepted']:8,d} {r['rejected']:8,d} {r['max_seconds']:7.2f} "
                  f"{mean:8.1f} {r['peak_rss_mb']:8.0f}  {r['slowest'][:70]}")
        if r.get("failure"):
            print(f"    FAILED {r['target']}: {r['failure'][:1500]}")
    return sum(1 for r in results if r.get("failure"))


def _fuzz_worker(target: str, count: int, data_dir: str, limit: float) -> int:
    from hypothesis import HealthCheck, given, settings

    import contracts

    strategy, check = _fuzz_target(target, data_dir)
    tally = contracts.Tally()

    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value) -> None:
        tally.timed(limit, lambda: check(value), lambda: contracts.describe(value))

    failure = None
    try:
        run()
    except BaseException as exc:  # a broken contract or a hang: reported, with Hypothesis's smallest example
        failure = f"{type(exc).__name__}: {exc}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"target": target, **tally.__dict__, "peak_rss_mb": peak, "failure": failure}))
    return 0


def _fuzz_target(target: str, data_dir: str):
    """The strategy and the check of one fuzz target."""
    import contracts
    import hostile
    from healthqa.ingest.detect import parse_document
    from healthqa.ingest.html import parse_html
    from healthqa.ingest.medquad import parse_medquad
    from healthqa.ingest.text import parse_text

    def decode(data: bytes) -> str:
        return "rejected" if contracts.decoded(data) is None else "accepted"

    parsers = {"text": (hostile.TEXT, parse_text), "html": (hostile.HTML, parse_html),
               "medquad": (hostile.MEDQUAD, parse_medquad)}
    if target in parsers:
        strategy, parse = parsers[target]
        return strategy, lambda text: contracts.check_parser(parse, text)
    if target == "decode":
        return hostile.BYTES, decode
    if target == "document":
        return hostile.DOCUMENT, lambda text: contracts.check_document(parse_document, text)
    if target == "bytes":
        return hostile.BYTES, contracts.check_bytes
    return _search_target(target, data_dir)


def _search_target(target: str, data_dir: str):
    from click.testing import CliRunner
    from hypothesis import strategies as st

    import contracts
    import hostile
    from healthqa.cli import cli
    from healthqa.search.searcher import Searcher

    if target == "query":
        searcher = Searcher(data_dir)
        inputs = st.tuples(hostile.QUERY, hostile.ROLE, st.sampled_from([1, 1, 1, 2, 40]))
        return inputs, lambda q: contracts.check_query(searcher, *q)
    runner = CliRunner()
    inputs = st.tuples(hostile.QUERY, hostile.ROLE, st.booleans())
    return inputs, lambda q: contracts.check_cli_search(runner, cli, data_dir, *q)


# -- bombs ----------------------------------------------------------------------------------------------


def _bombs(work: pathlib.Path, args: argparse.Namespace, rng: random.Random) -> int:
    def one(kind: str) -> dict:
        command = [sys.executable, __file__, "--bomb-worker", kind, "--bomb-mb", str(args.bomb_mb)]
        done = subprocess.run(command, capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines and not done.returncode else {"kind": kind, "error": done.stderr[-800:]}

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(one, BOMBS))
    print(f"pages of {args.bomb_mb:g} MB built to cost the most, each read as ingest reads it (read_and_parse):")
    print(f"{'bomb':24s} {'seconds':>8s} {'peak MB':>8s}  outcome")
    for r in results:
        if "error" in r:
            print(f"{r['kind']:24s} FAILED: {r['error']}")
        else:
            print(f"{r['kind']:24s} {r['seconds']:8.1f} {r['peak_rss_mb']:8.0f}  {r['outcome'][:90]}")
    return sum(1 for r in results if "error" in r)


def _bomb(kind: str, size: int) -> str:
    if kind == "flat-elements":
        return "<html><body>" + "<div>x</div>" * (size // 12)
    if kind == "deep-elements":
        return "<html><body>" + "<div>" * (size // 11) + "</div>" * (size // 11)
    if kind == "unclosed-inline":
        return "<html><body>" + "<b>" * (size // 3)
    if kind == "processing-instructions":
        return "<html><body>" + "<?x?>" * (size // 5)
    if kind == "declarations":
        return "<html><body>" + "<!x>" * (size // 4)
    if kind == "attributes":  # names of one width, so that the count fits the size
        return "<html><body><div " + " ".join(f"a{i:07d}=1" for i in range(size // 12)) + ">Why?</div>"
    if kind == "bare-brackets":
        return "<html><body>" + "<" * size
    if kind == "text-answers":
        return "Topic\nWhy?\nAnswers (1)\n" + "• A , Role, answered\n  x\n" * (size // 27)
    if kind == "text-question-lines":
        return "Topic\n" + "Why?\n" * (size // 5)
    if kind == "medquad-pairs":
        pair = '<QAPair pid="1"><Question qid="1">Why?</Question><Answer>x</Answer></QAPair>'
        return '<?xml version="1.0"?><Document id="1" source="X"><QAPairs>' + pair * (size // len(pair)) + \
            "</QAPairs></Document>"
    item = '{"@type":"Question","name":"W","suggestedAnswer":[{"text":"x"}]}'
    return '<html><body><script type="application/ld+json">[' + ",".join([item] * (size // (len(item) + 1))) + \
        "]</script></body></html>"


def _bomb_worker(kind: str, megabytes: float) -> int:
    from healthqa.ingest.pipeline import DEFAULT_MAX_BYTES, read_and_parse

    size = min(int(megabytes * 1_048_576), DEFAULT_MAX_BYTES) - 1024
    page = _bomb(kind, size).encode("utf-8")
    assert len(page) <= DEFAULT_MAX_BYTES, f"the {kind} bomb is {len(page):,} bytes, over the limit"
    with tempfile.NamedTemporaryFile("wb", suffix=".page", delete=False) as handle:
        handle.write(page)
    del page
    try:
        started = time.perf_counter()
        parsed = read_and_parse(handle.name)
        seconds = time.perf_counter() - started
    finally:
        os.unlink(handle.name)
    outcome = f"rejected: {parsed.reason}" if parsed.reason else f"{len(parsed.pages)} record(s), {parsed.format}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"kind": kind, "seconds": seconds, "peak_rss_mb": peak, "outcome": outcome}))
    return 0


# -- queries --------------------------------------------------------------------------------------------

# The audit's worst cases (and their kind): unbounded before every query had a budget.
WORST_QUERIES = (
    "pneumonoultramicroscopicsilicovolcanoconiosis~9",
    "hypercholesterolemia~7",
    "a~5",
    " ".join(f"{w}~2" for w in ("diabetes", "pneumonia", "cholesterol", "hypertension", "asthma", "arthritis",
                                "migraine", "insomnia", "influenza", "anemia")),
    "answer:[a TO zzzz]",
    "question:[a TO z] answer:[b TO y]",
    "an* ca* di* he* pa* sy* tr* me* in* co*",
    "smoking cancer",
)
MEDQUAD = REPO.parent / "shared" / "data" / "medquad"


def _queries(work: pathlib.Path, args: argparse.Namespace, rng: random.Random) -> int:
    data_dir = pathlib.Path(args.query_data) if args.query_data else work / "medquad-data"
    if not args.query_data:
        if not MEDQUAD.is_dir():
            print(f"queries: skipped (no {MEDQUAD}; give --query-data DATA_DIR)")
            return 0
        work.mkdir(parents=True)
        print(f"ingesting {MEDQUAD} ...", flush=True)
        faultkit.run_cli(data_dir, "ingest", str(MEDQUAD))
    print(f"each query in a fresh process over {data_dir} (address space capped at {args.query_mb:,} MB):")
    print(f"{'seconds':>8s} {'peak MB':>8s} {'hits':>7s}  query / notes")
    failed = 0
    for query in WORST_QUERIES:
        command = [sys.executable, __file__, "--query-worker", query, "--data-dir", str(data_dir),
                   "--query-mb", str(args.query_mb)]
        done = subprocess.run(command, capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        if done.returncode or not lines:
            failed += 1
            print(f"{'FAILED':>8s} {'':8s} {'':7s}  {query}: exit {done.returncode} {done.stderr[-300:]!r}")
            continue
        r = json.loads(lines[-1])
        print(f"{r['seconds']:8.2f} {r['peak_rss_mb']:8.0f} {r['total']:7,d}  {query}")
        for note in r["notes"]:
            print(f"{'':26s}    note: {note[:110]}")
    return failed


def _query_worker(query: str, data_dir: str, megabytes: int) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (megabytes * 1_048_576, megabytes * 1_048_576))
    from healthqa.search.searcher import Searcher

    with Searcher(data_dir) as searcher:
        started = time.perf_counter()
        results = searcher.search(query)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "total": results.total, "notes": results.notes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
