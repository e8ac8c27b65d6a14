"""Never overwrite what the app has not read: the writer's memory of each note on disk.

Every read and write of a note goes through the one writer thread (`Backend.notes`), and so
does this guard: it remembers the state (mtime, size, sha256) of the bytes the app last read
or wrote for each path, and a save first compares the file on disk with that memory. When
another program changed the file in between (an editor, a `git pull`, a sync client), the
app's text is written to a conflict copy beside the note instead, and the note keeps what the
other program wrote. Nothing is overwritten, so no word is lost on either side.

Why the disk wins the note and the app's text goes to the copy (Syncthing's convention): the
other program may be a sync client or git, which expect the file they wrote to stay; and the
conflict copy is the app's own file, which it may rewrite freely while the user keeps typing.

The check and the atomic replace are two steps, so a write landing in the microseconds
between them is still overwritten; no portable lock closes that window (editors do not lock).

Plain Python, no Qt: used on a worker thread only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
            copy = self.keep_copy(path, text)
            self._copies[(key, generation)] = copy
            note, new_generation = self.read(service, path)
            return SaveOutcome(path, conflict_copy=copy, disk_note=note, generation=new_generation)
        service.save_note(path, text)
        state = DiskState.of(path)
        if state is not None:
            self._known[key] = state
        return SaveOutcome(path, generation=generation)

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
