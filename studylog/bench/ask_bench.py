"""`studylog bench ask`: chain overhead vs raw `model.generate`, time to first token, peak RSS,
CPU tokens/s per precision, first vs cached load, answer quality on the question set, and
(`--baseline llama-cpp`) the same prompt through llama.cpp side by side."""

from __future__ import annotations

import argparse
import gc
import resource
import threading
import time
from pathlib import Path

from studylog.bench import bench_workspace
from studylog.bench.search_bench import TODAY, load_questions

QUALITY_QUESTIONS = 20


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's VmHWM belongs to the running program; ru_maxrss carries the parent's peak over
    fork and exec, so a measuring child of this 9 GB bench would report the bench's peak.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return round(kb / 1024, 1)


def _raw_generate_seconds(loaded, prompt_ids: list[int], new_tokens: int) -> float:
    first_token_s, decode_s, _ = timed_generate(loaded, prompt_ids, new_tokens)
    return first_token_s + decode_s


def timed_generate(
    loaded, prompt_ids: list[int], new_tokens: int, draft_tokens: int | None = None
) -> tuple[float, float, int]:
    """The app's decoding loop (studylog.rag.decoding, with its prompt-lookup drafts unless
    `draft_tokens` says otherwise) for exactly `new_tokens` tokens, without the chain around it:
    (seconds to the first new token, seconds of the other new_tokens - 1 tokens, the first new
    token's id).

    The split comes from the clock at each kept token, so decoding is timed on its own; a
    difference of two runs (N tokens minus 1) carried both runs' prefill noise, ~±1 s on a
    shared 2-core CPU, into ~5 s of decoding."""
    from studylog.rag.decoding import DRAFT_TOKENS, greedy_decode
    from studylog.rag.generation import stop_ids_of

    times: list[float] = []
    started = time.perf_counter()
    decoded = greedy_decode(
        loaded.model, prompt_ids, new_tokens, min_new_tokens=new_tokens,
        # The app's end-of-turn ids, held back until new_tokens: without them decoding went on
        # past "<|im_end|>" into other text than the app's, with other drafts (26 vs 30 steps).
        stop_ids=stop_ids_of(loaded.model, loaded.tokenizer),
        on_token=lambda _: times.append(time.perf_counter()),
        draft_tokens=DRAFT_TOKENS if draft_tokens is None else draft_tokens,
    )
    return times[0] - started, times[-1] - times[0], decoded.token_ids[0]


OVERHEAD_QUESTION = "어텐션에서 √d_k로 나누는 이유가 뭐였지?"


def _chain(service, **settings):
    """The app's answer chain (HybridRetriever | prompt | StudyLogChatModel) without attention
    recording: raw decoding does not record, and its own cost is what `bench attention`
    measures (record_overhead_pct)."""
    from studylog.rag.chain import AnswerChain, ChainConfig
    from studylog.rag.retriever import HybridRetriever
    from studylog.search.tokenize import get_tokenizer

    config = ChainConfig(record_attention=False, **settings)
    retriever = HybridRetriever(
        search=lambda q, k, today=None: service.search(q, k=k, today=today, per_note=False), k=config.k + 2
    )
    return AnswerChain(retriever, service.generator(), get_tokenizer("kiwi").tokenize, config)


def _overhead(service, new_tokens: int) -> tuple[dict, list[int]]:
    """Same model, same prompt, same number of new tokens, one process: the LangChain chain
    against the decoding loop alone. Also returns the chain's prompt token ids, which the
    llama.cpp baseline runs too."""
    chain = _chain(service, max_new_tokens=new_tokens, min_new_tokens=new_tokens)
    return chain_overhead(chain, service.generator(), new_tokens)


def answer_prompts(service, questions: list[str]) -> list[dict]:
    """The chain's prompt and its answer's length for each question: what the baseline decodes
    as real answers (`llama_baseline.measure_answers`)."""
    chain = _chain(service)
    answers = []
    for question in questions:
        answer = next(e.answer for e in chain.stream(question, today=TODAY) if e.kind == "done")
        if answer.new_tokens > 1:
            answers.append({"question": question, "prompt_ids": list(answer.prompt_token_ids),
                            "new_tokens": answer.new_tokens})
    return answers


def chain_overhead(chain, loaded, new_tokens: int,
                   question: str = OVERHEAD_QUESTION) -> tuple[dict, list[int]]:
    """Time `chain` answering `question` against raw `generate` on the prompt it built; also
    returns that prompt's token ids."""
    list(chain.stream("warm-up: what is LoRA?", today=TODAY))
    results = []
    for _ in range(2):
        started = time.perf_counter()
        answer = next(e.answer for e in chain.stream(question, today=TODAY) if e.kind == "done")
        chain_seconds = time.perf_counter() - started
        # As many tokens as the chain's answer has: the chain may end before `new_tokens` (its
        # loop stop), and comparing times of different lengths measured nothing.
        raw_seconds = _raw_generate_seconds(loaded, answer.prompt_token_ids, answer.new_tokens)
        results.append((chain_seconds, raw_seconds, answer))
    chain_seconds, raw_seconds, answer = min(results, key=lambda r: r[0])
    raw_seconds = min(r[1] for r in results if r[2].new_tokens == answer.new_tokens)
    return {
        "prompt_tokens": answer.prompt_tokens,
        "new_tokens": answer.new_tokens,
        "chain_tokens_per_s": round(answer.new_tokens / chain_seconds, 2),
        "raw_generate_tokens_per_s": round(answer.new_tokens / raw_seconds, 2),
        "chain_overhead_pct": round(100 * (chain_seconds - raw_seconds) / raw_seconds, 1),
        "seconds_to_first_token": round(answer.seconds_to_first_token, 2),
        "peak_rss_mb": _peak_rss_mb(),
    }, list(answer.prompt_token_ids)


def _baseline(entry, work: Path, cache_dir: Path, precision: str, prompt_ids: list[int],
              new_tokens: int, answers: list[dict]) -> dict:
    """StudyLog's generator and llama.cpp on the chain's prompt (and the real `answers`), each
    in a process of its own, with the thread count torch uses here."""
    import torch

    from studylog.bench.llama_baseline import compare, joined_gguf, run_engine

    threads = torch.get_num_threads()
    gguf = joined_gguf(entry, work / "baseline")
    try:
        llama = run_engine("llama-cpp", prompt_ids, new_tokens, threads, work, gguf=gguf,
                           answers=answers)
    finally:
        gguf.unlink(missing_ok=True)  # 1 GB the installed parts rebuild in seconds
    studylog = run_engine("studylog", prompt_ids, new_tokens, threads, work,
                          model=entry.key, cache_dir=cache_dir, precision=precision,
                          answers=answers)
    return {"engine": "llama-cpp", **compare(studylog, llama)}


def _precisions(cache_dir: Path, spec: str, precisions: list[str], new_tokens: int) -> dict:
    from studylog.rag.loading import load_model

    prompt = None
    figures = {}
    for precision in precisions:
        gc.collect()
        started = time.perf_counter()
        loaded = load_model(spec, cache_dir, device="cpu", precision=precision)
        load_seconds = time.perf_counter() - started
        if prompt is None:
            text = "아래 노트를 읽고 질문에 답하세요.\n" + ("어텐션은 Query와 Key의 내적으로 가중치를 구하고 Value를 가중합한다. " * 12)
            prompt = loaded.tokenizer(text)["input_ids"][:300]
        _raw_generate_seconds(loaded, prompt[:32], 4)
        seconds = _raw_generate_seconds(loaded, prompt, new_tokens)
        figures[precision] = {"load_seconds": round(load_seconds, 1), "tokens_per_s_incl_prefill": round(new_tokens / seconds, 2),
                              "prompt_tokens": len(prompt), "new_tokens": new_tokens}
        del loaded
    return figures


def _quality(service, questions: list[dict], limit: int) -> dict:
    answerable = [q for q in questions if q.get("answerable", True)][:limit]
    unanswerable = [q for q in questions if not q.get("answerable", True)]
    rows = []
    for q in answerable + unanswerable:
        answer = next(e.answer for e in service.ask_stream(q["question"], cancel=threading.Event(), today=TODAY)
                      if e.kind == "done")
        text = answer.text.lower()
        keyword = any(k.lower() in text for k in q["keywords"]) if q["keywords"] else False
        cited_dates = {s.date for s in answer.sources}
        rows.append({
            "id": q["id"], "answerable": q.get("answerable", True), "keyword": keyword,
            "date_cited": bool(cited_dates & set(q["dates"])), "declined": answer.declined,
            "fallback": answer.fallback, "ttft": round(answer.seconds_to_first_token, 1),
            "seconds": round(answer.seconds, 1), "answer": answer.text[:160],
        })
    good = [r for r in rows if r["answerable"]]
    ttfts = sorted(r["ttft"] for r in good if not r["declined"])
    return {
        "answerable": len(good),
        "keyword_and_date": sum(r["keyword"] and r["date_cited"] for r in good),
        "keyword": sum(r["keyword"] for r in good),
        "date_cited": sum(r["date_cited"] for r in good),
        "fallback": sum(r["fallback"] for r in good),
        "wrongly_declined": sum(r["declined"] for r in good),
        "unanswerable": len(unanswerable),
        "unanswerable_declined": sum(r["declined"] for r in rows if not r["answerable"]),
        "median_ttft_s": ttfts[len(ttfts) // 2] if ttfts else None,
        "rows": rows,
    }


def bench_ask(args: argparse.Namespace) -> dict:
    from studylog.config import Settings
    from studylog.service import StudyLogService

    settings = Settings()
    if args.model:
        settings.generator = args.model
    if args.precision:
        settings.precision = args.precision
    baseline_entry = None
    if args.baseline == "llama-cpp":  # fail before minutes of indexing and loading
        from studylog.bench.llama_baseline import require_gguf, require_llama_cpp
        from studylog.rag.catalogue import resolve_model

        require_llama_cpp()
        baseline_entry = resolve_model(settings.generator)
        require_gguf(baseline_entry)
    work, vault = bench_workspace(args, "ask")
    service = StudyLogService(settings=settings, vault=vault)
    service.index()
    figures: dict = {"model": settings.generator}
    cache = settings.model_cache_dir
    first = not any(cache.glob("*")) if cache.exists() else True
    started = time.perf_counter()
    service.generator()
    figures["load"] = {"first_load" if first else "cached_load": round(time.perf_counter() - started, 1)}
    figures["device"] = service.generator().device
    figures["precision"] = service.generator().precision
    figures["overhead"], prompt_ids = _overhead(service, args.new_tokens)
    if baseline_entry is not None:
        questions = [OVERHEAD_QUESTION, "What did I fix on 2026-10-14?"]
        questions += [q["question"] for q in load_questions() if q.get("answerable", True)]
        answers = answer_prompts(service, questions[: args.baseline_answers])
        figures["baseline"] = _baseline(baseline_entry, work, cache, figures["precision"],
                                        prompt_ids, args.new_tokens, answers)
    if args.quality:
        figures["quality"] = _quality(service, load_questions(), args.quality)
    if args.precisions:
        figures["cpu_precisions"] = _precisions(cache, settings.generator, args.precisions.split(","), 64)
    figures["peak_rss_mb"] = _peak_rss_mb()
    return figures
