"""Turn the dates a search question mentions into date ranges.

Notes are one Markdown file per day, so "10월 둘째 주에 배운 attention" is best answered by
filtering to those days and retrieving on the rest of the question: `parse_date_scope`
finds the date phrase and `strip_date_phrase` removes it from the retrieval text.

Which library does what: none. `dateparser` 1.5.0 (tried with languages=["ko", "en"]) finds
points, not spans: it reads "10월 13일부터 15일까지" as "10월" = the 29th of October, drops
"둘째 주", "지지난주" and "2026-10-18에", and takes the score "7/10" for July 10th;
`datefinder` is English only and splits "A to B" (its issue #94). Korean week-of-month
(주차), ranges and two-date questions are therefore this module's own small grammar, in two
steps:

1. **Atoms.** Regular expressions find single date phrases: a day, a week of a month, a
   month, a year, a relative period ("지난주", "최근 7일"), and pieces that only count next
   to another phrase: a bare day ("15일"), a week ordinal ("첫째 주", "first week of") and a
   part of a month ("초", "말", "early", "end of").
2. **Phrases.** Neighbouring atoms combine: a year anchor sets a month's year ("작년 10월",
   "올해 3월 둘째 주", "October last year"), a month takes a week, a day or a part ("지난달
   첫째 주", "지난달 15일", "10월 말"); then two phrases joined by 부터/에서/~/–/to/until or
   "from … to", "between … and", "… 사이" make a range, and phrases joined by 이랑/랑/하고/과/
   와/및/,/and/or make a list of dates. A second phrase missing its month or year takes them
   from the first ("10월 13일부터 15일까지", "Oct 13 to 15"). A lone "A부터"/"since A" runs
   from A to today.

Rules:

* The first date phrase wins: the one that starts earliest, and at the same position the
  longest ("10월 14일" over "10월", "last week of Oct" over "last week"). A range or a list
  is one phrase.
* A date without a year is the most recent one that has begun by `today`: on 2026-11-28
  "10월 14일" is 2026-10-14 and "12월 3일" is 2025-12-03; months and weeks likewise.
  "last October" is the most recent October before this month, "this October" this year's,
  "next October" the first one after this month.
* Week N of a month follows the Korean 주차 convention (KS X ISO 8601): weeks run Monday to
  Sunday and belong to the month that holds their Thursday, so week 1 is the week of the
  month's first Thursday and may begin in the previous month (11월 첫째 주 of 2026 is
  11-02..11-08, since 11-01 is a Sunday). The last week is the one of the last Thursday. A
  week whose Thursday falls after the month is no week, so "2월 다섯째 주" in a four-week
  February falls back to the month.
* "이번 주"/"last week" are whole Monday–Sunday weeks ("지지난주", "the week before last",
  "2주 전", "two weeks ago" the one before that) and "this month" a whole calendar month;
  "최근 N일"/"last N days" are N days ending today, today included.
* A part of a month follows the Korean 초순/중순/하순: "초"/"early" is days 1–10,
  "중순"/"mid" 11–20, "말"/"late"/"end of" 21 to the month's end.
* Numbers alone are never dates. `M/D` counts only after 날짜, date or on ("date: 10/14"),
  so "quiz 7/10" stays a score; four-digit years must be 19xx or 20xx, so an arXiv id
  like 1706.03762 stays text.
* A Korean phrase must end where the Hangul ends or at a particle (에, 는, 까지의 ...), so
  "이번 주제" is not "이번 주" and "오늘날" is not "오늘".
* A month name standing alone must be a full name or a capitalised abbreviation ("Oct",
  not "oct" or "SEP"), and "May" must be capitalised, so "[SEP] token" and "this may
  help" stay text.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

_Span = tuple[dt.date, dt.date]

_LAST = -1  # the ordinal of "마지막 주" / "last week of"
_LOOKBACK_YEARS = 5  # enough to reach a 29 February
_LEAP_YEAR = 2024  # checks a year-less day: "2월 29일" exists


@dataclass(frozen=True)
class DateScope:
    """Days from `start` to `end`, both inclusive; `start > end` means empty (see `intersect`).

    A list of dates ("13일이랑 15일") keeps its separate spans in `ranges`, sorted and
    disjoint; `start`/`end` are then their hull. An empty `ranges` means the one span.
    """

    start: dt.date
    end: dt.date
    matched: str  # the query text that produced it; "" when it came from options
    label: str
    ranges: tuple[_Span, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.start > self.end

    @property
    def spans(self) -> tuple[_Span, ...]:
        """The spans to filter on: `ranges`, or the one span `start`..`end`."""
        return self.ranges or ((self.start, self.end),)

    @property
    def int_ranges(self) -> list[tuple[int, int]]:
        """`spans` as YYYYMMDD pairs, comparable with the chunks' integer `date` metadata."""
        return [(_as_int(s), _as_int(e)) for s, e in self.spans]

    @property
    def start_int(self) -> int:
        """YYYYMMDD, comparable with the chunks' integer `date` metadata."""
        return _as_int(self.start)

    @property
    def end_int(self) -> int:
        return _as_int(self.end)

    def contains(self, d: dt.date) -> bool:
        return any(s <= d <= e for s, e in self.spans)


def _as_int(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _label(start: dt.date, end: dt.date) -> str:
    if start > end:
        return "no dates"
    if start == end:
        return start.isoformat()
    if start == dt.date.min:
        return f"… – {end}"
    if end == dt.date.max:
        return f"{start} – …"
    if start.day == 1 and end == _month_span(start.year, start.month)[1]:
        return f"{start:%Y-%m}"
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{start} – {end}"


def _scope(spans: list[_Span], matched: str) -> DateScope:
    """One scope over `spans` (merged where they touch); no spans is the empty scope."""
    merged: list[_Span] = []
    for s, e in sorted(sp for sp in spans if sp[0] <= sp[1]):
        if merged and s <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    if not merged:
        return DateScope(start=dt.date.max, end=dt.date.min, matched=matched, label="no dates")
    start, end = merged[0][0], merged[-1][1]
    if len(merged) == 1:
        return DateScope(start=start, end=end, matched=matched, label=_label(start, end))
    label = ", ".join(_label(s, e) for s, e in merged)
    return DateScope(start=start, end=end, matched=matched, label=label, ranges=tuple(merged))


# --- calendar spans ------------------------------------------------------------------


def _day_span(year: int, month: int, day: int) -> _Span | None:
    try:
        d = dt.date(year, month, day)
    except ValueError:
        return None
    return d, d


def _month_span(year: int, month: int) -> _Span:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _week_span(year: int, month: int, n: int) -> _Span | None:
    """Week `n` (1-based, or `_LAST`) of a month: Monday–Sunday weeks owned by their Thursday."""
    first, last = _month_span(year, month)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    if n == _LAST:
        thursday = last - dt.timedelta(days=(last.weekday() - 3) % 7)
    else:
        thursday = first_thursday + dt.timedelta(weeks=n - 1)
    if thursday > last:
        return None
    monday = thursday - dt.timedelta(days=3)
    return monday, monday + dt.timedelta(days=6)


_PART_DAYS = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}  # 초순/중순/하순


def _part_span(year: int, month: int, part: str) -> _Span:
    first, last = _month_span(year, month)
    lo, hi = _PART_DAYS[part]
    return first.replace(day=lo), last.replace(day=min(hi, last.day))


def _week_of(d: dt.date) -> _Span:
    monday = d - dt.timedelta(days=d.weekday())
    return monday, monday + dt.timedelta(days=6)


def _shift_month(year: int, month: int, offset: int) -> tuple[int, int]:
    year, month0 = divmod(year * 12 + month - 1 + offset, 12)
    return year, month0 + 1


def _latest(build: Callable[[int], _Span | None], year: int | None, today: dt.date) -> _Span | None:
    """`build(year)`, or without a year the latest year whose span has begun by `today`."""
    if year is not None:
        return build(year)
    for y in range(today.year, today.year - _LOOKBACK_YEARS, -1):
        span = build(y)
        if span is not None and span[0] <= today:
            return span
    return None


# --- atoms: one date phrase each, resolved to a span once its neighbours are known ------


@dataclass(frozen=True)
class _Atom:
    """A date phrase at `start`..`end` of the query.

    `kind` is "day", "week", "month" or "year" (calendar fields, `year` None when unsaid),
    "span" (already concrete: 오늘, 지난주, 최근 7일), or a piece that is no date alone:
    "dayonly" (15일), "ordinal" (첫째 주) and "part" (초, end of).
    """

    start: int
    end: int
    kind: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    week: int | None = None
    part: str | None = None
    span: _Span | None = None

    @property
    def complete(self) -> bool:
        return self.kind not in ("dayonly", "ordinal", "part")


_Builder = Callable[[re.Match[str], dt.date], "_Atom | None"]


def _atom(m: re.Match[str], kind: str, **fields) -> _Atom:
    return _Atom(m.start(), m.end(), kind, **fields)


def _resolve(atom: _Atom, today: dt.date) -> _Span | None:
    """The days an atom names (None for a piece that is no date alone)."""
    month, year = atom.month, atom.year
    if atom.span is not None:
        return atom.span
    if atom.kind == "day":
        return _latest(lambda y: _day_span(y, month, atom.day), year, today)
    if atom.kind == "week":
        week = _latest(lambda y: _week_span(y, month, atom.week), year, today)
        if week is not None or year is None:
            return week
        return _month_span(year, month)  # "작년 2월 다섯째 주" with no such week: the month
    if atom.kind == "month":
        if atom.part:
            return _latest(lambda y: _part_span(y, month, atom.part), year, today)
        return _latest(lambda y: _month_span(y, month), year, today)
    if atom.kind == "year":
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return None


# --- builders: a regex match (and today) -> an atom, or None when it is no real date ------

# Spelled out: calendar.month_abbr follows the locale.
_MONTHS = {name: i for i, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_ORDINALS = {
    "첫": 1, "둘": 2, "두": 2, "셋": 3, "세": 3, "넷": 4, "네": 4, "다섯": 5, "마지막": _LAST,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": _LAST,
    "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5,
}
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5,
}
_DAYS_BACK = {
    "오늘": 0, "어제": 1, "그제": 2, "그저께": 2,
    "today": 0, "yesterday": 1, "daybeforeyesterday": 2,
}
_PERIODS = {  # phrase without spaces -> (unit, offset from the current one)
    "이번주": ("week", 0), "지난주": ("week", -1), "저번주": ("week", -1),
    "지지난주": ("week", -2), "저저번주": ("week", -2), "다음주": ("week", 1),
    "이번달": ("month", 0), "지난달": ("month", -1), "저번달": ("month", -1),
    "지지난달": ("month", -2), "저저번달": ("month", -2), "다음달": ("month", 1),
    "올해": ("year", 0), "금년": ("year", 0), "작년": ("year", -1), "지난해": ("year", -1),
    "재작년": ("year", -2), "내년": ("year", 1),
    "thisweek": ("week", 0), "lastweek": ("week", -1), "nextweek": ("week", 1),
    "weekbeforelast": ("week", -2),
    "thismonth": ("month", 0), "lastmonth": ("month", -1), "nextmonth": ("month", 1),
    "monthbeforelast": ("month", -2),
    "thisyear": ("year", 0), "lastyear": ("year", -1), "nextyear": ("year", 1),
    "yearbeforelast": ("year", -2),
}
_PARTS = {
    "초": "early", "초순": "early", "상순": "early", "중순": "mid", "하순": "late", "말": "late",
    "말경": "late", "early": "early", "beginningof": "early", "startof": "early", "mid": "mid",
    "middleof": "mid", "late": "late", "endof": "late",
}
_UNIT_DAYS = {"일": 1, "day": 1, "주": 7, "week": 7}


def _key(text: str) -> str:
    return "".join(text.split()).lower()


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text.lower()]


def _year(m: re.Match[str]) -> int | None:
    year = m.groupdict().get("y")
    return int(year) if year else None


def _month(m: re.Match[str]) -> int | None:
    name = m.groupdict().get("mon")
    month = _MONTHS[name[:3].lower()] if name else int(m["m"])
    return month if 1 <= month <= 12 else None


def _week_ordinal(m: re.Match[str]) -> int | None:
    ordinal = m["ord"]
    if _key(m.groupdict().get("suffix") or "") == "주" and ordinal not in ("첫", "마지막"):
        return None  # "10월 3주 동안" is three weeks, not the third week
    return int(ordinal) if ordinal.isdigit() else _ORDINALS[ordinal.lower()]


def _on_day(m: re.Match[str], today: dt.date) -> _Atom | None:
    month, day, year = _month(m), int(m["d"]), _year(m)
    if month is None or _day_span(year or _LEAP_YEAR, month, day) is None:
        return None
    return _atom(m, "day", year=year, month=month, day=day)


def _in_month(m: re.Match[str], today: dt.date) -> _Atom | None:
    month = _month(m)
    return None if month is None else _atom(m, "month", year=_year(m), month=month)


def _in_week_of_month(m: re.Match[str], today: dt.date) -> _Atom | None:
    month, n, year = _month(m), _week_ordinal(m), _year(m)
    if month is None or n is None:
        return None
    if year is not None and _week_span(year, month, n) is None:
        return None  # no such week: the month alone matches instead
    return _atom(m, "week", year=year, month=month, week=n)


def _in_year(m: re.Match[str], today: dt.date) -> _Atom | None:
    return _atom(m, "year", year=int(m["y"]))


def _relative_day(m: re.Match[str], today: dt.date) -> _Atom | None:
    d = today - dt.timedelta(days=_DAYS_BACK[_key(m["word"])])
    return _atom(m, "span", span=(d, d))


def _relative_period(m: re.Match[str], today: dt.date) -> _Atom | None:
    unit, offset = _PERIODS[_key(m["period"])]
    if unit == "week":
        return _atom(m, "span", span=_week_of(today + dt.timedelta(weeks=offset)))
    if unit == "month":
        year, month = _shift_month(today.year, today.month, offset)
        return _atom(m, "month", year=year, month=month)
    return _atom(m, "year", year=today.year + offset)


def _relative_month_name(m: re.Match[str], today: dt.date) -> _Atom | None:
    """last/this/next October: the one before this month, this year's, the one after."""
    month, which = _month(m), m["rel"].lower()
    year = today.year
    if which == "last" and month >= today.month:
        year -= 1
    elif which == "next" and month <= today.month:
        year += 1
    return _atom(m, "month", year=year, month=month)


def _days_ago(m: re.Match[str], today: dt.date) -> _Atom | None:
    d = today - dt.timedelta(days=_number(m["n"]))
    return _atom(m, "span", span=(d, d))


def _weeks_ago(m: re.Match[str], today: dt.date) -> _Atom | None:
    return _atom(m, "span", span=_week_of(today - dt.timedelta(weeks=_number(m["n"]))))


def _recent(m: re.Match[str], today: dt.date) -> _Atom | None:
    days = int(m["n"]) * _UNIT_DAYS[m["unit"].lower().rstrip("s")]
    if days < 1:
        return None
    return _atom(m, "span", span=(today - dt.timedelta(days=days - 1), today))


def _days_of_month(m: re.Match[str], today: dt.date) -> _Atom | None:
    """"10월 13~15일", "Oct 13-15": one month, two days."""
    month, first, last = _month(m), int(m["d"]), int(m["d2"])
    if month is None or first > last:
        return None

    def build(y: int) -> _Span | None:
        a, b = _day_span(y, month, first), _day_span(y, month, last)
        return None if a is None or b is None else (a[0], b[0])

    span = _latest(build, _year(m), today)
    return None if span is None else _atom(m, "span", span=span)


def _bare_day(m: re.Match[str], today: dt.date) -> _Atom | None:
    day = int(m["d"])
    return _atom(m, "dayonly", day=day) if 1 <= day <= 31 else None


def _ordinal_week(m: re.Match[str], today: dt.date) -> _Atom | None:
    n = _week_ordinal(m)
    return None if n is None else _atom(m, "ordinal", week=n)


def _part_of_month(m: re.Match[str], today: dt.date) -> _Atom | None:
    month = _month(m)
    return None if month is None else _atom(m, "month", year=_year(m), month=month, part=_PARTS[_key(m["part"])])


def _month_part(m: re.Match[str], today: dt.date) -> _Atom | None:
    return _atom(m, "part", part=_PARTS[_key(m["part"])])


# --- patterns ----------------------------------------------------------------------------

_START = r"(?<![\w.\-/])"  # not glued to a word, a number, a version or a path
_NUM_END = r"(?!\d|[.\-/]\d)"
_EN_END = r"(?![A-Za-z0-9])"  # Hangul may follow: "October에"
_PARTICLE = r"(?:에서|에|부터|까지|동안|으로|로|의|은|는|이랑|이|랑|하고|과|와|도|만|엔|중|간|쯤|경|께|자)"
_KO_END = rf"(?=(?:{_PARTICLE}){{0,2}}(?![가-힣]))"
_YEAR = r"(?P<y>(?:19|20)\d{2})"
_KO_YEAR = rf"(?:{_YEAR}\s*년\s*)?"
_EN_PRE = rf"{_START}(?:(?i:in|on|during|over|from|between|since)\s+)?(?:(?i:the)\s+)?"
_EN_YEAR = rf"(?:,?\s+{_YEAR}{_EN_END})?"
_MONTH_ANY = (
    r"(?P<mon>(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?))"
)
_MONTH_STRICT = (
    r"(?P<mon>(?i:january|february|march|april|june|july|august|september|october|november"
    r"|december)|May|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)"
)
_KO_ORDINAL = (
    r"(?P<ord>첫|둘|두|셋|세|넷|네|다섯|마지막|[1-6])\s*"
    r"(?P<suffix>(?:번\s*)?째\s*주(?:\s*차)?|주(?:\s*차)?)"
)
_KO_PART = r"초순|상순|중순|하순|말경|초|말"  # glued to 월/달 too: "10월말"
_EN_ORDINAL = r"(?P<ord>(?i:first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th))"
_EN_NUMBER = r"(?P<n>\d{1,4}|(?i:an?|one|two|three|four|five|six|seven|eight|nine|ten))"
_EN_MONTH_AHEAD = rf"(?=(?:(?i:the)\s+)?(?:{_MONTH_ANY.replace('?P<mon>', '')}|(?i:last|this|next)\s+(?i:month)))"


class _Rule(NamedTuple):
    pattern: re.Pattern[str]
    build: _Builder


def _rule(regex: str, build: _Builder) -> _Rule:
    return _Rule(re.compile(regex), build)


_RULES: tuple[_Rule, ...] = (
    _rule(rf"{_START}{_YEAR}(?P<sep>[-/])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}}){_NUM_END}",
          _on_day),  # 2026-10-14, 2026/10/14
    _rule(rf"{_START}{_YEAR}\.\s?(?P<m>\d{{1,2}})\.\s?(?P<d>\d{{1,2}}){_NUM_END}(?:\.(?!\w))?",
          _on_day),  # 2026.10.14 and the Korean 2026. 10. 14.
    _rule(rf"{_START}{_YEAR}-(?P<m>\d{{1,2}}){_NUM_END}", _in_month),  # 2026-10
    # date: 10/14, 날짜 10/14/2026, on 10/14
    _rule(rf"{_START}(?i:날짜|date|on)\s*:?\s*(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})(?:/{_YEAR})?{_NUM_END}",
          _on_day),
    # 2026년 10월 14일, 10월 14일
    _rule(rf"{_START}{_KO_YEAR}(?P<m>\d{{1,2}})\s*월\s*(?P<d>\d{{1,2}})\s*일{_KO_END}", _on_day),
    # 10월 13~15일, 10월 13일~15일
    _rule(rf"{_START}{_KO_YEAR}(?P<m>\d{{1,2}})\s*월\s*(?P<d>\d{{1,2}})\s*일?\s*[~～〜\-–—]\s*"
          rf"(?P<d2>\d{{1,2}})\s*일{_KO_END}", _days_of_month),
    # 10월 둘째 주, 10월 2주차, 10월 두 번째 주, 10월 마지막 주
    _rule(rf"{_START}{_KO_YEAR}(?P<m>\d{{1,2}})\s*월\s*{_KO_ORDINAL}{_KO_END}", _in_week_of_month),
    # 2026년 10월, 10월, 10월달 (never 10월 14...)
    _rule(rf"{_START}{_KO_YEAR}(?P<m>\d{{1,2}})\s*월(?:\s?달)?(?!\s*\d)(?:{_KO_END}|(?={_KO_PART}))", _in_month),
    _rule(rf"{_START}{_YEAR}\s*년{_KO_END}", _in_year),
    _rule(rf"{_START}(?P<word>오늘|어제|그저께|그제){_KO_END}", _relative_day),
    _rule(rf"{_START}(?P<period>(?:이번|지지난|지난|저저번|저번|다음)\s*(?:주|달)|올해|금년|재작년|작년"
          rf"|지난\s*해|내년){_KO_END}", _relative_period),
    _rule(rf"{_START}(?P<n>\d{{1,4}})\s*일\s*전{_KO_END}", _days_ago),
    _rule(rf"{_START}(?P<n>\d{{1,2}}|한|두|세|네|다섯)\s*주\s*전{_KO_END}", _weeks_ago),
    _rule(rf"{_START}최근\s*(?P<n>\d{{1,4}})\s*(?P<unit>일){_KO_END}", _recent),
    _rule(rf"{_START}(?:최근|지난)\s*(?P<n>\d{{1,3}})\s*(?P<unit>주)(?:일)?{_KO_END}", _recent),
    # pieces: 15일 (after 10월 13일부터), 첫째 주 (after 지난달), 초/중순/말 (after 10월)
    _rule(rf"{_START}(?P<d>\d{{1,2}})\s*일{_KO_END}", _bare_day),
    _rule(rf"{_START}{_KO_ORDINAL}{_KO_END}", _ordinal_week),
    _rule(rf"(?:(?<=[월달])|{_START})(?P<part>{_KO_PART}){_KO_END}", _month_part),
    # Oct 13-15, October 13 to 15
    _rule(rf"{_EN_PRE}{_MONTH_ANY}\.?\s+(?P<d>\d{{1,2}})(?i:st|nd|rd|th)?\s*(?:[~\-–—]|\s(?i:to|through|until)\s)"
          rf"\s*(?P<d2>\d{{1,2}})(?i:st|nd|rd|th)?{_EN_END}{_EN_YEAR}", _days_of_month),
    # Oct 14, October 14th, Oct. 14, 2026
    _rule(rf"{_EN_PRE}{_MONTH_ANY}\.?\s+(?P<d>\d{{1,2}})(?i:st|nd|rd|th)?{_EN_END}{_EN_YEAR}",
          _on_day),
    # 14 Oct, 14th of October 2026
    _rule(rf"{_EN_PRE}(?P<d>\d{{1,2}})(?i:st|nd|rd|th)?\s+(?:(?i:of)\s+)?{_MONTH_STRICT}{_EN_END}"
          rf"{_EN_YEAR}", _on_day),
    _rule(rf"{_EN_PRE}{_MONTH_ANY}\.?,?\s+{_YEAR}{_EN_END}", _in_month),  # October 2026
    _rule(rf"{_EN_PRE}{_MONTH_STRICT}{_EN_END}(?!\.?\s*\d)", _in_month),  # in October, Oct
    _rule(rf"{_EN_PRE}(?P<rel>(?i:last|this|next))\s+{_MONTH_STRICT}{_EN_END}(?!\.?\s*\d)",
          _relative_month_name),  # last October
    # the second week of October (2026)
    _rule(rf"{_EN_PRE}{_EN_ORDINAL}\s+(?i:week)\s+(?i:of|in)\s+{_MONTH_ANY}{_EN_END}{_EN_YEAR}",
          _in_week_of_month),
    # pieces: the first week of (last month), early / the end of (October)
    _rule(rf"{_EN_PRE}{_EN_ORDINAL}\s+(?i:week)\s+(?i:of|in)\s+{_EN_MONTH_AHEAD}", _ordinal_week),
    _rule(rf"{_EN_PRE}(?P<part>(?i:early|mid|late|(?:beginning|start|middle|end)\s+of))\s+"
          rf"{_EN_MONTH_AHEAD}", _month_part),
    _rule(rf"{_EN_PRE}(?P<part>(?i:mid))-{_MONTH_ANY}{_EN_END}{_EN_YEAR}", _part_of_month),  # mid-October
    _rule(rf"{_EN_PRE}(?P<word>(?i:today|yesterday|day\s+before\s+yesterday)){_EN_END}",
          _relative_day),
    _rule(rf"{_EN_PRE}(?P<period>(?i:this|last|next)\s+(?i:week|month|year)"
          rf"|(?i:week|month|year)\s+(?i:before\s+last)){_EN_END}", _relative_period),
    _rule(rf"{_EN_PRE}{_EN_NUMBER}\s+(?i:days?)\s+(?i:ago){_EN_END}", _days_ago),
    _rule(rf"{_EN_PRE}{_EN_NUMBER}\s+(?i:weeks?)\s+(?i:ago){_EN_END}", _weeks_ago),
    _rule(rf"{_EN_PRE}(?i:last|past)\s+(?P<n>\d{{1,4}})\s+(?P<unit>(?i:days?|weeks?)){_EN_END}",
          _recent),
)


# --- the grammar: atoms -> phrases (modifiers), then ranges and lists ---------------------

_MODIFIER_GAP = re.compile(r"\s*(?:(?i:of|in)\s+|의\s*)?")
_RANGE_GAP = re.compile(r"\s*(?:(?:부터|에서)\s*[~～〜\-–—]?|[~～〜\-–—]|(?i:to|until|till|through|thru)\s)\s*")
_LIST_GAP = re.compile(r"\s*(?:이랑|랑|하고|과|와|및|,\s*(?:(?i:and|or)\s)?|(?i:and|or)\s|&)\s*")
_BETWEEN_AND = re.compile(r"\s*(?:(?i:and)\s|과|와|하고|이랑|랑)\s*")
_BETWEEN = re.compile(r"(?i:between)\s")
_SINCE = re.compile(r"(?i:since|from)\s")
_AFTER_RANGE = re.compile(r"\s*(?:까지)?\s*사이")  # "13일과 15일 사이"
_OPEN_START = re.compile(r"부터(?!\s*[~～〜\-–—])")  # "10월부터 배운 것": from then on


def _merge(a: _Atom, b: _Atom) -> _Atom | None:
    """`a` and the atom right after it as one phrase, or None when they do not combine."""
    for first, second in ((a, b), (b, a)):
        # a year anchor gives a month, week or day its year: 작년 10월, March this year
        if first.kind == "year" and first.part is None and second.kind in ("day", "week", "month") \
                and second.year is None and second.span is None:
            return dataclasses.replace(second, start=a.start, end=b.end, year=first.year)
        # a month takes a week ordinal or a part: 지난달 첫째 주, first week of Oct, 10월 말
        if first.kind == "month" and first.part is None:
            if second.kind == "ordinal":
                return dataclasses.replace(first, start=a.start, end=b.end, kind="week", week=second.week)
            if second.kind == "part":
                return dataclasses.replace(first, start=a.start, end=b.end, part=second.part)
    if a.kind == "month" and a.part is None and b.kind == "dayonly":  # 지난달 15일
        if _day_span(a.year or _LEAP_YEAR, a.month, b.day) is not None:
            return dataclasses.replace(a, end=b.end, kind="day", day=b.day)
    return None


def _complete(piece: _Atom, first: _Atom, first_span: _Span, today: dt.date) -> _Span | None:
    """The span of the second phrase of a range or list, borrowing what it leaves out
    (month, year) from the first. A borrowed year rolls over when the month goes back
    ("12월 20일부터 1월 5일"), a borrowed month when the day does ("28일부터 3일")."""
    year, month = first_span[0].year, first_span[0].month
    if piece.kind == "dayonly":
        fill = {"kind": "day", "year": year, "month": first.month or month}
    elif piece.kind == "ordinal" and first.kind == "week":
        fill = {"kind": "week", "year": year, "month": first.month}
    elif piece.kind == "part" and first.kind == "month":
        fill = {"kind": "month", "year": year, "month": first.month}
    elif piece.kind in ("day", "week", "month") and piece.year is None and piece.span is None:
        fill = {"year": year}
    else:
        return _resolve(piece, today)
    filled = dataclasses.replace(piece, **fill)
    span = _resolve(filled, today)
    if span is not None and span[0] < first_span[0] and (piece.kind == "dayonly" or span[0].month < month):
        if piece.kind == "dayonly":
            y, m = _shift_month(year, filled.month, 1)
            span = _resolve(dataclasses.replace(filled, year=y, month=m), today)
        else:
            span = _resolve(dataclasses.replace(filled, year=year + 1), today)
    return span


def _find_atoms(query: str, today: dt.date) -> list[_Atom]:
    """Every rule's matches; then leftmost, longest first, without overlaps."""
    found: list[_Atom] = []
    for rule in _RULES:
        for m in rule.pattern.finditer(query):
            atom = rule.build(m, today)
            if atom is not None and atom.end > atom.start:
                found.append(atom)
    found.sort(key=lambda a: (a.start, a.start - a.end))
    atoms: list[_Atom] = []
    for atom in found:
        if not atoms or atom.start >= atoms[-1].end:
            atoms.append(atom)
    return atoms


def _phrases(query: str, atoms: list[_Atom]) -> list[_Atom]:
    """Adjacent atoms combined by `_merge` until none combine further."""
    merged = True
    while merged:
        merged = False
        for i in range(len(atoms) - 1):
            a, b = atoms[i], atoms[i + 1]
            if not _MODIFIER_GAP.fullmatch(query, a.end, b.start):
                continue
            both = _merge(a, b)
            if both is not None:
                atoms[i : i + 2] = [both]
                merged = True
                break
    return atoms


def parse_date_scope(query: str, today: dt.date) -> DateScope | None:
    """The dates the first date phrase in `query` names, or None when it names none.

    The phrase may be a range ("A부터 B까지", "from A to B", "between A and B", "A ~ B") or
    a list ("A이랑 B", "A, B and C"): a list keeps each date's span in `ranges`.
    """
    atoms = _phrases(query, _find_atoms(query, today))
    for i, first in enumerate(atoms):
        first_span = _resolve(first, today) if first.complete else None
        if first_span is None:
            continue
        start, end = first.start, first.end
        spans = [first_span]
        rest = atoms[i + 1 :]
        opens_range = bool(_BETWEEN.match(query, first.start))
        if rest and (_RANGE_GAP.fullmatch(query, end, rest[0].start)
                     or (opens_range and _BETWEEN_AND.fullmatch(query, end, rest[0].start))):
            last = _complete(rest[0], first, first_span, today)
            if last is not None and last[1] >= first_span[0]:
                spans, end = [(first_span[0], last[1])], rest[0].end
        elif rest and _LIST_GAP.fullmatch(query, end, rest[0].start):
            for piece in rest:
                if not _LIST_GAP.fullmatch(query, end, piece.start):
                    break
                span = _complete(piece, first, first_span, today)
                if span is None:
                    break
                spans.append(span)
                end = piece.end
            after = _AFTER_RANGE.match(query, end)
            if len(spans) == 2 and after:  # "A와 B 사이": between A and B
                spans, end = [(min(s for s, _ in spans), max(e for _, e in spans))], after.end()
        elif _SINCE.match(query, first.start) or _OPEN_START.match(query, end):
            spans = [(first_span[0], max(first_span[1], today))]
        if len(spans) == 1 and (after := _AFTER_RANGE.match(query, end)):
            end = after.end()
        return _scope(spans, query[start:end])
    return None


def strip_date_phrase(query: str, scope: DateScope | None) -> str:
    """`query` without the phrase `scope` came from, whitespace collapsed.

    A Korean particle or an English "'s" glued to the phrase goes with it ("10월에 배운" ->
    "배운"). A question that was only a date comes back empty.
    """
    if scope is not None and scope.matched:
        phrase = re.escape(scope.matched)
        tail = rf"(?:['’]s(?![A-Za-z])|(?:{_PARTICLE}){{0,2}}(?![가-힣]))"
        query = re.sub(rf"{phrase}{tail}|{phrase}", " ", query, count=1)
    return " ".join(query.split())


def scope_from_options(since: dt.date | None, until: dt.date | None) -> DateScope | None:
    """The scope of `--since`/`--until`; a missing end is open. `since > until` is empty."""
    if since is None and until is None:
        return None
    start, end = since or dt.date.min, until or dt.date.max
    return DateScope(start=start, end=end, matched="", label=_label(start, end))


def intersect(a: DateScope | None, b: DateScope | None) -> DateScope | None:
    """The days in both; None only when both are None, empty (`is_empty`) when disjoint.

    The result keeps the first non-empty `matched`, so the query's phrase can still be
    stripped after narrowing it by options.
    """
    if a is None:
        return b
    if b is None:
        return a
    spans = [(max(s1, s2), min(e1, e2)) for s1, e1 in a.spans for s2, e2 in b.spans]
    return _scope(spans, a.matched or b.matched)
