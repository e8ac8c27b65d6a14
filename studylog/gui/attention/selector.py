"""Layer slider, head selector (with each query head's KV group) and the sink toggle."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.attention.labels import head_name
from studylog.gui.i18n import Retranslatable, tr

AGGREGATES = ("mean", "max", "rollout")


class LayerHeadSelector(Retranslatable, QWidget):
    """Emits `changed` whenever the layer, the head choice or the sink toggle changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, sinks_default: bool = True):
        super().__init__(parent)
        self.layers, self.heads, self.kv_heads, self.rollout = 1, 1, 1, True
        self.layer_label = QLabel()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("LayerSlider")
        self.slider.setPageStep(4)
        self.slider.setMinimumWidth(140)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.layer_value = QLabel()
        self.layer_value.setMinimumWidth(54)
        self.head_label = QLabel()
        self.head = QComboBox()
        self.head.setObjectName("HeadChoice")
        self.head.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.sinks = QCheckBox()
        self.sinks.setChecked(sinks_default)
        self.grouping = QLabel()
        self.grouping.setObjectName("BubbleMeta")
        self.grouping.setWordWrap(True)
        # Two rows (layer; head, sinks, grouping), so the panel never forces the window wider
        # than a laptop screen (one row needed 895 px).
        layer_row = QHBoxLayout()
        layer_row.setSpacing(6)
        layer_row.addWidget(self.layer_label)
        layer_row.addWidget(self.slider, 1)
        layer_row.addWidget(self.layer_value)
        head_row = QHBoxLayout()
        head_row.setSpacing(6)
        head_row.addWidget(self.head_label)
        head_row.addWidget(self.head)
        head_row.addSpacing(8)
        head_row.addWidget(self.sinks)
        head_row.addSpacing(8)
        head_row.addWidget(self.grouping, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(layer_row)
        layout.addLayout(head_row)
        self._quiet = False
        self.slider.valueChanged.connect(self._changed)
        self.head.currentIndexChanged.connect(self._changed)
        self.sinks.toggled.connect(self._changed)
        self.configure(1, 1, 1, True)
        self.retranslate()

    # -- state -----------------------------------------------------------------------------
    def configure(self, layers: int, heads: int, kv_heads: int, rollout: bool = True) -> None:
        """New model shape: keep the current choice where it still exists."""
        old_layer, old_head = self.layer, self.head_choice
        self._quiet = True
        self.layers, self.heads, self.kv_heads, self.rollout = layers, heads, kv_heads or heads, rollout
        self.slider.setRange(0, max(0, layers - 1))
        self.slider.setTickInterval(1 if layers <= 12 else 4)
        self.head.clear()
        for choice in AGGREGATES:
            if choice != "rollout" or rollout:
                self.head.addItem(head_name(choice), choice)
        for index in range(heads):
            self.head.addItem(head_name(index, heads, self.kv_heads), index)
        self._quiet = False
        self.set_choice(min(old_layer, layers - 1) if old_layer >= 0 else layers - 1, old_head)
        self._update_grouping()

    @property
    def layer(self) -> int:
        return self.slider.value()

    @property
    def head_choice(self) -> str | int:
        data = self.head.currentData()
        return "mean" if data is None else data

    @property
    def hide_sinks(self) -> bool:
        return self.sinks.isChecked()

    def set_choice(self, layer: int | None, head: str | int | None) -> None:
        """Select a layer and head at once, with a single `changed`."""
        self._quiet = True
        if layer is not None:
            self.slider.setValue(max(0, min(layer, self.layers - 1)))
        if head is not None:
            index = self.head.findData(head)
            self.head.setCurrentIndex(index if index >= 0 else 0)
        self._quiet = False
        self._changed()

    def kv_group(self, head: int) -> int:
        return head // max(1, self.heads // self.kv_heads)

    # -- labels ----------------------------------------------------------------------------
    def _changed(self, *_args) -> None:
        if self._quiet:
            return
        self._update_labels()
        self.changed.emit()

    def _update_labels(self) -> None:
        rollout = self.head_choice == "rollout"
        self.slider.setEnabled(not rollout and self.layers > 1)
        self.layer_value.setText(tr("all") if rollout else f"{self.layer} / {self.layers - 1}")

    def retranslate(self) -> None:
        self.layer_label.setText(tr("Layer"))
        self.head_label.setText(tr("Head"))
        for index in range(self.head.count()):
            self.head.setItemText(index, head_name(self.head.itemData(index), self.heads, self.kv_heads))
        self.sinks.setText(tr("Hide attention sinks"))
        self.sinks.setToolTip(tr("Leave out the first token and special tokens, where models park most of "
                                 "their attention, and renormalise each row over the rest."))
        self.slider.setToolTip(tr("Layer (0 is nearest the input)"))
        self._update_grouping()

    def _update_grouping(self) -> None:
        if self.kv_heads < self.heads:
            self.grouping.setText(tr("{heads} query heads share {kv} KV heads ({per} per group)").format(
                heads=self.heads, kv=self.kv_heads, per=self.heads // self.kv_heads))
        else:
            self.grouping.setText(tr("{heads} heads").format(heads=self.heads))
        self._update_labels()
