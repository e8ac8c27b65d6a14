"""Runs questions from the Ask panel through the backend and feeds the answer back, event by
event. One answer at a time; a stopped answer's late events are dropped, not shown."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from studylog.gui.ask_panel import AskPanel
from studylog.gui.backend import AnswersUnavailable, Backend
from studylog.gui.errors import ask_failure_text, describe_error
from studylog.gui.i18n import tr


def unavailable_reason() -> str:
    return tr("Answers are not available yet in this version of StudyLog. "
              "Search (Ctrl+K) finds the passages in your notes meanwhile.")


class AskController(QObject):
    failed = Signal(object)  # a UserError for the window's banner

    def __init__(self, backend: Backend, panel: AskPanel):
        super().__init__(panel)
        self.backend = backend
        self.panel = panel
        self._job = None
        self._serial = 0
        panel.ask_requested.connect(self.ask)
        panel.stop_requested.connect(self._cancel_job)
        backend.warmup_progress.connect(panel.on_status)
        backend.warmup_finished.connect(panel.hide_progress)

    def ask(self, question: str, history: list) -> None:
        self._serial += 1
        serial = self._serial
        self._job = self.backend.ask(
            question, history,
            on_item=lambda event: self._event(serial, event),
            on_result=lambda _result: self._ended(serial),
            on_aborted=lambda: self._ended(serial),
            on_error=lambda exc: self._failed(serial, exc))

    def stop(self) -> None:
        self.panel.request_stop()  # the panel marks the answer stopped, then asks us to cancel

    def _current(self, serial: int) -> bool:
        return self._job is not None and serial == self._serial

    def _event(self, serial: int, event) -> None:
        if not self._current(serial):
            return  # a stopped answer still draining
        kind = getattr(event, "kind", "")
        if kind == "status":
            self.panel.on_status(event.text, event.fraction)
        elif kind == "token":
            self.panel.on_token(event.text)
        elif kind == "done":
            self.panel.on_done(event.answer)
        elif kind == "error":
            self.panel.on_error(ask_failure_text(getattr(event, "code", ""), event.text, self.backend.indexing))

    def _ended(self, serial: int) -> None:
        if not self._current(serial):
            return
        self._job = None
        if self.panel.busy:  # the stream ended without a done event
            self.panel.on_done(None)

    def _failed(self, serial: int, exc: BaseException) -> None:
        if not self._current(serial):
            return
        self._job = None
        if isinstance(exc, AnswersUnavailable):
            self.panel.on_error(tr("Answers are not available yet in this version of StudyLog."))
            self.panel.set_available(False, unavailable_reason())
            return
        error = describe_error(exc, "ask")
        self.panel.on_error(f"{error.detail}\n{error.fix}")
        self.failed.emit(error)

    def _cancel_job(self) -> None:
        if self._job is not None:
            self._job.quit()  # sets the cancel event handed to ask_stream
            self._job = None
