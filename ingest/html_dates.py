"""Dates as forums show them, read into ISO 8601 when they say a calendar day.

``"Apr 17, 2019"``, ``"10. April 2020, 09:06"``, ``"29/07/2004, 19h46"``, ``"Sun Dec 15,
2019 4:58 pm"``, ``"2011-12-03T17:27:18-05:00"`` are read; relative dates ("2 hours ago",
"vor 3 Tagen") and dates with no year are not: the page's crawl date is unknown, so no
calendar day can be given for them. Shown dates are always kept as shown, beside this.
"""

from __future__ import annotations

import re
from datetime import date, datetime

# Month names and abbreviations in the languages forums are written in (en, de, fr, es).
_MONTHS = {
    1: "january jan januar janv janvier enero ene jänner",
    2: "february feb februar fév fev février fevrier febrero",
    3: "march mar märz maerz mrz mars marzo",
    4: "april apr avr avril abril abr",
    5: "may mai mayo",
    6: "june jun juni juin junio",
    7: "july jul juli juil juillet julio",
    8: "august aug août aout agosto ago",
    9: "september sep sept septembre septiembre",
    10: "october oct okt oktober octobre octubre",
    11: "november nov novembre noviembre",
    12: "december dec dez dezember déc dec décembre decembre diciembre dic",
}
_MONTH = {name: number for number, names in _MONTHS.items() for name in names.split()}
_MONTH_WORD = r"([a-zäéû]{3,10})\.?"
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?")
_NUMERIC = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})\2(\d{2,4})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|er)?\.?\s+" + _MONTH_WORD + r",?\s+(\d{4})\b", re.I)
_MONTH_DAY_YEAR = re.compile(r"\b" + _MONTH_WORD + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I)
_TIME = re.compile(r"\b(\d{1,2})[:h](\d{2})(?::\d{2})?\s*([ap]\.?m\.?)?(?![\w:])", re.I)


def iso_date(shown: str | None) -> str | None:
    """``YYYY-MM-DD`` (with ``THH:MM`` when a time is shown) for a shown date, or ``None``.

    >>> iso_date("Sun Dec 15, 2019 4:58 pm"), iso_date("10. April 2020"), iso_date("2 hours ago")
    ('2019-12-15T16:58', '2020-04-10', None)
    """
    if not shown or len(shown) > 200:
        return None
    day = _day(shown)
    if day is None:
        return None
    clock = _clock(shown)
    return day.isoformat() + (f"T{clock}" if clock else "")


def _day(text: str) -> date | None:
    match = _ISO.search(text)
    if match:
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _DAY_MONTH_YEAR.search(text)
    if match and match.group(2).lower() in _MONTH:
        return _make(int(match.group(3)), _MONTH[match.group(2).lower()], int(match.group(1)))
    match = _MONTH_DAY_YEAR.search(text)
    if match and match.group(1).lower() in _MONTH:
        return _make(int(match.group(3)), _MONTH[match.group(1).lower()], int(match.group(2)))
    match = _NUMERIC.search(text)
    if match:
        first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        year += 2000 if year < 70 else 1900 if year < 100 else 0
        # Dots are day-first everywhere; with slashes or dashes a first number over 12 is a day.
        if match.group(2) == "." or first > 12:
            return _make(year, second, first)
        return _make(year, first, second)
    return None


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _clock(text: str) -> str | None:
    match = _TIME.search(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    suffix = (match.group(3) or "").lower().replace(".", "")
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return datetime(2000, 1, 1, hour, minute).strftime("%H:%M")
