"""The vault: a folder of Markdown notes, one file per day, read and written safely."""

from __future__ import annotations

import datetime as dt
import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from studylog.notes.atomic import atomic_write_text
from studylog.notes.model import Note, NoteError
from studylog.notes.parser import date_from_path, parse_note
from studylog.notes.template import render_daily_template

MAX_NOTE_BYTES = 50 * 1024 * 1024
_SKIP_DIRS = {".git", ".obsidian", ".trash", "node_modules", ".studylog"}
DERIVED_DIRS = {"reviews"}
"""Top-level folders of notes StudyLog writes from other notes (weekly/monthly reviews): not
daily notes, so neither listed as days nor indexed (see `studylog.rag.review.REVIEWS_DIR`)."""


class VaultError(Exception):
    """A vault-level problem (missing folder, not writable); the message says what to do."""


@dataclass
class ScanResult:
    notes: list[Note]
    errors: list[str]  # files that could not be read, with the reason

    @property
    def warnings(self) -> list[str]:
        return [w for note in self.notes for w in note.warnings]


class Vault:
    def __init__(self, root: Path):
        self.root = Path(root).expanduser()

    def check(self, create: bool = False) -> None:
        if not self.root.exists():
            if not create:
                raise VaultError(
                    f"vault folder {self.root} does not exist "
                    "(create it with `studylog new`, or pass --vault DIR)"
                )
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise VaultError(f"cannot create vault folder {self.root}: {exc.strerror}") from exc
        if not self.root.is_dir():
            raise VaultError(f"vault path {self.root} is not a folder")

    def note_files(self) -> Iterator[Path]:
        """Every Markdown file under the vault, sorted, skipping tool folders."""
        if not self.root.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            top = Path(dirpath) == self.root
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")
                                 and not (top and d in DERIVED_DIRS))
            for name in sorted(filenames):
                if name.lower().endswith((".md", ".markdown")) and not name.startswith("."):
                    yield Path(dirpath) / name

    def read(self, path: Path) -> Note:
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > MAX_NOTE_BYTES:
                raise NoteError(f"{path}: {size / 1e6:.0f} MB is too large for a note (limit 50 MB)")
            data = path.read_bytes()
            return parse_note(path, data, path.stat().st_mtime)
        except OSError as exc:
            raise NoteError(f"{path}: cannot read ({exc.strerror})") from exc

    def scan(self) -> ScanResult:
        notes, errors = [], []
        for path in self.note_files():
            try:
                notes.append(self.read(path))
            except NoteError as exc:
                errors.append(str(exc))
            except Exception as exc:  # a parser bug must not stop the scan
                errors.append(f"{path}: could not be read ({type(exc).__name__}: {exc}); skipped")
        return ScanResult(notes=notes, errors=errors)

    def relative(self, path: Path) -> str:
        try:
            return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def path_for(self, date: dt.date) -> Path:
        return self.root / f"{date.isoformat()}.md"

    def find_day(self, date: dt.date) -> Path | None:
        """The file holding `date`'s note: `YYYY-MM-DD.md`, else any note dated that day.

        File names are checked first; only files whose name carries no date are parsed.
        """
        direct = self.path_for(date)
        if direct.exists():
            return direct
        undated = []
        for path in self.note_files():
            named = date_from_path(path.relative_to(self.root))
            if named == date:
                return path
            if named is None:
                undated.append(path)
        for path in undated:
            try:
                if self.read(path).date == date:
                    return path
            except NoteError:
                continue
        return None

    def write(self, path: Path, text: str) -> None:
        """Atomically replace or create a note; errors name the file and the cause."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, text)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                why = "the disk is full"
            elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                why = "the vault is not writable"
            else:
                why = exc.strerror or str(exc)
            raise VaultError(f"could not save {path}: {why}; the previous version is intact") from exc

    def create_new(self, relative: str, text: str) -> Path:
        """Write a new file at `relative` (or `name-2.md`, `name-3.md`, … when taken): never
        overwrites. The name is claimed with O_EXCL, then the text written atomically."""
        self.check()
        wanted = self.root / relative
        wanted.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 1000):
            path = wanted if attempt == 1 else wanted.with_name(f"{wanted.stem}-{attempt}{wanted.suffix}")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            except OSError as exc:
                raise VaultError(f"could not create {path}: {exc.strerror}") from exc
            os.close(fd)
            try:
                self.write(path, text)
            except VaultError:
                path.unlink(missing_ok=True)
                raise
            return path
        raise VaultError(f"could not save {wanted}: 999 files of that name already exist")

    def new_note(self, date: dt.date, language: str = "ko") -> tuple[Path, bool]:
        """Create the day's note from the template; never overwrites. Returns (path, created)."""
        self.check(create=True)
        existing = self.find_day(date)
        if existing:
            return existing, False
        path = self.path_for(date)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return path, False
        except OSError as exc:
            raise VaultError(f"could not create {path}: {exc.strerror}") from exc
        os.close(fd)
        try:
            self.write(path, render_daily_template(date, language))
        except VaultError:
            path.unlink(missing_ok=True)
            raise
        return path, True
