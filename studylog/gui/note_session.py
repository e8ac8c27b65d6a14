"""The open note's save state: debounced autosave through the single writer, never losing text.

Every edit bumps a revision; a save carries the revision it wrote, so a save that finishes
after more typing leaves the note marked unsaved. Saves go to one writer thread in order,
so an older text can never overwrite a newer one, and the open note has at most one save in
flight (a save asked for meanwhile runs when it returns).

A save also carries the read *generation* its text is based on, and the writer checks the
file on disk first (`disk_guard`). When another program changed the note, edits on different
lines are merged into the note and the editor shows the merge (`merged`); edits of the same
lines keep the app's text in a conflict copy and the editor shows the disk's (`conflicted`).
When the note changed on disk and nothing was typed, it simply reloads (`reload_from_disk`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from studylog.gui.editor import NoteEditor
from studylog.gui.text_merge import merge3
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
    merged = Signal(Path)  # another program's edits were merged with the ones typed here
    late_kept = Signal(Path, Path)  # note, copy of what another program wrote mid-save

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
        self.disk_text = ""  # the text of that read (or of the last save): the base of a merge
        self._loading = False
        self._in_flight = 0  # serial of the open note's save on its way, 0 when none
        self._save_serial = 0
        self._save_again = False
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self.save_now)
        editor.text_edited.connect(self._edited)

    @property
    def dirty(self) -> bool:
        return self.path is not None and self.revision != self.saved_revision

    def set_delay(self, delay_ms: int) -> None:
        self._timer.setInterval(delay_ms)

    # -- opening and closing ---------------------------------------------------------------
    def open(self, path: Path, text: str, show, generation: int = 0) -> None:
        """Switch to another note; the previous one's pending text is saved first."""
        if self.dirty:
            self._submit_save()
        self._timer.stop()
        self._show(text, show)
        self.path = path
        self.generation = generation
        self.disk_text = text
        self.revision = self.saved_revision = 0
        self._in_flight, self._save_again = 0, False
        self._set_state(CLEAN)

    def close_note(self) -> None:
        if self.dirty:
            self._submit_save()
        self._timer.stop()
        self.path = None
        self._in_flight, self._save_again = 0, False
        self._set_state(CLEAN)

    def follow_rename(self, destination: Path) -> None:
        """Another program renamed the open note: keep editing it under its new name."""
        self.path = Path(destination)

    def _show(self, text: str, show) -> None:
        self._loading = True
        try:
            show(text)
        finally:
            self._loading = False

    # -- changes on disk -------------------------------------------------------------------
    def reload_from_disk(self, note, generation: int) -> None:
        """The note changed on disk: show the disk's text, merged with anything typed since
        the last save; typing that cannot be merged goes to a conflict copy first."""
        if Path(note.path) != self.path:
            return
        if not self.dirty:
            self._replace(note.raw, generation, note.raw, clean=True)
            self.reloaded.emit(self.path)
            return
        current = self.editor.toPlainText()
        merged = merge3(self.disk_text, current, note.raw)
        if merged is not None:
            self._replace(merged, generation, note.raw, clean=merged == note.raw)
            self.merged.emit(self.path)
            self._timer.start()
        else:
            self._keep_copy(self.path, current, None)
            self._replace(note.raw, generation, note.raw, clean=True)

    def _replace(self, text: str, generation: int, disk_text: str, clean: bool) -> None:
        """Show `text` for the note now at read `generation` (holding `disk_text`)."""
        self._loading = True
        try:
            self.editor.replace_text(text)
        finally:
            self._loading = False
        self.generation = generation
        self.disk_text = disk_text
        if clean:
            self._timer.stop()
            self.saved_revision = self.revision
            self._set_state(CLEAN)
        else:
            self.revision += 1  # the merged text is not on disk yet
            self._set_state(UNSAVED)

    def _keep_copy(self, path: Path, text: str, copy: Path | None) -> None:
        """Write `text` to a conflict copy (rewrite `copy`); if even that fails, the text goes
        to the recovery folder: the editor is about to show another text."""
        self.backend.keep_copy(path, text, copy,
                               on_result=lambda kept: self.conflicted.emit(path, Path(kept)),
                               on_error=lambda exc: self.kept_elsewhere.emit(path, write_recovery_copy(path, text),
                                                                             exc))

    # -- saving ----------------------------------------------------------------------------
    def _edited(self) -> None:
        if self._loading or self.path is None:
            return
        self.revision += 1
        self._set_state(UNSAVED)
        self._timer.start()

    def save_now(self):
        """Queue a save of the current text now; returns the job (None when nothing to do).

        While the open note's previous save is on its way, this one waits for it: a save
        must be based on what the previous one found on disk (it may have merged)."""
        self._timer.stop()
        if not self.dirty:
            return None
        if self._in_flight:
            self._save_again = True
            return None
        return self._submit_save()

    def _submit_save(self):
        path, revision, text, generation = self.path, self.revision, self.editor.toPlainText(), self.generation
        self._save_serial += 1
        serial = self._save_serial
        job = self.backend.save_note(path, text, generation,
                                     on_result=lambda outcome: self._saved(serial, path, revision, text, outcome),
                                     on_error=lambda exc: self._failed(serial, path, text, exc))
        self._in_flight = serial
        self._set_state(SAVING)
        return job

    def _saved(self, serial: int, path: Path, revision: int, text: str, outcome) -> None:
        mine = serial == self._in_flight and path == self.path
        if serial == self._in_flight:
            self._in_flight = 0
        if outcome is not None and outcome.late_copy is not None:
            self.late_kept.emit(path, outcome.late_copy)
        if outcome is not None and (outcome.conflicted or outcome.merged_text is not None):
            if mine and not outcome.stale:
                self._disk_changed(revision, text, outcome)
            elif outcome.conflicted and not outcome.stale:
                self.conflicted.emit(path, outcome.conflict_copy)
            elif outcome.merged_text is not None:
                self.merged.emit(path)
            self._save_pending()
            return
        if path != self.path:
            self.saved.emit(path)
            return
        self.saved_revision = max(self.saved_revision, revision)
        self.disk_text = text
        self.saved_at = dt.datetime.now()
        self._set_state(SAVED if not self.dirty else UNSAVED)
        self.saved.emit(path)
        self._save_pending()

    def _disk_changed(self, revision: int, text: str, outcome) -> None:
        """The save found another program's change: show the merge, or the disk's text with
        ours in the conflict copy. Typing since the save was sent is merged in too."""
        current = self.editor.toPlainText()
        if outcome.merged_text is not None:
            on_disk = outcome.merged_text
            shown = on_disk if current == text else merge3(text, current, on_disk)
            if shown is None:  # the newest typing clashes with the merge: keep it whole
                self._keep_copy(self.path, current, None)
                shown = on_disk
            self._replace(shown, outcome.generation, on_disk, clean=shown == on_disk)
            if shown == on_disk:
                self.saved_at = dt.datetime.now()
                self._set_state(SAVED)
            self.merged.emit(self.path)
            self.saved.emit(self.path)
            return
        if current != text:
            self._keep_copy(self.path, current, outcome.conflict_copy)
        else:
            self.conflicted.emit(self.path, outcome.conflict_copy)
        self._replace(outcome.disk_note.raw, outcome.generation, outcome.disk_note.raw, clean=True)

    def _save_pending(self) -> None:
        if self._save_again:
            self._save_again = False
            if self.dirty:
                self.save_now()
        elif self.dirty and not self._timer.isActive():
            self._timer.start()

    def _failed(self, serial: int, path: Path, text: str, exc: BaseException) -> None:
        if serial == self._in_flight:
            self._in_flight = 0
            self._save_again = False
        if path == self.path:
            self._set_state(FAILED)  # the text is still in the editor; the next edit retries
            self.save_failed.emit(exc)
        else:
            # The note is no longer in the editor: this text exists nowhere else now.
            self.kept_elsewhere.emit(path, write_recovery_copy(path, text), exc)

    def flush_blocking(self, timeout: float) -> bool:
        """Save now and wait (used on close); False when the text is not known to be on disk.

        It does not wait for a save on its way: the writer runs them in order, and one based
        on a superseded read is kept whole in a conflict copy, never dropped."""
        if not self.dirty:
            return True
        job = self._submit_save()
        if not job.wait(timeout):
            return False
        ok = job.error is None and not job.was_aborted
        if ok:
            self.saved_revision = self.revision  # written, merged, or kept whole in a conflict copy
        return ok

    def _set_state(self, state: str) -> None:
        if state != self.state or state == SAVED:
            self.state = state
            self.state_changed.emit(state)
