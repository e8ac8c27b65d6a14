"""Notes: parsing, dates, sections, template, atomic writes, vault operations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from studylog.notes import atomic
from studylog.notes.model import DateSource, NoteError, SectionKind
from studylog.notes.parser import date_from_path, parse_note, parse_sections, section_kind
from studylog.notes.template import render_daily_template
from studylog.notes.vault import Vault, VaultError


def note(text: str, name: str = "2026-10-14.md", mtime: float | None = None):
    return parse_note(Path(name), text.encode("utf-8"), mtime)


def test_fixture_note_sections_and_front_matter(fixtures_vault):
    parsed = Vault(fixtures_vault).read(fixtures_vault / "2026-10-14.md")
    assert parsed.date == dt.date(2026, 10, 14)
    assert parsed.date_source == DateSource.FRONT_MATTER
    assert parsed.tags == ["attention", "nlp"]
    kinds = [s.kind for s in parsed.sections]
    assert kinds[0] == SectionKind.SCRUM and SectionKind.RETRO in kinds and SectionKind.LINKS in kinds
    topic = next(s for s in parsed.sections if "Scaled Dot-Product" in s.heading)
    assert topic.kind == SectionKind.LEARNED
    assert topic.heading_path == ("새로 배운 내용", "주제 4: Scaled Dot-Product Attention")
    lines = (fixtures_vault / "2026-10-14.md").read_text(encoding="utf-8").splitlines()
    assert lines[topic.start_line].startswith("#### 주제 4")


def test_every_fixture_note_parses(fixtures_vault):
    scan = Vault(fixtures_vault).scan()
    assert len(scan.notes) == 45 and not scan.errors
    assert all(n.date_source in (DateSource.FRONT_MATTER, DateSource.FILE_NAME) for n in scan.notes)


@pytest.mark.parametrize(
    "heading, kind",
    [
        ("스크럼", SectionKind.SCRUM),
        ("🗓️ 스크럼", SectionKind.SCRUM),
        ("**새로 배운 내용**", SectionKind.LEARNED),
        ("✅ 오늘의 도전 과제와 해결 방법", SectionKind.CHALLENGES),
        ("오늘의 회고 💭", SectionKind.RETRO),
        ("참고 자료 및 링크", SectionKind.LINKS),
        ("What I learned", SectionKind.LEARNED),
        ("Challenges and fixes", SectionKind.CHALLENGES),
        ("Retrospective", SectionKind.RETRO),
        ("References and links", SectionKind.LINKS),
        ("주제 1: 트랜스포머", None),
    ],
)
def test_section_names_with_emoji_and_english(heading, kind):
    assert section_kind(heading) == kind


def test_heading_levels_and_code_fences():
    sections = parse_sections(
        "## 새로 배운 내용\n### LoRA\n```python\n# not a heading\nx = 1\n```\n## Retrospective\n* ok\n"
    )
    assert [s.heading for s in sections] == ["새로 배운 내용", "LoRA", "Retrospective"]
    assert sections[1].kind == SectionKind.LEARNED and "# not a heading" in sections[1].text
    assert sections[2].kind == SectionKind.RETRO


def test_free_form_note_is_one_section():
    parsed = note("오늘은 그냥 메모.\n\n어텐션 복습함.", name="2026-11-01.md")
    assert len(parsed.sections) == 1 and parsed.sections[0].kind == SectionKind.OTHER


@pytest.mark.parametrize(
    "path, expected",
    [
        ("2024-04-18.md", dt.date(2024, 4, 18)),
        ("20240418.md", dt.date(2024, 4, 18)),
        ("2024/04/18.md", dt.date(2024, 4, 18)),
        ("til/2024/4/18.md", dt.date(2024, 4, 18)),
        ("2024_04_18 attention.md", dt.date(2024, 4, 18)),
        ("2024-04-18-2.md", dt.date(2024, 4, 18)),
        ("notes.md", None),
        ("2024-13-40.md", None),
    ],
)
def test_date_from_path(path, expected):
    assert date_from_path(Path(path)) == expected


def test_date_line_and_mtime_fallback():
    assert note("날짜: 2024-04-18\n내용", name="memo.md").date == dt.date(2024, 4, 18)
    assert note("Date: 2024.4.9\nbody", name="memo.md").date_source == DateSource.DATE_LINE
    stamp = dt.datetime(2025, 1, 2, 12).timestamp()
    guessed = note("no date here", name="memo.md", mtime=stamp)
    assert guessed.date == dt.date(2025, 1, 2) and guessed.date_source == DateSource.MTIME
    assert any("no date found" in w for w in guessed.warnings)


def test_bad_front_matter_is_kept_as_warning():
    parsed = note("---\ndate: [unclosed\n---\n### 회고\n* 좋았다\n", name="2026-10-01.md")
    assert parsed.date == dt.date(2026, 10, 1)
    assert any("not valid YAML" in w for w in parsed.warnings)
    assert parsed.sections[0].kind == SectionKind.RETRO


def test_invalid_utf8_and_cp949_and_binary(tmp_path):
    cp949 = parse_note(Path("2026-10-01.md"), "### 회고\n좋았다".encode("cp949"))
    assert "좋았다" in cp949.body and any("CP949" in w for w in cp949.warnings)
    broken = parse_note(Path("2026-10-01.md"), b"### ok\n\xff\xfe\xfa bad")
    assert "\ufffd" in broken.body and any("invalid UTF-8" in w for w in broken.warnings)
    with pytest.raises(NoteError, match="binary"):
        parse_note(Path("2026-10-01.md"), b"\x89PNG\r\n\x1a\n\x00\x00")


def test_template_has_the_seed_sections():
    ko = render_daily_template(dt.date(2026, 11, 28), "ko")
    assert "date: 2026-11-28" in ko
    for heading in ("스크럼", "새로 배운 내용", "오늘의 도전 과제와 해결 방법", "오늘의 회고", "참고 자료 및 링크"):
        assert f"### {heading}" in ko
    en_kinds = {s.kind for s in note(render_daily_template(dt.date(2026, 11, 28), "en")).sections}
    assert {SectionKind.SCRUM, SectionKind.LEARNED, SectionKind.CHALLENGES, SectionKind.RETRO, SectionKind.LINKS} <= en_kinds


def test_new_note_never_overwrites(tmp_path):
    vault = Vault(tmp_path / "v")
    path, created = vault.new_note(dt.date(2026, 11, 28))
    assert created and path.name == "2026-11-28.md"
    path.write_text("my own words", encoding="utf-8")
    again, created_again = vault.new_note(dt.date(2026, 11, 28))
    assert again == path and not created_again
    assert path.read_text(encoding="utf-8") == "my own words"


def test_failed_atomic_write_leaves_file_intact(tmp_path, monkeypatch):
    target = tmp_path / "2026-11-28.md"
    target.write_text("original", encoding="utf-8")

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", boom)
    with pytest.raises(VaultError, match="disk is full"):
        Vault(tmp_path).write(target, "new text that never lands")
    assert target.read_text(encoding="utf-8") == "original"
    assert [p.name for p in tmp_path.iterdir()] == ["2026-11-28.md"]  # no temp file left


def test_new_files_get_normal_permissions(tmp_path):
    Vault(tmp_path).write(tmp_path / "a.md", "x")
    assert (tmp_path / "a.md").stat().st_mode & 0o044  # readable by others like any editor's file


def test_read_only_vault(tmp_path, monkeypatch):
    """Root ignores permission bits, so the read-only file system is simulated."""
    target = tmp_path / "2026-11-28.md"
    target.write_text("original", encoding="utf-8")

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", read_only)
    with pytest.raises(VaultError, match="not writable"):
        Vault(tmp_path).write(target, "x")
    assert target.read_text(encoding="utf-8") == "original"
    monkeypatch.undo()
    assert Vault(tmp_path).scan().notes  # reading still works


def test_missing_vault_is_a_clear_error(tmp_path):
    with pytest.raises(VaultError, match="does not exist"):
        Vault(tmp_path / "nope").check()


def test_scan_reports_bad_files_and_keeps_the_rest(tmp_path):
    (tmp_path / "2026-10-01.md").write_text("### 회고\n좋았다", encoding="utf-8")
    (tmp_path / "2026-10-02.md").write_bytes(b"\x00\x01binary")
    (tmp_path / "2026-10-03.md").write_text("", encoding="utf-8")
    (tmp_path / "어텐션 정리 🧠.md").write_text("날짜: 2026-10-04\n어텐션", encoding="utf-8")
    big = "### 새로 배운 내용\n" + ("어텐션은 가중 평균이다. " * 20 + "\n\n") * 2000
    (tmp_path / "2026-10-05.md").write_text(big, encoding="utf-8")
    scan = Vault(tmp_path).scan()
    assert {n.date.day for n in scan.notes} == {1, 3, 4, 5}
    assert len(scan.errors) == 1 and "2026-10-02.md" in scan.errors[0]
    assert any("empty note" in w for w in scan.warnings)
