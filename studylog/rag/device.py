"""Where the generator runs and in which precision: CUDA, then MPS, then CPU, unless overridden."""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from studylog.rag.weights import ModelError

#: Precisions each device type accepts; the first is the default (CUDA picks bf16 only where
#: the GPU supports it). CPU-only: "int8-per-token" (int8 weights, int8 activations with one
#: scale per token, int32 sums: fastest, and a token's output is independent of the others in
#: the call on any CPU; studylog.rag.int8), "fp16-weights" (float16 weights, float32 activations
#: and accumulation: the float32 model's arithmetic) and "int8-dynamic" (int8 weights and
#: per-call int8 activations: a token's output depends on the other tokens in the call, so the
#: attention panel's replay only approximates generation).
PRECISIONS: dict[str, tuple[str, ...]] = {
    "cuda": ("bf16", "fp16", "fp32"),
    "mps": ("fp16", "fp32"),
    "cpu": ("int8-per-token", "fp16-weights", "int8-dynamic", "fp32", "bf16"),
}
QUANTISED = frozenset({"int8-per-token", "fp16-weights", "int8-dynamic"})
CPU_PRECISIONS = PRECISIONS["cpu"]

_DTYPES = {
    "fp32": torch.float32,
    "fp16": torch.float16,
    "bf16": torch.bfloat16,
    "int8-dynamic": torch.float32,  # activations; the Linear layers' weights are int8
    "fp16-weights": torch.float32,  # activations; the Linear layers' weights are float16
    "int8-per-token": torch.float32,  # between Linears; inside them int8 (see studylog.rag.int8)
}
_DEVICE = re.compile(r"auto|cpu|mps|cuda(?::\d+)?")


class DeviceError(ModelError, ValueError):
    """The requested device or precision is unknown, or not available on this machine."""


@dataclass(frozen=True)
class DeviceChoice:
    device: str
    dtype: torch.dtype
    precision: str
    reason: str


def _default_precision(device_type: str) -> str:
    if device_type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return PRECISIONS[device_type][0]


def pick_device(requested: str = "auto", precision: str | None = None) -> DeviceChoice:
    """Resolve `"auto" | "cpu" | "cuda" | "cuda:N" | "mps"` and a precision to a concrete choice.

    An explicit device that is absent raises instead of silently running elsewhere: the user
    asked for it. `precision=None` takes the device's default (see PRECISIONS).
    """
    requested = requested.strip().lower()
    if not _DEVICE.fullmatch(requested):
        raise DeviceError(f"unknown device {requested!r}: use auto, cpu, cuda, cuda:N or mps")
    if requested == "auto":
        if torch.cuda.is_available():
            device, reason = "cuda", "auto: CUDA GPU available"
        elif torch.backends.mps.is_available():
            device, reason = "mps", "auto: Apple GPU (MPS) available"
        else:
            device, reason = "cpu", "auto: no GPU found"
    else:
        device, reason = requested, "requested"
    device_type = device.split(":")[0]
    if device_type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"{device} was requested but CUDA is not available here")
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise DeviceError(
                f"{device} was requested but only {torch.cuda.device_count()} GPU(s) exist"
            )
    elif device_type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError("mps was requested but the Apple GPU backend is not available here")
    precision = precision or _default_precision(device_type)
    if precision not in PRECISIONS[device_type]:
        raise DeviceError(
            f"precision {precision!r} is not available on {device_type}: "
            f"use one of {', '.join(PRECISIONS[device_type])}"
        )
    return DeviceChoice(device=device, dtype=_DTYPES[precision], precision=precision, reason=reason)
