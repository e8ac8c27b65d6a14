"""The real bundled generator, end to end: verify, convert once, load from the cache, answer."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from studylog.config import DEFAULT_GENERATOR
from studylog.rag.catalogue import get_entry, install_hint, is_installed
from studylog.rag.loading import is_converted, load_model


@pytest.mark.slow
def test_default_model_converts_once_then_loads_and_answers(tmp_path: Path) -> None:
    entry = get_entry(DEFAULT_GENERATOR)
    if not is_installed(entry):
        pytest.skip(f"bundled weights not installed: {install_hint(entry)}")
    stages: set[str] = set()
    first = load_model(entry.key, tmp_path, device="cpu", progress=lambda s, f: stages.add(s))
    assert {"joining", "converting", "saving", "loading"} <= stages
    assert is_converted(tmp_path / entry.key, entry.sha256 or "")
    del first

    loaded = load_model(entry.key, tmp_path, device="cpu")
    print(f"cached load: {loaded.load_seconds:.1f} s")
    assert (loaded.dtype, loaded.precision, loaded.messages) == (torch.float32, "int8-dynamic", [])
    prompt = loaded.tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2 + 2? Reply with the number only."}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    with torch.inference_mode():
        out = loaded.model.generate(**prompt, max_new_tokens=8, do_sample=False)
    answer = loaded.tokenizer.decode(
        out[0, prompt["input_ids"].shape[1] :], skip_special_tokens=True
    )
    assert "4" in answer
