"""Import records from JSONL, as ``healthqa records export`` writes them (or another tool does).

Each line is one record, checked field by field before anything is stored: a bad line
gets one message naming its line and field and is skipped, the rest go on. A record
keeps its own id, origin and content hash, so export and import reproduce a store's
records exactly; a hash that does not match the record's content is refused. Importing
adds and updates records; it deletes none. An unchanged file is not read again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import MISSING, fields, replace
from typing import Any, Callable, Iterator

from healthqa.ingest.pipeline import Summary
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store

_BATCH_LINES = 1000
_MAX_SHOWN = 60  # characters of a bad value quoted in a message

Check = Callable[[Any], str | None]  # returns what is wrong with a value, or None


class BadRecord(ValueError):
    """A line that is not a valid record; the message names the field and what is wrong."""


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a string, not {_shown(value)}"
    return None if value.strip() else "must not be empty"


def _optional_text(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else f"must be a string or null, not {_shown(value)}"


def _optional_int(value: Any) -> str | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return None
    return f"must be an integer or null, not {_shown(value)}"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, not {_shown(value)}"


def _texts(value: Any) -> str | None:
    if not isinstance(value, list):
        return f"must be a list of strings, not {_shown(value)}"
    bad = next((i for i, item in enumerate(value) if not isinstance(item, str)), None)
    return None if bad is None else f"item {bad} must be a string, not {_shown(value[bad])}"


# Checks by the type a record's field is declared with; the fields are read from the record
# types themselves, so a field added to them is checked (or, of a type not listed, passed to
# them as it is) without a change here.
_BY_TYPE: dict[str, Check] = {
    "str": _text, "str | None": _optional_text, "int | None": _optional_int, "bool": _flag,
    "tuple[str, ...]": _texts,
}
_ANY: Check = lambda value: None  # noqa: E731


def _checks(record_type: type, **special: Check) -> tuple[dict[str, Check], tuple[str, ...]]:
    checks = {f.name: special.get(f.name) or _BY_TYPE.get(str(f.type), _ANY) for f in fields(record_type)}
    required = tuple(f.name for f in fields(record_type) if f.default is MISSING and f.default_factory is MISSING)
    return checks, required


_ANSWER_FIELDS, _ANSWER_REQUIRED = _checks(Answer)
# The answers are checked one by one below; a content hash may be left out, to be computed.
_PAGE_FIELDS, _REQUIRED = _checks(QAPage, answers=_ANY, content_hash=_optional_text)
_LISTS = tuple(name for name, check in _PAGE_FIELDS.items() if check is _texts)


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."


def _check_fields(data: Any, checks: dict[str, Check], required: tuple[str, ...], where: str) -> None:
    if not isinstance(data, dict):
        raise BadRecord(f"{where or 'the line'} must be a JSON object, not {_shown(data)}")
    for name in required:
        if name not in data:
            raise BadRecord(f"field '{where}{name}' is missing")
    for name, value in data.items():
        check = checks.get(name)
        if check is None:
            raise BadRecord(f"unknown field '{where}{name}'")
        problem = check(value)
        if problem:
            raise BadRecord(f"field '{where}{name}' {problem}")


def record_from(data: Any) -> QAPage:
    """A :class:`QAPage` from one parsed JSONL line; raises :class:`BadRecord` saying what is wrong.

    >>> record_from({"id": "x", "source": "s", "format": "text", "question": "Why?", "origin": "x.txt"}).id
    'x'
    """
    _check_fields(data, _PAGE_FIELDS, _REQUIRED, "")
    answers = data.get("answers", [])
    if not isinstance(answers, list):
        raise BadRecord(f"field 'answers' must be a list, not {_shown(answers)}")
    for n, answer in enumerate(answers):
        _check_fields(answer, _ANSWER_FIELDS, _ANSWER_REQUIRED, f"answers[{n}].")
    values = {k: v for k, v in data.items() if k != "answers"}
    for name in _LISTS:
        values[name] = tuple(values.get(name, ()))
    values["content_hash"] = values.get("content_hash") or ""
    page = QAPage(**values, answers=tuple(Answer(**a) for a in answers))
    expected = replace(page, content_hash="").content_hash
    if page.content_hash != expected:
        raise BadRecord(f"field 'content_hash' {page.content_hash!r} does not match the record's content "
                        "(drop it to have it computed)")
    return page


def looks_like_records(path: str) -> bool:
    """Whether the first line of ``path`` is a JSON object with the fields of a record."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(64 * 1024 * 1024)
        data = json.loads(first)
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and {"id", "question"} <= data.keys()


def read_records(path: str, max_line: int) -> Iterator[tuple[int, QAPage | str]]:
    """Each non-blank line of ``path``: ``(line number, record)`` or ``(line number, what is wrong)``."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            if len(raw) > max_line:
                yield number, f"line too long ({len(raw):,} bytes; the limit is {max_line:,})"
                continue
            try:
                yield number, record_from(json.loads(raw.decode("utf-8")))
            except UnicodeDecodeError as exc:
                yield number, f"not UTF-8 (bad byte at column {exc.start + 1})"
            except json.JSONDecodeError as exc:
                yield number, f"not JSON ({exc.msg} at column {exc.colno})"
            except BadRecord as exc:
                yield number, str(exc)
            except (TypeError, ValueError, RecursionError) as exc:  # what the record types refuse
                yield number, f"not a valid record ({type(exc).__name__}: {str(exc)[:200]})"


def _file_hash(path: str) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def import_records(path: str, store: Store, summary: Summary, max_line: int) -> None:
    """Import the records of the JSONL file ``path`` into ``store``; each bad line is a rejection."""
    summary.files += 1
    try:
        file_hash = _file_hash(path)
        state = store.file_state(path)
        if state and state.file_hash == file_hash:
            summary.files_unchanged += 1
            summary.unchanged += state.records
            if state.status == "rejected":
                summary.rejected.append((path, state.reason or "rejected"))
            return
        good, bad = _import_lines(path, store, summary, max_line)
    except OSError as exc:
        summary.rejected.append((path, f"cannot read: {exc.strerror or exc}"))
        return
    summary.notes.append((path, f"{good} records imported, {len(bad)} bad lines"))
    summary.rejected.extend((path, why) for why in bad)
    status = "rejected" if bad else "ok"
    reason = f"{len(bad)} bad lines, the first: {bad[0]}" if bad else None
    with store.transaction():
        store.remember_file(path, file_hash, status, reason, format="records", records=good)


def _import_lines(path: str, store: Store, summary: Summary, max_line: int) -> tuple[int, list[str]]:
    """Store the good lines in batches (an interrupted import keeps whole batches); return the
    count of records stored and the messages of the bad lines."""
    good, bad = 0, []
    lines = read_records(path, max_line)
    while batch := list(itertools.islice(lines, _BATCH_LINES)):
        with store.transaction():
            for number, result in batch:
                summary.pages += 1
                if isinstance(result, str):
                    bad.append(f"line {number}: {result}")
                    continue
                summary.count(store.put(result).kind)
                good += 1
    return good, bad
