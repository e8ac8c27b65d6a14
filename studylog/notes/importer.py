"""Bring a folder of Markdown (a TIL repo, an old notes dump) into the vault.

Each file's date comes from its front matter, file name or path, a `날짜:`/`Date:` line, or,
failing those, its modification time (flagged). A different note already in the vault for
the same date is never overwritten: the import is kept beside it as `YYYY-MM-DD-2.md`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from studylog.notes.model import DateSource, Note, NoteError
from studylog.notes.vault import Vault, VaultError


@dataclass
class ImportAction:
    source: str
    target: str
    action: str  # "copy", "skip-identical", "keep-both", "error"
    date: str = ""
    date_source: str = ""
    message: str = ""


@dataclass
class ImportReport:
    actions: list[ImportAction] = field(default_factory=list)
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for a in self.actions if a.action == action)

    def to_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "copied": self.count("copy") + self.count("keep-both"),
            "identical": self.count("skip-identical"),
            "kept_both": self.count("keep-both"),
            "errors": self.count("error"),
            "actions": [a.__dict__ for a in self.actions],
        }


_DATE_KEY = re.compile(r"^date\s*:(.*)$")
_DATE_IS_DAY = re.compile(r"^date\s*:\s*[\"']?\d{4}-\d{2}-\d{2}[\"']?\s*$", re.M)


def _digest(text: str) -> str:
    return hashlib.sha256(text.replace("\r\n", "\n").strip().encode("utf-8")).hexdigest()


def import_folder(source: Path, vault: Vault, dry_run: bool = False) -> ImportReport:
    """Copy every Markdown file under `source` into `vault` as UTF-8, NFC, one file per day.

    Never overwrites; a file that cannot be read becomes an `error` action and the rest
    are still imported.
    """
    source = Path(source).expanduser()
    if not source.is_dir():
        raise VaultError(f"import source {source} is not a folder")
    if source.resolve() == vault.root.resolve():
        raise VaultError("the import source is the vault itself; use it in place with --vault")
    if not dry_run:
        vault.check(create=True)
    report = ImportReport(dry_run=dry_run)
    by_date: dict[str, list[Path]] = {}
    for existing in vault.scan().notes:
        by_date.setdefault(existing.date.isoformat(), []).append(existing.path)
    planned: set[Path] = set()
    for path in Vault(source).note_files():
        rel = unicodedata.normalize("NFC", path.relative_to(source).as_posix())
        # One file that cannot be read or written is an `error` action; the import goes on.
        try:
            action = _import_one(path, rel, vault, by_date, planned, dry_run)
        except (NoteError, VaultError) as exc:
            action = ImportAction(rel, "", "error", message=str(exc))
        except Exception as exc:  # a parser bug must not stop the whole import
            action = ImportAction(rel, "", "error", message=f"{path}: {type(exc).__name__}: {exc}")
        report.actions.append(action)
    return report


def _with_date(note: Note, day: str) -> str:
    """The note's text (NFC) with `date: day` in its front matter, so the vault copy keeps
    its day whatever its new name or the machine's zone. A different `date:` line (an
    impossible day, a UTC timestamp) is replaced and its old value kept as a comment."""
    text = unicodedata.normalize("NFC", note.raw)
    if not note.has_front_matter:
        return f"---\ndate: {day}\n---\n{text}"
    lines = text.split("\n")
    end = note.body_line_offset - 1  # the closing `---`
    for i in range(1, end):
        match = _DATE_KEY.match(lines[i])
        if match:
            old = match.group(1).strip()
            if old.strip("\"'") != day:
                lines[i] = f"date: {day}  # was: {old}" if old else f"date: {day}"
            return "\n".join(lines)
    lines.insert(1, f"date: {day}")
    return "\n".join(lines)


def _import_one(
    path: Path, rel: str, vault: Vault, by_date: dict[str, list[Path]], planned: set[Path], dry_run: bool
) -> ImportAction:
    note = Vault(path.parent).read(path)
    day = note.date.isoformat()
    text = unicodedata.normalize("NFC", note.raw)
    if note.date_source != DateSource.FRONT_MATTER or not _DATE_IS_DAY.search(text.split("\n---", 1)[0]):
        text = _with_date(note, day)
    message = "; ".join(note.warnings)
    same_day = by_date.get(day, [])
    if note.date_source == DateSource.MTIME:
        # No date in the file: keep its path so the user can find it again.
        target = vault.root / "imported" / rel
    else:
        target = vault.path_for(note.date)
    raw_nfc = unicodedata.normalize("NFC", note.raw)
    identical = any(
        _digest(p.read_text("utf-8", errors="replace")) in (_digest(text), _digest(raw_nfc))
        for p in same_day if p.exists()
    )
    if identical:
        return ImportAction(rel, vault.relative(same_day[0]), "skip-identical", day, note.date_source.value)
    action = "copy"
    if target.exists() or target in planned or (same_day and note.date_source != DateSource.MTIME):
        action = "keep-both"
        stem, n = target.stem, 2
        while target.exists() or target in planned:
            target = target.with_name(f"{stem}-{n}{target.suffix}")
            n += 1
        message = (message + "; " if message else "") + f"another note exists for {day}; kept both"
    planned.add(target)
    by_date.setdefault(day, []).append(target)
    if not dry_run:
        vault.write(target, text)  # UTF-8, whatever the source's encoding was
    return ImportAction(rel, vault.relative(target), action, day, note.date_source.value, message)
