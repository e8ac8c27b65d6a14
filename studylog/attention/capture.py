"""Replay prompt+answer in one extra forward pass and keep its attention.

The answer's own rows are best recorded while generating (`studylog.attention.record`): a
replay is the computation that answered only where every kernel treats tokens independently.
The replay remains the source of the prompt × prompt views (rollout, full layers), and is
checked against generation: its answer rows against the recorded ones, and its argmax at every
answer position against the answer's tokens (see `Fidelity`).

Generation runs with fast fused attention, which never materialises attention weights, so
after an answer is done we replay the exact prompt+answer ids once with a custom attention
function registered in transformers' `AttentionInterface`. Each layer's output still comes from
`scaled_dot_product_attention` (memory-efficient, same result as eager within float tolerance);
the weights are recomputed beside it in query-row chunks of `CHUNK_ROWS` rows, only for the rows
that are kept: the answer's rows, every row for layers kept in full, every row's head mean for the
rollout. No `[H, T, T]` tensor ever exists (except a requested full layer's float16 buffer), and
the function returns no weights, so nothing upstream holds them. For Qwen2.5-0.5B with a
1,024-token prompt and 256-token answer the kept rows are 24*14*256*1280*2 B = 220 MB; on top come
a few `[H, CHUNK_ROWS, T]` chunks (about 8 MB each) and one `[T, T]` float32 head mean. The pass
also skips the LM head, whose `[T, vocab]` logits would cost 0.8 GB.

Row alignment: answer token `a` (`token_ids[prompt_len + a]`) was produced by the forward
step at position `prompt_len - 1 + a`, so that is the query row stored for it. Row 0 belongs to
the last prompt token, and the last answer token's own row (which would predict what comes
after the answer) is not kept.

torch is imported on first use only, so loading a saved capture stays numpy-only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from studylog.attention.analysis import rollout_step, validate_spans
from studylog.attention.fidelity import Fidelity
from studylog.attention.tokens import Span, Tokenizer, piece_units, special_flags, token_labels

if TYPE_CHECKING:
    import torch
    from transformers import PretrainedConfig, PreTrainedModel

FORMAT_VERSION = 2
"""2 added `fidelity`; version 1 files still load, with `fidelity` None (not measured)."""

LOGIT_CHUNK_ROWS = 64
"""Answer positions pushed through the LM head at once when checking the replay's argmax
(Qwen2.5's 151,936-word vocabulary: 39 MB of float32 logits per chunk)."""

CHUNK_ROWS = 128
"""Query rows whose weights are computed at once: `[H, CHUNK_ROWS, T]` is the largest weight tensor."""

MLP_CHUNK_ROWS = 128
"""Sequence rows pushed through each layer's MLP at once during a capture pass. The MLP works
position by position, so this changes only the size of its `[rows, intermediate]` temporaries
(Qwen2.5-1.5B at 1,280 tokens: three of 46 MB each become three of 4.6 MB)."""

ATTENTION_IMPLEMENTATION = "studylog_capture"
"""Name under which the capture's attention function is registered with transformers."""

ChunkCallback = Callable[[int, int, "torch.Tensor"], None]
"""Receives a layer, the first query row of a chunk and its `[H, rows, T]` weights (valid during the call)."""


@dataclass(eq=False)
class AttentionCapture:
    """Attention of one answer: plain data that pickles and round-trips through `save`/`load`."""

    model_name: str
    token_ids: list[int]
    tokens: list[str]  # one display label per token, see `tokens.token_labels`
    prompt_len: int  # the answer is token_ids[prompt_len:]
    num_layers: int
    num_heads: int
    num_kv_heads: int
    answer_rows: np.ndarray  # float16 [L, H, A, T]: row a is the query that produced answer token a
    spans: list[Span]  # the caller's labelled prompt parts (instructions, question, sources)
    pieces: list[Span]  # display units: tokens merged into clean text, see `tokens.piece_units`
    special: list[bool]  # per token: a special token (candidate attention sink)
    rollout: np.ndarray | None = None  # float32 [T, T]: head-mean attention rollout
    # float16 [H, T, T] for each layer asked for in `keep_layers_full`
    full_layers: dict[int, np.ndarray] = field(default_factory=dict)
    fidelity: Fidelity | None = None  # None: saved before fidelity was measured

    @property
    def answer_len(self) -> int:
        return len(self.token_ids) - self.prompt_len

    @property
    def query_start(self) -> int:
        """Position of the query row stored as `answer_rows[..., 0, :]`."""
        return self.prompt_len - 1

    @property
    def answer_rollout(self) -> np.ndarray | None:
        """Rollout rows aligned like `answer_rows`: `[A, T]`, or None if not captured."""
        if self.rollout is None:
            return None
        return self.rollout[self.query_start : len(self.token_ids) - 1]

    def kv_group(self, head: int) -> int:
        """The key/value head that query `head` shares under grouped-query attention."""
        if not 0 <= head < self.num_heads:
            raise IndexError(f"head {head} out of range for {self.num_heads} heads")
        return head // (self.num_heads // self.num_kv_heads)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write one `.npz`: the arrays, plus the metadata as a JSON string (no pickled objects)."""
        meta = {
            "format": FORMAT_VERSION,
            "model_name": self.model_name,
            "token_ids": self.token_ids,
            "tokens": self.tokens,
            "prompt_len": self.prompt_len,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "num_kv_heads": self.num_kv_heads,
            "spans": [[span.label, span.start, span.end] for span in self.spans],
            "pieces": [[piece.label, piece.start, piece.end] for piece in self.pieces],
            "special": self.special,
            "fidelity": None if self.fidelity is None else self.fidelity.to_json(),
        }
        arrays = {
            "meta": np.array(json.dumps(meta, ensure_ascii=False)),
            "answer_rows": self.answer_rows,
        }
        if self.rollout is not None:
            arrays["rollout"] = self.rollout
        arrays.update({f"full_layer_{layer}": matrix for layer, matrix in self.full_layers.items()})
        with open(path, "wb") as file:  # a file object stops numpy from appending ".npz"
            np.savez(file, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> AttentionCapture:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta["format"] not in (1, FORMAT_VERSION):
                raise ValueError(
                    f"{path}: capture format {meta['format']}, expected {FORMAT_VERSION}"
                )
            full_prefix = "full_layer_"
            return cls(
                model_name=meta["model_name"],
                token_ids=meta["token_ids"],
                tokens=meta["tokens"],
                prompt_len=meta["prompt_len"],
                num_layers=meta["num_layers"],
                num_heads=meta["num_heads"],
                num_kv_heads=meta["num_kv_heads"],
                answer_rows=data["answer_rows"],
                spans=[Span(*span) for span in meta["spans"]],
                pieces=[Span(*piece) for piece in meta["pieces"]],
                special=meta["special"],
                rollout=data["rollout"] if "rollout" in data else None,
                full_layers={
                    int(name.removeprefix(full_prefix)): data[name]
                    for name in data.files
                    if name.startswith(full_prefix)
                },
                fidelity=Fidelity.from_json(meta["fidelity"]) if meta.get("fidelity") else None,
            )


def capture_attention(
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
    check_tokens: bool = True,
) -> AttentionCapture:
    """Replay `token_ids` (prompt followed by the generated answer) once and keep its attention.

    Kept per layer: the answer's query rows (float16), the full matrix for the layers in
    `keep_layers_full` (float16, H*T*T*2 bytes each), and - with `rollout` - the head-mean
    attention folded into a running `[T, T]` rollout. The model must not run concurrently:
    the pass switches it to the capture attention implementation until it returns.

    `recorded`: the answer rows recorded during generation (`AnswerRecorder.rows`, float16
    `[L, H, A, T]`). Given, they are the rows kept (fidelity exact) and the replay's own rows
    are only compared with them, chunk by chunk; without them the replay's rows are kept and
    only its argmax can be checked. With `check_tokens` the replay runs to the LM head on the
    answer positions to see whether it predicts the answer's tokens (text that no model wrote,
    as in explore mode, has nothing to check: then `answer_tokens_match` is False).
    """
    import torch

    ids = list(token_ids)
    num_tokens = len(ids)
    validate_spans(spans, prompt_len, num_tokens)
    num_layers, num_heads, num_kv_heads = _attention_shape(model)
    keep = set(keep_layers_full)
    if not keep <= set(range(num_layers)):
        raise ValueError(f"keep_layers_full {sorted(keep)} outside 0..{num_layers - 1}")

    first, stop = prompt_len - 1, num_tokens - 1  # query rows kept for the answer
    shape = (num_layers, num_heads, num_tokens - prompt_len, num_tokens)
    if recorded is not None and recorded.shape != shape:
        raise ValueError(f"recorded rows have shape {recorded.shape}, expected {shape}")
    answer_rows = np.zeros(shape, np.float16) if recorded is None else recorded
    replay_diff = 0.0
    full_layers: dict[int, np.ndarray] = {}
    head_mean: dict[int, np.ndarray] = {}
    running: np.ndarray | None = None

    def rows(layer: int) -> tuple[int, int]:
        return (0, num_tokens) if rollout or layer in keep else (first, stop)

    def on_chunk(layer: int, start: int, weights: torch.Tensor) -> None:
        nonlocal replay_diff
        end = start + weights.shape[1]
        low, high = max(start, first), min(end, stop)
        if low < high and recorded is None:  # copied straight into the float16 array
            torch.from_numpy(answer_rows[layer, :, low - first : high - first]).copy_(
                weights[:, low - start : high - start]
            )
        elif low < high:  # compared with what generation recorded, then dropped
            # Rounded to float16 first, as the recorded rows were: the figure then measures
            # the computations, not the storage.
            replayed = weights[:, low - start : high - start].half().float()
            # The recorded rows live in host memory; on a GPU the replay's do not.
            reference = torch.from_numpy(answer_rows[layer, :, low - first : high - first])
            reference = reference.to(replayed.device)
            replay_diff = max(replay_diff, float((replayed - reference.float()).abs().max()))
        if layer in keep:
            if layer not in full_layers:
                full_layers[layer] = np.zeros((num_heads, num_tokens, num_tokens), np.float16)
            full_layers[layer][:, start:end] = weights.half().cpu().numpy()
        if rollout:
            if layer not in head_mean:
                head_mean[layer] = np.zeros((num_tokens, num_tokens), np.float32)
            head_mean[layer][start:end] = weights.float().mean(dim=0).cpu().numpy()

    def on_done(layer: int) -> None:
        nonlocal running
        if rollout:
            running = rollout_step(running, head_mean.pop(layer))

    hidden = _attention_pass(model, ids, _Pass(rows, on_chunk, on_done))
    tokens_match = check_tokens and _predicts(model, hidden[first:stop], ids[prompt_len:])
    if recorded is None:
        fidelity = Fidelity(None, tokens_match, "replay")
    else:
        fidelity = Fidelity(0.0, True, "recorded", replay_diff, tokens_match)
    return build_capture(model, tokenizer, ids, prompt_len, answer_rows, spans, running,
                         full_layers, fidelity, model_name)


def build_capture(
    model: PreTrainedModel,
    tokenizer: Tokenizer,
    ids: list[int],
    prompt_len: int,
    answer_rows: np.ndarray,
    spans: Sequence[Span],
    rollout: np.ndarray | None,
    full_layers: dict[int, np.ndarray],
    fidelity: Fidelity,
    model_name: str | None = None,
) -> AttentionCapture:
    """An `AttentionCapture` of `ids` with its token labels, from what a capture pass kept."""
    num_layers, num_heads, num_kv_heads = _attention_shape(model)
    pieces = piece_units(tokenizer, ids)
    return AttentionCapture(
        model_name=model_name or getattr(model, "name_or_path", "") or type(model).__name__,
        token_ids=ids,
        tokens=token_labels(pieces),
        prompt_len=prompt_len,
        num_layers=num_layers,
        num_heads=num_heads,
        num_kv_heads=num_kv_heads,
        answer_rows=answer_rows,
        spans=list(spans),
        pieces=pieces,
        special=special_flags(tokenizer, ids),
        rollout=rollout,
        full_layers=full_layers,
        fidelity=fidelity,
    )


def _predicts(model: PreTrainedModel, hidden: torch.Tensor, answer_ids: Sequence[int]) -> bool:
    """Whether the LM head's argmax of `hidden` (`[A, hidden]`, the answer's query rows after
    the final norm) is `answer_ids` at every position, `LOGIT_CHUNK_ROWS` rows at a time."""
    import torch

    head = model.get_output_embeddings()
    with torch.inference_mode():
        for start in range(0, len(answer_ids), LOGIT_CHUNK_ROWS):
            chunk = head(hidden[start : start + LOGIT_CHUNK_ROWS]).argmax(dim=-1)
            wanted = torch.tensor(answer_ids[start : start + LOGIT_CHUNK_ROWS], device=chunk.device)
            if not torch.equal(chunk, wanted):
                return False
    return True


def layer_matrix(model: PreTrainedModel, token_ids: Sequence[int], layer: int) -> np.ndarray:
    """Full float32 `[H, T, T]` attention of one layer, for a heatmap of every position.

    Runs a forward pass that stops right after `layer`, so deeper layers cost nothing.
    """
    num_layers = _attention_shape(model)[0]
    if not 0 <= layer < num_layers:
        raise IndexError(f"layer {layer} out of range for {num_layers} layers")
    ids = list(token_ids)
    num_tokens, num_heads = len(ids), _attention_shape(model)[1]
    result = np.zeros((num_heads, num_tokens, num_tokens), np.float32)

    def keep(_: int, start: int, weights: torch.Tensor) -> None:
        result[:, start : start + weights.shape[1]] = weights.float().cpu().numpy()

    def stop(_: int) -> None:
        raise _StopForward

    try:
        _attention_pass(
            model, ids, _Pass(lambda _: (0, num_tokens), keep, stop, eager=True), layers={layer}
        )
    except _StopForward:
        pass
    return result


class _StopForward(Exception):
    """Raised from the attention function to end a forward pass once the needed layer has run."""


def _attention_shape(model: PreTrainedModel) -> tuple[int, int, int]:
    config = model.config.get_text_config()
    heads = config.num_attention_heads
    return config.num_hidden_layers, heads, getattr(config, "num_key_value_heads", None) or heads


def _attention_modules(model: PreTrainedModel) -> list[torch.nn.Module]:
    """Each decoder layer's self-attention module, in layer order (Llama/Qwen/Mistral naming)."""
    modules = [
        module for name, module in model.base_model.named_modules() if name.endswith("self_attn")
    ]
    expected = _attention_shape(model)[0]
    if len(modules) != expected:
        raise ValueError(f"found {len(modules)} 'self_attn' modules for {expected} layers")
    return modules


@dataclass(frozen=True)
class _Pass:
    """What one capture pass wants from each layer's attention function."""

    # layer -> the query rows [start, stop) whose weights to compute
    rows: Callable[[int], tuple[int, int]]
    on_chunk: ChunkCallback
    on_done: Callable[[int], None]  # called once per selected layer, after its last chunk
    layers: dict[int, int] = field(default_factory=dict)  # id(attention module) -> layer
    # Eager math for every layer's output too (bit-for-bit transformers' eager path; full [H, T, T]
    # per layer, so only for short texts): `layer_matrix` uses it, the answer capture does not.
    eager: bool = False


_ACTIVE: ContextVar[_Pass | None] = ContextVar("studylog_attention_pass", default=None)


def _attention_pass(
    model: PreTrainedModel,
    token_ids: list[int],
    wanted: _Pass,
    layers: Collection[int] | None = None,
) -> torch.Tensor:
    """One forward pass of the decoder stack with the capture attention, feeding `wanted` per layer.

    Returns the final hidden states `[T, hidden]` (after the model's last norm), unless
    `wanted` ends the pass early by raising `_StopForward`.
    """
    import torch

    _register_attention()
    modules = _attention_modules(model)
    selected = range(len(modules)) if layers is None else sorted(layers)
    wanted.layers.update({id(modules[layer]): layer for layer in selected})
    input_ids = torch.tensor([token_ids], device=model.device)
    token = _ACTIVE.set(wanted)
    try:
        with _capture_eval(model), _chunked_mlps(model), torch.inference_mode():
            # The base model skips the LM head: [T, vocab] logits would cost 0.8 GB; the caller
            # applies the head to the few rows it needs.
            return model.base_model(input_ids=input_ids, use_cache=False).last_hidden_state[0]
    finally:
        _ACTIVE.reset(token)


def _register_attention() -> None:
    """Register the capture attention (and its mask: the same as SDPA's) with transformers, once."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    if ATTENTION_IMPLEMENTATION not in AttentionInterface._global_mapping:
        AttentionInterface.register(ATTENTION_IMPLEMENTATION, _capture_attention_forward)
    if ATTENTION_IMPLEMENTATION not in ALL_MASK_ATTENTION_FUNCTIONS._global_mapping:
        ALL_MASK_ATTENTION_FUNCTIONS.register(ATTENTION_IMPLEMENTATION, sdpa_mask)


def _capture_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: object,
) -> tuple[torch.Tensor, None]:
    """SDPA for the layer's output; the weights of the wanted rows chunk by chunk, handed on.

    Shapes as transformers passes them: query `[B, H, Tq, D]`, key/value `[B, Hkv, Tk, D]`, mask
    None (plain causal), boolean (True attends) or additive, broadcastable to `[B, H, Tq, Tk]`.
    """
    import torch

    num_heads, num_kv_heads = query.shape[1], key.shape[1]
    groups = num_heads // num_kv_heads
    if scaling is None:
        scaling = query.shape[-1] ** -0.5
    wanted = _ACTIVE.get()
    layer = None if wanted is None else wanted.layers.get(id(module))
    if wanted is not None and wanted.eager:
        full_key = key.repeat_interleave(groups, dim=1) if groups > 1 else key
        full_value = value.repeat_interleave(groups, dim=1) if groups > 1 else value
        scores = torch.matmul(query, full_key.transpose(2, 3)) * scaling
        scores = _apply_mask(scores, attention_mask, 0, key.shape[2] - query.shape[2])
        weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
        del scores
        output = torch.matmul(weights, full_value)
        if layer is not None:
            wanted.on_chunk(layer, 0, weights[0])
            wanted.on_done(layer)
        return output.transpose(1, 2).contiguous(), None

    if wanted is not None and layer is not None:
        # Weights first: `on_done` may end the pass (the last layer's output is not needed).
        _chunked_weights(wanted, layer, query, key, attention_mask, scaling, groups)
        wanted.on_done(layer)
    is_causal = attention_mask is None and query.shape[2] > 1 and getattr(module, "is_causal", True)
    output = torch.nn.functional.scaled_dot_product_attention(
        query,
        key,
        value,
        attn_mask=attention_mask,
        dropout_p=dropout if module.training else 0.0,
        is_causal=is_causal,
        scale=scaling,
        enable_gqa=groups > 1,  # no repeated copies of K and V (2 x [H, T, D])
    )
    return output.transpose(1, 2).contiguous(), None


def _apply_mask(
    scores: torch.Tensor, attention_mask: torch.Tensor | None, first: int, offset: int
) -> torch.Tensor:
    """Mask `[..., rows, Tk]` scores of query rows `first...` in place; `offset`: absolute
    position of row 0.

    The mask is None (plain causal), boolean (True attends) or additive, `[B, 1 or H, Tq, Tk]`.
    """
    import torch

    last, key_len = first + scores.shape[-2], scores.shape[-1]
    lowest = torch.finfo(scores.dtype).min
    if attention_mask is None:
        rows = torch.arange(first + offset, last + offset, device=scores.device)
        allowed = torch.arange(key_len, device=scores.device)[None, :] <= rows[:, None]
        return scores.masked_fill_(~allowed, lowest)
    mask = attention_mask[..., first:last, :]
    if scores.dim() == 3:
        mask = mask[0]
    if mask.dtype == torch.bool:
        return scores.masked_fill_(~mask, lowest)
    return scores.add_(mask)


def _chunked_weights(
    wanted: _Pass,
    layer: int,
    query: torch.Tensor,
    key: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    groups: int,
) -> None:
    """Eager attention weights of the wanted rows (batch item 0), `CHUNK_ROWS` query rows at a time."""
    import torch

    num_heads, query_len, head_dim = query.shape[1:]
    num_kv_heads, key_len = key.shape[1], key.shape[2]
    offset = key_len - query_len  # absolute position of query row 0
    keys_t = key[0].unsqueeze(1).transpose(-1, -2)  # [Hkv, 1, D, Tk]; head h reads kv h // groups
    start, stop = wanted.rows(layer)
    # Two buffers for the whole layer, reused by every chunk (scores, then weights): the same
    # few MB each time instead of fresh allocations that fragment the heap.
    size = num_heads * min(CHUNK_ROWS, max(stop - start, 0)) * key_len
    score_buffer = query.new_empty(size)
    weight_buffer = torch.empty(size, dtype=torch.float32, device=query.device)
    for first in range(start, stop, CHUNK_ROWS):
        last = min(first + CHUNK_ROWS, stop)
        rows = last - first
        chunk = query[0, :, first:last].reshape(num_kv_heads, groups, rows, head_dim)
        scores = score_buffer[: num_heads * rows * key_len].view(num_kv_heads, groups, rows, key_len)
        torch.matmul(chunk, keys_t, out=scores)
        scores = scores.view(num_heads, rows, key_len)
        scores = scores.float() if scores.dtype != torch.float32 else scores
        scores.mul_(scaling)
        _apply_mask(scores, attention_mask, first, offset)
        # torch's fused softmax (twice as fast as an in-place one on a CPU), into the buffer.
        weights = weight_buffer[: num_heads * rows * key_len].view(num_heads, rows, key_len)
        torch.softmax(scores, dim=-1, out=weights)
        wanted.on_chunk(layer, first, weights.to(query.dtype))


@contextmanager
def attention_implementation(model: PreTrainedModel, name: str) -> Iterator[None]:
    """Run the block with every config's attention implementation set to `name`, then exactly
    the previous settings back.

    Writing each config's implementation (parents before sub-configs) restores mixed settings
    without re-running transformers' availability checks, which `set_attn_implementation` does.
    """
    configs = _configs(model)
    saved = [(config, config._attn_implementation) for config in configs]
    try:
        for config in configs:
            config._attn_implementation = name
        yield
    finally:
        for config, implementation in saved:
            config._attn_implementation = implementation


@contextmanager
def _capture_eval(model: PreTrainedModel) -> Iterator[None]:
    """Eval mode and the capture attention for the duration, then the previous settings back."""
    was_training = model.training
    model.eval()
    try:
        with attention_implementation(model, ATTENTION_IMPLEMENTATION):
            yield
    finally:
        model.train(was_training)


@contextmanager
def _chunked_mlps(model: PreTrainedModel) -> Iterator[None]:
    """Each decoder layer's `mlp` runs `MLP_CHUNK_ROWS` sequence rows at a time, for the duration.

    Only a plain call `mlp(hidden)` returning one tensor is chunked; anything else (extra
    arguments, a mixture-of-experts block returning a tuple) runs whole, as before.
    """
    import torch

    modules = [
        module
        for name, module in model.base_model.named_modules()
        if name.rsplit(".", 1)[-1] == "mlp"
    ]

    def chunked(forward: Callable[..., object]) -> Callable[..., object]:
        def run(hidden: object, *args: object, **kwargs: object) -> object:
            if (
                args
                or kwargs
                or not isinstance(hidden, torch.Tensor)
                or hidden.dim() < 2
                or hidden.shape[-2] <= MLP_CHUNK_ROWS
            ):
                return forward(hidden, *args, **kwargs)
            parts = []
            for piece in hidden.split(MLP_CHUNK_ROWS, dim=-2):
                part = forward(piece)
                if not isinstance(part, torch.Tensor) or part.shape[:-1] != piece.shape[:-1]:
                    return forward(hidden)
                parts.append(part)
            return torch.cat(parts, dim=-2)

        return run

    saved = [(module, module.__dict__.get("forward")) for module in modules]
    try:
        for module in modules:
            module.forward = chunked(module.forward)
        yield
    finally:
        for module, own_forward in saved:
            if own_forward is None:
                module.__dict__.pop("forward", None)  # the class's forward again
            else:
                module.forward = own_forward


def _configs(model: PreTrainedModel) -> list[PretrainedConfig]:
    """Every distinct config the model's modules read, parents before their sub-configs."""
    from transformers import PretrainedConfig

    found: dict[int, PretrainedConfig] = {}
    queue = [
        module.config
        for module in model.modules()
        if isinstance(getattr(module, "config", None), PretrainedConfig)
    ]
    while queue:
        config = queue.pop(0)
        if id(config) not in found:
            found[id(config)] = config
            queue.extend(
                getattr(config, key)
                for key in config.sub_configs
                if getattr(config, key, None) is not None
            )
    return list(found.values())
