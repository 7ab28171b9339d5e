"""Parser for plain-text renderings of Q&A pages, like the seed page.

The shape it reads (every part but the question is optional)::

    Back Pain                                  <- topic
    How can foot problems cause back pain?     <- question (then detail lines)
    A Answers (2)                              <- stated answer count
      • A , Physical Therapy, answered         <- answer header: name , role
        paragraphs...                          <- answer text (indented or not)
    This content reflects information ...      <- the site's disclaimer: no answer's
    Did You See?  Close                        <- related questions box
    What causes low back pain?
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from healthqa.ingest.errors import NotQAPage, ParseError
from healthqa.ingest.normalise import clean_line, clean_optional, clean_text, clean_unique
from healthqa.ingest.record import Answer, QAPage, derive_id

_ANSWERS_HEADER = re.compile(r"^(?:[A-Z]\s+)?(?:\d+\s+)?Answers?\s*(?:\((\d+)\))?\s*:?$", re.I)
_ANSWER_LINE = re.compile(r"^[•·●▪‣◦*-]\s*(?P<who>.*?),?\s*\banswered\b(?P<when>.*)$", re.I)
_RELATED_HEADER = re.compile(r"^(?:did you see\?|(?:related questions?|people also ask(?:ed)?|see also)\b)", re.I)
# Only phrases no expert answer uses: "consult your healthcare provider" ends many answers
# (and the disclaimer always holds one of these too), so it must not end the answers.
_DISCLAIMER = re.compile(
    r"(this content reflects information from|should not be used for medical advice|"
    r"not (?:intended|meant) (?:to be|as) (?:a substitute for )?(?:professional )?medical advice)",
    re.I,
)
# Credentials stay with the name: "Rachael Link, MS, RD" is one person, not a name and a role.
_CREDENTIAL = re.compile(
    r"^(?:[A-Z]{2,6}(?:-[A-Z]{1,4})?|Ph\.?D\.?|M\.?D\.?|D\.?O\.?|Jr\.?|Sr\.?|I{2,3}|M\.?Sc\.?|Pharm\.?D\.?|"
    r"MBBS|FACC|FACS|FRCP|DPT|CSCS|RDN|LDN|CDE|NP|PA-C)$"
)
_UI_WORDS = re.compile(r"\s*\bClose\s*$", re.I)


@dataclass
class _Draft:
    """An answer being assembled from its header line and the paragraphs after it."""

    author: str | None
    role: str | None
    date: str | None
    paragraphs: list[list[str]] = field(default_factory=list)

    def add(self, line: str, blank_before: bool) -> None:
        if blank_before or not self.paragraphs:
            self.paragraphs.append([])
        self.paragraphs[-1].append(line.strip())

    def answer(self) -> Answer:
        text = clean_text("\n\n".join(" ".join(p) for p in self.paragraphs))
        return Answer(text=text, author=self.author, role=self.role, date=self.date)


def split_author(who: str) -> tuple[str | None, str | None]:
    """Split an answer header's ``name , role`` into ``(name, role)``.

    A space before the comma marks the split, as the seed renders it; otherwise the
    first comma does, with credentials (MS, RD, PhD) kept on the name's side. A lone
    letter is the avatar left where a name was stripped, not a name.

    >>> split_author("A , Physical Therapy")
    (None, 'Physical Therapy')
    >>> split_author("Rachael Link, MS, RD, Nutrition")
    ('Rachael Link, MS, RD', 'Nutrition')
    """
    who = clean_line(who).strip(" ,")
    if " , " in who:
        name, _, role = who.partition(" , ")
    else:
        parts = [p.strip() for p in who.split(",")]
        cut = 1
        while cut < len(parts) and _CREDENTIAL.match(parts[cut]):
            cut += 1
        name, role = ", ".join(parts[:cut]), ", ".join(parts[cut:])
    name = name.strip(" ,")
    if len(name) <= 1:
        name = ""
    return clean_optional(name), clean_optional(role.strip(" ,"))


def parse_text(text: str, origin: str) -> list[QAPage]:
    """Parse one text rendering into a one-element list of :class:`QAPage`.

    >>> page = parse_text("Back Pain\\nWhy?\\nAnswers (1)\\n• A , Fitness, answered\\n  Walk.", "x.txt")[0]
    >>> (page.topic, page.question, page.answers[0].role, page.answers[0].text)
    ('Back Pain', 'Why?', 'Fitness', 'Walk.')
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header_at, stated = _find_answers_start(lines)
    if header_at is None:
        raise NotQAPage("not a Q&A page: no answers section and no 'answered' lines", origin)
    topic, question, detail = _head(lines[:header_at], origin)
    answers, related, disclaimer_seen = _body(lines[header_at:])
    warnings = []
    if stated is not None and stated != len(answers):
        warnings.append(f"page states {stated} answers but {len(answers)} were found")
    return [
        QAPage(
            id=derive_id(question, topic),
            source="text",
            format="text",
            question=question,
            detail=detail,
            topic=topic,
            answers=tuple(answers),
            related=clean_unique(related),
            origin=origin,
            warnings=tuple(warnings),
        )
    ]


def _find_answers_start(lines: list[str]) -> tuple[int | None, int | None]:
    """Index of the answers header (or first answer line) and the count it states."""
    for i, line in enumerate(lines):
        match = _ANSWERS_HEADER.match(line.strip())
        if match and (match.group(1) is not None or _next_is_answer(lines, i)):
            return i, int(match.group(1)) if match.group(1) is not None else None
        if _ANSWER_LINE.match(line.strip()):
            return i, None
    return None, None


def _next_is_answer(lines: list[str], i: int) -> bool:
    following = (line.strip() for line in lines[i + 1:])
    return bool(_ANSWER_LINE.match(next((line for line in following if line), "")))


def _head(lines: list[str], origin: str) -> tuple[str | None, str, str | None]:
    """Topic, question and detail from the lines before the answers."""
    # Blank after cleaning, not before: a line of control characters is no topic.
    numbered = [(i, line) for i, line in ((i, clean_line(raw)) for i, raw in enumerate(lines)) if line]
    kept = [line for _, line in numbered]
    if not kept:
        raise ParseError("no question found before the answers", origin)
    first_question = next((i for i, line in enumerate(kept) if line.endswith("?")), None)
    if first_question is None:
        # No question mark: a lone line is the question; two or more: topic, then question.
        first_question = 0 if len(kept) == 1 else 1
    topic = kept[first_question - 1] if first_question >= 1 else None
    # Detail keeps the page's paragraphs: lines run together, blank lines separate.
    after_question = numbered[first_question][0] + 1
    detail = clean_text("\n".join(lines[after_question:])) or None
    return topic, kept[first_question], detail


def _body(lines: list[str]) -> tuple[list[Answer], list[str], bool]:
    """Answers, related questions, and whether a disclaimer ended the answers."""
    drafts: list[_Draft] = []
    related: list[str] = []
    state, blank, indent = "answers", False, None
    disclaimer = False
    for raw in lines:
        line = raw.strip()
        if not line:
            blank = True
            continue
        if _RELATED_HEADER.match(line):
            state = "related"
            rest = _UI_WORDS.sub("", _RELATED_HEADER.sub("", line, count=1)).strip()
            related.extend([rest] if rest.endswith("?") else [])
        elif state == "related":
            related.append(_UI_WORDS.sub("", line))
        elif _ANSWER_LINE.match(line):
            drafts.append(_header(line))
            state, indent = "answers", None
        elif _ANSWERS_HEADER.match(line) or state == "footer":
            pass
        elif _DISCLAIMER.search(line) or (indent and drafts and not raw.startswith(indent)):
            state, disclaimer = "footer", True
        elif drafts:
            indent = indent if indent is not None else raw[: len(raw) - len(raw.lstrip())] or None
            drafts[-1].add(line, blank)
        blank = False
    # A paragraph of nothing but control characters or entities for them cleans to nothing.
    answers = [answer for answer in (d.answer() for d in drafts if d.paragraphs) if answer.text]
    return answers, related, disclaimer


def _header(line: str) -> _Draft:
    match = _ANSWER_LINE.match(line)
    assert match is not None  # callers test the line first
    author, role = split_author(match.group("who"))
    when = clean_optional(match.group("when").strip(" :,-"))
    return _Draft(author=author, role=role, date=when)
