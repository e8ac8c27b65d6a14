"""Search over all notes: a query box and results with date, section and snippet."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.icons import icon
from studylog.gui.theme import current_tokens

HIT_ROLE = Qt.ItemDataRole.UserRole
TYPING_DEBOUNCE_MS = 350
SNIPPET_CHARS = 220
_PAD = 8


class HitDelegate(QStyledItemDelegate):
    """Three lines per hit: date · section, then two lines of snippet. Subclasses add lines
    below (`lines`, `paint_below`)."""

    lines = 3
    extra_px = 4
    snippet_chars = SNIPPET_CHARS

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        metrics = QFontMetrics(option.font)
        return QSize(option.rect.width(), metrics.lineSpacing() * self.lines + _PAD * 2 + self.extra_px)

    def paint_below(self, painter: QPainter, hit, inner: QRect, metrics: QFontMetrics, tokens: dict) -> None:
        """Lines under the snippet; none here."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        hit = index.data(HIT_ROLE)
        if hit is None:
            return super().paint(painter, option, index)
        tokens = current_tokens()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(2, 2, -2, -2)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(tokens["accent_soft"]))
            painter.drawRoundedRect(rect, 6, 6)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(tokens["alt_base"]))
            painter.drawRoundedRect(rect, 6, 6)
        inner = rect.adjusted(_PAD, _PAD - 2, -_PAD, -_PAD + 2)
        line = QFontMetrics(option.font).lineSpacing()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(tokens["heading"]))
        date_text = str(hit.date)
        date_width = QFontMetrics(bold).horizontalAdvance(date_text + "  ")
        painter.drawText(QRect(inner.left(), inner.top(), date_width, line), Qt.AlignmentFlag.AlignLeft, date_text)
        painter.setFont(option.font)
        painter.setPen(QColor(tokens["text"]))
        section = hit.heading_path or hit.section or ""
        section_rect = QRect(inner.left() + date_width, inner.top(), inner.width() - date_width, line)
        painter.drawText(section_rect, Qt.AlignmentFlag.AlignLeft,
                         QFontMetrics(option.font).elidedText(section, Qt.TextElideMode.ElideRight, section_rect.width()))
        painter.setPen(QColor(tokens["muted"]))
        snippet_rect = QRect(inner.left(), inner.top() + line + 2, inner.width(), line * 2)
        painter.drawText(snippet_rect, Qt.TextFlag.TextWordWrap, hit.snippet(self.snippet_chars))
        self.paint_below(painter, hit, inner, QFontMetrics(option.font), tokens)
        painter.restore()


class SearchPanel(Retranslatable, QWidget):
    search_requested = Signal(str)
    hit_activated = Signal(object)  # a SearchHit

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.field = QLineEdit()
        self.field.setObjectName("SearchField")
        self.field.setClearButtonEnabled(True)
        self.field.addAction(icon("search", current_tokens()["muted"]), QLineEdit.ActionPosition.LeadingPosition)
        self.message = QLabel()
        self.message.setObjectName("SearchMessage")
        self.message.setWordWrap(True)
        self.model = QStandardItemModel(self)
        self.results = QListView()
        self.results.setObjectName("SearchResults")
        self.results.setModel(self.model)
        self.results.setItemDelegate(HitDelegate(self.results))
        self.results.setMouseTracking(True)
        self.results.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.results.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(6)
        layout.addWidget(self.field)
        layout.addWidget(self.message)
        layout.addWidget(self.results, 1)

        self.result_query: str | None = None  # the query the shown results answer
        self._debounce = QTimer(self, singleShot=True, interval=TYPING_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._request)
        self.field.textEdited.connect(lambda _t: self._debounce.start())
        self.field.returnPressed.connect(self._return_pressed)
        self.field.installEventFilter(self)
        self.results.activated.connect(self._activated)
        self.results.clicked.connect(self._activated)
        self.retranslate()

    def retranslate(self) -> None:
        self.field.setPlaceholderText(tr("Search all notes (Ctrl+K)"))
        self.field.setToolTip(tr("Keyword and meaning search over every note; dates like "
                                 "\"10월 둘째 주\" or \"last week\" narrow it down"))
        if self.result_query is None and not self.message.text():
            self.message.setText(tr("Type to search; Enter opens the selected result."))

    def focus_field(self) -> None:
        self.field.setFocus()
        self.field.selectAll()

    def query(self) -> str:
        return self.field.text().strip()

    # -- results ---------------------------------------------------------------------------
    def set_busy(self, query: str) -> None:
        self.message.setText(tr("Searching for “{q}”…").format(q=query))

    def show_result(self, result) -> None:
        """Show a SearchResult unless the box has moved on to another query."""
        if result.query.strip() != self.query():
            return
        self.result_query = result.query.strip()
        self.model.clear()
        for hit in result.hits:
            item = QStandardItem()
            item.setData(hit, HIT_ROLE)
            item.setData(f"{hit.date} {hit.heading_path or hit.section}", Qt.ItemDataRole.DisplayRole)
            item.setToolTip(f"{hit.path}:{hit.start_line + 1}")
            self.model.appendRow(item)
        if result.hits:
            self.results.setCurrentIndex(self.model.index(0, 0))
            text = tr("{n} results").format(n=len(result.hits))
        else:
            text = tr("No matching notes.")
        scope = getattr(result, "scope", None)
        if scope is not None and getattr(scope, "label", ""):
            text += "  ·  " + tr("dates: {label}").format(label=scope.label)
        if result.message:
            text += "\n" + result.message
        self.message.setText(text)

    def show_error(self, message: str) -> None:
        self.model.clear()
        self.result_query = None
        self.message.setText(message)

    def hits(self) -> list:
        return [self.model.item(row).data(HIT_ROLE) for row in range(self.model.rowCount())]

    # -- input -----------------------------------------------------------------------------
    def _request(self) -> None:
        self._debounce.stop()
        query = self.query()
        if query:
            self.set_busy(query)
            self.search_requested.emit(query)

    def _return_pressed(self) -> None:
        current = self.results.currentIndex()
        if self.result_query == self.query() and current.isValid():
            self._activated(current)
        else:
            self._request()

    def _activated(self, index: QModelIndex) -> None:
        hit = index.data(HIT_ROLE)
        if hit is not None:
            self.hit_activated.emit(hit)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        # Up/Down in the box move through the results, so the keyboard never leaves the box.
        if watched is self.field and event.type() == QEvent.Type.KeyPress and self.model.rowCount():
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(event.key())
            if step:
                row = max(0, min(self.model.rowCount() - 1, self.results.currentIndex().row() + step))
                self.results.setCurrentIndex(self.model.index(row, 0))
                return True
        return super().eventFilter(watched, event)
