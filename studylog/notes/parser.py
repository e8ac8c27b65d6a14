"""Read a Markdown file into a Note: decoding, front matter, date, sections.

Lenient by design: a note is the user's own text, so the parser keeps whatever it can and
records what it had to guess in `Note.warnings`; only files that are not text raise.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import yaml

from studylog.notes.model import DateSource, Note, NoteError, Section, SectionKind

# libyaml's loader when present: ~10x faster, which is most of re-scanning a large vault.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_DATE_LINE = re.compile(
    r"^\s*(?:[-*]\s*)?(?:\*\*)?(?:날짜|일자|Date)(?:\*\*)?\s*[:：]\s*(\d{4})[-./년 ]\s*(\d{1,2})[-./월 ]\s*(\d{1,2})",
    re.I | re.M,
)
_NAME_PATTERNS = [
    re.compile(r"(?<!\d)(\d{4})[-_.](\d{2})[-_.](\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
]
_PATH_PATTERN = re.compile(r"(?<!\d)(\d{4})[/\\](\d{1,2})[/\\-](\d{1,2})(?!\d)")

# Heading words that identify the daily template's sections (matched after cleaning).
_SECTION_NAMES: dict[SectionKind, tuple[str, ...]] = {
    SectionKind.SCRUM: ("스크럼", "scrum", "오늘의 목표", "학습 목표", "goals", "today's goals", "daily goals", "stand-up", "standup"),
    SectionKind.LEARNED: ("새로 배운 내용", "배운 내용", "오늘 배운 내용", "what i learned", "learned", "today i learned", "til", "new things i learned"),
    SectionKind.CHALLENGES: ("오늘의 도전 과제와 해결 방법", "도전 과제와 해결 방법", "도전 과제", "문제와 해결", "트러블슈팅", "challenges and fixes", "challenges and solutions", "challenges", "troubleshooting", "problems and fixes"),
    SectionKind.RETRO: ("오늘의 회고", "회고", "retrospective", "reflection", "retro"),
    SectionKind.LINKS: ("참고 자료 및 링크", "참고 자료", "참고 링크", "링크", "references and links", "references", "links", "resources"),
}


class _Kinds:
    lookup = {name: kind for kind, names in _SECTION_NAMES.items() for name in names}


def clean_heading(text: str) -> str:
    """Heading text without Markdown emphasis, emoji and decoration."""
    text = re.sub(r"[*_`]{1,3}", "", text)
    text = "".join(
        ch for ch in text
        if not unicodedata.category(ch).startswith("S") or ch in "√+-=<>/&%$#@"
    )
    text = text.replace("\ufe0f", "")
    return re.sub(r"\s+", " ", text).strip(" :-—")


def section_kind(heading: str) -> SectionKind | None:
    key = clean_heading(heading).lower()
    key = re.sub(r"^\d+[.)]\s*", "", key)
    return _Kinds.lookup.get(key)


def decode_note_bytes(data: bytes, path: Path) -> tuple[str, list[str]]:
    """Text of a note file; raises NoteError for binary files."""
    warnings: list[str] = []
    if b"\x00" in data[:8192]:
        raise NoteError(f"{path}: looks like a binary file (NUL bytes), not Markdown; skipped")
    try:
        return data.decode("utf-8-sig"), warnings
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("cp949")
            warnings.append(f"{path}: not UTF-8; read as CP949 (EUC-KR)")
            return text, warnings
        except UnicodeDecodeError:
            warnings.append(
                f"{path}: invalid UTF-8 at byte {exc.start}; unreadable bytes shown as \ufffd"
            )
            return data.decode("utf-8", errors="replace"), warnings


def _valid_date(y: str, m: str, d: str) -> dt.date | None:
    try:
        date = dt.date(int(y), int(m), int(d))
    except ValueError:
        return None
    return date if 1900 <= date.year <= 2200 else None


def date_from_path(path: Path) -> dt.date | None:
    """Date in a file name (`2024-04-18.md`, `20240418.md`) or path (`2024/04/18.md`)."""
    for pattern in _NAME_PATTERNS:
        for match in pattern.finditer(path.stem):
            date = _valid_date(*match.groups())
            if date:
                return date
    joined = "/".join(path.with_suffix("").parts[-3:])
    for match in _PATH_PATTERN.finditer(joined):
        date = _valid_date(*match.groups())
        if date:
            return date
    return None


def _front_matter_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        match = re.match(r"\s*(\d{4})[-./](\d{1,2})[-./](\d{1,2})", value)
        if match:
            return _valid_date(*match.groups())
    return None


def parse_sections(body: str, line_offset: int = 0) -> list[Section]:
    """Split Markdown into sections at ATX headings, ignoring `#` lines inside code fences."""
    sections: list[Section] = []
    stack: list[tuple[int, str, SectionKind | None]] = []  # (level, heading, kind)
    current_heading, current_level, current_start = "", 0, line_offset
    buffer: list[str] = []
    fence: str | None = None

    def flush() -> None:
        text = "\n".join(buffer).strip("\n")
        if not current_heading and not text.strip():
            return
        kind = next((k for _, _, k in reversed(stack) if k is not None), None)
        path = tuple(h for _, h, _ in stack)
        sections.append(
            Section(
                heading=current_heading,
                level=current_level,
                heading_path=path,
                kind=kind or SectionKind.OTHER,
                text=text,
                start_line=current_start,
            )
        )

    for number, line in enumerate(body.splitlines()):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
            buffer.append(line)
            continue
        heading = None if fence else _HEADING.match(line)
        if not heading:
            buffer.append(line)
            continue
        flush()
        buffer = []
        level = len(heading.group(1))
        title = clean_heading(heading.group(2))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title, section_kind(title)))
        current_heading, current_level, current_start = title, level, number + line_offset
    flush()
    return sections


def parse_note(path: Path, data: bytes, mtime: float | None = None) -> Note:
    """Parse one note file. Raises NoteError only when the file is not text at all."""
    path = Path(path)
    raw, warnings = decode_note_bytes(data, path)
    raw = raw.replace("\r\n", "\n")
    body, meta, offset = raw, {}, 0
    match = _FRONT_MATTER.match(raw)
    if match:
        try:
            loaded = yaml.load(match.group(1), Loader=_YAML_LOADER)
            if isinstance(loaded, dict):
                meta = loaded
            elif loaded is not None:
                warnings.append(f"{path}: front matter is not a mapping; ignored")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 2})" if mark else ""
            warnings.append(f"{path}: front matter is not valid YAML{where}; ignored")
        body = raw[match.end():]
        offset = raw[: match.end()].count("\n")

    date, source = _front_matter_date(meta.get("date")), DateSource.FRONT_MATTER
    if date is None:
        date, source = date_from_path(path), DateSource.FILE_NAME
    if date is None:
        line = _DATE_LINE.search(body)
        date = _valid_date(*line.groups()) if line else None
        source = DateSource.DATE_LINE
    if date is None:
        stamp = mtime if mtime is not None else (path.stat().st_mtime if path.exists() else 0)
        date, source = dt.date.fromtimestamp(stamp), DateSource.MTIME
        warnings.append(f"{path}: no date found; using the file's modification date {date}")

    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in re.split(r"[,\s]+", tags) if t.strip()]
    title = str(meta.get("title") or "")
    if not body.strip():
        warnings.append(f"{path}: empty note")
    return Note(
        path=path,
        date=date,
        date_source=source,
        body=body,
        raw=raw,
        title=title,
        tags=[str(t) for t in tags if t is not None],
        sections=parse_sections(body, offset),
        warnings=warnings,
        body_line_offset=offset,
    )
