"""Record each answer token's attention rows while `generate` writes the answer.

Why record instead of replaying: a replay of prompt+answer in one pass is not the computation
that answered wherever a kernel couples the tokens of one call (fbgemm's fp16-weights Linear on
AVX2-only CPUs, int8-dynamic everywhere), so its rows can differ from generation's. Recording
reads the very query and key tensors of each decoding step, so the rows shown *are* the ones
the answer came from. It is also cheap: one `[H, T]` row per layer and step beside a step that
reads all 1.5 B weights. Measured on the 2-core CPU (Qwen2.5-1.5B, fp16-weights, 1,024 prompt +
256 answer tokens, other jobs running): the recording's own work is 22-27 ms per token (28
layers at ~1,200 keys), against 250-700 ms per decoding step; `studylog bench attention`,
warmed up, generated in 137 s plain and 159 s recording (+15 %, on a machine at load 7), and
the answer was the same. The one-pass replay of the same answer took 105 s and gives rows that
are not the answer's own wherever a kernel couples tokens. The replay is still run for the
views that need every prompt row (the rollout), and is checked against the recorded rows.

How: for the duration of `recording()` the model's configs name an attention implementation
registered here. It calls the model's own implementation (SDPA or eager) with the arguments it
was given, so the answer is bit for bit what it would have been, and beside it computes the
softmax of the call's query rows that chose answer tokens: for the prefill its last row (the
last prompt token's, which chose answer token 0); for a decoding step every row, the last
token's and its drafts' (studylog.rag.decoding). A row at position `prompt_len - 1 + a` goes to
slot `a`, so a rejected draft's slot is overwritten by the step that computes it again.

Memory is bounded by the answer: float16 `[L, H, max_new_tokens, prompt_len + max_new_tokens]`
allocated once (Qwen2.5-1.5B, 1,024 + 256 tokens: 28*12*256*1280*2 B = 220 MB, the same as the
replay's kept rows), pages touched only as rows arrive.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from studylog.attention.capture import (
    _attention_modules,
    _attention_shape,
    attention_implementation,
)

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

RECORD_PREFIX = "studylog_record_"
"""Prefix of the registered implementation: `studylog_record_sdpa` wraps "sdpa", and so on."""

# id(attention module) -> (recorder, layer, the model's own attention function). Looked up by
# module, not through a ContextVar, because `generate` runs in a worker thread of its own.
_RECORDING: dict[int, tuple[AnswerRecorder, int, Callable[..., tuple]]] = {}
_RECORDING_LOCK = threading.Lock()


class AnswerRecorder:
    """Collects, during one `generate` call, the attention row of every answer token.

    `rows(answer_len)` is float16 `[L, H, A, prompt_len + A]`, aligned like
    `AttentionCapture.answer_rows`: row `a` is the query (at position `prompt_len - 1 + a`)
    whose output chose answer token `a`.
    """

    def __init__(self, model: PreTrainedModel, prompt_len: int, max_new_tokens: int) -> None:
        self.model = model
        self.prompt_len = prompt_len
        num_layers, num_heads, _ = _attention_shape(model)
        self._rows = np.zeros(
            (num_layers, num_heads, max_new_tokens, prompt_len + max_new_tokens), np.float16
        )
        self._filled = [0] * num_layers  # per layer: slots 0.. written (a row's slot: its token)

    @property
    def recorded_tokens(self) -> int:
        """Answer tokens whose rows were recorded in every layer."""
        return min(self._filled)

    @contextmanager
    def recording(self) -> Iterator[None]:
        """Record while the block runs `generate`; the model's settings are restored afterwards."""
        modules = _attention_modules(self.model)
        own = self.model.config.get_text_config()._attn_implementation or "sdpa"
        name = _register(own)
        original = _own_attention(modules[0], own)
        with _RECORDING_LOCK:
            busy = [module for module in modules if id(module) in _RECORDING]
            if busy:
                raise RuntimeError("this model is already being recorded")
            _RECORDING.update(
                {id(module): (self, layer, original) for layer, module in enumerate(modules)}
            )
        try:
            with attention_implementation(self.model, name):
                yield
        finally:
            with _RECORDING_LOCK:
                for module in modules:
                    _RECORDING.pop(id(module), None)

    def rows(self, answer_len: int) -> np.ndarray:
        """The recorded rows of the first `answer_len` answer tokens: `[L, H, A, prompt_len + A]`."""
        if answer_len > self.recorded_tokens:
            raise ValueError(
                f"{answer_len} answer tokens asked for, {self.recorded_tokens} were recorded"
            )
        return np.ascontiguousarray(self._rows[:, :, :answer_len, : self.prompt_len + answer_len])

    def _take(
        self,
        layer: int,
        query: torch.Tensor,
        key: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float,
    ) -> None:
        """Softmax of the call's answer-producing query rows, all heads (batch item 0), into the
        buffer. query `[B, H, Tq, D]`, key `[B, Hkv, Tk, D]` exactly as the layer got them.

        A row's slot follows from its position (the call's rows are the last Tq of the keys):
        the prefill fills slot 0 with its last row; a decoding step with drafts fills one slot
        per row, and a rejected draft's slot is written again by the step that redoes it.
        """
        import torch

        rows, key_len = query.shape[2], key.shape[2]
        first_slot = key_len - rows - (self.prompt_len - 1)  # slot of the call's first row
        first_row = max(0, -first_slot)
        if first_row >= rows:
            return
        weights = row_weights(query, key, attention_mask, scaling, first_row)  # [H, R, Tk]
        low = first_slot + first_row
        high = min(first_slot + rows, self._rows.shape[2])
        self._filled[layer] = max(self._filled[layer], first_slot + rows)
        if low >= high:
            return
        width = min(key_len, self._rows.shape[3])
        torch.from_numpy(self._rows[layer, :, low:high, :width]).copy_(
            weights[:, : high - low, :width]
        )


def row_weights(
    query: torch.Tensor,
    key: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    first_row: int = -1,
) -> torch.Tensor:
    """Softmax of the call's query rows `first_row`.. (default: the last) over every key, all
    heads (batch item 0): float32 `[H, R, Tk]`. query `[B, H, Tq, D]`, key `[B, Hkv, Tk, D]`
    exactly as the layer got them; the rows are the last Tq positions of the keys, causal among
    themselves when no mask is given. A regeneration (studylog.attention.regenerate) calls this
    with the same calls and rows, so its rows are these bits."""
    import torch

    num_heads, num_rows, head_dim = query.shape[1], query.shape[2], query.shape[3]
    num_kv_heads, key_len = key.shape[1], key.shape[2]
    first_row = first_row % num_rows
    rows = num_rows - first_row
    groups = num_heads // num_kv_heads
    chosen = query[0, :, first_row:].reshape(num_kv_heads, groups * rows, head_dim).float()
    # keys [Hkv, Tk, D] @ rows^T [Hkv, D, G*R] reads the cache in its own layout: 0.45 ms
    # per layer at 1,200 keys on 2 cores, where rows @ keys^T (a transposed operand for
    # a 6-row product) took 14 ms, which would have doubled the decoding time.
    scores = torch.matmul(key[0].float(), chosen.transpose(-1, -2))  # [Hkv, Tk, G*R]
    scores = scores.transpose(-1, -2).reshape(num_heads, rows, key_len)
    scores.mul_(scaling)
    if attention_mask is not None:
        mask = attention_mask[0, :, first_row:, :key_len]  # [1 or H, R, Tk]
        if mask.dtype == torch.bool:
            scores.masked_fill_(~mask, torch.finfo(scores.dtype).min)
        else:
            scores.add_(mask.float())
    elif rows > 1:
        position = torch.arange(key_len - rows, key_len, device=scores.device)[:, None]
        future = torch.arange(key_len, device=scores.device)[None, :] > position  # [R, Tk]
        scores.masked_fill_(future, torch.finfo(scores.dtype).min)
    return torch.softmax(scores, dim=-1)


def _register(own: str) -> str:
    """Register `studylog_record_<own>` (and its mask: the one `own` uses) once; return the name."""
    return register_wrapping(RECORD_PREFIX, own, _record_attention_forward)


def register_wrapping(prefix: str, own: str, forward: Callable[..., tuple]) -> str:
    """Register `forward` as attention implementation `prefix + own`, with the mask function
    `own` uses, once; return the name."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS

    name = prefix + own
    if name not in AttentionInterface._global_mapping:
        AttentionInterface.register(name, forward)
    if name not in ALL_MASK_ATTENTION_FUNCTIONS._global_mapping:
        ALL_MASK_ATTENTION_FUNCTIONS.register(name, ALL_MASK_ATTENTION_FUNCTIONS[own])
    return name


def own_attention_then(
    original: Callable[..., tuple],
    module: torch.nn.Module,
    args: tuple,
    kwargs: dict,
    then: Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None, float], None],
) -> tuple[torch.Tensor, None]:
    """Run the model's own attention `original(module, query, key, value, mask, ...)` unchanged,
    then `then(query, key, mask, scaling)` on the very tensors it got; its output is returned."""
    query, key, value, attention_mask, *rest = args
    output, _ = original(module, query, key, value, attention_mask, *rest, **kwargs)
    scaling = kwargs.get("scaling")
    if not isinstance(scaling, float):
        scaling = query.shape[-1] ** -0.5
    then(query, key, attention_mask, scaling)
    return output, None


def _own_attention(module: torch.nn.Module, own: str) -> Callable[..., tuple]:
    """The function the model itself would call: a registered one, or its module's eager."""
    from transformers import AttentionInterface

    if own in AttentionInterface._global_mapping:
        return AttentionInterface._global_mapping[own]
    eager = getattr(sys.modules[type(module).__module__], "eager_attention_forward", None)
    if eager is None:
        raise ValueError(f"cannot record attention of implementation {own!r}")
    return eager


def _record_attention_forward(module: torch.nn.Module, *args: object, **kwargs: object) -> tuple:
    """The model's own attention, unchanged, plus the weights of the last query row recorded."""
    recorder, layer, original = _RECORDING[id(module)]
    return own_attention_then(
        original, module, args, kwargs,
        lambda query, key, mask, scaling: recorder._take(layer, query, key, mask, scaling),
    )


class RecordedAnswers:
    """The recorded rows of the last few answers, looked up by their exact token ids.

    Kept in the process that owns the model (the core process) rather than on the `Answer`,
    which is pickled to the GUI: 220 MB per answer must not cross a pipe nor pile up in the
    chat history. `capacity` bounds the memory: the panel almost always opens on the latest answer; an older
    one falls back to a replay whose tokens are checked (`Fidelity.method == "replay"`).
    """

    def __init__(self, capacity: int = 1) -> None:
        self.capacity = capacity
        self._rows: OrderedDict[tuple[int, ...], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, token_ids: Sequence[int], rows: np.ndarray) -> None:
        with self._lock:
            self._rows[tuple(token_ids)] = rows
            self._rows.move_to_end(tuple(token_ids))
            while len(self._rows) > self.capacity:
                self._rows.popitem(last=False)

    def get(self, token_ids: Sequence[int]) -> np.ndarray | None:
        with self._lock:
            return self._rows.get(tuple(token_ids))


RECORDED = RecordedAnswers()
"""This process's recorded answers: the chain puts, `attention_export.capture_answer` gets."""
