"""ingest.html: real pages against golden records, markup variants, rejections, robustness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthqa.ingest.errors import NotQAPage, ParseError
from healthqa.ingest.html import parse_html

DATA = Path(__file__).parent / "data" / "html"
GOLDEN = sorted(DATA.glob("*.json"))


def parse_one(html: str, origin: str = "test.html"):
    pages = parse_html(html, origin)
    assert len(pages) == 1
    return pages[0]


# --- real pages (trimmed copies of ../shared/data/realpages-dev) ---------------------------


@pytest.mark.parametrize("expected_path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_real_page_matches_golden_record(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    html_path = expected_path.with_suffix(".html")
    page = parse_one(html_path.read_text(encoding="utf-8"), str(html_path))

    assert page.question == expected["question"]
    assert page.asked_by == expected["asked_by"]
    assert (page.id, page.source, page.format) == (expected["id"], expected["source"], expected["format"])
    assert page.url == expected["id"]
    assert page.topic == expected["topic"]
    assert page.date == expected["date"]
    assert (page.detail or "")[:80] == expected["detail_start"]
    assert len(page.answers) == expected["answer_count"]
    found = [{"author": a.author, "role": a.role, "date": a.date, "text_start": a.text[:80]} for a in page.answers]
    assert found == expected["answers"]
    assert page.origin == str(html_path)


def test_golden_copies_are_present_and_small() -> None:
    assert len(GOLDEN) >= 6
    for path in DATA.glob("*.html"):
        assert path.stat().st_size < 40_000, path.name


def test_medhelp_roles_come_from_the_user_title_beside_the_author() -> None:
    page = parse_one((DATA / "medhelp_heart-rhythm-tikosyn-1640925.html").read_text(encoding="utf-8"))
    assert [a.role for a in page.answers] == ["COMMUNITY LEADER", "COMMUNITY LEADER", None]
    # MedHelp's <time> elements are empty; the date sits in the datetime attribute.
    assert page.answers[0].date == "2011-12-04T09:09:18-05:00"


def test_shift_ms_replies_wrapped_twice_count_once() -> None:
    page = parse_one((DATA / "shiftms_cbd-oil-11.html").read_text(encoding="utf-8"))
    assert len(page.answers) == 21
    assert len({(a.author, a.text) for a in page.answers}) == 21


def test_article_page_is_rejected_as_not_a_qa_page() -> None:
    html = (DATA / "healthline_how-to-overcome-binge-eating.html").read_text(encoding="utf-8")
    with pytest.raises(NotQAPage) as caught:
        parse_html(html, "healthline.html")
    assert caught.value.reason == "not a Q&A page: article with no question/answer markup"
    assert caught.value.origin == "healthline.html"


# --- schema.org markup ---------------------------------------------------------------------

QUESTION_LD = {
    "@type": "Question",
    "name": "Can <b>foot</b> problems cause back pain?",
    "text": "<p>My back hurts.</p><p>I run a lot.</p>",
    "author": {"@type": "Person", "name": "runner42"},
    "dateCreated": "2020-01-02",
    "acceptedAnswer": {
        "@type": "Answer",
        "text": "Yes, through pronation.",
        "upvoteCount": "7",
        "author": {"@type": "Person", "name": "Rachael Link, MS, RD", "jobTitle": "Dietitian"},
    },
    "suggestedAnswer": [
        {"@type": "Answer", "text": "Try new shoes.", "author": "Dr.       Muthu Krishnan", "upvoteCount": 2},
    ],
}


def _ld_page(data: object, canonical: str | None = "https://www.example.org/q/1") -> str:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (f"<html><head>{link}<script type=\"application/ld+json\">{json.dumps(data)}</script></head>"
            "<body><h1>Ignored title</h1></body></html>")


@pytest.mark.parametrize(
    "data",
    [
        {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": QUESTION_LD},
        [{"@type": "WebSite", "name": "Example"}, {"@type": "QAPage", "mainEntity": QUESTION_LD}],
        {"@context": "https://schema.org", "@graph": [{"@type": "BreadcrumbList", "itemListElement": []},
                                                      QUESTION_LD]},
    ],
    ids=["object", "list", "graph"],
)
def test_jsonld_question_in_every_form(data: object) -> None:
    page = parse_one(_ld_page(data))
    assert page.format == "html-jsonld"
    assert (page.id, page.url, page.source) == ("https://www.example.org/q/1",) * 2 + ("example.org",)
    assert page.question == "Can foot problems cause back pain?"
    assert page.detail == "My back hurts.\n\nI run a lot."
    assert (page.asked_by, page.date) == ("runner42", "2020-01-02")
    accepted, suggested = page.answers
    assert (accepted.author, accepted.role, accepted.votes, accepted.accepted) == (
        "Rachael Link, MS, RD", "Dietitian", 7, True)
    assert (suggested.author, suggested.role, suggested.votes, suggested.accepted) == (
        "Dr. Muthu Krishnan", None, 2, False)


def test_graph_references_are_resolved() -> None:
    data = {"@graph": [
        {"@id": "#q", "@type": "Question", "name": "Why?", "author": {"@id": "#p"},
         "suggestedAnswer": {"@type": "Answer", "text": "Because."}},
        {"@id": "#p", "@type": "Person", "name": "asker"},
    ]}
    assert parse_one(_ld_page(data)).asked_by == "asker"


MICRODATA_QAPAGE = """
<html><head><link rel="canonical" href="https://forum.example.com/t/42"></head>
<body itemscope itemtype="https://schema.org/QAPage">
 <div class="breadcrumb"><a href="/">Home</a> &gt; <a href="/c/feet">Foot Health</a></div>
 <div itemprop="mainEntity" itemscope itemtype="https://schema.org/Question">
  <h1 itemprop="name">Why do my   feet hurt?</h1>
  <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">walker</span></span>
  <div itemprop="text">They hurt<br>after walking.<br><br>Every day.</div>
  <div itemprop="acceptedAnswer" itemscope itemtype="https://schema.org/Answer">
   <div class="user_title">Podiatrist</div>
   <span itemprop="author" itemscope itemtype="https://schema.org/Person">
     <span itemprop="name">Dr.       Muthu
       Krishnan</span></span>
   <time itemprop="dateCreated" datetime="2019-05-01T10:00:00Z"></time>
   <meta itemprop="upvoteCount" content="12">
   <div itemprop="text"><p>Check your shoes.</p><p>Don\x92t run on concrete.</p></div>
  </div>
  <div itemprop="suggestedAnswer" itemscope itemtype="https://schema.org/Answer">
   <span itemprop="author">jo</span><div itemprop="text">Rest.</div></div>
  <div itemprop="suggestedAnswer" itemscope itemtype="https://schema.org/Answer">
   <span itemprop="author">jo</span><div itemprop="text">Rest.</div></div>
 </div>
</body></html>
"""


def test_microdata_qapage() -> None:
    page = parse_one(MICRODATA_QAPAGE)
    assert page.format == "html-microdata"
    assert (page.id, page.source, page.topic) == ("https://forum.example.com/t/42", "forum.example.com", "Foot Health")
    assert (page.question, page.asked_by) == ("Why do my feet hurt?", "walker")
    assert page.detail == "They hurt after walking.\n\nEvery day."
    expert = page.answers[0]
    assert (expert.author, expert.role, expert.date, expert.votes, expert.accepted) == (
        "Dr. Muthu Krishnan", "Podiatrist", "2019-05-01T10:00:00Z", 12, True)
    # The cp1252 apostrophe mis-decoded as Latin-1 (U+0092) is repaired.
    assert expert.text == "Check your shoes.\n\nDon\u2019t run on concrete."


def test_exact_duplicate_answers_are_dropped() -> None:
    page = parse_one(MICRODATA_QAPAGE)
    assert [(a.author, a.text) for a in page.answers[1:]] == [("jo", "Rest.")]


def test_invalid_jsonld_falls_back_to_microdata() -> None:
    broken = '<script type="application/ld+json">{"@type": "QAPage", "mainEntity": {oops</script>'
    page = parse_one(MICRODATA_QAPAGE.replace("</head>", broken + "</head>"))
    assert page.format == "html-microdata"
    assert page.question == "Why do my feet hurt?"
    assert page.warnings == ("invalid JSON-LD skipped",)


def test_forum_posting_in_jsonld_takes_comments_as_answers() -> None:
    data = {"@type": "DiscussionForumPosting", "headline": "Tired all the time",
            "text": "Since March.", "author": {"name": "sam"}, "url": "https://talk.example.net/d/9",
            "comment": [{"@type": "Comment", "text": "Get your iron checked.", "author": {"name": "kim"},
                         "dateCreated": "2021-04-01"}]}
    page = parse_one(_ld_page(data, canonical=None))
    assert (page.format, page.id, page.source) == ("html-forum", "https://talk.example.net/d/9", "talk.example.net")
    assert (page.question, page.detail, page.asked_by) == ("Tired all the time", "Since March.", "sam")
    assert [(a.author, a.text, a.date) for a in page.answers] == [("kim", "Get your iron checked.", "2021-04-01")]


def test_next_data_thread() -> None:
    data = {"props": {"pageProps": {"community": {"name": "Back Care"}, "thread": {
        "title": "Sciatica at night?", "body": "Worse when lying down.\n", "author": {"username": "ann"},
        "responses": [{"body": "<p>Try a pillow.</p>", "author": {"username": "bo"}, "numRatings": 3,
                       "responses": [{"body": "Thanks!", "author": {"username": "ann"}}]}]}}}}
    html = f'<html><body><script id="__NEXT_DATA__" type="application/json">{json.dumps(data)}</script></body></html>'
    page = parse_one(html)
    assert (page.format, page.topic, page.question, page.asked_by) == (
        "html-forum", "Back Care", "Sciatica at night?", "ann")
    assert [(a.author, a.text, a.votes) for a in page.answers] == [("bo", "Try a pillow.", 3), ("ann", "Thanks!", None)]


def test_menus_are_skipped_but_breadcrumbs_and_quoted_markup_survive() -> None:
    data = {"@type": "Question", "name": "Is <aside>this</aside> kept?",
            "suggestedAnswer": {"@type": "Answer", "text": "Yes <nav>really</nav>."}}
    html = ('<nav class="menu"><a href="/">Home</a><a href="/x">Menu item</a></nav>'
            '<nav aria-label="breadcrumb"><a href="/">Home</a><a href="/c/skin">Skin</a></nav>'
            f'<script type="application/ld+json">{json.dumps(data)}</script>')
    page = parse_one(html)
    assert (page.question, page.topic) == ("Is this kept?", "Skin")
    assert page.answers[0].text == "Yes really ."


def test_page_without_url_gets_a_derived_id() -> None:
    page = parse_one('<div itemscope itemtype="http://schema.org/Question"><h1 itemprop="name">Why?</h1></div>')
    assert page.url is None and page.source == "html"
    assert page.id and not page.id.startswith("http")
    assert page.answers == ()


# --- pages with no markup ------------------------------------------------------------------

SEED_HTML = """
<html><body>
<nav><a href="/">Sharecare</a></nav>
<div class="topic">Back Pain</div>
<h1>How can foot problems cause back pain?</h1>
<div><span>A</span> Answers (2)</div>
<ul>
 <li><div><span>A</span> , Physical Therapy, answered</div>
  <p>The feet contribute to back pain by working their way up the legs.</p>
  <p>There are muscular adaptations along the way too.</p></li>
 <li><div><span>A</span> , Fitness, answered</div>
  <p>Sometimes, low-back pain can have its source in the feet.</p></li>
</ul>
<p>This content reflects information from various individuals and organizations and may offer
alternative or opposing points of view. It should not be used for medical advice, diagnosis or treatment.</p>
<div>Did You See? <span>Close</span></div>
<div><a href="/q/2">What causes low back pain?</a></div>
</body></html>
"""


def test_seed_shaped_page_without_markup_is_read_as_text() -> None:
    page = parse_one(SEED_HTML, "seed.html")
    assert page.format == "html-text"
    assert (page.topic, page.question) == ("Back Pain", "How can foot problems cause back pain?")
    assert [(a.author, a.role) for a in page.answers] == [(None, "Physical Therapy"), (None, "Fitness")]
    assert page.answers[0].text == ("The feet contribute to back pain by working their way up the legs.\n\n"
                                    "There are muscular adaptations along the way too.")
    assert page.related == ("What causes low back pain?",)
    assert page.origin == "seed.html"


@pytest.mark.parametrize(
    "html",
    ["", "   \n ", "<html></html>", "just some words", "<<<>>>", "\x00\x01\x02", "http://example.com/page.html",
     "<?xml version='1.0'?><root><a/></root>", "<html><body><h2>Contact us</h2><p>Call 555.</p></body></html>",
     "<div itemscope itemtype='http://schema.org/Question'></div>",
     '<script type="application/ld+json">[[[[{"@type": "Question"}]]]]</script>',
     "<script>var a = 1;" * 2000 + "<!-- never closed", '<img alt="' * 2000, "<nav>" * 3000],
)
def test_empty_or_garbage_html_raises_parse_error(html: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_html(html, "junk.html")
    assert caught.value.reason


def test_absurdly_deep_markup_is_rejected() -> None:
    with pytest.raises(ParseError) as caught:
        parse_html("<div>" * 600 + '<h1 itemprop="name">Why?</h1>', "deep.html")
    assert caught.value.reason == "markup nested deeper than 512 levels"


def test_unclosed_script_hides_nothing_before_it() -> None:
    html = MICRODATA_QAPAGE.replace("</body>", "<script>var never = 'closed';</body>")
    assert parse_one(html).question == "Why do my feet hurt?"


def test_page_with_no_question_says_so() -> None:
    with pytest.raises(ParseError) as caught:
        parse_html("<html><body><p>Opening hours: 9 to 5.</p></body></html>", "x.html")
    assert caught.value.reason == "no question found"
    assert not isinstance(caught.value, NotQAPage)


# --- robustness ----------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from([
    "<div>", "</div>", "<p>", "<br>", "<li>", "<ul>", "<h1>", "</h1>", "<script>", "</script>", "<!--", "-->",
    '<div itemscope itemtype="http://schema.org/Question">', '<span itemprop="name">',
    '<div itemprop="suggestedAnswer" itemscope itemtype="http://schema.org/Answer">', '<span itemprop="text">',
    '<script type="application/ld+json">', '{"@type": "QAPage", "mainEntity": [', '<time datetime="x">',
    '<script id="__NEXT_DATA__" type="application/json">', '{"title": "t", "body": "b", "responses": [',
    "Answers (2)", "• A , Fitness, answered", '<meta property="og:type" content="article">', "&amp;", "\x92",
])


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_arbitrary_text_raises_nothing_but_parse_error(junk: str) -> None:
    try:
        pages = parse_html(junk, "junk.html")
    except ParseError:
        return
    assert all(page.question for page in pages)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=8)), max_size=40).map("".join))
def test_arbitrary_markup_raises_nothing_but_parse_error(junk: str) -> None:
    try:
        pages = parse_html(junk, "junk.html")
    except ParseError:
        return
    assert all(page.question for page in pages)
