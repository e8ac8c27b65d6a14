"""`studylog bench attention`: what recording the answer's attention while generating costs
(time and memory beside the same generation without it), what the capture behind the prompt
views costs (the answer's generation run again step by step, studylog.attention.regenerate) and
how far its answer rows are from the recorded ones, for the default model on this machine's
device, at 1,024 prompt + 256 answer tokens.

The run forces 256 tokens with `min_new_tokens`, which masks end-of-turn in generation's logits:
wherever end-of-turn was the argmax, the generated token is not, so `replay_predicts_the_answer`
can be false here for that reason alone (the app's chain forces no length).
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import psutil

from studylog.bench import bench_workspace, fixtures_vault


class _PeakRss:
    """Samples this process's RSS every 5 ms; torch's allocations are invisible to tracemalloc."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def _prompt_ids(tokenizer, fixtures: Path, length: int) -> list[int]:
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(fixtures.glob("*.md")))
    messages = [{"role": "system", "content": "Answer from the notes."},
                {"role": "user", "content": text[:20000] + "\n\n어텐션에서 √d_k로 나누는 이유를 정리해 줘."}]
    # Tokenised the way answers are (notes as plain text, only the template's markers special).
    from studylog.rag.prompts import encode_chat

    return encode_chat(tokenizer, messages).ids[-length:]


def bench_attention(args: argparse.Namespace) -> dict:

    from studylog.attention.record import AnswerRecorder
    from studylog.attention.regenerate import regenerate_attention
    from studylog.config import load_settings
    from studylog.rag.decoding import greedy_decode
    from studylog.service import StudyLogService

    fixtures = fixtures_vault(args.fixtures)
    # An existing STUDYLOG_HOME is kept: it may hold the converted model already.
    _, vault = bench_workspace(args, "attention", home_override=False)
    settings = load_settings()  # STUDYLOG_* overrides apply, as in the app
    if args.model:
        settings.generator = args.model
    if args.precision:
        settings.precision = args.precision
    loaded = StudyLogService(settings=settings, vault=vault).generator()
    prompt = _prompt_ids(loaded.tokenizer, fixtures, args.prompt_tokens)

    def generate(count: int = args.answer_tokens) -> list[int]:
        # The app's decoding loop (studylog.rag.decoding): drafts, 4-bit steps, growing cache.
        return prompt + greedy_decode(loaded.model, prompt, count, min_new_tokens=count).token_ids

    # Warm-up: the first generation after loading pays one-time costs (allocations, kernel
    # set-up) that would be charged to whichever timed run came first (measured: the plain run
    # then looked 27 % slower than the recorded one).
    generate(4)
    with _PeakRss() as plain_memory:
        started = time.perf_counter()
        token_ids = generate()
        generate_seconds = time.perf_counter() - started
    recorder = AnswerRecorder(loaded.model, len(prompt), args.answer_tokens)
    with _PeakRss() as record_memory, recorder.recording():
        started = time.perf_counter()
        recorded_ids = generate()
        record_seconds = time.perf_counter() - started
    recorded = recorder.rows(len(recorded_ids) - len(prompt))
    del recorder
    config = loaded.model.config.get_text_config()
    layers, heads, total = config.num_hidden_layers, config.num_attention_heads, len(token_ids)
    with _PeakRss() as memory:
        started = time.perf_counter()
        capture = regenerate_attention(loaded.model, loaded.tokenizer, recorded_ids, len(prompt),
                                       rollout=True, model_name=loaded.name, recorded=recorded)
        capture_seconds = time.perf_counter() - started
    return {
        "model": loaded.name,
        "device": loaded.device,
        "precision": loaded.precision,
        "prompt_tokens": len(prompt),
        "answer_tokens": total - len(prompt),
        "generate_seconds": round(generate_seconds, 2),
        "generate_recording_seconds": round(record_seconds, 2),
        "record_overhead_pct": round(100 * (record_seconds - generate_seconds) / generate_seconds, 1),
        "generate_peak_extra_mb": round((plain_memory.peak - plain_memory.baseline) / 2**20, 1),
        "generate_recording_peak_extra_mb": round((record_memory.peak - record_memory.baseline) / 2**20, 1),
        "recording_changed_the_answer": recorded_ids != token_ids,
        "recorded_rows_mb": round(recorded.nbytes / 2**20, 1),
        "replay_vs_recorded_max_abs_diff": capture.fidelity.replay_max_abs_diff,
        "replay_predicts_the_answer": capture.fidelity.replay_tokens_match,
        "capture_seconds": round(capture_seconds, 2),
        "capture_vs_generation_pct": round(100 * capture_seconds / generate_seconds, 1),
        "capture_peak_extra_mb": round((memory.peak - memory.baseline) / 2**20, 1),
        "kept_answer_rows_mb": round(capture.answer_rows.nbytes / 2**20, 1),
        "naive_full_tensor_mb": round(layers * heads * total * total * 4 / 2**20, 1),
    }
