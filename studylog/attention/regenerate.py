"""The attention of an answer by running generation's own computation again, step by step.

A one-pass replay of prompt + answer is not the computation that answered wherever decoding
differs from a prompt pass: int8-per-token decodes with 4-bit weights (studylog.rag.int4) and
its own single-query attention, and float32 sums in another order flip int8 roundings. Measured
on 5 real answers of the 1.5B: the one-pass replay's answer rows were 0.13-0.32 away from the
recorded ones and predicted the whole answer on 1 of 5.

Here the answer is decoded again by generation's own loop (studylog.rag.decoding), forced to
the answer's tokens: the prompt in one call, then the same decoding steps with the same drafts,
the same KV cache class, the same 4-bit decoding path and the model's own attention function, so
every layer sees the inputs that produced the answer. Beside each call the attention weights of
its query rows are computed from the very query and key tensors (as `studylog.attention.record`
does while answering): every prompt row for the rollout and the full layers, every row of a
decoding step (a rejected draft's row is overwritten when its position is computed again). One
more step with the answer's last token gives that token's own row, which generation never
computed. Every step's greedy choice is checked against the answer.

Cost: about one more generation of the answer (a 1,015-token prefill and its decoding steps);
memory: the rollout's `[T, T]` float32 head mean per layer until the last step (Qwen2.5-1.5B,
1,080 tokens: 28 x 4.7 MB), besides the answer rows.
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
    own_attention_then,
    register_wrapping,
    row_weights,
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

    from studylog.rag.decoding import greedy_decode
    from studylog.rag.generation import stop_ids_of
    from studylog.rag.int8 import decoding_in_int4

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
        """weights `[H, rows, keys]` of the call's query rows start.. at absolute offset + start.
        Rows and keys past the answer (drafts of the last step) are left out: a row within it
        gives them exactly zero weight."""
        low = offset + start
        high = min(low + weights.shape[1], num_tokens)
        keys = min(weights.shape[2], num_tokens)
        if low >= high:
            return
        weights = weights[:, : high - low, :keys]
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
        prompt = offset == 0  # the prefill; decoding steps come after it
        if prompt and rows > 1 and (rollout or layer in keep):  # every prompt row but the last
            step = _Pass(lambda _: (0, rows - 1), lambda lay, s, w: on_chunk(lay, offset, s, w),
                         lambda _: None)
            _chunked_weights(step, layer, query, key, mask, scaling, num_heads // num_kv_heads)
        # The rows that chose answer tokens (the prefill's last, every row of a decoding step)
        # exactly as the recorder computes them while answering: the same bits.
        first_row = rows - 1 if prompt else 0
        on_chunk(layer, offset, first_row, row_weights(query, key, mask, scaling, first_row))

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
        # Generation's own loop (studylog.rag.decoding), forced to the answer, with the end-of-
        # turn ids generation had (drafts stop short of them): the same calls with the same
        # rows. Then the last answer token once more, for its own row.
        with attention_implementation(model, name):
            answer = ids[prompt_len:]
            decoded = greedy_decode(model, ids[:prompt_len], len(answer), forced=answer,
                                    stop_ids=stop_ids_of(model, tokenizer))
            with torch.inference_mode(), decoding_in_int4():
                mask = torch.ones((1, num_tokens), dtype=torch.long, device=device)
                model(input_ids=torch.tensor([ids[-1:]], device=device), attention_mask=mask,
                      cache=decoded.cache, use_cache=True, logits_to_keep=1)
    finally:
        with _LOCK:
            for module in modules:
                _ACTIVE.pop(id(module), None)
    tokens_match = decoded.matches_forced and decoded.token_ids == answer
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
