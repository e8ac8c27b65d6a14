"""The attention of an answer by running generation's own computation again, step by step.

A one-pass replay of prompt + answer is not the computation that answered wherever decoding
differs from a prompt pass: int8-per-token decodes with 4-bit weights (studylog.rag.int4) and
its own single-query attention, and float32 sums in another order flip int8 roundings. Measured
on 5 real answers of the 1.5B: the one-pass replay's answer rows were 0.13-0.32 away from the
recorded ones and predicted the whole answer on 1 of 5.

Here the prompt goes through the model in one call exactly as `generate`'s prefill does, then
each answer token in a decoding step of its own, with the same KV cache class, the same 4-bit
decoding path and the model's own attention function, so every layer sees the inputs that
produced the answer. Beside each call the attention weights of its query rows are computed from
the very query and key tensors (as `studylog.attention.record` does while answering): every
prompt row for the rollout and the full layers, one row per decoding step. One more step with
the answer's last token gives that token's own row, which generation never computed. Every
step's argmax is checked against the answer's next token.

Cost: about one more generation of the answer (a 1,015-token prefill and one step per answer
token); memory: the rollout's `[T, T]` float32 head mean per layer until the last step (Qwen2.5-
1.5B, 1,080 tokens: 28 x 4.7 MB), besides the answer rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

import numpy as np

from studylog.attention.analysis import rollout_step, validate_spans
from studylog.attention.capture import (
    AttentionCapture,
    _attention_modules,
    _attention_shape,
    _chunked_weights,
    _Pass,
    attention_implementation,
    build_capture,
)
from studylog.attention.fidelity import Fidelity
from studylog.attention.record import (
    _own_attention,
    last_row_weights,
    own_attention_then,
    register_wrapping,
)
from studylog.attention.tokens import Span, Tokenizer

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

PREFIX = "studylog_regenerate_"

# id(attention module) -> (layer, the model's own attention, the step's hook). By module, not a
# ContextVar: the caller's thread runs the steps, but this keeps one mechanism with record.py.
_ACTIVE: dict[int, tuple[int, Callable[..., tuple], Callable[..., None]]] = {}
_LOCK = threading.Lock()


def regenerate_attention(
    model: PreTrainedModel,
    tokenizer: Tokenizer,
    token_ids: Sequence[int],
    prompt_len: int,
    spans: Sequence[Span] = (),
    *,
    keep_layers_full: Collection[int] = (),
    rollout: bool = True,
    model_name: str | None = None,
    recorded: np.ndarray | None = None,
) -> AttentionCapture:
    """Capture the answer `token_ids[prompt_len:]` by re-running its generation (module doc).

    Kept as in `capture_attention`: answer rows float16 `[L, H, A, T]`, full float16 `[H, T, T]`
    for `keep_layers_full`, the rollout `[T, T]`. `recorded`: the rows recorded while answering;
    given, they are kept and the regenerated ones only compared with them (fidelity "recorded",
    `replay_max_abs_diff` the largest difference); without them the regenerated rows are kept
    (fidelity "replay", `answer_tokens_match` whether every step chose the answer's token).
    Raises ValueError for spans or layers that do not fit.
    """
    import torch

    from studylog.rag.int8 import decoding_in_int4
    from studylog.rag.kv_cache import GrowingCache

    ids = list(token_ids)
    num_tokens = len(ids)
    validate_spans(spans, prompt_len, num_tokens)
    if prompt_len < 1 or num_tokens <= prompt_len:
        raise ValueError("an answer needs at least one prompt token and one answer token")
    num_layers, num_heads, num_kv_heads = _attention_shape(model)
    keep = set(keep_layers_full)
    if not keep <= set(range(num_layers)):
        raise ValueError(f"keep_layers_full {sorted(keep)} outside 0..{num_layers - 1}")
    first = prompt_len - 1  # the query row that chose answer token 0
    shape = (num_layers, num_heads, num_tokens - prompt_len, num_tokens)
    if recorded is not None and recorded.shape != shape:
        raise ValueError(f"recorded rows have shape {recorded.shape}, expected {shape}")
    answer_rows = np.zeros(shape, np.float16)
    full_layers = {layer: np.zeros((num_heads, num_tokens, num_tokens), np.float16) for layer in keep}
    head_mean = (
        {layer: np.zeros((num_tokens, num_tokens), np.float32) for layer in range(num_layers)}
        if rollout else {}
    )

    def on_chunk(layer: int, offset: int, start: int, weights: torch.Tensor) -> None:
        """weights `[H, rows, keys]` of the call's query rows start.. at absolute offset + start."""
        low = offset + start
        high, keys = low + weights.shape[1], weights.shape[2]
        a_low, a_high = max(low, first), min(high, num_tokens - 1)
        if a_low < a_high:
            answer_rows[layer, :, a_low - first : a_high - first, :keys] = (
                weights[:, a_low - low : a_high - low].half().cpu().numpy()
            )
        if layer in full_layers:
            full_layers[layer][:, low:high, :keys] = weights.half().cpu().numpy()
        if rollout:
            head_mean[layer][low:high, :keys] = weights.float().mean(dim=0).cpu().numpy()

    def hook(layer: int, query: torch.Tensor, key: torch.Tensor, mask, scaling: float) -> None:
        rows = query.shape[2]
        offset = key.shape[2] - rows
        if rows > 1 and (rollout or layer in keep):  # a prompt: every row but the last
            step = _Pass(lambda _: (0, rows - 1), lambda lay, s, w: on_chunk(lay, offset, s, w),
                         lambda _: None)
            _chunked_weights(step, layer, query, key, mask, scaling, num_heads // num_kv_heads)
        # The last row (answer row 0, or a decoding step's only row) exactly as the recorder
        # computes it while answering: the same bits.
        on_chunk(layer, offset, rows - 1, last_row_weights(query, key, mask, scaling)[:, None])

    predicted: list[int] = []
    modules = _attention_modules(model)
    own = model.config.get_text_config()._attn_implementation or "sdpa"
    name = register_wrapping(PREFIX, own, _regenerate_attention_forward)
    original = _own_attention(modules[0], own)
    with _LOCK:
        if any(id(module) in _ACTIVE for module in modules):
            raise RuntimeError("this model's attention is already being regenerated")
        _ACTIVE.update({id(m): (layer, original, hook) for layer, m in enumerate(modules)})
    device = next(model.parameters()).device
    try:
        # As `generate` runs it (studylog.rag.generation): the 4-bit decoding path, the growing
        # cache, an all-ones attention mask and the last position's logits only.
        with attention_implementation(model, name), torch.inference_mode(), decoding_in_int4():
            cache = GrowingCache()
            inputs = torch.tensor([ids[:prompt_len]], device=device)
            mask = torch.ones_like(inputs)
            out = model(input_ids=inputs, attention_mask=mask, cache=cache, use_cache=True,
                        logits_to_keep=1)
            predicted.append(int(out.logits[0, -1].argmax()))
            for position in range(prompt_len, num_tokens):
                mask = torch.ones((1, position + 1), dtype=torch.long, device=device)
                out = model(input_ids=torch.tensor([[ids[position]]], device=device),
                            attention_mask=mask, cache=cache, use_cache=True, logits_to_keep=1)
                predicted.append(int(out.logits[0, -1].argmax()))
    finally:
        with _LOCK:
            for module in modules:
                _ACTIVE.pop(id(module), None)
    tokens_match = predicted[: num_tokens - prompt_len] == ids[prompt_len:]
    running = None
    for layer in sorted(head_mean):
        running = rollout_step(running, head_mean.pop(layer))
    if recorded is None:
        fidelity = Fidelity(None, tokens_match, "replay")
        kept = answer_rows
    else:
        diff = float(np.abs(answer_rows.astype(np.float32) - recorded.astype(np.float32)).max())
        fidelity = Fidelity(0.0, True, "recorded", diff, tokens_match)
        kept = recorded
    return build_capture(model, tokenizer, ids, prompt_len, kept, spans, running, full_layers,
                         fidelity, model_name)


def _regenerate_attention_forward(module: torch.nn.Module, *args: object, **kwargs: object) -> tuple:
    """The model's own attention, unchanged, and the weights of the call's rows handed on."""
    layer, original, hook = _ACTIVE[id(module)]
    return own_attention_then(
        original, module, args, kwargs, lambda q, k, mask, scale: hook(layer, q, k, mask, scale)
    )
