"""Decoding steps: 4-bit weights, a KV cache that grows in place, single-query attention."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from torch.nn import functional as F

from studylog.rag import int4, int8
from studylog.rag.decode_attention import decode_attention_forward
from studylog.rag.generation import GenerationResult, stream_generate
from studylog.rag.int8 import Int8Linear, decoding_in_int4, quantize_int8_per_token
from studylog.rag.kv_cache import GrowingCache

BF16_RELATIVE = 2.0**-8
"""bfloat16 keeps 8 significant bits: the kernel's activations and each group's scale and zero
are rounded to it, so a weight or product can be off by ~2^-8 of its own magnitude."""


def _weight(out_features: int = 48, in_features: int = 96) -> torch.Tensor:
    torch.manual_seed(5)
    weight = torch.randn(out_features, in_features)
    weight[3, 7] = 9.0  # an outlier coarsens only its own group
    return weight


def _dequantized(nibbles: torch.Tensor, scales_and_zeros: torch.Tensor) -> torch.Tensor:
    levels = int4.unpack_nibbles(nibbles).float()
    scale = scales_and_zeros[..., 0].float().t().repeat_interleave(int4.GROUP_SIZE, dim=1)
    zero = scales_and_zeros[..., 1].float().t().repeat_interleave(int4.GROUP_SIZE, dim=1)
    return (levels - 8) * scale + zero


def test_group_rounding_is_within_half_a_step_of_each_weight() -> None:
    weight = _weight()
    nibbles, scales_and_zeros = int4.quantize_int4_groups(weight)
    assert nibbles.shape == (48, 48) and nibbles.dtype == torch.uint8
    assert scales_and_zeros.shape == (3, 48, 2) and scales_and_zeros.dtype == torch.bfloat16
    step = scales_and_zeros[..., 0].float().t().repeat_interleave(int4.GROUP_SIZE, dim=1)
    error = (_dequantized(nibbles, scales_and_zeros) - weight).abs()
    # Half a step from rounding, plus the bfloat16 rounding of the zero (|zero| <= |w| + 8 steps).
    assert (error <= 0.5 * step + BF16_RELATIVE * (weight.abs() + 8 * step)).all()
    assert torch.equal(int4.unpack_nibbles(nibbles).max(), torch.tensor(15, dtype=torch.int32))


def test_kernel_computes_the_stored_grid() -> None:
    """ATen's packed kernel against the plain dequantised product: same grid and convention."""
    weight = _weight()
    nibbles, scales_and_zeros = int4.quantize_int4_groups(weight)
    rows = torch.randn(1, 96)
    got = int4.int4_matmul(rows, int4.pack_for_cpu(nibbles), scales_and_zeros)
    want = rows.bfloat16().float() @ _dequantized(nibbles, scales_and_zeros).t()
    # The kernel sums bfloat16 products in float32 in its own order; relative to the largest
    # output, 1e-2 passes that and fails any wrong zero point (an 8-step shift) or nibble order.
    assert (got - want).abs().max() <= 1e-2 * want.abs().max()


def _linear_with_decoding(decoding: bool = True) -> Int8Linear:
    linear = torch.nn.Linear(96, 48)
    with torch.no_grad():
        linear.weight.copy_(_weight())
    return Int8Linear.from_linear(linear, decoding=decoding)


def test_a_few_rows_use_int4_only_while_decoding_and_each_row_on_its_own() -> None:
    module = _linear_with_decoding()
    torch.manual_seed(1)
    count = int4.MAX_DECODE_ROWS + 1
    rows = torch.randn(count, 96)
    with torch.no_grad():
        together = module(rows)
        alone = torch.cat([module(rows[i : i + 1]) for i in range(count)])
        with decoding_in_int4():
            decoded = module(rows[:1])
            step = module(rows[:4])  # a decoding step: the last token and 3 drafts
            prompt = module(rows)  # more rows than a step has: a prompt, still int8
    # Outside decoding (replays, a replay's one-row chunk) every row is the exact int8 path.
    assert torch.equal(together, alone)
    assert torch.equal(prompt, together)
    assert not torch.equal(decoded, together[:1])  # the 4-bit weights answered
    cosine = F.cosine_similarity(decoded, together[:1]).item()
    assert cosine > 0.99, cosine  # both approximate the same float weights (int4: ~4 % error)
    # The 4-bit kernel computes each row on its own: a draft's row is plain decoding's row.
    assert torch.equal(step[:1], decoded)
    with torch.no_grad(), decoding_in_int4():
        assert torch.equal(step, torch.cat([module(rows[i : i + 1]) for i in range(4)]))


def test_a_linear_without_4bit_weights_decodes_in_int8() -> None:
    module = _linear_with_decoding(decoding=False)  # e.g. inputs not a multiple of 32
    assert module.decode_packed is None and module.decode_scales is None
    rows = torch.randn(1, 96)
    with torch.no_grad(), decoding_in_int4():
        decoded = module(rows)
    with torch.no_grad():
        assert torch.equal(decoded, module(rows))


def test_the_stored_copy_keeps_the_packed_4bit_weights(tiny_model, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    source = tmp_path / "source"
    copy.deepcopy(tiny_model.model).half().save_pretrained(source)
    model = quantize_int8_per_token(AutoModelForCausalLM.from_pretrained(source, dtype="auto").eval())
    assert model.lm_head.decode_packed is None  # 361 outputs: not a multiple of 16
    assert model.model.layers[0].mlp.down_proj.decode_packed is not None
    stored = int8.cache_folder(tmp_path / "cache", source)
    assert stored.name.endswith("-" + int4.packed_layout())  # AVX2 and AVX-512 layouts differ
    int8.save_quantized(model, stored, source)
    loaded = int8.load_quantized(stored)
    layer = loaded.model.layers[0].self_attn.q_proj
    assert torch.equal(layer.decode_packed, model.model.layers[0].self_attn.q_proj.decode_packed)
    assert layer.decode_scales.dtype == torch.bfloat16
    linears = sum(isinstance(m, int8._QuantisedLinear) for m in loaded.modules())
    assert int8.decoding_linears(loaded) == linears - 1


def test_growing_layer_holds_what_concatenation_holds_across_reallocations() -> None:
    cache = GrowingCache()
    torch.manual_seed(4)
    keys, values = [torch.randn(1, 2, 6, 8)], [torch.randn(1, 2, 6, 8)]
    cache.update(keys[0], values[0], layer_idx=0)
    for _ in range(600):  # 6 + 600 tokens: past the first buffer (6 + 256) and its double
        keys.append(torch.randn(1, 2, 1, 8))
        values.append(torch.randn(1, 2, 1, 8))
        got_keys, got_values = cache.update(keys[-1], values[-1], layer_idx=0)
    assert torch.equal(got_keys, torch.cat(keys, dim=2))
    assert torch.equal(got_values, torch.cat(values, dim=2))
    assert cache.get_seq_length() == 606
    cache.crop(-100)  # generate's own edits keep working on the view
    assert cache.get_seq_length() == 506
    got_keys, _ = cache.update(keys[1], values[1], layer_idx=0)
    assert torch.equal(got_keys, torch.cat(keys[:501] + [keys[1]], dim=2))


def test_growing_cache_gives_the_same_answer_as_transformers_cache(tiny_model) -> None:
    model = copy.deepcopy(tiny_model.model).float().eval()
    ids = torch.tensor([[5, 9, 14, 3, 27, 8]])
    with torch.no_grad():
        plain = model.generate(ids, max_new_tokens=100, min_new_tokens=100, do_sample=False,
                               output_scores=True, return_dict_in_generate=True)
        grown = model.generate(ids, max_new_tokens=100, min_new_tokens=100, do_sample=False,
                               output_scores=True, return_dict_in_generate=True,
                               cache=GrowingCache())
    assert torch.equal(plain.sequences, grown.sequences)
    # The same keys and values; attention over a strided view may sum in another order (float32).
    torch.testing.assert_close(torch.stack(grown.scores), torch.stack(plain.scores), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mask_kind", [None, "bool", "float"])
def test_single_query_attention_matches_sdpa(mask_kind) -> None:
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    torch.manual_seed(2)
    query, key, value = torch.randn(1, 12, 1, 64), torch.randn(1, 2, 50, 64), torch.randn(1, 2, 50, 64)
    mask = None
    if mask_kind is not None:
        allowed = torch.ones(1, 1, 1, 50, dtype=torch.bool)
        allowed[..., :4] = False  # e.g. padding
        mask = allowed if mask_kind == "bool" else torch.zeros(1, 1, 1, 50).masked_fill(~allowed, -1e30)
    module = torch.nn.Module()
    module.is_causal, module.num_key_value_groups = True, 6
    got, _ = decode_attention_forward(module, query, key, value, mask, scaling=0.125)
    want, _ = sdpa_attention_forward(module, query, key, value, mask, scaling=0.125)
    assert got.shape == want.shape == (1, 1, 12, 64)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)  # float32 sums in another order


def test_streamed_answer_starts_with_the_int8_prompt_pass(tiny_model) -> None:
    """The app's own loop with 4-bit decoding steps: the first answer token is the int8 prompt
    pass's choice (a prompt never takes the 4-bit path), and the answer streams to its end."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model.folder)
    model = quantize_int8_per_token(copy.deepcopy(tiny_model.model).half().eval())
    prompt = [5, 9, 14, 3, 27, 8]
    result = GenerationResult()
    pieces = list(stream_generate(model, tokenizer, prompt, 12, result=result, min_new_tokens=12))
    assert len(result.answer_ids) == 12 and pieces
    inputs = torch.tensor([prompt])
    with torch.no_grad():
        int8_only = model.generate(inputs, max_new_tokens=1, do_sample=False)
    assert result.answer_ids[0] == int(int8_only[0, -1])


def test_the_copy_an_older_release_kept_is_removed_when_the_new_one_is_made(tiny_model, tmp_path: Path) -> None:
    from studylog.rag.loading import load_model

    cache = tmp_path / "cache"
    stored = int8.cache_folder(cache, tiny_model.folder)
    legacy = stored.with_name(stored.name.rsplit("-", 1)[0])  # format 2's name
    legacy.mkdir(parents=True)
    (legacy / int8.CACHE_MARKER).write_text('{"format": 2}')
    other_model = stored.with_name("other-0123456789-avx2")
    other_model.mkdir()
    load_model(str(tiny_model.folder), cache, device="cpu", precision="int8-per-token")
    assert int8.is_cached(stored, tiny_model.folder)
    assert not legacy.exists() and other_model.exists()


def _q4k_gguf(path: Path, rows: int = 16, blocks_per_row: int = 2):
    """A GGUF with one Q4_K tensor of random blocks (d, dmin, packed 6-bit scales/mins, nibbles)
    and one float32 tensor; returns the Q4_K bytes [rows, blocks * 144]."""
    import gguf
    import numpy as np

    rng = np.random.default_rng(0)
    blocks = rng.integers(0, 256, size=(rows * blocks_per_row, 144), dtype=np.uint8)
    blocks[:, 0:2] = np.full((len(blocks), 1), 0.01, np.float16).view(np.uint8)
    blocks[:, 2:4] = rng.uniform(0.001, 0.02, (len(blocks), 1)).astype(np.float16).view(np.uint8)
    raw = blocks.reshape(rows, blocks_per_row * 144)
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_block_count(1)
    writer.add_tensor("blk.0.ffn_up.weight", raw, raw_dtype=gguf.GGMLQuantizationType.Q4_K)
    writer.add_tensor("blk.0.ffn_gate.weight", rng.standard_normal((rows, 256 * blocks_per_row)).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return raw


def test_a_ggufs_q4k_groups_become_the_decoding_weights_as_they_are(tmp_path: Path) -> None:
    import gguf

    raw = _q4k_gguf(tmp_path / "q4k.gguf")
    source = int4.Q4KSource(tmp_path / "q4k.gguf")
    nibbles, scales_and_zeros = source.groups("model.layers.0.mlp.up_proj.weight")
    assert nibbles.shape == (16, 256) and scales_and_zeros.shape == (16, 16, 2)
    want = torch.from_numpy(gguf.quants.dequantize(raw, gguf.GGMLQuantizationType.Q4_K))
    got = _dequantized(nibbles, scales_and_zeros)
    # Only scale and zero are rounded (to bfloat16): off by at most 2^-8 of |zero| + 8 scales.
    step = scales_and_zeros[..., 0].float().t().repeat_interleave(int4.GROUP_SIZE, dim=1)
    zero = scales_and_zeros[..., 1].float().t().repeat_interleave(int4.GROUP_SIZE, dim=1)
    assert ((got - want).abs() <= BF16_RELATIVE * (zero.abs() + 8 * step) + 1e-6).all()
    assert source.groups("model.layers.0.mlp.gate_proj.weight") is None  # float32 in the file
    assert source.groups("model.layers.0.mlp.down_proj.weight") is None  # not in the file


def test_without_the_part_packages_the_decoding_weights_are_rounded_instead(tmp_path: Path) -> None:
    from studylog.rag.catalogue import ModelEntry
    from studylog.rag.loading import q4k_source

    entry = ModelEntry(key="gone", label="gone", repo_or_source="test", params="1", size_bytes=10,
                       sha256="0" * 64, packages=["studylog-no-such-part==1.0"])
    assert entry.bundled
    with pytest.warns(UserWarning, match="rounded from the float weights"), q4k_source(entry, tmp_path) as q4k:
        assert q4k is None
    assert not list(tmp_path.iterdir())  # its temp folder is gone


@pytest.mark.parametrize("rows", [2, 4, 8])
def test_a_steps_few_query_rows_match_sdpa_with_the_causal_mask(rows) -> None:
    """A decoding step with drafts: the last `rows` positions, causal among themselves, given as
    transformers' bool mask or no mask at all."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    torch.manual_seed(3)
    query, key, value = torch.randn(1, 12, rows, 64), torch.randn(1, 2, 50, 64), torch.randn(1, 2, 50, 64)
    causal = torch.ones(rows, 50, dtype=torch.bool).tril(50 - rows)[None, None]
    module = torch.nn.Module()
    module.is_causal, module.num_key_value_groups = True, 6
    want, _ = sdpa_attention_forward(module, query, key, value, causal, scaling=0.125)
    for mask in (causal, None):
        got, _ = decode_attention_forward(module, query, key, value, mask, scaling=0.125)
        assert got.shape == want.shape == (1, rows, 12, 64)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)  # float32 sums in another order
