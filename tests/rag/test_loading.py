from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch import nn
from torch.ao.nn.quantized.dynamic import Linear as DynamicQuantizedLinear
from transformers import PreTrainedModel

from studylog.rag import loading
from studylog.rag.catalogue import ModelEntry, ModelNotFoundError
from studylog.rag.device import DeviceError
from studylog.rag.loading import (
    MARKER,
    is_converted,
    load_model,
    prepare_model,
    quantize_int8_except_down_proj,
)
from studylog.rag.weights import WeightsError

PROMPT = "I studied attention"


@pytest.fixture
def bundled(tiny_model, make_part_packages) -> ModelEntry:
    """The tiny GGUF split over three fake part packages, as a catalogue entry."""
    blob = tiny_model.gguf_path.read_bytes()
    third = len(blob) // 3
    requirements = make_part_packages(
        "tiny-part", [blob[:third], blob[third : 2 * third], blob[2 * third :]]
    )
    return ModelEntry(
        key="tiny-qwen2",
        label="Tiny Qwen2 (bundled)",
        repo_or_source="test",
        params="0.1M",
        size_bytes=len(blob),
        sha256=hashlib.sha256(blob).hexdigest(),
        packages=requirements,
    )


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """The model cache dir (created by the code under test, not here)."""
    return tmp_path / "models"


def _contents(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _logits(model: nn.Module, tokenizer) -> torch.Tensor:
    ids = tokenizer(PROMPT, return_tensors="pt").input_ids
    with torch.no_grad():
        return model(ids).logits.float()


def _reference(tiny_model, tokenizer) -> torch.Tensor:
    return _logits(tiny_model.model, tokenizer)


def test_bundled_gguf_is_converted_once_and_loads_like_the_original(
    tiny_model, bundled: ModelEntry, cache: Path, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    stages: list[str] = []
    folder = prepare_model(bundled, cache, lambda stage, fraction: stages.append(stage))
    assert folder == cache / "tiny-qwen2"
    assert is_converted(folder, bundled.sha256)
    assert {"model.safetensors", "config.json", "tokenizer.json", MARKER} <= {
        p.name for p in folder.iterdir()
    }
    assert not list(folder.glob("*.gguf")) and [p.name for p in cache.iterdir()] == ["tiny-qwen2"]
    assert json.loads((folder / MARKER).read_text())["source_sha256"] == bundled.sha256
    assert {"joining", "converting", "saving"} <= set(stages)

    def no_second_conversion(*args: object) -> None:
        raise AssertionError("converted twice")

    monkeypatch.setattr(loading, "_convert_gguf", no_second_conversion)
    loaded = load_model(bundled, cache, device="cpu", precision="fp32")
    assert (loaded.device, loaded.dtype, loaded.precision) == ("cpu", torch.float32, "fp32")
    assert next(loaded.model.parameters()).dtype == torch.float32
    assert loaded.tokenizer.chat_template and loaded.messages == []
    # The GGUF was F32; the cache keeps float16, so agreement is to float16 precision.
    reference = _reference(tiny_model, loaded.tokenizer)
    torch.testing.assert_close(
        _logits(loaded.model, loaded.tokenizer), reference, atol=2e-3, rtol=0
    )


def test_folder_without_marker_is_deleted_and_rebuilt(bundled: ModelEntry, cache: Path) -> None:
    stale = cache / "tiny-qwen2"
    stale.mkdir(parents=True)
    (stale / "config.json").write_text("{half written")
    folder = prepare_model(bundled, cache)
    assert is_converted(folder, bundled.sha256)
    assert json.loads((folder / "config.json").read_text())["model_type"] == "qwen2"


def test_marker_of_another_release_is_not_trusted(bundled: ModelEntry, cache: Path) -> None:
    folder = prepare_model(bundled, cache)
    marker = json.loads((folder / MARKER).read_text())
    (folder / MARKER).write_text(json.dumps({**marker, "source_sha256": "f" * 64}))
    assert not is_converted(folder, bundled.sha256)
    (folder / MARKER).write_text(json.dumps({**marker, "transformers": "4.57.0"}))
    assert not is_converted(folder, bundled.sha256)
    assert is_converted(prepare_model(bundled, cache), bundled.sha256)


def test_interrupted_conversion_leaves_nothing_trusted(
    bundled: ModelEntry, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(gguf: Path, out: Path, progress: object) -> None:
        (out / "config.json").write_text("{}")
        raise KeyboardInterrupt

    abandoned = cache / ".tiny-qwen2.tmp-999999999"  # no such process: a crashed run
    abandoned.mkdir(parents=True)
    monkeypatch.setattr(loading, "_convert_gguf", crash)
    with pytest.raises(KeyboardInterrupt):
        prepare_model(bundled, cache)
    assert _contents(cache) == []


def test_conversion_without_enough_free_memory_is_refused_before_any_work(
    bundled: ModelEntry, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need = loading.CONVERSION_MEMORY_PER_GGUF_BYTE * bundled.size_bytes
    monkeypatch.setattr(
        loading.psutil, "virtual_memory", lambda: SimpleNamespace(available=int(need) - 1)
    )
    with pytest.raises(loading.NotEnoughMemoryError, match="Close other programs") as caught:
        prepare_model(bundled, cache)
    assert "qwen2.5-coder-0.5b" in str(caught.value)
    assert _contents(cache) == []


def test_corrupt_parts_are_refused_before_conversion(bundled: ModelEntry, cache: Path) -> None:
    wrong = dataclasses.replace(bundled, sha256="0" * 64)
    with pytest.raises(WeightsError, match=f"expected {'0' * 64}"):
        prepare_model(wrong, cache)
    assert _contents(cache) == []


def test_local_folder_loads_without_conversion(tiny_model, cache: Path) -> None:
    loaded = load_model(str(tiny_model.folder), cache, device="cpu", precision="fp32")
    assert not cache.exists()
    assert loaded.attn_implementation == "sdpa" == loaded.model.config._attn_implementation
    torch.testing.assert_close(
        _logits(loaded.model, loaded.tokenizer), _reference(tiny_model, loaded.tokenizer)
    )
    prompt = loaded.tokenizer.apply_chat_template(
        [{"role": "user", "content": "what did I study?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = loaded.model.generate(**prompt, max_new_tokens=3, do_sample=False)
    assert out.shape[1] == prompt["input_ids"].shape[1] + 3
    loaded.set_attn_implementation("eager")
    assert loaded.model.config._attn_implementation == "eager" == loaded.attn_implementation


def test_cpu_bf16(tiny_model, cache: Path) -> None:
    loaded = load_model(str(tiny_model.folder), cache, device="cpu", precision="bf16")
    assert loaded.dtype == torch.bfloat16 == next(loaded.model.parameters()).dtype


def test_int8_dynamic_keeps_down_proj_full_precision(tiny_model, cache: Path) -> None:
    loaded = load_model(str(tiny_model.folder), cache, device="cpu", precision="int8-dynamic")
    layer = loaded.model.model.layers[0]
    assert type(layer.mlp.down_proj) is nn.Linear
    for module in (
        layer.mlp.up_proj,
        layer.mlp.gate_proj,
        layer.self_attn.q_proj,
        loaded.model.lm_head,
    ):
        assert isinstance(module, DynamicQuantizedLinear)
    ids = loaded.tokenizer(PROMPT, return_tensors="pt").input_ids
    assert (
        loaded.model.generate(ids, max_new_tokens=2, do_sample=False).shape[1] == ids.shape[1] + 2
    )


def test_layer_by_layer_int8_equals_torchs_quantize_dynamic(tiny_model) -> None:
    """The staged swap (one Linear widened and quantised at a time) is torch's own result."""
    from torch.ao.quantization import quantize_dynamic

    ids = torch.tensor([[5, 9, 14, 3, 27, 8]])
    reference = copy.deepcopy(tiny_model.model).float().eval()
    targets = {
        name
        for name, module in reference.named_modules()
        if isinstance(module, nn.Linear) and not name.endswith("down_proj")
    }
    quantize_dynamic(reference, targets, dtype=torch.qint8, inplace=True)
    staged = quantize_int8_except_down_proj(copy.deepcopy(tiny_model.model).float().eval())
    with torch.no_grad():
        torch.testing.assert_close(staged(ids).logits, reference(ids).logits, rtol=0, atol=0)

    # From float16 (the converted cache's dtype) every remaining float parameter is float32.
    from_half = quantize_int8_except_down_proj(copy.deepcopy(tiny_model.model).half().eval())
    assert {p.dtype for p in from_half.parameters()} == {torch.float32}
    with torch.no_grad():
        assert torch.isfinite(from_half(ids).logits).all()


FP16_WEIGHTS_NEIGHBOUR_RTOL = 1e-5
"""How far a token's fp16-weights output may move with the other tokens of the call, relative to
the output's largest magnitude. fbgemm's AVX-512 fp16 kernels give bit-identical rows, but its
AVX2 kernels (the only ones on an AVX2-only CPU; forced here with FBGEMM_ENABLE_INSTRUCTIONS=AVX2)
block rows by how many there are, which reorders the float32 accumulation of each dot product.
Reordering a K-term float32 sum moves it by up to ~K * 2**-24 of its size: 64 * 6e-8 = 3.8e-6
for the tiny MLP's widest sum (measured 2.3e-7 with AVX2 kernels, 0 with AVX-512). int8-dynamic's
per-call activation scale moves it by a quantisation step of the outlier token instead, orders
of magnitude more (`INT8_NEIGHBOUR_MIN_RTOL`)."""
INT8_NEIGHBOUR_MIN_RTOL = 1e-3
"""int8-dynamic: one token's outlier (400 among values of ~3) sets the whole call's activation
scale (400/127 ~ 3 per step), so the other tokens lose most of their precision: measured 0.35
relative on both kernel sets; anything 100x above float rounding shows the coupling."""


def test_fp16_weights_equal_torchs_fp16_dynamic_and_stay_token_independent_to_float_rounding(
    tiny_model,
) -> None:
    """fp16-weights: every Linear swapped (down_proj too) and torch's own result, bit for bit
    (same fbgemm kernel on both sides, whatever the CPU). A token's output depends on the other
    tokens in the call only at float32 rounding (`FP16_WEIGHTS_NEIGHBOUR_RTOL`), unlike
    int8-dynamic, whose one activation scale per call couples them by far more."""
    from torch.ao.quantization import quantize_dynamic

    from studylog.rag.loading import quantize_fp16_weights

    ids = torch.tensor([[5, 9, 14, 3, 27, 8, 41, 2]])
    # From the same float16 values (the converted cache's), widened once.
    reference = copy.deepcopy(tiny_model.model).half().float().eval()
    quantize_dynamic(reference, {nn.Linear}, dtype=torch.float16, inplace=True)
    swapped = quantize_fp16_weights(copy.deepcopy(tiny_model.model).half().eval())
    layer = swapped.model.layers[0]
    for module in (layer.mlp.down_proj, layer.mlp.up_proj, layer.self_attn.q_proj):
        assert isinstance(module, DynamicQuantizedLinear)
    assert {p.dtype for p in swapped.parameters()} == {torch.float32}
    with torch.no_grad():
        # Exact: both sides run the same fbgemm kernel on the same rows in the same order.
        torch.testing.assert_close(swapped(ids).logits, reference(ids).logits, rtol=0, atol=0)

    hidden = torch.randn(7, tiny_model.model.config.hidden_size) * 3
    hidden[2, 1] = 400.0  # an outlier in one token
    moved = {}
    for make in (quantize_fp16_weights, quantize_int8_except_down_proj):
        mlp = make(copy.deepcopy(tiny_model.model).float().eval()).model.layers[0].mlp
        with torch.no_grad():
            together = mlp(hidden)
            alone = torch.cat([mlp(hidden[i : i + 1]) for i in range(len(hidden))])
        others = [i for i in range(len(hidden)) if i != 2]  # the tokens beside the outlier
        moved[make.__name__] = float(
            (together[others] - alone[others]).abs().max() / together[others].abs().max()
        )
    assert moved["quantize_fp16_weights"] <= FP16_WEIGHTS_NEIGHBOUR_RTOL, moved
    assert moved["quantize_int8_except_down_proj"] >= INT8_NEIGHBOUR_MIN_RTOL, moved


def test_quantize_helper_on_a_plain_module() -> None:
    model = nn.ModuleDict({"up_proj": nn.Linear(4, 4), "down_proj": nn.Linear(4, 4)})
    quantize_int8_except_down_proj(model)
    assert isinstance(model["up_proj"], DynamicQuantizedLinear)
    assert type(model["down_proj"]) is nn.Linear


def test_cuda_out_of_memory_falls_back_to_cpu(
    tiny_model, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    original_to = PreTrainedModel.to

    def to(self: PreTrainedModel, *args: object, **kwargs: object) -> PreTrainedModel:
        if "cuda" in str(args[:1]) + str(kwargs.get("device")):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return original_to(self, *args, **kwargs)

    monkeypatch.setattr(PreTrainedModel, "to", to)
    loaded = load_model(str(tiny_model.folder), cache, device="auto")
    # The CPU's own default precision, not the GPU's.
    assert (loaded.device, loaded.dtype, loaded.precision) == ("cpu", torch.float32, "int8-per-token")
    assert not any(isinstance(m, nn.Linear) for m in loaded.model.modules())  # really int8
    assert next(loaded.model.parameters()).dtype == torch.float32
    assert any("Not enough GPU memory" in message for message in loaded.messages)


def test_local_folder_without_tokenizer_fails_clearly(
    tiny_model, tmp_path: Path, cache: Path
) -> None:
    folder = tmp_path / "no-tokenizer"
    folder.mkdir()
    shutil.copy(tiny_model.folder / "config.json", folder)
    with pytest.raises(ModelNotFoundError, match="no tokenizer files"):
        load_model(str(folder), cache)


def test_offline_hub_id_fails_fast(hf_cache: Path, no_network: None, cache: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(ModelNotFoundError, match="not in the local Hugging Face cache"):
        load_model("someone/not-downloaded", cache)
    assert time.perf_counter() - started < 2


def test_cached_hub_id_loads_offline(
    tiny_model, hf_cache: Path, no_network: None, cache: Path
) -> None:
    repo = hf_cache / "models--someone--tiny-qwen2"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(tiny_model.folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    loaded = load_model("someone/tiny-qwen2", cache, device="cpu")
    assert loaded.name == "someone/tiny-qwen2"
    assert prepare_model("someone/tiny-qwen2", cache) == repo / "snapshots" / commit


def test_bad_device_fails_before_any_work(bundled: ModelEntry, cache: Path) -> None:
    with pytest.raises(DeviceError):
        load_model(bundled, cache, device="gpu")
    assert _contents(cache) == []


def test_a_live_conversion_elsewhere_is_left_alone(bundled: ModelEntry, cache: Path) -> None:
    parent = os.getppid()  # alive for the whole test, and not us
    other = cache / f".tiny-qwen2.tmp-{parent}"
    other.mkdir(parents=True)
    prepare_model(bundled, cache)
    assert other.is_dir()
