"""The Attention dock: a tab beside "Ask your notes", and the window's entry points to it.

The heavy panel (numpy) is built the first time it is needed, so the window still starts
without importing numpy. "Show attention" on an answer runs the capture on the model worker
with a busy indicator; the Ask menu opens explore mode.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.attention.jobs import AttentionJobs, AttentionUnavailable
from studylog.gui.i18n import Retranslatable, tr

DOCK_SHARE = 0.58  # of the window width, the first time the dock opens


class _MessagePage(QWidget):
    """A centred message with an optional busy bar and buttons (hint, busy, error)."""

    def __init__(self):
        super().__init__()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.bar.setMaximumWidth(320)
        self.primary = QPushButton()
        self.secondary = QPushButton()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.secondary)
        buttons.addWidget(self.primary)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(buttons)
        layout.addStretch(2)


class AttentionDock(Retranslatable, QDockWidget):
    open_note_requested = Signal(str, int)  # path, line

    def __init__(self, jobs: AttentionJobs, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("AttentionDock")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.jobs = jobs
        self.panel = None  # AttentionPanel, built on first use
        self.answer = None
        self.state = "idle"  # idle / capturing / failed / shown
        self.error = ""
        self._capture_serial = 0
        self._explore_serial = 0
        self._capture_job = None
        self._widened = False
        self.hint = _MessagePage()
        self.hint.bar.hide()
        self.hint.secondary.hide()
        self.hint.primary.clicked.connect(lambda: self.open_explore())
        self.busy = _MessagePage()
        self.busy.primary.hide()
        self.busy.secondary.clicked.connect(self.cancel)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self.busy)
        self.setWidget(self.stack)
        self.explore_action = QAction(self)
        self.explore_action.setObjectName("exploreAttention")
        self.explore_action.triggered.connect(lambda _checked=False: self.open_explore())
        self.retranslate()

    # -- the panel -------------------------------------------------------------------------
    def ensure_panel(self):
        if self.panel is None:
            from studylog.gui.attention.panel import AttentionPanel  # numpy: only once needed

            self.panel = AttentionPanel()
            self.panel.open_note_requested.connect(self.open_note_requested)
            self.panel.explore_requested.connect(self.run_explore)
            self.stack.addWidget(self.panel)
        return self.panel

    def reveal(self) -> None:
        self.show()
        self.raise_()
        window = self.parentWidget()
        if not self._widened and hasattr(window, "resizeDocks") and not self.isFloating():
            self._widened = True
            width = max(self.width(), int(window.width() * DOCK_SHARE))
            window.resizeDocks([self], [width], Qt.Orientation.Horizontal)

    # -- answers ---------------------------------------------------------------------------
    def show_answer(self, answer) -> None:
        """Capture the attention of `answer` on the model worker, then show the panel."""
        self.reveal()
        if self._capture_job is not None:
            self._capture_job.quit()
        self._capture_serial += 1
        serial = self._capture_serial
        self.answer = answer
        self.state = "capturing"
        tokens = len(getattr(answer, "prompt_token_ids", []) or []) + len(getattr(answer, "answer_token_ids", []) or [])
        self.busy.label.setText(tr("Capturing attention: one more pass of the model over the {n} tokens of the "
                                   "prompt and answer…").format(n=tokens))
        self.busy.bar.show()
        self.busy.secondary.setText(tr("Cancel"))
        self.stack.setCurrentWidget(self.busy)
        self._capture_job = self.jobs.capture(answer, lambda capture: self._captured(serial, capture),
                                              lambda exc: self._capture_failed(serial, exc))

    def _captured(self, serial: int, capture) -> None:
        if serial != self._capture_serial:
            return
        self._capture_job = None
        panel = self.ensure_panel()
        panel.set_capture(capture, self.answer)
        self.state = "shown"
        self.stack.setCurrentWidget(panel)

    def _capture_failed(self, serial: int, exc: BaseException) -> None:
        if serial != self._capture_serial:
            return
        self._capture_job = None
        self.state = "failed"
        if isinstance(exc, AttentionUnavailable):
            self.error = tr("This version of StudyLog cannot show attention yet.")
        else:
            self.error = tr("Could not capture the attention: {error}").format(error=str(exc) or type(exc).__name__)
        self.busy.label.setText(self.error)
        self.busy.bar.hide()
        self.busy.secondary.setText(tr("Back"))

    def cancel(self) -> None:
        """Stop waiting for a capture (or leave an error) and go back to what was shown."""
        if self._capture_job is not None:
            self._capture_job.quit()
            self._capture_job = None
        self._capture_serial += 1
        self.state = "shown" if self.panel is not None and self.panel.capture is not None else "idle"
        self.stack.setCurrentWidget(self.panel if self.panel is not None else self.hint)

    # -- explore ---------------------------------------------------------------------------
    def open_explore(self, text: str = "") -> None:
        self.reveal()
        panel = self.ensure_panel()
        panel.show_explore(text)
        if self.state != "capturing":
            self.stack.setCurrentWidget(panel)

    def run_explore(self, text: str, layer, head) -> None:
        self._explore_serial += 1
        serial = self._explore_serial
        explore = self.ensure_panel().explore

        def done(result) -> None:
            if serial == self._explore_serial:
                explore.show_result(result)

        def failed(exc: BaseException) -> None:
            if serial == self._explore_serial:
                message = (tr("This version of StudyLog cannot show attention yet.")
                           if isinstance(exc, AttentionUnavailable) else str(exc) or type(exc).__name__)
                explore.show_error(message)

        self.jobs.explore(text, layer, head, done, failed)

    def retranslate(self) -> None:
        self.setWindowTitle(tr("Attention"))
        self.hint.label.setText(tr("See what the model looked at: press “Show attention” under an answer, or "
                                   "explore how it reads any text you type."))
        self.hint.primary.setText(tr("Explore any text"))
        self.explore_action.setText(tr("Explore attention…"))
        self.explore_action.setToolTip(tr("Run the model over any text and see its attention"))
        if self.state == "capturing":
            self.busy.secondary.setText(tr("Cancel"))


def install_attention(window) -> AttentionDock:
    """Add the Attention dock to the main window, tabbed with the Ask dock, plus its entry points."""
    jobs = AttentionJobs(window.backend, window)
    dock = AttentionDock(jobs, window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.tabifyDockWidget(window.ask_dock, dock)
    window.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.North)
    dock.hide()
    window.ask_panel.attention_requested.connect(dock.show_answer)
    dock.open_note_requested.connect(lambda path, line: window.open_note(Path(path), line))
    actions = window.window_actions
    actions.view_menu.addAction(dock.toggleViewAction())
    actions.ask_menu.addSeparator()
    actions.ask_menu.addAction(dock.explore_action)
    return dock
