"""Pure-numpy views of attention: head aggregation, rollout, sink masking, source attribution.

Every function takes attention whose last axis is the keys (rows sum to 1) and computes in
float32, whatever the stored dtype (captures keep float16 to halve their size).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from studylog.attention.tokens import Span

HeadSelector = Literal["mean", "max"] | int
"""How to collapse the head axis: average, element-wise maximum, or one head by index."""

ANSWER_LABEL = "answer so far"
OTHER_LABEL = "other"


def aggregate_heads(attention: np.ndarray, heads: HeadSelector = "mean") -> np.ndarray:
    """Collapse the head axis (third from last, as in `[..., H, Q, K]`) to float32 `[..., Q, K]`.

    "mean" keeps rows stochastic; "max" shows where *any* head looked, but its rows no longer
    sum to 1 - pass it through `renormalize` before attributing shares.
    """
    if heads == "mean":
        return attention.mean(axis=-3, dtype=np.float32)
    if heads == "max":
        return attention.max(axis=-3).astype(np.float32)
    if isinstance(heads, int) and not isinstance(heads, bool):
        return np.take(attention, heads, axis=-3).astype(np.float32)
    raise ValueError(f"heads must be 'mean', 'max' or a head index, not {heads!r}")


def renormalize(attention: np.ndarray) -> np.ndarray:
    """Rescale rows to sum to 1; all-zero rows stay zero instead of becoming NaN."""
    attention = np.asarray(attention, dtype=np.float32)
    totals = attention.sum(axis=-1, keepdims=True)
    return np.divide(attention, totals, out=np.zeros_like(attention), where=totals > 0)


def sink_mask(special: Sequence[bool], *, first: bool = True, specials: bool = True) -> np.ndarray:
    """Boolean key mask of "attention sinks": the first token and/or special tokens.

    Models park most of their attention on these; hiding them makes the rest legible.
    """
    mask = np.array(special, dtype=bool) if specials else np.zeros(len(special), dtype=bool)
    if first and len(mask):
        mask[0] = True
    return mask


def mask_keys(attention: np.ndarray, masked: np.ndarray) -> np.ndarray:
    """Zero the attention to the masked keys and renormalise rows over the remaining ones."""
    masked = np.asarray(masked, dtype=bool)
    if masked.shape != attention.shape[-1:]:
        raise ValueError(f"mask has {masked.shape} entries for {attention.shape[-1]} keys")
    return renormalize(np.where(masked, np.float32(0), attention.astype(np.float32)))


def rollout_step(
    previous: np.ndarray | None, attention: np.ndarray, residual: float = 0.5
) -> np.ndarray:
    """Fold one layer's head-aggregated `[T, T]` attention into a running rollout.

    Abnar & Zuidema (2020): `A' = (1 - residual) * A + residual * I` models the residual
    stream, rows are renormalised, and the rollout is `A'_l @ rollout_{l-1}`.
    """
    mixed = (1.0 - residual) * np.asarray(attention, dtype=np.float32)
    mixed[np.diag_indices_from(mixed)] += residual
    mixed = renormalize(mixed)
    return mixed if previous is None else mixed @ previous


def attention_rollout(layers: Iterable[np.ndarray], residual: float = 0.5) -> np.ndarray:
    """Attention rollout `A'_L @ ... @ A'_1` over head-aggregated `[T, T]` layers, first layer first.

    Rollout needs every row of every layer - rows of the answer alone are not enough, because
    an answer token's path runs through prompt tokens' rows of the layers below. Pass a
    generator to hold one layer at a time; `capture_attention` folds it during its pass.
    """
    rollout: np.ndarray | None = None
    for attention in layers:
        rollout = rollout_step(rollout, attention, residual)
    if rollout is None:
        raise ValueError("rollout needs at least one layer")
    return rollout


def validate_spans(spans: Sequence[Span], prompt_len: int, num_keys: int) -> None:
    """Reject spans that overlap or leave the prompt: attribution shares would double-count."""
    if not 0 < prompt_len < num_keys:
        raise ValueError(
            f"prompt_len {prompt_len} leaves no prompt or no answer in {num_keys} keys"
        )
    ordered = sorted(spans, key=lambda span: span.start)
    for span in ordered:
        if span.end > prompt_len:
            raise ValueError(f"span {span!r} reaches past the prompt ({prompt_len} tokens)")
    for left, right in zip(ordered, ordered[1:], strict=False):
        if right.start < left.end:
            raise ValueError(f"spans {left!r} and {right!r} overlap")


@dataclass(frozen=True)
class Attribution:
    """Share of attention each answer token - and the answer as a whole - paid to each part."""

    labels: list[str]  # the caller's span labels, then ANSWER_LABEL and OTHER_LABEL
    per_token: np.ndarray  # float32 [A, len(labels)]; rows sum to 1 where attention rows do
    overall: np.ndarray  # float32 [len(labels)]: mean over answer tokens


def source_attribution(rows: np.ndarray, spans: Sequence[Span], prompt_len: int) -> Attribution:
    """Split each `[A, T]` attention row between the prompt spans, the answer so far, and the rest.

    Keys at `prompt_len` and beyond are answer tokens; prompt keys outside every span (chat
    markers, separators) count as "other", so each row's shares add up to its total.
    """
    rows = np.asarray(rows, dtype=np.float32)
    if rows.ndim != 2:
        raise ValueError(f"expected [A, T] rows, got shape {rows.shape}; aggregate heads first")
    num_keys = rows.shape[-1]
    validate_spans(spans, prompt_len, num_keys)
    category = np.full(num_keys, len(spans) + 1)  # OTHER
    for index, span in enumerate(spans):
        category[span.start : span.end] = index
    category[prompt_len:] = len(spans)  # ANSWER
    one_hot = np.eye(len(spans) + 2, dtype=np.float32)[category]
    per_token = rows @ one_hot
    return Attribution(
        labels=[span.label for span in spans] + [ANSWER_LABEL, OTHER_LABEL],
        per_token=per_token,
        overall=per_token.mean(axis=0),
    )


def span_shading(rows: np.ndarray, span: Span) -> np.ndarray:
    """Attention the answer paid to each token of `span`, averaged over the given answer rows.

    `rows` is `[A, T]` (the whole answer) or `[T]` (one hovered token). Values are raw shares,
    comparable across sources; scale by the maximum for display intensity.
    """
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float32))
    return rows[:, span.start : span.end].mean(axis=0)


def pool_keys(attention: np.ndarray, units: Sequence[Span]) -> np.ndarray:
    """Sum attention over the keys of each display unit: `[..., T]` to `[..., len(units)]`.

    Attention mass is additive over keys, so a word gets the total its byte pieces received.
    """
    attention = np.asarray(attention, dtype=np.float32)
    return np.stack([attention[..., unit.start : unit.end].sum(axis=-1) for unit in units], axis=-1)
