"""int8-per-token: exact integer sums, token independence, the stored copy, and loading."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from torch import nn

from studylog.rag import int8
from studylog.rag.int8 import Int8GroupedLinear, Int8Linear, quantize_int8_per_token
from studylog.rag.loading import load_model

COSINE_MIN = 0.999
"""How close an int8-per-token MLP's output must stay to float32's (cosine similarity). Each
weight is rounded to 1/126 of its row's largest magnitude and each activation to 1/254 of its
token's, errors that are independent across the sum's terms and so largely cancel: measured
0.99997 on the tiny model; 0.999 still fails any wrong scale, transpose or saturation, which
give cosines far below 0.9."""


def _mlp_input(hidden_size: int) -> torch.Tensor:
    torch.manual_seed(3)
    hidden = torch.randn(7, hidden_size) * 3
    hidden[2, 1] = 400.0  # an outlier in one token
    return hidden


def test_int_mm_is_exact_at_the_weight_range_we_use() -> None:
    """Worst case for a saturating int16 pair sum: every activation ±127, every weight ±63, at
    the 1.5B's widest Linear (8960 inputs). Exact on every CPU, including forced AVX2
    (`make test-avx2`), where full-range weights are not (tests/rag/test_cpu_kernels.py)."""
    k = 8960
    activations = torch.full((3, k), 127, dtype=torch.int8)
    activations[1, ::2] = -127
    weights = torch.full((16, k), int8.PER_TOKEN_WEIGHT_MAX, dtype=torch.int8)
    weights[::2, 1::2] = -int8.PER_TOKEN_WEIGHT_MAX
    summed = torch._int_mm(activations, weights.t())
    exact = activations.double() @ weights.double().t()
    assert torch.equal(summed.double(), exact)


@pytest.mark.parametrize("kind", [Int8Linear, Int8GroupedLinear])
def test_a_tokens_output_never_depends_on_the_other_tokens(tiny_model, kind) -> None:
    """Bit for bit, with an outlier token beside the others: scales per token (per group of
    channels) and exact int32 sums leave nothing for the other rows to change."""
    linear = tiny_model.model.model.layers[0].mlp.down_proj
    module = kind.from_linear(linear)
    hidden = _mlp_input(linear.in_features)
    with torch.no_grad():
        together = module(hidden)
        alone = torch.cat([module(hidden[i : i + 1]) for i in range(len(hidden))])
    assert torch.equal(together, alone)


def test_the_quantised_mlp_stays_close_to_float32(tiny_model) -> None:
    model = copy.deepcopy(tiny_model.model).float().eval()
    reference = model.model.layers[0].mlp
    quantised = quantize_int8_per_token(copy.deepcopy(model)).model.layers[0].mlp
    assert isinstance(quantised.up_proj, Int8Linear)
    assert isinstance(quantised.down_proj, Int8GroupedLinear)
    hidden = _mlp_input(model.config.hidden_size)
    with torch.no_grad():
        want, got = reference(hidden), quantised(hidden)
    cosine = torch.nn.functional.cosine_similarity(want, got, dim=-1)
    assert cosine.min() >= COSINE_MIN, cosine


def test_whole_model_quantised_every_linear_and_is_token_independent(tiny_model) -> None:
    """The logits of a sequence in one pass equal those computed one token at a time with the
    KV cache, to float32 rounding of the attention alone: the Linears add nothing."""
    model = quantize_int8_per_token(copy.deepcopy(tiny_model.model).half().eval())
    assert not any(isinstance(m, nn.Linear) for m in model.modules())
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    ids = torch.tensor([[5, 9, 14, 3, 27, 8, 41, 2]])
    with torch.no_grad():
        one_pass = model(ids).logits[0]
        cache, steps = None, []
        for position in range(ids.shape[1]):
            out = model(ids[:, position : position + 1], past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            steps.append(out.logits[0, -1])
    # Attention's softmax and weighted sums are float32 reductions over a different number of
    # keys per call: ~1e-7 relative; int8 coupling would move logits by quantisation steps
    # (1e-2 relative).
    torch.testing.assert_close(torch.stack(steps), one_pass, rtol=1e-5, atol=1e-5)


def test_stored_copy_loads_bit_identical_and_is_rebuilt_when_the_source_changes(
    tiny_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers import AutoModelForCausalLM

    source = tmp_path / "source"
    copy.deepcopy(tiny_model.model).half().save_pretrained(source)
    # As load_model does: float16 from the folder (rotary frequencies computed in float32).
    model = AutoModelForCausalLM.from_pretrained(source, dtype="auto")
    model = quantize_int8_per_token(model.eval())
    stored = int8.cache_folder(tmp_path / "cache", source)
    int8.save_quantized(model, stored, source)
    assert int8.is_cached(stored, source)
    monkeypatch.setattr(int8, "_LOAD_BATCH_BYTES", 4096)  # the file opened again and again
    loaded = int8.load_quantized(stored)
    ids = torch.tensor([[5, 9, 14, 3, 27]])
    with torch.no_grad():
        assert torch.equal(loaded(ids).logits, model(ids).logits)
    # The embedding table stays float16 in memory (half the bytes) and its rows are float32.
    embedding = loaded.get_input_embeddings()
    assert isinstance(embedding, int8.HalfEmbedding) and embedding.weight.dtype == torch.float16
    assert embedding(ids).dtype == torch.float32
    assert not list(stored.parent.glob(".*tmp-*"))  # no temp folder left behind

    (source / "config.json").write_text((source / "config.json").read_text() + "\n")
    assert not int8.is_cached(stored, source)


def test_load_model_quantises_once_then_reads_the_stored_copy(
    tiny_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "models"
    stages: list[str] = []
    first = load_model(
        str(tiny_model.folder), cache, device="cpu", precision="int8-per-token",
        progress=lambda stage, fraction: stages.append(stage),
    )
    assert "quantising" in stages
    assert first.precision == "int8-per-token"

    def refuse(model):
        raise AssertionError("quantised again although a stored copy exists")

    monkeypatch.setattr(int8, "quantize_int8_per_token", refuse)
    second = load_model(str(tiny_model.folder), cache, device="cpu", precision="int8-per-token")
    ids = first.tokenizer("I studied attention", return_tensors="pt").input_ids
    with torch.no_grad():
        assert torch.equal(first.model(ids).logits, second.model(ids).logits)
    generated = second.model.generate(ids, max_new_tokens=4, do_sample=False)
    assert generated.shape[1] == ids.shape[1] + 4


def test_a_damaged_stored_copy_is_rebuilt_from_the_source(tiny_model, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    first = load_model(str(tiny_model.folder), cache, device="cpu", precision="int8-per-token")
    stored = int8.cache_folder(cache, tiny_model.folder)
    (stored / "model.safetensors").write_bytes(b"not safetensors")
    stages: list[str] = []
    again = load_model(
        str(tiny_model.folder), cache, device="cpu", precision="int8-per-token",
        progress=lambda stage, fraction: stages.append(stage),
    )
    assert "quantising" in stages
    ids = torch.tensor([[5, 9, 14, 3, 27]])
    with torch.no_grad():
        assert torch.equal(again.model(ids).logits, first.model(ids).logits)
    assert int8.is_cached(stored, tiny_model.folder)


def test_a_killed_quantisations_temp_folder_is_removed_by_the_next_one(tiny_model, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    stored = int8.cache_folder(cache, tiny_model.folder)
    stored.parent.mkdir(parents=True)
    abandoned = stored.parent / f".{stored.name}.tmp-999999999"  # no such process
    abandoned.mkdir()
    (abandoned / "model.safetensors").write_bytes(b"half written")
    load_model(str(tiny_model.folder), cache, device="cpu", precision="int8-per-token")
    assert not abandoned.exists() and int8.is_cached(stored, tiny_model.folder)
