"""Fill the answers MedQuAD ships without, from the judged-answers CSV.

Three MedlinePlus subsets of MedQuAD carry questions without answers (removed for
copyright). ``medquad-judged-answers.csv`` holds the text of the answers that were
judged, each rendered as ``Question: ... URL: ... Answer: ...``; with
``healthqa ingest --fill-answers FILE`` those answers are put into the records that
lack them, so that evaluation runs over the corpus the judges saw.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import sys

from healthqa.ingest.errors import HealthQAError
from healthqa.ingest.normalise import clean_text
from healthqa.ingest.record import Answer, QAPage


class AnswerFill:
    """Answer texts by record id, applied to records that have no answer."""

    def __init__(self, answers: dict[str, str]):
        self.answers = answers

    @classmethod
    def from_csv(cls, path: str) -> "AnswerFill":
        """Read ``AnswerID,Answer`` rows; ids may end in ``.txt``."""
        csv.field_size_limit(sys.maxsize)
        answers: dict[str, str] = {}
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    answer_id = os.path.splitext(row["AnswerID"])[0]
                    text = clean_text(_answer_part(row["Answer"]))
                    if text:
                        answers[answer_id] = text
        except (OSError, KeyError, UnicodeDecodeError, csv.Error) as exc:
            raise HealthQAError(f"{path}: cannot read judged answers ({type(exc).__name__}: {exc})") from None
        return cls(answers)

    def apply(self, page: QAPage) -> QAPage:
        text = self.answers.get(page.id)
        if page.answers or text is None:
            return page
        return dataclasses.replace(page, answers=(Answer(text=text),), content_hash="")


def _answer_part(rendered: str) -> str:
    marker = rendered.find("Answer:")
    return rendered[marker + len("Answer:"):] if marker >= 0 else rendered
