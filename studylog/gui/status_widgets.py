"""Status bar pieces: indexing progress with a cancel button, and the note's save state."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QToolButton, QWidget

from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.icons import icon
from studylog.gui.note_session import CLEAN, FAILED, SAVED, SAVING, UNSAVED
from studylog.gui.theme import current_tokens


class IndexProgress(Retranslatable, QWidget):
    """Hidden while idle; "Indexing 48/133 [=====   ] ×" while the index is updated."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.label.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(160)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.set_colors(current_tokens())
        self.retranslate()
        self.hide()

    def started(self) -> None:
        self.label.setText(tr("Indexing…"))
        self.bar.setRange(0, 0)  # busy until the service says how much there is to do
        self.show()

    def progress(self, done: int, total: int) -> None:
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
            self.label.setText(tr("Indexing {done}/{total}").format(done=done, total=total))
        self.show()

    def set_colors(self, tokens: dict[str, str]) -> None:
        self.cancel_button.setIcon(icon("close", tokens["muted"]))

    def retranslate(self) -> None:
        self.cancel_button.setToolTip(tr("Stop indexing (it resumes later where it stopped)"))


class SaveState(QLabel):
    """Saved / Unsaved changes / Saving… / Not saved!, coloured by the style sheet."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SaveState")

    def show_state(self, state: str, saved_at, has_note: bool) -> None:
        texts = {UNSAVED: tr("Unsaved changes"), SAVING: tr("Saving…"), FAILED: tr("Not saved!"),
                 CLEAN: tr("Saved") if has_note else ""}
        if state == SAVED and saved_at is not None:
            text = tr("Saved {time}").format(time=saved_at.strftime("%H:%M:%S"))
        else:
            text = texts.get(state, "")
        self.setText(text)
        self.setProperty("state", state)
        self.style().unpolish(self)  # the colour comes from a [state=...] style-sheet rule
        self.style().polish(self)
        self.setToolTip(tr("Notes save automatically 1.5 s after you stop typing; Ctrl+S saves now."))
