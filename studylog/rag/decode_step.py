"""A decoding step of a Llama-style decoder (Qwen2, Llama) without transformers' per-call layers.

A decoding step is 28 layers of a few rows each, so its small operations and Python calls are
a fair share of its time. `transformers`' forward adds, per step and layer, output
dataclasses, keyword plumbing, output-capture hooks and deprecation wrappers around the same
operations. Measured on the 2-core CPU (1.5B, int8-per-token with 4-bit decoding weights, ~1,000
cached tokens, fastest of 40 steps interleaved with the forward's, a one-off timing): 62.2 -> 59.3
ms for 1 row and 105.0 -> 100.1 ms for 4 rows; `studylog bench ask` shows the effect on real
answers. What remains is the 4-bit kernel (~45 ms for 1 row) and attention over the cache (~6 ms).

`decoding_step(model)` returns a step function that runs the model's own modules (embedding,
norms, Linears, rotary embedding, its registered attention function, cache update) in the order
its forward does, with a few operations merged where that gives the same bits (RMSNorm as one
`F.rms_norm`, the rotation of query and key heads in one pass), so the logits are the same
bits as `model(...)` (tests/rag/test_decode_step.py) and attention recording, which wraps the
attention function, sees the same calls. Architectures with anything else in their layers
(query/key norms, sliding windows, other MLPs) get None, and callers use `model(...)`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from studylog.rag import int4
from studylog.rag.int8 import decoding_active

SUPPORTED = frozenset({"qwen2", "llama"})
"""`config.model_type`s whose decoder layer is exactly: RMSNorm, q/k/v/o projections with rotary
embedding, attention, residual, RMSNorm, SwiGLU MLP, residual."""

RMS_NORMS = frozenset({"Qwen2RMSNorm", "LlamaRMSNorm"})
"""RMSNorm classes whose float32 forward `F.rms_norm` computes to the same bits."""

StepFunction = Callable[[torch.Tensor, object, int], torch.Tensor]
"""(input_ids [1, T] long, cache, rows) -> logits [rows, V] of the last `rows` positions; the
T tokens' keys and values join the cache."""


def decoding_step(model: nn.Module) -> StepFunction | None:
    """The lean step for `model` (a *ForCausalLM of a SUPPORTED type, batch 1), or None."""
    config = getattr(model, "config", None)
    inner = getattr(model, "model", None)
    if config is None or inner is None or getattr(config, "model_type", None) not in SUPPORTED:
        return None
    layers = list(getattr(inner, "layers", []))
    if not layers or any(not _plain_layer(layer) for layer in layers):
        return None
    if any(kind != "full_attention" for kind in getattr(config, "layer_types", None) or []):
        return None
    if not all(hasattr(inner, name) for name in ("embed_tokens", "norm", "rotary_emb")):
        return None
    modeling = sys.modules[type(layers[0].self_attn).__module__]
    if not hasattr(modeling, "eager_attention_forward"):
        return None
    from transformers.masking_utils import create_causal_mask
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    # Everything a step reads, looked up once: nn.Module attribute access (`__getattr__` for
    # submodules, parameters and buffers) was ~1 ms of a step, 1,200 lookups.
    plan = [_Layer.of(layer) for layer in layers]
    final_norm, head = _Norm(inner.norm), _Linear(model.lm_head)
    embed, rotary = inner.embed_tokens, inner.rotary_emb

    def step(input_ids: torch.Tensor, cache, rows: int) -> torch.Tensor:
        hidden = embed(input_ids)  # [1, T, H]
        length = input_ids.shape[1]
        past = cache.get_seq_length()
        positions = torch.arange(past, past + length, device=hidden.device).unsqueeze(0)
        ones = torch.ones((1, past + length), dtype=torch.long, device=hidden.device)
        mask = create_causal_mask(
            config=config, inputs_embeds=hidden, attention_mask=ones, cache=cache,
            position_ids=positions,
        )
        cos, sin = rotary(hidden, positions)  # [1, T, D]
        # Broadcast over the heads of [1, T, heads, D].
        cos, rolled_sin = cos.unsqueeze(2), _rolled_sin(sin).unsqueeze(2)
        # Looked up per step: attention recording swaps the implementation around a decoding.
        attend = ALL_ATTENTION_FUNCTIONS.get_interface(
            config._attn_implementation, modeling.eager_attention_forward
        )
        in_int4 = length <= int4.MAX_DECODE_ROWS and decoding_active()
        float32 = hidden.dtype == torch.float32
        for index, layer in enumerate(plan):
            shape = (1, length, -1, layer.head_dim)
            normed = layer.input_norm(hidden, float32)
            # q/k/v (and gate/up) share their input: converted to the kernel's bfloat16 once.
            normed16 = normed.to(torch.bfloat16) if in_int4 else None
            query = layer.q(normed, normed16, in_int4).view(shape)
            key = layer.k(normed, normed16, in_int4).view(shape)
            value = layer.v(normed, normed16, in_int4).view(shape).transpose(1, 2)
            # Query and key heads rotated together: [1, T, H + Hkv, D] -> [1, H + Hkv, T, D].
            rotated = _rotate(torch.cat((query, key), dim=2), cos, rolled_sin).transpose(1, 2)
            query, key = rotated[:, : layer.heads], rotated[:, layer.heads :]
            key, value = cache.update(key, value, index)
            output, _ = attend(
                layer.attention, query, key, value, mask, dropout=0.0, scaling=layer.scaling
            )
            output = output.reshape(1, length, -1).contiguous()
            hidden = hidden + layer.o(output, None, in_int4)
            normed = layer.post_norm(hidden, float32)
            normed16 = normed.to(torch.bfloat16) if in_int4 else None
            gated = layer.act(layer.gate(normed, normed16, in_int4)) * layer.up(
                normed, normed16, in_int4
            )
            hidden = hidden + layer.down(gated, None, in_int4)
        hidden = final_norm(hidden[:, -rows:], float32)
        return head(hidden, None, in_int4)[0]

    return step


def _plain_layer(layer: nn.Module) -> bool:
    attention = getattr(layer, "self_attn", None)
    mlp = getattr(layer, "mlp", None)
    if attention is None or mlp is None:
        return False
    has = all(hasattr(attention, name) for name in ("q_proj", "k_proj", "v_proj", "o_proj"))
    has = has and all(hasattr(mlp, name) for name in ("gate_proj", "up_proj", "down_proj", "act_fn"))
    has = has and hasattr(layer, "input_layernorm") and hasattr(layer, "post_attention_layernorm")
    extras = ("q_norm", "k_norm", "sliding_window")
    return has and not any(getattr(attention, name, None) is not None for name in extras)


def _rolled_sin(sin: torch.Tensor) -> torch.Tensor:
    """sin [..., D] -> [..., D] with its first half negated, for `_rotate`."""
    half = sin.shape[-1] // 2
    return torch.cat((-sin[..., :half], sin[..., half:]), dim=-1)


def _rotate(x: torch.Tensor, cos: torch.Tensor, rolled_sin: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding (Su et al. 2021, "RoFormer", arXiv:2104.09864) as
    transformers' `apply_rotary_pos_emb` computes it, x * cos + rotate_half(x) * sin with
    rotate_half(x) = (-x2, x1), in 4 operations instead of 8 per tensor: (-x2) * s1 is
    x2 * (-s1) to the bit (negation is exact), and (x2, x1) is x rolled by half its width.
    x [..., D]; cos and rolled_sin (`_rolled_sin`) broadcast to it."""
    return x * cos + x.roll(x.shape[-1] // 2, dims=-1) * rolled_sin


class _Linear:
    """A Linear of the model: `(x, x16, in_int4)` -> module(x), through the module's own 4-bit
    path (`_QuantisedLinear.decode`, with `x16` = x in bfloat16 when given) where the step may
    use it and the module has 4-bit weights."""

    __slots__ = ("module", "decode")

    def __init__(self, module: nn.Module) -> None:
        self.module = module
        has_int4 = getattr(module, "decode_packed", None) is not None
        self.decode = module.decode if has_int4 else None

    def __call__(self, x: torch.Tensor, x16: torch.Tensor | None, in_int4: bool) -> torch.Tensor:
        if in_int4 and self.decode is not None:
            return self.decode(x16 if x16 is not None else x)
        return self.module(x)


class _Norm:
    """An RMSNorm of the model: `(x, float32)` -> module(x), by `F.rms_norm` with the module's
    weight and epsilon for float32 x where the class is one of RMS_NORMS: one call instead of
    six, the same bits on the AVX-512 and AVX2 kernels (tests/rag/test_decode_step.py)."""

    __slots__ = ("module", "weight", "eps")

    def __init__(self, module: nn.Module) -> None:
        self.module = module
        fused = type(module).__name__ in RMS_NORMS
        self.weight = module.weight if fused else None
        self.eps = module.variance_epsilon if fused else None

    def __call__(self, x: torch.Tensor, float32: bool) -> torch.Tensor:
        if float32 and self.weight is not None:
            return torch.nn.functional.rms_norm(x, (x.shape[-1],), self.weight, self.eps)
        return self.module(x)


@dataclass(frozen=True)
class _Layer:
    attention: nn.Module
    heads: int
    head_dim: int
    scaling: float
    input_norm: _Norm
    q: _Linear
    k: _Linear
    v: _Linear
    o: _Linear
    post_norm: _Norm
    gate: _Linear
    up: _Linear
    down: _Linear
    act: Callable[[torch.Tensor], torch.Tensor]

    @classmethod
    def of(cls, layer: nn.Module) -> _Layer:
        attention, mlp = layer.self_attn, layer.mlp
        return cls(
            attention, attention.config.num_attention_heads, attention.head_dim, attention.scaling,
            _Norm(layer.input_layernorm),
            _Linear(attention.q_proj), _Linear(attention.k_proj), _Linear(attention.v_proj),
            _Linear(attention.o_proj),
            _Norm(layer.post_attention_layernorm),
            _Linear(mlp.gate_proj), _Linear(mlp.up_proj), _Linear(mlp.down_proj),
            mlp.act_fn,
        )
