"""Page text is data, never markup: every output path of the CLI with hostile records in the store.

Records here are written straight into the store (as an older version or another tool might
have), so that every field carries markup, terminal escapes and control characters, which
the parsers would have cleaned from most fields. HTML output escapes the page's ``<``, ``>``
and ``&`` before adding ``<em>``; JSON output escapes them too (and C1 controls), so it can be
inlined in a page; terminal output carries no control character from a page.
"""

from __future__ import annotations

import html
import json
import pathlib
import re
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from healthqa.cli import cli
from healthqa.index.schema import text_analyzer
from healthqa.index.writer import sync
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store
from healthqa.search.snippets import make_snippet, terminal_safe

EVIL = "<script>alert('x')</script> &amp; \x1b[2J\x1b]0;pwned\x07 \x9b31m \x07\x08\r\x00 <b>bold</b>"
# What a terminal must never get from a page (tab and line feed are layout).
UNSAFE_FOR_TERMINAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
EM = re.compile(r"</?em>")


def hostile(n: int) -> QAPage:
    return QAPage(
        id=f"evil-{n}-\x1b[31m<i>", source=f"src{EVIL}", format="html", origin=f"pages/\x1b[2J{n}.html",
        question=f"Is aspirin safe {n}? {EVIL}", topic=f"Pain {EVIL}", detail=EVIL, url=f"https://x.org/{n}",
        question_type=f"safety{EVIL}", synonyms=(EVIL,), related=(f"Is aspirin a poison? {EVIL}",),
        answers=(Answer(f"Aspirin thins blood. {EVIL} Take aspirin with food.", author=f"Dr {EVIL}",
                        role=f"Pharmacy {EVIL}"),
                 Answer("Ask your doctor about aspirin.", role="Cardiology")),
        warnings=(f"odd page {EVIL}",))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    data = tmp_path_factory.mktemp("evil") / "data"
    with Store.open(str(data)) as store:
        with store.transaction():
            for n in range(3):
                store.put(hostile(n))
            store.remember_file(f"pages/\x1b]0;t\x07bad{EVIL}.html", "", "rejected", f"parser failed: {EVIL}")
        sync(str(data), store)
    return data


def run(data_dir: pathlib.Path, *args: str) -> Result:
    # color=True: click strips nothing, so the test sees exactly what a terminal would get.
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], color=True)


def assert_terminal_safe(result: Result) -> None:
    assert result.exit_code == 0, result.output
    for stream in (result.stdout, result.stderr):
        assert UNSAFE_FOR_TERMINAL.search(stream) is None, repr(stream)


def assert_html_safe(fragment: str) -> None:
    """Markup is ``<em>`` only; every other ``<``, ``>``, ``&`` is escaped, and nothing is lost."""
    outside_em = EM.sub("", fragment)
    assert "<" not in outside_em and ">" not in outside_em, fragment
    assert re.search(r"&(?!(?:amp|lt|gt|quot|#x27);)", outside_em) is None, fragment


def walk_strings(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in walk_strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in walk_strings(v)]
    return []


def assert_json_safe(text: str) -> Any:
    """JSON output that a page can inline: no raw <, >, & or control characters, and the data intact."""
    assert not set(text) & set("<>&"), text[:300]
    assert UNSAFE_FOR_TERMINAL.search(text) is None
    return json.loads(text)


# -- search --------------------------------------------------------------------------------------


def test_search_terminal_output_carries_no_escape_from_pages(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "aspirin")
    assert_terminal_safe(result)
    assert "3 pages match" in result.stdout
    assert "1. Is aspirin safe" in result.stdout and "<script>alert('x')</script>" in result.stdout  # text, shown


def test_search_json_snippets_are_escaped_html_and_the_json_inlines_safely(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "--json", "aspirin")
    assert result.exit_code == 0
    found = assert_json_safe(result.stdout)
    assert found["total"] == 3
    for hit in found["hits"]:
        assert hit["question"].startswith("Is aspirin safe") and "\x1b[2J" in hit["question"]  # data, kept whole
        for snippet in [hit["snippet"]] + [a["snippet"] for a in hit["answers"]]:
            assert_html_safe(snippet)
            assert "&lt;script&gt;" in snippet or "<em>" in snippet
    snippet = found["hits"][0]["answers"][0]["snippet"]
    assert "<em>Aspirin</em> thins blood. &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp;amp;" in snippet


def test_search_with_role_and_topic_filters_shows_their_names_safely(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "aspirin", "--role", f"Pharmacy {EVIL}", "--topic", "\x1b[2J")
    assert_terminal_safe(result)


def test_query_with_control_characters_is_read_without_them(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "search", "asp\x1b[2J\x9bir*")
    assert result.exit_code in (0, 1)
    for stream in (result.stdout, result.stderr):
        assert UNSAFE_FOR_TERMINAL.search(stream) is None, repr(stream)


# -- records -------------------------------------------------------------------------------------


def test_records_list_is_one_safe_line_per_record(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "records", "list")
    assert_terminal_safe(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(line.count("\t") == 2 for line in lines)
    assert lines[0].startswith("evil-0-<i>\t2\tIs aspirin safe 0?")  # the escape sequence gone whole


def test_records_show_and_export_are_safe_json_holding_the_record_unchanged(data_dir: pathlib.Path) -> None:
    shown = run(data_dir, "records", "show", hostile(1).id)
    assert shown.exit_code == 0
    assert QAPage.from_dict(assert_json_safe(shown.stdout)) == hostile(1)
    exported = run(data_dir, "records", "export")
    assert exported.exit_code == 0
    lines = exported.stdout.splitlines()
    assert [QAPage.from_dict(assert_json_safe(line)) for line in lines] == [hostile(n) for n in range(3)]


def test_records_rejects_shows_file_names_and_reasons_safely(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "records", "rejects")
    assert_terminal_safe(result)
    assert len(result.stdout.splitlines()) == 1


def test_unknown_id_with_escapes_is_a_safe_error(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "records", "show", "no\x1b[2Jsuch")
    assert result.exit_code == 1
    assert UNSAFE_FOR_TERMINAL.search(result.stderr) is None


# -- related -------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["related", "evil-0-\x1b[31m<i>"], ["related", "--question", "is aspirin safe"]])
def test_related_text_output_carries_no_escape_from_pages(data_dir: pathlib.Path, args: list[str]) -> None:
    result = run(data_dir, *args)
    assert_terminal_safe(result)
    assert "aspirin" in result.stdout.lower()


def test_related_json_inlines_safely(data_dir: pathlib.Path) -> None:
    result = run(data_dir, "related", "--json", "--question", "is aspirin safe")
    assert result.exit_code == 0
    found = assert_json_safe(result.stdout)
    assert found and all(item["question"].startswith("Is aspirin") for item in found)


# -- ingest's own report -------------------------------------------------------------------------


def test_ingest_report_shows_hostile_file_names_and_reasons_safely(tmp_path: pathlib.Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "\x1b]0;owned\x07\x9b2J.txt").write_bytes(b"")  # rejected: its name is in the message
    (pages / "mismatch\x1b[5m.txt").write_text(  # a warning, with the name again
        "Topic\n\nWhy?\n\nAnswers (3)\n\n• A , Fitness, answered\n\n  Walk.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "ingest", str(pages)], color=True)
    assert result.exit_code == 1
    assert UNSAFE_FOR_TERMINAL.search(result.output) is None, repr(result.output)
    assert "rejected " in result.stderr and "warning " in result.stderr


# -- the renderers themselves, on any text -------------------------------------------------------

_WORDS = st.sampled_from(["aspirin", "pain", "<em>", "</em>", "&amp;", "&", "<", ">", "\x1b[2J", "\x9b", "\x1b]0;",
                          "\x07", " ", "\n", "script", "'", '"', "é", "\u2028", "aspirins"])


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.one_of(_WORDS, st.text(max_size=5)), max_size=60).map("".join),
       st.sets(st.sampled_from(["aspirin", "pain", "script", "em"]), max_size=3))
def test_snippet_renderings_are_safe_for_any_text(text: str, words: set[str]) -> None:
    analyzer = text_analyzer()
    terms = frozenset(t.text for w in words for t in analyzer(w))
    snippet = make_snippet(text, terms, analyzer, width=80)
    rendered = snippet.html()
    assert_html_safe(rendered)
    assert html.unescape(EM.sub("", rendered)) == snippet.plain()  # escaped, and nothing lost
    for color in (True, False):
        shown = snippet.ansi(color)
        assert UNSAFE_FOR_TERMINAL.search(shown.replace("\x1b[1m", "").replace("\x1b[0m", "")) is None
    assert terminal_safe(terminal_safe(text)) == terminal_safe(text)
