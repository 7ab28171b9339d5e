"""The plain-text rendering parser: the seed page (golden) and realistic variants of it."""

from __future__ import annotations

import json
import pathlib

import pytest

from healthqa.ingest.decode import decode_bytes
from healthqa.ingest.errors import NotQAPage, ParseError
from healthqa.ingest.record import QAPage
from healthqa.ingest.text import parse_text, split_author

DISCLAIMER = "This content reflects information"


def parse_file(path: pathlib.Path) -> QAPage:
    text, _ = decode_bytes(path.read_bytes(), str(path))
    pages = parse_text(text, str(path))
    assert len(pages) == 1
    return pages[0]


def test_seed_page_matches_its_golden_record(seed_page: pathlib.Path) -> None:
    expected = json.loads(seed_page.with_suffix(".expected.json").read_text(encoding="utf-8"))
    page = parse_file(seed_page)
    got = page.to_dict()
    assert got.pop("origin") == str(seed_page)
    got.pop("content_hash")
    assert got == expected


def test_seed_page_fields_a_reader_sees(seed_page: pathlib.Path) -> None:
    page = parse_file(seed_page)
    assert page.topic == "Back Pain"
    assert page.question == "How can foot problems cause back pain?"
    assert [(a.author, a.role) for a in page.answers] == [(None, "Physical Therapy"), (None, "Fitness")]
    assert page.related == ("What causes low back pain?",)
    assert page.warnings == ()
    assert not any(DISCLAIMER in a.text or "medical advice" in a.text for a in page.answers)
    physical_therapy, fitness = (a.text.split("\n\n") for a in page.answers)
    assert len(physical_therapy) == 3 and len(fitness) == 2
    assert physical_therapy[0].startswith("The feet contribute to back pain")
    assert fitness[-1].endswith("who may be prone to the problem.")


def test_page_without_topic_line(text_pages: pathlib.Path) -> None:
    page = parse_file(text_pages / "no_topic.txt")
    assert page.topic is None
    assert page.question == "What can I do about heel pain in the morning?"
    assert [a.role for a in page.answers] == ["Podiatry"]
    assert page.related == ("What is plantar fasciitis?",)


def test_page_without_related_box_ends_at_the_disclaimer(text_pages: pathlib.Path) -> None:
    page = parse_file(text_pages / "no_related.txt")
    assert page.related == ()
    assert len(page.answers) == 1
    assert page.answers[0].text.endswith("talk to your doctor about the result.")
    assert DISCLAIMER not in page.answers[0].text


def test_blank_lines_separate_paragraphs_and_wrapped_lines_join(text_pages: pathlib.Path) -> None:
    page = parse_file(text_pages / "several_paragraphs.txt")
    assert page.answers[0].text.split("\n\n") == [
        "How often you check depends on the kind of diabetes you have and the medicines you take.",
        "If you use insulin several times a day, you may need to check before meals and at bedtime. "
        "Your care team may also ask for a reading after meals.",
        "If you manage type 2 diabetes with diet or tablets alone, checking less often may be enough.",
        "Write your readings down and bring them to every appointment.",
    ]


def test_names_roles_and_credentials(text_pages: pathlib.Path) -> None:
    page = parse_file(text_pages / "named_experts.txt")
    assert [(a.author, a.role) for a in page.answers] == [
        ("Dr. Jane Roe", "Sleep Medicine"),
        ("Rachael Link, MS, RD", "Nutrition"),  # credentials stay with the name
        ("Dr. Sam Lee", "Obstetrics, Gynecology"),  # a role may hold a comma
    ]
    assert page.roles == ("Sleep Medicine", "Nutrition", "Obstetrics, Gynecology")
    assert page.warnings == ()


@pytest.mark.parametrize("indented", [True, False], ids=["indented", "flush-left"])
def test_advice_to_consult_a_provider_stays_in_the_answer(text_pages: pathlib.Path, indented: bool) -> None:
    text = (text_pages / "advice_in_answer.txt").read_text(encoding="utf-8")
    if not indented:
        text = "\n".join(line.strip() for line in text.splitlines())
    page = parse_text(text, "advice.txt")[0]
    assert [len(a.text.split("\n\n")) for a in page.answers] == [3, 1]
    assert "consult your healthcare provider about further tests" in page.answers[0].text
    assert page.answers[0].text.endswith("bed rest slows recovery.")
    assert DISCLAIMER not in page.answers[1].text


def test_stated_answer_count_differing_keeps_found_answers_with_a_warning(text_pages: pathlib.Path) -> None:
    page = parse_file(text_pages / "count_mismatch.txt")
    assert [a.role for a in page.answers] == ["Allergy and Immunology", "Family Medicine"]
    assert page.warnings == ("page states 3 answers but 2 were found",)


def test_question_detail_lines_keep_their_paragraphs(text_pages: pathlib.Path) -> None:
    page = parse_file(text_pages / "question_detail.txt")
    assert page.question == "Why does my knee hurt when I climb stairs?"
    assert page.detail == (
        "I am 45 and I run three times a week. The pain is at the front of the knee.\n\n"
        "It started after I added hill training last month."
    )
    assert page.topic == "Knee Pain"


def test_page_with_no_indentation_at_all(text_pages: pathlib.Path) -> None:
    page = parse_file(text_pages / "no_indent.txt")
    assert page.topic == "Migraine"
    assert [(a.role, a.text) for a in page.answers] == [
        ("Neurology", "Common triggers are missed meals, poor sleep, bright light and some foods. "
                      "Keeping a headache diary helps you find your own."),
        ("Pharmacy", "Taking pain relievers more than ten days a month can itself cause more headaches."),
    ]
    assert page.related == ("What is the difference between a migraine and a headache?",)


def test_windows_line_endings_read_like_unix_ones(text_pages: pathlib.Path) -> None:
    raw = (text_pages / "windows_crlf.txt").read_bytes()
    assert b"\r\n" in raw
    page = parse_file(text_pages / "windows_crlf.txt")
    unix = parse_text(raw.decode("utf-8").replace("\r\n", "\n"), page.origin)[0]
    assert page == unix
    assert page.answers[0].text == (
        "Yes, most people with asthma can and should exercise.\n\n"
        "Use your reliever inhaler 15 minutes before you start, and warm up slowly."
    )
    assert page.related == ("What is exercise-induced asthma?",)


def test_article_is_rejected_as_not_a_qa_page(text_pages: pathlib.Path) -> None:
    text = (text_pages / "not_qa_article.txt").read_text(encoding="utf-8")
    with pytest.raises(NotQAPage) as caught:
        parse_text(text, "article.txt")
    assert "not a Q&A page" in caught.value.reason


def test_answers_without_a_question_are_rejected() -> None:
    with pytest.raises(ParseError) as caught:
        parse_text("A Answers (1)\n  • A , Fitness, answered\n    Walk daily.\n", "cut.txt")
    assert caught.value.reason == "no question found before the answers"


def test_same_question_and_topic_give_the_same_id_in_any_file(seed_page: pathlib.Path) -> None:
    text = seed_page.read_text(encoding="utf-8")
    first, second = parse_text(text, "a.txt")[0], parse_text(text, "elsewhere/b.txt")[0]
    assert first.id == second.id == "back-pain/how-can-foot-problems-cause-back-pain/b46b4ddb"
    assert first.content_hash == second.content_hash


@pytest.mark.parametrize(
    ("who", "author", "role"),
    [
        ("A , Physical Therapy", None, "Physical Therapy"),  # avatar letter, not a name
        ("Dr. Jane Roe , Sleep Medicine", "Dr. Jane Roe", "Sleep Medicine"),
        ("Rachael Link, MS, RD, Nutrition", "Rachael Link, MS, RD", "Nutrition"),
        ("John Smith, PhD", "John Smith, PhD", None),
        ("Dr.       Muthu Krishnan , Cardiology", "Dr. Muthu Krishnan", "Cardiology"),
    ],
)
def test_split_author(who: str, author: str | None, role: str | None) -> None:
    assert split_author(who) == (author, role)
