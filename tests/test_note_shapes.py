"""Notes as real editors and exports write them (issue 9): CommonMark structure, front matter
that is not front matter, odd YAML values, encodings, NFD Hangul, and the dating shapes of
real TIL repositories. Each kind is built here in memory; `test_field_cases.py` replays the
shared field cases themselves."""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from pathlib import Path

import pytest

from studylog.index.chunker import MAX_CHUNK_CHARS, chunk_note
from studylog.notes.dating import date_from_body, date_from_path, date_from_value, parse_date_text
from studylog.notes.importer import import_folder
from studylog.notes.model import DateSource, SectionKind
from studylog.notes.parser import parse_note
from studylog.notes.vault import Vault

KST = dt.timezone(dt.timedelta(hours=9))
PST = dt.timezone(dt.timedelta(hours=-8))


def note(text: str, name: str = "memo.md", mtime: float | None = 0.0, tz=None):
    return parse_note(Path(name), text.encode("utf-8"), mtime, tz=tz)


# -- CommonMark structure ------------------------------------------------------------------

def test_four_backtick_fence_holding_three_backticks_does_not_swallow_later_sections():
    text = (
        "### 새로 배운 내용\n#### 주제 1\n````markdown\n```python\n# not a heading\n```\n````\n"
        "#### 주제 2\n~~~python\n# a comment\n~~~\n### 오늘의 회고\n- 좋았다\n"
    )
    parsed = note(text, "2026-10-08.md")
    assert [s.heading for s in parsed.sections] == ["새로 배운 내용", "주제 1", "주제 2", "오늘의 회고"]
    assert "```python" in parsed.sections[1].text and "# not a heading" in parsed.sections[1].text
    assert "# a comment" in parsed.sections[2].text
    assert parsed.sections[3].kind == SectionKind.RETRO


def test_heading_keeps_a_trailing_hash_without_space_and_drops_a_closing_sequence():
    parsed = note("#### 오늘 써 본 언어: C#\nLINQ\n## Title ##\nx", "2026-10-08.md")
    assert [s.heading for s in parsed.sections] == ["오늘 써 본 언어: C#", "Title"]


def test_start_lines_are_file_lines_after_front_matter():
    text = "---\ndate: 2026-10-01\n---\n### 스크럼\n- a\n\n### 회고\n- b\n"
    parsed = note(text)
    lines = text.split("\n")
    assert [lines[s.start_line] for s in parsed.sections] == ["### 스크럼", "### 회고"]
    assert parsed.body_line_offset == 3 and parsed.has_front_matter


def test_a_long_paragraph_above_a_divider_stays_text():
    long = "퍼플렉서티 실험 결과를 정리했다. " * 6
    parsed = note(f"{long}\n---\n### 회고\n- ok\n", "2026-10-06.md")
    assert long.strip() in parsed.sections[0].text and parsed.sections[0].heading == ""
    short = note("Setext title\n===\nbody\n", "2026-10-06.md")
    assert short.sections[0].heading == "Setext title" and short.sections[0].text == "body"


# -- front matter ------------------------------------------------------------------------

def test_leading_rule_with_a_yaml_list_is_note_text():
    text = "---\n- 학습 목표 1 : 로터리 포지셔널 임베딩 논문 읽기\n- 학습 목표 2 : 구현\n---\n### 회고\n- ok\n"
    parsed = note(text, "2026-10-05.md")
    assert not parsed.has_front_matter and parsed.body_line_offset == 0
    assert "로터리 포지셔널 임베딩 논문" in parsed.sections[0].text
    assert any("not front matter" in w for w in parsed.warnings)


def test_leading_rule_with_a_paragraph_is_note_text():
    parsed = note("---\n\nStreamingLLM 퍼플렉서티 실험 결과.\n---\n### 회고\n- ok\n", "2026-10-06.md")
    assert "StreamingLLM 퍼플렉서티" in " ".join(s.text for s in parsed.sections)


@pytest.mark.parametrize(
    "value, why",
    [("2026-02-30", "not a real calendar day"), ("0000-00-00", "not a real calendar day"),
     ("[2026-01-01, 2026-01-02]", "list"), ("{a: 1}", "dict")],
)
def test_impossible_or_wrongly_typed_dates_fall_through_with_a_warning(value, why):
    parsed = note(f"---\ndate: {value}\ntags: [ok]\n---\n본문\n", "2026-02-27.md")
    assert parsed.date == dt.date(2026, 2, 27) and parsed.date_source == DateSource.FILE_NAME
    assert parsed.tags == ["ok"]  # the rest of the mapping survives
    assert any("2026-02-27.md" in w and "date ignored" in w and why in w for w in parsed.warnings)


@pytest.mark.parametrize(
    "tags, expected",
    [("2026", ["2026"]), ("[2026, TIL, null]", ["2026", "TIL"]), ("\n  - 2026\n  -\n  - TIL", ["2026", "TIL"]),
     ("null", []), ("TIL, 어텐션", ["TIL", "어텐션"]), ("{a: 1}", []), ("[[a, b], c]", ["a", "b", "c"])],
)
def test_tags_of_any_yaml_type_become_strings(tags, expected):
    parsed = note(f"---\ntags: {tags}\ntitle: 20240425\ncreated: 2024-04-25 08:58:26Z\n---\n본문\n", "2026-04-25.md")
    assert parsed.tags == expected and parsed.title == "20240425"


def test_huge_front_matter_values_are_cut_not_fatal():
    parsed = note("---\ntitle: " + "가" * 100_000 + "\ntags: " + "x" * 100_000 + "\n---\n본문\n", "2026-01-01.md")
    assert len(parsed.title) <= 500 and all(len(t) <= 500 for t in parsed.tags)


def test_broken_yaml_front_matter_is_still_dated_by_its_date_line():
    text = (
        '---\ntitle: "윈도우에서 CUDA_HOME 설정"\ndescription: "C:\\cuda\\bin"\n'
        "date: 2026-05-20T05:12:44.120Z\n---\n본문\n"
    )
    parsed = note(text, "윈도우에서 CUDA_HOME 설정.md", tz=KST)
    assert parsed.date == dt.date(2026, 5, 20) and parsed.date_source == DateSource.FRONT_MATTER
    assert parsed.title == "윈도우에서 CUDA_HOME 설정"
    assert any("not valid YAML" in w for w in parsed.warnings)
    assert "description" not in " ".join(s.text for s in parsed.sections)


# -- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value, tz, expected",
    [("2026-06-02T16:40:21.007Z", KST, dt.date(2026, 6, 3)),
     ("2026-06-02T16:40:21.007Z", PST, dt.date(2026, 6, 2)),
     ("2026-05-19T23:30:00Z", KST, dt.date(2026, 5, 20)),
     ("2026-05-19T23:30:00+09:00", PST, dt.date(2026, 5, 19)),
     ("2026-05-20T01:00:00+09:00", dt.UTC, dt.date(2026, 5, 19)),
     ("2026-05-19 08:58:26", PST, dt.date(2026, 5, 19))],  # no zone: already local
)
def test_zoned_timestamps_become_the_local_day(value, tz, expected):
    assert note(f"---\ndate: {value}\n---\nx\n", tz=tz).date == expected
    assert date_from_value(value, tz)[0] == expected


def test_local_day_defaults_to_the_machine_zone(monkeypatch):
    if not hasattr(__import__("time"), "tzset"):
        pytest.skip("no tzset on this platform")
    import time

    monkeypatch.setenv("TZ", "Asia/Seoul")
    time.tzset()
    try:
        assert parse_date_text("2026-06-02T16:40:00Z") == dt.date(2026, 6, 3)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize(
    "path, expected",
    [("2024 04 18 Webpack & Babel.md", dt.date(2024, 4, 18)),
     ("2024.04.18.md", dt.date(2024, 4, 18)),
     ("TIL20221018.md", dt.date(2022, 10, 18)),
     ("2024-04-18-attention-is-all-you-need.md", dt.date(2024, 4, 18)),  # Jekyll _posts
     ("2026-05-19- 배치 사이즈와 OOM.md", dt.date(2026, 5, 19)),
     ("Attention 20240418aa1b2c3d4e5f60718293a4b5.md", None),  # Notion id is not a date
     ("TIL 2024/Attention 3f2a9c1e0b7d4e5f8a6b1c2d3e4f5a6b.md", None),
     ("2024-02-30.md", None)],
)
def test_file_name_shapes(path, expected):
    assert date_from_path(Path(path)) == expected


def test_notion_export_is_dated_by_its_property_line():
    text = "# Attention\n\nCreated: April 18, 2024 3:12 PM\nTags: nlp\n\n본문\n"
    parsed = note(text, "Attention 3f2a9c1e0b7d4e5f8a6b1c2d3e4f5a6b.md")
    assert parsed.date == dt.date(2024, 4, 18) and parsed.date_source == DateSource.DATE_LINE
    korean = note("생성 일시: 2024년 4월 19일 오후 3:12\n본문", "어텐션 3f2a9c1e0b7d4e5f8a6b1c2d3e4f5a6b.md")
    assert korean.date == dt.date(2024, 4, 19)


def test_a_korean_date_line_near_the_top_dates_the_note():
    assert note("# 2024년 8월 13일 (화)\n오늘은 어텐션.", "무제.md").date == dt.date(2024, 8, 13)
    assert date_from_body("회고\n\n2024년 8월 13일\n") == dt.date(2024, 8, 13)
    far = "\n".join(f"줄 {i}" for i in range(30)) + "\n2024년 8월 13일에 본 영화"
    assert date_from_body(far) is None  # a date mentioned in passing deep in the note is not its day


# -- encodings and Unicode -----------------------------------------------------------------

@pytest.mark.parametrize(
    "encode, label",
    [(lambda t: b"\xff\xfe" + t.encode("utf-16-le"), "UTF-16"),
     (lambda t: b"\xfe\xff" + t.encode("utf-16-be"), "UTF-16"),
     (lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), ""),
     (lambda t: t.encode("cp949"), "CP949"),
     (lambda t: t.encode("euc-kr"), "CP949")],
)
def test_encodings_are_detected(encode, label):
    text = "---\r\ndate: 2019-03-07\r\n---\r\n### 새로 배운 내용\r\n- 드롭아웃 비율은 0.1로 시작한다. 역전파와 체인 룰.\r\n"
    parsed = parse_note(Path("메모.md"), encode(text), 0.0)
    assert parsed.date == dt.date(2019, 3, 7) and "\r" not in parsed.raw
    assert "드롭아웃 비율" in parsed.sections[0].text
    assert not label or any(label in w for w in parsed.warnings)


def test_cp949_only_syllable_and_broken_utf8():
    assert "똠얌꿍" in parse_note(Path("a.md"), "### 회고\n똠얌꿍 먹음".encode("cp949")).body
    data = "### 새로 배운 내용\n- 학습률 워밍업".encode() + b" \xff\xfe " + "다".encode()[:2]
    parsed = parse_note(Path("a.md"), data)
    assert "학습률 워밍업" in parsed.body and any("invalid UTF-8" in w for w in parsed.warnings)


def test_nfd_text_is_indexed_nfc():
    nfd = unicodedata.normalize("NFD", "---\ntitle: 룩어헤드\ntags: [마스크]\n---\n### 회고\n패딩 마스크와 룩어헤드 마스크")
    parsed = note(nfd, "2026-09-14.md")
    assert parsed.title == "룩어헤드" and parsed.tags == ["마스크"]
    assert "룩어헤드 마스크" in parsed.sections[0].text and parsed.sections[0].heading == "회고"
    assert parsed.raw == nfd  # the editor gets the file's own characters


# -- chunks and import -----------------------------------------------------------------------

def test_a_60kb_one_line_log_in_a_fence_is_cut_to_the_budget():
    log = "```json\n" + '{"step": 1, "loss": 2.5}, ' * 2400 + "\n```"
    parsed = note(f"### 새로 배운 내용\n#### 로그\n{log}\n### 오늘의 회고\n- 커먼마크 스펙\n", "2026-10-08.md")
    chunks = chunk_note(parsed, "2026-10-08.md")
    assert max(len(c.body) for c in chunks) <= MAX_CHUNK_CHARS
    assert chunks[-1].section == "retro" and "커먼마크 스펙" in chunks[-1].body


def test_import_dates_every_shape_and_goes_on_past_bad_files(tmp_path):
    src = tmp_path / "til"
    src.mkdir()
    files = {
        "2024 04 18 Webpack.md": "웹팩",
        "TIL20221018.md": "til",
        "2024-04-19-jekyll-post.md": "---\nlayout: post\ntitle: [TIL] Spring\n---\n지킬",
        "Attention 3f2a9c1e0b7d4e5f8a6b1c2d3e4f5a6b.md": "Created: April 20, 2024 3:12 PM\n노션",
        "회고.md": "2024년 8월 13일\n한국어 날짜 줄",
        "bad-date.md": "---\ndate: 0000-00-00\ntags: 2026\n---\n날짜가 틀림",
        "utc.md": "---\ndate: 2026-05-19T23:30:00Z\n---\n타임스탬프",
        "utf16.md": None,
    }
    for name, text in files.items():
        if text is not None:
            (src / name).write_text(text, encoding="utf-8")
    (src / "utf16.md").write_bytes(b"\xff\xfe" + "날짜: 2019-03-06\r\n드롭아웃".encode("utf-16-le"))
    nfd_name = unicodedata.normalize("NFD", "어텐션 복습.md")
    (src / nfd_name).write_text(unicodedata.normalize("NFD", "날짜: 2026-09-17\n소프트맥스 온도"), encoding="utf-8")
    (src / "binary.md").write_bytes(b"\x00\x01\x02")
    for path in src.iterdir():
        os.utime(path, (1577836800, 1577836800))  # 2020-01-01: a fall-back to file time shows
    vault = Vault(tmp_path / "vault")
    report = import_folder(src, vault)
    days = {a.source: a.date for a in report.actions}
    assert days["2024 04 18 Webpack.md"] == "2024-04-18"
    assert days["TIL20221018.md"] == "2022-10-18"
    assert days["2024-04-19-jekyll-post.md"] == "2024-04-19"
    assert days["Attention 3f2a9c1e0b7d4e5f8a6b1c2d3e4f5a6b.md"] == "2024-04-20"
    assert days["회고.md"] == "2024-08-13"
    assert days["utf16.md"] == "2019-03-06"
    assert days["어텐션 복습.md"] == "2026-09-17"  # NFC source name
    bad = next(a for a in report.actions if a.source == "bad-date.md")
    assert bad.action == "copy" and bad.date_source == "mtime" and "not a real calendar day" in bad.message
    assert next(a for a in report.actions if a.source == "binary.md").action == "error"
    assert days["utc.md"] in ("2026-05-19", "2026-05-20")  # the machine's local day
    for path in vault.root.rglob("*.md"):
        data = path.read_bytes()
        assert b"\x00" not in data and not data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8")
        assert text == unicodedata.normalize("NFC", text) and text.startswith("---\n")
    # Every copy carries its day: scanning the vault gives the same days, whatever the zone.
    scanned = {n.date.isoformat() for n in vault.scan().notes}
    assert {"2024-04-18", "2022-10-18", "2024-08-13", "2019-03-06", "2026-09-17", days["utc.md"]} <= scanned
    assert (vault.root / "2026-09-17.md").exists()


def test_a_note_that_breaks_parse_or_chunk_is_named_and_skipped(tmp_path, monkeypatch, fake_embedder):
    """Fault isolation in scan and sync: a bug on one note never stops the run."""
    from studylog.config import Settings
    from studylog.index import sync
    from studylog.notes import vault as vault_module
    from studylog.service import StudyLogService

    for day in ("2026-10-01", "2026-10-02", "2026-10-03"):
        (tmp_path / f"{day}.md").write_text(f"### 회고\n{day} 어텐션 복습", encoding="utf-8")
    real_parse, real_chunk = vault_module.parse_note, sync.chunk_note

    def parse(path, data, mtime=None):
        if path.name == "2026-10-02.md":
            raise RuntimeError("parser bug")
        return real_parse(path, data, mtime)

    def chunk(note, rel):
        if rel == "2026-10-03.md":
            raise RuntimeError("chunker bug")
        return real_chunk(note, rel)

    monkeypatch.setattr(vault_module, "parse_note", parse)
    monkeypatch.setattr(sync, "chunk_note", chunk)
    report = StudyLogService(settings=Settings(), vault=tmp_path, embedder=fake_embedder).index()
    assert report.chunks == 1 and report.embedded == 1
    assert any("2026-10-02.md" in e and "parser bug" in e for e in report.errors)
    assert any("2026-10-03.md" in e and "chunker bug" in e for e in report.errors)
