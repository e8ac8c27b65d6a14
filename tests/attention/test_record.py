"""Attention recorded while generating: the answer is unchanged, the rows are generation's own,
and the fidelity figure tells an exact capture from a replay that drifted."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_models import Chat

from studylog.attention import AttentionCapture, capture_attention
from studylog.attention.record import AnswerRecorder

NEW_TOKENS = 12


def _generate(model, prompt_ids: list[int], recorder: AnswerRecorder | None = None):
    inputs = torch.tensor([prompt_ids])
    kwargs = dict(
        attention_mask=torch.ones_like(inputs), max_new_tokens=NEW_TOKENS,
        min_new_tokens=NEW_TOKENS, do_sample=False, pad_token_id=0,
        output_logits=True, return_dict_in_generate=True,
    )
    with torch.inference_mode():
        if recorder is None:
            return model.generate(inputs, **kwargs)
        with recorder.recording():
            return model.generate(inputs, **kwargs)


def _prompt(chat: Chat) -> list[int]:
    return chat.token_ids[: chat.prompt_len]


@pytest.mark.parametrize("implementation", ["sdpa", "eager"])
def test_recording_leaves_the_answer_bit_for_bit_unchanged(model, chat, implementation):
    model.set_attn_implementation(implementation)
    prompt = _prompt(chat)
    plain = _generate(model, prompt)
    recorder = AnswerRecorder(model, len(prompt), NEW_TOKENS)
    recorded = _generate(model, prompt, recorder)
    assert torch.equal(plain.sequences, recorded.sequences)
    for before, during in zip(plain.logits, recorded.logits, strict=True):
        assert torch.equal(before, during)
    assert model.config._attn_implementation == implementation  # restored
    assert recorder.recorded_tokens == NEW_TOKENS


def test_recorded_rows_are_the_eager_rows_of_the_answer(model, tokenizer, chat):
    prompt = _prompt(chat)
    recorder = AnswerRecorder(model, len(prompt), NEW_TOKENS)
    ids = _generate(model, prompt, recorder).sequences[0].tolist()
    rows = recorder.rows(NEW_TOKENS)
    assert rows.shape == (3, 4, NEW_TOKENS, len(ids))
    # Eager attention of prompt + answer in full, float32: the row that produced token a is at
    # position prompt_len - 1 + a. A token-independent tiny model agrees up to float16 storage.
    model.set_attn_implementation("eager")
    with torch.inference_mode():
        out = model(torch.tensor([ids]), output_attentions=True)
    first = len(prompt) - 1
    for layer, weights in enumerate(out.attentions):
        expected = weights[0, :, first : first + NEW_TOKENS].float().numpy()
        np.testing.assert_allclose(rows[layer].astype(np.float32), expected, atol=2e-3)
    np.testing.assert_allclose(rows.astype(np.float32).sum(-1), 1.0, atol=1e-2)


def test_fidelity_is_exact_for_recorded_rows_and_measures_the_replay(model, tokenizer, chat, tmp_path):
    prompt = _prompt(chat)
    recorder = AnswerRecorder(model, len(prompt), NEW_TOKENS)
    ids = _generate(model, prompt, recorder).sequences[0].tolist()
    rows = recorder.rows(NEW_TOKENS)
    capture = capture_attention(model, tokenizer, ids, len(prompt), recorded=rows)
    fidelity = capture.fidelity
    assert fidelity.method == "recorded"
    assert fidelity.exact and fidelity.max_abs_diff == 0.0 and fidelity.answer_tokens_match
    assert capture.answer_rows is rows  # what is shown is what generation computed
    # The tiny model is token-independent: the replay agrees to float16 rounding.
    assert fidelity.replay_max_abs_diff is not None and fidelity.replay_max_abs_diff < 2e-3
    assert fidelity.replay_tokens_match
    capture.save(tmp_path / "a.npz")
    assert AttentionCapture.load(tmp_path / "a.npz").fidelity == fidelity


def test_a_perturbed_replay_is_detected(model, tokenizer, chat):
    prompt = _prompt(chat)
    recorder = AnswerRecorder(model, len(prompt), NEW_TOKENS)
    ids = _generate(model, prompt, recorder).sequences[0].tolist()
    rows = recorder.rows(NEW_TOKENS)
    with torch.no_grad():  # the replay no longer computes what answered
        for layer in model.model.layers:
            layer.self_attn.k_proj.weight.mul_(1.5)
        model.lm_head.weight.add_(torch.randn_like(model.lm_head.weight))
    capture = capture_attention(model, tokenizer, ids, len(prompt), recorded=rows)
    assert capture.fidelity.exact  # the rows shown are still generation's
    assert capture.fidelity.replay_max_abs_diff > 0.05
    assert capture.fidelity.replay_tokens_match is False
    replay_only = capture_attention(model, tokenizer, ids, len(prompt))
    assert replay_only.fidelity.method == "replay"
    assert replay_only.fidelity.max_abs_diff is None
    assert not replay_only.fidelity.answer_tokens_match
    assert not replay_only.fidelity.exact


def test_an_unperturbed_replay_predicts_the_answer(model, tokenizer, chat):
    prompt = _prompt(chat)
    ids = _generate(model, prompt).sequences[0].tolist()
    capture = capture_attention(model, tokenizer, ids, len(prompt))
    assert capture.fidelity.answer_tokens_match and capture.fidelity.method == "replay"


def test_recorded_rows_of_a_shorter_answer_are_trimmed(model, chat):
    prompt = _prompt(chat)
    recorder = AnswerRecorder(model, len(prompt), NEW_TOKENS)
    _generate(model, prompt, recorder)
    assert recorder.rows(5).shape == (3, 4, 5, len(prompt) + 5)
    with pytest.raises(ValueError, match="were recorded"):
        recorder.rows(NEW_TOKENS + 1)
