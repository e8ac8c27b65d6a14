"""`studylog bench WHAT`: benchmarks as code. Each prints its figures (JSON with --json)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def fixtures_vault(explicit: str | None = None) -> Path:
    candidates = [Path(explicit)] if explicit else []
    env = os.environ.get("STUDYLOG_FIXTURES")
    if env:
        candidates.append(Path(env) / "vault")
    candidates += [REPO.parent / "shared" / "fixtures" / "vault", REPO / "shared" / "fixtures" / "vault"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("fixtures vault not found: pass --fixtures DIR")


def bench_workspace(args: argparse.Namespace, name: str, home_override: bool = True) -> tuple[Path, Path]:
    """A work folder (`--out` or a new temp folder) holding a copy of the fixtures vault.

    Points STUDYLOG_HOME into it (unless `home_override` is False and one is already set), so a
    benchmark never touches the user's own index or settings. Returns (work, vault).
    """
    import atexit
    import shutil
    import tempfile

    if args.out:
        work = Path(args.out)
    else:
        work = Path(tempfile.mkdtemp(prefix=f"studylog-bench-{name}-"))
        # Its model cache alone is ~5 GB (conversion + int8 copy): gone when the bench ends.
        atexit.register(shutil.rmtree, work, ignore_errors=True)
    vault = work / "vault"
    if not vault.exists():
        shutil.copytree(fixtures_vault(args.fixtures), vault)
    if home_override or "STUDYLOG_HOME" not in os.environ:
        os.environ["STUDYLOG_HOME"] = str(work / "home")
    return work, vault


def run_bench(args: argparse.Namespace) -> int:
    if args.what == "index":
        from studylog.bench.index_bench import bench_index as bench
    elif args.what == "search":
        from studylog.bench.search_bench import bench_search as bench
    elif args.what == "ask":
        from studylog.bench.ask_bench import bench_ask as bench
    elif args.what == "attention":
        from studylog.bench.attention_bench import bench_attention as bench
    elif args.what == "related":
        from studylog.bench.related_bench import bench_related as bench
    elif args.what == "quiz":
        from studylog.bench.quiz_bench import bench_quiz as bench
    elif args.what == "review":
        from studylog.bench.review_bench import bench_review as bench
    elif args.what == "gpu":
        from studylog.bench.gpu_bench import bench_gpu, summary

        def bench(args: argparse.Namespace) -> dict:
            figures = bench_gpu(args)
            print(summary(figures), file=sys.stderr)  # stdout stays the JSON alone
            return figures
    elif args.what == "quant":
        from studylog.bench.quant_bench import bench_quant, table

        def bench(args: argparse.Namespace) -> dict:
            figures = bench_quant(args)
            print(table(figures), file=sys.stderr)  # stdout stays the JSON alone
            return figures
    elif args.what == "gui":
        from studylog.gui.bench import bench_gui

        def bench(args: argparse.Namespace) -> dict:
            return bench_gui(notes=args.notes, fixtures=fixtures_vault(args.fixtures))
    else:  # pragma: no cover - argparse restricts the choices
        raise ValueError(args.what)
    figures = bench(args)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        if "baseline" in figures:
            from studylog.bench.llama_baseline import baseline_table

            print(baseline_table(figures["baseline"]))
    return 0
