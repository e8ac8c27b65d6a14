"""What the attention views draw, computed from a capture with vectorised numpy (no Qt).

- `Axis`: the display units along one side of a heatmap (tokens, pieces or words) as token
  ranges; attention is pooled onto them (keys summed, query rows averaged).
- `AnswerAttention`: one answer's capture; heatmap rows are the answer tokens (the query that
  wrote each one), columns every prompt and answer token.
- `ExploreAttention`: a full `[T, T]` matrix from explore mode.
- `GridSummary`: every layer × head pooled once into small thumbnails for the grid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from studylog.attention import (
    ANSWER_LABEL,
    Attribution,
    Span,
    mask_keys,
    renormalize,
    sink_mask,
    source_attribution,
    visible,
    word_units,
)

GRANULARITIES = ("token", "piece", "word")
HeadChoice = str | int  # "mean", "max", "rollout" or a head index
GRID_ROWS = 24  # thumbnail height in cells (answer rows are averaged into this many)
GRID_COLS = 64  # thumbnail width in cells (keys are summed into this many)
_SPLIT_LABEL = re.compile(r"^(.*)\[(\d+)/(\d+)\]$", re.DOTALL)
_SPECIAL_LABEL = re.compile(r"^<\|[^|]*\|>$|^<[a-z_/]+>$|^</?s>$")


def axis_label(text: str) -> str:
    """An axis label on one line: spaces trimmed, a lone space shown as ␣."""
    stripped = visible(text).strip(" ")
    return stripped or ("␣" if text else "∅")


@dataclass(frozen=True)
class Axis:
    """Display units along one heatmap side, as half-open token ranges covering `[first, last)`."""

    labels: list[str]
    starts: np.ndarray  # int64 token index of each unit's first token
    ends: np.ndarray  # int64, exclusive

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def identity(self) -> bool:
        """One unit per token: pooling is a no-op."""
        return bool(np.all(self.ends - self.starts == 1))

    def unit_of(self, token: int) -> int:
        return int(np.searchsorted(self.ends, token, side="right"))


def make_axis(units: Sequence[Span], first: int = 0, last: int | None = None) -> Axis:
    """The units overlapping `[first, last)`, clipped to it (pieces cover every token in order)."""
    last = units[-1].end if last is None else last
    kept = [(unit.label, max(unit.start, first), min(unit.end, last)) for unit in units
            if unit.end > first and unit.start < last]
    return Axis([axis_label(label) for label, _, _ in kept],
                np.array([start for _, start, _ in kept], dtype=np.int64),
                np.array([end for _, _, end in kept], dtype=np.int64))


def units_for(granularity: str, tokens: Sequence[str], pieces: Sequence[Span], special: Sequence[bool]) -> list[Span]:
    if granularity == "token":
        return [Span(label, index, index + 1) for index, label in enumerate(tokens)]
    if granularity == "piece":
        return list(pieces)
    if granularity == "word":
        return word_units(pieces, special)
    raise ValueError(f"unknown granularity {granularity!r}")


def pool(matrix: np.ndarray, rows: Axis, cols: Axis, row_offset: int = 0) -> np.ndarray:
    """Sum attention over each column unit's keys, average it over each row unit's queries."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if not cols.identity:
        matrix = np.add.reduceat(matrix, cols.starts - (cols.starts[0] if len(cols) else 0), axis=-1)
    if not rows.identity:
        counts = (rows.ends - rows.starts).astype(np.float32)
        matrix = np.add.reduceat(matrix, rows.starts - row_offset, axis=-2) / counts[:, None]
    return matrix


@dataclass
class HeatmapData:
    """One heatmap: a float32 matrix (rows = queries, columns = keys) and its axes."""

    matrix: np.ndarray  # float32 [R, C]
    invalid: np.ndarray  # bool [R, C]: keys after the query (causally never attended)
    rows: Axis
    cols: Axis
    col_regions: list[str]  # per column unit: the prompt part it lies in ("" when none)
    answer_rows: bool  # rows are answer tokens (each row is the query that wrote that token)
    hidden: np.ndarray | None = None  # bool [C]: columns left out as attention sinks
    _display: np.ndarray | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape  # type: ignore[return-value]

    @property
    def vmax(self) -> float:
        return float(self.matrix.max()) if self.matrix.size else 1.0

    def display(self) -> np.ndarray:
        """The matrix with impossible cells set to -1 (drawn transparent)."""
        if self._display is None:
            blank = self.invalid if self.hidden is None else self.invalid | self.hidden[None, :]
            self._display = np.where(blank, np.float32(-1.0), self.matrix)
        return self._display


def _invalid(rows: Axis, cols: Axis, last_query: np.ndarray) -> np.ndarray:
    return cols.starts[None, :] > last_query[:, None]


def _hidden(cols: Axis, sinks: np.ndarray) -> np.ndarray:
    """Columns whose every token is a masked sink."""
    counts = np.add.reduceat(sinks[cols.starts[0]:].astype(np.int64), cols.starts - cols.starts[0])
    return counts == cols.ends - cols.starts


class AnswerAttention:
    """An `AttentionCapture` seen through the panel's choices (layer, head, sinks, units)."""

    def __init__(self, capture) -> None:
        self.capture = capture
        self.num_tokens = len(capture.token_ids)
        self.prompt_len = capture.prompt_len
        self.sinks = sink_mask(capture.special)
        # Per-layer head mean and max from the grid's pass: a layer switch then reads one
        # [A, T] array instead of reducing all heads (set by the panel once it is ready).
        self.aggregates: GridSummary | None = None
        self._axes: dict[str, tuple[Axis, Axis]] = {}
        self._units: dict[str, list[Span]] = {}
        self._regions: dict[str, list[str]] = {}

    @property
    def num_layers(self) -> int:
        return self.capture.num_layers

    @property
    def num_heads(self) -> int:
        return self.capture.num_heads

    @property
    def has_rollout(self) -> bool:
        return self.capture.rollout is not None

    def rows(self, layer: int, head: HeadChoice, sinks: bool = False) -> np.ndarray:
        """float32 [A, T]: the answer's attention rows for a head, an aggregate or the rollout."""
        if head == "rollout":
            rollout = self.capture.answer_rollout
            if rollout is None:
                raise ValueError("this capture has no rollout")
            rows = np.asarray(rollout, dtype=np.float32)
        elif head in ("mean", "max") and self.aggregates is not None:
            table = self.aggregates.head_mean if head == "mean" else self.aggregates.head_max
            rows = table[layer].astype(np.float32)
            if head == "max":
                rows = renormalize(rows)
        elif head == "mean":
            layer_rows = self.capture.answer_rows[layer]
            rows = np.add.reduce(layer_rows, axis=0, dtype=np.float32) / np.float32(len(layer_rows))
        elif head == "max":
            layer_rows = self.capture.answer_rows[layer]
            rows = layer_rows[0].astype(np.float32)
            for head_rows in layer_rows[1:]:  # head by head: 3x faster than a float16 max
                np.maximum(rows, head_rows, out=rows)
            rows = renormalize(rows)
        else:
            rows = self.capture.answer_rows[layer, int(head)].astype(np.float32)
        return mask_keys(rows, self.sinks) if sinks else rows

    def units(self, granularity: str) -> list[Span]:
        if granularity not in self._units:
            capture = self.capture
            self._units[granularity] = units_for(granularity, capture.tokens, capture.pieces, capture.special)
        return self._units[granularity]

    def axes(self, granularity: str) -> tuple[Axis, Axis]:
        """(answer-token rows, all-token columns) for a granularity."""
        if granularity not in self._axes:
            units = self.units(granularity)
            self._axes[granularity] = (make_axis(units, self.prompt_len, self.num_tokens),
                                       make_axis(units, 0, self.num_tokens))
        return self._axes[granularity]

    def region_of_token(self) -> list[str]:
        labels = [""] * self.num_tokens
        for span in self.capture.spans:
            labels[span.start:span.end] = [span.label] * len(span)
        labels[self.prompt_len:] = [ANSWER_LABEL] * (self.num_tokens - self.prompt_len)
        return labels

    def regions(self, granularity: str) -> list[str]:
        if granularity not in self._regions:
            by_token = self.region_of_token()
            self._regions[granularity] = [by_token[int(start)] for start in self.axes(granularity)[1].starts]
        return self._regions[granularity]

    def heatmap(self, layer: int, head: HeadChoice, sinks: bool, granularity: str = "piece") -> HeatmapData:
        rows_axis, cols_axis = self.axes(granularity)
        matrix = pool(self.rows(layer, head, sinks), rows_axis, cols_axis, row_offset=self.prompt_len)
        # Answer token t was written by the query at t - 1, which sees keys up to t - 1.
        invalid = _invalid(rows_axis, cols_axis, rows_axis.ends - 2)
        return HeatmapData(np.where(invalid, np.float32(0), matrix), invalid, rows_axis, cols_axis,
                           self.regions(granularity), answer_rows=True,
                           hidden=_hidden(cols_axis, self.sinks) if sinks else None)

    def attribution(self, layer: int, head: HeadChoice, sinks: bool) -> Attribution:
        return source_attribution(self.rows(layer, head, sinks), self.capture.spans, self.prompt_len)

    def shading(self, rows: np.ndarray, span: Span, granularity: str = "piece") -> tuple[list[Span], np.ndarray]:
        """The units of `span` and the attention each received from `rows` ([A, T] or [T])."""
        rows = np.atleast_2d(np.asarray(rows, dtype=np.float32)).mean(axis=0)
        units = [unit for unit in self.units(granularity) if unit.start < span.end and unit.end > span.start]
        starts = np.array([max(unit.start, span.start) for unit in units], dtype=np.int64)
        values = np.add.reduceat(rows[span.start:span.end], starts - span.start)
        return units, values


@dataclass
class GridSummary:
    """Every layer × head pooled to small thumbnails, with what is needed to hide sinks later.

    `per_row` keeps each answer row's keys summed into `GRID_COLS` blocks; hiding sinks then
    subtracts the sink keys' weights and renormalises each row exactly, without another pass
    over the full `[L, H, A, T]` rows.
    """

    per_row: np.ndarray  # float32 [L, H, A, cols]
    sink_values: np.ndarray  # float32 [L, H, A, k]: weights on the k sink keys
    sink_blocks: np.ndarray  # int64 [k]: the column block of each sink key
    row_starts: np.ndarray  # int64: first answer row of each thumbnail row
    col_starts: np.ndarray  # int64: first key of each thumbnail column
    head_mean: np.ndarray | None = None  # float16 [L, A, T]: mean over heads, per layer
    head_max: np.ndarray | None = None  # float16 [L, A, T]: max over heads, per layer
    _cache: dict[bool, np.ndarray] = field(default_factory=dict, repr=False)

    def thumbnails(self, sinks: bool) -> np.ndarray:
        """float32 [L, H + 1, rows, cols]: every head, then the mean over heads, per layer."""
        if sinks not in self._cache:
            per_row = self.per_row
            if sinks and self.sink_values.shape[-1]:
                per_row = per_row.copy()
                for index, block in enumerate(self.sink_blocks):
                    per_row[..., block] -= self.sink_values[..., index]
                np.maximum(per_row, 0, out=per_row)
                totals = per_row.sum(axis=-1, keepdims=True)
                per_row = np.divide(per_row, totals, out=np.zeros_like(per_row), where=totals > 0)
            counts = np.diff(np.append(self.row_starts, per_row.shape[2])).astype(np.float32)
            pooled = np.add.reduceat(per_row, self.row_starts, axis=2) / counts[:, None]
            self._cache[sinks] = np.concatenate([pooled, pooled.mean(axis=1, keepdims=True)], axis=1)
        return self._cache[sinks]


def grid_summary(capture, rows: int = GRID_ROWS, cols: int = GRID_COLS) -> GridSummary:
    """Pool every layer and head once: one float32 layer at a time, keys summed by a matmul."""
    num_layers, num_heads, answer_len, num_tokens = capture.answer_rows.shape
    rows, cols = min(rows, answer_len), min(cols, num_tokens)
    row_starts = np.linspace(0, answer_len, rows + 1).astype(np.int64)[:-1]
    col_edges = np.linspace(0, num_tokens, cols + 1).astype(np.int64)
    block_of_key = np.searchsorted(col_edges, np.arange(num_tokens), side="right") - 1
    pooling = np.zeros((num_tokens, cols), dtype=np.float32)
    pooling[np.arange(num_tokens), block_of_key] = 1.0
    sink_keys = np.flatnonzero(sink_mask(capture.special))
    per_row = np.empty((num_layers, num_heads, answer_len, cols), dtype=np.float32)
    head_mean = np.empty((num_layers, answer_len, num_tokens), dtype=np.float16)
    head_max = np.empty_like(head_mean)
    for layer in range(num_layers):
        weights = capture.answer_rows[layer].astype(np.float32)
        per_row[layer] = (weights.reshape(num_heads * answer_len, num_tokens) @ pooling).reshape(
            num_heads, answer_len, cols)
        head_mean[layer] = weights.mean(axis=0)
        head_max[layer] = weights.max(axis=0)
    sink_values = capture.answer_rows[..., sink_keys].astype(np.float32)
    return GridSummary(per_row, sink_values, block_of_key[sink_keys], row_starts, col_edges[:-1], head_mean,
                       head_max)


def pieces_from_labels(labels: Sequence[str]) -> tuple[list[Span], list[bool]]:
    """Rebuild pieces and special flags from `token_labels` output ("한[1/2]", "한"); an
    export of an older release ends a split piece with "한[2/2]", which is read the same way."""
    pieces: list[Span] = []
    index = 0
    while index < len(labels):
        match = _SPLIT_LABEL.match(labels[index])
        if match and match.group(2) == "1":
            base, count = match.group(1), int(match.group(3))
            marked = [f"{base}[{k}/{count}]" for k in range(1, count)]
            run = list(labels[index:index + count])
            if run[:-1] == marked and run[-1:] in ([base], [f"{base}[{count}/{count}]"]):
                pieces.append(Span(base, index, index + count))
                index += count
                continue
        pieces.append(Span(labels[index], index, index + 1))
        index += 1
    special = [bool(_SPECIAL_LABEL.match(label)) for label in labels]
    return pieces, special


class ExploreAttention:
    """A `TextAttention` (full `[T, T]` matrix over any text) seen through the display choices."""

    def __init__(self, result) -> None:
        self.result = result
        self.tokens = list(result.tokens)
        self.pieces, self.special = pieces_from_labels(self.tokens)
        self.sinks = sink_mask(self.special)
        self._axes: dict[str, Axis] = {}

    def axis(self, granularity: str) -> Axis:
        if granularity not in self._axes:
            self._axes[granularity] = make_axis(units_for(granularity, self.tokens, self.pieces, self.special))
        return self._axes[granularity]

    def heatmap(self, sinks: bool, granularity: str = "piece") -> HeatmapData:
        matrix = np.asarray(self.result.matrix, dtype=np.float32)
        if sinks:
            matrix = mask_keys(matrix, self.sinks)
        axis = self.axis(granularity)
        pooled = pool(matrix, axis, axis)
        invalid = _invalid(axis, axis, axis.ends - 1)
        return HeatmapData(np.where(invalid, np.float32(0), pooled), invalid, axis, axis,
                           [""] * len(axis), answer_rows=False, hidden=_hidden(axis, self.sinks) if sinks else None)
