"""Recording while decoding with prompt-lookup drafts: a step's rows land in their answer slots,
and a regeneration repeats the drafted steps bit for bit."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from tiny_models import Chat

from studylog.attention.record import AnswerRecorder
from studylog.attention.regenerate import regenerate_attention
from studylog.rag import int8
from studylog.rag.decoding import greedy_decode
from studylog.rag.generation import stop_ids_of
from studylog.rag.loading import decoding_ready

NEW_TOKENS = 24


@pytest.fixture
def quantised(model):
    """As the app loads it: int8 prompts, 4-bit decoding steps, the decoding-step attention."""
    return decoding_ready(int8.quantize_int8_per_token(copy.deepcopy(model).eval()))


def _copying(chat: Chat, tokenizer) -> tuple[list[int], list[int]]:
    """The chat's prompt and an 'answer' that copies the stretch of it before its first end of
    turn: forced, the lookup's drafts are kept whatever a tiny random model would choose, so
    steps have several rows, and near the end the lookup would draft "<|im_end|>" but for the
    app's stop ids."""
    prompt = chat.token_ids[: chat.prompt_len]
    end = prompt.index(tokenizer.convert_tokens_to_ids("<|im_end|>"))
    assert end >= NEW_TOKENS + 4
    return prompt, prompt[end - NEW_TOKENS : end]


def _record(model, tokenizer, prompt: list[int], answer: list[int], draft_tokens: int):
    recorder = AnswerRecorder(model, len(prompt), NEW_TOKENS)
    with recorder.recording():
        decoded = greedy_decode(model, prompt, NEW_TOKENS, forced=answer, draft_tokens=draft_tokens,
                                stop_ids=stop_ids_of(model, tokenizer))  # as stream_generate
    return decoded, recorder


def test_rows_recorded_with_drafts_fill_every_answer_slot(quantised, tokenizer, chat):
    prompt, answer = _copying(chat, tokenizer)
    plain, _ = _record(quantised, tokenizer, prompt, answer, 0)
    drafted, recorder = _record(quantised, tokenizer, prompt, answer, 3)
    assert drafted.steps < plain.steps // 2  # several rows per step were recorded
    assert recorder.recorded_tokens >= NEW_TOKENS
    rows = recorder.rows(NEW_TOKENS)
    # Row a attends to the prompt and answer tokens before it only, and sums to 1.
    for a in range(NEW_TOKENS):
        assert not rows[:, :, a, len(prompt) + a :].any()
    np.testing.assert_allclose(rows.astype(np.float32).sum(axis=-1), 1.0, atol=5e-3)  # float16


def test_regeneration_repeats_the_drafted_steps_bit_for_bit(quantised, tokenizer, chat):
    prompt, answer = _copying(chat, tokenizer)
    _, recorder = _record(quantised, tokenizer, prompt, answer, 3)
    recorded = recorder.rows(NEW_TOKENS)
    capture = regenerate_attention(quantised, tokenizer, prompt + answer, len(prompt),
                                   recorded=recorded, keep_layers_full=[1])
    assert capture.fidelity.replay_max_abs_diff == 0.0
    full = capture.full_layers[1].astype(np.float32)
    np.testing.assert_array_equal(full[:, len(prompt) - 1 : -1], recorded[1].astype(np.float32))
