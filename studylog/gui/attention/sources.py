"""Where the answer looked: a bar per prompt part, and the text shaded by the attention it got.

Bars are `source_attribution` over the selected layer/head rows (shares add up to at most 1).
Below them the answer itself - click a word to see where *that* word looked - and every
source, the question and the instructions, each piece shaded by the attention paid to it.
Clicking a source's bar or heading opens that note at its section.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTextBrowser,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from studylog.attention import ANSWER_LABEL, OTHER_LABEL, Attribution, Span
from studylog.gui.attention.data import AnswerAttention, HeadChoice
from studylog.gui.attention.labels import format_share, format_weight, region_name, source_number
from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.theme import current_tokens, theme_manager

ROW_HEIGHT = 26
SHADE_LIGHT = (255, 166, 0)
SHADE_DARK = (255, 170, 60)


@dataclass
class SourceInfo:
    """A retrieved note passage, from the answer's `sources`/`retrieved`."""

    n: int
    date: str
    path: str
    heading: str
    start_line: int
    cited: bool


def sources_of(answer) -> dict[int, SourceInfo]:
    """Every source given to the model, by its number, marking those the answer cites."""
    if answer is None:
        return {}
    cited = {getattr(source, "n", None) for source in getattr(answer, "sources", [])}
    found: dict[int, SourceInfo] = {}
    for source in list(getattr(answer, "retrieved", [])) + list(getattr(answer, "sources", [])):
        if source.n not in found:
            found[source.n] = SourceInfo(source.n, str(source.date), str(source.path),
                                         source.heading_path or source.section, int(source.start_line),
                                         source.n in cited)
    return found


@dataclass
class BarRow:
    label: str  # the capture's span label ("source 2", "question", ...)
    title: str
    share: float
    source: SourceInfo | None


def bar_rows(attribution: Attribution, sources: dict[int, SourceInfo], per_token: np.ndarray | None = None) -> list[BarRow]:
    """Sources first (by number), then question, instructions, the answer so far and the rest."""
    shares = attribution.overall if per_token is None else per_token
    order = {"question": 1, "instructions": 2, ANSWER_LABEL: 3, OTHER_LABEL: 4}
    rows = []
    for label, share in zip(attribution.labels, shares, strict=True):
        number = source_number(label)
        info = sources.get(number) if number is not None else None
        if info is not None:
            title = f"[{number}] {info.date} · {info.heading}" if info.heading else f"[{number}] {info.date}"
        else:
            title = region_name(label)
        rows.append(BarRow(label, title, float(share), info))
    rows.sort(key=lambda row: (0, source_number(row.label)) if source_number(row.label) is not None
              else (order.get(row.label, 5), 0))
    return rows


class ShareBars(QWidget):
    """Horizontal bars, one per prompt part; source rows are links to their note."""

    source_clicked = Signal(str, int)  # path, start line
    row_clicked = Signal(str)  # the span label

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[BarRow] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._hover = -1

    def set_rows(self, rows: list[BarRow]) -> None:
        self.rows = rows
        self.setFixedHeight(max(1, len(rows)) * ROW_HEIGHT + 6)
        self.update()

    def _label_width(self) -> float:
        return min(max(self.width() * 0.46, 160.0), 420.0)

    def row_rect(self, index: int) -> QRectF:
        return QRectF(0, 3 + index * ROW_HEIGHT, self.width(), ROW_HEIGHT)

    def row_at(self, pos: QPointF) -> int:
        index = int((pos.y() - 3) // ROW_HEIGHT)
        return index if 0 <= index < len(self.rows) else -1

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        tokens = current_tokens()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetricsF(self.font())
        label_width = self._label_width()
        share_width = metrics.horizontalAdvance("100.0 %") + 10
        track_width = max(20.0, self.width() - label_width - share_width - 16)
        peak = max((row.share for row in self.rows), default=0.0)
        for index, row in enumerate(self.rows):
            rect = self.row_rect(index)
            if index == self._hover and row.source is not None:
                painter.fillRect(rect, QColor(tokens["accent_soft"]))
            is_source = row.source is not None
            font = QFont(self.font())
            font.setUnderline(is_source and index == self._hover)
            font.setBold(bool(row.source and row.source.cited))
            painter.setFont(font)
            is_source_label = source_number(row.label) is not None
            painter.setPen(QColor(tokens["link"] if is_source else tokens["text"]))
            text = QFontMetricsF(font).elidedText(row.title, Qt.TextElideMode.ElideRight, label_width - 12)
            painter.drawText(QRectF(6, rect.y(), label_width - 8, rect.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
            track = QRectF(label_width, rect.y() + 6, track_width, rect.height() - 12)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(tokens["alt_base"]))
            painter.drawRoundedRect(track, 3, 3)
            # Bars share one scale, the largest share spanning the track: small parts stay visible.
            fill = QRectF(track.x(), track.y(), track.width() * (row.share / peak if peak > 0 else 0), track.height())
            painter.setBrush(QColor(tokens["accent"] if is_source_label else tokens["muted"]))
            painter.drawRoundedRect(fill, 3, 3)
            painter.setFont(self.font())
            painter.setPen(QColor(tokens["text"]))
            painter.drawText(QRectF(track.right() + 8, rect.y(), share_width, rect.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, format_share(row.share))
        painter.end()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        index = self.row_at(event.position())
        if index != self._hover:
            self._hover = index
            row = self.rows[index] if index >= 0 else None
            clickable = row is not None and row.source is not None
            self.setCursor(Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor)
            if row is not None:
                tip = f"{row.title}\n{tr('{share} of the answer’s attention').format(share=format_share(row.share))}"
                if clickable:
                    tip += "\n" + tr("Click to open the note at this section")
                QToolTip.showText(event.globalPosition().toPoint(), tip, self)
            self.update()

    def leaveEvent(self, _event) -> None:  # noqa: N802 - Qt API
        self._hover = -1
        self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        index = self.row_at(event.position())
        if event.button() != Qt.MouseButton.LeftButton or index < 0:
            return
        row = self.rows[index]
        self.row_clicked.emit(row.label)
        if row.source is not None and row.source.path:
            self.source_clicked.emit(row.source.path, row.source.start_line)


class TokenText(QTextBrowser):
    """Read-only text built from token pieces, each with its own background and tooltip."""

    piece_clicked = Signal(int)  # index into the pieces last written with `pieces=`

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self._piece_starts: list[int] = []
        self._piece_ends: list[int] = []
        self.anchors: dict[str, int] = {}  # anchor name -> character position

    def clear_pieces(self) -> None:
        self.clear()
        self._piece_starts, self._piece_ends, self.anchors = [], [], {}

    def add_heading(self, text: str, href: str = "", name: str = "") -> None:
        cursor = self._end()
        if not self.document().isEmpty():
            cursor.insertBlock()
            cursor.insertBlock()
        if name:
            self.anchors[name] = cursor.position()
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Bold)
        if href:
            fmt.setAnchor(True)
            fmt.setAnchorHref(href)
            fmt.setForeground(QColor(current_tokens()["link"]))
            fmt.setToolTip(tr("Click to open the note at this section"))
        cursor.insertText(text, fmt)
        cursor.insertBlock()

    def add_pieces(self, texts: list[str], colors: list[QColor | None], tips: list[str],
                   bold: list[bool] | None = None) -> None:
        cursor = self._end()
        for index, (text, color, tip) in enumerate(zip(texts, colors, tips, strict=True)):
            fmt = QTextCharFormat()
            if color is not None:
                fmt.setBackground(color)
            if tip:
                fmt.setToolTip(tip)
            if bold is not None and bold[index]:
                fmt.setFontWeight(QFont.Weight.Bold)
                fmt.setFontUnderline(True)
            start = cursor.position()
            cursor.insertText(text, fmt)
            self._piece_starts.append(start)
            self._piece_ends.append(cursor.position())

    def _end(self) -> QTextCursor:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        return cursor

    def piece_at(self, position: int) -> int:
        index = bisect.bisect_right(self._piece_starts, position) - 1
        if 0 <= index < len(self._piece_ends) and position < self._piece_ends[index]:
            return index
        return -1

    def scroll_to(self, name: str) -> None:
        position = self.anchors.get(name)
        if position is None:
            return
        cursor = QTextCursor(self.document())
        cursor.setPosition(position)
        self.setTextCursor(cursor)
        bar = self.verticalScrollBar()
        bar.setValue(min(bar.maximum(), self.cursorRect(cursor).top() + bar.value() - 4))

    def viewportEvent(self, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.ToolTip:
            cursor = self.cursorForPosition(event.pos())
            tip = cursor.charFormat().toolTip()
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            index = self.piece_at(self.cursorForPosition(event.position().toPoint()).position())
            if index >= 0:
                self.piece_clicked.emit(index)


def piece_text(label: str) -> str:
    """Pieces carry visible line breaks (↵) for axis labels; text views want real ones."""
    return label.replace("↵", "\n").replace("⇥", "\t").replace("␍", "")


class SourcesView(Retranslatable, QWidget):
    open_note_requested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model: AnswerAttention | None = None
        self.sources: dict[int, SourceInfo] = {}
        self.choice: tuple[int, HeadChoice, bool] = (0, "mean", True)
        self.attribution: Attribution | None = None
        self.selected_piece = -1  # index into `answer_pieces`; -1 is the whole answer
        self.answer_pieces: list[Span] = []
        self.shares_title = QLabel()
        self.shares_title.setObjectName("SectionTitle")
        self.bars = ShareBars()
        self.answer_title = QLabel()
        self.whole = QPushButton()
        self.whole.setEnabled(False)
        self.answer_text = TokenText()
        self.answer_text.setMinimumHeight(60)
        self.text_title = QLabel()
        self.legend = QLabel()
        self.legend.setObjectName("BubbleMeta")
        self.text = TokenText()
        bold = QFont(self.font())
        bold.setBold(True)
        for title in (self.shares_title, self.answer_title, self.text_title):
            title.setFont(bold)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(_titled_pane(self.answer_title, self.whole, self.answer_text))
        self.splitter.addWidget(_titled_pane(self.text_title, self.legend, self.text))
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.shares_title)
        layout.addWidget(self.bars)
        layout.addWidget(self.splitter, 1)

        self.bars.source_clicked.connect(self.open_note_requested)
        self.bars.row_clicked.connect(self.text.scroll_to)
        self.text.anchorClicked.connect(self._anchor_clicked)
        self.answer_text.piece_clicked.connect(self.select_piece)
        self.whole.clicked.connect(lambda: self.select_piece(-1))
        theme_manager().changed.connect(self._theme_changed)  # a method: disconnected when deleted
        self.retranslate()

    def _theme_changed(self, _tokens: dict) -> None:
        if self.model is not None:
            self.refresh()

    # -- data ------------------------------------------------------------------------------
    def set_capture(self, model: AnswerAttention | None, sources: dict[int, SourceInfo]) -> None:
        self.model = model
        self.sources = sources
        self.selected_piece = -1
        self.answer_pieces = []
        if model is not None:
            self.answer_pieces = [piece for piece in model.units("piece") if piece.end > model.prompt_len]

    def set_choice(self, layer: int, head: HeadChoice, sinks: bool) -> None:
        self.choice = (layer, head, sinks)
        self.refresh()

    def select_piece(self, index: int) -> None:
        self.selected_piece = index if 0 <= index < len(self.answer_pieces) else -1
        self.whole.setEnabled(self.selected_piece >= 0)
        self.refresh()

    def _selected_rows(self) -> slice:
        """Answer rows of the selected piece (all rows for the whole answer)."""
        model = self.model
        if self.selected_piece < 0:
            return slice(0, model.capture.answer_len)
        piece = self.answer_pieces[self.selected_piece]
        start = max(piece.start, model.prompt_len) - model.prompt_len
        return slice(start, piece.end - model.prompt_len)

    def bar_rows(self) -> list[BarRow]:
        if self.attribution is None:
            return []
        rows = self._selected_rows()
        per_token = None if self.selected_piece < 0 else self.attribution.per_token[rows].mean(axis=0)
        return bar_rows(self.attribution, self.sources, per_token)

    def refresh(self) -> None:
        model = self.model
        if model is None:
            self.bars.set_rows([])
            self.answer_text.clear_pieces()
            self.text.clear_pieces()
            return
        layer, head, sinks = self.choice
        rows = model.rows(layer, head, sinks)
        self.attribution = model.attribution(layer, head, sinks)
        self.bars.set_rows(self.bar_rows())
        selected = rows[self._selected_rows()]
        self._render_answer(selected)
        self._render_prompt(selected)

    # -- text ------------------------------------------------------------------------------
    def _shade(self, values: np.ndarray, peak: float) -> list[QColor | None]:
        dark = theme_manager().is_dark(theme_manager().mode)
        red, green, blue = SHADE_DARK if dark else SHADE_LIGHT
        alphas = np.sqrt(np.clip(values / peak, 0, 1)) * 0.9 if peak > 0 else np.zeros_like(values)
        return [QColor(red, green, blue, int(alpha * 255)) if alpha >= 0.04 else None for alpha in alphas]

    def _tips(self, values: np.ndarray) -> list[str]:
        return [tr("{w} of the attention ({share})").format(w=format_weight(float(v)), share=format_share(float(v)))
                for v in values]

    def _render_answer(self, selected: np.ndarray) -> None:
        model = self.model
        span = Span(ANSWER_LABEL, model.prompt_len, model.num_tokens)
        _units, values = model.shading(selected, span, "piece")
        self.answer_text.clear_pieces()
        texts = [piece_text(piece.label) for piece in self.answer_pieces]
        bold = [index == self.selected_piece for index in range(len(texts))]
        peak = float(values.max()) if values.size else 0.0
        self.answer_text.add_pieces(texts, self._shade(values, peak), self._tips(values), bold)

    def _render_prompt(self, selected: np.ndarray) -> None:
        model = self.model
        scroll = self.text.verticalScrollBar().value()
        self.text.clear_pieces()
        spans = sorted(model.capture.spans, key=lambda span: (source_number(span.label) is None,
                                                              source_number(span.label) or 0, span.start))
        shaded = [(span, *model.shading(selected, span, "piece")) for span in spans]
        peak = max((float(values.max()) for _span, _units, values in shaded if values.size), default=0.0)
        for span, units, values in shaded:
            number = source_number(span.label)
            info = self.sources.get(number) if number is not None else None
            share = self._share_of(span.label)
            if info is not None:
                heading = f"[{number}] {info.date} · {info.heading}" if info.heading else f"[{number}] {info.date}"
                href = f"source:{number}"
            else:
                heading, href = region_name(span.label), ""
            self.text.add_heading(f"{heading} — {format_share(share)}", href, span.label)
            self.text.add_pieces([piece_text(unit.label) for unit in units], self._shade(values, peak),
                                 self._tips(values))
        self.text.verticalScrollBar().setValue(scroll)

    def _share_of(self, label: str) -> float:
        for row in self.bar_rows():
            if row.label == label:
                return row.share
        return 0.0

    def _anchor_clicked(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("source:"):
            info = self.sources.get(int(text.split(":", 1)[1]))
            if info is not None and info.path:
                self.open_note_requested.emit(info.path, info.start_line)

    def retranslate(self) -> None:
        self.shares_title.setText(tr("Share of the answer’s attention"))
        self.answer_title.setText(tr("The answer: click a piece to see where it looked"))
        self.whole.setText(tr("Whole answer"))
        self.text_title.setText(tr("The prompt, shaded by the attention paid to each piece"))
        self.legend.setText(tr("stronger shade = more attention · hover for the weight"))
        if self.model is not None:
            self.refresh()


def _titled_pane(title: QWidget, aside: QWidget, body: QWidget) -> QWidget:
    """A title row (title left, `aside` right) above `body`, which takes the height."""
    pane = QWidget()
    layout = QVBoxLayout(pane)
    layout.setContentsMargins(0, 0, 0, 0)
    row = QHBoxLayout()
    row.addWidget(title, 1)
    row.addWidget(aside)
    layout.addLayout(row)
    layout.addWidget(body, 1)
    return pane
