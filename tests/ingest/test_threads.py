"""Forum threads of every shape: golden pages, pages with no thread, the detector's robustness."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthqa.ingest.errors import NotQAPage, ParseError, ProfileError
from healthqa.ingest.html import parse_html
from healthqa.ingest.html_dates import iso_date
from healthqa.ingest.html_detect import detect_thread
from healthqa.ingest.html_profile import load_profiles
from healthqa.ingest.record import Answer, QAPage

DATA = Path(__file__).parent / "data"
THREADS = sorted((DATA / "threads").glob("*.html"))
INGEST = Path(__file__).resolve().parents[2] / "ingest"


def _posts(page: QAPage) -> list[tuple[str, str | None]]:
    return [(page.detail or page.question, page.asked_by)] + [(a.text, a.author) for a in page.answers]


def _f1(gold: str, found: str) -> float:
    g, f = Counter(gold.lower().split()), Counter(found.lower().split())
    common = sum((g & f).values())
    return 0.0 if not common else 2 * common / (sum(g.values()) + sum(f.values()))


def _matched(gold: list[dict], found: list[tuple[str, str | None]]) -> list[tuple[dict, str | None]]:
    """Gold posts matched one-to-one to found posts by token F1 >= 0.5 (as the thread scorer does)."""
    pairs = sorted(((_f1(g["text"], f[0]), i, j) for i, g in enumerate(gold) for j, f in enumerate(found)),
                   reverse=True)
    used_g, used_f, out = set(), set(), []
    for score, i, j in pairs:
        if score >= 0.5 and i not in used_g and j not in used_f:
            used_g.add(i), used_f.add(j), out.append((gold[i], found[j][1]))
    return out


def _author_ok(gold_user: str, author: str | None) -> bool:
    if not author:
        return False
    if gold_user.strip().lower() == author.strip().lower():
        return True
    return re.search(r"(?<!\w)" + re.escape(author.lower()) + r"(?!\w)", gold_user.lower()) is not None


@pytest.mark.parametrize("path", THREADS, ids=[p.stem for p in THREADS])
def test_trimmed_real_thread_matches_its_gold_posts(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text())
    page = parse_html(path.read_text(), str(path))[0]
    found = _posts(page)
    matched = _matched(expected["gold_posts"], found)
    assert page.method == expected["method"]
    assert page.question == expected["question"]
    assert len(found) == expected["posts_found"]
    assert len(matched) >= expected["min_matched"]
    assert sum(_author_ok(g["user"], a) for g, a in matched) >= expected["min_authors"]


def test_golden_threads_cover_every_shape() -> None:
    methods = {json.loads(p.with_suffix(".json").read_text())["method"] for p in THREADS}
    assert {"markup", "detector", "markup+detector"} <= methods
    assert "<noscript" in (DATA / "threads" / "sibling-postings-noscript.html").read_text()


def test_unmarked_thread_gives_every_post_with_author_and_parsed_date() -> None:
    page = parse_html((DATA / "threads" / "unmarked-xenforo-like.html").read_text(), "x.html")[0]
    assert [a.author for a in page.answers] == ["Breitlingfan_xf", "ticktick", "screensize"]
    assert page.asked_by == "screensize" and page.date_iso == "2020-04-23"
    assert all(a.date_iso and a.date_iso.startswith("2020-04-2") for a in page.answers)
    # A reply quoting an earlier post keeps the quote, marked.
    assert page.answers[2].text.startswith("> ")


@pytest.mark.parametrize("name", ["listing", "login", "error"])
def test_page_with_no_thread_is_rejected_with_a_reason(name: str) -> None:
    with pytest.raises(ParseError, match="no question found"):
        parse_html((DATA / "not-threads" / f"{name}.html").read_text(), f"{name}.html")


@pytest.mark.parametrize("name", ["real-server-status", "real-landing", "real-listing-python-http-server",
                                  "real-default-nginx-welcome"])
def test_real_page_with_no_thread_is_rejected_with_a_reason(name: str) -> None:
    """Real pages (their source in their first line): a status table, a landing page, a listing, a placeholder.
    None is given a kind it is not (login, error)."""
    with pytest.raises(ParseError, match="no question found$"):
        parse_html((DATA / "not-threads" / f"{name}.html").read_text(), f"{name}.html")


@pytest.mark.parametrize(("name", "reason"), [
    ("real-login-django-admin-en", "a login page"),
    ("real-login-django-admin-de", "a login page"),
    ("real-error-django-404", r"an error page \('Not Found'\)"),
    ("real-error-werkzeug-404", r"an error page \('404 Not Found'\)"),
    ("real-error-werkzeug-500", r"an error page \('500 Internal Server Error'\)"),
    ("real-error-apache-404-en", r"an error page \('Object not found!'\)"),
    ("real-error-apache-404-de", r"an error page \('Error 404'\)"),
    ("real-error-apache-404-fr", r"an error page \('Error 404'\)"),
    ("real-error-apache-500-en", r"an error page \('Error 500'\)"),
    ("login", "a login page"),
])
def test_real_login_and_error_pages_are_rejected_saying_what_they_are(name: str, reason: str) -> None:
    """Pages that real software renders (sources and licences in data/not-threads/README.md)."""
    with pytest.raises(ParseError, match="no question found: " + reason) as caught:
        parse_html((DATA / "not-threads" / f"{name}.html").read_text(), f"{name}.html")
    assert not isinstance(caught.value, NotQAPage)


def test_thread_page_with_a_login_box_is_still_a_thread() -> None:
    post = ('<div class="post"><a href="/members/{0}">{0}</a><time>{1}</time>'
            '<div class="body">{2}</div></div>')
    login = '<form class="login" method="post"><input name="user"><input type="password" name="pw"></form>'
    html = ("<h1>Sore knee?</h1>" + login
            + post.format("ann", "1 May 2020", "My knee is sore after long walks, what can I do about it?")
            + post.format("bob", "2 May 2020", "Try resting it for a few days and ice it after every walk."))
    page = parse_html(html, "t.html")[0]
    assert [a.author for a in page.answers] == ["bob"]


def test_real_article_with_an_author_box_is_no_thread() -> None:
    """A news article beside its author's bio box: two sibling blocks with a name each, no template in common."""
    with pytest.raises(NotQAPage, match="article"):
        parse_html((DATA / "not-threads" / "real-article-author-box.html").read_text(), "article.html")


def test_real_article_is_still_rejected_as_an_article() -> None:
    with pytest.raises(NotQAPage, match="article"):
        parse_html((DATA / "html" / "healthline_how-to-overcome-binge-eating.html").read_text(), "a.html")


def test_article_element_and_og_type_do_not_hide_a_thread() -> None:
    post = ('<article class="message"><a href="/members/{0}.1/">{0}</a><time>{1}</time>'
            '<div class="body">{2}</div></article>')
    html = ('<html><head><meta property="og:type" content="article"></head><body><h1>Sore knee?</h1>'
            + post.format("ann", "1 May 2020", "My knee is sore after long walks, what can I do about it?")
            + post.format("bob", "2 May 2020", "Try resting it for a few days and ice it after every walk.")
            + "</body></html>")
    page = parse_html(html, "t.html")[0]
    assert page.method == "detector" and [a.author for a in page.answers] == ["bob"]


def test_same_text_by_same_author_in_two_posts_is_two_posts() -> None:
    post = ('<div class="post"><a href="/user/{0}">{0}</a><span class="date">{1}</span>'
            '<div class="content">{2}</div></div>')
    html = ("<h1>Bump</h1>" + post.format("ann", "1 May 2020", "Does anyone know a good physio near the centre?")
            + post.format("bob", "2 May 2020", "Not me, sorry, but ask at your GP surgery they keep a list.")
            + post.format("ann", "9 May 2020", "Does anyone know a good physio near the centre?"))
    page = parse_html(html, "t.html")[0]
    assert [a.author for a in page.answers] == ["bob", "ann"]


def _item(kind: str, author: str, text: str, prop: str = "") -> str:
    prop = f' itemprop="{prop}"' if prop else ""
    return (f'<div{prop} itemscope itemtype="https://schema.org/{kind}">'
            f'<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">{author}'
            f'</span></span><div itemprop="text">{text}</div></div>')


def test_answers_marked_up_outside_the_question_belong_to_it() -> None:
    html = ('<div itemscope itemtype="https://schema.org/Question"><h1 itemprop="name">Is ibuprofen safe?</h1>'
            '<div itemprop="text">With asthma, is it safe?</div></div>'
            + _item("Answer", "Dr Lee", "Often, but ask your pharmacist first.")
            + _item("Answer", "Sam", "It made my asthma worse."))
    page = parse_html(html, "q.html")[0]
    assert [(a.author, a.text) for a in page.answers] == [("Dr Lee", "Often, but ask your pharmacist first."),
                                                          ("Sam", "It made my asthma worse.")]


def test_opening_post_repeated_in_comments_is_not_an_answer() -> None:
    html = ('<div itemscope itemtype="https://schema.org/DiscussionForumPosting">'
            '<meta itemprop="headline" content="Vitamin D dose?"><span itemprop="author">ann</span>'
            '<div itemprop="text">How much vitamin D in winter?</div>'
            + _item("Comment", "ann", "How much vitamin D in winter?", "comment")
            + _item("Comment", "bob", "Ten micrograms a day is the usual advice.", "comment") + "</div>")
    page = parse_html(html, "q.html")[0]
    assert [a.author for a in page.answers] == ["bob"]


def test_profile_reads_the_pages_its_pattern_matches(tmp_path: Path) -> None:
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps([{"url": "*/forum/*", "post": "div.entry", "body": ".words",
                                    "author": ".who", "date": ".when", "title": "h2"}]))
    entry = '<div class="entry"><b class="who">{0}</b><i class="when">{1}</i><p class="words">{2}</p></div>'
    html = ('<link rel="canonical" href="https://site.example/forum/7"><h2>Cold feet</h2>'
            + entry.format("ann", "3 Jan 2021", "My feet are always cold.")
            + entry.format("bob", "4 Jan 2021", "Check your circulation with a doctor."))
    profiles = load_profiles(str(profile))
    page = parse_html(html, "p.html", profiles)[0]
    assert (page.method, page.question, page.asked_by) == ("profile", "Cold feet", "ann")
    assert [(a.author, a.date_iso) for a in page.answers] == [("bob", "2021-01-04")]
    with pytest.raises(ParseError, match="no question found"):  # no profile matches: read automatically
        parse_html(html.replace("/forum/", "/blog/"), "p.html", profiles)


@pytest.mark.parametrize("content, message", [
    ("{", "not valid JSON"),
    ('[{"url": "*"}]', "'post' is missing"),
    ('[{"url": "*", "post": "div", "body": "p", "colour": "red"}]', "unknown key 'colour'"),
    ('[{"url": "*", "post": "div[", "body": "p"}]', "not a valid CSS selector"),
])
def test_bad_profile_file_says_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(ProfileError, match=re.escape(message)):
        load_profiles(str(path))


def test_method_and_iso_dates_round_trip_through_json() -> None:
    page = QAPage(id="x", source="s", format="html-forum", question="Q?", origin="o", method="detector",
                  date_iso="2020-01-02", answers=(Answer(text="A.", date="2 Jan 2020", date_iso="2020-01-02"),))
    again = QAPage.from_json(page.to_json())
    assert again == page and again.content_hash == page.content_hash
    plain = QAPage(id="x", source="s", format="text", question="Q?", origin="o")
    assert "method" not in plain.to_dict()  # records without the new fields keep their shape and hash


@pytest.mark.parametrize("shown, iso", [
    ("Sun Dec 15, 2019 4:58 pm", "2019-12-15T16:58"), ("10. April 2020", "2020-04-10"),
    ("29/07/2004, 19h46", "2004-07-29T19:46"), ("04-23-2020 at 3:40 pm", "2020-04-23T15:40"),
    ("14.12.2019 21:42", "2019-12-14T21:42"), ("4 December 2016 at 12:11AM", "2016-12-04T00:11"),
    ("2 hours ago", None), ("March 30", None), ("", None),
])
def test_shown_dates_are_read_as_iso(shown: str, iso: str | None) -> None:
    assert iso_date(shown) == iso


_ENGINES = ("xenforo", "phpbb", "vbulletin", "vanilla", "invision", "discourse", "insided", "fluxbb", "woltlab",
            "phorum", "bbpress", "kentico", "mybb", "punbb", "simple machines", "smf ", "next.js",
            "medhelp", "healthunlocked", "healthline", "shift.ms", "msconnection", "ms connection")
_HOST = re.compile(r"\b[a-z0-9-]+\.(?:com|org|net|de|fr|uk|ms|io|me)\b", re.I)
_ALLOWED_HOSTS = {"schema.org", "example.org", "example.com", "forum.example.org", "www.example.org"}


def test_ingest_code_names_no_engine_and_no_host() -> None:
    for path in sorted(INGEST.glob("*.py")):
        text = path.read_text().lower()
        engines = [name for name in _ENGINES if name in text]
        hosts = sorted(set(_HOST.findall(text)) - _ALLOWED_HOSTS)
        assert not engines and not hosts, f"{path.name} names {engines + hosts}"


def _mutations() -> st.SearchStrategy:
    cut = st.tuples(st.just("cut"), st.floats(0, 1), st.floats(0, 0.3))
    insert = st.tuples(st.just("insert"), st.floats(0, 1),
                       st.sampled_from(["<div>", "</div>", "<table><tr><td>", "</td></tr>", "<blockquote>",
                                        "<a href='/members/x.1/'>x</a>", "<time>", "<br>", "<p>", "\x00", "&#0;"]))
    return st.lists(st.one_of(cut, insert), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=st.sampled_from(THREADS), edits=_mutations())
def test_detector_never_raises_on_mutated_real_pages(page: Path, edits: list) -> None:
    html = page.read_text()
    for kind, where, what in edits:
        at = int(where * len(html))
        html = html[:at] + html[at + int(what * len(html)):] if kind == "cut" else html[:at] + what + html[at:]
    thread = detect_thread(BeautifulSoup(html, "lxml", multi_valued_attributes=None))
    assert thread is None or (thread.detail and all(a.text for a in thread.answers))


def test_itemref_brings_properties_printed_elsewhere() -> None:
    html = ('<div itemscope itemtype="https://schema.org/Question" itemref="body answers">'
            '<h1 itemprop="name">Is ibuprofen safe with asthma?</h1></div><p>Advertisement</p>'
            '<div id="body"><div itemprop="text">I have mild asthma and a bad back.</div></div>'
            '<div id="answers"><div itemprop="suggestedAnswer" itemscope itemtype="https://schema.org/Answer">'
            '<span itemprop="text">Ask your pharmacist first.</span></div></div>')
    page = parse_html(html, "q.html")[0]
    assert (page.detail, [a.text for a in page.answers]) == ("I have mild asthma and a bad back.",
                                                             ["Ask your pharmacist first."])


def test_first_post_marked_up_apart_from_the_replies_is_found() -> None:
    reply = ('<li class="reply"><a href="/user/{0}">{0}</a> <span class="date">{1}</span>'
             '<p>{2}</p></li>')
    html = ('<h1>Heel pain every morning</h1><div class="opening"><a href="/user/ann">ann</a>'
            '<span class="date">1 May 2020</span><p>My heel hurts every morning when I get up. What is it?</p></div>'
            '<ul class="replies">'
            + reply.format("bob", "2 May 2020", "Sounds like plantar fasciitis; stretch your calves before standing.")
            + reply.format("cy", "3 May 2020", "Same here, night splints helped me a lot after a few weeks.")
            + "</ul>")
    page = parse_html(html, "t.html")[0]
    assert (page.asked_by, page.date_iso) == ("ann", "2020-05-01")
    assert [a.author for a in page.answers] == ["bob", "cy"]


def test_rank_shown_beside_the_author_is_the_role() -> None:
    page = parse_html((DATA / "threads" / "unmarked-phpbb-like.html").read_text(), "t.html")[0]
    assert [(a.author, a.role) for a in page.answers][:2] == [("mfkl", "Developer"), ("Mari", "New Cone")]


def test_votes_and_acceptance_in_markup_survive_when_the_page_completes_the_thread() -> None:
    # JSON-LD names only the question and its accepted answer (an excerpt); the page shows
    # every post. The posts come from the page, the signals from the markup.
    ld = {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": {
        "@type": "Question", "name": "Heel pain every morning", "author": {"@type": "Person", "name": "ann"},
        "text": "My heel hurts every morning when I get up. What is it?", "answerCount": 3,
        "acceptedAnswer": {"@type": "Answer", "upvoteCount": 4, "author": {"@type": "Person", "name": "bob"},
                           "text": "Sounds like plantar fasciitis; stretch your..."}}}
    post = ('<div class="post"><a href="/user/{0}">{0}</a><span class="date">{1}</span>'
            '<div class="content">{2}</div></div>')
    html = (f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head><body>'
            "<h1>Heel pain every morning</h1>"
            + post.format("ann", "1 May 2020", "My heel hurts every morning when I get up. What is it?")
            + post.format("bob", "2 May 2020", "Sounds like plantar fasciitis; stretch your calves before standing.")
            + post.format("cy", "3 May 2020", "Same here, night splints helped me a lot after a few weeks.")
            + post.format("bob", "4 May 2020", "Glad to hear it. Give it six weeks before you judge the splints.")
            + "</body></html>")
    page = parse_html(html, "t.html")[0]
    assert [(a.author, a.votes, a.accepted) for a in page.answers] == [
        ("bob", 4, True), ("cy", None, False), ("bob", None, False)]
    assert page.answers[0].text.endswith("before standing.")


def test_name_with_no_link_is_read_above_the_members_rank() -> None:
    """A board that shows guests the name as plain text over the rank (no profile link, no class)."""
    page = parse_html((DATA / "threads" / "unmarked-name-above-rank.html").read_text(), "x.html")[0]
    gold = json.loads((DATA / "threads" / "unmarked-name-above-rank.json").read_text())["gold_posts"]
    assert [page.asked_by] + [a.author for a in page.answers] == [g["user"] for g in gold]
