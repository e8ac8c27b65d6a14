"""The open note's save state: debounced autosave through the single writer, never losing text.

Every edit bumps a revision; a save carries the revision it wrote, so a save that finishes
after more typing leaves the note marked unsaved. Saves go to one writer thread in order,
so an older text can never overwrite a newer one.

A save also carries the read *generation* its text is based on, and the writer checks the
file on disk first (`disk_guard`): when another program changed the note, the app's text goes
to a conflict copy beside it and the editor shows the disk's version (`conflicted`). When the
note changed on disk and nothing was typed, it simply reloads (`reload_from_disk`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from studylog.gui.editor import NoteEditor
from studylog.gui.ui_state import write_recovery_copy

AUTOSAVE_DELAY_MS = 1500

CLEAN, UNSAVED, SAVING, SAVED, FAILED = "clean", "unsaved", "saving", "saved", "failed"


class NoteSession(QObject):
    state_changed = Signal(str)
    save_failed = Signal(object)  # the exception
    saved = Signal(Path)
    kept_elsewhere = Signal(Path, Path, object)  # note, recovery copy, why: a left note's save failed
    conflicted = Signal(Path, Path)  # note, conflict copy holding the app's text
    reloaded = Signal(Path)  # the note changed on disk and the editor now shows the new text

    def __init__(self, backend, editor: NoteEditor, delay_ms: int = AUTOSAVE_DELAY_MS):
        super().__init__()
        self.backend = backend
        self.editor = editor
        self.path: Path | None = None
        self.revision = 0
        self.saved_revision = 0
        self.state = CLEAN
        self.saved_at: dt.datetime | None = None
        self.generation = 0  # which read of the note the editor's text is based on (disk_guard)
        self._loading = False
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self.save_now)
        editor.text_edited.connect(self._edited)

    @property
    def dirty(self) -> bool:
        return self.path is not None and self.revision != self.saved_revision

    def set_delay(self, delay_ms: int) -> None:
        self._timer.setInterval(delay_ms)

    def open(self, path: Path, text: str, show, generation: int = 0) -> None:
        """Switch to another note; the previous one's pending text is saved first."""
        if self.dirty:
            self.save_now()
        self._timer.stop()
        self._show(text, show)
        self.path = path
        self.generation = generation
        self.revision = self.saved_revision = 0
        self._set_state(CLEAN)

    def _show(self, text: str, show) -> None:
        self._loading = True
        try:
            show(text)
        finally:
            self._loading = False

    def reload_from_disk(self, note, generation: int) -> None:
        """The note changed on disk: show the disk's text; typed text never vanishes, it goes
        to a conflict copy first (when typing happened while the re-read was on its way)."""
        if Path(note.path) != self.path:
            return
        if self.dirty:
            self._keep_and_show_disk(self.path, None, "", note, generation)
            return
        self._show_disk(note, generation)
        self.reloaded.emit(self.path)

    def _show_disk(self, note, generation: int) -> None:
        self._timer.stop()
        self._show(note.raw, self.editor.replace_text)
        self.generation = generation
        self.saved_revision = self.revision
        self._set_state(CLEAN)

    def _keep_and_show_disk(self, path: Path, copy: Path | None, copied_text: str, note, generation: int) -> None:
        """Conflict: make sure the copy holds the editor's latest text, then show the disk's.

        The editor's text is captured before the disk's replaces it, in this same call on the
        GUI thread, so no keystroke can fall between the two.
        """
        current = self.editor.toPlainText()
        if copy is None or current != copied_text:
            # The editor is about to show the disk's text: if the copy cannot be written, this
            # text exists nowhere else, so it goes to the recovery folder.
            self.backend.keep_copy(path, current, copy,
                                   on_result=lambda kept: self.conflicted.emit(path, Path(kept)),
                                   on_error=lambda exc: self.kept_elsewhere.emit(
                                       path, write_recovery_copy(path, current), exc))
        else:
            self.conflicted.emit(path, copy)
        self._show_disk(note, generation)

    def follow_rename(self, destination: Path) -> None:
        """Another program renamed the open note: keep editing it under its new name."""
        self.path = Path(destination)

    def close_note(self) -> None:
        if self.dirty:
            self.save_now()
        self._timer.stop()
        self.path = None
        self._set_state(CLEAN)

    def _edited(self) -> None:
        if self._loading or self.path is None:
            return
        self.revision += 1
        self._set_state(UNSAVED)
        self._timer.start()

    def save_now(self):
        """Queue a save of the current text now; returns the job (None when nothing to do)."""
        self._timer.stop()
        if not self.dirty:
            return None
        path, revision, text, generation = self.path, self.revision, self.editor.toPlainText(), self.generation
        job = self.backend.save_note(path, text, generation,
                                     on_result=lambda outcome: self._saved(path, revision, text, outcome),
                                     on_error=lambda exc: self._failed(path, text, exc))
        self._set_state(SAVING)
        return job

    def _saved(self, path: Path, revision: int, text: str, outcome) -> None:
        if outcome is not None and outcome.conflicted:
            # A conflict re-read the note: the editor moves to that read (once; a stale save's
            # text only went to the same copy).
            if path == self.path and not outcome.stale and outcome.generation > self.generation:
                self._keep_and_show_disk(path, outcome.conflict_copy, text, outcome.disk_note, outcome.generation)
            elif not outcome.stale:
                self.conflicted.emit(path, outcome.conflict_copy)
            return
        if path != self.path:
            self.saved.emit(path)
            return
        self.saved_revision = max(self.saved_revision, revision)
        self.saved_at = dt.datetime.now()
        self._set_state(SAVED if not self.dirty else UNSAVED)
        self.saved.emit(path)

    def _failed(self, path: Path, text: str, exc: BaseException) -> None:
        if path == self.path:
            self._set_state(FAILED)  # the text is still in the editor; the next edit retries
            self.save_failed.emit(exc)
        else:
            # The note is no longer in the editor: this text exists nowhere else now.
            self.kept_elsewhere.emit(path, write_recovery_copy(path, text), exc)

    def flush_blocking(self, timeout: float) -> bool:
        """Save now and wait (used on close); False when the text is not known to be on disk."""
        if not self.dirty:
            return True
        job = self.save_now()
        if not job.wait(timeout):
            return False
        ok = job.error is None and not job.was_aborted
        if ok:
            self.saved_revision = self.revision  # written, or kept whole in a conflict copy
        return ok

    def _set_state(self, state: str) -> None:
        if state != self.state or state == SAVED:
            self.state = state
            self.state_changed.emit(state)

