"""Start the desktop app: `studylog gui [--vault DIR] [--screenshot PATH]`.

Start-up order matters for how fast the window appears: Qt, settings, language and theme,
then the window is shown; the service (and numpy, the index, the models behind it) is
created by the first background job, after the first paint.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studylog.gui.errors import UserError
from studylog.gui.i18n import install_language, resolve_language, tr
from studylog.gui.icons import app_icon
from studylog.gui.main_window import MainWindow
from studylog.gui.theme import theme_manager, ui_font
from studylog.gui.workers import LINGERING

SCREENSHOT_TIMEOUT_MS = 60_000
_IMPORTED_AT = time.time()


def process_start_time() -> float:
    """When this process started (wall clock), so start-up time includes Python's own."""
    try:
        import psutil

        return psutil.Process().create_time()
    except Exception:  # noqa: BLE001 - psutil missing or not permitted: the best we know
        return _IMPORTED_AT


def default_service_factory(settings, vault: Path | None):
    """Build the real service (runs on a worker thread: the import pulls numpy and more).

    The core runs in a child process (`studylog.core_process`): Chroma, Kiwi and the models
    hold the GIL in native code for up to seconds, which froze the window when they ran
    in this process, on whatever thread. Note files stay here (see `RemoteService`).
    `STUDYLOG_IN_PROCESS=1` keeps the core in this process (profiling, debugging).
    """
    if os.environ.get("STUDYLOG_IN_PROCESS") == "1":
        from studylog.service import StudyLogService

        return StudyLogService(settings=settings, vault=vault)
    from studylog.core_process import RemoteService

    return RemoteService(settings=settings, vault=vault)


def load_settings_for_gui() -> tuple[object, list[UserError]]:
    """Settings, or defaults plus a banner message when the file is broken."""
    from studylog.config import Settings, SettingsError, load_settings

    try:
        return load_settings(), []
    except SettingsError as exc:
        return Settings(), [UserError(tr("The settings file is broken"), str(exc),
                                      tr("Fix or delete the file; StudyLog uses the defaults until then."),
                                      "settings")]


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("StudyLog")
    app.setApplicationDisplayName("StudyLog")
    app.setOrganizationName("StudyLog")
    app.setDesktopFileName("studylog")
    app.setWindowIcon(app_icon())
    app.setFont(ui_font())
    return app


def prepare_look(settings) -> None:
    install_language(resolve_language(getattr(settings, "ui_language", "")))
    theme_manager().apply(getattr(settings, "theme", "system"))


class _Screenshot:
    """Waits for the window to be painted and listed, saves a PNG, reports, quits."""

    def __init__(self, window: MainWindow, path: Path, started: float):
        self.window = window
        self.path = path
        self.started = started
        self.exit_code = 0
        window.ready.connect(lambda: QTimer.singleShot(80, self.take))
        QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, self.timed_out)
        self.taken = False

    def timed_out(self) -> None:
        if not self.taken:
            print("studylog: the window was not ready in time; saving what is shown", file=sys.stderr)
            self.exit_code = 2
            self.take()

    def take(self) -> None:
        if self.taken:
            return
        self.taken = True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(str(self.path), "PNG"):
            print(f"studylog: could not write {self.path}", file=sys.stderr)
            self.exit_code = 1
        painted = self.window.first_paint_time or time.time()
        print(f"first_paint_ms={round((painted - self.started) * 1000)}", flush=True)
        self.window.close()
        QApplication.instance().exit(self.exit_code)


def welcome_if_needed(settings, vault: Path | None):
    """First run (no vault folder yet): ask where the notes go. Returns (settings, choice);
    choice None when no question was needed, False when the user closed the dialog."""
    from studylog.config import default_vault
    from studylog.gui.welcome import WelcomeDialog, needs_welcome

    if not needs_welcome(settings, vault):
        return settings, None
    dialog = WelcomeDialog(settings, default_vault())
    if dialog.exec() != WelcomeDialog.DialogCode.Accepted or dialog.choice is None:
        return settings, False
    return dialog.settings, dialog.choice


def run_gui(vault: str | Path | None = None, screenshot: str | Path | None = None) -> int:
    started = process_start_time()
    app = create_application()
    settings, startup_errors = load_settings_for_gui()
    prepare_look(settings)
    choice = None
    if screenshot is None:  # a screenshot run is unattended: it never asks
        settings, choice = welcome_if_needed(settings, Path(vault).expanduser() if vault else None)
        if choice is False:
            return 0
    window = MainWindow(
        settings,
        default_service_factory,
        vault_override=Path(vault).expanduser() if vault else None,
        index_on_start=screenshot is None,
        warm_up_on_start=screenshot is None,
        startup_errors=startup_errors,
    )
    taker = _Screenshot(window, Path(screenshot), started) if screenshot else None
    if choice and choice.import_from is not None:
        source = choice.import_from
        QTimer.singleShot(0, lambda: window.import_folder(source))
    # Ctrl+C in the terminal closes the window properly (saving the note) instead of a
    # traceback; the timer lets Python run its signal handler while Qt owns the loop.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    heartbeat = QTimer(interval=250)
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start()
    window.show()
    code = app.exec()
    if taker is not None:
        code = taker.exit_code
    if LINGERING:
        # A worker is inside native code (a model load) and cannot be interrupted; the note
        # is already saved, so leave without waiting for it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
