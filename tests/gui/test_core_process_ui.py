"""The window over the real `RemoteService`: the core (index, search, answers) in a child process.

The child builds `tests.core_factories.ScriptedService` (real service, fake embedder, n-gram
keyword tokenizer, scripted answers).
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from PySide6.QtCore import Qt

from studylog.config import Settings
from studylog.core_process import CoreProcessError, RemoteService
from studylog.gui.app import default_service_factory
from tests.gui.fakes import WAIT_MS

pytestmark = pytest.mark.gui
FACTORY = "tests.core_factories:scripted_service"
CORE_WAIT_MS = 30_000  # a child's first Chroma import takes a few seconds on a small machine


def remote_factory(settings, vault):
    return RemoteService(settings=settings, vault=vault, factory=FACTORY)


def test_the_window_indexes_searches_answers_and_saves_through_the_core_process(qtbot, make_window, fixtures_vault):
    window = make_window(remote_factory, autosave_ms=100)
    service = window.backend.host.created
    assert isinstance(service, RemoteService)
    with qtbot.waitSignal(window.backend.index_finished, timeout=CORE_WAIT_MS) as finished:
        window.backend.index()
    report = finished.args[0]
    assert report.notes == 45 and report.embedded == report.chunks and not report.cancelled

    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(window.search_panel.field, "scaled dot-product attention softmax")
    qtbot.keyClick(window.search_panel.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.search_panel.model.rowCount() > 0, timeout=WAIT_MS)

    panel = window.ask_panel
    qtbot.waitUntil(lambda: panel.available, timeout=WAIT_MS)
    panel.input.setPlainText("what did I learn?")
    panel.submit()
    bubble = panel.bubbles()[-1]
    qtbot.waitUntil(lambda: bubble.state == "done", timeout=WAIT_MS)
    assert bubble.body.text().strip() == "t0 t1 t2 t3 t4"

    path = window.session.path
    editor = window.editor_panel.editor
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor, " saved in this process")
    qtbot.waitUntil(lambda: path.read_text(encoding="utf-8").endswith(" saved in this process"), timeout=WAIT_MS)

    pid = service.core.pid
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 2.0
    assert all(not worker.isRunning() for worker in window.backend.workers)
    assert not service.core.alive
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_crashed_core_is_reported_and_the_next_request_restarts_it(qtbot, make_window, fixtures_vault):
    window = make_window(remote_factory)
    service = window.backend.host.created
    service.call("set_embed_delay", 0.2)
    with qtbot.waitSignal(window.backend.index_progress, timeout=CORE_WAIT_MS):
        window.backend.index()
    first = service.core.pid
    with qtbot.waitSignal(window.backend.index_failed, timeout=WAIT_MS) as failed:
        os.kill(first, signal.SIGKILL)
    assert isinstance(failed.args[0], CoreProcessError) and "stopped unexpectedly" in str(failed.args[0])
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert "stopped unexpectedly" in window.banner.text.text()

    results = []
    window.backend.search("attention", on_result=results.append, on_error=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=CORE_WAIT_MS)
    assert not isinstance(results[0], BaseException)
    assert service.core.pid != first and service.core.starts == 2


def test_new_settings_close_the_old_core_process(qtbot, make_window, fixtures_vault):
    window = make_window(remote_factory)
    old = window.backend.host.created
    assert old.core.ping()
    window.backend.reconfigure(window._make_factory())
    qtbot.waitUntil(lambda: not old.core.alive, timeout=3000)
    days = []
    window.backend.list_days(on_result=days.append)
    qtbot.waitUntil(lambda: bool(days), timeout=WAIT_MS)
    assert window.backend.host.created is not old


def test_the_app_uses_the_core_process_unless_told_otherwise(fixtures_vault, monkeypatch):
    service = default_service_factory(Settings(), fixtures_vault)
    try:
        assert isinstance(service, RemoteService) and service.vault.root == fixtures_vault
    finally:
        service.close()
    monkeypatch.setenv("STUDYLOG_IN_PROCESS", "1")
    from studylog.service import StudyLogService

    assert type(default_service_factory(Settings(), fixtures_vault)) is StudyLogService
