"""The "Related notes" dock: beside the editor, refreshed when typing pauses.

The search runs in the core (child) process through the backend's engine worker, never on
this thread: this module only starts a timer on each edit, sends the note's path and text
once typing has paused for `PAUSE_MS`, and draws the reply. At most one request is in
flight; edits made meanwhile send one more request when it returns, so a fast typist never
queues a backlog. While the dock is hidden nothing is computed.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from studylog.gui.errors import describe_error
from studylog.gui.i18n import tr
from studylog.gui.panel_dock import PanelDock
from studylog.gui.related_panel import RelatedPanel

PAUSE_MS = 1500  # typing pause before the list is refreshed (the issue: "a second or two")
OPEN_DELAY_MS = 100  # a note just opened: look at once, after its text is in the editor
RELATED_COUNT = 6
SHORTCUT = "Ctrl+Shift+R"


class RelatedDock(PanelDock):
    def __init__(self, parent: QWidget | None = None):
        super().__init__("RelatedDock", RelatedPanel(), "relatedNotes", SHORTCUT, parent=parent)

    def retranslate(self) -> None:
        self.setWindowTitle(tr("Related notes"))
        self.toggle.setText(tr("Related notes"))
        self.toggle.setToolTip(tr("Past notes related to the one you are writing ({key})").format(key=SHORTCUT))


class RelatedController(QObject):
    """Edits → pause → one request to the core → the panel. `updated` carries the latency
    from the last edit to the list being shown (ms), for the benchmark."""

    updated = Signal(float)

    def __init__(self, window, dock: RelatedDock, pause_ms: int = PAUSE_MS):
        super().__init__(window)
        self.window = window
        self.dock = dock
        self.panel = dock.panel
        self.pause_ms = pause_ms
        self.timer = QTimer(self, singleShot=True, interval=pause_ms)
        self.timer.timeout.connect(self.request)
        self.in_flight = False
        self.again = False
        self.stale = True  # the list does not reflect the note's current text
        self.last_edit = 0.0  # time.perf_counter() of the last edit (or of opening the note)
        self.latencies_ms: list[float] = []
        self.requests = 0
        editor = window.editor_panel.editor
        editor.textChanged.connect(self._edited)
        window.note_opened.connect(self._opened)
        dock.visibilityChanged.connect(self._visibility)
        self.panel.hit_activated.connect(lambda hit: window.open_note(Path(hit.path), hit.start_line))
        window.backend.index_finished.connect(self._index_finished)
        # A calendar day without a note closes the note: the list no longer belongs to anything.
        window.calendar_panel.empty_day_selected.connect(lambda _day: self._closed_note())

    def _visible(self) -> bool:
        return self.dock.isVisible() and not self.window._closed

    def _edited(self) -> None:
        if self.window.session.path is None:
            return
        self.last_edit = time.perf_counter()
        self.stale = True
        if self._visible():
            # The interval is given every time: start(OPEN_DELAY_MS) elsewhere would otherwise
            # leave the timer at 100 ms and send a request at every keystroke.
            self.timer.start(self.pause_ms)

    def _opened(self, _path: Path) -> None:
        self.last_edit = time.perf_counter()
        self.stale = True
        if self._visible():
            self.timer.start(OPEN_DELAY_MS)

    def _closed_note(self) -> None:
        self.timer.stop()
        self.panel.set_idle()

    def _visibility(self, visible: bool) -> None:
        if visible and self.stale and self.window.session.path is not None:
            self.timer.start(OPEN_DELAY_MS)

    def _index_finished(self, _report) -> None:
        # New or changed notes may now be related (and the first pass makes the list possible).
        self.stale = True
        if self._visible() and self.window.session.path is not None and not self.timer.isActive():
            self.timer.start(OPEN_DELAY_MS)

    def request(self) -> None:
        """Send the open note's text to the core, unless a request is already out."""
        self.timer.stop()
        path = self.window.session.path
        if path is None or self.window._closed:
            self.panel.set_idle()
            return
        if self.in_flight:
            self.again = True
            return
        self.in_flight = True
        self.again = False
        self.stale = False
        self.requests += 1
        sent_edit = self.last_edit
        text = self.window.editor_panel.editor.toPlainText()
        self.panel.set_busy()
        self.window.backend.related(Path(path), text, RELATED_COUNT,
                                    on_result=lambda result: self._done(result, sent_edit),
                                    on_error=self._failed)

    def _done(self, result, sent_edit: float) -> None:
        self.in_flight = False
        if self.window._closed:
            return
        current = self.window.session.path
        if current is not None and _same_path(self.window.resolve_path(Path(result.note)), current):
            self.panel.show_result(result)
            if not self.again and sent_edit == self.last_edit:
                latency = (time.perf_counter() - sent_edit) * 1000
                self.latencies_ms.append(latency)
                self.updated.emit(latency)
        if self.again or self.stale:
            self.request()

    def _failed(self, exc: BaseException) -> None:
        self.in_flight = False
        if self.window._closed:
            return
        error = describe_error(exc, "search")
        self.panel.show_error(f"{error.title}: {error.detail}")
        if self.again:
            self.request()


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == Path(b).resolve()
    except OSError:
        return a == Path(b)


def install_related(window) -> tuple[RelatedDock, RelatedController]:
    """Add the dock on the right (tabbed with Ask and Attention), its View-menu entry and
    shortcut; the window's saved layout then remembers whether it is shown and where."""
    dock = RelatedDock(window)
    dock.install(window)
    controller = RelatedController(window, dock)
    return dock, controller
