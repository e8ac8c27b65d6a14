"""Never overwrite what the app has not read: the writer's memory of each note on disk.

Every read and write of a note goes through the one writer thread (`Backend.notes`), and so
does this guard: it remembers the state (mtime, size, sha256) and the text of what the app
last read or wrote for each path, and a save first compares the file on disk with that
memory. When another program changed the file in between (an editor, a `git pull`, a sync
client), the two edits are merged line by line when they touch different lines (`text_merge`);
when they touch the same lines, the app's text is written to a conflict copy beside the note
instead, and the note keeps what the other program wrote. Nothing is overwritten, so no word
is lost on either side.

Why the disk wins the note and the app's text goes to the copy (Syncthing's convention): the
other program may be a sync client or git, which expect the file they wrote to stay; and the
conflict copy is the app's own file, which it may rewrite freely while the user keeps typing.

The check and the atomic replace are two steps (the service writes a temp file and fsyncs it
in between: milliseconds), and editors take no lock. A program that writes the note in place
during that window writes into the file the replace just unlinked: a hidden hard link keeps
that old file reachable, so its new text is found and merged (or kept in a conflict copy).
A write landing just after the replace is caught too: the state remembered is that of the
bytes the app meant to write, so the next save sees the difference.

Plain Python, no Qt: used on a worker thread only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studylog.gui.text_merge import merge3
from studylog.notes.atomic import atomic_write_text

READ_ATTEMPTS = 3


@dataclass(frozen=True)
class DiskState:
    """What a file on disk held at one moment."""

    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> DiskState | None:
        """The file's state now, or None when there is no file."""
        try:
            before = os.stat(path)
            data = Path(path).read_bytes()
        except FileNotFoundError:
            return None
        return cls(before.st_mtime_ns, len(data), hashlib.sha256(data).hexdigest())

    def same_content(self, other: DiskState | None) -> bool:
        """True when `other` holds the same bytes (a `touch` or an identical rewrite is no change)."""
        return other is not None and other.size == self.size and other.sha256 == self.sha256


@dataclass
class SaveOutcome:
    """What a guarded save did: wrote the note, or kept the app's text in a conflict copy."""

    path: Path
    conflict_copy: Path | None = None
    disk_note: Any = None  # the note as the other program left it (a Note), when there was a conflict
    generation: int = 0  # the read generation the editor's text is now based on
    merged_text: str | None = None  # both edits merged into the note: the text now on disk
    late_copy: Path | None = None  # another program's text that landed mid-save, kept in a copy
    stale: bool = False  # an older text, queued before a conflict: kept in the copy, nothing to reload

    @property
    def conflicted(self) -> bool:
        return self.conflict_copy is not None


def conflict_copy_path(path: Path, when: dt.datetime | None = None) -> Path:
    """`2026-11-29 (conflict 2026-11-29 153012).md` beside the note; never an existing file."""
    when = when or dt.datetime.now()
    stem = f"{path.stem} (conflict {when:%Y-%m-%d %H%M%S})"
    candidate = path.with_name(stem + path.suffix)
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{stem} {number}{path.suffix}")
        number += 1
    return candidate


def _link_old_file(path: Path) -> Path | None:
    """A hidden second name for the note's current file, so a write into it after the
    atomic replace can still be read; None where hard links are not possible."""
    witness = path.with_name(f".{path.name}.{os.getpid()}.guard")
    try:
        witness.unlink(missing_ok=True)
        os.link(path, witness)
    except OSError:
        return None
    return witness


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


class DiskGuard:
    """The writer's memory of what it last read or wrote of each note (one writer thread only).

    Each read of a path starts a new *generation*: the editor's text is based on one, and a
    save carries it. A save based on an older generation (queued before a conflict re-read
    the note) is never written over the note: it goes to that generation's conflict copy.
    """

    def __init__(self) -> None:
        self._known: dict[str, DiskState] = {}
        self._generation: dict[str, int] = {}
        self._copies: dict[tuple[str, int], Path] = {}
        self._texts: dict[str, str] = {}  # the text last read or written: the base of a merge

    def known(self, path: Path) -> DiskState | None:
        return self._known.get(_key(path))

    def generation(self, path: Path) -> int:
        return self._generation.get(_key(path), 0)

    def read(self, service: Any, path: Path) -> tuple[Any, int]:
        """Read a note through the service; remember its exact bytes. Returns (note, generation)."""
        for _ in range(READ_ATTEMPTS):
            before = DiskState.of(path)
            note = service.read_note(path)
            after = DiskState.of(path)
            if before == after:
                break  # nobody wrote while we read: `note` is exactly `after`
        key = _key(path)
        if after is not None:
            self._known[key] = after
        self._texts[key] = note.raw
        self._generation[key] = self._generation.get(key, 0) + 1
        return note, self._generation[key]

    def changed_on_disk(self, path: Path) -> bool:
        """True when the file differs from what the app last read or wrote (or was never read)."""
        known = self.known(path)
        now = DiskState.of(path)
        if now is None:
            return False  # nothing there to overwrite: a save recreates the note
        if known is None:
            return True
        return (now.mtime_ns, now.size) != (known.mtime_ns, known.size) and not known.same_content(now)

    def save(self, service: Any, path: Path, text: str, generation: int) -> SaveOutcome:
        """Write `text` (based on read `generation`) unless the disk changed since that read.

        On a change, `text` goes to a conflict copy and the outcome carries the note as it now
        is on disk (read again, a new generation) for the editor to show.
        """
        path = Path(path)
        key = _key(path)
        if generation != self.generation(path):
            # Queued before an earlier conflict re-read the note: its text belongs in that copy.
            copy = self.keep_copy(path, text, self._copies.get((key, generation)))
            self._copies[(key, generation)] = copy
            return SaveOutcome(path, conflict_copy=copy, stale=True)
        if self.changed_on_disk(path):
            base = self._texts.get(key)
            note, new_generation = self.read(service, path)
            merged = merge3(base, text, note.raw) if base is not None else None
            if merged is not None:
                return self._write_merged(service, path, base, merged, note, new_generation)
            copy = self.keep_copy(path, text)
            self._copies[(key, generation)] = copy
            return SaveOutcome(path, conflict_copy=copy, disk_note=note, generation=new_generation)
        base = self._texts.get(key, "")
        late = self._write(service, path, text)
        if late is None:
            return SaveOutcome(path, generation=generation)
        return self._late_write(service, path, base, text, late, generation)

    def _write_merged(self, service: Any, path: Path, base: str, merged: str, note, generation: int) -> SaveOutcome:
        late = self._write(service, path, merged)
        if late is None:
            return SaveOutcome(path, disk_note=note, generation=generation, merged_text=merged)
        return self._late_write(service, path, note.raw, merged, late, generation)

    def _late_write(self, service: Any, path: Path, base: str, written: str, late: str, generation: int
                    ) -> SaveOutcome:
        """Another program wrote `late` into the note while `written` replaced it: merge it
        into the note now, or keep it whole in a conflict copy (it is their text, and the
        note holds ours)."""
        self._generation[_key(path)] = generation = generation + 1
        merged = merge3(base, written, late)
        if merged is not None:
            self._write(service, path, merged)
            return SaveOutcome(path, generation=generation, merged_text=merged)
        copy = self.keep_copy(path, late)
        return SaveOutcome(path, generation=generation, merged_text=written, late_copy=copy)

    def _write(self, service: Any, path: Path, text: str) -> str | None:
        """Write through the service; returns what another program wrote into the note while
        the write was on its way (None when nobody did)."""
        key = _key(path)
        checked = self._known.get(key)
        witness = _link_old_file(path)
        try:
            service.save_note(path, text)
            late = DiskState.of(witness) if witness is not None else None
            late_text = witness.read_bytes() if late is not None and not late.same_content(checked) else None
        finally:
            if witness is not None:
                witness.unlink(missing_ok=True)
        state = DiskState.of(path)
        intended = text.encode("utf-8")
        if state is not None and state.sha256 != hashlib.sha256(intended).hexdigest():
            # Another write landed right after ours (or the service wrote other bytes): remember
            # what we wrote, so the next save sees a change and merges instead of overwriting.
            state = DiskState(-1, len(intended), hashlib.sha256(intended).hexdigest())
        if state is not None:
            self._known[key] = state
        self._texts[key] = text
        return late_text.decode("utf-8", "replace") if late_text is not None else None

    def keep_copy(self, path: Path, text: str, copy: Path | None = None) -> Path:
        """Write `text` to `copy` (a new conflict copy beside `path` when None); the copy is
        the app's own file, so rewriting it with newer text is allowed."""
        copy = copy or conflict_copy_path(Path(path))
        atomic_write_text(copy, text)
        return copy

    def moved(self, source: Path, destination: Path) -> None:
        """Another program renamed a note the app has read: its memory follows the file."""
        old, new = _key(source), _key(destination)
        if old in self._known:
            self._known[new] = self._known.pop(old)
        if old in self._generation:
            self._generation[new] = self._generation.pop(old)
        if old in self._texts:
            self._texts[new] = self._texts.pop(old)
