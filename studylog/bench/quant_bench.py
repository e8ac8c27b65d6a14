"""`studylog bench quant`: how far each CPU precision's next-token distribution is from float32.

The sequence is real: the fixtures note 2026-10-14 as the one source of the chain's prompt for
"어텐션에서 √d_k로 나누는 이유가 뭐였지?", plus the float32 model's own 48 greedy answer tokens.
Each variant swaps the model's Linears, runs the whole sequence once (teacher forcing) and is
compared with float32 on the last `--positions` positions: KL(float32 || variant) averaged over
positions, and the share of positions where both pick the same top token. The float Linears are
put back between variants, so only one quantised copy exists at a time.

Variants: the shipped `int8-per-token` (studylog.rag.int8); the same with down_proj on one
activation scale per token, and with down_proj left float32 (the two alternatives its docstring
weighs); weight-only 7- and 8-bit rounding computed in float32 (the weight error alone); fp16
weights (fbgemm), which should be ~0; the 4-bit decoding weights (every position through the
int4 kernel, as decoding steps run): with the bundled GGUF's own Q4_K groups where it has them
(shipped), with the lm_head in int8, and with every group rounded from the float weights.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from studylog.rag import int4
from studylog.rag.int8 import (
    INT8_MAX,
    PER_TOKEN_WEIGHT_MAX,
    Int8Linear,
    decodes_in_int4,
    per_channel_int8,
    quantize_int8_per_token,
)

QUESTION = "어텐션에서 √d_k로 나누는 이유가 뭐였지?"
NOTE_DATE = "2026-10-14"
ANSWER_TOKENS = 48


class WeightOnlyLinear(nn.Module):
    """A Linear whose weight is rounded to int8 levels (±qmax per output channel) and back to
    float32: float computation, so its error is the weight rounding alone."""

    def __init__(self, linear: nn.Linear, qmax: int) -> None:
        super().__init__()
        quantised, scale = per_channel_int8(linear.weight, qmax)  # the shipped rounding
        self.weight = quantised.float() * scale[:, None]
        self.bias = None if linear.bias is None else linear.bias.detach().float()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


class Int4DecodingLinear(nn.Module):
    """The 4-bit decoding weights of `int8-per-token` (studylog.rag.int4) applied to every row,
    through ATen's kernel as a decoding step runs them: teacher forcing then measures what a
    whole answer decoded in 4 bits would lose."""

    def __init__(self, linear: nn.Linear, groups: tuple[torch.Tensor, torch.Tensor] | None = None) -> None:
        super().__init__()
        nibbles, self.scales_and_zeros = groups or int4.quantize_int4_groups(linear.weight)
        self.packed = int4.pack_for_cpu(nibbles)
        self.bias = None if linear.bias is None else linear.bias.detach().float()
        self.out_features = linear.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, x.shape[-1]).float()
        out = int4.int4_matmul(rows, self.packed, self.scales_and_zeros)
        out = out if self.bias is None else out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features)


_Q4K: list[int4.Q4KSource] = []
"""The bundled GGUF's Q4_K groups while `bench_quant` runs, as the shipped model uses them."""


def _q4k_groups(name: str) -> tuple[torch.Tensor, torch.Tensor] | None:
    return _Q4K[0].groups(f"{name}.weight") if _Q4K else None


def _linears(model: nn.Module) -> dict[str, nn.Linear]:
    return {name: module for name, module in model.named_modules() if isinstance(module, nn.Linear)}


def _swap(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent), child, module)


def _swap_each(make: Callable[[str, nn.Linear], nn.Module]) -> Callable[[nn.Module], None]:
    def apply(model: nn.Module) -> None:
        for name, linear in _linears(model).items():
            _swap(model, name, make(name, linear))

    return apply


def _shipped(model: nn.Module) -> None:
    quantize_int8_per_token(model)


def _single_scale_down_proj(name: str, linear: nn.Linear) -> nn.Module:
    return Int8Linear.from_linear(linear)  # down_proj too: one activation scale per token


def _float_down_proj(name: str, linear: nn.Linear) -> nn.Module:
    return linear if name.endswith("down_proj") else Int8Linear.from_linear(linear)


def _fp16_weights(model: nn.Module) -> None:
    from studylog.rag.loading import quantize_fp16_weights

    quantize_fp16_weights(model)


VARIANTS: dict[str, Callable[[nn.Module], None]] = {
    "float32": lambda model: None,  # sanity row: must give KL 0 and agreement 1
    "int8-per-token (shipped)": _shipped,
    "int8-per-token, down_proj one scale": _swap_each(_single_scale_down_proj),
    "int8-per-token, down_proj float32": _swap_each(_float_down_proj),
    "weight-only 7-bit": _swap_each(lambda _, linear: WeightOnlyLinear(linear, PER_TOKEN_WEIGHT_MAX)),
    "weight-only 8-bit": _swap_each(lambda _, linear: WeightOnlyLinear(linear, INT8_MAX)),
    "fp16 weights": _fp16_weights,
    "int4 decoding steps (shipped)": _swap_each(
        lambda name, linear: Int4DecodingLinear(linear, _q4k_groups(name))
        if decodes_in_int4(name, linear)
        else Int8Linear.from_linear(linear)  # as the shipped model does: int8 where int4 cannot
    ),
    "int4 decoding, lm_head int8": _swap_each(
        lambda name, linear: Int4DecodingLinear(linear, _q4k_groups(name))
        if decodes_in_int4(name, linear) and not name.endswith("lm_head")
        else Int8Linear.from_linear(linear)
    ),
    "int4 decoding, all rounded from float": _swap_each(
        lambda name, linear: Int4DecodingLinear(linear) if decodes_in_int4(name, linear)
        else Int8Linear.from_linear(linear)  # without the GGUF's Q4_K groups
    ),
}


def _last_logits(model: nn.Module, sequence: torch.Tensor, positions: int) -> torch.Tensor:
    with torch.inference_mode():
        return model(sequence, logits_to_keep=positions).logits[0, -positions:].float()


def compare_precisions(
    model: nn.Module, sequence: torch.Tensor, positions: int, variants: list[str] | None = None
) -> list[dict]:
    """Each variant's distance from `model` (float32) on the last `positions` next-token
    distributions of `sequence` [1, T]: kl_mean (nats), top1_agreement, forward_s. The model's
    Linears and config are as they were on return."""
    positions = min(positions, sequence.shape[1])
    reference = _last_logits(model, sequence, positions).log_softmax(-1)
    reference_top = reference.argmax(-1)
    originals = _linears(model)
    tied = getattr(model.config, "tie_word_embeddings", None)
    rows = []
    for name in variants or list(VARIANTS):
        VARIANTS[name](model)
        try:
            started = time.perf_counter()
            logits = _last_logits(model, sequence, positions)
            forward_s = time.perf_counter() - started
        finally:
            for linear_name, linear in originals.items():
                _swap(model, linear_name, linear)
            if tied is not None:
                model.config.tie_word_embeddings = tied
        log_probs = logits.log_softmax(-1)
        kl = (reference.exp() * (reference - log_probs)).sum(-1).clamp_min(0.0)
        rows.append({
            "variant": name,
            "kl_mean": round(kl.mean().item(), 5),
            "top1_agreement": round((log_probs.argmax(-1) == reference_top).float().mean().item(), 4),
            "forward_s": round(forward_s, 2),
        })
    return rows


def realistic_sequence(model: nn.Module, tokenizer, note: Path, answer_tokens: int = ANSWER_TOKENS) -> tuple[torch.Tensor, int]:
    """The chain's prompt with `note` as its one source and QUESTION, the answer prefix, and the
    model's own greedy continuation: ([1, T] ids, prompt length)."""
    from studylog.rag.prompts import ANSWER_PREFIX, build_messages, encode_chat
    from studylog.rag.types import Source

    source = Source(n=1, date=note.stem, path=note.name, section="", heading_path=note.stem,
                    start_line=1, text=note.read_text(encoding="utf-8"))
    parts = build_messages(QUESTION, [source])
    prompt = encode_chat(tokenizer, parts.messages, answer_start=ANSWER_PREFIX[parts.language]).ids
    inputs = torch.tensor([prompt])
    with torch.inference_mode():
        output = model.generate(inputs, attention_mask=torch.ones_like(inputs), do_sample=False,
                                max_new_tokens=answer_tokens, min_new_tokens=answer_tokens)
    return output[:, : len(prompt) + answer_tokens], len(prompt)


def table(figures: dict) -> str:
    lines = [f"{figures['model']}: {figures['tokens']} tokens, last {figures['positions']} positions",
             f"{'variant':38s} {'KL mean':>9s} {'top-1':>7s} {'forward s':>10s}"]
    lines += [f"{r['variant']:38s} {r['kl_mean']:9.4f} {r['top1_agreement']:7.3f} {r['forward_s']:10.2f}"
              for r in figures["variants"]]
    return "\n".join(lines)


def bench_quant(args: argparse.Namespace) -> dict:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from studylog.bench import fixtures_vault
    from studylog.config import load_settings
    from studylog.rag.catalogue import resolve_model
    from studylog.rag.loading import prepare_model, q4k_source

    settings = load_settings()
    generator = args.model or settings.generator
    folder = prepare_model(generator, settings.model_cache_dir, allow_network=settings.allow_network)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(
        folder, dtype=torch.float32, attn_implementation="sdpa"
    ).eval()
    sequence, prompt_tokens = realistic_sequence(
        model, tokenizer, fixtures_vault(args.fixtures) / f"{NOTE_DATE}.md"
    )
    positions = args.positions
    entry = resolve_model(generator, settings.allow_network)
    with q4k_source(entry, settings.model_cache_dir) as q4k:
        _Q4K[:] = [q4k] if q4k is not None else []
        try:
            variants = compare_precisions(model, sequence, positions)
        finally:
            _Q4K.clear()
    return {
        "model": generator,
        "tokens": sequence.shape[1],
        "prompt_tokens": prompt_tokens,
        "positions": min(positions, sequence.shape[1]),
        "threads": torch.get_num_threads(),
        "q4k_groups_from_gguf": q4k is not None,
        "variants": variants,
    }
