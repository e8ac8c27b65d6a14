"""The centre of the window: note header, find bar, and the editor / preview / empty page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.editor import FindBar, NoteEditor
from studylog.gui.i18n import Retranslatable, current_language, tr
from studylog.gui.icons import app_icon, icon
from studylog.gui.preview import NotePreview
from studylog.gui.theme import current_tokens

_WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), "ko": "월화수목금토일"}


def day_label(day: dt.date) -> str:
    names = _WEEKDAYS["ko" if current_language() == "ko" else "en"]
    return f"{day.isoformat()} ({names[day.weekday()]})"


class EmptyPage(Retranslatable, QWidget):
    """Shown when no note is open, or a calendar day without a note is selected."""

    create_requested = Signal(object)  # dt.date

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("EmptyPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.day: dt.date | None = None
        self.picture = QLabel()
        self.picture.setPixmap(app_icon().pixmap(72, 72))
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        self.title.setObjectName("EmptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel()
        self.text.setObjectName("Muted")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        self.button = QPushButton()
        self.button.setProperty("primary", True)
        self.button.clicked.connect(lambda: self.create_requested.emit(self.day or dt.date.today()))
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.picture)
        layout.addSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addSpacing(10)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)
        self.retranslate()

    def show_day(self, day: dt.date | None) -> None:
        self.day = day
        self.retranslate()

    def retranslate(self) -> None:
        if self.day is None or self.day == dt.date.today():
            self.title.setText(tr("Nothing open yet") if self.day is None else tr("No note for today yet"))
            self.text.setText(tr("Pick a day in the calendar, or start today's log from the template."))
            self.button.setText(tr("Write today's note"))
        else:
            self.title.setText(tr("No note on {day}").format(day=day_label(self.day)))
            self.text.setText(tr("You did not write a log that day. You can still add one."))
            self.button.setText(tr("Write a note for this day"))


class EditorPanel(Retranslatable, QWidget):
    preview_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.path: Path | None = None
        self.day: dt.date | None = None
        self.note_title = ""
        self._vault_root: Path | None = None
        self.header = QWidget()
        self.header.setObjectName("EditorHeader")
        self.header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.title = QLabel()
        self.title.setObjectName("NoteTitle")
        self.meta = QLabel()
        self.meta.setObjectName("NoteMeta")
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_button = QToolButton()
        self.preview_button.setCheckable(True)
        self.preview_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.title)
        titles.addWidget(self.meta)
        header_layout = QHBoxLayout(self.header)
        header_layout.setContentsMargins(20, 10, 14, 10)
        header_layout.addLayout(titles, 1)
        header_layout.addWidget(self.preview_button, 0, Qt.AlignmentFlag.AlignVCenter)

        self.editor = NoteEditor()
        self.find_bar = FindBar(self.editor)
        self.preview = NotePreview()
        self.empty = EmptyPage()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.editor)
        self.stack.addWidget(self.preview)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.find_bar)
        layout.addWidget(self.stack, 1)
        self.preview_button.toggled.connect(self._preview_toggled)
        self.header.hide()
        self.retranslate()

    # -- modes -----------------------------------------------------------------------------
    @property
    def previewing(self) -> bool:
        return self.preview_button.isChecked()

    def set_preview(self, on: bool) -> None:
        self.preview_button.setChecked(on)

    def _preview_toggled(self, on: bool) -> None:
        self._show_current()
        self._update_preview_button()
        self.preview_toggled.emit(on)

    def _show_current(self) -> None:
        if self.path is None:
            self.stack.setCurrentWidget(self.empty)
        elif self.previewing:
            self.refresh_preview()
            self.stack.setCurrentWidget(self.preview)
        else:
            self.stack.setCurrentWidget(self.editor)

    def refresh_preview(self, vault_root: Path | None = None) -> None:
        if vault_root is not None:
            self._vault_root = vault_root
        self.preview.show_note(self.editor.toPlainText(), self.path, self._vault_root)

    def set_vault_root(self, root: Path | None) -> None:
        self._vault_root = root

    # -- content ---------------------------------------------------------------------------
    def show_note(self, path: Path, text: str, day: dt.date | None, title: str) -> None:
        self.path = path
        self.day = day
        self.note_title = title
        self.editor.load_text(text)
        self.header.show()
        self._update_header()
        self._show_current()

    def show_empty(self, day: dt.date | None) -> None:
        self.path = None
        self.day = day
        self.header.hide()
        self.find_bar.hide()
        self.empty.show_day(day)
        self.stack.setCurrentWidget(self.empty)

    def open_find(self) -> None:
        if self.path is None:
            return
        if self.previewing:
            self.set_preview(False)
        self.find_bar.open_bar()

    def _update_header(self) -> None:
        if self.path is None:
            return
        heading = day_label(self.day) if self.day else self.path.stem
        self.title.setText(heading)
        extra = self.note_title if self.note_title and self.note_title != (self.day.isoformat() if self.day else "") else ""
        self.meta.setText("  ·  ".join(part for part in (extra, self.path.name) if part))

    def _update_preview_button(self) -> None:
        muted = current_tokens()["muted"]
        if self.previewing:
            self.preview_button.setText(tr("Edit"))
            self.preview_button.setIcon(icon("edit", muted))
            self.preview_button.setToolTip(tr("Back to editing (Ctrl+P)"))
        else:
            self.preview_button.setText(tr("Preview"))
            self.preview_button.setIcon(icon("preview", muted))
            self.preview_button.setToolTip(tr("Show the note rendered (Ctrl+P)"))

    def set_colors(self, tokens: dict[str, str]) -> None:
        self.editor.set_colors(tokens)
        self._update_preview_button()
        if self.previewing:
            self.refresh_preview()

    def retranslate(self) -> None:
        self._update_preview_button()
        self._update_header()
