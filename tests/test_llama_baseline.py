"""`studylog bench ask --baseline llama-cpp`: the child-process plumbing with a fake llama.cpp,
the figures it compares, and the message when llama-cpp-python is missing."""

from __future__ import annotations

import importlib.util
import json
import os
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from studylog.bench import llama_baseline
from studylog.bench.ask_bench import _peak_rss_mb
from studylog.bench.llama_baseline import (
    BaselineError,
    EngineFigures,
    baseline_table,
    compare,
    run_engine,
)
from studylog.cli import main
from studylog.rag.catalogue import get_entry, install_hint, is_installed, resolve_model

REPO = Path(__file__).resolve().parents[1]

# A stand-in for llama_cpp: it answers greedy token 100 + (tokens evaluated so far) and counts
# the prompt and decoding evaluations since the last perf reset, as llama.cpp's counters do.
FAKE_LLAMA_CPP = textwrap.dedent('''
    from types import SimpleNamespace

    _counters = {"n_p_eval": 0, "n_eval": 0}

    class Llama:
        evals = []  # every eval's token count, for the answers' steps

        def __init__(self, model_path, n_ctx, n_threads, n_threads_batch, verbose, logits_all=False):
            assert model_path.endswith("fake.gguf") and n_threads == n_threads_batch == 3
            assert n_ctx >= 7 + 5
            self.n_tokens = 0
            self.ctx = object()
            self.logits_all = logits_all
            self.scores = [None] * n_ctx

        def eval(self, tokens):
            _counters["n_p_eval" if len(tokens) > 1 else "n_eval"] += len(tokens)
            Llama.evals.append(len(tokens))
            for offset, token in enumerate(tokens):  # its greedy choice: the next integer
                row = [0.0] * 200
                row[(token + 1) % 200] = 1.0
                self.scores[self.n_tokens + offset] = row
            self.n_tokens += len(tokens)

        def close(self):
            pass

        def sample(self, top_k, temp, repeat_penalty):
            assert (top_k, temp) == (1, 0.0)
            return 100 + self.n_tokens

        def reset(self):
            self.n_tokens = 0

    def llama_perf_context_reset(ctx):
        _counters.update(n_p_eval=0, n_eval=0)

    def llama_perf_context(ctx):
        return SimpleNamespace(t_p_eval_ms=12.0, t_eval_ms=34.0, **_counters)
''')


def _figures(engine: str, **changes: float) -> EngineFigures:
    figures = EngineFigures(
        engine=engine, load_seconds=2.0, first_token_seconds=4.0, prefill_tokens_per_s=200.0,
        decode_tokens_per_s=10.0, peak_rss_mb=1000.0, prompt_tokens=885, new_tokens=64,
        threads=2, first_token_id=7,
    )
    return replace(figures, **changes)


def test_llama_cpp_child_runs_the_prompt_then_greedy_steps_and_reports_json(tmp_path, monkeypatch):
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "llama_cpp.py").write_text(FAKE_LLAMA_CPP)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(fake), str(REPO)]))
    ballast = b"\x01" * (400 << 20)  # touched pages: the parent's peak is 400 MB above the child's

    figures = run_engine("llama-cpp", [1, 2, 3, 4, 5, 6, 7], 5, 3, tmp_path,
                         gguf=tmp_path / "fake.gguf")
    parent_peak_mb = _peak_rss_mb()
    del ballast

    assert (figures.engine, figures.prompt_tokens, figures.new_tokens, figures.threads) == (
        "llama-cpp", 7, 5, 3)
    assert figures.first_token_id == 107  # sampled right after the 7-token prompt
    # The warm-up is not counted: one prompt evaluation, then N-1 single-token steps.
    assert figures.perf_counters == {"t_p_eval_ms": 12.0, "n_p_eval": 7, "t_eval_ms": 34.0,
                                     "n_eval": 4}
    assert figures.prefill_tokens_per_s > 0 and figures.decode_tokens_per_s > 0
    # The child's own peak, not the parent's carried over fork and exec.
    assert 0 < figures.peak_rss_mb < parent_peak_mb - 300


def test_llama_cpp_decodes_real_answers_token_by_token_and_with_the_same_drafts(tmp_path, monkeypatch):
    import sys

    (tmp_path / "llama_cpp.py").write_text(FAKE_LLAMA_CPP)
    spec = importlib.util.spec_from_file_location("llama_cpp", tmp_path / "llama_cpp.py")
    fake = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fake)
    # In sys.modules for this test only: a fake left there would make later tests (and
    # find_spec) take it for an installed llama-cpp-python.
    monkeypatch.setitem(sys.modules, "llama_cpp", fake)
    # The prompt already holds the answer (1, 2, 3 -> 4, 5, ...): drafts the model agrees with.
    answers = [{"prompt_ids": [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3], "new_tokens": 7}]

    figures = llama_baseline._llama_cpp_answers(tmp_path / "fake.gguf", answers, 3)

    steps = [count for count in fake.Llama.evals if count < 12]  # not the prompt's evals
    plain, drafted = steps[:6], steps[6:]
    assert plain == [1] * 6  # token by token: the 6 tokens after the first
    # The last token + drafts 5, 6, 7 (all kept, and 8 chosen), then + 9, 1, 2 after (6, 7, 8):
    # 9 kept, and 10 chosen, which makes 7.
    assert drafted == [4, 4]
    assert figures["plain"]["tokens"] == figures["drafted"]["tokens"] == 6
    assert figures["drafted"]["answers"] == 1 and figures["plain"]["tokens_per_s"] > 0


def test_a_failing_child_raises_with_its_error(tmp_path, monkeypatch):
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "llama_cpp.py").write_text("raise ImportError('libllama.so: cannot open')\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(fake), str(REPO)]))

    with pytest.raises(BaselineError, match="(?s)llama-cpp baseline process failed.*libllama.so"):
        run_engine("llama-cpp", [1, 2], 2, 1, tmp_path, gguf=tmp_path / "fake.gguf")


def test_missing_llama_cpp_fails_before_any_work_and_says_how_to_install(monkeypatch, capsys):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        llama_baseline.importlib.util, "find_spec",
        lambda name, *a: None if name == "llama_cpp" else real_find_spec(name, *a),
    )
    monkeypatch.setattr("studylog.bench.ask_bench.bench_workspace",
                        lambda *a, **k: pytest.fail("the bench started before the check"))

    assert main(["bench", "ask", "--baseline", "llama-cpp", "--quality", "0"]) == 1

    err = capsys.readouterr().err
    assert "pip install '.[bench]' (builds llama.cpp from source" in err


def test_only_a_bundled_gguf_model_can_be_the_baseline(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "tokenizer.json").write_text("{}")
    folder_model = resolve_model(str(tmp_path))

    with pytest.raises(BaselineError, match="needs a bundled GGUF model"):
        llama_baseline.joined_gguf(folder_model, tmp_path / "out")


def test_ratios_are_studylog_over_llama_cpp_and_targets_are_checked():
    studylog = _figures("studylog", load_seconds=30.0, first_token_seconds=8.0,
                        prefill_tokens_per_s=100.0, decode_tokens_per_s=8.0, peak_rss_mb=3000.0)
    llama = _figures("llama-cpp", load_seconds=0.5, first_token_seconds=4.0,
                     prefill_tokens_per_s=200.0, decode_tokens_per_s=10.0, peak_rss_mb=1500.0)

    baseline = compare(studylog, llama)

    assert baseline["ratios"] == {"load_seconds": 60.0, "first_token_seconds": 2.0,
                                  "prefill_tokens_per_s": 0.5, "decode_tokens_per_s": 0.8,
                                  "peak_rss_mb": 2.0}
    assert baseline["targets_met"] == {"decode_ratio >= 0.75": True, "prefill_ratio >= 1.0": False,
                                       "first_token_s <= 10.0": True, "cached_load_s <= 10.0": False}
    assert baseline["same_first_token"] is True
    assert json.loads(json.dumps(baseline)) == baseline  # goes into --json as it is

    table = baseline_table(baseline)
    assert "885-token prompt, 64 greedy tokens, 2 threads" in table
    assert any(line.split() == ["decode", "(tok/s)", "8", "10", "0.8x"] for line in table.splitlines())
    assert "NOT met: prefill_ratio >= 1.0" in table


def test_real_answers_are_compared_as_shipped_and_like_for_like():
    def answers(plain: float, drafted: float) -> dict:
        return {mode: {"answers": 8, "tokens": 400, "seconds": 1.0, "tokens_per_s": rate}
                for mode, rate in (("plain", plain), ("drafted", drafted))}

    baseline = compare(_figures("studylog", answers=answers(15.0, 21.0)),
                       _figures("llama-cpp", answers=answers(25.0, 35.0)))

    assert baseline["ratios"]["answers_decode"] == {
        "shipped_vs_llama_cpp": 0.84, "plain_vs_plain": 0.6, "drafted_vs_drafted": 0.6}
    assert baseline["targets_met"]["answers decode, shipped vs llama.cpp >= 0.75"] is True
    table = baseline_table(baseline)
    assert "decoding 8 real answers (400 tokens after the first)" in table
    assert "shipped_vs_llama_cpp: 0.84x" in table


def test_a_zero_figure_gives_no_ratio_rather_than_a_crash():
    baseline = compare(_figures("studylog"), _figures("llama-cpp", decode_tokens_per_s=0.0))

    assert baseline["ratios"]["decode_tokens_per_s"] is None
    assert baseline["targets_met"]["decode_ratio >= 0.75"] is False
    assert "decode (tok/s)" in baseline_table(baseline)


@pytest.mark.slow
def test_llama_cpp_runs_the_real_bundled_gguf(tmp_path):
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip(f"llama-cpp-python not installed: {llama_baseline.INSTALL_HINT}")
    entry = get_entry("qwen2.5-coder-0.5b")  # the smaller bundled GGUF: same code path
    if not is_installed(entry):
        pytest.skip(f"bundled weights not installed: {install_hint(entry)}")
    gguf = llama_baseline.joined_gguf(entry, tmp_path)
    prompt_ids = list(range(1000, 1048))

    figures = run_engine("llama-cpp", prompt_ids, 4, 2, tmp_path, gguf=gguf)

    assert (figures.prompt_tokens, figures.new_tokens, figures.threads) == (48, 4, 2)
    assert figures.perf_counters["n_p_eval"] == 48 and figures.perf_counters["n_eval"] == 3
    assert figures.prefill_tokens_per_s > 0 and figures.decode_tokens_per_s > 0
    assert figures.load_seconds > 0 and figures.peak_rss_mb > 100
