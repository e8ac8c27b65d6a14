"""`studylog bench ask --baseline llama-cpp`: StudyLog's generator beside llama.cpp running the
same GGUF on the same prompt token ids, greedy token count and thread count.

Each engine is measured in a child process of its own (`python -m studylog.bench.llama_baseline
ENGINE ...`, one JSON line on stdout), so its load time and peak RSS are its own and its threads
never compete with the other engine's or with the bench's. Both are timed the same way: a
warm-up over the same prompt, one prefill over it (its last logits give the first token), then
N-1 greedy decoding steps. The warm-up is the whole prompt because after a 32-token one
StudyLog's first 1,015-token prefill took 24 s against 16 s in the bench's warm process.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from studylog.bench.ask_bench import _peak_rss_mb, timed_generate
from studylog.rag.catalogue import ModelEntry
from studylog.rag.weights import ModelError, join_parts, locate_parts

ENGINES = ("studylog", "llama-cpp")
INSTALL_HINT = "pip install '.[bench]' (builds llama.cpp from source, ~12 min on 2 cores)"
# What issue 12 asks of StudyLog against llama.cpp on the same machine.
MIN_DECODE_RATIO = 0.75
MIN_PREFILL_RATIO = 1.0
MAX_FIRST_TOKEN_S = 10.0
MAX_CACHED_LOAD_S = 10.0
_WARM_UP_STEPS = 4


class BaselineError(ModelError):
    """The baseline cannot run (llama.cpp missing, no GGUF for the model, a child failed)."""


@dataclass
class EngineFigures:
    """One engine's figures on one prompt; seconds are wall-clock in its own process."""

    engine: str
    load_seconds: float
    first_token_seconds: float
    prefill_tokens_per_s: float
    decode_tokens_per_s: float
    peak_rss_mb: float
    prompt_tokens: int
    new_tokens: int
    threads: int
    first_token_id: int
    #: llama.cpp's own counters (llama_perf_context), to cross-check the wall-clock figures.
    perf_counters: dict | None = None
    #: Decoding real answers (`measure_answers`): {"plain": ..., "drafted": ...}.
    answers: dict | None = None


def require_llama_cpp() -> None:
    """Fail at once, before any indexing or loading, when llama-cpp-python is missing."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise BaselineError(f"--baseline llama-cpp needs llama-cpp-python: {INSTALL_HINT}")


def require_gguf(entry: ModelEntry) -> None:
    """Only a bundled model has a GGUF that llama.cpp can run as it is."""
    if not entry.bundled or entry.size_bytes is None or entry.sha256 is None:
        raise BaselineError(
            f"--baseline llama-cpp needs a bundled GGUF model, and {entry.key} is not one"
        )


def joined_gguf(entry: ModelEntry, folder: Path) -> Path:
    """The bundled GGUF, joined from its part packages and verified, as the conversion joins it.

    The conversion deletes its joined copy, so one is made in `folder`; an existing one there
    was verified when it was made (`join_parts` only renames a file whose sha256 matched).
    """
    require_gguf(entry)
    dest = Path(folder) / f"{entry.key}.gguf"
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    return join_parts(locate_parts(entry.packages), dest, entry.size_bytes, entry.sha256)


def _rates(prompt_tokens: int, new_tokens: int, prefill_s: float, decode_s: float) -> dict:
    # Prefill yields the first token; each of the other N-1 tokens costs one decoding step.
    return {
        "prefill_tokens_per_s": round(prompt_tokens / prefill_s, 2),
        "decode_tokens_per_s": round((new_tokens - 1) / decode_s, 2) if new_tokens > 1 else 0.0,
    }


def measure_studylog(
    model: str, cache_dir: Path, precision: str, prompt_ids: list[int], new_tokens: int,
    threads: int, answers: list[dict] = (),
) -> EngineFigures:
    """The generator exactly as the app loads it (cached conversion, CPU, its precision)."""
    import torch

    from studylog.rag.loading import load_model

    torch.set_num_threads(threads)
    loaded = load_model(model, cache_dir, device="cpu", precision=precision or None)
    timed_generate(loaded, prompt_ids, _WARM_UP_STEPS)
    # The app's own decoding loop, its first token and its decoding steps timed apart.
    prefill_s, decode_s, first_token_id = timed_generate(loaded, prompt_ids, new_tokens)
    peak = _peak_rss_mb()

    def decode_seconds(prompt: list[int], count: int, drafts: int) -> float:
        return timed_generate(loaded, prompt, count, draft_tokens=drafts)[1]

    return EngineFigures(
        engine="studylog", load_seconds=round(loaded.load_seconds, 2),
        first_token_seconds=round(prefill_s, 2),
        **_rates(len(prompt_ids), new_tokens, prefill_s, decode_s),
        peak_rss_mb=peak, prompt_tokens=len(prompt_ids), new_tokens=new_tokens,
        threads=threads, first_token_id=first_token_id,
        answers=measure_answers(answers, decode_seconds) if answers else None,
    )


def measure_answers(answers: list[dict], decode_seconds) -> dict:
    """Decoding speed over real answers (`{"prompt_ids", "new_tokens"}` each: the chain's prompt
    and its answer's length), token by token ("plain") and with prompt-lookup drafts
    ("drafted", studylog.rag.decoding's rule): `decode_seconds(prompt, count, drafts)` times the
    count - 1 tokens after the first. Answers quote the notes, so drafts help them as they would
    not help the bench's 64 tokens forced past the answer's end."""
    from studylog.rag.decoding import DRAFT_TOKENS

    figures = {}
    for mode, drafts in (("plain", 0), ("drafted", DRAFT_TOKENS)):
        tokens = sum(answer["new_tokens"] - 1 for answer in answers)
        seconds = sum(decode_seconds(answer["prompt_ids"], answer["new_tokens"], drafts)
                      for answer in answers)
        figures[mode] = {"answers": len(answers), "tokens": tokens, "seconds": round(seconds, 2),
                         "tokens_per_s": round(tokens / seconds, 2) if seconds else 0.0}
    return figures


def measure_llama_cpp(
    gguf: Path, prompt_ids: list[int], new_tokens: int, threads: int, answers: list[dict] = (),
) -> EngineFigures:
    """llama.cpp (llama-cpp-python) on the GGUF itself, greedy, with StudyLog's thread count."""
    import llama_cpp

    started = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=str(gguf), n_ctx=len(prompt_ids) + max(new_tokens, _WARM_UP_STEPS), n_threads=threads,
        n_threads_batch=threads, verbose=False,
    )
    load_s = time.perf_counter() - started

    def greedy() -> int:
        return int(llm.sample(top_k=1, temp=0.0, repeat_penalty=1.0))

    llm.eval(prompt_ids)
    for _ in range(_WARM_UP_STEPS):
        llm.eval([greedy()])
    # llama.cpp books a step's time when its logits are read, so the warm-up's last step is
    # read here, before the counters are reset; for the same reason prefill ends at the sample.
    greedy()
    llm.reset()
    llama_cpp.llama_perf_context_reset(llm.ctx)
    started = time.perf_counter()
    llm.eval(prompt_ids)
    token = first_token_id = greedy()
    prefill_s = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(new_tokens - 1):
        llm.eval([token])
        token = greedy()
    decode_s = max(time.perf_counter() - started, 1e-9)
    perf = llama_cpp.llama_perf_context(llm.ctx)
    counters = {
        "t_p_eval_ms": round(perf.t_p_eval_ms, 1), "n_p_eval": perf.n_p_eval,
        "t_eval_ms": round(perf.t_eval_ms, 1), "n_eval": perf.n_eval,
    }
    peak = _peak_rss_mb()
    llm.close()  # its context and KV cache; the answers get a logits_all one
    return EngineFigures(
        engine="llama-cpp", load_seconds=round(load_s, 2),
        first_token_seconds=round(prefill_s, 2),
        **_rates(len(prompt_ids), new_tokens, prefill_s, decode_s),
        peak_rss_mb=peak, prompt_tokens=len(prompt_ids), new_tokens=new_tokens,
        threads=threads, first_token_id=first_token_id, perf_counters=counters,
        answers=_llama_cpp_answers(gguf, answers, threads) if answers else None,
    )


def _llama_cpp_answers(gguf: Path, answers: list[dict], threads: int) -> dict:
    """`measure_answers` for llama.cpp: each step evaluates the last token and the same
    prompt-lookup drafts StudyLog would use, reads every row's logits (`logits_all`), keeps the
    drafts its greedy choice agrees with, and rolls its KV cache back to them (llama-cpp-python's
    `eval` removes the cache past `n_tokens`, as its own speculative decoding does)."""
    import llama_cpp
    import numpy as np

    from studylog.rag.decoding import drafts_for

    longest = max(len(a["prompt_ids"]) + a["new_tokens"] for a in answers)
    llm = llama_cpp.Llama(model_path=str(gguf), n_ctx=longest + 8, n_threads=threads,
                          n_threads_batch=threads, logits_all=True, verbose=False)

    def decode_seconds(prompt: list[int], count: int, drafts: int) -> float:
        llm.reset()
        llm.eval(prompt)
        sequence = [*prompt, int(np.argmax(llm.scores[len(prompt) - 1]))]
        started = time.perf_counter()
        while len(sequence) - len(prompt) < count:
            proposed = drafts_for(sequence, (), drafts)
            llm.n_tokens = len(sequence) - 1  # every token but the last is in the cache
            llm.eval([sequence[-1], *proposed])
            chosen = np.argmax(llm.scores[len(sequence) - 1 : len(sequence) + len(proposed)], axis=-1)
            kept = 0
            while kept < len(proposed) and proposed[kept] == chosen[kept]:
                kept += 1
            sequence += [int(t) for t in chosen[: kept + 1]]
        return time.perf_counter() - started

    return measure_answers(answers, decode_seconds)


def run_engine(
    engine: str, prompt_ids: list[int], new_tokens: int, threads: int, work: Path,
    *, gguf: Path | None = None, model: str = "", cache_dir: Path | None = None,
    precision: str = "", answers: list[dict] = (),
) -> EngineFigures:
    """Measure `engine` in a fresh child process and return its figures. `answers`: real
    answers to decode too (`measure_answers`)."""
    ids_file = Path(work) / "baseline-prompt-ids.json"
    ids_file.write_text(json.dumps(prompt_ids))
    command = [sys.executable, "-m", "studylog.bench.llama_baseline", engine,
               "--prompt-ids-file", str(ids_file), "--new-tokens", str(new_tokens),
               "--threads", str(threads)]
    if answers:
        answers_file = Path(work) / "baseline-answers.json"
        answers_file.write_text(json.dumps(list(answers)))
        command += ["--answers-file", str(answers_file)]
    if engine == "llama-cpp":
        command += ["--gguf", str(gguf)]
    else:
        command += ["--model", model, "--cache-dir", str(cache_dir), "--precision", precision]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise BaselineError(
            f"the {engine} baseline process failed (exit {done.returncode}): "
            f"{done.stderr.strip()[-2000:]}"
        )
    return EngineFigures(**json.loads(lines[-1]))


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator else None


def compare(studylog: EngineFigures, llama: EngineFigures) -> dict:
    """Both engines' figures, StudyLog/llama.cpp ratios, and whether StudyLog meets the targets."""
    ratios = {
        name: _ratio(getattr(studylog, name), getattr(llama, name))
        for name in ("load_seconds", "first_token_seconds", "prefill_tokens_per_s",
                     "decode_tokens_per_s", "peak_rss_mb")
    }
    targets = {
        f"decode_ratio >= {MIN_DECODE_RATIO}": (ratios["decode_tokens_per_s"] or 0) >= MIN_DECODE_RATIO,
        f"prefill_ratio >= {MIN_PREFILL_RATIO}": (ratios["prefill_tokens_per_s"] or 0) >= MIN_PREFILL_RATIO,
        f"first_token_s <= {MAX_FIRST_TOKEN_S}": studylog.first_token_seconds <= MAX_FIRST_TOKEN_S,
        f"cached_load_s <= {MAX_CACHED_LOAD_S}": studylog.load_seconds <= MAX_CACHED_LOAD_S,
    }
    if studylog.answers and llama.answers:
        ours, theirs = studylog.answers, llama.answers
        ratios["answers_decode"] = {
            # What a user sees: StudyLog as shipped against llama.cpp as llama-bench, Ollama and
            # LM Studio run it by default (token by token).
            "shipped_vs_llama_cpp": _ratio(ours["drafted"]["tokens_per_s"], theirs["plain"]["tokens_per_s"]),
            "plain_vs_plain": _ratio(ours["plain"]["tokens_per_s"], theirs["plain"]["tokens_per_s"]),
            "drafted_vs_drafted": _ratio(ours["drafted"]["tokens_per_s"], theirs["drafted"]["tokens_per_s"]),
        }
        targets[f"answers decode, shipped vs llama.cpp >= {MIN_DECODE_RATIO}"] = (
            (ratios["answers_decode"]["shipped_vs_llama_cpp"] or 0) >= MIN_DECODE_RATIO
        )
    return {
        "studylog": asdict(studylog), "llama_cpp": asdict(llama), "ratios": ratios,
        "same_first_token": studylog.first_token_id == llama.first_token_id,
        "targets_met": targets,
    }


def baseline_table(baseline: dict) -> str:
    """The comparison as a plain-text table, one row per figure."""
    studylog, llama, ratios = baseline["studylog"], baseline["llama_cpp"], baseline["ratios"]
    rows = [("figure", "StudyLog", "llama.cpp", "StudyLog/llama.cpp")]
    for name, label in (("load_seconds", "load (s)"), ("first_token_seconds", "first token (s)"),
                        ("prefill_tokens_per_s", "prefill (tok/s)"),
                        ("decode_tokens_per_s", "decode (tok/s)"), ("peak_rss_mb", "peak RSS (MB)")):
        ratio = ratios[name]
        rows.append((label, f"{studylog[name]:g}", f"{llama[name]:g}",
                     "-" if ratio is None else f"{ratio:g}x"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"{studylog['prompt_tokens']}-token prompt, {studylog['new_tokens']} greedy tokens, "
             f"{studylog['threads']} threads"]
    lines += ["  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                        for i, cell in enumerate(row)) for row in rows]
    if "answers_decode" in ratios:
        ours, theirs = studylog["answers"], llama["answers"]
        lines.append(f"decoding {ours['plain']['answers']} real answers ({ours['plain']['tokens']} "
                     f"tokens after the first), tok/s:")
        for mode in ("plain", "drafted"):
            lines.append(f"  {mode:8s} StudyLog {ours[mode]['tokens_per_s']:g}  "
                         f"llama.cpp {theirs[mode]['tokens_per_s']:g}")
        lines += [f"  {name}: {value:g}x" for name, value in ratios["answers_decode"].items()
                  if value is not None]
    lines += [f"{'met' if met else 'NOT met'}: {target}"
              for target, met in baseline["targets_met"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studylog.bench.llama_baseline",
                                     description="Measure one engine; prints one JSON line.")
    parser.add_argument("engine", choices=ENGINES)
    parser.add_argument("--prompt-ids-file", required=True, type=Path)
    parser.add_argument("--new-tokens", required=True, type=int)
    parser.add_argument("--threads", required=True, type=int)
    parser.add_argument("--gguf", type=Path, help="llama-cpp: the GGUF file")
    parser.add_argument("--model", default="", help="studylog: the generator")
    parser.add_argument("--cache-dir", type=Path, help="studylog: the model cache")
    parser.add_argument("--precision", default="", help="studylog: CPU precision ('' = default)")
    parser.add_argument("--answers-file", type=Path,
                        help='JSON list of {"prompt_ids": [...], "new_tokens": N}: real answers to decode')
    args = parser.parse_args(argv)
    prompt_ids = [int(i) for i in json.loads(args.prompt_ids_file.read_text())]
    answers = json.loads(args.answers_file.read_text()) if args.answers_file else []
    if args.engine == "llama-cpp":
        if args.gguf is None:
            parser.error("llama-cpp needs --gguf")
        figures = measure_llama_cpp(args.gguf, prompt_ids, args.new_tokens, args.threads, answers)
    else:
        if not args.model or args.cache_dir is None:
            parser.error("studylog needs --model and --cache-dir")
        figures = measure_studylog(args.model, args.cache_dir, args.precision, prompt_ids,
                                   args.new_tokens, args.threads, answers)
    print(json.dumps(asdict(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
