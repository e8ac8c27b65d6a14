"""`studylog bench index`: indexing throughput vs the raw embedder, the fixtures vault with
and without two huge notes (issue 9), incremental re-index, search latency, and the whole
`studylog search` process time."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from studylog.bench import fixtures_vault
from studylog.bench.vaults import add_huge_notes, generate_vault

LATENCY_QUERIES = [
    "어텐션에서 √d_k로 나누는 이유가 뭐였지?",
    "What broke in my LoRA run and how did I fix it?",
    "CORS 에러 어떻게 해결했지",
    "nginx 스트리밍 설정",
    "gradient accumulation batch size",
    "10월 둘째 주에 배운 것",
    "데코레이터로 실행 시간 측정",
    "What did I fix on 2026-10-14?",
    "파이썬 mutable immutable 차이",
    "merge vs rebase",
]


def _index_pass(vault: Path, home: Path) -> dict:
    """Index `vault` from scratch with the pipeline, then embed the same chunk texts raw."""
    from studylog.config import Settings
    from studylog.index.sync import SyncReport, collect_chunks
    from studylog.notes.vault import Vault
    from studylog.service import StudyLogService

    os.environ["STUDYLOG_HOME"] = str(home)
    service = StudyLogService(settings=Settings(), vault=vault)
    embedder = service.embedder
    embedder.embed_passages(["warm-up"])
    report = service.index()
    texts = [c.text for c in collect_chunks(Vault(vault), SyncReport()).values()]
    started = time.perf_counter()
    for start in range(0, len(texts), 16):
        embedder.embed_passages(texts[start : start + 16])
    raw = time.perf_counter() - started
    return {
        "notes": report.notes,
        "chunks": report.chunks,
        "pipeline_seconds": round(report.seconds, 2),
        "raw_embed_seconds": round(raw, 2),
        "overhead_pct": round(100 * (report.seconds - raw) / raw, 1),
        "chunks_per_second": round(report.chunks / report.seconds, 2),
    }


def _timed_index(vault: Path, home: Path, small_chunks: int | None = None) -> tuple[float, float, float | None, object]:
    """Index `vault` into a fresh `home`: (wall seconds of `service.index()`, CPU seconds of
    this process meanwhile, wall seconds until the first `small_chunks` chunks to embed were
    stored or None, the SyncReport). Models load before the clock starts, so only indexing is
    timed. CPU seconds are the figure to compare on a machine shared with other work."""
    from studylog.config import load_settings
    from studylog.service import StudyLogService

    shutil.rmtree(home, ignore_errors=True)
    os.environ["STUDYLOG_HOME"] = str(home)
    # The fresh home has no settings file: defaults, or STUDYLOG_EMBED_CHUNKS_PER_NOTE to compare caps.
    service = StudyLogService(settings=load_settings(), vault=vault)
    service.embedder.embed_passages(["warm-up"])
    service.keyword_index().tokenizer.tokenize("warm-up")
    small_done: list[float] = []

    def watch(done: int, total: int, message: str) -> None:
        if small_chunks is not None and not small_done and done >= small_chunks:
            small_done.append(time.perf_counter() - started)

    started = time.perf_counter()
    cpu_started = time.process_time()
    report = service.index(progress=watch)
    cpu = time.process_time() - cpu_started
    return time.perf_counter() - started, cpu, (small_done[0] if small_done else None), report


def _huge_notes(fixtures: Path, work: Path) -> dict:
    """Issue 9's measurement: index the fixtures vault alone, then the same vault with a 7 MB
    repeated-sentence note and a 2 MB unique-line log added, one after the other in this
    process; the target is `ratio` <= 3."""
    alone = work / "huge-fixtures-alone"
    with_huge = work / "huge-fixtures-plus-two"
    for target in (alone, with_huge):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(fixtures, target)
    huge = add_huge_notes(with_huge)
    # The 1-minute load average before each pass: above the core count, others shared the CPU.
    alone_load = os.getloadavg()[0]
    alone_seconds, alone_cpu, _, alone_report = _timed_index(alone, work / "home-huge-alone")
    huge_load = os.getloadavg()[0]
    # Small notes go first, so the fixtures' chunks are all stored before the huge notes start.
    huge_seconds, huge_cpu, small_seconds, huge_report = _timed_index(
        with_huge, work / "home-huge-plus-two", small_chunks=alone_report.embedded)
    from studylog.config import load_settings

    return {
        "embed_chunks_per_note": load_settings().embed_chunks_per_note,
        "alone": {"notes": alone_report.notes, "chunks": alone_report.chunks,
                  "embedded": alone_report.embedded, "seconds": round(alone_seconds, 1),
                  "cpu_seconds": round(alone_cpu, 1), "load_average_before": round(alone_load, 1)},
        "with_huge_notes": {
            "added": {p.name: p.stat().st_size for p in huge},
            "notes": huge_report.notes, "chunks": huge_report.chunks, "embedded": huge_report.embedded,
            "reused": huge_report.reused, "embed_seconds": round(huge_report.embed_seconds, 1),
            "seconds": round(huge_seconds, 1), "cpu_seconds": round(huge_cpu, 1),
            "load_average_before": round(huge_load, 1),
            "fixtures_chunks_stored_after_seconds": round(small_seconds or 0, 1),
            "warnings": huge_report.warnings,
        },
        "ratio": round(huge_seconds / alone_seconds, 2),
        "cpu_ratio": round(huge_cpu / alone_cpu, 2),
        "target_ratio": 3.0,
    }


def _reindex(vault: Path) -> dict:
    from studylog.config import Settings
    from studylog.service import StudyLogService

    started = time.perf_counter()
    unchanged = StudyLogService(settings=Settings(), vault=vault).index()
    unchanged_seconds = time.perf_counter() - started
    note = sorted(vault.glob("*.md"))[len(list(vault.glob("*.md"))) // 2]
    text = note.read_text(encoding="utf-8")
    note.write_text(text.replace("###", "### (edited)", 1) + "\n- 추가한 한 줄\n", encoding="utf-8")
    edited = StudyLogService(settings=Settings(), vault=vault).index()
    from studylog.index.chunker import chunk_note
    from studylog.notes.vault import Vault

    return {
        "unchanged_embedded": unchanged.embedded,
        "unchanged_seconds": round(unchanged_seconds, 3),
        "edited_note": note.name,
        "edited_note_chunks": len(chunk_note(Vault(vault).read(note), note.name)),
        "edited_embedded": edited.embedded,
        "edited_seconds": round(edited.seconds, 3),
    }


def _latency(vault: Path) -> dict:
    import datetime as dt

    from studylog.config import Settings
    from studylog.service import StudyLogService

    service = StudyLogService(settings=Settings(), vault=vault)
    today = dt.date(2026, 11, 28)
    for query in LATENCY_QUERIES:  # warm-up: models, caches, postings
        service.search(query, k=5, today=today)
    samples = []
    for _ in range(5):
        for query in LATENCY_QUERIES:
            started = time.perf_counter()
            service.search(query, k=5, today=today)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "queries": len(samples),
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1),
        "max_ms": round(samples[-1], 1),
    }


def _process_time(vault: Path, home: Path) -> dict:
    env = {**os.environ, "STUDYLOG_HOME": str(home)}
    command = [sys.executable, "-m", "studylog", "search", "--vault", str(vault), "어텐션에서 √d_k로 나누는 이유"]
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, runpy; sys.argv=['studylog','search','--vault',sys.argv[1],'q'];"
         "import studylog.cli as c; c.main(sys.argv[1:]);"
         "print(sorted(m for m in ('torch','transformers','sentence_transformers') if m in sys.modules))", str(vault)],
        env=env, capture_output=True, text=True, check=True,
    )
    return {
        "runs_seconds": [round(r, 2) for r in runs],
        "median_seconds": round(statistics.median(runs), 2),
        "heavy_modules_imported": probe.stdout.strip().splitlines()[-1],
    }


def bench_index(args: argparse.Namespace) -> dict:
    fixtures = fixtures_vault(args.fixtures)
    work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="studylog-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    small = work / "fixtures-vault"
    if small.exists():
        shutil.rmtree(small)
    shutil.copytree(fixtures, small)
    figures: dict = {"fixtures": _index_pass(small, work / "home-fixtures")}
    figures["search_process"] = _process_time(small, work / "home-fixtures")
    figures["huge_notes"] = _huge_notes(fixtures, work)
    figures["cpu_count"] = os.cpu_count()
    if args.notes <= 0:  # the generated vault takes ~30 min on 2 cores at 1,000 notes
        return figures
    large = generate_vault(fixtures, work / f"vault-{args.notes}", args.notes)
    shutil.rmtree(work / "home-large", ignore_errors=True)
    figures["generated"] = _index_pass(large, work / "home-large")
    figures["reindex"] = _reindex(large)
    figures["search_latency"] = _latency(large)
    return figures
