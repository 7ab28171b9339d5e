"""The contract every parser and search keeps on hostile input, and the time limit per input.

:func:`check_parser`, :func:`check_query` and :func:`check_cli_search`: nothing is raised
but the documented error; every record is clean (one-line questions, no control
characters, an id that prints as one clean line) and survives a JSON round trip; results
are well formed and their snippets are escaped HTML. :func:`limited` runs one input under
a time limit (:class:`Hang`, which no parser can swallow); :class:`Tally` counts what was seen.
"""

from __future__ import annotations

import json
import re
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from healthqa.ingest.errors import DecodeError, QueryError, RejectedInput
from healthqa.ingest.normalise import clean_line, clean_text
from healthqa.ingest.record import QAPage

UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # never in a record's text, an id or terminal output
EM = re.compile(r"</?em>")


class Hang(BaseException):
    """An input ran past its time limit (a BaseException, so that no ``except Exception`` in a
    parser turns it into a rejection)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the block once ``seconds`` have passed (main thread, POSIX)."""

    def expire(signum: int, frame: object) -> None:
        raise Hang(f"no result after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def limited(seconds: float, run: Callable[[], Any], describe: Callable[[], str]) -> Any:
    """``run()`` under :func:`time_limit`; a :class:`Hang` names the input (Hypothesis does not
    report the example of a BaseException)."""
    try:
        with time_limit(seconds):
            return run()
    except Hang as exc:
        raise Hang(f"{exc}: {describe()}") from None


@dataclass
class Tally:
    """How many inputs a target saw, how they ended, and the slowest."""

    inputs: int = 0
    accepted: int = 0
    rejected: int = 0
    max_seconds: float = 0.0
    total_seconds: float = 0.0
    slowest: str = ""
    outcomes: dict[str, int] = field(default_factory=dict)

    def timed(self, limit: float, run: Callable[[], str], describe: Callable[[], str]) -> None:
        started = time.perf_counter()
        outcome = limited(limit, run, describe)
        seconds = time.perf_counter() - started
        self.inputs += 1
        self.total_seconds += seconds
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if outcome == "accepted":
            self.accepted += 1
        else:
            self.rejected += 1
        if seconds > self.max_seconds:
            self.max_seconds, self.slowest = seconds, describe()


def describe(value: object, width: int = 60) -> str:
    """A short description of an input (for a tuple, of its first part: the query)."""
    if isinstance(value, tuple):
        return describe(value[0], width) + f" with {value[1:]!r}"[:80]
    if not isinstance(value, (str, bytes)):
        return repr(value)[:width]
    return f"{len(value):,} {'bytes' if isinstance(value, bytes) else 'chars'}: {value[:width]!r}"


# -- the contracts ----------------------------------------------------------------------------------


def check_pages(pages: list[QAPage], origin: str) -> None:
    """Records from any input are clean, printable and survive the store's JSON round trip."""
    assert pages, "a parser returned no records without saying why"
    for page in pages:
        assert isinstance(page, QAPage) and page.origin == origin
        assert page.question and clean_line(page.question) == page.question, repr(page.question[:80])
        assert page.id and not UNSAFE.search(page.id), repr(page.id[:80])
        url = page.url
        assert url is None or (url.lower().startswith(("http://", "https://")) and not UNSAFE.search(url)), repr(url)
        assert page.source and not UNSAFE.search(page.source)
        for value in (page.topic, page.asked_by, page.date, page.question_type, *page.synonyms, *page.related):
            assert value is None or (value and clean_line(value) == value), repr(value)[:80]
        assert page.detail is None or clean_text(page.detail) == page.detail
        for answer in page.answers:
            assert answer.text and clean_text(answer.text) == answer.text, answer.text[:80]
            for value in (answer.author, answer.role, answer.date):
                assert value is None or (value and clean_line(value) == value), repr(value)[:80]
        assert QAPage.from_json(page.to_json()) == page


def check_parser(parse: Callable[[str, str], list[QAPage]], text: str, origin: str = "fuzz.page") -> str:
    """Run a parser on ``text``: records that keep the contract, or a :class:`RejectedInput` with a reason."""
    try:
        pages = parse(text, origin)
    except RejectedInput as exc:
        assert exc.reason and not UNSAFE.search(exc.reason.replace("\n", " ")), exc.reason[:200]
        return "rejected"
    check_pages(pages, origin)
    return "accepted"


def check_document(parse_document: Callable[[str, str], tuple[str, list[QAPage]]], text: str) -> str:
    return check_parser(lambda t, o: parse_document(t, o)[1], text)


def decoded(data: bytes) -> str | None:
    """The text of ``data`` as ingest decodes it, or None if it is rejected (with a reason)."""
    from healthqa.ingest.decode import decode_bytes

    try:
        text, encoding = decode_bytes(data, "fuzz.bin")
    except DecodeError as exc:
        assert exc.reason
        return None
    assert isinstance(text, str) and encoding
    return text


def check_bytes(data: bytes) -> str:
    """Bytes to records as ``read_and_parse`` goes: decode, detect, parse; only rejections raised."""
    from healthqa.ingest.detect import parse_document

    text = decoded(data)
    if text is None:
        return "undecodable"
    return check_parser(lambda t, o: parse_document(t, o)[1], text, "fuzz.bin")


def check_results(results: Any, limit: int) -> None:
    assert results.total >= len(results.hits) and len(results.hits) <= limit
    ids = [hit.id for hit in results.hits]
    assert len(ids) == len(set(ids)), "a page is listed twice"
    for hit in results.hits:
        for snippet in [hit.snippet] + [a.snippet for a in hit.answers]:
            outside = EM.sub("", snippet.html())
            assert "<" not in outside and ">" not in outside
    for counts in results.facets.values():
        assert all(isinstance(v, int) and v > 0 for v in counts.values())


def check_query(searcher: Any, query: str, role: str = "", page: int = 1, limit: int = 10) -> str:
    """A search returns well-formed results or a :class:`QueryError` with a message; nothing else."""
    from healthqa.search.searcher import Filters

    try:
        results = searcher.search(query, Filters(roles=(role,) if role else ()), limit=limit, page=page)
    except QueryError as exc:
        assert str(exc) and not UNSAFE.search(str(exc)), str(exc)
        return "refused"
    check_results(results, limit)
    return "accepted" if results.total else "nothing found"


def check_cli_search(runner: Any, cli: Any, data_dir: str, query: str, role: str, as_json: bool) -> str:
    """``healthqa search``: exit 0 with safe output, or exit 1 with a one-line error; never a traceback."""
    args = ["--data-dir", data_dir, "search"] + (["--json"] if as_json else []) + (["--role", role] if role else [])
    result = runner.invoke(cli, args + ["--", query], color=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    assert not UNSAFE.search(result.stdout) and not UNSAFE.search(result.stderr), repr(result.output)[:300]
    if result.exit_code == 1:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
        return "refused"
    if as_json:
        assert not set(result.stdout) & set("<>&")
        json.loads(result.stdout)
    return "accepted"
