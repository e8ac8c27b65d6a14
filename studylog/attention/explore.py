"""Attention of a model over any text (explore mode and `studylog attention TEXT`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studylog.attention.analysis import aggregate_heads, renormalize
from studylog.attention.capture import capture_attention, layer_matrix
from studylog.attention.tokens import piece_units, token_labels

MAX_EXPLORE_TOKENS = 1024


@dataclass
class TextAttention:
    model: str
    tokens: list[str]  # one readable label per token (Hangul byte pieces merged)
    layers: int
    heads: int
    kv_heads: int
    layer: int | None  # None for rollout
    head: str  # "mean", "max", "rollout" or a head index as text
    matrix: np.ndarray  # float32 [T, T]: rows are queries, each sums to 1, causal

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "tokens": self.tokens,
            "layers": self.layers,
            "heads": self.heads,
            "kv_heads": self.kv_heads,
            "layer": self.layer,
            "head": self.head,
            "matrix": np.round(self.matrix, 6).tolist(),
        }


def parse_head(value: str) -> str | int:
    if value in ("mean", "max", "rollout"):
        return value
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"--head must be a head number, mean, max or rollout (not {value!r})") from exc


def text_attention(model, tokenizer, text: str, layer: int | None = None, head: str | int = "mean",
                   model_name: str = "") -> TextAttention:
    """One layer's attention (a head, or the mean/max over heads) or the rollout over all layers."""
    # Typed text is plain text: a pasted `<|im_start|>` stays characters, as it does in `ask`
    # (rag.prompts.encode_plain), so explore shows what the model sees for a note.
    ids = tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
    if len(ids) < 2:
        raise ValueError("give at least two tokens of text")
    if len(ids) > MAX_EXPLORE_TOKENS:
        raise ValueError(f"the text is {len(ids)} tokens; explore at most {MAX_EXPLORE_TOKENS}")
    config = model.config.get_text_config()
    layers, heads = config.num_hidden_layers, config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    labels = token_labels(piece_units(tokenizer, ids))
    if head == "rollout":
        capture = capture_attention(
            model, tokenizer, ids, 1, rollout=True, model_name=model_name, check_tokens=False
        )
        matrix, chosen_layer = capture.rollout.astype(np.float32), None
    else:
        chosen_layer = layers - 1 if layer is None else (layer if layer >= 0 else layers + layer)
        if not 0 <= chosen_layer < layers:
            raise ValueError(f"--layer must be between 0 and {layers - 1}")
        if isinstance(head, int) and not 0 <= head < heads:
            raise ValueError(f"--head must be between 0 and {heads - 1}")
        matrix = aggregate_heads(layer_matrix(model, ids, chosen_layer), head)
        if head == "max":
            matrix = renormalize(matrix)
    return TextAttention(model_name, labels, layers, heads, kv_heads, chosen_layer, str(head), matrix)
