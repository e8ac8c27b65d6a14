"""Read a Markdown file into a Note: decoding, front matter, date, sections.

Lenient by design: a note is the user's own text, so the parser keeps whatever it can and
records what it had to guess in `Note.warnings` (each naming the file and the reason).
Only files that are not text raise (`NoteError`); any text file gives a Note.

The Markdown structure comes from `markdown-it-py`, a CommonMark parser, not from
hand-written rules: its block tokens (with `token.map` line ranges) decide where headings,
code fences (any length, backticks or tildes) and tables are, so a `#` line inside a fence
is never a heading and `### C#` keeps its `#`. The `front_matter` plugin of
`mdit-py-plugins` finds a `---` block at the very top; it counts as front matter only when
its YAML is a mapping (or clearly meant as one but broken), otherwise it is note text.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from studylog.notes.dating import date_from_body, date_from_path, date_from_value
from studylog.notes.decoding import decode_note_bytes
from studylog.notes.model import DateSource, Note, NoteError, Section, SectionKind

__all__ = [
    "NoteError", "clean_heading", "date_from_path", "decode_note_bytes", "markdown_blocks",
    "parse_note", "parse_sections", "section_kind",
]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's safe loader (~10x faster) that leaves timestamps as strings.

    PyYAML turns `2026-02-30` into a `ValueError` (not a YAMLError) while loading; reading
    timestamps as text lets `dating` judge them, zone included, without losing the mapping.
    """


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))

# CommonMark plus GFM tables; inline parsing is switched off (only block structure is
# needed, and it keeps a multi-megabyte note cheap).
_MD = MarkdownIt("commonmark").enable("table").disable("inline")
_MD_FRONT = MarkdownIt("commonmark").enable("table").disable("inline").use(front_matter_plugin)

_DATE_KEYS = ("date", "created", "created_at", "published", "pubDate")
_META_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s?(.*)$")
_SETEXT_MAX = 80  # a longer "setext heading" is a paragraph above a `---` divider
MAX_META_CHARS = 500  # a title or tag longer than this is not one; it is cut

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
    """The daily-template section a heading names (Korean or English), else None."""
    key = clean_heading(heading).lower()
    key = re.sub(r"^\d+[.)]\s*", "", key)
    return _Kinds.lookup.get(key)





def markdown_blocks(text: str) -> list[tuple[int, int]]:
    """Top-level Markdown blocks of `text` as `(first_line, end_line)` ranges.

    A fenced code block, a table, a list or a paragraph is one block (from markdown-it's
    `token.map`); non-blank lines no block covers (link reference definitions) become
    blocks of their own, so joining the ranges loses no text.
    """
    ranges: list[tuple[int, int]] = []
    for token in _MD.parse(text):
        if token.level == 0 and token.map and token.nesting >= 0:
            ranges.append((token.map[0], token.map[1]))
    lines = text.split("\n")
    covered = 0
    out: list[tuple[int, int]] = []
    for begin, end in ranges + [(len(lines), len(lines))]:
        gap = [i for i in range(covered, begin) if lines[i].strip()]
        if gap:
            out.append((gap[0], gap[-1] + 1))
        if begin < end:
            out.append((begin, end))
        covered = max(covered, end)
    return out


def _headings(tokens: list[Token]) -> list[tuple[int, int, int, str]]:
    """Top-level headings as (level, first line, first body line, raw text)."""
    found = []
    previous = ""  # type of the previous top-level block
    for i, token in enumerate(tokens):
        if token.level != 0 or token.nesting < 0:
            continue
        after_rule, previous = previous == "hr", token.type
        if token.type != "heading_open" or not token.map:
            continue
        content = tokens[i + 1].content if i + 1 < len(tokens) else ""
        if token.markup in ("=", "-") and (
            "\n" in content or len(content) > _SETEXT_MAX or (token.markup == "-" and after_rule)
        ):
            # A paragraph with a `---` divider under it (long, or framed by two rules, as
            # Korean TIL notes write them) is text, not a heading; it stays in the section.
            continue
        found.append((int(token.tag[1]), token.map[0], token.map[1], content))
    return found


def _sections(lines: list[str], tokens: list[Token], body_start: int) -> list[Section]:
    sections: list[Section] = []
    stack: list[tuple[int, str, SectionKind | None]] = []  # (level, heading, kind)

    def add(heading: str, level: int, start: int, text_from: int, text_to: int) -> None:
        text = "\n".join(lines[text_from:text_to]).strip("\n")
        if not heading and not text.strip():
            return
        kind = next((k for _, _, k in reversed(stack) if k is not None), None)
        sections.append(
            Section(
                heading=heading,
                level=level,
                heading_path=tuple(h for _, h, _ in stack),
                kind=kind or SectionKind.OTHER,
                text=text,
                start_line=start,
            )
        )

    current = ("", 0, body_start, body_start)  # heading, level, heading line, text start
    for level, first, body_first, content in _headings(tokens):
        if first < body_start:
            continue
        add(current[0], current[1], current[2], current[3], first)
        title = clean_heading(content)
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title, section_kind(title)))
        current = (title, level, first, body_first)
    add(current[0], current[1], current[2], current[3], len(lines))
    return sections


def parse_sections(body: str, line_offset: int = 0) -> list[Section]:
    """Split Markdown into sections at top-level headings (CommonMark: fences, `C#`, setext).

    Each section's text is the source lines between its heading and the next one, so
    nothing between headings is dropped; `start_line` is the heading's line plus
    `line_offset` (the front matter's length when `body` follows one).
    """
    lines = body.split("\n")
    padded = [""] * line_offset + lines
    tokens = _MD.parse(body)
    for token in tokens:
        if token.map:
            token.map = [token.map[0] + line_offset, token.map[1] + line_offset]
    return _sections(padded, tokens, line_offset)


def _clip(value: str) -> str:
    return value if len(value) <= MAX_META_CHARS else value[:MAX_META_CHARS]


def _coerce_tags(value: object) -> tuple[list[str], str]:
    """Tags as strings: a list, a comma/space string, or a scalar (`tags: 2026`); None dropped."""
    if value is None or value == "":
        return [], ""
    if isinstance(value, str):
        items: list[object] = [t for t in re.split(r"[,\s]+", value) if t]
    elif isinstance(value, (list, tuple, set)):
        items = []
        for item in value:
            items.extend(item if isinstance(item, (list, tuple)) else [item])
    elif isinstance(value, (int, float, bool, dt.date)):
        items = [value]
    else:
        return [], f"tags are a {type(value).__name__}; ignored"
    tags: list[str] = []
    for item in items:
        if item is None or isinstance(item, dict):
            continue
        tag = _clip(str(item).strip().lstrip("#"))
        if tag and tag not in tags:
            tags.append(tag)
    return tags, ""


def _lenient_meta(block: str) -> dict[str, str]:
    """Top-level `key: value` lines of front matter that YAML rejected (velog's unescaped
    quotes, `C:\\Program Files` in a double-quoted string, `title: [TIL] …`)."""
    meta: dict[str, str] = {}
    for line in block.split("\n"):
        match = _META_LINE.match(line)
        if match and match.group(1) not in meta:
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            meta[match.group(1)] = value
    if isinstance(meta.get("tags"), str):
        meta["tags"] = meta["tags"].strip("[]").replace("\"", "").replace("'", "")
    return meta


def _front_matter(raw: str, path: Path, warnings: list[str]) -> tuple[dict | None, list[Token], int]:
    """(mapping, tokens of the whole text, first body line) when a front-matter block opens
    the note; (None, tokens, 0) when there is none or the block is note text."""
    tokens = _MD_FRONT.parse(raw)
    if not tokens or tokens[0].type != "front_matter" or not tokens[0].map:
        return None, tokens, 0
    block, end = tokens[0].content, tokens[0].map[1]
    try:
        loaded = yaml.load(block, Loader=_Loader)
    except Exception as exc:  # YAMLError, and anything a hostile block provokes
        lines = [line for line in block.split("\n") if line.strip() and not line.lstrip().startswith("#")]
        if lines and _META_LINE.match(lines[0]):
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 2})" if mark else ""
            warnings.append(f"{path}: front matter is not valid YAML{where}; read its `key: value` lines only")
            return _lenient_meta(block), tokens[1:], end
        loaded = block  # not meant as front matter: note text
    if loaded is None:
        return {}, tokens[1:], end
    if isinstance(loaded, dict):
        return {str(k): v for k, v in loaded.items()}, tokens[1:], end
    warnings.append(
        f"{path}: the opening `---` block is a YAML {type(loaded).__name__}, not front matter; kept as note text"
    )
    return None, _MD.parse(raw), 0


def parse_note(
    path: Path, data: bytes, mtime: float | None = None, tz: dt.tzinfo | None = None
) -> Note:
    """Parse one note file; raises NoteError only when the file is not text at all.

    Dating rules, first that gives a real day wins: front matter `date:` (or `created:`);
    the file name or folders; a `날짜:`/`Date:` line or a `2024년 8월 13일` line near the top;
    the file's modification time (flagged). A timestamp with a zone is the local day in
    `tz` (default: this machine's zone). Text is NFC-normalised for sections, title and
    tags (macOS writes Hangul decomposed); `Note.raw` keeps the file's own characters.
    """
    path = Path(path)
    raw, warnings = decode_note_bytes(data, path)
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", raw)
    found, tokens, offset = _front_matter(text, path, warnings)
    meta = found if found is not None else {}
    lines = text.split("\n")
    body = "\n".join(lines[offset:])

    date, source = None, DateSource.FRONT_MATTER
    for key in _DATE_KEYS:
        if key not in meta:
            continue
        date, why = date_from_value(meta[key], tz)
        if date is not None:
            break
        if why:
            warnings.append(f"{path}: front-matter {key} ignored: {why}")
    if date is None:
        date, source = date_from_path(path), DateSource.FILE_NAME
    if date is None:
        date, source = date_from_body(body, tz), DateSource.DATE_LINE
    if date is None:
        stamp = mtime if mtime is not None else (path.stat().st_mtime if path.exists() else 0)
        try:
            date = dt.date.fromtimestamp(stamp)
        except (ValueError, OverflowError, OSError):
            date = dt.date(1970, 1, 1)
        source = DateSource.MTIME
        warnings.append(f"{path}: no date found; using the file's modification date {date}")

    tags, why = _coerce_tags(meta.get("tags"))
    if why:
        warnings.append(f"{path}: {why}")
    title_value = meta.get("title")
    title = _clip(str(title_value)) if isinstance(title_value, (str, int, float)) and not isinstance(title_value, bool) else ""
    if title_value is not None and not title and not isinstance(title_value, str):
        warnings.append(f"{path}: title is a {type(title_value).__name__}; ignored")
    if not body.strip():
        warnings.append(f"{path}: empty note")
    return Note(
        path=path,
        date=date,
        date_source=source,
        body=body,
        raw=raw,
        title=title,
        tags=tags,
        sections=_sections(lines, tokens, offset),
        warnings=warnings,
        body_line_offset=offset,
        has_front_matter=found is not None,
    )
