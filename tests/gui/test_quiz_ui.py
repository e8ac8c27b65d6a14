"""The Quiz dock: show a card, Space reveals, 1–4 grade (stored by the core), O opens the note."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from studylog.config import Settings
from studylog.gui.bench import StallMeter
from studylog.quiz.store import QuizStore
from tests.gui.fakes import WAIT_MS

pytestmark = pytest.mark.gui


@pytest.fixture
def real_service():
    from studylog.service import StudyLogService

    return lambda settings, vault: StudyLogService(settings=Settings(), vault=vault)


def test_review_flow_reveal_grade_and_open(qtbot, make_window, real_service, isolated_home):
    window = make_window(real_service)
    dock, controller = window.quiz_dock, window.quiz
    panel = dock.panel
    assert not dock.isVisible()

    probe = StallMeter()  # lateness of a 10 ms timer: time the event loop was blocked
    probe.start()
    dock.toggle.trigger()  # Ctrl+Shift+K / View ▸ Quiz
    assert dock.isVisible() and dock.toggle.isChecked()
    qtbot.waitUntil(lambda: panel.state == "card", timeout=WAIT_MS)
    stall = probe.stop()
    assert stall["max_ms"] < 500 - 10, f"event loop stalled {stall['max_ms']} ms"  # no gap of 0.5 s
    first = panel.card
    assert panel.question.text() == first.question and panel.answer.text() == ""
    assert panel.counts.new > 100 and "new" in panel.counts_label.text()
    assert not panel.grade_buttons["good"].isVisible()

    qtbot.keyClick(panel, Qt.Key.Key_3)  # no grade before the answer is shown
    assert panel.card is first and controller.grades_sent == 0
    qtbot.keyClick(panel, Qt.Key.Key_Space)
    assert panel.answer.text() == first.answer and panel.grade_buttons["good"].isVisible()
    qtbot.keyClick(panel, Qt.Key.Key_3)  # good
    assert controller.grades_sent == 1 and panel.card is not None and panel.card.id != first.id
    store = QuizStore(isolated_home / "quiz.sqlite")
    qtbot.waitUntil(lambda: len(store.reviews(first.id)) == 1, timeout=WAIT_MS)
    assert store.reviews(first.id)[0][0] == "good"
    qtbot.waitUntil(lambda: panel.counts.new == store.counts().new, timeout=WAIT_MS)

    second = panel.card
    qtbot.keyClick(panel, Qt.Key.Key_Space)
    qtbot.mouseClick(panel.grade_buttons["again"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [grade for grade, *_ in store.reviews(second.id)] == ["again"], timeout=WAIT_MS)

    card = panel.card
    qtbot.keyClick(panel, Qt.Key.Key_O)  # open the card's note at its line
    qtbot.waitUntil(lambda: window.session.path is not None and window.session.path.name == card.source.path,
                    timeout=WAIT_MS)
    editor = window.editor_panel.editor
    qtbot.waitUntil(lambda: editor.textCursor().blockNumber() == card.source.line, timeout=WAIT_MS)


def test_the_dock_takes_the_keyboard_when_shown(qtbot, make_window, real_service, isolated_home):
    """Ctrl+Shift+K while writing: Space and 1–4 work at once, without a click into the dock."""
    from PySide6.QtWidgets import QApplication

    window = make_window(real_service)
    window.activateWindow()
    editor = window.editor_panel.editor
    editor.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor, timeout=WAIT_MS)
    dock, controller = window.quiz_dock, window.quiz
    panel = dock.panel
    dock.toggle.trigger()  # Ctrl+Shift+K
    assert QApplication.focusWidget() is panel
    qtbot.waitUntil(lambda: panel.state == "card", timeout=WAIT_MS)
    assert QApplication.focusWidget() is panel
    first = panel.card
    qtbot.keyClick(dock, Qt.Key.Key_Space)
    assert panel.revealed and panel.answer.text() == first.answer
    qtbot.keyClick(dock, Qt.Key.Key_3)
    assert controller.grades_sent == 1 and panel.card is not first
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)  # the keyboard is still the dock's
    assert panel.revealed

    # Hidden, then shown again from its tab: it takes the keyboard back from the editor.
    dock.close()
    editor.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor, timeout=WAIT_MS)
    dock.show()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel, timeout=WAIT_MS)


def test_korean_labels(qtbot, make_window, real_service):
    from studylog.gui.i18n import install_language

    window = make_window(real_service)
    install_language("ko")
    qtbot.waitUntil(lambda: window.quiz_dock.windowTitle() == "퀴즈", timeout=WAIT_MS)
    window.quiz_dock.toggle.trigger()
    panel = window.quiz_dock.panel
    qtbot.waitUntil(lambda: panel.state == "card", timeout=WAIT_MS)
    assert panel.reveal_button.text() == "정답 보기 (Space)"
    assert panel.counts_label.text().startswith("복습 ")
    qtbot.keyClick(panel, Qt.Key.Key_Space)
    assert panel.grade_buttons["easy"].text() == "쉬움 (4)"
