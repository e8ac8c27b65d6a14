"""Explore mode: run the loaded model over any text (Korean or English) and browse its attention.

Every layer/head choice is one request to the service (`text_attention`, on the model
worker); results are cached by (text, layer, head), so going back to a choice is instant.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.attention.data import ExploreAttention
from studylog.gui.attention.heatmap import HeatmapPane
from studylog.gui.attention.labels import head_name
from studylog.gui.attention.selector import LayerHeadSelector
from studylog.gui.i18n import Retranslatable, tr

RERUN_DELAY_MS = 200


class ExploreView(Retranslatable, QWidget):
    run_requested = Signal(str, object, object)  # text, layer (None: the last), head choice

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.results: dict[tuple[str, object, object], object] = {}
        self.current: ExploreAttention | None = None
        self.pending: tuple[str, object, object] | None = None
        self.configured = False
        self._shown_key: tuple[str, object, object] | None = None
        self.input = QPlainTextEdit()
        self.input.setObjectName("AskInput")
        self.input.setFixedHeight(70)
        self.run = QPushButton()
        self.run.setProperty("primary", True)
        self.selector = LayerHeadSelector(sinks_default=True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setFixedWidth(90)
        self.busy.setFixedHeight(8)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.message = QLabel()
        self.message.setObjectName("BubbleMeta")
        self.message.setWordWrap(True)
        self.pane = HeatmapPane()
        row = QHBoxLayout()
        row.addWidget(self.selector, 1)
        row.addWidget(self.busy)
        row.addWidget(self.run)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.input)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.pane, 1)
        self._rerun = QTimer(self, singleShot=True, interval=RERUN_DELAY_MS)
        self._rerun.timeout.connect(self._choice_changed)
        self.run.clicked.connect(self.request)
        self.selector.changed.connect(self._selector_changed)
        self.pane.granularity_changed.connect(lambda _g: self.redraw())
        self.retranslate()
        self.selector.slider.setEnabled(False)

    def configure(self, layers: int, heads: int, kv_heads: int) -> None:
        """Known model shape (from a capture or a first result): the selectors become usable."""
        first = not self.configured
        self.configured = True
        self.selector.configure(layers, heads, kv_heads, rollout=True)
        if first:
            self.selector.set_choice(layers - 1, None)

    def key(self) -> tuple[str, object, object]:
        text = self.input.toPlainText().strip()
        head = self.selector.head_choice
        layer = None if head == "rollout" or not self.configured else self.selector.layer
        return text, layer, head

    def request(self) -> None:
        """Run the model over the text with the chosen layer/head (or show the cached result)."""
        key = self.key()
        if not key[0]:
            self.message.setText(tr("Type or paste some text first."))
            return
        if key in self.results:
            self.show_result(self.results[key], key)
            return
        self.pending = key
        self.busy.show()
        self.run.setEnabled(False)
        self.message.setText(tr("Running the model over the text…"))
        self.run_requested.emit(*key)

    def _selector_changed(self) -> None:
        if self.current is not None:
            self._rerun.start()  # a slider drag asks once, when it rests

    def _choice_changed(self) -> None:
        if self.pending is not None:
            return  # `show_result` looks again when the running request is back
        text, layer, head = self.key()
        if self.current is not None and (text, layer, head) == self._shown_key:
            self.redraw()  # only the sink toggle changed
        elif text:
            self.request()

    def show_result(self, result, key: tuple[str, object, object] | None = None) -> None:
        key = key or self.pending or (self.input.toPlainText().strip(), result.layer, result.head)
        self.pending = None
        self.busy.hide()
        self.run.setEnabled(True)
        head = result.head if result.head in ("mean", "max", "rollout") else int(result.head)
        self.results[key] = result
        if result.layer is not None:
            self.results[(key[0], result.layer, head)] = result
        if not self.configured or self.selector.layers != result.layers or self.selector.heads != result.heads:
            self.configure(result.layers, result.heads, result.kv_heads)
        if key[1] is None and result.layer is not None:
            # "The last layer" was asked for: show which one it is. Otherwise the selector keeps
            # whatever the user chose meanwhile, and that choice is asked for next.
            self.selector.blockSignals(True)
            self.selector.set_choice(result.layer, head)
            self.selector.blockSignals(False)
        self._shown_key = (key[0], result.layer, head)
        self.current = ExploreAttention(result)
        self.message.setText(tr("{model} · {n} tokens · {what}").format(
            model=result.model or tr("the loaded model"), n=len(result.tokens), what=self.caption(result)))
        self.redraw(keep_view=False)
        if self.key() != self._shown_key and self.key()[0] == key[0]:
            self._rerun.start()

    def caption(self, result) -> str:
        head = head_name(result.head if result.head in ("mean", "max", "rollout") else int(result.head),
                         result.heads, result.kv_heads)
        return head if result.layer is None else tr("layer {layer} · {head}").format(layer=result.layer, head=head)

    def show_error(self, message: str) -> None:
        self.pending = None
        self.busy.hide()
        self.run.setEnabled(True)
        self.message.setText(message)

    def redraw(self, keep_view: bool = True) -> None:
        if self.current is None:
            return
        data = self.current.heatmap(self.selector.hide_sinks, self.pane.granularity)
        if keep_view:
            self.pane.set_data(data, self.caption(self.current.result))
        else:
            self.pane.view.set_data(None)
            self.pane.set_data(data, self.caption(self.current.result))

    def current_data(self):
        return self.pane.view.data

    def retranslate(self) -> None:
        self.input.setPlaceholderText(tr("Type or paste any text, Korean or English, e.g. "
                                         "오늘은 트랜스포머의 셀프 어텐션을 공부했다."))
        self.run.setText(tr("Run"))
        self.run.setToolTip(tr("Run the loaded model over the text and show its attention"))
        self.pane.view.placeholder = tr("Type a sentence above and press Run to see how the model reads it.")
        if not self.configured:
            self.selector.layer_value.setText(tr("last"))
