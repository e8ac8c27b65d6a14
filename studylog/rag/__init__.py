"""The answering model: catalogue, bundled weights, device choice and loading.

The catalogue and weights helpers import no torch, so settings screens can list models
cheaply; `device` and `loading` (torch, transformers) load on first use of their names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from studylog.rag.catalogue import (
    CATALOGUE,
    ModelEntry,
    ModelNotFoundError,
    get_entry,
    install_hint,
    is_installed,
    resolve_model,
)
from studylog.rag.weights import ModelError, Progress, WeightsError, join_parts, locate_parts

if TYPE_CHECKING:
    from studylog.rag.device import DeviceChoice, DeviceError, pick_device
    from studylog.rag.loading import (
        LoadedModel,
        ModelLoadError,
        load_model,
        prepare_model,
        quantize_int8_except_down_proj,
    )

_LAZY = {
    "DeviceChoice": "studylog.rag.device",
    "DeviceError": "studylog.rag.device",
    "pick_device": "studylog.rag.device",
    "LoadedModel": "studylog.rag.loading",
    "ModelLoadError": "studylog.rag.loading",
    "load_model": "studylog.rag.loading",
    "prepare_model": "studylog.rag.loading",
    "quantize_int8_except_down_proj": "studylog.rag.loading",
}

__all__ = [
    "CATALOGUE",
    "DeviceChoice",
    "DeviceError",
    "LoadedModel",
    "ModelEntry",
    "ModelError",
    "ModelLoadError",
    "ModelNotFoundError",
    "Progress",
    "WeightsError",
    "get_entry",
    "install_hint",
    "is_installed",
    "join_parts",
    "load_model",
    "locate_parts",
    "pick_device",
    "prepare_model",
    "quantize_int8_except_down_proj",
    "resolve_model",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
