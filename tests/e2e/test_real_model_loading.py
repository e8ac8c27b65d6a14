"""The real bundled generator, end to end: verified, converted once into the cache, loaded in
the CPU's default precision, answering. Shares the session's one conversion and load
(tests/e2e/conftest.py) instead of converting a second time."""

from __future__ import annotations

import pytest
import torch

from studylog.rag import loading
from studylog.rag.device import PRECISIONS
from studylog.rag.loading import is_converted, prepare_model

pytestmark = pytest.mark.slow


def test_default_model_is_converted_once_and_answers(
    real_home, real_generator_entry, real_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = real_home / "models" / real_generator_entry.key
    assert is_converted(folder, real_generator_entry.sha256 or "")
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= {
        p.name for p in folder.iterdir()
    }

    def no_second_conversion(*args: object) -> None:
        raise AssertionError("converted twice")

    monkeypatch.setattr(loading, "_convert_gguf", no_second_conversion)
    assert prepare_model(real_generator_entry, real_home / "models") == folder

    if real_model.device == "cpu":
        assert real_model.precision == PRECISIONS["cpu"][0]
    assert real_model.messages == []
    tokenizer = real_model.tokenizer
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2 + 2? Reply with the number only."}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    with torch.inference_mode():
        out = real_model.model.generate(**prompt, max_new_tokens=8, do_sample=False)
    answer = tokenizer.decode(out[0, prompt["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "4" in answer
