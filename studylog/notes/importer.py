"""Bring a folder of Markdown (a TIL repo, an old notes dump) into the vault.

Each file's date comes from its front matter, file name or path, a `날짜:`/`Date:` line, or,
failing those, its modification time (flagged). A different note already in the vault for
the same date is never overwritten: the import is kept beside it as `YYYY-MM-DD-2.md`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from studylog.notes.model import DateSource, NoteError
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


def _digest(text: str) -> str:
    return hashlib.sha256(text.replace("\r\n", "\n").strip().encode("utf-8")).hexdigest()


def import_folder(source: Path, vault: Vault, dry_run: bool = False) -> ImportReport:
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
        rel = path.relative_to(source).as_posix()
        try:
            note = Vault(source).read(path)
        except NoteError as exc:
            report.actions.append(ImportAction(rel, "", "error", message=str(exc)))
            continue
        day = note.date.isoformat()
        text = note.raw
        if note.date_source != DateSource.FRONT_MATTER and not text.startswith("---"):
            text = f"---\ndate: {day}\n---\n{text}"
        message = "; ".join(note.warnings)
        same_day = by_date.get(day, [])
        if note.date_source == DateSource.MTIME:
            # No date in the file: keep its path so the user can find it again.
            target = vault.root / "imported" / rel
        else:
            target = vault.path_for(note.date)
        identical = any(_digest(p.read_text("utf-8", errors="replace")) in (_digest(text), _digest(note.raw)) for p in same_day if p.exists())
        if identical:
            report.actions.append(ImportAction(rel, vault.relative(same_day[0]), "skip-identical", day, note.date_source.value))
            continue
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
        report.actions.append(
            ImportAction(rel, vault.relative(target), action, day, note.date_source.value, message)
        )
        if not dry_run:
            vault.write(target, text)
    return report
