"""Fixtures: a fresh tiny model per test (so state leaks between tests cannot hide), one tokenizer."""

from __future__ import annotations

import pytest
from tiny_models import Chat, build_chat, build_model, build_tokenizer
from transformers import PreTrainedTokenizerFast, Qwen2ForCausalLM


@pytest.fixture(scope="session")
def tokenizer() -> PreTrainedTokenizerFast:
    return build_tokenizer()


@pytest.fixture
def model(tokenizer: PreTrainedTokenizerFast) -> Qwen2ForCausalLM:
    return build_model(tokenizer)


@pytest.fixture
def chat(tokenizer: PreTrainedTokenizerFast) -> Chat:
    return build_chat(tokenizer)
