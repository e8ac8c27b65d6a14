"""`studylog bench index`: indexing throughput vs the raw embedder, incremental re-index,
search latency, and the whole `studylog search` process time."""

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
from studylog.bench.vaults import generate_vault

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
    large = generate_vault(fixtures, work / f"vault-{args.notes}", args.notes)
    shutil.rmtree(work / "home-large", ignore_errors=True)
    figures["generated"] = _index_pass(large, work / "home-large")
    figures["reindex"] = _reindex(large)
    figures["search_latency"] = _latency(large)
    figures["cpu_count"] = os.cpu_count()
    return figures
