"""A custom-painted token × token heatmap: zoom, pan, hover, labels on both axes, colour legend.

The matrix becomes an RGBA image in numpy (a 256-entry colour table, one look-up per cell) and
is drawn with one `drawImage` through a transform, so cells stay exactly aligned with the
labels and the hover grid. When more cells than pixels are visible the image is max-pooled
first (power-of-two blocks, cached), so a one-token peak never disappears between pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen, QTransform
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.attention import colormap
from studylog.gui.attention.data import GRANULARITIES, HeatmapData
from studylog.gui.attention.labels import format_share, format_weight, region_name
from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.theme import current_tokens

LEGEND_WIDTH = 86
MIN_VISIBLE_CELLS = 3
ZOOM_STEP = 1.25


def describe_cell(data: HeatmapData, row: int, col: int) -> str:
    """The tooltip for one cell: query, key (with the prompt part it lies in) and weight."""
    rows, cols = data.rows, data.cols
    row_label, col_label = rows.labels[row], cols.labels[col]
    if data.answer_rows:
        query = tr("Writing «{token}» (answer token {n})").format(token=row_label, n=row + 1)
    else:
        query = tr("Query «{token}» (token {n})").format(token=row_label, n=int(rows.starts[row]))
    region = data.col_regions[col] if col < len(data.col_regions) else ""
    key = tr("Key «{token}» (token {n})").format(token=col_label, n=int(cols.starts[col]))
    if region:
        key += f" · {region_name(region)}"
    if data.hidden is not None and data.hidden[col]:
        weight = tr("hidden: an attention sink (untick “Hide attention sinks” to see it)")
    elif data.invalid[row, col]:
        weight = tr("not visible yet (causal mask)")
    else:
        value = float(data.matrix[row, col])
        weight = tr("Weight {w} ({share} of the row)").format(w=format_weight(value), share=format_share(value))
    return f"{query}\n{key}\n{weight}"


class HeatmapView(QWidget):
    """Rows are queries, columns keys. Wheel zooms (Shift: keys only), drag pans, double-click resets."""

    hovered = Signal(int, int)  # row, column; -1, -1 when the pointer leaves the cells
    view_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(260, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.data: HeatmapData | None = None
        self.scale = "sqrt"
        self.cmap = "viridis"
        self.vmax = 1.0
        self.view = QRectF()  # visible cells: x = columns, y = rows
        self.hover: tuple[int, int] | None = None
        self.hover_text = ""
        self.sampling = (1, 1)
        self.placeholder = ""
        self.describe: Callable[[HeatmapData, int, int], str] = describe_cell
        self._images: dict[tuple[int, int], tuple[QImage, np.ndarray]] = {}
        self._legend: QImage | None = None
        self._margins: tuple[float, float] = (60.0, 50.0)
        self._drag_from: QPointF | None = None
        self._drag_view = QRectF()
        self._dragged = False
        self._label_font = QFont(self.font())
        self._label_font.setPointSizeF(max(7.0, self.font().pointSizeF() - 1.0))

    # -- data ------------------------------------------------------------------------------
    def set_data(self, data: HeatmapData | None, keep_view: bool = True) -> None:
        same_shape = self.data is not None and data is not None and self.data.shape == data.shape
        axes_changed = (self.data is None or data is None or self.data.rows is not data.rows
                        or self.data.cols is not data.cols)
        self.data = data
        self.vmax = data.vmax if data is not None else 1.0
        self._images.clear()
        if data is None:
            self.view = QRectF()
        elif not (keep_view and same_shape):
            self.view = QRectF(0, 0, data.shape[1], data.shape[0])
        if axes_changed:
            self._margins = self._measure_margins()
        if self.hover is not None and data is not None and not (self.hover[0] < data.shape[0]
                                                                and self.hover[1] < data.shape[1]):
            self.hover = None
        self._refresh_hover_text()
        self.update()

    def set_scale(self, scale: str) -> None:
        self.scale = scale
        self._images.clear()
        self._legend = None
        self.update()

    def set_colormap(self, name: str) -> None:
        self.cmap = name
        self._images.clear()
        self._legend = None
        self.update()

    def reset_view(self) -> None:
        if self.data is not None:
            self.view = QRectF(0, 0, self.data.shape[1], self.data.shape[0])
            self.view_changed.emit()
            self.update()

    # -- geometry --------------------------------------------------------------------------
    def _measure_margins(self) -> tuple[float, float]:
        if self.data is None:
            return 60.0, 50.0
        metrics = QFontMetricsF(self._label_font)
        sample_rows = self.data.rows.labels[:400]
        sample_cols = self.data.cols.labels[:600]
        left = max((metrics.horizontalAdvance(label) for label in sample_rows), default=30.0) + 12
        top = max((metrics.horizontalAdvance(label) for label in sample_cols), default=30.0) + 10
        corner = max(metrics.horizontalAdvance(text) for text in (tr("answer ↓"), tr("query ↓"), tr("key →"))) + 12
        return min(max(left, corner, 48.0), 132.0), min(max(top, 2 * metrics.height() + 10, 40.0), 96.0)

    def plot_rect(self) -> QRectF:
        left, top = self._margins
        return QRectF(left, top, max(10.0, self.width() - left - LEGEND_WIDTH), max(10.0, self.height() - top - 8))

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        if self.data is None or self.view.isEmpty():
            return None
        plot = self.plot_rect()
        if not plot.contains(pos):
            return None
        col = int(self.view.x() + (pos.x() - plot.x()) / plot.width() * self.view.width())
        row = int(self.view.y() + (pos.y() - plot.y()) / plot.height() * self.view.height())
        rows, cols = self.data.shape
        if 0 <= row < rows and 0 <= col < cols:
            return row, col
        return None

    def cell_center(self, row: int, col: int) -> QPointF:
        plot = self.plot_rect()
        x = plot.x() + (col + 0.5 - self.view.x()) / self.view.width() * plot.width()
        y = plot.y() + (row + 0.5 - self.view.y()) / self.view.height() * plot.height()
        return QPointF(x, y)

    def _cells_to_plot(self) -> QTransform:
        plot = self.plot_rect()
        sx, sy = plot.width() / self.view.width(), plot.height() / self.view.height()
        return QTransform(sx, 0, 0, sy, plot.x() - self.view.x() * sx, plot.y() - self.view.y() * sy)

    # -- zoom and pan ----------------------------------------------------------------------
    def zoom(self, factor: float, anchor: QPointF | None = None, x: bool = True, y: bool = True) -> None:
        if self.data is None:
            return
        plot = self.plot_rect()
        anchor = anchor if anchor is not None else plot.center()
        fx = min(max((anchor.x() - plot.x()) / plot.width(), 0.0), 1.0)
        fy = min(max((anchor.y() - plot.y()) / plot.height(), 0.0), 1.0)
        rows, cols = self.data.shape
        view = QRectF(self.view)
        if x:
            width = min(max(view.width() / factor, min(MIN_VISIBLE_CELLS, cols)), cols)
            left = view.x() + fx * view.width() - fx * width
            view.setX(left)
            view.setWidth(width)
        if y:
            height = min(max(view.height() / factor, min(MIN_VISIBLE_CELLS, rows)), rows)
            top = view.y() + fy * view.height() - fy * height
            view.setY(top)
            view.setHeight(height)
        self._set_view(view)

    def pan(self, dx_cells: float, dy_cells: float) -> None:
        self._set_view(self.view.translated(dx_cells, dy_cells))

    def _set_view(self, view: QRectF) -> None:
        rows, cols = self.data.shape
        width, height = view.width(), view.height()
        left = min(max(view.x(), 0.0), cols - width)
        top = min(max(view.y(), 0.0), rows - height)
        self.view = QRectF(left, top, width, height)
        self.view_changed.emit()
        self.update()

    @property
    def zoomed(self) -> bool:
        return self.data is not None and (self.view.width() < self.data.shape[1] or self.view.height() < self.data.shape[0])

    # -- images ----------------------------------------------------------------------------
    def _image(self, fy: int, fx: int) -> QImage:
        cached = self._images.get((fy, fx))
        if cached is None:
            pooled = colormap.pool_max(self.data.display(), fy, fx)
            rgba = np.ascontiguousarray(colormap.colorize(pooled, self.vmax, self.scale, self.cmap))
            height, width = rgba.shape[:2]
            image = QImage(rgba.data, width, height, width * 4, QImage.Format.Format_RGBA8888)
            cached = (image, rgba)  # the array owns the pixels: keep it with the image
            self._images[(fy, fx)] = cached
        return cached[0]

    def _legend_image(self) -> QImage:
        if self._legend is None:
            table = np.ascontiguousarray(colormap.lut(self.cmap)[255::-1][:, None, :])  # high at the top
            self._legend = QImage(table.data, 1, 256, 4, QImage.Format.Format_RGBA8888).copy()
        return self._legend

    def render_image(self) -> QImage:
        """The full-resolution image (one pixel per cell), e.g. for tests and export."""
        return self._image(1, 1)

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        tokens = current_tokens()
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(tokens["base"]))
        if self.data is None or self.view.isEmpty():
            painter.setPen(QColor(tokens["muted"]))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            painter.end()
            return
        plot = self.plot_rect()
        painter.fillRect(plot, QColor(tokens["alt_base"]))
        cpp_x = self.view.width() / plot.width()
        cpp_y = self.view.height() / plot.height()
        fx = 1 if cpp_x <= 1 else 2 ** math.ceil(math.log2(cpp_x))
        fy = 1 if cpp_y <= 1 else 2 ** math.ceil(math.log2(cpp_y))
        self.sampling = (fy, fx)
        image = self._image(fy, fx)
        painter.save()
        painter.setClipRect(plot)
        painter.setTransform(QTransform.fromScale(fx, fy) * self._cells_to_plot())
        painter.drawImage(QPointF(0, 0), image)
        painter.restore()
        self._paint_grid_lines(painter, plot, tokens)
        self._paint_hover(painter, plot, tokens)
        self._paint_labels(painter, plot, tokens)
        self._paint_legend(painter, plot, tokens)
        painter.end()

    def _paint_grid_lines(self, painter: QPainter, plot: QRectF, tokens: dict[str, str]) -> None:
        col_px = plot.width() / self.view.width()
        row_px = plot.height() / self.view.height()
        if min(col_px, row_px) < 14:
            return
        color = QColor(tokens["base"])
        color.setAlpha(90)
        painter.setPen(QPen(color, 1))
        for col in range(math.ceil(self.view.x()), math.floor(self.view.right()) + 1):
            x = plot.x() + (col - self.view.x()) * col_px
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        for row in range(math.ceil(self.view.y()), math.floor(self.view.bottom()) + 1):
            y = plot.y() + (row - self.view.y()) * row_px
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))

    def _paint_hover(self, painter: QPainter, plot: QRectF, tokens: dict[str, str]) -> None:
        if self.hover is None:
            return
        row, col = self.hover
        transform = self._cells_to_plot()
        painter.save()
        painter.setClipRect(plot.adjusted(-2, -2, 2, 2))
        band = QColor(tokens["accent"])
        band.setAlpha(70)
        painter.setPen(QPen(band, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(transform.mapRect(QRectF(self.view.x(), row, self.view.width(), 1)))
        painter.drawRect(transform.mapRect(QRectF(col, self.view.y(), 1, self.view.height())))
        cell = transform.mapRect(QRectF(col, row, 1, 1))
        if cell.width() < 6 or cell.height() < 6:
            cell = QRectF(cell.center().x() - 3, cell.center().y() - 3, 6, 6)
        painter.setPen(QPen(QColor("#ffffff"), 2))
        painter.drawRect(cell.adjusted(-1, -1, 1, 1))
        painter.setPen(QPen(QColor("#000000"), 1))
        painter.drawRect(cell.adjusted(-2.5, -2.5, 2.5, 2.5))
        painter.restore()

    def _paint_labels(self, painter: QPainter, plot: QRectF, tokens: dict[str, str]) -> None:
        data = self.data
        painter.setFont(self._label_font)
        metrics = QFontMetricsF(self._label_font)
        line = metrics.height()
        text, accent = QColor(tokens["text"]), QColor(tokens["accent"])
        hover_row, hover_col = self.hover if self.hover is not None else (-1, -1)
        # Rows: right-aligned in the left margin; every k-th when rows are thinner than a line.
        row_px = plot.height() / self.view.height()
        step = max(1, math.ceil(line / row_px))
        first, last = int(self.view.y()), min(data.shape[0], math.ceil(self.view.bottom()))
        left = plot.x() - 6
        for row in range(first - first % step, last, step):
            if row < first:
                continue
            y = plot.y() + (row + 0.5 - self.view.y()) * row_px
            label = metrics.elidedText(data.rows.labels[row], Qt.TextElideMode.ElideRight, left - 4)
            painter.setPen(accent if row == hover_row else text)
            painter.drawText(QRectF(2, y - line / 2, left - 2, line), Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter, label)
        # Columns: level when most labels fit their column (Hangul syllables zoomed in), else
        # rotated, reading upwards from the top edge of the plot.
        col_px = plot.width() / self.view.width()
        step = max(1, math.ceil(line / col_px))
        first, last = int(self.view.x()), min(data.shape[1], math.ceil(self.view.right()))
        shown = [col for col in range(first - first % step, last, step) if col >= first]
        room = plot.y() - 8
        slot = col_px * step - 3
        fitting = sum(metrics.horizontalAdvance(data.cols.labels[col]) <= slot for col in shown)
        level = bool(shown) and col_px * step >= 1.3 * line and fitting >= 0.85 * len(shown)
        for col in shown:
            x = plot.x() + (col + 0.5 - self.view.x()) * col_px
            painter.setPen(accent if col == hover_col else text)
            if level:
                label = metrics.elidedText(data.cols.labels[col], Qt.TextElideMode.ElideRight, max(slot, line))
                painter.drawText(QRectF(x - slot / 2 - 1, plot.y() - line - 4, slot + 2, line),
                                 Qt.AlignmentFlag.AlignCenter, label)
                continue
            label = metrics.elidedText(data.cols.labels[col], Qt.TextElideMode.ElideRight, room)
            painter.save()
            painter.translate(x, plot.y() - 5)
            painter.rotate(-90)
            painter.drawText(QRectF(0, -line / 2, room, line), Qt.AlignmentFlag.AlignLeft
                             | Qt.AlignmentFlag.AlignVCenter, label)
            painter.restore()
        # The corner names the axes.
        painter.setPen(QColor(tokens["muted"]))
        corner = QRectF(2, 2, plot.x() - 8, plot.y() - 6)
        rows_name = tr("answer ↓") if data.answer_rows else tr("query ↓")
        painter.drawText(corner, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                         f"{tr('key →')}\n{rows_name}")

    def _paint_legend(self, painter: QPainter, plot: QRectF, tokens: dict[str, str]) -> None:
        bar = QRectF(plot.right() + 12, plot.y() + 16, 12, max(20.0, plot.height() - 16))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(bar, self._legend_image())
        painter.restore()
        painter.setPen(QColor(tokens["border"]))
        painter.drawRect(bar)
        metrics = QFontMetricsF(self._label_font)
        painter.setFont(self._label_font)
        painter.setPen(QColor(tokens["muted"]))
        painter.drawText(QRectF(bar.x() - 10, plot.y() - 4, LEGEND_WIDTH, metrics.height()),
                         Qt.AlignmentFlag.AlignLeft, tr("weight"))
        painter.setPen(QColor(tokens["text"]))
        for position in (0.0, 0.25, 0.5, 0.75, 1.0):
            y = bar.bottom() - position * bar.height()
            painter.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 3, y))
            value = colormap.inverse(position, self.vmax, self.scale)
            painter.drawText(QRectF(bar.right() + 5, y - metrics.height() / 2, LEGEND_WIDTH - 30, metrics.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, format_weight(value))

    # -- events ----------------------------------------------------------------------------
    def _refresh_hover_text(self) -> None:
        if self.hover is None or self.data is None:
            self.hover_text = ""
        else:
            self.hover_text = self.describe(self.data, *self.hover)

    def _set_hover(self, cell: tuple[int, int] | None, global_pos=None) -> None:
        if cell == self.hover:
            return
        self.hover = cell
        self._refresh_hover_text()
        self.hovered.emit(*(cell if cell is not None else (-1, -1)))
        if global_pos is not None:
            if self.hover_text:
                QToolTip.showText(global_pos, self.hover_text, self)
            else:
                QToolTip.hideText()
        self.update()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        pos = event.position()
        if self._drag_from is not None and self.data is not None:
            plot = self.plot_rect()
            delta = pos - self._drag_from
            if abs(delta.x()) + abs(delta.y()) > 2:
                self._dragged = True
            self.view = QRectF(self._drag_view)
            self.pan(-delta.x() / plot.width() * self.view.width(), -delta.y() / plot.height() * self.view.height())
            return
        self._set_hover(self.cell_at(pos), event.globalPosition().toPoint())

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton and self.data is not None:
            self._drag_from = event.position()
            self._drag_view = QRectF(self.view)
            self._dragged = False
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = None
            self.unsetCursor()

    def mouseDoubleClickEvent(self, _event) -> None:  # noqa: N802 - Qt API
        self.reset_view()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt API
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta or self.data is None:
            return
        keys_only = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.zoom(ZOOM_STEP ** (delta / 120.0), event.position(), x=True, y=not keys_only)
        self._set_hover(self.cell_at(event.position()))
        event.accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        key = event.key()
        if self.data is None:
            return super().keyPressEvent(event)
        step_x, step_y = self.view.width() / 8, self.view.height() / 8
        actions = {
            Qt.Key.Key_Plus: lambda: self.zoom(ZOOM_STEP), Qt.Key.Key_Equal: lambda: self.zoom(ZOOM_STEP),
            Qt.Key.Key_Minus: lambda: self.zoom(1 / ZOOM_STEP), Qt.Key.Key_0: self.reset_view,
            Qt.Key.Key_Left: lambda: self.pan(-step_x, 0), Qt.Key.Key_Right: lambda: self.pan(step_x, 0),
            Qt.Key.Key_Up: lambda: self.pan(0, -step_y), Qt.Key.Key_Down: lambda: self.pan(0, step_y),
        }
        action = actions.get(key)
        if action is None:
            return super().keyPressEvent(event)
        action()

    def leaveEvent(self, _event) -> None:  # noqa: N802 - Qt API
        self._set_hover(None)


class HeatmapPane(Retranslatable, QWidget):
    """A heatmap with its display options (units, colour scale, colours) and a hover read-out."""

    granularity_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.view = HeatmapView()
        self.units = QComboBox()
        self.scale = QComboBox()
        self.colors = QComboBox()
        for _ in GRANULARITIES:
            self.units.addItem("")
        for _ in colormap.SCALES:
            self.scale.addItem("")
        for name in colormap.COLORMAPS:
            self.colors.addItem(name.capitalize())
        self.units.setCurrentIndex(GRANULARITIES.index("piece"))
        self.scale.setCurrentIndex(colormap.SCALES.index("sqrt"))
        self.reset = QToolButton()
        self.units_label, self.scale_label, self.colors_label = QLabel(), QLabel(), QLabel()
        self.status = QLabel()
        self.status.setObjectName("BubbleMeta")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setMinimumHeight(QFontMetricsF(self.font()).height() * 3 + 4)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for label, combo in ((self.units_label, self.units), (self.scale_label, self.scale),
                             (self.colors_label, self.colors)):
            bar.addWidget(label)
            bar.addWidget(combo)
            bar.addSpacing(8)
        bar.addStretch(1)
        bar.addWidget(self.reset)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        self.units.currentIndexChanged.connect(lambda i: self.granularity_changed.emit(GRANULARITIES[i]))
        self.scale.currentIndexChanged.connect(lambda i: self.view.set_scale(colormap.SCALES[i]))
        self.colors.currentIndexChanged.connect(lambda i: self.view.set_colormap(colormap.COLORMAPS[i]))
        self.reset.clicked.connect(self.view.reset_view)
        self.view.hovered.connect(lambda *_: self._show_status())
        self.view.view_changed.connect(self._show_status)
        self.retranslate()

    @property
    def granularity(self) -> str:
        return GRANULARITIES[self.units.currentIndex()]

    def set_data(self, data: HeatmapData | None, caption: str = "") -> None:
        self.caption = caption
        self.view.set_data(data)
        self._show_status()

    def _show_status(self) -> None:
        view = self.view
        if view.hover_text:
            self.status.setText(view.hover_text)
            return
        lines = [getattr(self, "caption", "")]
        if view.data is not None:
            rows, cols = view.data.shape
            lines.append(tr("{rows} × {cols} cells · wheel zooms (Shift: keys only), drag pans, "
                            "double-click resets").format(rows=rows, cols=cols))
            plot = view.plot_rect()
            fx = view.view.width() / plot.width()
            fy = view.view.height() / plot.height()
            if fx > 1 or fy > 1:
                lines.append(tr("More cells than pixels: each pixel shows the largest of the cells it covers."))
        self.status.setText("\n".join(line for line in lines if line))

    def retranslate(self) -> None:
        names = {"token": tr("Tokens"), "piece": tr("Pieces (bytes merged)"), "word": tr("Words")}
        for index, name in enumerate(GRANULARITIES):
            self.units.setItemText(index, names[name])
        scales = {"linear": tr("Linear"), "sqrt": tr("Square root"), "log": tr("Logarithmic")}
        for index, name in enumerate(colormap.SCALES):
            self.scale.setItemText(index, scales[name])
        self.units_label.setText(tr("Units"))
        self.scale_label.setText(tr("Scale"))
        self.colors_label.setText(tr("Colours"))
        self.units.setToolTip(tr("Tokens as the model sees them, pieces (byte tokens merged into whole "
                                 "characters), or words. Attention to a unit is the sum over its tokens."))
        self.scale.setToolTip(tr("How weights map to colours; square root and log show small weights."))
        self.reset.setText(tr("Reset zoom"))
        self.reset.setToolTip(tr("Show the whole matrix again (double-click or 0 does the same)"))
        self.view.placeholder = tr("No attention to show yet.")
        self._show_status()
