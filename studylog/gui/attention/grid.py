"""The layer × head grid (like bertviz's model view): one thumbnail per head, click to open.

Thumbnails come from `GridSummary` (answer rows averaged, keys summed into blocks). Each is
scaled by its own maximum, so a head that spreads its attention is as visible as a peaked
one; all of them are coloured in one numpy pass and drawn from a single image.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from studylog.gui.attention import colormap
from studylog.gui.attention.labels import head_name
from studylog.gui.i18n import tr
from studylog.gui.theme import current_tokens

HEADER_LEFT = 40
HEADER_TOP = 38
GAP = 3
MEAN_GAP = 10


class GridView(QWidget):
    cell_clicked = Signal(int, object)  # layer, head index or "mean"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.thumbnails: np.ndarray | None = None  # float32 [L, H + 1, rows, cols]
        self.heads = self.kv_heads = 0
        self.cmap = "viridis"
        self.selected: tuple[int, object] | None = None
        self.hover: tuple[int, object] | None = None
        self.hover_text = ""
        self.placeholder = ""
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None
        self._font = QFont(self.font())
        self._font.setPointSizeF(max(7.0, self.font().pointSizeF() - 1.5))

    def set_thumbnails(self, thumbnails: np.ndarray | None, heads: int = 0, kv_heads: int = 0) -> None:
        self.thumbnails = thumbnails
        self.heads, self.kv_heads = heads, kv_heads or heads
        self._image = None
        if thumbnails is not None:
            self._build_image()
        self.update()

    def set_colormap(self, name: str) -> None:
        self.cmap = name
        if self.thumbnails is not None:
            self._build_image()
        self.update()

    def set_selected(self, layer: int, head: object) -> None:
        self.selected = (layer, head)
        self.update()

    def _build_image(self) -> None:
        thumbs = self.thumbnails
        layers, columns, rows, cols = thumbs.shape
        peak = thumbs.max(axis=(2, 3), keepdims=True)
        scaled = np.divide(thumbs, peak, out=np.zeros_like(thumbs), where=peak > 0)
        rgba = colormap.colorize(scaled, 1.0, "sqrt", self.cmap)  # [L, H+1, rows, cols, 4]
        # One image: layer-major rows of thumbnails, side by side.
        self._pixels = np.ascontiguousarray(rgba.transpose(0, 2, 1, 3, 4).reshape(layers * rows, columns * cols, 4))
        height, width = self._pixels.shape[:2]
        self._image = QImage(self._pixels.data, width, height, width * 4, QImage.Format.Format_RGBA8888)

    # -- geometry --------------------------------------------------------------------------
    def _cell_size(self) -> tuple[float, float]:
        layers, columns = self.thumbnails.shape[:2]
        width = (self.width() - HEADER_LEFT - MEAN_GAP - 8 - GAP * columns) / columns
        height = (self.height() - HEADER_TOP - 6 - GAP * layers) / layers
        return max(4.0, width), max(3.0, height)

    def cell_rect(self, layer: int, column: int) -> QRectF:
        width, height = self._cell_size()
        x = HEADER_LEFT + column * (width + GAP) + (MEAN_GAP if column >= self.heads else 0)
        y = HEADER_TOP + layer * (height + GAP)
        return QRectF(x, y, width, height)

    def _column_head(self, column: int) -> object:
        return "mean" if column >= self.heads else column

    def cell_at(self, pos) -> tuple[int, object] | None:
        if self.thumbnails is None:
            return None
        layers, columns = self.thumbnails.shape[:2]
        for layer in range(layers):
            top = self.cell_rect(layer, 0)
            if top.top() <= pos.y() <= top.bottom():
                for column in range(columns):
                    rect = self.cell_rect(layer, column)
                    if rect.left() <= pos.x() <= rect.right():
                        return layer, self._column_head(column)
        return None

    def cell_center(self, layer: int, head: object) -> QPointF:
        column = self.heads if head == "mean" else int(head)
        return self.cell_rect(layer, column).center()

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        tokens = current_tokens()
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(tokens["base"]))
        if self.thumbnails is None or self._image is None:
            painter.setPen(QColor(tokens["muted"]))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            painter.end()
            return
        layers, columns, rows, cols = self.thumbnails.shape
        painter.setFont(self._font)
        metrics = QFontMetricsF(self._font)
        self._paint_groups(painter, tokens, metrics)
        for layer in range(layers):
            rect = self.cell_rect(layer, 0)
            painter.setPen(QColor(tokens["muted"]))
            painter.drawText(QRectF(0, rect.y(), HEADER_LEFT - 6, rect.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"L{layer}")
            for column in range(columns):
                painter.drawImage(self.cell_rect(layer, column), self._image,
                                  QRectF(column * cols, layer * rows, cols, rows))
        for cell, color, width in ((self.hover, tokens["accent"], 1.5), (self.selected, tokens["danger"], 2.0)):
            if cell is None or cell[0] >= layers:
                continue
            column = self.heads if cell[1] == "mean" else int(cell[1])
            if column >= columns:
                continue
            painter.setPen(QPen(QColor(color), width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.cell_rect(cell[0], column).adjusted(-1.5, -1.5, 1.5, 1.5))
        painter.end()

    def _paint_groups(self, painter: QPainter, tokens: dict[str, str], metrics: QFontMetricsF) -> None:
        """Head numbers, and a band over each KV group's query heads."""
        per_group = max(1, self.heads // max(1, self.kv_heads))
        line = metrics.height()
        for group in range(max(1, self.kv_heads)):
            first = self.cell_rect(0, group * per_group)
            last = self.cell_rect(0, min(self.heads, (group + 1) * per_group) - 1)
            band = QRectF(first.left(), 2, last.right() - first.left(), line + 2)
            fill = QColor(tokens["accent_soft"] if group % 2 == 0 else tokens["alt_base"])
            painter.fillRect(band, fill)
            painter.setPen(QColor(tokens["heading"]))
            painter.drawText(band, Qt.AlignmentFlag.AlignCenter, tr("KV group {g}").format(g=group))
        painter.setPen(QColor(tokens["muted"]))
        for column in range(self.thumbnails.shape[1]):
            rect = self.cell_rect(0, column)
            text = tr("mean") if column >= self.heads else f"H{column}"
            painter.drawText(QRectF(rect.x() - 6, line + 5, rect.width() + 12, line),
                             Qt.AlignmentFlag.AlignCenter, text)

    # -- events ----------------------------------------------------------------------------
    def describe(self, cell: tuple[int, object]) -> str:
        layer, head = cell
        return tr("Layer {layer} · {head}\nClick to open it in the heatmap").format(
            layer=layer, head=head_name(head, self.heads, self.kv_heads))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        cell = self.cell_at(event.position())
        if cell != self.hover:
            self.hover = cell
            self.hover_text = self.describe(cell) if cell is not None else ""
            if cell is not None:
                QToolTip.showText(event.globalPosition().toPoint(), self.hover_text, self)
            else:
                QToolTip.hideText()
            self.setCursor(Qt.CursorShape.PointingHandCursor if cell is not None else Qt.CursorShape.ArrowCursor)
            self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(event.position())
        if cell is not None:
            self.selected = cell
            self.update()
            self.cell_clicked.emit(cell[0], cell[1])

    def leaveEvent(self, _event) -> None:  # noqa: N802 - Qt API
        self.hover = None
        self.hover_text = ""
        self.update()
