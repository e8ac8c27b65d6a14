"""Regenerating an answer step by step reproduces the computation that answered: the rows equal
the ones recorded while answering, bit for bit, even where decoding differs from a prompt pass
(4-bit decoding weights), and every step chooses the answer's own token."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from tiny_models import Chat

from studylog.attention import capture_attention
from studylog.attention.record import AnswerRecorder
from studylog.attention.regenerate import regenerate_attention
from studylog.rag import int8
from studylog.rag.generation import GenerationResult, stream_generate

NEW_TOKENS = 10


@pytest.fixture
def quantised(model):
    """The app's default CPU model: int8 prompts, 4-bit decoding steps."""
    quantised = int8.quantize_int8_per_token(copy.deepcopy(model).eval())
    assert int8.decoding_linears(quantised) > 0
    return quantised


def _answer(model, tokenizer, chat: Chat) -> tuple[list[int], np.ndarray]:
    prompt = chat.token_ids[: chat.prompt_len]
    recorder = AnswerRecorder(model, len(prompt), NEW_TOKENS)
    result = GenerationResult()
    list(stream_generate(model, tokenizer, prompt, NEW_TOKENS, result=result,
                         min_new_tokens=NEW_TOKENS, around_generate=recorder.recording()))
    return prompt + result.answer_ids, recorder.rows(len(result.answer_ids))


def test_regenerated_rows_are_the_recorded_ones_bit_for_bit(quantised, tokenizer, chat):
    ids, recorded = _answer(quantised, tokenizer, chat)
    capture = regenerate_attention(quantised, tokenizer, ids, chat.prompt_len, recorded=recorded,
                                   keep_layers_full=[0])
    fidelity = capture.fidelity
    assert fidelity.method == "recorded" and fidelity.exact
    assert fidelity.replay_max_abs_diff == 0.0 and fidelity.replay_tokens_match
    assert capture.answer_rows is recorded
    # The prompt x prompt views come from the same computation: the full layer's answer rows
    # are the recorded ones too, and every row (the last answer token's included) sums to 1.
    full = capture.full_layers[0].astype(np.float32)
    first = chat.prompt_len - 1
    np.testing.assert_array_equal(full[:, first : len(ids) - 1], recorded[0].astype(np.float32))
    np.testing.assert_allclose(full.sum(axis=-1), 1.0, atol=len(ids) * 1e-3)  # float16 rows
    assert capture.rollout is not None and capture.rollout.shape == (len(ids), len(ids))
    assert np.isfinite(capture.rollout).all()


def test_without_a_recording_the_regeneration_is_kept_and_checked(quantised, tokenizer, chat):
    ids, recorded = _answer(quantised, tokenizer, chat)
    capture = regenerate_attention(quantised, tokenizer, ids, chat.prompt_len)
    assert capture.fidelity.method == "replay" and capture.fidelity.answer_tokens_match
    np.testing.assert_array_equal(capture.answer_rows, recorded)
    one_pass = capture_attention(quantised, tokenizer, ids, chat.prompt_len, recorded=recorded)
    # The one-pass replay runs every row on the int8 path; it is only as close as the
    # 4-bit decoding weights are to int8 ones.
    assert one_pass.fidelity.replay_max_abs_diff > 0.0


def test_an_answer_the_model_did_not_write_is_caught(quantised, tokenizer, chat):
    ids, _ = _answer(quantised, tokenizer, chat)
    ids[-2] = (ids[-2] + 1) % 50  # one answer token replaced
    capture = regenerate_attention(quantised, tokenizer, ids, chat.prompt_len)
    assert not capture.fidelity.answer_tokens_match
