"""The days: a calendar with written days marked, the streak, and a list of every note."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QDate, QLocale, Qt, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.i18n import Retranslatable, current_language, tr
from studylog.gui.icons import icon
from studylog.gui.theme import current_tokens

PATH_ROLE = Qt.ItemDataRole.UserRole
DATE_ROLE = Qt.ItemDataRole.UserRole + 1
_WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), "ko": "월화수목금토일"}


def current_streak(dates: Iterable[dt.date], today: dt.date) -> int:
    """Consecutive days with a note ending today (or yesterday, so an evening isn't a loss)."""
    written = set(dates)
    day = today if today in written else today - dt.timedelta(days=1)
    streak = 0
    while day in written:
        streak += 1
        day -= dt.timedelta(days=1)
    return streak


def to_qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def from_qdate(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())


class CalendarPanel(Retranslatable, QWidget):
    day_activated = Signal(Path)  # open this note
    empty_day_selected = Signal(object)  # a dt.date without a note
    today_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.days: list = []
        self._by_date: dict[dt.date, list] = {}
        self.loaded = False
        self.today_button = QPushButton()
        self.today_button.setProperty("primary", True)
        self.today_button.setIcon(icon("today", current_tokens()["accent_text"]))
        self.streak_label = QLabel()
        self.streak_label.setObjectName("StreakLabel")
        self.count_label = QLabel()
        self.count_label.setObjectName("CountLabel")
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(False)
        self.calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.calendar.setHorizontalHeaderFormat(QCalendarWidget.HorizontalHeaderFormat.ShortDayNames)
        self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.day_list = QListWidget()
        self.day_list.setObjectName("DayList")
        self.day_list.setUniformItemSizes(True)

        header = QHBoxLayout()
        stats = QVBoxLayout()
        stats.setSpacing(0)
        stats.addWidget(self.streak_label)
        stats.addWidget(self.count_label)
        header.addLayout(stats, 1)
        header.addWidget(self.today_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.calendar)
        layout.addWidget(self.day_list, 1)

        self.today_button.clicked.connect(self.today_requested)
        self.calendar.clicked.connect(self._calendar_clicked)
        self.calendar.activated.connect(self._calendar_clicked)
        self.day_list.itemActivated.connect(self._item_activated)
        self.day_list.itemClicked.connect(self._item_activated)
        self._style_navigation()
        self.retranslate()

    # -- data ------------------------------------------------------------------------------
    def set_days(self, days: list) -> None:
        """Show the vault's days (DayInfo: date, path, title, date_guessed)."""
        self.days = list(days)
        self._by_date = {}
        for day in self.days:
            self._by_date.setdefault(day.date, []).append(day)
        self._mark_calendar()
        self._fill_list()
        self._update_stats()
        self.loaded = True

    def path_for(self, day: dt.date) -> Path | None:
        found = self._by_date.get(day)
        return Path(found[0].path) if found else None

    def latest_path(self) -> Path | None:
        return Path(self.days[-1].path) if self.days else None

    def select_path(self, path: Path) -> None:
        """Reflect the open note in the list and calendar without re-emitting."""
        target = str(path)
        for row in range(self.day_list.count()):
            item = self.day_list.item(row)
            if item.data(PATH_ROLE) == target:
                self.day_list.blockSignals(True)
                self.day_list.setCurrentItem(item)
                self.day_list.blockSignals(False)
                self.calendar.blockSignals(True)
                self.calendar.setSelectedDate(to_qdate(dt.date.fromisoformat(item.data(DATE_ROLE))))
                self.calendar.blockSignals(False)
                return

    def set_colors(self, _tokens: dict[str, str]) -> None:
        self.today_button.setIcon(icon("today", current_tokens()["accent_text"]))
        self._style_navigation()
        self._mark_calendar()

    def _style_navigation(self) -> None:
        # Qt draws the month arrows black whatever the palette: invisible on the dark theme.
        color = current_tokens()["text"]
        for name, picture in (("qt_calendar_prevmonth", "left"), ("qt_calendar_nextmonth", "right")):
            button = self.calendar.findChild(QToolButton, name)
            if button is not None:
                button.setIcon(icon(picture, color))

    def _mark_calendar(self) -> None:
        tokens = current_tokens()
        self.calendar.setDateTextFormat(QDate(), QTextCharFormat())  # clear all marks
        written = QTextCharFormat()
        written.setBackground(QColor(tokens["calendar_mark"]))
        written.setFontWeight(QFont.Weight.Bold)
        written.setForeground(QColor(tokens["heading"]))
        for day in self._by_date:
            self.calendar.setDateTextFormat(to_qdate(day), written)
        today = QTextCharFormat(written if dt.date.today() in self._by_date else QTextCharFormat())
        today.setFontUnderline(True)
        today.setForeground(QColor(tokens["calendar_today"]))
        today.setFontWeight(QFont.Weight.Bold)
        self.calendar.setDateTextFormat(to_qdate(dt.date.today()), today)

    def _fill_list(self) -> None:
        current = self.day_list.currentItem()
        selected = current.data(PATH_ROLE) if current else None
        self.day_list.clear()
        weekdays = _WEEKDAYS["ko" if current_language() == "ko" else "en"]
        for day in reversed(self.days):
            title = day.title or Path(day.path).stem
            label = f"{day.date.isoformat()} ({weekdays[day.date.weekday()]})"
            if title and title != day.date.isoformat():
                label += f"  ·  {title}"
            item = QListWidgetItem(label)
            item.setData(PATH_ROLE, str(day.path))
            item.setData(DATE_ROLE, day.date.isoformat())
            item.setToolTip(str(day.path))
            if day.date_guessed:
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
                item.setToolTip(tr("{path}\nNo date in the file name or front matter: the date was taken from "
                                   "the file's modification time.").format(path=day.path))
            self.day_list.addItem(item)
            if selected == str(day.path):
                self.day_list.setCurrentItem(item)

    def _update_stats(self) -> None:
        streak = current_streak(self._by_date, dt.date.today())
        self.streak_label.setText(tr("{n}-day streak").format(n=streak) if streak else tr("No streak yet"))
        self.count_label.setText(tr("{n} notes").format(n=len(self.days)))

    # -- events ----------------------------------------------------------------------------
    def _calendar_clicked(self, qdate: QDate) -> None:
        day = from_qdate(qdate)
        path = self.path_for(day)
        if path is not None:
            self.day_activated.emit(path)
        else:
            self.empty_day_selected.emit(day)

    def _item_activated(self, item: QListWidgetItem) -> None:
        self.day_activated.emit(Path(item.data(PATH_ROLE)))

    def retranslate(self) -> None:
        self.today_button.setText(tr("Today"))
        self.today_button.setToolTip(tr("Open today's note, creating it from the template (Ctrl+N)"))
        self.calendar.setToolTip(tr("Days with a note are highlighted; click a day to open it"))
        korean = current_language() == "ko"
        self.calendar.setLocale(QLocale(QLocale.Language.Korean) if korean
                                else QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        # A locale brings its own first weekday (Sunday for both): the log's week starts Monday.
        self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        if self.days or self.loaded:
            self._fill_list()
            self._update_stats()
        else:
            self.streak_label.setText(tr("Loading notes…"))
            self.count_label.setText("")
