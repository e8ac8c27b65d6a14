"""Both sides of an edit conflict, side by side: the note as it is on disk, and the copy
holding the text that was typed here, with the lines that differ marked. Either opens in
the editor with one click."""

from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.theme import current_tokens, editor_font


def _read(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"({exc.strerror})"


class _Side(QWidget):
    """One titled, read-only view of a file."""

    def __init__(self, path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.title = QLabel()
        self.title.setObjectName("BannerTitle")
        self.name = QLabel(self.path.name)
        self.name.setObjectName("Muted")
        self.name.setToolTip(str(self.path))
        self.text = QPlainTextEdit(_read(self.path))
        self.text.setReadOnly(True)
        self.text.setFont(editor_font())
        self.open_button = QPushButton()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.name)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.open_button)

    def mark_lines(self, lines: list[int]) -> None:
        """Tint the lines that differ from the other side and show the first of them."""
        selections = []
        color = QColor(current_tokens()["accent_soft"])
        for number in lines:
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(color)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = QTextCursor(self.text.document().findBlockByNumber(number))
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor  # the whole block: a wrapped line is tinted on every row
            selections.append(selection)
        self.text.setExtraSelections(selections)
        if lines:
            self.text.setTextCursor(QTextCursor(self.text.document().findBlockByNumber(lines[0])))
            self.text.centerCursor()


def differing_lines(left: str, right: str) -> tuple[list[int], list[int]]:
    """Line numbers of `left` and of `right` that the other side does not have."""
    a, b = left.split("\n"), right.split("\n")
    mine, theirs = [], []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            mine.extend(range(i1, i2))
            theirs.extend(range(j1, j2))
    return mine, theirs


class ConflictDialog(Retranslatable, QDialog):
    """Shows the note and its conflict copy; `open_requested` asks the window to edit one."""

    open_requested = Signal(Path)

    def __init__(self, note: Path, copy: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ConflictDialog")
        self.note = _Side(note)
        self.copy = _Side(copy)
        sides = QHBoxLayout()
        sides.addWidget(self.note, 1)
        sides.addWidget(self.copy, 1)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addLayout(sides, 1)
        layout.addWidget(self.buttons)
        for side in (self.note, self.copy):
            side.open_button.clicked.connect(lambda _checked=False, p=side.path: self._open(p))
        self.resize(980, 620)
        note_lines, copy_lines = differing_lines(self.note.text.toPlainText(), self.copy.text.toPlainText())
        self.note.mark_lines(note_lines)
        self.copy.mark_lines(copy_lines)
        self.retranslate()

    def _open(self, path: Path) -> None:
        self.open_requested.emit(path)
        self.accept()

    def retranslate(self) -> None:
        self.setWindowTitle(tr("Two versions of {name}").format(name=self.note.path.name))
        self.explanation.setText(tr("The note changed in another program while you were editing it here. "
                                    "Nothing was overwritten: the note keeps the other program's text, and "
                                    "your text from here is in the conflict copy. Copy what you need into "
                                    "the note, then delete the copy."))
        self.note.title.setText(tr("The note (as the other program saved it)"))
        self.copy.title.setText(tr("Conflict copy (your text from here)"))
        self.note.open_button.setText(tr("Edit the note"))
        self.copy.open_button.setText(tr("Edit the conflict copy"))
        # Qt's own "Close" is translated only with Qt's translations installed; ours are not Qt's.
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("Close"))
