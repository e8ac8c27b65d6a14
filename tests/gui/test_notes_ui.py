"""Writing: new note from the template, autosave, restart, Hangul input, find, preview."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage, QInputMethodEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import QApplication

from studylog.gui.note_session import SAVED
from tests.gui.fakes import WAIT_MS, FakeService, fake_factory

pytestmark = pytest.mark.gui


def _type_at_end(qtbot, editor, text: str) -> None:
    """Type ASCII as key presses and Hangul as input-method commits (as a Korean IME does)."""
    editor.setFocus()
    editor.moveCursor(QTextCursor.MoveOperation.End)
    for char in text:
        if char == "\n":
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        elif char.isascii():
            qtbot.keyClicks(editor, char)
        else:
            commit(editor, char)


def commit(widget, text: str) -> None:
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def test_today_creates_note_from_template(qtbot, make_window, fixtures_vault):
    service = FakeService(fixtures_vault)
    window = make_window(fake_factory(service))
    today = dt.date.today()
    target = fixtures_vault / f"{today.isoformat()}.md"
    assert not target.exists()

    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.session.path == target, timeout=WAIT_MS)

    text = window.editor_panel.editor.toPlainText()
    assert "### 스크럼" in text and f"date: {today.isoformat()}" in text
    assert target.read_text(encoding="utf-8") == text
    qtbot.waitUntil(lambda: window.calendar_panel.path_for(today) == target, timeout=WAIT_MS)
    assert window.calendar_panel.streak_label.text() == "1-day streak"
    assert window.editor_panel.title.text().startswith(today.isoformat())


def test_autosave_then_restart_restores_text_and_layout(qtbot, make_window, fixtures_vault):
    service = FakeService(fixtures_vault)
    window = make_window(fake_factory(service))
    path = window.session.path
    _type_at_end(qtbot, window.editor_panel.editor, "\n- 오늘 autosave 확인")
    assert window.isWindowModified()
    assert window.save_label.text() == "Unsaved changes"
    qtbot.waitUntil(lambda: window.session.state == SAVED, timeout=WAIT_MS)
    assert path.read_text(encoding="utf-8").endswith("- 오늘 autosave 확인")
    assert window.save_label.text().startswith("Saved")
    assert not window.isWindowModified()

    window.ask_dock.hide()
    window.resize(window.width(), 520)  # the offscreen screen is 800x600: change the height only
    window.editor_panel.set_preview(True)
    window.close()

    again = make_window(fake_factory(FakeService(fixtures_vault)))
    assert again.session.path == path
    assert again.editor_panel.editor.toPlainText().endswith("- 오늘 autosave 확인")
    assert not again.ask_dock.isVisible()
    assert again.days_dock.isVisible()
    assert again.height() == 520
    assert again.editor_panel.previewing


def test_hangul_input_method_commits_are_saved(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)))
    editor = window.editor_panel.editor
    editor.setFocus()
    editor.moveCursor(QTextCursor.MoveOperation.End)
    before = editor.toPlainText()

    def compose(preedits: list[str], commit: str) -> None:
        for preedit in preedits:
            QApplication.sendEvent(editor, QInputMethodEvent(preedit, []))
            # Composition is shown in place but is not text yet.
            assert editor.toPlainText() == before + committed[0]
        event = QInputMethodEvent()
        event.setCommitString(commit)
        QApplication.sendEvent(editor, event)
        committed[0] += commit

    committed = [""]
    compose(["ㅎ", "하", "한"], "한")
    compose(["ㄱ", "그", "글"], "글")
    compose(["ㅇ", "이", "입"], "입")
    compose(["ㄹ", "려", "력"], "력")
    assert editor.toPlainText() == before + "한글입력"
    qtbot.waitUntil(lambda: window.session.state == SAVED, timeout=WAIT_MS)
    assert window.session.path.read_text(encoding="utf-8").endswith("한글입력")
    editor.undo()
    assert not editor.toPlainText().endswith("한글입력")


def test_undo_and_find(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)))
    window.open_note(fixtures_vault / "2026-10-14.md")
    qtbot.waitUntil(lambda: window.session.path.name == "2026-10-14.md", timeout=WAIT_MS)
    editor = window.editor_panel.editor
    original = editor.toPlainText()
    _type_at_end(qtbot, editor, "xyz")
    editor.undo()
    assert editor.toPlainText() == original

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    bar = window.editor_panel.find_bar
    assert bar.isVisible()
    qtbot.keyClicks(bar.field, "softmax")
    assert editor.textCursor().selectedText().lower() == "softmax"
    first = editor.textCursor().blockNumber()
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    assert editor.textCursor().blockNumber() > first
    assert "found" in bar.count.text()
    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible()


def test_preview_loads_vault_images_and_blocks_remote(qtbot, make_window, fixtures_vault):
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(0x3366CC)
    (fixtures_vault / "img").mkdir()
    image.save(str(fixtures_vault / "img" / "dot.png"))
    (fixtures_vault / "secret.png").parent.mkdir(exist_ok=True)
    note = fixtures_vault / "2026-12-01.md"
    note.write_text("---\ndate: 2026-12-01\n---\n# 미리보기\n\n![local](img/dot.png)\n\n"
                    "![remote](https://example.com/track.png)\n", encoding="utf-8")
    window = make_window(fake_factory(FakeService(fixtures_vault)))
    window.open_note(note)
    qtbot.waitUntil(lambda: window.session.path == note, timeout=WAIT_MS)

    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    preview = window.editor_panel.preview
    assert window.editor_panel.stack.currentWidget() is preview
    preview.grab()  # lays the document out, which loads its images
    assert "https://example.com/track.png" in preview.blocked
    assert "date:" not in preview.toPlainText() and "미리보기" in preview.toPlainText()
    kind = QTextDocument.ResourceType.ImageResource.value
    assert isinstance(preview.loadResource(kind, QUrl("img/dot.png")), QImage)
    assert preview.loadResource(kind, QUrl("https://example.com/a.png")) is None
    outside = Path(fixtures_vault).parent / "outside.png"
    image.save(str(outside))
    assert preview.loadResource(kind, QUrl("../outside.png")) is None
    assert preview.loadResource(kind, QUrl.fromLocalFile(str(outside))) is None

    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert window.editor_panel.stack.currentWidget() is window.editor_panel.editor
