"""Turn the dates a search question mentions into a date range.

Notes are one Markdown file per day, so "10월 둘째 주에 배운 attention" is best answered by
filtering to those days and retrieving on the rest of the question: `parse_date_scope`
finds the date phrase and `strip_date_phrase` removes it from the retrieval text.

Rules:

* The first date phrase wins: the one that starts earliest, and at the same position the
  longest ("10월 14일" over "10월", "last week of Oct" over "last week").
* A date without a year is the most recent one that has begun by `today`: on 2026-11-28
  "10월 14일" is 2026-10-14 and "12월 3일" is 2025-12-03; months and weeks likewise.
* Week N of a month follows the Korean 주차 convention (KS X ISO 8601): weeks run Monday to
  Sunday and belong to the month that holds their Thursday, so week 1 is the week of the
  month's first Thursday and may begin in the previous month (11월 첫째 주 of 2026 is
  11-02..11-08, since 11-01 is a Sunday). The last week is the one of the last Thursday. A
  week whose Thursday falls after the month is no week, so "2월 다섯째 주" in a four-week
  February falls back to the month.
* "이번 주"/"last week" are whole Monday–Sunday weeks and "this month" a whole calendar
  month; "최근 N일"/"last N days" are N days ending today, today included.
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
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

_Span = tuple[dt.date, dt.date]
_Builder = Callable[[re.Match[str], dt.date], _Span | None]

_LAST = -1  # the ordinal of "마지막 주" / "last week of"
_LOOKBACK_YEARS = 5  # enough to reach a 29 February


@dataclass(frozen=True)
class DateScope:
    """Days from `start` to `end`, both inclusive; `start > end` means empty (see `intersect`)."""

    start: dt.date
    end: dt.date
    matched: str  # the query text that produced it; "" when it came from options
    label: str

    @property
    def is_empty(self) -> bool:
        return self.start > self.end

    @property
    def start_int(self) -> int:
        """YYYYMMDD, comparable with the chunks' integer `date` metadata."""
        return _as_int(self.start)

    @property
    def end_int(self) -> int:
        return _as_int(self.end)

    def contains(self, d: dt.date) -> bool:
        return self.start <= d <= self.end


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


def _scope(start: dt.date, end: dt.date, matched: str) -> DateScope:
    return DateScope(start=start, end=end, matched=matched, label=_label(start, end))


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


def _latest(build: Callable[[int], _Span | None], year: int | None, today: dt.date) -> _Span | None:
    """`build(year)`, or without a year the latest year whose span has begun by `today`."""
    if year is not None:
        return build(year)
    for y in range(today.year, today.year - _LOOKBACK_YEARS, -1):
        span = build(y)
        if span is not None and span[0] <= today:
            return span
    return None


# --- builders: a regex match (and today) -> a span, or None when it is no real date ------

# Spelled out: calendar.month_abbr follows the locale.
_MONTHS = {name: i for i, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_ORDINALS = {
    "첫": 1, "둘": 2, "두": 2, "셋": 3, "세": 3, "넷": 4, "네": 4, "다섯": 5, "마지막": _LAST,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": _LAST,
    "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5,
}
_DAYS_BACK = {
    "오늘": 0, "어제": 1, "그제": 2, "그저께": 2,
    "today": 0, "yesterday": 1, "daybeforeyesterday": 2,
}
_PERIODS = {  # phrase without spaces -> (unit, offset from the current one)
    "이번주": ("week", 0), "지난주": ("week", -1), "저번주": ("week", -1),
    "이번달": ("month", 0), "지난달": ("month", -1), "저번달": ("month", -1),
    "올해": ("year", 0), "작년": ("year", -1), "지난해": ("year", -1),
    "thisweek": ("week", 0), "lastweek": ("week", -1),
    "thismonth": ("month", 0), "lastmonth": ("month", -1),
    "thisyear": ("year", 0), "lastyear": ("year", -1),
}
_UNIT_DAYS = {"일": 1, "day": 1, "주": 7, "week": 7}


def _key(text: str) -> str:
    return "".join(text.split()).lower()


def _year(m: re.Match[str]) -> int | None:
    year = m.groupdict().get("y")
    return int(year) if year else None


def _month(m: re.Match[str]) -> int | None:
    name = m.groupdict().get("mon")
    month = _MONTHS[name[:3].lower()] if name else int(m["m"])
    return month if 1 <= month <= 12 else None


def _on_day(m: re.Match[str], today: dt.date) -> _Span | None:
    month, day = _month(m), int(m["d"])
    if month is None:
        return None
    return _latest(lambda y: _day_span(y, month, day), _year(m), today)


def _in_month(m: re.Match[str], today: dt.date) -> _Span | None:
    month = _month(m)
    if month is None:
        return None
    return _latest(lambda y: _month_span(y, month), _year(m), today)


def _in_week_of_month(m: re.Match[str], today: dt.date) -> _Span | None:
    month, ordinal = _month(m), m["ord"]
    if month is None:
        return None
    if _key(m.groupdict().get("suffix") or "") == "주" and ordinal not in ("첫", "마지막"):
        return None  # "10월 3주 동안" is three weeks, not the third week
    n = int(ordinal) if ordinal.isdigit() else _ORDINALS[ordinal.lower()]
    return _latest(lambda y: _week_span(y, month, n), _year(m), today)


def _in_year(m: re.Match[str], today: dt.date) -> _Span | None:
    year = int(m["y"])
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _relative_day(m: re.Match[str], today: dt.date) -> _Span | None:
    d = today - dt.timedelta(days=_DAYS_BACK[_key(m["word"])])
    return d, d


def _relative_period(m: re.Match[str], today: dt.date) -> _Span | None:
    unit, offset = _PERIODS[_key(m["period"])]
    if unit == "week":
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
        return monday, monday + dt.timedelta(days=6)
    if unit == "month":
        year, month0 = divmod(today.year * 12 + today.month - 1 + offset, 12)
        return _month_span(year, month0 + 1)
    year = today.year + offset
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _days_ago(m: re.Match[str], today: dt.date) -> _Span | None:
    d = today - dt.timedelta(days=int(m["n"]))
    return d, d


def _recent(m: re.Match[str], today: dt.date) -> _Span | None:
    days = int(m["n"]) * _UNIT_DAYS[m["unit"].lower().rstrip("s")]
    if days < 1:
        return None
    return today - dt.timedelta(days=days - 1), today


# --- patterns ----------------------------------------------------------------------------

_START = r"(?<![\w.\-/])"  # not glued to a word, a number, a version or a path
_NUM_END = r"(?!\d|[.\-/]\d)"
_EN_END = r"(?![A-Za-z0-9])"  # Hangul may follow: "October에"
_PARTICLE = r"(?:에서|에|부터|까지|동안|으로|로|의|은|는|이랑|이|랑|하고|과|와|도|만|엔|중|간|쯤|경|께|자)"
_KO_END = rf"(?=(?:{_PARTICLE}){{0,2}}(?![가-힣]))"
_YEAR = r"(?P<y>(?:19|20)\d{2})"
_KO_YEAR = rf"(?:{_YEAR}\s*년\s*)?"
_EN_PRE = rf"{_START}(?:(?i:in|on|during|over)\s+)?(?:(?i:the)\s+)?"
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
_EN_ORDINAL = r"(?P<ord>(?i:first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th))"


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
    # 10월 둘째 주, 10월 2주차, 10월 두 번째 주, 10월 마지막 주
    _rule(rf"{_START}{_KO_YEAR}(?P<m>\d{{1,2}})\s*월\s*{_KO_ORDINAL}{_KO_END}", _in_week_of_month),
    # 2026년 10월, 10월, 10월달 (never 10월 14...)
    _rule(rf"{_START}{_KO_YEAR}(?P<m>\d{{1,2}})\s*월(?:\s?달)?(?!\s*\d){_KO_END}", _in_month),
    _rule(rf"{_START}{_YEAR}\s*년{_KO_END}", _in_year),
    _rule(rf"{_START}(?P<word>오늘|어제|그저께|그제){_KO_END}", _relative_day),
    _rule(rf"{_START}(?P<period>(?:이번|지난|저번)\s*(?:주|달)|올해|작년|지난\s*해){_KO_END}",
          _relative_period),
    _rule(rf"{_START}(?P<n>\d{{1,4}})\s*일\s*전{_KO_END}", _days_ago),
    _rule(rf"{_START}최근\s*(?P<n>\d{{1,4}})\s*(?P<unit>일){_KO_END}", _recent),
    _rule(rf"{_START}(?:최근|지난)\s*(?P<n>\d{{1,3}})\s*(?P<unit>주)(?:일)?{_KO_END}", _recent),
    # Oct 14, October 14th, Oct. 14, 2026
    _rule(rf"{_EN_PRE}{_MONTH_ANY}\.?\s+(?P<d>\d{{1,2}})(?i:st|nd|rd|th)?{_EN_END}{_EN_YEAR}",
          _on_day),
    # 14 Oct, 14th of October 2026
    _rule(rf"{_EN_PRE}(?P<d>\d{{1,2}})(?i:st|nd|rd|th)?\s+(?:(?i:of)\s+)?{_MONTH_STRICT}{_EN_END}"
          rf"{_EN_YEAR}", _on_day),
    _rule(rf"{_EN_PRE}{_MONTH_ANY}\.?,?\s+{_YEAR}{_EN_END}", _in_month),  # October 2026
    _rule(rf"{_EN_PRE}{_MONTH_STRICT}{_EN_END}(?!\.?\s*\d)", _in_month),  # in October, Oct
    # the second week of October (2026)
    _rule(rf"{_EN_PRE}{_EN_ORDINAL}\s+(?i:week)\s+(?i:of|in)\s+{_MONTH_ANY}{_EN_END}{_EN_YEAR}",
          _in_week_of_month),
    _rule(rf"{_EN_PRE}(?P<word>(?i:today|yesterday|day\s+before\s+yesterday)){_EN_END}",
          _relative_day),
    _rule(rf"{_EN_PRE}(?P<period>(?i:this|last)\s+(?i:week|month|year)){_EN_END}",
          _relative_period),
    _rule(rf"{_EN_PRE}(?P<n>\d{{1,4}})\s+(?i:days?)\s+(?i:ago){_EN_END}", _days_ago),
    _rule(rf"{_EN_PRE}(?i:last|past)\s+(?P<n>\d{{1,4}})\s+(?P<unit>(?i:days?|weeks?)){_EN_END}",
          _recent),
)


# --- public API --------------------------------------------------------------------------


def parse_date_scope(query: str, today: dt.date) -> DateScope | None:
    """The date range the first date phrase in `query` names, or None when it names none."""
    best: tuple[int, int, _Span, str] | None = None
    for rule in _RULES:
        for m in rule.pattern.finditer(query):
            if best is not None and (m.start(), -len(m[0])) >= best[:2]:
                break  # later matches of this rule start even later
            span = rule.build(m, today)
            if span is not None:
                best = (m.start(), -len(m[0]), span, m[0])
                break
    if best is None:
        return None
    _, _, (start, end), matched = best
    return _scope(start, end, matched)


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
    return _scope(since or dt.date.min, until or dt.date.max, "")


def intersect(a: DateScope | None, b: DateScope | None) -> DateScope | None:
    """The days in both; None only when both are None, empty (`is_empty`) when disjoint.

    The result keeps the first non-empty `matched`, so the query's phrase can still be
    stripped after narrowing it by options.
    """
    if a is None:
        return b
    if b is None:
        return a
    return _scope(max(a.start, b.start), min(a.end, b.end), a.matched or b.matched)
