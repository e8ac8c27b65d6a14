"""Qt-free attention core: capture an answer's attention, analyse it, label its tokens.

Importing this package loads numpy only; torch and transformers load on the first capture.
Typical use after generating an answer::

    capture = capture_attention(model, tokenizer, prompt_ids + answer_ids, len(prompt_ids), spans)
    rows = aggregate_heads(capture.answer_rows[layer])  # [A, T]
    rows = mask_keys(rows, sink_mask(capture.special))  # optional: hide attention sinks
    shares = source_attribution(rows, capture.spans, capture.prompt_len)
"""

from studylog.attention.analysis import (
    ANSWER_LABEL,
    OTHER_LABEL,
    Attribution,
    HeadSelector,
    aggregate_heads,
    attention_rollout,
    mask_keys,
    pool_keys,
    renormalize,
    rollout_step,
    sink_mask,
    source_attribution,
    span_shading,
    validate_spans,
)
from studylog.attention.capture import AttentionCapture, capture_attention, layer_matrix
from studylog.attention.tokens import (
    Span,
    piece_units,
    spans_from_offsets,
    special_flags,
    token_labels,
    visible,
    word_units,
)

__all__ = [
    "ANSWER_LABEL",
    "OTHER_LABEL",
    "AttentionCapture",
    "Attribution",
    "HeadSelector",
    "Span",
    "aggregate_heads",
    "attention_rollout",
    "capture_attention",
    "layer_matrix",
    "mask_keys",
    "piece_units",
    "pool_keys",
    "renormalize",
    "rollout_step",
    "sink_mask",
    "source_attribution",
    "span_shading",
    "spans_from_offsets",
    "special_flags",
    "token_labels",
    "validate_spans",
    "visible",
    "word_units",
]
