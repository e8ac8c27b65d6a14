"""GUI fixtures: a window over a fake (or real) service, reset language and theme per test."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from studylog.config import Settings  # noqa: E402
from studylog.gui.app import create_application, prepare_look  # noqa: E402
from studylog.gui.main_window import MainWindow  # noqa: E402
from studylog.gui.workers import LINGERING  # noqa: E402
from tests.gui.fakes import WAIT_MS  # noqa: E402


@pytest.fixture(scope="session")
def qapp_args():
    return ["studylog-tests"]


@pytest.fixture(autouse=True)
def look(qapp):
    """Every test starts in English with the light theme, whatever the last one switched to."""
    create_application()
    prepare_look(Settings(ui_language="en", theme="light"))
    yield
    prepare_look(Settings(ui_language="en", theme="light"))


@pytest.fixture(autouse=True, scope="session")
def _release_lingering_threads():
    yield
    for worker in LINGERING:
        worker.wait(10_000)


class WindowMaker:
    def __init__(self, qtbot, vault: Path):
        self.qtbot = qtbot
        self.vault = vault
        self.windows: list[MainWindow] = []

    def __call__(self, service_factory: Callable, *, settings: Settings | None = None, wait_note: bool = True,
                 **options) -> MainWindow:
        options.setdefault("index_on_start", False)
        options.setdefault("warm_up_on_start", False)
        options.setdefault("autosave_ms", 150)
        options.setdefault("reindex_delay_ms", 60_000)
        window = MainWindow(settings or Settings(ui_language="en", theme="light"), service_factory,
                            vault_override=self.vault, **options)
        self.windows.append(window)
        window.show()
        self.qtbot.waitUntil(lambda: window.calendar_panel.loaded, timeout=WAIT_MS)
        if wait_note:
            self.qtbot.waitUntil(lambda: window.session.path is not None, timeout=WAIT_MS)
        return window

    def close_all(self) -> None:
        for window in self.windows:
            if not window._closed:
                window.close()
            window.deleteLater()  # later tests must not re-polish windows nobody sees
        self.windows.clear()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def make_window(qtbot, fixtures_vault):
    maker = WindowMaker(qtbot, fixtures_vault)
    yield maker
    maker.close_all()

