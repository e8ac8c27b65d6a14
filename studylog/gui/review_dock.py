"""The "Review" dock: a week's (or a month's) retrospective, streamed from the core process.

Opened from View ▸ Review (Ctrl+Shift+W) for the week of the day selected in the calendar;
◀ ▶ move by a week or a month, Write starts the review, Stop ends it (the core stops at its
next token), Save writes it into the vault as `reviews/2026-W42.md` (never overwriting). The
text streams as the model writes it; when it is done the checked text (citations limited to
the period's days, or the extractive draft) replaces it, with quotes and the cited days.
Nothing here reads notes or touches the model: the backend's model and notes workers do.
"""

from __future__ import annotations

import calendar
import datetime as dt

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.core_status import status_text
from studylog.gui.errors import describe_error
from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.panel_dock import PanelDock

SHORTCUT = "Ctrl+Shift+W"
_PARTS = ("learned", "solved", "open")


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def period_of(day: dt.date, kind: str) -> tuple[dt.date, dt.date]:
    """(first, last day) of the Monday–Sunday week or the calendar month holding `day`."""
    if kind == "week":
        start = week_start(day)
        return start, start + dt.timedelta(days=6)
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _part_label(part: str) -> str:
    return {"learned": tr("What I learned"), "solved": tr("Problems solved"), "open": tr("Still open")}[part]


class ReviewPanel(Retranslatable, QWidget):
    write_requested = Signal()
    stop_requested = Signal()
    save_requested = Signal()
    moved = Signal(int)  # -1 / +1 period
    kind_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = QComboBox()
        self.kind.addItems(["", ""])
        self.kind.currentIndexChanged.connect(lambda i: self.kind_changed.emit(("week", "month")[i]))
        self.prev_button = QPushButton("◀")
        self.next_button = QPushButton("▶")
        self.prev_button.setFixedWidth(32)
        self.next_button.setFixedWidth(32)
        self.prev_button.clicked.connect(lambda: self.moved.emit(-1))
        self.next_button.clicked.connect(lambda: self.moved.emit(1))
        self.period_label = QLabel()
        self.period_label.setObjectName("ReviewPeriod")
        self.period_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        top = QHBoxLayout()
        top.addWidget(self.kind)
        top.addWidget(self.prev_button)
        top.addWidget(self.period_label, 1)
        top.addWidget(self.next_button)
        self.write_button = QPushButton()
        self.write_button.setObjectName("ReviewWrite")
        self.stop_button = QPushButton()
        self.save_button = QPushButton()
        self.write_button.clicked.connect(self.write_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.save_button.clicked.connect(self.save_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.write_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        self.status = QLabel()
        self.status.setObjectName("SearchMessage")
        self.status.setWordWrap(True)
        self.text = QTextBrowser()
        self.text.setObjectName("ReviewText")
        self.text.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.text, 1)
        self.streamed = ""
        self.state = "idle"  # idle, writing, done
        self.set_state("idle")
        self.retranslate()

    def set_state(self, state: str, can_save: bool = False) -> None:
        self.state = state
        writing = state == "writing"
        self.write_button.setEnabled(not writing)
        self.stop_button.setEnabled(writing)
        self.save_button.setEnabled(can_save and not writing)
        for widget in (self.kind, self.prev_button, self.next_button):
            widget.setEnabled(not writing)

    def start(self) -> None:
        self.streamed = ""
        self.text.setPlainText("")
        self.status.setText(tr("Reading the notes of this period…"))
        self.set_state("writing")

    def append(self, piece: str) -> None:
        self.streamed += piece
        self.text.setPlainText(self.streamed)
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.maximum())

    def show_review(self, review) -> None:
        """The checked review, then its quotes per part and the days it cites."""
        lines = [review.text.strip(), ""]
        if review.evidence and not review.fallback:
            lines.append(f"### {tr('Evidence (quoted from your notes)')}")
            for part in _PARTS:
                for quote in review.evidence.get(part, []):
                    lines.append(f"- *{_part_label(part)}* — “{quote.quote}” ({quote.date}) [{quote.n}]")
            lines.append("")
        if review.sources:
            lines.append(f"### {tr('Days cited')}")
            lines.extend(f"- [{d.n}] {d.date.isoformat()} · {d.path}" for d in review.sources)
        self.text.setMarkdown("\n".join(lines))
        if review.declined:
            status = tr("No notes in this period.")
        elif review.fallback:
            status = tr("The model's draft did not hold up ({reason}); showing your notes' own lines.").format(
                reason=review.fallback_reason)
        elif review.cancelled:
            status = tr("Stopped.")
        else:
            status = tr("{notes} notes, {cited} days cited, {seconds:.0f} s").format(
                notes=len(review.days), cited=len(review.sources), seconds=review.seconds)
        if review.removed_citations:
            status += " " + tr("({n} citations outside the period removed)").format(n=review.removed_citations)
        if review.no_note_citations:
            status += " " + tr("({n} citations of days without a note removed)").format(n=review.no_note_citations)
        if review.unsupported_items:
            status += " " + tr("({n} items dropped: no note says them)").format(n=len(review.unsupported_items))
        if review.completed_parts and not review.fallback:
            status += " " + tr("(parts the model did not write are quoted from your notes)")
        self.status.setText(status)
        self.set_state("done", can_save=not review.declined and bool(review.text.strip()))

    def retranslate(self) -> None:
        self.kind.setItemText(0, tr("Week"))
        self.kind.setItemText(1, tr("Month"))
        self.write_button.setText(tr("Write review"))
        self.stop_button.setText(tr("Stop"))
        self.save_button.setText(tr("Save to vault"))
        self.prev_button.setToolTip(tr("Previous period"))
        self.next_button.setToolTip(tr("Next period"))
        if self.state == "idle":
            self.status.setText(tr("A short retrospective of the period, written from your notes and cited to "
                                   "their days."))


class ReviewDock(PanelDock):
    def __init__(self, parent: QWidget | None = None):
        # Not checkable: its action opens the review of the selected day's period.
        super().__init__("ReviewDock", ReviewPanel(), "review", SHORTCUT, checkable=False, parent=parent)

    def retranslate(self) -> None:
        self.setWindowTitle(tr("Review"))
        self.toggle.setText(tr("Review"))
        self.toggle.setToolTip(tr("A weekly or monthly retrospective of your notes ({key})").format(key=SHORTCUT))


class ReviewController(QObject):
    """Keeps the period, runs the review on the model worker, saves it on the writer."""

    def __init__(self, window, dock: ReviewDock):
        super().__init__(window)
        self.window = window
        self.dock = dock
        self.panel = dock.panel
        self.kind = "week"
        self.day = dt.date.today()
        self.job = None
        self.review = None
        self.saved_path = None
        dock.toggle.triggered.connect(self.open_for_selected_day)
        self.panel.write_requested.connect(self.write)
        self.panel.stop_requested.connect(self.stop)
        self.panel.save_requested.connect(self.save)
        self.panel.moved.connect(self._move)
        self.panel.kind_changed.connect(self._set_kind)
        self._show_period()

    # -- period ----------------------------------------------------------------------------
    def selected_day(self) -> dt.date:
        from studylog.gui.calendar_panel import from_qdate

        calendar_panel = getattr(self.window, "calendar_panel", None)
        if calendar_panel is None:
            return dt.date.today()
        return from_qdate(calendar_panel.calendar.selectedDate())

    def open_for_selected_day(self) -> None:
        self.set_period(self.selected_day(), self.kind)
        self.dock.reveal()

    def set_period(self, day: dt.date, kind: str) -> None:
        if self.panel.state == "writing":
            return
        self.day, self.kind = day, kind
        self.panel.kind.blockSignals(True)
        self.panel.kind.setCurrentIndex(0 if kind == "week" else 1)
        self.panel.kind.blockSignals(False)
        self.review = None
        self.panel.set_state("idle")
        self.panel.text.setPlainText("")
        self.panel.retranslate()
        self._show_period()

    def period(self) -> tuple[dt.date, dt.date]:
        return period_of(self.day, self.kind)

    def _show_period(self) -> None:
        start, end = self.period()
        if self.kind == "week":
            year, week, _ = start.isocalendar()
            label = f"{year}-W{week:02d} · {start.isoformat()} – {end.isoformat()}"
        else:
            label = f"{start.year}-{start.month:02d} · {start.isoformat()} – {end.isoformat()}"
        self.panel.period_label.setText(label)

    def _move(self, step: int) -> None:
        start, end = self.period()
        day = start + dt.timedelta(days=7 * step) if self.kind == "week" else (
            (end + dt.timedelta(days=1)) if step > 0 else (start - dt.timedelta(days=1)).replace(day=1))
        self.set_period(day, self.kind)

    def _set_kind(self, kind: str) -> None:
        self.set_period(self.day, kind)

    # -- writing ---------------------------------------------------------------------------
    def write(self) -> None:
        if self.panel.state == "writing":
            return
        self.review = None
        self.panel.start()
        start, _end = self.period()
        if self.kind == "week":
            week, month = start, None
        else:
            week, month = None, f"{start.year}-{start.month:02d}"
        self.job = self.window.backend.review(week=week, month=month, on_item=self._event,
                                              on_error=self._failed, on_aborted=self._aborted)

    def stop(self) -> None:
        if self.job is not None:
            self.job.quit()

    def _event(self, event) -> None:
        if self.window._closed:
            return
        if event.kind == "token":
            self.panel.append(event.text)
        elif event.kind == "status":
            pct = f" {event.fraction:.0%}" if event.fraction is not None else ""
            self.panel.status.setText(f"{status_text(event.text)}{pct}")
        elif event.kind == "error":
            self._failed(RuntimeError(event.text))
        elif event.kind == "done":
            self.job = None
            self.review = event.answer
            self.panel.show_review(self.review)

    def _aborted(self, *_args) -> None:
        self.job = None
        if self.panel.state == "writing":
            self.panel.status.setText(tr("Stopped."))
            self.panel.set_state("done", can_save=False)

    def _failed(self, exc: BaseException) -> None:
        self.job = None
        if self.window._closed:
            return
        self.panel.status.setText(describe_error(exc, "review").detail)
        self.panel.set_state("done", can_save=False)

    def save(self) -> None:
        if self.review is None:
            return
        self.panel.save_button.setEnabled(False)
        self.window.backend.save_review(self.review, on_result=self._saved, on_error=self._failed)

    def _saved(self, path) -> None:
        self.saved_path = path
        if not self.window._closed:
            self.panel.status.setText(tr("Saved to {path}").format(path=path))


def install_review(window) -> tuple[ReviewDock, ReviewController]:
    """Add the dock on the right (tabbed with Ask), its View-menu entry and shortcut."""
    dock = ReviewDock(window)
    dock.install(window)
    return dock, ReviewController(window, dock)
