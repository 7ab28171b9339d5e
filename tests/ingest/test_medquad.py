"""MedQuAD XML: one record per question-answer pair, ids as in the published judgments."""

from __future__ import annotations

import pathlib

import pytest

from healthqa.ingest.decode import decode_bytes
from healthqa.ingest.detect import detect_format, parse_document
from healthqa.ingest.errors import HealthQAError, ParseError
from healthqa.ingest.fill import AnswerFill
from healthqa.ingest.medquad import parse_medquad, record_id
from healthqa.ingest.record import QAPage


def parse_file(path: pathlib.Path) -> list[QAPage]:
    text, _ = decode_bytes(path.read_bytes(), str(path))
    assert detect_format(text) == "medquad"
    return parse_medquad(text, str(path))


def test_gard_document_gives_one_record_with_focus_type_url_and_synonyms(medquad_files: pathlib.Path) -> None:
    [page] = parse_file(medquad_files / "2_GARD_QA" / "0001095.xml")
    assert page.id == "GARD_0001095_Sec1"
    assert page.source == "GARD"
    assert page.format == "medquad"
    assert page.topic == "Charcot-Marie-Tooth disease type 1F"
    assert page.question == "What are the symptoms of Charcot-Marie-Tooth disease type 1F ?"
    assert page.question_type == "symptoms"
    assert page.url == "https://rarediseases.info.nih.gov/gard/9191/charcot-marie-tooth-disease-type-1f"
    assert page.synonyms == (
        "CMT 1F",
        "Charcot-Marie-Tooth disease, demyelinating, Type 1F",
        "Charcot Marie Tooth disease type 1F",
        "Autosomal recessive axonal Charcot-Marie-Tooth disease type 2",
        "Charcot-Marie-Tooth disease",
        "Charcot-Marie-Tooth disease type 1",
    )
    [answer] = page.answers
    assert answer.text.startswith("What are the signs and symptoms of Charcot-Marie-Tooth disease type 1F?")
    assert answer.text.endswith("the sign or symptom may be rare or common.")
    assert answer.author is None and answer.role is None


def test_answerless_mplus_file_keeps_its_questions_with_the_abbreviated_prefix(medquad_files: pathlib.Path) -> None:
    pages = parse_file(medquad_files / "12_MPlusHerbsSupplements_QA" / "0000001.xml")
    assert [p.id for p in pages] == ["MPlusHerbsSuppls_0000001_Sec1", "MPlusHerbsSuppls_0000001_Sec2"]
    assert [p.question_type for p in pages] == ["information", "how effective is it"]
    assert all(p.answers == () for p in pages)
    assert all(p.source == "MPlusHerbsSupplements" and p.topic == "Activated Charcoal" for p in pages)


def test_lower_case_doc_variant(medquad_files: pathlib.Path) -> None:
    pages = parse_file(medquad_files / "6_NINDS_QA" / "0000007.xml")
    assert [(p.id, p.question_type) for p in pages] == [
        ("NINDS_0000007_Sec1", "information"),
        ("NINDS_0000007_Sec2", "treatment"),
    ]
    assert pages[0].question == "what is holmes-adie syndrome ?"
    assert pages[0].topic == "Holmes-Adie"  # from <doctitle-focus>
    assert pages[0].source == "NINDS"  # from the corpus attribute
    assert pages[0].url == "http://www.ninds.nih.gov/disorders/holmes_adie/holmes_adie.htm"
    assert "Ross’s syndrome" in pages[0].answers[0].text
    assert "  " not in pages[0].answers[0].text


def test_disease_file_root_numbers_pairs_by_position_not_pid(medquad_files: pathlib.Path) -> None:
    # The copy keeps the real file's gap in pids (1, 2, 5); judged ids count positions.
    pages = parse_file(medquad_files / "9_CDC_QA" / "0000397.xml")
    assert [p.id for p in pages] == ["CDC_0000397_Sec1", "CDC_0000397_Sec2", "CDC_0000397_Sec3"]
    assert pages[2].question == "How to diagnose Parasites - Taeniasis ?"
    assert pages[0].topic == "Parasites - Taeniasis"
    risk = pages[1].answers[0].text
    assert "Persons who don't eat raw" in risk  # &apos; decoded
    assert risk.count("\n\n") == 3 and risk.endswith("More on: Cysticercosis")


def test_document_without_pairs_is_rejected(medquad_files: pathlib.Path) -> None:
    path = medquad_files / "5_NIDDK_QA" / "0000175.xml"
    text, _ = decode_bytes(path.read_bytes())
    with pytest.raises(ParseError) as caught:
        parse_document(text, str(path))
    assert caught.value.reason == "MedQuAD document has no question-answer pairs"
    assert caught.value.origin == str(path)


def test_malformed_xml_is_rejected_naming_the_problem() -> None:
    xml = '<?xml version="1.0"?><Document id="1" source="GARD"><QAPairs><QAPair pid="1"><Question>Why?'
    with pytest.raises(ParseError) as caught:
        parse_medquad(xml, "2_GARD_QA/0000001.xml")
    assert caught.value.reason.startswith("malformed XML")


def test_xml_that_is_not_medquad_is_rejected() -> None:
    with pytest.raises(ParseError) as caught:
        parse_document('<?xml version="1.0"?><rss><channel><title>News</title></channel></rss>', "feed.xml")
    assert caught.value.reason == "XML that is not a MedQuAD document"


@pytest.mark.parametrize(
    ("source", "origin", "position", "expected"),
    [
        ("GARD", "medquad/2_GARD_QA/0004375.xml", 1, "GARD_0004375_Sec1"),
        ("MPlusHerbsSupplements", "0000076.xml", 2, "MPlusHerbsSuppls_0000076_Sec2"),
        ("CancerGov", "1_CancerGov_QA/0000007_3.xml", 4, "CancerGov_0000007_3_Sec4"),
    ],
)
def test_record_id_matches_the_judged_answer_ids(source: str, origin: str, position: int, expected: str) -> None:
    assert record_id(source, origin, position) == expected


def test_fill_puts_judged_answers_into_answerless_records_only(medquad_files: pathlib.Path) -> None:
    fill = AnswerFill.from_csv(str(medquad_files / "judged-answers.csv"))
    charcoal = parse_file(medquad_files / "12_MPlusHerbsSupplements_QA" / "0000001.xml")
    filled = [fill.apply(p) for p in charcoal]
    assert filled[0].answers[0].text == (
        "Common charcoal is made from peat, coal, wood, coconut shell, or petroleum. Activated charcoal "
        "is similar to common charcoal, but is made especially for use as a medicine. These pores help "
        "activated charcoal trap chemicals."
    )
    assert filled[0].content_hash != charcoal[0].content_hash
    assert filled[0].id == charcoal[0].id
    assert filled[1] == charcoal[1]  # no judged answer for Sec2

    [gard] = parse_file(medquad_files / "2_GARD_QA" / "0001095.xml")
    assert fill.apply(gard) is gard  # an answer the file has is never replaced


def test_fill_from_a_file_without_the_columns_says_so(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "answers.csv"
    bad.write_text("id,text\nGARD_0000001_Sec1,Something\n", encoding="utf-8")
    with pytest.raises(HealthQAError) as caught:
        AnswerFill.from_csv(str(bad))
    assert "cannot read judged answers" in str(caught.value)
