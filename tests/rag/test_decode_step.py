"""The lean decoding step computes exactly what the model's own forward computes: the same
logits and cache bits for a float model and for the app's quantised one (4-bit decoding calls
of 1 to `MAX_DECODE_ROWS` rows), on the AVX-512 and the forced AVX2 kernels (`make test-avx2`
runs this file too). Architectures it does not know fall back to the forward."""

from __future__ import annotations

import copy

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen3Config, Qwen3ForCausalLM

from studylog.rag.decode_step import decoding_step
from studylog.rag.int4 import MAX_DECODE_ROWS
from studylog.rag.int8 import decoding_in_int4, decoding_linears, quantize_int8_per_token
from studylog.rag.kv_cache import GrowingCache
from studylog.rag.loading import decoding_ready

PROMPT = [5, 9, 14, 3, 27, 8, 40, 41, 42, 43, 44]


def _forward(model, ids: list[int], cache, rows: int) -> torch.Tensor:
    inputs = torch.tensor([ids])
    mask = torch.ones((1, cache.get_seq_length() + len(ids)), dtype=torch.long)
    return model(input_ids=inputs, attention_mask=mask, cache=cache, use_cache=True,
                 logits_to_keep=rows).logits[0]


def _assert_steps_equal_forward(model, in_int4: bool) -> None:
    step = decoding_step(model)
    assert step is not None
    caches = GrowingCache(), GrowingCache()
    with torch.inference_mode():
        for cache in caches:
            _forward(model, PROMPT, cache, 1)
        for rows in range(1, MAX_DECODE_ROWS + 1):
            ids = [(7 * rows + i) % 50 + 3 for i in range(rows)]
            context = decoding_in_int4() if in_int4 else torch.inference_mode()
            with context:
                expected = _forward(model, ids, caches[0], rows)
                got = step(torch.tensor([ids]), caches[1], rows)
            assert torch.equal(got, expected), f"{rows} rows"
            for ours, theirs in zip(caches[1].layers, caches[0].layers, strict=True):
                assert torch.equal(ours.keys, theirs.keys) and torch.equal(ours.values, theirs.values)
            if rows % 2:  # cropped like a step with rejected drafts
                for cache in caches:
                    cache.crop(-1)


def test_step_is_the_forward_bit_for_bit_on_the_float_model(tiny_model) -> None:
    _assert_steps_equal_forward(tiny_model.model, in_int4=False)


def test_step_is_the_forward_bit_for_bit_on_the_quantised_model(tiny_model) -> None:
    """int8 prompts, 4-bit decoding Linears and the decoding-step attention, as the app loads
    the 1.5B: every decoding call size goes through the 4-bit path."""
    model = decoding_ready(quantize_int8_per_token(copy.deepcopy(tiny_model.model).half().eval()))
    assert decoding_linears(model) >= 7 * 2  # every projection of both layers decodes in 4 bits
    _assert_steps_equal_forward(model, in_int4=True)


def test_step_is_the_forward_bit_for_bit_on_a_llama_model() -> None:
    torch.manual_seed(1)
    config = LlamaConfig(
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
    )
    _assert_steps_equal_forward(LlamaForCausalLM(config).eval(), in_int4=False)


def test_other_architectures_keep_the_models_forward() -> None:
    """Query/key norms (Qwen3) or sliding-window layers are not in the lean step: None, and
    decoding calls `model(...)`."""
    small = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    assert decoding_step(Qwen3ForCausalLM(Qwen3Config(head_dim=8, **small)).eval()) is None
    sliding = Qwen2Config(use_sliding_window=True, sliding_window=4, max_window_layers=0, **small)
    from transformers import Qwen2ForCausalLM

    assert decoding_step(Qwen2ForCausalLM(sliding).eval()) is None
    assert decoding_step(torch.nn.Linear(2, 2)) is None


@pytest.mark.parametrize("rows", [1, 3, 8])
def test_fused_rms_norm_is_the_modules_float32_bits(rows: int) -> None:
    """`F.rms_norm` replaces Qwen2RMSNorm's six operations only because it computes the same
    bits: checked on whatever kernels this process runs (AVX-512, or AVX2 under test-avx2)."""
    from transformers.models.qwen2.modeling_qwen2 import Qwen2RMSNorm

    torch.manual_seed(rows)
    norm = Qwen2RMSNorm(1536, eps=1e-6)
    norm.weight.data = torch.randn(1536)
    x = torch.randn(1, rows, 1536) * 4
    fused = torch.nn.functional.rms_norm(x, (1536,), norm.weight, norm.variance_epsilon)
    assert torch.equal(fused, norm(x))
