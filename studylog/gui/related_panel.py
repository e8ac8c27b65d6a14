"""The list of notes related to the one being written: date · section, a snippet, and why."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.search_panel import HitDelegate

HIT_ROLE = Qt.ItemDataRole.UserRole
SNIPPET_CHARS = 200


def why_text(hit) -> str:
    terms = getattr(hit, "shared_terms", None) or []
    return tr("Shared: {terms}").format(terms=", ".join(terms)) if terms else ""


class RelatedDelegate(HitDelegate):
    """Four lines per hit: a search hit's three, then the shared terms."""

    lines = 4
    extra_px = 6
    snippet_chars = SNIPPET_CHARS

    def paint_below(self, painter: QPainter, hit, inner: QRect, metrics: QFontMetrics, tokens: dict) -> None:
        why = why_text(hit)
        if why:
            line = metrics.lineSpacing()
            painter.setPen(QColor(tokens["marker"]))
            why_rect = QRect(inner.left(), inner.top() + line * 3 + 4, inner.width(), line)
            painter.drawText(why_rect, Qt.AlignmentFlag.AlignLeft,
                             metrics.elidedText(why, Qt.TextElideMode.ElideRight, why_rect.width()))


class RelatedPanel(Retranslatable, QWidget):
    """Shows a RelatedResult; emits `hit_activated` with the hit clicked (or Enter)."""

    hit_activated = Signal(object)  # a RelatedHit

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.message = QLabel()
        self.message.setObjectName("SearchMessage")  # styled like the search panel's line
        self.message.setWordWrap(True)
        self.model = QStandardItemModel(self)
        self.results = QListView()
        self.results.setObjectName("SearchResults")
        self.results.setModel(self.model)
        self.results.setItemDelegate(RelatedDelegate(self.results))
        self.results.setMouseTracking(True)
        self.results.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.results.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(6)
        layout.addWidget(self.message)
        layout.addWidget(self.results, 1)
        self.state = "idle"  # idle / busy / shown / empty / error
        self.note = ""  # vault path of the note the list belongs to
        self.date = ""
        self._detail = ""
        self._busy = False
        self.results.activated.connect(self._activated)
        self.results.clicked.connect(self._activated)
        self.retranslate()

    # -- states ----------------------------------------------------------------------------
    def set_idle(self) -> None:
        self.state = "idle"
        self.note = ""
        self.model.clear()
        self.retranslate()

    def set_busy(self) -> None:
        """Looking again: the old list stays until the new one arrives (no flicker)."""
        if self.state in ("idle", "empty", "error"):
            self.state = "busy"
        self._busy = True
        self.retranslate()

    def show_result(self, result) -> None:
        self._busy = False
        self.note = result.note
        self.date = result.date
        self.model.clear()
        for hit in result.hits:
            item = QStandardItem()
            item.setData(hit, HIT_ROLE)
            item.setData(f"{hit.date} {hit.heading_path or hit.section}", Qt.ItemDataRole.DisplayRole)
            why = why_text(hit)
            item.setToolTip(f"{hit.path}:{hit.start_line + 1}" + (f"\n{why}" if why else ""))
            self.model.appendRow(item)
        self.state = "shown" if result.hits else "empty"
        self._detail = result.message
        self.retranslate()

    def show_error(self, message: str) -> None:
        self._busy = False
        self.state = "error"
        self._detail = message
        self.model.clear()
        self.retranslate()

    def hits(self) -> list:
        return [self.model.item(row).data(HIT_ROLE) for row in range(self.model.rowCount())]

    def retranslate(self) -> None:
        if self.state == "idle":
            text = tr("Open or write a note: the past notes most related to it appear here as you type.")
        elif self.state == "error":
            text = tr("Could not look for related notes: {error}").format(error=self._detail)
        elif self.state == "empty" and "too little text" in self._detail:
            text = tr("Write a little more: related notes appear once the note has some text.")
        elif self.state == "empty" and "indexed" in self._detail:
            text = tr("No notes are indexed yet; related notes appear once indexing has finished.")
        elif self.state == "empty":
            text = tr("No related notes found.")
        elif self.state == "busy":
            text = tr("Looking for related notes…")
        else:
            text = tr("Related to {date}: click one to open it at that section.").format(date=self.date)
        if self._busy and self.state in ("shown", "empty"):
            text += " " + tr("(updating…)")
        self.message.setText(text)

    def _activated(self, index: QModelIndex) -> None:
        hit = index.data(HIT_ROLE)
        if hit is not None:
            self.hit_activated.emit(hit)
