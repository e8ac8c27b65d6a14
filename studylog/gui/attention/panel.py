"""The attention panel: one answer's capture in three views, plus explore mode, with export.

Views share one layer/head/sink choice; only the visible tab redraws when it changes (the
others catch up when shown). The grid is pooled once per capture on a background thread.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.attention import export as exporting
from studylog.gui.attention.data import AnswerAttention, GridSummary, grid_summary
from studylog.gui.attention.explore import ExploreView
from studylog.gui.attention.grid import GridView
from studylog.gui.attention.heatmap import HeatmapPane
from studylog.gui.attention.labels import head_name, region_name
from studylog.gui.attention.selector import LayerHeadSelector
from studylog.gui.attention.sources import SourcesView, sources_of
from studylog.gui.i18n import Retranslatable, tr

HEATMAP, GRID, SOURCES, EXPLORE = range(4)


class _GridBuilder(QObject):
    """Pools every layer × head on a plain thread (numpy releases the GIL while it works)."""

    built = Signal(int, object)  # serial, GridSummary or the exception

    def start(self, serial: int, capture) -> None:
        def work() -> None:
            try:
                result: object = grid_summary(capture)
            except Exception as exc:  # noqa: BLE001 - shown in the grid tab
                result = exc
            try:
                self.built.emit(serial, result)
            except RuntimeError:  # the panel was deleted meanwhile
                pass

        threading.Thread(target=work, name="studylog-attention-grid", daemon=True).start()


class AttentionPanel(Retranslatable, QWidget):
    open_note_requested = Signal(str, int)  # path, line
    explore_requested = Signal(str, object, object)  # text, layer or None, head choice

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("AttentionPanel")
        self.capture = None
        self.answer = None
        self.model: AnswerAttention | None = None
        self.grid_summary: GridSummary | None = None
        self._grid_sinks: bool | None = None
        self._serial = 0
        self._stale: set[int] = set()
        self._builder = _GridBuilder(self)
        self._builder.built.connect(self._grid_built)

        self.title = QLabel()
        title_font = QFont(self.font())
        title_font.setBold(True)
        title_font.setPointSizeF(self.font().pointSizeF() + 1)
        self.title.setFont(title_font)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        # The title is the question: it wraps instead of widening the window to its length.
        self.title.setWordWrap(True)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.meta = QLabel()
        self.meta.setObjectName("BubbleMeta")
        self.fidelity_badge = QLabel()
        self.fidelity_badge.setObjectName("FidelityBadge")
        self.fidelity_badge.hide()
        self.export_button = QToolButton()
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self)
        self.export_actions = {kind: self.export_menu.addAction("") for kind in exporting.KINDS}
        for kind, action in self.export_actions.items():
            action.triggered.connect(lambda _checked=False, kind=kind: self.export_dialog(kind))
        self.export_button.setMenu(self.export_menu)
        self.selector = LayerHeadSelector()
        self.heatmap = HeatmapPane()
        self.grid = GridView()
        self.grid_caption = QLabel()
        self.grid_caption.setObjectName("BubbleMeta")
        self.grid_caption.setWordWrap(True)
        grid_page = QWidget()
        grid_layout = QVBoxLayout(grid_page)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_layout.addWidget(self.grid_caption)
        grid_layout.addWidget(self.grid, 1)
        self.sources = SourcesView()
        self.explore = ExploreView()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for page in (self.heatmap, grid_page, self.sources, self.explore):
            self.tabs.addTab(page, "")

        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title)
        titles.addWidget(self.meta)
        header.addLayout(titles, 1)
        header.addWidget(self.fidelity_badge, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.selector)
        layout.addWidget(self.tabs, 1)

        self.selector.changed.connect(self.refresh)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.heatmap.granularity_changed.connect(lambda _g: self._refresh_tab(HEATMAP))
        self.heatmap.colors.currentIndexChanged.connect(
            lambda _i: self.grid.set_colormap(self.heatmap.view.cmap))
        self.grid.cell_clicked.connect(self.open_cell)
        self.sources.open_note_requested.connect(self.open_note_requested)
        self.explore.run_requested.connect(self.explore_requested)
        self.retranslate()
        self._set_capture_tabs(False)
        self.tabs.setCurrentIndex(EXPLORE)

    # -- data ------------------------------------------------------------------------------
    def set_capture(self, capture, answer=None, grid: GridSummary | None = None) -> None:
        """Show one answer's capture (an `AttentionCapture`); `answer` names its sources."""
        self._serial += 1
        self.capture, self.answer = capture, answer
        self.model = AnswerAttention(capture)
        self.model.aggregates = grid
        self.grid_summary = grid
        self._grid_sinks = None
        self.selector.configure(capture.num_layers, capture.num_heads, capture.num_kv_heads,
                                rollout=capture.rollout is not None)
        self.selector.blockSignals(True)
        self.selector.set_choice(capture.num_layers - 1, "mean")
        self.selector.blockSignals(False)
        self.sources.set_capture(self.model, sources_of(answer))
        if not self.explore.configured:
            self.explore.configure(capture.num_layers, capture.num_heads, capture.num_kv_heads)
        self.heatmap.view.set_data(None)
        self.grid.set_thumbnails(None)
        if grid is None:
            self._builder.start(self._serial, capture)
        self._set_capture_tabs(True)
        self._update_header()
        if self.tabs.currentIndex() == EXPLORE:
            self.tabs.setCurrentIndex(HEATMAP)
        self.refresh()

    def _grid_built(self, serial: int, result: object) -> None:
        if serial != self._serial:
            return
        if isinstance(result, BaseException):
            self.grid.placeholder = tr("The grid could not be prepared: {error}").format(error=result)
            self.grid.update()
            return
        self.grid_summary = result
        self.model.aggregates = result
        self._grid_sinks = None
        if self.tabs.currentIndex() == GRID:
            self._refresh_tab(GRID)
        else:
            self._stale.add(GRID)

    def show_explore(self, text: str = "") -> None:
        if text:
            self.explore.input.setPlainText(text)
        self.tabs.setCurrentIndex(EXPLORE)
        self.explore.input.setFocus()

    def _set_capture_tabs(self, enabled: bool) -> None:
        for index in (HEATMAP, GRID, SOURCES):
            self.tabs.setTabEnabled(index, enabled)
        self._update_header()

    # -- refreshing ------------------------------------------------------------------------
    def refresh(self) -> None:
        """The choice changed: redraw the visible tab now, the others when they are shown."""
        self._stale = {HEATMAP, GRID, SOURCES}
        self._refresh_tab(self.tabs.currentIndex())

    def _tab_changed(self, index: int) -> None:
        self.selector.setVisible(index != EXPLORE and self.model is not None)
        self._update_header()
        if index in self._stale:
            self._refresh_tab(index)

    def _refresh_tab(self, index: int) -> None:
        if self.model is None or index == EXPLORE:
            return
        self._stale.discard(index)
        layer, head, sinks = self.selector.layer, self.selector.head_choice, self.selector.hide_sinks
        if index == HEATMAP:
            data = self.model.heatmap(layer, head, sinks, self.heatmap.granularity)
            self.heatmap.set_data(data, self.caption())
        elif index == GRID:
            self.grid.set_selected(layer, head)
            if self.grid_summary is None:
                self.grid.placeholder = tr("Preparing the layer × head grid…")
                self._stale.add(GRID)
            elif self._grid_sinks != sinks:
                self._grid_sinks = sinks
                self.grid.set_thumbnails(self.grid_summary.thumbnails(sinks), self.capture.num_heads,
                                         self.capture.num_kv_heads)
        elif index == SOURCES:
            self.sources.set_choice(layer, head, sinks)

    def caption(self) -> str:
        head = self.selector.head_choice
        name = head_name(head, self.capture.num_heads, self.capture.num_kv_heads)
        where = name if head == "rollout" else tr("layer {layer} · {head}").format(layer=self.selector.layer, head=name)
        sinks = tr("sinks hidden, rows renormalised") if self.selector.hide_sinks else tr("sinks shown")
        caption = tr("{where} · {sinks}. Each row is what the model looked at while writing that piece of the "
                     "answer.").format(where=where, sinks=sinks)
        if head == "rollout":  # built from every prompt row too, which only a replay computes
            caption += " " + replay_note(getattr(self.capture, "fidelity", None))
        return caption

    def open_cell(self, layer: int, head: object) -> None:
        """A grid thumbnail was clicked: show that layer and head in the heatmap."""
        self.selector.set_choice(layer, head)
        self.tabs.setCurrentIndex(HEATMAP)

    # -- export ----------------------------------------------------------------------------
    def current_matrix(self) -> tuple[np.ndarray, list[str], list[str]]:
        """The numbers behind the current view: (matrix, row labels, column labels)."""
        index = self.tabs.currentIndex()
        if index in self._stale:
            self._refresh_tab(index)
        if index == HEATMAP or index == EXPLORE:
            data = self.heatmap.view.data if index == HEATMAP else self.explore.current_data()
            if data is None:
                raise ValueError(tr("Nothing to export yet."))
            return data.matrix, list(data.rows.labels), list(data.cols.labels)
        if index == GRID:
            if self.grid.thumbnails is None:
                raise ValueError(tr("Nothing to export yet."))
            thumbs = self.grid.thumbnails
            layers, columns = thumbs.shape[:2]
            heads = [f"H{h}" for h in range(columns - 1)] + ["mean"]
            return thumbs, [f"L{layer} {head}" for layer in range(layers) for head in heads], []
        attribution = self.sources.attribution
        if attribution is None:
            raise ValueError(tr("Nothing to export yet."))
        capture = self.capture
        rows = [capture.tokens[capture.prompt_len + a] for a in range(capture.answer_len)] + [tr("whole answer")]
        matrix = np.vstack([attribution.per_token, attribution.overall[None, :]])
        return matrix, rows, [region_name(label) for label in attribution.labels]

    def current_view_widget(self) -> QWidget:
        index = self.tabs.currentIndex()
        return {HEATMAP: self.heatmap.view, GRID: self.grid, SOURCES: self.sources,
                EXPLORE: self.explore.pane.view}[index]

    def export(self, kind: str, path: str | Path) -> Path:
        """Write the current view as PNG, or its matrix as CSV or NPY, to `path`."""
        if kind == "png":
            return exporting.write_png(self.current_view_widget(), path)
        matrix, rows, cols = self.current_matrix()
        if kind == "npy":
            return exporting.write_npy(matrix, path)
        if kind == "csv":
            if matrix.ndim > 2:  # the grid: one row per layer and head, thumbnails flattened
                matrix = matrix.reshape(len(rows), -1)
            return exporting.write_csv(matrix, path, rows, cols)
        raise ValueError(f"unknown export kind {kind!r}")

    def default_name(self, kind: str) -> str:
        index = self.tabs.currentIndex()
        base = {HEATMAP: "attention-heatmap", GRID: "attention-grid", SOURCES: "attention-sources",
                EXPLORE: "attention-explore"}[index]
        if index in (HEATMAP, SOURCES) and self.model is not None:
            head = self.selector.head_choice
            base += "-rollout" if head == "rollout" else f"-L{self.selector.layer}-{head if isinstance(head, str) else f'H{head}'}"
        return f"{base}.{kind}"

    def export_dialog(self, kind: str) -> Path | None:
        filters = {"png": tr("PNG image (*.png)"), "csv": tr("CSV table (*.csv)"), "npy": tr("NumPy array (*.npy)")}
        path, _ = QFileDialog.getSaveFileName(self, tr("Export attention"), str(Path.home() / self.default_name(kind)),
                                              filters[kind])
        if not path:
            return None
        try:
            return self.export(kind, path)
        except (OSError, ValueError) as exc:
            self.meta.setText(tr("Export failed: {error}").format(error=exc))
            return None

    # -- text ------------------------------------------------------------------------------
    def _update_header(self) -> None:
        capture = self.capture
        if self.tabs.currentIndex() == EXPLORE or capture is None:
            self.fidelity_badge.hide()
            self.title.setText(tr("Explore attention"))
            self.meta.setText(tr("Run the loaded model over any text and see where each token looks."))
            return
        question = getattr(self.answer, "question", "") if self.answer is not None else ""
        self.title.setText(tr("Attention of the answer to: {q}").format(q=question) if question
                           else tr("Attention of the answer"))
        self.meta.setText(tr("{model} · {prompt} prompt + {answer} answer tokens · {layers} layers × {heads} "
                             "heads").format(model=capture.model_name, prompt=capture.prompt_len,
                                             answer=capture.answer_len, layers=capture.num_layers,
                                             heads=capture.num_heads))
        text, state, tooltip = fidelity_badge(getattr(capture, "fidelity", None))
        self.fidelity_badge.setText(text)
        self.fidelity_badge.setToolTip(tooltip)
        if self.fidelity_badge.property("state") != state:
            self.fidelity_badge.setProperty("state", state)
            self.fidelity_badge.style().unpolish(self.fidelity_badge)  # re-read the [state] rule
            self.fidelity_badge.style().polish(self.fidelity_badge)
        self.fidelity_badge.show()

    def retranslate(self) -> None:
        for index, text in ((HEATMAP, tr("Heatmap")), (GRID, tr("Layers × heads")), (SOURCES, tr("Sources")),
                            (EXPLORE, tr("Explore"))):
            self.tabs.setTabText(index, text)
        self.export_button.setText(tr("Export"))
        self.export_button.setToolTip(tr("Save this view as an image, or the numbers behind it"))
        self.export_actions["png"].setText(tr("View as PNG image…"))
        self.export_actions["csv"].setText(tr("Matrix as CSV…"))
        self.export_actions["npy"].setText(tr("Matrix as NumPy .npy…"))
        self.grid_caption.setText(tr("One thumbnail per layer and head: the answer's rows (down) over every "
                                     "token (across), each scaled to its own maximum. Click one to open it."))
        self.grid.placeholder = tr("Preparing the layer × head grid…")
        self._update_header()
        if self.model is not None:
            self.refresh()


def fidelity_badge(fidelity) -> tuple[str, str, str]:
    """(badge text, style state "exact" / "drift" / "unknown", tooltip) for a capture's `Fidelity`."""
    if fidelity is None:
        return (tr("fidelity unknown"), "unknown",
                tr("Saved before StudyLog measured how exactly a capture matches the answer."))
    if fidelity.max_abs_diff == 0.0 and fidelity.answer_tokens_match:
        return (tr("exact · recorded while answering"), "exact",
                tr("Recorded while the model wrote this answer: each answer row is exactly the attention "
                   "that chose that token.") + " " + replay_note(fidelity))
    if fidelity.max_abs_diff is not None:
        return (tr("differs by {diff}").format(diff=f"{fidelity.max_abs_diff:.2g}"), "drift",
                tr("The rows shown differ from the attention that wrote the answer by up to {diff}.").format(
                    diff=f"{fidelity.max_abs_diff:.2g}"))
    if fidelity.answer_tokens_match:
        return (tr("replay"), "unknown",
                tr("Replayed after the answer (its recording is no longer kept): the replay predicts the "
                   "answer's every token, but its weights were not compared with the answer's own."))
    return (tr("replay differs"), "drift",
            tr("Replayed after the answer, and the replay does not predict every token of the answer: "
               "these rows are not exactly what the model computed while answering."))


def replay_note(fidelity) -> str:
    """One sentence on the replay behind the prompt × prompt views (the rollout)."""
    if fidelity is None or fidelity.replay_max_abs_diff is None:
        return tr("The rollout comes from a replay of prompt + answer.")
    if fidelity.replay_max_abs_diff == 0.0 and fidelity.replay_tokens_match:
        return tr("The rollout comes from running the answer's generation again, step by step: its "
                  "answer rows equal the recorded ones exactly.")
    return tr("The rollout comes from a replay of prompt + answer, whose answer rows differ from the "
              "recorded ones by up to {diff}.").format(diff=f"{fidelity.replay_max_abs_diff:.2g}")
