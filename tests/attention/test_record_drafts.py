"""Recording while decoding with prompt-lookup drafts: a step's rows land in their answer slots,
they are token-by-token decoding's rows, and a regeneration repeats them bit for bit."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from tiny_models import Chat

from studylog.attention.record import AnswerRecorder
from studylog.attention.regenerate import regenerate_attention
from studylog.rag import int8
from studylog.rag.decoding import greedy_decode
from studylog.rag.loading import decoding_ready

NEW_TOKENS = 24


@pytest.fixture
def quantised(model):
    """As the app loads it: int8 prompts, 4-bit decoding steps, the decoding-step attention."""
    return decoding_ready(int8.quantize_int8_per_token(copy.deepcopy(model).eval()))


def _copying(chat: Chat) -> tuple[list[int], list[int]]:
    """The chat's prompt and an 'answer' that copies a stretch of it: forced, the lookup's drafts
    are kept whatever a tiny random model would choose, so steps have several rows."""
    prompt = chat.token_ids[: chat.prompt_len]
    return prompt, prompt[20 : 20 + NEW_TOKENS]


def _record(model, prompt: list[int], answer: list[int], draft_tokens: int):
    recorder = AnswerRecorder(model, len(prompt), NEW_TOKENS)
    with recorder.recording():
        decoded = greedy_decode(model, prompt, NEW_TOKENS, forced=answer, draft_tokens=draft_tokens)
    return decoded, recorder


def test_rows_recorded_with_drafts_are_token_by_token_rows(quantised, chat):
    prompt, answer = _copying(chat)
    plain, plain_recorder = _record(quantised, prompt, answer, 0)
    drafted, recorder = _record(quantised, prompt, answer, 3)
    assert drafted.steps < plain.steps // 2  # several rows per step were recorded
    assert recorder.recorded_tokens >= NEW_TOKENS
    rows = recorder.rows(NEW_TOKENS)
    # The model computed the same rows (tests/rag/test_decoding.py: same keys and values, bit
    # for bit); the recorder's own product for 4 rows at once sums float32 in another order
    # than for 1, so a few weights land on the neighbouring float16 value: 1 ulp, 2^-10.
    np.testing.assert_allclose(rows.astype(np.float32),
                               plain_recorder.rows(NEW_TOKENS).astype(np.float32),
                               rtol=2.0**-10, atol=2.0**-24)
    # Row a attends to the prompt and answer tokens before it only, and sums to 1.
    for a in range(NEW_TOKENS):
        assert not rows[:, :, a, len(prompt) + a :].any()
    np.testing.assert_allclose(rows.astype(np.float32).sum(axis=-1), 1.0, atol=5e-3)  # float16


def test_regeneration_repeats_the_drafted_steps_bit_for_bit(quantised, tokenizer, chat):
    prompt, answer = _copying(chat)
    _, recorder = _record(quantised, prompt, answer, 3)
    recorded = recorder.rows(NEW_TOKENS)
    capture = regenerate_attention(quantised, tokenizer, prompt + answer, len(prompt),
                                   recorded=recorded, keep_layers_full=[1])
    assert capture.fidelity.replay_max_abs_diff == 0.0
    full = capture.full_layers[1].astype(np.float32)
    np.testing.assert_array_equal(full[:, len(prompt) - 1 : -1], recorded[1].astype(np.float32))
