"""Record what the model attended to while it wrote an answer, in one extra forward pass.

Generation runs with fast fused attention, which never materialises attention weights, so
after an answer is done we replay the exact prompt+answer ids once with eager attention and
forward hooks on every layer's self-attention module. Each hook copies what we keep and lets
the layer's `[H, T, T]` weights go before the next layer runs, so memory is bounded by one
layer, never all `L` of them: for Qwen2.5-0.5B with a 1,024-token prompt and 256-token
answer, the kept rows are 24*14*256*1280*2 B = 220 MB against 2.2 GB for every weight in
float32; on top comes one layer's transient eager scores (about 3 * H*T*T*4 B = 280 MB).
Measured on CPU with that shape: about 530 MB peak above the model. The pass also skips
the LM head, whose `[T, vocab]` logits would cost 0.8 GB.

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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from studylog.attention.analysis import rollout_step, validate_spans
from studylog.attention.tokens import Span, Tokenizer, piece_units, special_flags, token_labels

if TYPE_CHECKING:
    import torch
    from transformers import PretrainedConfig, PreTrainedModel

FORMAT_VERSION = 1

LayerCallback = Callable[[int, "torch.Tensor"], None]
"""Receives a layer index and that layer's `[H, T, T]` attention weights, valid only during the call."""


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
            if meta["format"] != FORMAT_VERSION:
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
) -> AttentionCapture:
    """Replay `token_ids` (prompt followed by the generated answer) once and keep its attention.

    Kept per layer: the answer's query rows (float16), the full matrix for the layers in
    `keep_layers_full` (float16, H*T*T*2 bytes each), and - with `rollout` - the head-mean
    attention folded into a running `[T, T]` rollout. The model must not run concurrently:
    the pass switches it to eager attention and hooks its modules until it returns.
    """
    ids = list(token_ids)
    num_tokens = len(ids)
    validate_spans(spans, prompt_len, num_tokens)
    num_layers, num_heads, num_kv_heads = _attention_shape(model)
    keep = set(keep_layers_full)
    if not keep <= set(range(num_layers)):
        raise ValueError(f"keep_layers_full {sorted(keep)} outside 0..{num_layers - 1}")

    queries = slice(prompt_len - 1, num_tokens - 1)
    answer_rows = np.empty((num_layers, num_heads, num_tokens - prompt_len, num_tokens), np.float16)
    full_layers: dict[int, np.ndarray] = {}
    running: np.ndarray | None = None

    def record(layer: int, weights: torch.Tensor) -> None:
        nonlocal running
        answer_rows[layer] = weights[:, queries].half().cpu().numpy()  # copies into the buffer
        if layer in keep:
            full_layers[layer] = weights.half().cpu().numpy()
        if rollout:
            running = rollout_step(running, weights.float().mean(dim=0).cpu().numpy())

    _attention_pass(model, ids, record)
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
        rollout=running,
        full_layers=full_layers,
    )


def layer_matrix(model: PreTrainedModel, token_ids: Sequence[int], layer: int) -> np.ndarray:
    """Full float32 `[H, T, T]` attention of one layer, for a heatmap of every position.

    Runs a forward pass that stops right after `layer`, so deeper layers cost nothing.
    """
    num_layers = _attention_shape(model)[0]
    if not 0 <= layer < num_layers:
        raise IndexError(f"layer {layer} out of range for {num_layers} layers")
    result: list[np.ndarray] = []

    def keep_and_stop(_: int, weights: torch.Tensor) -> None:
        result.append(weights.float().cpu().numpy())
        raise _StopForward

    try:
        _attention_pass(model, list(token_ids), keep_and_stop, layers={layer})
    except _StopForward:
        pass
    return result[0]


class _StopForward(Exception):
    """Raised from a hook to end a forward pass once the needed layer has run."""


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


def _attention_pass(
    model: PreTrainedModel,
    token_ids: list[int],
    on_layer: LayerCallback,
    layers: Collection[int] | None = None,
) -> None:
    """One forward pass of the decoder stack with eager attention, feeding `on_layer` per layer."""
    import torch

    def hook_for(layer: int) -> Callable[..., None]:
        def hook(module: torch.nn.Module, args: object, output: tuple[torch.Tensor, ...]) -> None:
            weights = output[1]
            if weights is None:
                raise RuntimeError(
                    f"{type(module).__name__} returned no attention weights under eager attention"
                )
            on_layer(layer, weights[0])

        return hook

    modules = _attention_modules(model)
    selected = range(len(modules)) if layers is None else sorted(layers)
    input_ids = torch.tensor([token_ids], device=model.device)
    with _eager_eval(model), torch.inference_mode():
        handles = [modules[layer].register_forward_hook(hook_for(layer)) for layer in selected]
        try:
            # The base model skips the LM head: its [T, vocab] logits are unused here.
            model.base_model(input_ids=input_ids, use_cache=False)
        finally:
            for handle in handles:
                handle.remove()


@contextmanager
def _eager_eval(model: PreTrainedModel) -> Iterator[None]:
    """Eval mode and eager attention for the duration, then exactly the previous settings back.

    Writing each config's implementation (parents before sub-configs) restores mixed settings
    without re-running transformers' availability checks, which `set_attn_implementation` does.
    """
    configs = _configs(model)
    saved = [(config, config._attn_implementation) for config in configs]
    was_training = model.training
    model.eval()
    for config in configs:
        config._attn_implementation = "eager"
    try:
        yield
    finally:
        for config, implementation in saved:
            config._attn_implementation = implementation
        model.train(was_training)


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
