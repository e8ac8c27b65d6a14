"""Section-aware chunking.

One chunk per section (its heading path and the note's date written into the text, so both
the embedder and the keyword index see them); long sections are split at paragraph
boundaries with overlap, keeping fenced code blocks and tables whole where they fit; a
block over the budget (a 60 KB one-line log in a fence) is cut at lines, sentences, then
characters, so no chunk exceeds `MAX_CHUNK_CHARS` plus its header line.
Chunks never straddle two notes, hence never two days.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from studylog.notes.model import Note
from studylog.notes.parser import markdown_blocks

MAX_CHUNK_CHARS = 1200
OVERLAP_CHARS = 200
MIN_CHUNK_CHARS = 20

_SECTION_LABELS = {
    "scrum": "스크럼",
    "learned": "새로 배운 내용",
    "challenges": "도전 과제와 해결 방법",
    "retro": "회고",
    "links": "참고 자료",
    "other": "",
}


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str  # what is embedded and keyword-indexed: header line + body
    body: str  # the section text alone (for snippets and evidence)
    path: str  # note path relative to the vault
    date: str  # YYYY-MM-DD
    date_int: int  # YYYYMMDD, for $gte/$lte filters
    section: str  # template section kind
    heading: str
    heading_path: str  # "새로 배운 내용 > 주제 4: Scaled Dot-Product Attention"
    start_line: int
    order: int
    tags: str
    content_hash: str

    def metadata(self) -> dict[str, str | int]:
        return {
            "path": self.path,
            "date": self.date_int,
            "date_iso": self.date,
            "section": self.section,
            "heading": self.heading,
            "heading_path": self.heading_path,
            "start_line": self.start_line,
            "order": self.order,
            "tags": self.tags,
            "hash": self.content_hash,
        }


def _blocks(text: str) -> list[str]:
    """Paragraph-level blocks; a fenced code block (any fence), a table or a list stays one
    block. The block boundaries are markdown-it's (CommonMark), via `markdown_blocks`."""
    lines = text.split("\n")
    blocks = ["\n".join(lines[begin:end]).strip("\n") for begin, end in markdown_blocks(text)]
    return [b for b in blocks if b.strip()]


def _hard_split(block: str, size: int) -> list[str]:
    """Split an oversized block at line, then sentence, then character boundaries."""
    pieces: list[str] = []
    current = ""
    # Split *after* the whitespace that follows a sentence end, so the pieces concatenate
    # back to the block exactly (splitting on the whitespace itself glued "average.어텐션").
    for unit in re.split(r"(?<=\n)|(?<=[.!?。][ \t])", block):
        if not unit:
            continue
        while len(unit) > size:
            pieces.append(current + unit[: size - len(current)])
            unit = unit[size - len(current):]
            current = ""
        if len(current) + len(unit) > size and current:
            pieces.append(current)
            current = ""
        current += unit
    if current.strip():
        pieces.append(current)
    return pieces


def split_text(text: str, size: int = MAX_CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[str]:
    """Pack blocks into pieces of at most `size` chars, carrying `overlap` chars of context."""
    text = text.strip()
    if len(text) <= size:
        return [text] if text else []
    blocks: list[str] = []
    for block in _blocks(text):
        blocks.extend([block] if len(block) <= size else _hard_split(block, size))
    pieces: list[str] = []
    current: list[str] = []
    length = 0
    for block in blocks:
        if current and length + len(block) + 2 > size:
            pieces.append("\n\n".join(current))
            tail: list[str] = []
            tail_len = 0
            for previous in reversed(current):
                if tail_len + len(previous) > overlap:
                    break
                tail.insert(0, previous)
                tail_len += len(previous) + 2
            current, length = tail, tail_len
            if length + len(block) + 2 > size:
                current, length = [], 0
        current.append(block)
        length += len(block) + 2
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def chunk_note(note: Note, rel_path: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    date = note.date.isoformat()
    tags = ",".join(note.tags)
    for section in note.sections:
        if len(section.text.strip()) < MIN_CHUNK_CHARS and not section.heading:
            continue
        if not section.text.strip():
            continue
        heading_path = " > ".join(section.heading_path)
        label = heading_path or _SECTION_LABELS.get(section.kind.value, "")
        for piece in split_text(section.text):
            header = f"{date} · {label}" if label else date
            text = f"{header}\n{piece}"
            order = len(chunks)
            chunks.append(
                Chunk(
                    id=f"{rel_path}#{order}",
                    text=text,
                    body=piece,
                    path=rel_path,
                    date=date,
                    date_int=note.date_int,
                    section=section.kind.value,
                    heading=section.heading,
                    heading_path=heading_path,
                    start_line=section.start_line,
                    order=order,
                    tags=tags,
                    content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:32],
                )
            )
    return chunks
