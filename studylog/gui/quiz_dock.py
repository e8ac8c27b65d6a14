"""The "Quiz" dock: review cards drawn from the notes, scheduled by FSRS in the core.

Cards come from the core (child) process through the backend's engine worker: a batch of
due cards (then new ones) is fetched when the dock is shown or the batch runs out, and each
grade is sent as it is given; nothing here reads the notes or the quiz file. Keys while the
dock has focus: Space reveals the answer, 1–4 grade it (again, hard, good, easy), O opens the
card's note at its line.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.errors import describe_error
from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.panel_dock import PanelDock

SHORTCUT = "Ctrl+Shift+K"
BATCH = 20  # cards fetched at a time
GRADES = ("again", "hard", "good", "easy")
_GRADE_KEYS = {Qt.Key.Key_1: "again", Qt.Key.Key_2: "hard", Qt.Key.Key_3: "good", Qt.Key.Key_4: "easy"}


def _grade_label(grade: str) -> str:
    return {"again": tr("Again"), "hard": tr("Hard"), "good": tr("Good"), "easy": tr("Easy")}[grade]


class QuizPanel(Retranslatable, QWidget):
    """One card at a time: the question, then (on Space) the answer and four grade buttons."""

    graded = Signal(str, str)  # card id, grade
    open_requested = Signal(object)  # the card whose note to open

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Space and 1–4 reach keyPressEvent
        self.counts_label = QLabel()
        self.counts_label.setObjectName("SearchMessage")
        self.source_label = QLabel()
        self.source_label.setObjectName("QuizSource")
        self.source_label.setWordWrap(True)
        self.question = QLabel()
        self.question.setObjectName("QuizQuestion")
        self.question.setWordWrap(True)
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.question.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.question.setFont(font)
        self.rule = QFrame()
        self.rule.setFrameShape(QFrame.Shape.HLine)
        self.answer = QLabel()
        self.answer.setObjectName("QuizAnswer")
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        answer_font = self.answer.font()
        answer_font.setPointSizeF(answer_font.pointSizeF() * 1.15)
        self.answer.setFont(answer_font)
        self.reveal_button = QPushButton()
        self.reveal_button.clicked.connect(self.reveal)
        self.open_button = QPushButton()
        self.open_button.clicked.connect(self._open)
        self.grade_buttons: dict[str, QPushButton] = {}
        grades = QHBoxLayout()
        for grade in GRADES:
            button = QPushButton()
            button.setObjectName(f"QuizGrade_{grade}")
            button.clicked.connect(lambda _checked=False, g=grade: self.grade(g))
            self.grade_buttons[grade] = button
            grades.addWidget(button)
        for button in (self.reveal_button, self.open_button, *self.grade_buttons.values()):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space must reveal, not press a button
        actions = QHBoxLayout()
        actions.addWidget(self.reveal_button, 1)
        actions.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.source_label)
        layout.addWidget(self.question)
        layout.addWidget(self.rule)
        layout.addWidget(self.answer)
        layout.addStretch(1)
        layout.addLayout(actions)
        layout.addLayout(grades)
        for label in (self.question, self.answer, self.source_label):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.card = None
        self.revealed = False
        self.state = "idle"  # idle / busy / card / done / error
        self.counts = None
        self._detail = ""
        self.retranslate()

    # -- states ----------------------------------------------------------------------------
    def set_busy(self) -> None:
        if self.card is None:
            self.state = "busy"
        self.retranslate()

    def show_card(self, card, counts=None) -> None:
        self.card = card
        self.revealed = False
        self.state = "card" if card is not None else "done"
        if counts is not None:
            self.counts = counts
        self.retranslate()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_counts(self, counts) -> None:
        self.counts = counts
        self.retranslate()

    def show_error(self, message: str) -> None:
        self.card = None
        self.state = "error"
        self._detail = message
        self.retranslate()

    # -- actions ---------------------------------------------------------------------------
    def reveal(self) -> None:
        if self.card is not None and not self.revealed:
            self.revealed = True
            self.retranslate()

    def grade(self, grade: str) -> None:
        if self.card is not None and self.revealed:
            card, self.card = self.card, None
            self.graded.emit(card.id, grade)

    def _open(self) -> None:
        if self.card is not None:
            self.open_requested.emit(self.card)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key == Qt.Key.Key_Space:
            self.reveal()
        elif key in _GRADE_KEYS and self.revealed:
            self.grade(_GRADE_KEYS[Qt.Key(key)])
        elif key == Qt.Key.Key_O:
            self._open()
        else:
            super().keyPressEvent(event)

    # -- text ------------------------------------------------------------------------------
    def retranslate(self) -> None:
        counts = self.counts
        if counts is not None:
            self.counts_label.setText(tr("{due} due · {new} new · {total} cards").format(
                due=counts.due, new=counts.new, total=counts.total))
        else:
            self.counts_label.setText("")
        card = self.card
        has_card = card is not None
        if self.state == "busy":
            self.question.setText(tr("Drawing cards from your notes…"))
        elif self.state == "error":
            self.question.setText(tr("Could not load the quiz: {error}").format(error=self._detail))
        elif self.state == "done":
            self.question.setText(tr("Nothing to review now. New cards come from definitions, fixes and "
                                     "numbers you write in your notes."))
        elif self.state == "idle":
            self.question.setText("")
        elif has_card:
            self.question.setText(card.question)
        self.source_label.setText(
            f"{card.source.date} · {card.source.section}" if has_card else "")
        self.source_label.setToolTip(f"{card.source.path}:{card.source.line + 1}" if has_card else "")
        self.answer.setText(card.answer if has_card and self.revealed else "")
        self.rule.setVisible(has_card and self.revealed)
        self.reveal_button.setText(tr("Show answer (Space)"))
        self.reveal_button.setVisible(has_card and not self.revealed)
        self.open_button.setText(tr("Open note (O)"))
        self.open_button.setToolTip(tr("Open the note this card comes from, at its line"))
        self.open_button.setVisible(has_card)
        for n, (grade, button) in enumerate(self.grade_buttons.items(), 1):
            button.setText(f"{_grade_label(grade)} ({n})")
            button.setVisible(has_card and self.revealed)


class QuizDock(PanelDock):
    """Takes the keyboard whenever it is shown (its shortcut, the View menu, its tab), so Space
    and 1–4 grade without a click into it first."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("QuizDock", QuizPanel(), "quiz", SHORTCUT, parent=parent)
        self.setFocusProxy(self.panel)  # focusing the dock (or its floating window) focuses the panel
        self.visibilityChanged.connect(self._take_focus)

    def reveal(self) -> None:
        super().reveal()
        self._take_focus(True)

    def _take_focus(self, visible: bool) -> None:
        if visible and not self.visibleRegion().isEmpty():
            if self.isFloating():
                self.activateWindow()
            self.panel.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """A key that reached the dock itself (its title bar, a floating dock's window) is the
        panel's: Space, 1–4 and O work wherever in the dock the keyboard is."""
        self.panel.keyPressEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(tr("Quiz"))
        self.toggle.setText(tr("Quiz"))
        self.toggle.setToolTip(tr("Review cards drawn from your notes ({key})").format(key=SHORTCUT))


class QuizController(QObject):
    """Fetches a batch of cards when the dock is shown or runs out, sends each grade."""

    def __init__(self, window, dock: QuizDock):
        super().__init__(window)
        self.window = window
        self.dock = dock
        self.panel = dock.panel
        self.queue: list = []
        self.loading = False
        self.grades_sent = 0
        self.panel.graded.connect(self._graded)
        self.panel.open_requested.connect(
            lambda card: window.open_note(Path(card.source.path), card.source.line))
        dock.visibilityChanged.connect(self._visibility)

    def _visibility(self, visible: bool) -> None:
        if visible and not self.window._closed and self.panel.card is None and not self.loading:
            self.load()

    def load(self) -> None:
        self.loading = True
        self.panel.set_busy()
        self.window.backend.quiz_next(BATCH, on_result=self._loaded, on_error=self._failed)

    def _loaded(self, result) -> None:
        self.loading = False
        if self.window._closed:
            return
        cards, counts = result
        self.queue = list(cards)
        self.panel.show_card(self.queue.pop(0) if self.queue else None, counts)

    def _graded(self, card_id: str, grade: str) -> None:
        self.grades_sent += 1
        self.window.backend.quiz_grade(card_id, grade, on_result=self._grade_saved, on_error=self._failed)
        if self.queue:
            self.panel.show_card(self.queue.pop(0))
        else:
            self.load()

    def _grade_saved(self, result) -> None:
        _due, counts = result
        if not self.window._closed:
            self.panel.set_counts(counts)

    def _failed(self, exc: BaseException) -> None:
        self.loading = False
        if self.window._closed:
            return
        error = describe_error(exc, "quiz")
        self.panel.show_error(error.detail)


def install_quiz(window) -> tuple[QuizDock, QuizController]:
    """Add the dock on the right (tabbed with Ask), its View-menu entry and shortcut."""
    dock = QuizDock(window)
    dock.install(window)
    return dock, QuizController(window, dock)
