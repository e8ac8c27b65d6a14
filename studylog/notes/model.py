"""Plain data for notes and their sections."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class SectionKind(StrEnum):
    """The daily template's sections, recognised in Korean or English."""

    SCRUM = "scrum"
    LEARNED = "learned"
    CHALLENGES = "challenges"
    RETRO = "retro"
    LINKS = "links"
    OTHER = "other"


@dataclass(frozen=True)
class Section:
    """A heading and the text under it (up to the next heading of any level)."""

    heading: str  # cleaned heading text ("" for text before the first heading)
    level: int  # 1..6, 0 for the preamble
    heading_path: tuple[str, ...]  # ancestors + own heading
    kind: SectionKind  # the template section this falls under
    text: str  # body text, without the heading line
    start_line: int  # 0-based line of the heading in the note body (file line offset applied)


class DateSource(StrEnum):
    FRONT_MATTER = "front_matter"
    FILE_NAME = "file_name"
    DATE_LINE = "date_line"
    MTIME = "mtime"  # a guess: flagged to the user


@dataclass
class Note:
    path: Path
    date: dt.date
    date_source: DateSource
    body: str  # Markdown after the front matter
    raw: str  # the whole file as read
    title: str = ""
    tags: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    body_line_offset: int = 0  # lines of front matter before the body
    has_front_matter: bool = False  # the file opens with a front-matter mapping (maybe broken YAML)

    @property
    def date_int(self) -> int:
        return self.date.year * 10000 + self.date.month * 100 + self.date.day


class NoteError(Exception):
    """A file that cannot be read as a note; the message names the file."""
