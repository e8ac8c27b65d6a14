from __future__ import annotations

import pytest
import torch

from studylog.rag.device import CPU_PRECISIONS, DeviceError, pick_device


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch):
    """Pretend hardware: `machine(cuda=2, bf16=True, mps=False)`."""

    def set_up(cuda: int = 0, bf16: bool = True, mps: bool = False) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return set_up


def test_auto_prefers_cuda_in_bf16_where_supported(machine) -> None:
    machine(cuda=1, bf16=True, mps=True)
    choice = pick_device()
    assert (choice.device, choice.dtype, choice.precision) == ("cuda", torch.bfloat16, "bf16")
    assert "auto" in choice.reason


def test_auto_cuda_without_bf16_uses_fp16(machine) -> None:
    machine(cuda=1, bf16=False)
    assert pick_device("auto").dtype == torch.float16


def test_auto_falls_back_to_mps_then_cpu(machine) -> None:
    machine(mps=True)
    assert (pick_device().device, pick_device().dtype) == ("mps", torch.float16)
    machine()
    choice = pick_device()
    # int8 Linears with per-token scales, float32 between them: fastest, tokens independent.
    assert (choice.device, choice.dtype, choice.precision) == ("cpu", torch.float32, "int8-per-token")


def test_explicit_cpu_wins_over_an_available_gpu(machine) -> None:
    machine(cuda=1)
    assert pick_device("CPU").device == "cpu"


@pytest.mark.parametrize(
    ("precision", "dtype"),
    [
        ("fp32", torch.float32),
        ("fp16-weights", torch.float32),
        ("int8-dynamic", torch.float32),
        ("bf16", torch.bfloat16),
    ],
)
def test_cpu_precisions(machine, precision: str, dtype: torch.dtype) -> None:
    machine()
    assert precision in CPU_PRECISIONS
    choice = pick_device("cpu", precision)
    assert (choice.precision, choice.dtype) == (precision, dtype)


def test_cuda_index_is_checked(machine) -> None:
    machine(cuda=2)
    assert pick_device("cuda:1").device == "cuda:1"
    with pytest.raises(DeviceError, match="only 2 GPU"):
        pick_device("cuda:2")


@pytest.mark.parametrize("requested", ["cuda", "cuda:0", "mps"])
def test_absent_explicit_device_is_an_error(machine, requested: str) -> None:
    machine()
    with pytest.raises(DeviceError, match="not available"):
        pick_device(requested)


@pytest.mark.parametrize("requested", ["gpu", "cuda:x", "tpu", ""])
def test_unknown_device_is_a_value_error(machine, requested: str) -> None:
    machine()
    with pytest.raises(ValueError, match="unknown device"):
        pick_device(requested)


def test_precision_must_suit_the_device(machine) -> None:
    machine(cuda=1)
    with pytest.raises(DeviceError, match="int8-dynamic"):
        pick_device("cuda", "int8-dynamic")
    with pytest.raises(DeviceError, match="fp8"):
        pick_device("cpu", "fp8")
