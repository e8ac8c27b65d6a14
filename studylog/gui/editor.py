"""The Markdown editor: a plain-text editor with highlighting, go-to-section and a find bar."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCursor, QTextDocument, QTextFormat
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QWidget,
)

from studylog.gui.highlighter import MarkdownHighlighter
from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.icons import icon
from studylog.gui.text_merge import map_line
from studylog.gui.theme import current_tokens, editor_font

FLASH_MS = 1600


class NoteEditor(QPlainTextEdit):
    """QPlainTextEdit tuned for notes; the undo stack is Qt's own."""

    # The text changed because of an edit (typing, IME commit, undo, paste), unlike the
    # document's contentsChanged, which re-highlighting (a theme switch) also fires.
    text_edited = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("NoteEditor")
        self.setFont(editor_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self.document().setDocumentMargin(18)
        self.setCenterOnScroll(False)
        self.highlighter = MarkdownHighlighter(self.document(), current_tokens())
        self._restyling = False
        self.document().contentsChanged.connect(self._contents_changed)
        self._flash_timer = QTimer(self, singleShot=True, interval=FLASH_MS)
        self._flash_timer.timeout.connect(lambda: self.setExtraSelections([]))

    def _contents_changed(self) -> None:
        if not self._restyling:
            self.text_edited.emit()

    def set_colors(self, tokens: dict[str, str]) -> None:
        self._restyling = True
        try:
            self.highlighter.set_colors(tokens)
        finally:
            self._restyling = False

    def load_text(self, text: str) -> None:
        """Replace the content without an undo step back to the previous note."""
        self.setPlainText(text)
        self.document().setModified(False)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def replace_text(self, text: str) -> None:
        """Show a newer version of the same note (changed on disk): the cursor stays on its
        line when that line is unchanged, and the view keeps its scroll position."""
        cursor = self.textCursor()
        block = cursor.block()
        line_text = block.text()
        # Qt counts UTF-16 units in a block; Python counts code points (emoji differ).
        column = len(line_text.encode("utf-16-le")[: cursor.positionInBlock() * 2].decode("utf-16-le", "ignore"))
        line, column = map_line(self.toPlainText(), text, block.blockNumber(), column)
        scroll = self.verticalScrollBar().value()
        self.load_text(text)
        target = self.document().findBlockByNumber(line)
        units = len(target.text()[:column].encode("utf-16-le")) // 2
        cursor = QTextCursor(target)
        cursor.setPosition(target.position() + units)
        self.setTextCursor(cursor)
        self.verticalScrollBar().setValue(scroll)

    def goto_line(self, line: int, flash: bool = True) -> None:
        """Put the cursor on `line` (0-based) and scroll it to the top of the view."""
        block = self.document().findBlockByNumber(max(0, min(line, self.blockCount() - 1)))
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        # With line wrapping the scroll bar counts blocks: this shows the section at the top.
        self.verticalScrollBar().setValue(block.blockNumber())
        if flash:
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(QColor(current_tokens()["accent_soft"]))
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selection.cursor = QTextCursor(block)
            self.setExtraSelections([selection])
            self._flash_timer.start()

    def line_visible(self, line: int) -> bool:
        """Whether the line's first row is inside the viewport (at the top when there is room)."""
        block = self.document().findBlockByNumber(line)
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        return 0 <= top < self.viewport().height() - self.fontMetrics().height()

    def first_visible_line(self) -> int:
        return self.firstVisibleBlock().blockNumber()

    def current_line(self) -> int:
        return self.textCursor().blockNumber()


class FindBar(Retranslatable, QWidget):
    """Ctrl+F: incremental search in the note; Enter next, Shift+Enter previous, Esc closes."""

    closed = Signal()

    def __init__(self, editor: NoteEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("FindBar")
        self.editor = editor
        self.field = QLineEdit()
        self.field.setClearButtonEnabled(True)
        self.count = QLabel()
        self.count.setObjectName("FindCount")
        self.case = QCheckBox()
        self.previous_button = QToolButton()
        self.next_button = QToolButton()
        self.close_button = QToolButton()
        muted = current_tokens()["muted"]
        self.previous_button.setIcon(icon("up", muted))
        self.next_button.setIcon(icon("down", muted))
        self.close_button.setIcon(icon("close", muted))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.case)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        layout.addWidget(self.close_button)
        self.field.textChanged.connect(self._incremental)
        self.field.returnPressed.connect(self.find_next)
        self.case.toggled.connect(lambda _checked: self._incremental(self.field.text()))
        self.previous_button.clicked.connect(self.find_previous)
        self.next_button.clicked.connect(self.find_next)
        self.close_button.clicked.connect(self.close_bar)
        QShortcut(QKeySequence("Shift+Return"), self.field, self.find_previous)
        self.retranslate()
        self.hide()

    def retranslate(self) -> None:
        self.field.setPlaceholderText(tr("Find in note"))
        self.case.setText(tr("Match case"))
        self.previous_button.setToolTip(tr("Previous match (Shift+Enter)"))
        self.next_button.setToolTip(tr("Next match (Enter)"))
        self.close_button.setToolTip(tr("Close (Esc)"))
        self._update_count()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        # Esc reaches here from the field (QLineEdit ignores it); the window's Esc (stop the
        # answer) only sees it when the find bar is not focused.
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
            return
        super().keyPressEvent(event)

    def open_bar(self) -> None:
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.field.setText(selected)
        self.show()
        self.field.setFocus()
        self.field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.editor.setFocus()
        self.closed.emit()

    def _flags(self, backward: bool = False) -> QTextDocument.FindFlag:
        flags = QTextDocument.FindFlag(0)
        if self.case.isChecked():
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        if backward:
            flags |= QTextDocument.FindFlag.FindBackward
        return flags

    def _find(self, backward: bool) -> bool:
        needle = self.field.text()
        if not needle:
            return False
        if self.editor.find(needle, self._flags(backward)):
            return True
        # Wrap around once, like every editor does.
        cursor = self.editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End if backward else QTextCursor.MoveOperation.Start)
        self.editor.setTextCursor(cursor)
        return self.editor.find(needle, self._flags(backward))

    def find_next(self) -> bool:
        found = self._find(backward=False)
        self._update_count()
        return found

    def find_previous(self) -> bool:
        found = self._find(backward=True)
        self._update_count()
        return found

    def _incremental(self, _text: str) -> None:
        # Search again from the start of the current match so typing extends it in place.
        cursor = self.editor.textCursor()
        cursor.setPosition(cursor.selectionStart())
        self.editor.setTextCursor(cursor)
        self.find_next()

    def _update_count(self) -> None:
        needle = self.field.text()
        if not needle:
            self.count.setText("")
            return
        haystack = self.editor.toPlainText()
        if not self.case.isChecked():
            haystack, needle = haystack.casefold(), needle.casefold()
        total = haystack.count(needle)
        self.count.setText(tr("{n} found").format(n=total) if total else tr("no match"))
