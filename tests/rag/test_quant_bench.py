"""`studylog bench quant` on the tiny Qwen2: every variant runs and leaves the model as it was."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from studylog.bench.quant_bench import VARIANTS, compare_precisions, realistic_sequence, table


def test_every_variant_is_measured_and_the_float_model_is_restored(tiny_model, tmp_path) -> None:
    model = AutoModelForCausalLM.from_pretrained(tiny_model.folder, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_model.folder)
    note = tmp_path / "2026-10-14.md"
    note.write_text("I studied transformers today and learned about attention.", encoding="utf-8")
    sequence, prompt_tokens = realistic_sequence(model, tokenizer, note, answer_tokens=8)
    assert sequence.shape[1] == prompt_tokens + 8
    before = {name: module for name, module in model.named_modules()}

    rows = compare_precisions(model, sequence, positions=20)

    assert [row["variant"] for row in rows] == list(VARIANTS)
    for row in rows:
        assert row["kl_mean"] >= 0
        assert 0 <= row["top1_agreement"] <= 1
        assert row["forward_s"] >= 0
    sanity = rows[0]
    assert (sanity["variant"], sanity["kl_mean"], sanity["top1_agreement"]) == ("float32", 0, 1.0)
    assert {name: module for name, module in model.named_modules()} == before
    assert not model.config.tie_word_embeddings
    figures = {"model": "tiny", "tokens": sequence.shape[1], "positions": 20, "variants": rows}
    assert "int8-per-token (shipped)" in table(figures)
