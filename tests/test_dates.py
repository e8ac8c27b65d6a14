"""Date phrases in search questions -> date ranges (studylog.search.dates)."""

from __future__ import annotations

import datetime as dt

import pytest

from studylog.search.dates import (
    DateScope,
    intersect,
    parse_date_scope,
    scope_from_options,
    strip_date_phrase,
)

D = dt.date
TODAY = D(2026, 11, 28)  # a Saturday; this week is 2026-11-23 .. 2026-11-29


def span(query: str, today: dt.date = TODAY) -> tuple[dt.date, dt.date] | None:
    scope = parse_date_scope(query, today)
    return None if scope is None else (scope.start, scope.end)


def day(y: int, m: int, d: int) -> tuple[dt.date, dt.date]:
    return D(y, m, d), D(y, m, d)


def days(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    return start, end


OCT_2026 = days(D(2026, 10, 1), D(2026, 10, 31))
OCT_WEEK = {  # 2026-10-01 is a Thursday, so its week (from Monday 09-28) is October's first
    1: days(D(2026, 9, 28), D(2026, 10, 4)),
    2: days(D(2026, 10, 5), D(2026, 10, 11)),
    3: days(D(2026, 10, 12), D(2026, 10, 18)),
    4: days(D(2026, 10, 19), D(2026, 10, 25)),
    5: days(D(2026, 10, 26), D(2026, 11, 1)),
}


# --- absolute days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "2026-10-14 노트",
        "2026.10.14",
        "2026/10/14에 쓴 것",
        "2026. 10. 14. 공부",
        "2026년 10월 14일",
        "2026년10월14일",
        "10월 14일에 배운 내용",
        "10월 14일자 노트",
        "date: 10/14",
        "날짜 10/14",
        "what did I read on 10/14",
        "Oct 14",
        "oct 14 notes",
        "October 14",
        "Oct. 14",
        "October 14th",
        "14 Oct",
        "14th of October",
        "Oct 14, 2026",
        "October 14에 본 논문",
    ],
)
def test_absolute_day(query: str) -> None:
    assert span(query) == day(2026, 10, 14)


def test_explicit_year_wins_even_in_the_future() -> None:
    assert span("14 October 2025") == day(2025, 10, 14)
    assert span("2027년 1월 5일") == day(2027, 1, 5)
    assert span("date 1/5/2027") == day(2027, 1, 5)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("10월 14일", day(2026, 10, 14)),
        ("12월 3일", day(2025, 12, 3)),  # December 2026 has not come yet
        ("Dec 3", day(2025, 12, 3)),
        ("11월 28일", day(2026, 11, 28)),  # today itself
        ("11월 29일", day(2025, 11, 29)),  # tomorrow -> last year's
        ("2월 29일", day(2024, 2, 29)),  # the latest 29 February
    ],
)
def test_missing_year_is_the_latest_date_not_after_today(query: str, expected: tuple) -> None:
    assert span(query) == expected


@pytest.mark.parametrize("query", ["2026-02-30", "2026-13-01", "13월", "10월 32일", "Oct 32"])
def test_impossible_dates_do_not_match(query: str) -> None:
    assert parse_date_scope(query, TODAY) is None


# --- months ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "10월",
        "10월에 배운 것",
        "10월달 정리",
        "2026년 10월",
        "2026-10",
        "in October",
        "during october",
        "October 2026",
        "Oct 2026",
        "Oct attention notes",
    ],
)
def test_month(query: str) -> None:
    assert span(query) == OCT_2026


def test_month_year_inference() -> None:
    assert span("11월") == days(D(2026, 11, 1), D(2026, 11, 30))  # the current month
    assert span("12월") == days(D(2025, 12, 1), D(2025, 12, 31))
    assert span("2025년 12월") == days(D(2025, 12, 1), D(2025, 12, 31))
    assert span("Oct 2025") == days(D(2025, 10, 1), D(2025, 10, 31))


def test_month_followed_by_a_number_is_not_a_month() -> None:
    assert parse_date_scope("10월 14 공부", TODAY) is None
    assert parse_date_scope("10월 3주 동안", TODAY) is None  # three weeks, not week 3


# --- weeks of a month --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "week"),
    [
        ("10월 첫째 주", 1),
        ("10월 첫 주", 1),
        ("10월 1주차", 1),
        ("10월 둘째 주에 배운 attention", 2),
        ("10월 2주차", 2),
        ("10월 두 번째 주", 2),
        ("10월 두번째 주", 2),
        ("10월 셋째 주", 3),
        ("10월 넷째주", 4),
        ("10월 다섯째 주", 5),
        ("10월 마지막 주", 5),
        ("2026년 10월 둘째 주", 2),
        ("first week of October", 1),
        ("the first week of Oct", 1),
        ("second week of October", 2),
        ("the 3rd week of oct", 3),
        ("last week of October", 5),
    ],
)
def test_week_of_month(query: str, week: int) -> None:
    assert span(query) == OCT_WEEK[week]


def test_week_one_starts_on_the_first_when_it_is_a_monday() -> None:
    assert span("2026년 6월 첫째 주") == days(D(2026, 6, 1), D(2026, 6, 7))
    assert span("2026년 6월 둘째 주") == days(D(2026, 6, 8), D(2026, 6, 14))


def test_week_one_is_the_week_of_the_first_thursday() -> None:
    # 2026-03-01 and 2026-11-01 are Sundays: that lone day belongs to the previous month's week.
    assert span("2026년 3월 첫째 주") == days(D(2026, 3, 2), D(2026, 3, 8))
    assert span("11월 첫째 주") == days(D(2026, 11, 2), D(2026, 11, 8))
    assert span("11월 2주차") == days(D(2026, 11, 9), D(2026, 11, 15))


def test_week_past_the_months_end_falls_back_to_the_month() -> None:
    # February 2027 starts on a Monday and has exactly four weeks.
    assert span("2027년 2월 넷째 주") == days(D(2027, 2, 22), D(2027, 2, 28))
    scope = parse_date_scope("2027년 2월 다섯째 주", TODAY)
    assert scope is not None
    assert (scope.start, scope.end, scope.matched) == (D(2027, 2, 1), D(2027, 2, 28), "2027년 2월 다섯째 주")
    assert span("fifth week of Feb 2027") == days(D(2027, 2, 1), D(2027, 2, 28))


def test_week_year_inference_uses_the_weeks_start() -> None:
    today = D(2026, 10, 7)  # week 3 of October 2026 starts on the 12th
    assert span("10월 둘째 주", today) == OCT_WEEK[2]
    assert span("10월 셋째 주", today) == days(D(2025, 10, 13), D(2025, 10, 19))
    assert span("11월 넷째 주") == days(D(2026, 11, 23), D(2026, 11, 29))  # holds today


# --- relative ----------------------------------------------------------------------------

THIS_WEEK = days(D(2026, 11, 23), D(2026, 11, 29))
LAST_WEEK = days(D(2026, 11, 16), D(2026, 11, 22))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("오늘", day(2026, 11, 28)),
        ("오늘 배운 것", day(2026, 11, 28)),
        ("어제", day(2026, 11, 27)),
        ("어제의 attention 정리", day(2026, 11, 27)),
        ("그제", day(2026, 11, 26)),
        ("그저께", day(2026, 11, 26)),
        ("today", day(2026, 11, 28)),
        ("today's notes", day(2026, 11, 28)),
        ("yesterday", day(2026, 11, 27)),
        ("the day before yesterday", day(2026, 11, 26)),
        ("이번 주", THIS_WEEK),
        ("이번주에 한 것", THIS_WEEK),
        ("this week", THIS_WEEK),
        ("지난주", LAST_WEEK),
        ("지난 주에", LAST_WEEK),
        ("저번 주", LAST_WEEK),
        ("저번주", LAST_WEEK),
        ("last week", LAST_WEEK),
        ("지난달", OCT_2026),
        ("지난 달", OCT_2026),
        ("저번 달", OCT_2026),
        ("last month", OCT_2026),
        ("이번 달", days(D(2026, 11, 1), D(2026, 11, 30))),
        ("this month", days(D(2026, 11, 1), D(2026, 11, 30))),
        ("올해", days(D(2026, 1, 1), D(2026, 12, 31))),
        ("작년 논문", days(D(2025, 1, 1), D(2025, 12, 31))),
        ("지난해", days(D(2025, 1, 1), D(2025, 12, 31))),
        ("last year", days(D(2025, 1, 1), D(2025, 12, 31))),
        ("2025년", days(D(2025, 1, 1), D(2025, 12, 31))),
        ("3일 전", day(2026, 11, 25)),
        ("3일 전에 본 논문", day(2026, 11, 25)),
        ("3 days ago", day(2026, 11, 25)),
        ("최근 7일", days(D(2026, 11, 22), D(2026, 11, 28))),
        ("최근 7일간", days(D(2026, 11, 22), D(2026, 11, 28))),
        ("last 7 days", days(D(2026, 11, 22), D(2026, 11, 28))),
        ("in the past 7 days", days(D(2026, 11, 22), D(2026, 11, 28))),
        ("지난 2주", days(D(2026, 11, 15), D(2026, 11, 28))),
        ("최근 2주간", days(D(2026, 11, 15), D(2026, 11, 28))),
        ("last 2 weeks", days(D(2026, 11, 15), D(2026, 11, 28))),
    ],
)
def test_relative(query: str, expected: tuple) -> None:
    assert span(query) == expected


def test_relative_across_a_year_boundary() -> None:
    today = D(2026, 1, 10)
    assert span("지난달", today) == days(D(2025, 12, 1), D(2025, 12, 31))
    assert span("last week", today) == days(D(2025, 12, 29), D(2026, 1, 4))


def test_this_week_on_a_monday_and_a_sunday() -> None:
    assert span("이번 주", D(2026, 11, 23)) == THIS_WEEK
    assert span("이번 주", D(2026, 11, 29)) == THIS_WEEK


# --- false dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "CIFAR-10 정확도",
        "HTTP 429 에러",
        "7/10 맞음",
        "quiz 7/10",
        "Python 3.11 설치",
        "d_k = 64",
        "batch 32",
        "top-5 accuracy",
        "1706.03762",
        "lr 2e-4",
        "10 epochs",
        "GPT-4 요약",
        "14.2GB 메모리",
        "1일 1커밋",
        "이번 주제는 attention",
        "오늘날의 LLM",
        "그제서야 이해함",
        "[SEP] token",
        "sep token",
        "this may help",
        "oct attention",
        "Enc-Dec 구조",
        "Attention Is All You Need (2017)",
    ],
)
def test_not_a_date(query: str) -> None:
    assert parse_date_scope(query, TODAY) is None


# --- which phrase, what matched, labels ------------------------------------------------


@pytest.mark.parametrize(
    ("query", "matched"),
    [
        ("어제 본 것 말고 지난주", "어제"),
        ("지난주 노트 말고 어제", "지난주"),
        ("1706.03762 논문 10월에 읽음", "10월"),
        ("10월 14일 전에", "10월 14일"),  # longest at the same place, not "10월" or "14일 전"
        ("last week of October", "last week of October"),
        ("notes in October", "in October"),
        ("Oct 14, 2026 notes, not Oct 20", "Oct 14, 2026"),
    ],
)
def test_first_and_longest_phrase_wins(query: str, matched: str) -> None:
    scope = parse_date_scope(query, TODAY)
    assert scope is not None
    assert scope.matched == matched
    assert matched in query


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("2026-10-14", "2026-10-14"),
        ("10월", "2026-10"),
        ("10월 둘째 주", "2026-10-05 – 2026-10-11"),
        ("작년", "2025"),
        ("최근 7일", "2026-11-22 – 2026-11-28"),
    ],
)
def test_labels(query: str, label: str) -> None:
    scope = parse_date_scope(query, TODAY)
    assert scope is not None
    assert scope.label == label


def test_scope_ints_and_contains() -> None:
    scope = parse_date_scope("10월 둘째 주", TODAY)
    assert scope is not None
    assert (scope.start_int, scope.end_int) == (20261005, 20261011)
    assert not scope.is_empty
    assert scope.contains(D(2026, 10, 5))
    assert scope.contains(D(2026, 10, 11))
    assert not scope.contains(D(2026, 10, 4))
    assert not scope.contains(D(2026, 10, 12))


def test_no_date_is_none() -> None:
    assert parse_date_scope("attention 정리", TODAY) is None
    assert parse_date_scope("", TODAY) is None


# --- strip_date_phrase -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "stripped"),
    [
        ("10월에 배운 attention", "배운 attention"),
        ("어제의   attention   정리", "attention 정리"),
        ("지난주까지의 RAG 노트", "RAG 노트"),
        ("what did I read last week about RAG", "what did I read about RAG"),
        ("notes in October on LoRA", "notes on LoRA"),
        ("last year's paper", "paper"),
        ("2026. 10. 14. 공부", "공부"),
        ("October에 본 논문", "본 논문"),
        ("어제", ""),
    ],
)
def test_strip_date_phrase(query: str, stripped: str) -> None:
    assert strip_date_phrase(query, parse_date_scope(query, TODAY)) == stripped


def test_strip_without_a_phrase_only_collapses_whitespace() -> None:
    assert strip_date_phrase("  attention   정리 ", None) == "attention 정리"
    options = scope_from_options(D(2026, 10, 1), None)
    assert strip_date_phrase("10월  attention", options) == "10월 attention"


def test_strip_keeps_a_particle_that_is_part_of_a_word() -> None:
    scope = parse_date_scope("어제 이야기", TODAY)
    assert strip_date_phrase("어제 이야기", scope) == "이야기"


# --- scope_from_options and intersect ----------------------------------------------------


def test_scope_from_options() -> None:
    assert scope_from_options(None, None) is None
    both = scope_from_options(D(2026, 10, 1), D(2026, 10, 31))
    assert both == DateScope(D(2026, 10, 1), D(2026, 10, 31), "", "2026-10")
    since = scope_from_options(D(2026, 10, 1), None)
    assert since is not None
    assert since.contains(D(2100, 1, 1)) and not since.contains(D(2026, 9, 30))
    assert since.label == "2026-10-01 – …"
    until = scope_from_options(None, D(2026, 10, 31))
    assert until is not None
    assert until.contains(D(1990, 1, 1)) and not until.contains(D(2026, 11, 1))
    assert until.label == "… – 2026-10-31"


def test_options_with_since_after_until_are_empty() -> None:
    scope = scope_from_options(D(2026, 11, 1), D(2026, 10, 1))
    assert scope is not None and scope.is_empty


def test_intersect_with_none() -> None:
    oct_ = parse_date_scope("10월", TODAY)
    assert intersect(None, None) is None
    assert intersect(oct_, None) is oct_
    assert intersect(None, oct_) is oct_


def test_intersect_overlap_keeps_the_query_phrase() -> None:
    query = parse_date_scope("10월 attention", TODAY)
    options = scope_from_options(D(2026, 10, 20), None)
    both = intersect(query, options)
    assert both is not None and not both.is_empty
    assert (both.start, both.end) == (D(2026, 10, 20), D(2026, 10, 31))
    assert both.matched == "10월"
    assert both.label == "2026-10-20 – 2026-10-31"
    assert intersect(options, query) == both


def test_intersect_disjoint_is_empty() -> None:
    query = parse_date_scope("지난주", TODAY)
    options = scope_from_options(None, D(2026, 11, 1))
    empty = intersect(query, options)
    assert empty is not None
    assert empty.is_empty
    assert empty.start > empty.end
    assert not empty.contains(D(2026, 11, 1))
    assert not empty.contains(D(2026, 11, 16))
    assert empty.label == "no dates"


# --- the grammar: compound relative dates ------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("작년 10월에 배운 어텐션", days(D(2025, 10, 1), D(2025, 10, 31))),
        ("지난해 3월", days(D(2025, 3, 1), D(2025, 3, 31))),
        ("재작년 10월", days(D(2024, 10, 1), D(2024, 10, 31))),
        ("올해 12월", days(D(2026, 12, 1), D(2026, 12, 31))),  # said, so not last year's
        ("올해 3월 둘째 주에 공부한 옵티마이저", days(D(2026, 3, 9), D(2026, 3, 15))),
        ("작년 10월 14일", day(2025, 10, 14)),
        ("작년 10월 마지막 주", days(D(2025, 10, 27), D(2025, 11, 2))),
        ("지난달 첫째 주에 뭐 배웠지", OCT_WEEK[1]),
        ("지난 달 둘째 주", OCT_WEEK[2]),
        ("이번 달 첫째 주", days(D(2026, 11, 2), D(2026, 11, 8))),
        ("지난달 마지막 주", OCT_WEEK[5]),
        ("지난달 15일", day(2026, 10, 15)),
        ("지지난달", days(D(2026, 9, 1), D(2026, 9, 30))),
        ("지지난주", days(D(2026, 11, 9), D(2026, 11, 15))),
        ("저저번주", days(D(2026, 11, 9), D(2026, 11, 15))),
        ("2주 전에 본 논문", days(D(2026, 11, 9), D(2026, 11, 15))),
        ("다음 주", days(D(2026, 11, 30), D(2026, 12, 6))),
        ("9월 마지막 주", days(D(2026, 9, 21), D(2026, 9, 27))),
        ("last October", OCT_2026),  # the latest October before this month
        ("last November", days(D(2025, 11, 1), D(2025, 11, 30))),
        ("this March", days(D(2026, 3, 1), D(2026, 3, 31))),
        ("next January", days(D(2027, 1, 1), D(2027, 1, 31))),
        ("October last year", days(D(2025, 10, 1), D(2025, 10, 31))),
        ("in March of last year", days(D(2025, 3, 1), D(2025, 3, 31))),
        ("the second week of March this year", days(D(2026, 3, 9), D(2026, 3, 15))),
        ("the first week of last month", OCT_WEEK[1]),
        ("last week of last month", OCT_WEEK[5]),
        ("the week before last", days(D(2026, 11, 9), D(2026, 11, 15))),
        ("two weeks ago", days(D(2026, 11, 9), D(2026, 11, 15))),
        ("two days ago", day(2026, 11, 26)),
    ],
)
def test_compound_relative(query: str, expected: tuple) -> None:
    assert span(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("10월 초", days(D(2026, 10, 1), D(2026, 10, 10))),
        ("10월초에 배운 것", days(D(2026, 10, 1), D(2026, 10, 10))),
        ("10월 중순", days(D(2026, 10, 11), D(2026, 10, 20))),
        ("10월 말", days(D(2026, 10, 21), D(2026, 10, 31))),
        ("10월말", days(D(2026, 10, 21), D(2026, 10, 31))),
        ("2월 말", days(D(2026, 2, 21), D(2026, 2, 28))),
        ("지난달 말", days(D(2026, 10, 21), D(2026, 10, 31))),
        ("이번 달 초", days(D(2026, 11, 1), D(2026, 11, 10))),
        ("작년 10월 말", days(D(2025, 10, 21), D(2025, 10, 31))),
        ("early October", days(D(2026, 10, 1), D(2026, 10, 10))),
        ("mid-October", days(D(2026, 10, 11), D(2026, 10, 20))),
        ("late October", days(D(2026, 10, 21), D(2026, 10, 31))),
        ("the end of October", days(D(2026, 10, 21), D(2026, 10, 31))),
        ("the beginning of last month", days(D(2026, 10, 1), D(2026, 10, 10))),
    ],
)
def test_start_and_end_of_a_month(query: str, expected: tuple) -> None:
    assert span(query) == expected


@pytest.mark.parametrize("query", ["말이 안 되는 설명", "초기화 방법", "초 단위로 측정", "late fusion", "end of training"])
def test_part_words_alone_are_not_dates(query: str) -> None:
    assert parse_date_scope(query, TODAY) is None


# --- the grammar: ranges -------------------------------------------------------------------

OCT_13_15 = days(D(2026, 10, 13), D(2026, 10, 15))


@pytest.mark.parametrize(
    "query",
    [
        "10월 13일부터 15일까지 배운 것 정리해줘",
        "10월 13일부터 10월 15일까지",
        "10월 13일에서 15일까지",
        "10월 13일~15일",
        "10월 13~15일",
        "10월 13일 ~ 10월 15일",
        "2026-10-13 ~ 2026-10-15 사이에 공부한 내용",
        "2026-10-13–2026-10-15",
        "2026년 10월 13일부터 2026년 10월 15일까지",
        "10월 13일과 15일 사이",
        "What did I study from Oct 13 to Oct 15?",
        "from October 13 until October 15",
        "between Oct 13 and Oct 15",
        "Oct 13 - Oct 15",
        "Oct 13-15",
        "Oct 13 to 15",
        "October 13th through 15th",
    ],
)
def test_range_of_days(query: str) -> None:
    assert span(query) == OCT_13_15


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("10월부터 11월까지", days(D(2026, 10, 1), D(2026, 11, 30))),
        ("from September to October", days(D(2026, 9, 1), D(2026, 10, 31))),
        ("10월 첫째 주부터 셋째 주까지", days(OCT_WEEK[1][0], OCT_WEEK[3][1])),
        ("10월 초부터 중순까지", days(D(2026, 10, 1), D(2026, 10, 20))),
        ("지난주부터 이번 주까지", days(LAST_WEEK[0], THIS_WEEK[1])),
        ("12월 20일부터 1월 5일까지", days(D(2025, 12, 20), D(2026, 1, 5))),  # over New Year
        ("작년 10월부터 올해 3월까지", days(D(2025, 10, 1), D(2026, 3, 31))),
        ("10월부터 배운 것", days(D(2026, 10, 1), TODAY)),  # from then until today
        ("since October", days(D(2026, 10, 1), TODAY)),
    ],
)
def test_ranges_of_months_weeks_and_open_ends(query: str, expected: tuple) -> None:
    assert span(query) == expected


def test_a_range_backwards_keeps_the_first_date() -> None:
    assert span("10월 15일부터 10월 13일까지") == day(2026, 10, 15)


def test_a_range_is_matched_and_stripped_whole() -> None:
    query = "10월 13일부터 15일까지 배운 것"
    scope = parse_date_scope(query, TODAY)
    assert scope is not None and scope.matched == "10월 13일부터 15일"
    assert strip_date_phrase(query, scope) == "배운 것"
    query = "2026-10-13 ~ 2026-10-15 사이에 공부한 내용"
    assert strip_date_phrase(query, parse_date_scope(query, TODAY)) == "공부한 내용"
    query = "What did I study from Oct 13 to Oct 15?"
    assert strip_date_phrase(query, parse_date_scope(query, TODAY)) == "What did I study ?"


# --- the grammar: lists of dates -----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "10월 13일이랑 10월 15일에 배운 것 비교해줘",
        "10월 13일이랑 15일",
        "10월 13일과 15일",
        "10월 13일하고 15일",
        "10월 13일, 15일",
        "2026-10-13, 2026-10-15",
        "Oct 13 and Oct 15",
        "on Oct 13 or Oct 15",
    ],
)
def test_two_days(query: str) -> None:
    scope = parse_date_scope(query, TODAY)
    assert scope is not None
    assert scope.ranges == (day(2026, 10, 13), day(2026, 10, 15))
    assert (scope.start, scope.end) == OCT_13_15  # the hull, for the JSON "scope"
    assert scope.contains(D(2026, 10, 13)) and scope.contains(D(2026, 10, 15))
    assert not scope.contains(D(2026, 10, 14))
    assert scope.int_ranges == [(20261013, 20261013), (20261015, 20261015)]
    assert scope.label == "2026-10-13, 2026-10-15"


def test_list_of_three_and_of_neighbours() -> None:
    scope = parse_date_scope("Oct 13, Oct 15 and Oct 20", TODAY)
    assert scope is not None and len(scope.ranges) == 3
    assert span("10월 13일, 14일, 15일") == OCT_13_15  # touching days merge into one span
    assert parse_date_scope("10월 13일, 14일, 15일", TODAY).ranges == ()
    scope = parse_date_scope("어제와 지난주", TODAY)
    assert scope is not None and scope.ranges == (LAST_WEEK, day(2026, 11, 27))


def test_a_list_narrowed_by_options_keeps_its_parts() -> None:
    listed = parse_date_scope("9월 1일이랑 10월 13일, 10월 15일", TODAY)
    both = intersect(listed, scope_from_options(D(2026, 10, 1), None))
    assert both is not None and both.ranges == (day(2026, 10, 13), day(2026, 10, 15))
    assert both.matched == listed.matched
    none = intersect(listed, scope_from_options(D(2026, 11, 1), None))
    assert none is not None and none.is_empty


@pytest.mark.parametrize("query", ["1일 1커밋", "13일, 14일", "3주 동안 공부"])
def test_bare_days_and_ordinals_alone_are_not_dates(query: str) -> None:
    assert parse_date_scope(query, TODAY) is None


# --- field case 11 (../shared/field-cases/cases/11-date-phrases), today = 2026-11-29 --------

CASE_11_TODAY = D(2026, 11, 29)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("10월 13일부터 15일까지 배운 것 정리해줘", OCT_13_15),
        ("2026-10-13 ~ 2026-10-15 사이에 공부한 내용", OCT_13_15),
        ("What did I study from Oct 13 to Oct 15?", OCT_13_15),
        ("10월 13일이랑 10월 15일에 배운 것 비교해줘", OCT_13_15),
        ("작년 10월에 배운 어텐션", days(D(2025, 10, 1), D(2025, 10, 31))),
        ("올해 3월 둘째 주에 공부한 옵티마이저", days(D(2026, 3, 9), D(2026, 3, 15))),
        ("지난달 첫째 주에 뭐 배웠지", days(D(2026, 9, 28), D(2026, 10, 4))),
        ("10월 둘째 주에 배운 것", days(D(2026, 10, 5), D(2026, 10, 11))),
        ("2026-10-18에 뭐 했지?", day(2026, 10, 18)),
        ("CIFAR-10 정확도가 7/10 나왔던 날", None),
    ],
)
def test_field_case_11(query: str, expected: tuple | None) -> None:
    assert span(query, CASE_11_TODAY) == expected
