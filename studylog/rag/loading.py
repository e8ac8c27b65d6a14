"""Turn a catalogue key, model folder or hub id into a model and tokenizer on the chosen device.

transformers dequantises a GGUF on every load (30-90 s), so a bundled GGUF is converted once
into a cached folder: float16 safetensors, config, tokenizer and chat template. float16 halves
the disk of float32 and keeps the dequantised Q4/Q5/Q6/Q8 weights to within far less than
their quantisation step (bfloat16 would not: 8 mantissa bits). Later loads read that folder in
seconds and cast to the device's dtype. The conversion is crash-safe: it is built in a temp
folder, the completion marker is written last, then the folder is renamed into place, and a
folder without a valid marker is deleted and rebuilt, never loaded.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import shutil
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil
import torch
import transformers
from torch import nn
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from studylog.notes.atomic import atomic_write_text
from studylog.rag import decode_attention, int4, int8
from studylog.rag.catalogue import ModelEntry, ModelNotFoundError, check_model_folder, resolve_model
from studylog.rag.device import QUANTISED, DeviceChoice, pick_device
from studylog.rag.weights import ModelError, Progress, join_parts, locate_parts

MARKER = "studylog-converted.json"
#: Safetensors, configs and tokenizer files only: no pickled weights are fetched or unpickled.
_HUB_FILES = ["*.json", "*.safetensors", "*.txt", "*.jinja", "*.model", "*.tiktoken"]


class ModelLoadError(ModelError):
    """A model folder exists but transformers cannot build a model or tokenizer from it."""


class NotEnoughMemoryError(ModelLoadError):
    """Too little free memory to convert a bundled model now; nothing was written."""


CONVERSION_MEMORY_PER_GGUF_BYTE = 4.1
"""Peak memory of converting a Q4_K_M GGUF, per byte of the file: measured 4.3 GB of anonymous
memory for the 1.07 GB Qwen2.5-Coder-1.5B (the dequantised float16 tensors plus the model)."""


def _check_memory_for_conversion(entry: ModelEntry) -> None:
    """Refuse clearly, before any work, when the conversion would not fit in free memory
    (swapping for minutes or being killed by the kernel is what would happen instead)."""
    need = CONVERSION_MEMORY_PER_GGUF_BYTE * (entry.size_bytes or 0)
    free = psutil.virtual_memory().available
    if free < need:
        raise NotEnoughMemoryError(
            f"preparing {entry.key} for its first use needs about {need / 2**30:.1f} GB of free "
            f"memory, and {free / 2**30:.1f} GB is free. Close other programs and try again, or "
            "choose a smaller model in Settings (qwen2.5-coder-0.5b)."
        )


@dataclass
class LoadedModel:
    """A ready generator. `load_seconds` is the wall time of `load_model`, conversion included."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    name: str
    device: str
    dtype: torch.dtype
    precision: str
    load_seconds: float
    messages: list[str] = field(default_factory=list)
    attn_implementation: str = "sdpa"

    def set_attn_implementation(self, implementation: str) -> None:
        """Switch attention in place: "eager" can return attention weights, "sdpa" is faster."""
        self.model.set_attn_implementation(implementation)
        self.attn_implementation = implementation


def _no_progress(stage: str, fraction: float | None) -> None:
    """Default progress sink."""


def _major(version: str) -> str:
    return version.split(".", 1)[0]


def is_converted(folder: Path, source_sha256: str) -> bool:
    """Whether `folder` is a finished conversion of that GGUF, saved by this transformers major.

    Configs are not portable across transformers majors (4.x -> 5.x renamed keys), so a folder
    from another major is rebuilt rather than risked.
    """
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    same_major = _major(str(marker.get("transformers", ""))) == _major(md.version("transformers"))
    return marker.get("source_sha256") == source_sha256 and same_major


def _remove_abandoned_work(cache_dir: Path, key: str) -> None:
    """Delete temp folders of conversions whose process is gone (or is us, from a failed try)."""
    for work in cache_dir.glob(f".{key}.tmp-*"):
        pid = work.name.rpartition("-")[2]
        if not pid.isdigit() or int(pid) == os.getpid() or not psutil.pid_exists(int(pid)):
            shutil.rmtree(work, ignore_errors=True)


def _dense_gguf_kwargs() -> dict[str, object]:
    """Ask for plain dense weights: recent transformers keep GGUF blocks packed, unsaveable."""
    gguf_config = getattr(transformers, "GgufConfig", None)
    return {} if gguf_config is None else {"quantization_config": gguf_config(dequantize=True)}


def _convert_gguf(gguf: Path, out: Path, progress: Progress) -> None:
    progress("converting", None)
    tokenizer = AutoTokenizer.from_pretrained(
        gguf.parent, gguf_file=gguf.name, local_files_only=True
    )
    with _converter_reports_to(progress):
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent,
            gguf_file=gguf.name,
            dtype=torch.float16,
            local_files_only=True,
            **_dense_gguf_kwargs(),
        )
    progress("saving", None)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


@contextmanager
def _converter_reports_to(progress: Progress) -> Iterator[None]:
    """transformers' GGUF converter draws its own tqdm bar over the tensors on stderr; for the
    duration, its loop reports `("converting", done / total)` to `progress` instead, silently.

    Patched where the converter looks it up (its module's `tqdm` name); a transformers without
    that module or name converts as before, with whatever bar it draws.
    """
    try:
        import transformers.modeling_gguf_pytorch_utils as converter
    except ImportError:
        yield
        return
    if not hasattr(converter, "tqdm"):
        yield
        return

    def reporting(iterable, *args, **kwargs):
        items = list(iterable)
        for done, item in enumerate(items):
            progress("converting", done / max(len(items), 1))
            yield item
        progress("converting", 1.0)

    saved = converter.tqdm
    converter.tqdm = reporting
    try:
        yield
    finally:
        converter.tqdm = saved


def _write_marker(folder: Path, source_sha256: str) -> None:
    """Flush every file to disk, then record completion: after a power cut, marker means data."""
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "r+b") as handle:
                os.fsync(handle.fileno())
    marker = {
        "source_sha256": source_sha256,
        "transformers": md.version("transformers"),
        "dtype": "float16",
        "converted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic_write_text(folder / MARKER, json.dumps(marker, indent=2))


def _converted(entry: ModelEntry, cache_dir: Path, progress: Progress) -> Path:
    """The cached dense folder of a bundled GGUF, building it first if needed."""
    if entry.size_bytes is None or entry.sha256 is None:
        raise ModelLoadError(
            f"{entry.key}: a bundled model needs size_bytes and sha256 to be verified"
        )
    folder = cache_dir / entry.key
    if is_converted(folder, entry.sha256):
        return folder
    cache_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_work(cache_dir, entry.key)
    if folder.exists():  # unfinished, or converted from another release: never trusted
        shutil.rmtree(folder)
    parts = locate_parts(entry.packages)
    _check_memory_for_conversion(entry)
    work = cache_dir / f".{entry.key}.tmp-{os.getpid()}"
    work.mkdir()
    try:
        # The joined GGUF lives inside the temp folder and is deleted before the rename: the
        # dense copy replaces it, and the installed parts can always rebuild it (~2 s).
        gguf = join_parts(parts, work / "source.gguf", entry.size_bytes, entry.sha256, progress)
        _convert_gguf(gguf, work, progress)
        gguf.unlink()
        _write_marker(work, entry.sha256)
        try:
            work.rename(folder)
        except OSError:
            if not is_converted(folder, entry.sha256):  # not a concurrent conversion that won
                raise
            shutil.rmtree(work)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return folder


def _hub_snapshot(repo_id: str, allow_network: bool, progress: Progress) -> Path:
    from huggingface_hub import snapshot_download

    if allow_network:
        progress("downloading", None)
    try:
        folder = Path(
            snapshot_download(
                repo_id, allow_patterns=_HUB_FILES, local_files_only=not allow_network
            )
        )
    except (OSError, ValueError) as exc:  # hub, cache and connection errors; bad repo ids
        where = "download" if allow_network else "find in the local Hugging Face cache"
        raise ModelNotFoundError(f"cannot {where} {repo_id}: {exc}") from exc
    check_model_folder(folder)
    return folder


def prepare_model(
    key_or_path: str | ModelEntry,
    cache_dir: Path,
    progress: Progress | None = None,
    allow_network: bool = False,
) -> Path:
    """A local folder `from_pretrained` can load: the one-time conversion of a bundled GGUF,
    the Hugging Face snapshot of a hub id, or the model folder itself."""
    progress = progress or _no_progress
    entry = (
        key_or_path
        if isinstance(key_or_path, ModelEntry)
        else resolve_model(key_or_path, allow_network)
    )
    if entry.bundled:
        return _converted(entry, Path(cache_dir), progress)
    if entry.requires_network:
        return _hub_snapshot(entry.repo_or_source, allow_network, progress)
    return Path(entry.repo_or_source)


def quantize_int8_except_down_proj(model: nn.Module) -> nn.Module:
    """Dynamic int8 (CPU) for every nn.Linear except the MLPs' `down_proj`, in place; every
    other float parameter ends up float32.

    `down_proj` reads the SwiGLU product, whose outlier activations a per-tensor int8 scale
    clips: quantising it too garbled answers (measured), while the other layers lose little.
    The activations are quantised too, with one scale per call: a token's output then depends
    on the other tokens in the same call, so a replay of prompt+answer in one pass is not the
    computation that generated the answer (attention captures differ from eager by up to 0.25).
    """
    from torch.ao.quantization import default_dynamic_qconfig

    targets = [
        name
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and not name.endswith("down_proj")
    ]
    return _swap_linears(model, targets, default_dynamic_qconfig)


def quantize_fp16_weights(model: nn.Module) -> nn.Module:
    """Every nn.Linear keeps float16 weights (fbgemm's fp16 GEMM, float32 activations and
    accumulation), in place; every other float parameter ends up float32.

    The converted cache *is* float16, so this computes what the float32 model computes, at half
    its memory and ~1.6x its decoding speed. A token's output depends on the other tokens of the
    call only at float32 rounding: bit for bit not at all with fbgemm's AVX-512 kernels, but its
    AVX2 kernels (AVX2-only CPUs) block rows by their count and so reorder each dot product's
    float32 sum (measured up to 3e-6 of the output's size on the 1.5B's Linear shapes). A one-pass
    replay of prompt+answer is therefore close to, not always bit-identical with, generation.
    """
    from torch.ao.quantization import float16_dynamic_qconfig

    targets = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    return _swap_linears(model, targets, float16_dynamic_qconfig)


def _swap_linears(model: nn.Module, targets: list[str], qconfig: object) -> nn.Module:
    """Swap each named Linear for torch's dynamic quantised Linear, one at a time.

    The model may arrive in float16 (the converted cache's own dtype): each Linear is widened to
    float32 and swapped alone, so a float32 copy of the whole model never exists (Qwen2.5-1.5B:
    anonymous-memory peak ~4 GB instead of >7). The result equals torch's `quantize_dynamic`
    over the float32 model.
    """
    from concurrent.futures import ThreadPoolExecutor

    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    def swap(name: str) -> None:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        linear = getattr(parent, child)
        linear.float()
        linear.qconfig = qconfig
        setattr(parent, child, DynamicLinear.from_float(linear))

    with warnings.catch_warnings():
        # torch.ao's eager quantisation is deprecated in favour of torchao, which is not a
        # dependency; it still works in torch 2.13 and its warnings would only alarm users.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*", category=UserWarning)
        # fbgemm packs one weight on one core (the 1.5B's fp16 weights: ~45 s in a row), so
        # the Linears are packed side by side, one per core; each holds only its own copy.
        with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
            list(pool.map(swap, targets))
    return model.float()  # embeddings, norms, unswapped Linears (packed weights are untouched)


@contextmanager
def q4k_source(entry: ModelEntry, cache_dir: Path) -> Iterator[int4.Q4KSource | None]:
    """A bundled model's GGUF, joined again for the duration (~2 s, deleted after), whose Q4_K
    groups become the 4-bit decoding weights as they are; None for any other model."""
    if not entry.bundled or entry.size_bytes is None or entry.sha256 is None:
        yield None
        return
    work = cache_dir / f".{entry.key}.tmp-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        try:
            gguf = join_parts(
                locate_parts(entry.packages), work / "source.gguf", entry.size_bytes, entry.sha256
            )
        except ModelError as exc:  # parts gone since the conversion: round the float weights
            warnings.warn(f"4-bit decoding weights rounded from the float weights: {exc}", stacklevel=3)
            yield None
            return
        source = int4.Q4KSource(gguf)
        yield source
        del source  # its reader maps the file
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _int8_per_token_model(
    folder: Path, cache_dir: Path, progress: Progress, entry: ModelEntry
) -> PreTrainedModel:
    """The int8-per-token model of `folder`: read from its stored copy (a few seconds), or
    quantised once from the float weights and stored (~30 s for the 1.5B on 2 cores); a bundled
    GGUF's Q4_K groups become its 4-bit decoding weights."""
    stored = int8.cache_folder(cache_dir, folder)
    if int8.is_cached(stored, folder):
        try:
            return decoding_ready(int8.load_quantized(stored))
        except Exception:  # noqa: BLE001 - our own cache, damaged (disk, editing): rebuild it
            shutil.rmtree(stored, ignore_errors=True)
    progress("quantising", None)
    _remove_abandoned_work(stored.parent, stored.name)  # 1.9 GB left by a killed quantisation
    int8.remove_superseded(stored)
    model = AutoModelForCausalLM.from_pretrained(
        folder, dtype="auto", attn_implementation="sdpa", local_files_only=True
    )
    with q4k_source(entry, cache_dir) as q4k:  # None unless a bundled GGUF
        int8.quantize_int8_per_token(model, q4k)
    try:
        int8.save_quantized(model, stored, folder)
    except OSError as exc:  # a full or read-only cache costs the next start time, not this answer
        warnings.warn(f"could not store the int8 model in {stored}: {exc}", stacklevel=2)
        return decoding_ready(model.eval())
    # Answer from the stored copy already, so the first start computes what every later one
    # does (and the float16 model's memory is freed).
    del model
    return decoding_ready(int8.load_quantized(stored))


def decoding_ready(model: PreTrainedModel) -> PreTrainedModel:
    """Single-query attention for decoding steps (`studylog.rag.decode_attention`); with the
    4-bit decoding weights it is what makes each answer token sooner."""
    name = decode_attention.register()
    for module in model.modules():  # the model's config and any sub-config its modules read
        config = getattr(module, "config", None)
        if isinstance(config, transformers.PretrainedConfig) and config._attn_implementation == "sdpa":
            config._attn_implementation = name
    return model


def _place(model: PreTrainedModel, choice: DeviceChoice, messages: list[str]) -> DeviceChoice:
    """Move the model to its device; on GPU out-of-memory fall back to the CPU and say so."""
    if choice.device == "cpu":
        return choice
    try:
        model.to(choice.device)
    except torch.OutOfMemoryError:
        cpu = pick_device("cpu")
        model.to(device="cpu", dtype=cpu.dtype)
        torch.cuda.empty_cache()
        messages.append(
            f"Not enough GPU memory on {choice.device} for this model; "
            f"it runs on the CPU ({cpu.precision}) instead, which is slower."
        )
        return DeviceChoice(
            cpu.device, cpu.dtype, cpu.precision, f"{choice.device} ran out of memory"
        )
    return choice


def load_model(
    key_or_path: str | ModelEntry,
    cache_dir: Path,
    device: str = "auto",
    precision: str | None = None,
    progress: Progress | None = None,
    allow_network: bool = False,
) -> LoadedModel:
    """Resolve, prepare (convert once if bundled) and load a generator ready for `generate`.

    Offline unless `allow_network`. Attention is "sdpa" for speed; switch with
    `LoadedModel.set_attn_implementation("eager")` to capture attention weights.
    Raises ModelError subclasses whose text says what to do.
    """
    started = time.perf_counter()
    progress = progress or _no_progress
    choice = pick_device(device, precision)
    entry = (
        key_or_path
        if isinstance(key_or_path, ModelEntry)
        else resolve_model(key_or_path, allow_network)
    )
    folder = prepare_model(entry, cache_dir, progress, allow_network)
    name = key_or_path.key if isinstance(key_or_path, ModelEntry) else key_or_path
    progress("loading", None)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        if choice.precision == "int8-per-token":
            model = _int8_per_token_model(folder, Path(cache_dir), progress, entry)
        else:
            model = AutoModelForCausalLM.from_pretrained(
                folder,
                # Quantised CPU precisions: load in the checkpoint's own dtype; the swap widens
                # layer by layer.
                dtype="auto" if choice.precision in QUANTISED else choice.dtype,
                attn_implementation="sdpa",
                local_files_only=True,
            )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelLoadError(f"cannot load {name} from {folder}: {exc}") from exc
    messages: list[str] = []
    choice = _place(model, choice, messages)
    if choice.precision == "int8-dynamic":
        quantize_int8_except_down_proj(model)
    elif choice.precision == "fp16-weights":
        quantize_fp16_weights(model)
    elif choice.precision == "int8-per-token" and any(
        isinstance(module, nn.Linear) for module in model.modules()
    ):  # a GPU that ran out of memory handed back a float model
        decoding_ready(int8.quantize_int8_per_token(model))
    model.eval()
    if not tokenizer.chat_template:
        messages.append(f"{name} has no chat template: questions are sent as plain text.")
    progress("loading", 1.0)
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        name=name,
        device=choice.device,
        dtype=choice.dtype,
        precision=choice.precision,
        load_seconds=time.perf_counter() - started,
        messages=messages,
        attn_implementation=model.config._attn_implementation or "sdpa",
    )
