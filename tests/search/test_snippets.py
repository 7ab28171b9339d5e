"""Snippets: the right window of an answer, matches marked, safe for a browser and a terminal."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from healthqa.index.schema import text_analyzer
from healthqa.search.snippets import Snippet, _best_window, make_snippet, term_words, terminal_safe

ANALYZER = text_analyzer()


def snippet(text: str, *terms: str, width: int = 240) -> Snippet:
    return make_snippet(text, frozenset(terms), ANALYZER, width)


def test_html_escapes_the_page_text_and_marks_matches_in_em() -> None:
    s = snippet('Shake the inhaler & breathe out <script>alert(1)</script> then "press" once.', "inhal")
    assert s.html() == ('Shake the <em>inhaler</em> &amp; breathe out &lt;script&gt;alert(1)&lt;/script&gt; '
                        'then &quot;press&quot; once.')


def test_a_match_that_looks_like_markup_is_escaped_inside_em() -> None:
    s = snippet("Use <b>spacer</b> devices.", "spacer")
    assert s.html() == "Use &lt;b&gt;<em>spacer</em>&lt;/b&gt; devices."


def test_matches_are_words_of_the_same_stem() -> None:
    s = snippet("Vaccination works: vaccines are safe. A vaccine-free child is not protected.", "vaccin")
    assert [text for text, matched in s.parts if matched] == ["Vaccination", "vaccines", "vaccine"]
    assert s.matches == 3


def test_terminal_rendering_removes_escape_sequences_and_control_characters_from_the_page() -> None:
    s = snippet("\x1b[31mYes\x1b[0m: cold air\x07 can narrow the \x1b]0;owned\x07airways\x9b2J.", "air")
    assert s.ansi(color=False) == "Yes: cold [air] can narrow the airways."
    assert s.ansi(color=True) == "Yes: cold \x1b[1mair\x1b[0m can narrow the airways."
    assert s.plain().startswith("\x1b[31mYes")  # the text itself is kept; only its rendering is made safe


@pytest.mark.parametrize(("text", "safe"), [
    ("plain text", "plain text"),
    ("tab\tand newline\nstay", "tab\tand newline\nstay"),
    ("bell\x07 null\x00 del\x7f", "bell null del"),
    ("\x1b[2J\x1b[Hclear", "clear"),
    ("title \x1b]0;owned\x1b\\ set", "title  set"),
    ("c1 \x9b31m csi", "c1  csi"),
])
def test_terminal_safe(text: str, safe: str) -> None:
    assert terminal_safe(text) == safe


def test_window_is_where_the_matches_are_densest() -> None:
    filler = "Nothing to see in this sentence at all. " * 10
    text = filler + "Chest pain and jaw pain are signs. " + filler
    s = snippet(text, "pain", width=80)
    plain = s.plain()
    assert plain.startswith("… ") and plain.endswith(" …")
    assert "Chest pain and jaw pain" in plain
    assert len(plain) <= 80 + len("…  …")
    assert s.matches == 2


def test_a_match_near_the_end_still_gets_a_full_window() -> None:
    text = "Nothing to see in this sentence at all. " * 5 + "Aspirin helps."
    plain = snippet(text, "aspirin", width=100).plain()
    assert plain.endswith("Aspirin helps.")
    assert len(plain) >= 90  # the window is filled from before the match, not cut short


def test_without_matches_the_text_starts_the_snippet() -> None:
    text = "First words come first. " * 20
    plain = snippet(text, width=60).plain()
    assert plain.startswith("First words come first.") and plain.endswith(" …")


def test_short_text_is_shown_whole() -> None:
    assert snippet("Warm up first.", "warm").plain() == "Warm up first."


def test_a_snippet_is_one_line() -> None:
    assert "\n" not in snippet("Line one.\n\nLine two \nwith pain.", "pain").plain()


def test_empty_text_gives_an_empty_snippet() -> None:
    empty = snippet("", "pain")
    assert (empty.parts, empty.matches, empty.html(), empty.ansi()) == ((), 0, "", "")


def test_every_occurrence_of_a_matching_word_is_marked_in_any_case() -> None:
    s = snippet("Pain: the pain, PAIN and painful feet. Paint is not pain.", "pain")
    assert [text for text, matched in s.parts if matched] == ["Pain", "pain", "PAIN", "painful", "pain"]
    assert s.matches == 5


def test_text_with_accents_marks_the_same_words_as_plain_text() -> None:
    plain = snippet("Flat FEET and sore feet: feeding does not help.", "feet")
    accented = snippet("Flat FEET and sore feet: feeding does not help, café.", "feet")
    assert [t for t, m in plain.parts if m] == [t for t, m in accented.parts if m] == ["FEET", "feet"]
    assert plain.matches == accented.matches == 2


# Words, digits, underscores, punctuation and a non-ASCII letter: word starts of every kind.
SNIPPET_TEXT = st.text(st.sampled_from(list("abcdeAB_1 .,-'\n") + ["é"]), max_size=80)


@settings(max_examples=300, deadline=None)
@given(SNIPPET_TEXT, st.lists(st.text(st.sampled_from(list("abcde1_.é")), min_size=1, max_size=5),
                              min_size=1, max_size=4))
@example("Abd abdomen, cab", ["a", "abdo"])  # a head that begins another: each word once
def test_the_words_found_are_those_starting_like_a_term_in_any_case_and_so_on_a_second_look(
        text: str, terms: list[str]) -> None:
    heads = sorted({t[:3] for t in terms}, key=len, reverse=True)
    starting = re.compile(r"\b(?:" + "|".join(map(re.escape, heads)) + r")\w*", re.I)
    expected = [(m.group().lower() if text.isascii() else m.group(), m.span()) for m in starting.finditer(text)]
    assert term_words(text, frozenset(terms)) == expected
    assert term_words(text, frozenset(terms)) == expected  # the text's words remembered


# Words that begin one another, in any case, with digits, dots and accents, between separators
# that include typographic punctuation (such text finds its words as ASCII text does).
MATCH_WORDS = ["pain", "Pains", "painful", "PAIN", "paint", "ca", "can", "cancer", "Cancers", "4.5", "4", "a.b",
               "café", "Café", "x_y", "\u212a"]  # the Kelvin sign: a 'k' in any case
MATCH_SEPARATORS = [" ", ", ", "\u2019", "\u2014", "\u00b0", "\n", "-", ".", "(", "\u00e9"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(MATCH_WORDS + MATCH_SEPARATORS), max_size=40),
       st.lists(st.sampled_from(MATCH_WORDS + ["k"]), min_size=1, max_size=4))
@example(["Cancer", " ", "can", "\u2019", "cancers"], ["ca", "cancer"])
def test_the_words_marked_are_those_starting_like_a_term_whose_analysed_form_is_a_term(
        pieces: list[str], query: list[str]) -> None:
    text = "".join(pieces)
    terms = frozenset(t.text for word in query for t in ANALYZER(word, mode="index"))
    if not terms:
        return
    heads = sorted({t[:3] for t in terms}, key=len, reverse=True)
    starting = re.compile(r"\b(?:" + "|".join(map(re.escape, heads)) + r")\w*", re.I)
    expected = [m.group() for m in starting.finditer(text)
                if terms & {t.text for t in ANALYZER(m.group(), mode="index")}]
    for _ in range(2):  # the second time from the text's remembered words
        shown = make_snippet(text, terms, ANALYZER, width=len(text) + 1)
        assert [part for part, matched in shown.parts if matched] == expected
        assert shown.matches == len(expected)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 3000), max_size=120, unique=True), st.sampled_from([40, 80, 100, 240, 241]))
# Two matches exactly at reach of each other come first (the window holds both), then matches far apart.
@example([0, 32, 500, 510] + list(range(1000, 5000, 100)), 40)
@example([0, 32, 500, 510], 40)
def test_the_window_starts_before_the_first_place_where_the_most_matches_lie_within_reach(
        starts: list[int], width: int) -> None:
    spans = [(a, a + 1) for a in sorted(starts)]
    # How many matches end a window at each match, counted one by one.
    counts = [sum(a - width * 0.8 <= b <= a for b, _ in spans) for a, _ in spans]
    first = spans[counts.index(max(counts)) - max(counts) + 1][0] if spans else 0
    assert _best_window(spans, width) == (max(0, first - width // 5) if spans else 0)
