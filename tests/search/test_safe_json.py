"""The server's fast JSON (orjson) writes the same bytes as ``json_safe(json.dumps(...))``."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from healthqa.search.safe_json import compact_json, json_safe
from healthqa.search.searcher import Searcher
from healthqa.serve.responses import results_body


def reference(content: Any) -> bytes:
    """What the JSON API wrote before orjson: json.dumps, then the escapes of :func:`json_safe`."""
    return json_safe(json.dumps(content, ensure_ascii=False, separators=(",", ":"))).encode("utf-8")


# Any code point, lone surrogates, C0 and C1 controls and line separators included.
ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()))
SCORES = st.floats(allow_nan=False, allow_infinity=False).map(lambda x: round(x, 4))
SCALARS = ANY_TEXT | SCORES | st.integers(-2**70, 2**70) | st.booleans() | st.none()
NEVER_RAW = frozenset("<>&\x7f\u2028\u2029") | {chr(c) for c in range(0x80, 0xa0)}
CONTENT = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                       | st.dictionaries(ANY_TEXT, inner, max_size=4), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(CONTENT)
def test_plain_content_is_written_byte_for_byte_as_json_dumps_writes_it(content: Any) -> None:
    assert compact_json(content, plain=True) == reference(content)
    assert compact_json(content) == reference(content)


@given(st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=3))
def test_the_bytes_read_back_as_the_content_with_nothing_raw_an_html_page_or_terminal_must_not_get(
        content: dict[str, str]) -> None:
    body = compact_json(content, plain=True)
    text = body.decode("utf-8")
    assert set(text).isdisjoint(NEVER_RAW)
    assert json.loads(text) == content


def test_numbers_orjson_writes_otherwise_go_to_json_dumps_when_not_vouched_for() -> None:
    odd = {"nan": float("nan"), "small": 1e-05, "big": 1e16, "tiny": 1e-7}
    assert compact_json(odd) == b'{"nan":NaN,"small":1e-05,"big":1e+16,"tiny":1e-07}'


def test_search_results_json_is_the_same_bytes_as_before(searcher: Searcher) -> None:
    for query in ("aspirin", "foot pain", "is it safe to take ibuprofen with coffee?", "glaucoma <treatment> & "
                  "\u2028 drops\x85", "zzzzqqq"):
        results = searcher.search(query, limit=10)
        assert results_body(results) == reference(results.to_dict())
        assert json.loads(results_body(results)) == results.to_dict()
