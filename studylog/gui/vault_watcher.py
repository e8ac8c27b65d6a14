"""Watch the vault folder for notes created, changed, deleted or renamed by other programs.

Why `watchdog` and not Qt's QFileSystemWatcher: Qt's watcher is not recursive (every folder
must be added by hand, and a folder created later is missed until re-scanned), reports a
changed folder without saying which file, and runs into per-process limits on large trees.
watchdog watches a whole tree with the platform's native API (inotify, FSEvents,
ReadDirectoryChangesW), reports renames with both names, and falls back to polling where the
native API is refused (an inotify watch limit reached, a network share).

watchdog calls back on its own thread; a Qt signal carries each event to the GUI thread
(a queued connection), where a short timer gathers the burst one save makes (temp file,
write, rename) into a single `changed` report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

DEBOUNCE_MS = 400
_NOTE_SUFFIXES = (".md", ".markdown")
_SKIP_PARTS = {".git", ".obsidian", ".trash", "node_modules", ".studylog"}


def is_note_path(path: Path, root: Path) -> bool:
    """A Markdown note the vault lists: not hidden (temp files of atomic saves are), not in a
    tool folder."""
    try:
        parts = Path(path).relative_to(root).parts
    except ValueError:
        return False
    if not parts or any(part in _SKIP_PARTS or part.startswith(".") for part in parts):
        return False
    return parts[-1].lower().endswith(_NOTE_SUFFIXES)


def _relevant_folder(path: Path, root: Path) -> bool:
    try:
        parts = Path(path).relative_to(root).parts
    except ValueError:
        return False
    return bool(parts) and not any(part in _SKIP_PARTS or part.startswith(".") for part in parts)


@dataclass
class VaultChanges:
    """One debounced burst of changes: which notes changed or vanished, and renames."""

    changed: set[Path] = field(default_factory=set)  # created or modified
    removed: set[Path] = field(default_factory=set)
    moved: dict[Path, Path] = field(default_factory=dict)  # old -> new
    folders: bool = False  # a folder came, went or was renamed: re-list everything

    def touches(self, path: Path) -> bool:
        return path in self.changed or path in self.removed or path in self.moved


class VaultWatcher(QObject):
    """Reports outside changes to the vault's notes, debounced, on the GUI thread."""

    changed = Signal(object)  # VaultChanges
    _event = Signal(str, str, str, bool)  # kind, source, destination, is_directory (any thread)

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS):
        super().__init__(parent)
        self.root: Path | None = None
        self._real_root: Path | None = None  # some platforms (FSEvents) report resolved paths
        self.polling = False  # True when the native API was refused and the watcher polls
        self._observer = None
        self._pending = VaultChanges()
        self._timer = QTimer(self, singleShot=True, interval=debounce_ms)
        self._timer.timeout.connect(self._flush)
        self._event.connect(self._record)

    @property
    def active(self) -> bool:
        return self._observer is not None

    def watch(self, root: Path) -> bool:
        """Watch `root` (replacing any earlier folder); False when it cannot be watched."""
        root = Path(root)
        if self.root is not None and root == self.root and self.active:
            return True
        self.stop()
        if not root.is_dir():
            return False
        self.root = root
        self._real_root = Path(os.path.realpath(root))
        self._observer = self._start_observer(root)
        return self._observer is not None

    def _start_observer(self, root: Path):
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        handler = _Relay(self._event)
        for observer_class in (Observer, PollingObserver):
            observer = observer_class()
            try:
                observer.schedule(handler, str(root), recursive=True)
                observer.daemon = True
                observer.start()
            except OSError:
                continue  # e.g. the inotify watch limit: polling still works
            self.polling = observer_class is PollingObserver
            return observer
        return None

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        self._timer.stop()
        self._pending = VaultChanges()
        if observer is not None:
            observer.stop()
            observer.join(timeout=0.3)  # a daemon thread: closing the window never waits long

    def _as_vault_path(self, path: str) -> Path:
        """A reported path in the spelling the app uses (the vault root as configured)."""
        reported = Path(path)
        if self.root is None or self._real_root is None or self._real_root == self.root:
            return reported
        try:
            return self.root / reported.relative_to(self._real_root)
        except ValueError:
            return reported

    def _record(self, kind: str, source: str, destination: str, is_directory: bool) -> None:
        root = self.root
        if root is None:
            return
        src = self._as_vault_path(source)
        destination = str(self._as_vault_path(destination)) if destination else ""
        pending = self._pending
        if is_directory:
            if kind in ("created", "deleted", "moved") and (_relevant_folder(src, root)
                                                             or (destination and _relevant_folder(Path(destination),
                                                                                                  root))):
                pending.folders = True
                self._timer.start()
            return
        if kind == "moved":
            dest = Path(destination)
            src_note, dest_note = is_note_path(src, root), is_note_path(dest, root)
            if src_note and dest_note:
                pending.moved[src] = dest
            elif dest_note:  # an editor's atomic save: temp file renamed over the note
                pending.changed.add(dest)
                pending.removed.discard(dest)
            elif src_note:
                pending.removed.add(src)
            else:
                return
        elif not is_note_path(src, root):
            return
        elif kind in ("created", "modified", "closed"):
            pending.changed.add(src)
            pending.removed.discard(src)
        elif kind == "deleted":
            pending.removed.add(src)
            pending.changed.discard(src)
        else:
            return
        self._timer.start()

    def _flush(self) -> None:
        changes, self._pending = self._pending, VaultChanges()
        if changes.changed or changes.removed or changes.moved or changes.folders:
            self.changed.emit(changes)


class _Relay:
    """watchdog's handler: forwards every event to the Qt signal (which queues it)."""

    def __init__(self, signal) -> None:
        self.signal = signal

    def dispatch(self, event) -> None:
        destination = getattr(event, "dest_path", "") or ""
        self.signal.emit(event.event_type, os.fsdecode(event.src_path), os.fsdecode(destination),
                         bool(event.is_directory))
