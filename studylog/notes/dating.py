"""Which day a note is about: front-matter values, file names, date lines in the body.

Every function here is total: a value that is not a real calendar day (`2026-02-30`,
`0000-00-00`, a list, a 1 MB string) gives `None`, never an exception, so one odd note
can only fall through to the next dating rule. Timestamps that carry a zone (`…Z`,
`+09:00`) are converted to the *local* calendar day: a daily log is about the learner's
day, and velog/Jekyll exports write UTC. "Local" is the machine's zone unless a `tz` is
passed (tests pass one).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

YEARS = (1900, 2200)  # outside this a "date" is a placeholder or a typo, not a study day

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

# ISO-like: 2026-05-19, 2026/5/19, 2026.05.19, with an optional time and zone.
_ISO = re.compile(
    r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)"
    r"(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"(?:\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?"
)
_KOREAN = re.compile(r"(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_ENGLISH = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_ENGLISH_DMY = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")

# File names: `2024-04-18`, `2024_04_18`, `2024.04.18`, `2024 04 18`, Jekyll
# `2024-04-18-title`, `20240418`, `TIL20221018`.
_NAME_PATTERNS = [
    re.compile(r"(?<!\d)(\d{4})[-_. ](\d{1,2})[-_. ](\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
]
_PATH_PATTERN = re.compile(r"(?<!\d)(\d{4})[/\\](\d{1,2})[/\\-](\d{1,2})(?!\d)")
# Notion's export appends a 32-hex page id to every file and folder name; its digits are
# not a date (`Attention 20240418aa…` would otherwise read as one).
_NOTION_ID = re.compile(r"\s+[0-9a-f]{32}$", re.I)

# Labelled date lines in the body (`날짜: 2024-04-18`, `- **Date**: 2024.4.9`, Notion's
# `Created: April 18, 2024 3:12 PM` / `생성 일시: 2024년 4월 18일 오후 3:12`).
_DATE_LINE = re.compile(
    r"^\s*(?:[-*]\s*)?(?:\*\*)?(?:날짜|일자|작성일|작성 일시|생성 일시|생성일|Date|Created|Created time|Published)"
    r"(?:\*\*)?\s*[:：]\s*(.{6,60})$",
    re.I | re.M,
)
KOREAN_LINE_SCAN = 10  # a bare `2024년 8월 13일` dates the note only near its top


def valid_date(year: int | str, month: int | str, day: int | str) -> dt.date | None:
    """The calendar day, or None when it does not exist or lies outside `YEARS`."""
    try:
        date = dt.date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        return None
    return date if YEARS[0] <= date.year <= YEARS[1] else None


def _zone(text: str) -> dt.tzinfo:
    if text.upper() in ("Z", "UTC", "GMT"):
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def local_day(moment: dt.datetime, tz: dt.tzinfo | None = None) -> dt.date:
    """The calendar day of `moment` in `tz` (default: the machine's zone); naive stays as is."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(tz).date()


def parse_date_text(text: str, tz: dt.tzinfo | None = None) -> dt.date | None:
    """A day from free text: ISO (with time and zone), `2024년 8월 13일`, `April 18, 2024`."""
    text = text[:200]
    match = _ISO.search(text)
    if match:
        year, month, day, hour, minute, second, zone = match.groups()
        date = valid_date(year, month, day)
        if date is None:
            return None
        if hour is None or zone is None:
            return date
        try:
            moment = dt.datetime(date.year, date.month, date.day, int(hour), int(minute),
                                 int(second or 0), tzinfo=_zone(zone))
        except ValueError:
            return date
        return local_day(moment, tz)
    match = _KOREAN.search(text)
    if match:
        return valid_date(*match.groups())
    match = _COMPACT.match(text)
    if match:
        return valid_date(*match.groups())
    for pattern, order in ((_ENGLISH, (2, 0, 1)), (_ENGLISH_DMY, (2, 1, 0))):
        match = pattern.search(text)
        if match:
            parts = match.groups()
            month = _MONTHS.get(parts[order[1]].lower())
            if month:
                return valid_date(parts[order[0]], month, parts[order[2]])
    return None


def date_from_value(value: object, tz: dt.tzinfo | None = None) -> tuple[dt.date | None, str]:
    """A front-matter `date:` value as a day, and why not when it is None ("" when absent)."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, dt.datetime):
        return local_day(value, tz), ""
    if isinstance(value, dt.date):
        return (value, "") if YEARS[0] <= value.year <= YEARS[1] else (None, f"date {value} is out of range")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, f"date is a {type(value).__name__}, not a date"
    shown = str(value)
    date = parse_date_text(shown, tz)
    if date is None:
        shown = shown if len(shown) <= 40 else shown[:40] + "…"
        return None, f"date {shown!r} is not a real calendar day"
    return date, ""


def date_from_path(path: Path) -> dt.date | None:
    """Date in a file name or its folders.

    Shapes: `2024-04-18.md`, `2024_04_18`, `2024.04.18`, `2024 04 18 Webpack.md`, Jekyll
    `2024-04-18-title.md`, `20240418.md`, `TIL20221018.md`, `2024/04/18.md`,
    `til/2024/4/18.md`. A Notion page id (`Title 3f2a….md`) is ignored.
    """
    path = Path(path)
    stem = _NOTION_ID.sub("", path.stem)
    for pattern in _NAME_PATTERNS:
        for match in pattern.finditer(stem):
            date = valid_date(*match.groups())
            if date:
                return date
    parts = [_NOTION_ID.sub("", part) for part in path.with_suffix("").parts[-3:]]
    for match in _PATH_PATTERN.finditer("/".join(parts)):
        date = valid_date(*match.groups())
        if date:
            return date
    return None


def date_from_body(body: str, tz: dt.tzinfo | None = None) -> dt.date | None:
    """A labelled date line anywhere (`날짜: …`, `Date: …`, `Created: …`), else a bare
    Korean `2024년 8월 13일` within the first `KOREAN_LINE_SCAN` non-blank lines."""
    for match in _DATE_LINE.finditer(body[:200_000]):
        date = parse_date_text(match.group(1), tz)
        if date:
            return date
    lines = [line for line in body[:20_000].splitlines() if line.strip()][:KOREAN_LINE_SCAN]
    for line in lines:
        match = _KOREAN.search(line)
        if match:
            date = valid_date(*match.groups())
            if date:
                return date
    return None
