"""`studylog bench gpu`: refuses without a GPU; `--device cpu` runs every step with the tiny model,
so the script a GPU session runs cannot rot where no GPU is."""

from __future__ import annotations

import json

import pytest
import torch

from studylog import cli

RUN_KEYS = {"precision", "dtype", "device", "messages", "load_seconds", "load", "answer", "attention",
            "throughput", "peak_memory_mb"}


@pytest.fixture
def tiny_folder(tiny, tmp_path):
    folder = tmp_path / "tiny-model"
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.parametrize("device", [[], ["--device", "cuda:0"]])
def test_without_cuda_it_refuses_and_says_how_to_run_it(capsys, monkeypatch, device):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cli.main(["bench", "gpu", "--json", *device]) == 1
    err = capsys.readouterr().err
    assert "no CUDA device was found" in err
    assert "studylog bench gpu --json" in err and "TORCH_PIP_ARGS" in err and "--device cpu" in err


def test_cpu_dry_run_reports_every_figure(capsys, monkeypatch, tiny_folder, fixtures_vault, fake_embedder,
                                          tmp_path):
    monkeypatch.setattr("studylog.index.embedders.load_embedder", lambda *args, **kwargs: fake_embedder)
    code = cli.main(["bench", "gpu", "--json", "--device", "cpu", "--model", str(tiny_folder),
                     "--precisions", "fp32,bf16", "--new-tokens", "4", "--fixtures", str(fixtures_vault),
                     "--out", str(tmp_path / "work")])
    assert code == 0
    out, err = capsys.readouterr()
    figures = json.loads(out)
    assert figures["device"] == "cpu" and figures["gpu"] is None and figures["torch"] == torch.__version__
    assert figures["question"] == "어텐션에서 √d_k로 나누는 이유가 뭐였지?"
    assert list(figures["precisions"]) == ["fp32", "bf16"]
    for precision, run in figures["precisions"].items():
        assert set(run) == RUN_KEYS
        assert run["precision"] == precision and run["device"] == "cpu" and run["load"] == "cached"
        answer = run["answer"]
        assert answer["text"] and answer["new_tokens"] > 0 and answer["seconds_to_first_token"] > 0
        assert answer["cited_dates"] and answer["evidence"] >= 1  # fallback or not, it cites the notes
        # Recorded while generating, then checked by the prompt x prompt replay.
        attention = run["attention"]
        assert attention["recorded"] and attention["fidelity"]["method"] == "recorded"
        assert attention["recorded_rows_shape"][:2] == [2, 4]
        assert attention["recorded_rows_shape"][2] == answer["new_tokens"]
        assert attention["capture_seconds"] > 0
        throughput = run["throughput"]
        assert throughput["prompt_tokens"] == answer["prompt_tokens"] and throughput["new_tokens"] == 4
        assert throughput["prefill_tokens_per_s"] > 0 and throughput["decode_tokens_per_s"] > 0
        # No GPU: the memory figures are there, empty.
        assert set(run["peak_memory_mb"]) == {"load", "ask", "capture"}
        assert run["peak_memory_mb"]["load"] == {"allocated_mb": None, "reserved_mb": None}
    assert "dry run, no GPU" in err and "decode tok/s" in err
