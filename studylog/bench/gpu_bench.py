"""`studylog bench gpu`: the CUDA path end to end on an NVIDIA GPU, every figure from one command.

For each precision (float16, then bfloat16 where the GPU supports it; `--precisions` to choose),
through the service as the app runs it: load the generator (`--model`, default the bundled
1.5B; the first load converts the bundled GGUF, later ones read the cache), ask the Korean seed
question on the bundled fixtures vault through the real chain (retrieval, prompt, streamed
generation recording the answer's attention, citations, evidence, fallback), capture the
answer's attention as `studylog ask --attention` does (prompt x prompt replay, checked against
the recorded rows: `fidelity`), then time prefill and decoding alone on the answer's own prompt.
GPU timings are taken between `torch.cuda.synchronize()` calls; peak GPU memory (allocated and
reserved) is reset before, and read after, each phase (load, ask, capture, throughput).

On a machine with an NVIDIA GPU, in the repo root (the default install pins a CPU-only torch
where a local CPU wheel exists, as on our build machines; a CUDA build must be asked for, and
an existing `.venv` keeps whatever torch it has, hence `clean-venv`):

    make clean-venv
    make install TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cu130"
    .venv/bin/studylog bench gpu --json > gpu-bench.json

(pick the `cuXXX` index your driver supports; `.venv/bin/python -c "import torch;
print(torch.cuda.is_available())"` must print True). The JSON goes to stdout, a readable table
to stderr. Without a CUDA device the command refuses and says this; `--device cpu` runs the
same steps on the CPU (a dry run: the tests drive it with a tiny model).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import threading
import time
from pathlib import Path

from studylog.bench import bench_workspace
from studylog.bench.search_bench import TODAY

QUESTION = "어텐션에서 √d_k로 나누는 이유가 뭐였지?"
CUDA_INDEX_HINT = "https://download.pytorch.org/whl/cu130"


def _require_device(device: str) -> None:
    """Refuse, saying why and what to run, when `device` is a GPU this machine does not have."""
    import torch

    from studylog.rag.device import DeviceError, pick_device

    if not device.startswith("cuda"):
        if device != "cpu":
            raise DeviceError(f"bench gpu runs on cuda, cuda:N or (a dry run) cpu, not {device!r}")
        return
    if not torch.cuda.is_available():
        build = (f"this torch ({torch.__version__}) is a CPU-only build" if torch.version.cuda is None
                 else f"this torch ({torch.__version__}, CUDA {torch.version.cuda}) sees no GPU")
        raise DeviceError(
            f"no CUDA device was found: {build}. `studylog bench gpu` measures the CUDA path and "
            "needs an NVIDIA GPU with a CUDA build of torch; on such a machine run `make clean-venv && "
            f'make install TORCH_PIP_ARGS="--index-url {CUDA_INDEX_HINT}" && '
            "studylog bench gpu --json`. `--device cpu` runs the same steps on the CPU (a dry run)."
        )
    pick_device(device)  # cuda:N beyond the GPUs present raises its own clear error


def _default_precisions(device: str) -> list[str]:
    import torch

    if device.startswith("cuda"):
        return ["fp16", "bf16"] if torch.cuda.is_bf16_supported() else ["fp16"]
    from studylog.rag.device import pick_device

    return [pick_device(device).precision]


def _synchronize(device: str) -> None:
    """Wait for the GPU's queued kernels, so a timer read next includes them."""
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def _timed(device: str, work) -> float:
    """Seconds `work()` takes, the GPU synchronised before and after."""
    _synchronize(device)
    started = time.perf_counter()
    work()
    _synchronize(device)
    return time.perf_counter() - started


class _Phase:
    """Wall time of a block and, on CUDA, its peak GPU memory: the peak counters are reset on
    entry, and the GPU is synchronised on both sides so queued kernels are charged to the block."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.cuda = device.startswith("cuda")
        self.seconds = 0.0
        self.peak_allocated_mb: float | None = None
        self.peak_reserved_mb: float | None = None

    def __enter__(self) -> _Phase:
        import torch

        _synchronize(self.device)
        if self.cuda:
            torch.cuda.reset_peak_memory_stats(self.device)
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        import torch

        _synchronize(self.device)
        self.seconds = time.perf_counter() - self._started
        if self.cuda:
            self.peak_allocated_mb = round(torch.cuda.max_memory_allocated(self.device) / 2**20, 1)
            self.peak_reserved_mb = round(torch.cuda.max_memory_reserved(self.device) / 2**20, 1)

    def memory(self) -> dict:
        return {"allocated_mb": self.peak_allocated_mb, "reserved_mb": self.peak_reserved_mb}


def _environment(device: str) -> dict:
    import importlib.metadata as md

    import torch

    figures: dict = {
        "device": device,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if device.startswith("cuda") else None,
        "transformers": md.version("transformers"),
        "gpu": None,
    }
    if device.startswith("cuda"):
        props = torch.cuda.get_device_properties(device)
        figures["gpu"] = {
            "name": props.name,
            "compute_capability": f"{props.major}.{props.minor}",
            "memory_gb": round(props.total_memory / 1e9, 1),
            "bf16_supported": torch.cuda.is_bf16_supported(),
        }
    return figures


def _needs_conversion(settings) -> bool:
    """Whether loading `settings.generator` first converts a bundled GGUF (a first load)."""
    from studylog.rag.catalogue import resolve_model
    from studylog.rag.loading import is_converted

    entry = resolve_model(settings.generator, settings.allow_network)
    return entry.bundled and not is_converted(settings.model_cache_dir / entry.key, entry.sha256 or "")


def _ask(service) -> object:
    """The done event's Answer for QUESTION; an error event raises with its text."""
    for event in service.ask_stream(QUESTION, cancel=threading.Event(), today=TODAY):
        if event.kind == "error":
            raise RuntimeError(f"the chain failed: {event.text}")
        if event.kind == "done":
            return event.answer
    raise RuntimeError("the chain ended without an answer")


def _warm_up(loaded) -> None:
    """One short generation: the first after loading pays one-time kernel and allocator set-up
    (on a GPU, cuBLAS handles and autotuning) that would otherwise land in time to first token."""
    from studylog.rag.decoding import greedy_decode

    greedy_decode(loaded.model, loaded.tokenizer("warm-up")["input_ids"], 4)


def _throughput(loaded, prompt_ids: list[int], new_tokens: int, device: str) -> dict:
    """Prefill and decoding rates on `prompt_ids`, synchronised, best of two: the bare model's
    prefill, and the app's decoding loop (studylog.rag.decoding: prompt-lookup drafts, the app's
    end-of-turn ids held back until `new_tokens`)."""
    import torch

    from studylog.rag.decoding import greedy_decode
    from studylog.rag.generation import stop_ids_of

    model = loaded.model
    stop_ids = stop_ids_of(model, loaded.tokenizer)
    inputs = torch.tensor([prompt_ids], device=model.device)
    mask = torch.ones_like(inputs)

    def prefill() -> None:
        with torch.inference_mode():
            model(input_ids=inputs, attention_mask=mask, use_cache=True, logits_to_keep=1)

    def generate() -> None:
        greedy_decode(model, prompt_ids, new_tokens, min_new_tokens=new_tokens, stop_ids=stop_ids)

    with _Phase(device) as phase:
        prefill_s = min(_timed(device, prefill) for _ in range(2))
        generate_s = min(_timed(device, generate) for _ in range(2))
    # generate's prefill yields the first new token; the other new_tokens - 1 are decoding steps.
    decode_s = max(generate_s - prefill_s, 1e-9)
    return {
        "prompt_tokens": len(prompt_ids),
        "new_tokens": new_tokens,
        "prefill_seconds": round(prefill_s, 4),
        "prefill_tokens_per_s": round(len(prompt_ids) / prefill_s, 1),
        "decode_tokens_per_s": round((new_tokens - 1) / decode_s, 1),
        "generate_seconds": round(generate_s, 3),
        "peak_memory_mb": phase.memory(),
    }


def _attention(service, answer, device: str) -> tuple[dict, dict]:
    """The recorded rows' shape and the capture's fidelity, seconds and peak memory."""
    from studylog.attention.record import RECORDED

    if not answer.answer_token_ids:
        return {"recorded": False, "skipped": "the answer was not generated (declined)"}, {}
    recorded = RECORDED.get(answer.prompt_token_ids + answer.answer_token_ids)
    with _Phase(device) as phase:
        capture = service.capture_answer(answer)
    figures = {
        "recorded": recorded is not None,
        "recorded_rows_shape": list(recorded.shape) if recorded is not None else None,
        "recorded_rows_mb": round(recorded.nbytes / 2**20, 1) if recorded is not None else None,
        "fidelity": capture.fidelity.to_json(),
        "capture_tokens": len(capture.token_ids),
        "capture_seconds": round(phase.seconds, 3),
    }
    return figures, phase.memory()


def _precision_run(settings, vault: Path, embedder, device: str, new_tokens: int) -> dict:
    """Load, ask, capture and time one precision, through its own service; frees the model after."""
    import torch

    from studylog.service import StudyLogService

    service = StudyLogService(settings=settings, vault=vault, embedder=embedder)
    first_load = _needs_conversion(settings)
    with _Phase(device) as load:
        loaded = service.generator()
    _warm_up(loaded)
    with _Phase(device) as ask:
        answer = _ask(service)
    attention, capture_memory = _attention(service, answer, device)
    throughput = (_throughput(loaded, answer.prompt_token_ids, new_tokens, device)
                  if answer.prompt_token_ids else None)
    run = {
        "precision": loaded.precision,
        "dtype": str(loaded.dtype).removeprefix("torch."),
        "device": loaded.device,
        "messages": list(loaded.messages),
        "load_seconds": round(load.seconds, 2),
        "load": "first (converted the bundled model)" if first_load else "cached",
        "answer": {
            "text": answer.text,
            "cited_dates": sorted({s.date for s in answer.sources}),
            "evidence": len(answer.evidence),
            "fallback": answer.fallback,
            "fallback_reason": answer.fallback_reason,
            "declined": answer.declined,
            "prompt_tokens": answer.prompt_tokens,
            "new_tokens": answer.new_tokens,
            "seconds_to_first_token": round(answer.seconds_to_first_token, 3),
            "seconds": round(ask.seconds, 3),
        },
        "attention": attention,
        "throughput": throughput,
        "peak_memory_mb": {"load": load.memory(), "ask": ask.memory(), "capture": capture_memory},
    }
    del service, loaded, answer
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return run


def bench_gpu(args: argparse.Namespace) -> dict:
    from studylog.config import load_settings
    from studylog.search.tokenize import get_tokenizer
    from studylog.service import StudyLogService

    device = args.device or "cuda"
    _require_device(device)
    started = time.perf_counter()
    precisions = args.precisions.split(",") if args.precisions else _default_precisions(device)
    _, vault = bench_workspace(args, "gpu")
    settings = load_settings()  # STUDYLOG_* overrides apply, as in the app
    settings.device = device
    if args.model:
        settings.generator = args.model
    index_service = StudyLogService(settings=settings, vault=vault)
    with _Phase(device) as indexing:
        index_service.index()
    get_tokenizer("kiwi")  # loaded once here, not inside the first answer's time to first token
    figures: dict = {
        **_environment(device),
        "model": settings.generator,
        "question": QUESTION,
        "index_seconds": round(indexing.seconds, 1),
        "precisions": {},
    }
    for precision in precisions:
        run_settings = dataclasses.replace(settings, precision=precision)
        figures["precisions"][precision] = _precision_run(
            run_settings, vault, index_service.embedder, device, args.new_tokens)
    figures["bench_seconds"] = round(time.perf_counter() - started, 1)
    return figures


def _cell(value: object) -> str:
    return "-" if value is None else f"{value:.2g}" if isinstance(value, float) and value < 0.01 else str(value)


def summary(figures: dict) -> str:
    """The figures as a short table for people (the JSON holds everything)."""
    gpu = figures["gpu"]
    where = (f"{gpu['name']} (sm {gpu['compute_capability']}, {gpu['memory_gb']} GB)" if gpu
             else f"{figures['device']} (dry run, no GPU)")
    lines = [f"bench gpu: {figures['model']} on {where}; torch {figures['torch']}, CUDA {_cell(figures['cuda'])}",
             f"{'precision':<10}{'load s':>14}{'ttft s':>9}{'prefill tok/s':>15}{'decode tok/s':>14}"
             f"{'capture s':>11}{'peak GPU MB (load/ask/capture)':>33}"]
    for name, run in figures["precisions"].items():
        throughput = run["throughput"] or {}
        peaks = "/".join(_cell((run["peak_memory_mb"].get(phase) or {}).get("allocated_mb"))
                         for phase in ("load", "ask", "capture"))
        lines.append(
            f"{name:<10}{run['load_seconds']:>8} {'first' if run['load'].startswith('first') else 'cached':>5}"
            f"{run['answer']['seconds_to_first_token']:>9}{_cell(throughput.get('prefill_tokens_per_s')):>15}"
            f"{_cell(throughput.get('decode_tokens_per_s')):>14}{_cell(run['attention'].get('capture_seconds')):>11}"
            f"{peaks:>33}")
    for name, run in figures["precisions"].items():
        answer, attention = run["answer"], run["attention"]
        fidelity = attention.get("fidelity") or {}
        how = "fallback" if answer["fallback"] else "declined" if answer["declined"] else "generated"
        lines.append(f"{name}: {how}, cites {', '.join(answer['cited_dates']) or 'nothing'}, "
                     f"{answer['evidence']} evidence; attention {fidelity.get('method', 'none')} "
                     f"{attention.get('recorded_rows_shape')}, replay differs by "
                     f"{_cell(fidelity.get('replay_max_abs_diff'))}")
        lines.append("  " + " / ".join(answer["text"].splitlines())[:240])
    lines.append(f"total {figures['bench_seconds']} s")
    return "\n".join(lines)
