"""Attention capture on the real default generator (Qwen2.5-Coder-1.5B: 28 layers, 12 query heads
sharing 2 KV heads), against transformers' own eager attention, and `studylog attention --json`.

The generator is loaded once per session (tests/e2e/conftest.py), in the CPU's default
precision (fp16-weights: float32 arithmetic).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pytest
import torch

from studylog import cli
from studylog.attention import AttentionCapture, capture_attention, layer_matrix
from studylog.config import DEFAULT_GENERATOR

pytestmark = pytest.mark.slow

FLOAT16_ATOL = 1e-3
PROMPT = "오늘은 어텐션을 공부했다. Why divide by √d_k? 한 문장으로 답해."
ANSWER_TOKENS = 4
EXPLORE_TEXT = "오늘은 어텐션을 공부했다. Attention is all you need."
REFERENCE_IMPLEMENTATION = "studylog_e2e_reference"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Byte-level BPE shows raw bytes as Latin-1 / Latin Extended-A letters ("ì", "Ġ", "Ċ").
BYTE_LEVEL_GARBAGE = re.compile(r"[\u0080-\u024f\ufffd]")
PIECE_PART = re.compile(r"^(.*)\[(\d+)/(\d+)\]$")


def sum_atol(loaded) -> float:
    """Row sums of float32 weights stored as float16 are 1 within 1e-3; a bf16/fp16 model (the
    CUDA default) rounds each weight to 8-11 bits first."""
    return FLOAT16_ATOL if loaded.dtype == torch.float32 else 1e-2


def require_float32(loaded) -> None:
    """Comparisons at float16 tolerance need float32 arithmetic (int8-dynamic computes in it)."""
    if loaded.dtype != torch.float32:
        pytest.skip(f"{loaded.precision} on {loaded.device}: weights are not float32")


class Chat(NamedTuple):
    token_ids: list[int]
    prompt_len: int


def eager_attentions(model, token_ids: Sequence[int],
                     implementation: str = "eager") -> list[np.ndarray]:
    """Per layer `[H, T, T]` float32 from transformers' documented path: an attention
    implementation that returns weights + `output_attentions=True`; SDPA is restored after,
    even when the pass fails."""
    own = model.config._attn_implementation  # "sdpa", or its single-query variant on CPU
    model.set_attn_implementation(implementation)
    try:
        with torch.inference_mode():
            out = model(torch.tensor([list(token_ids)], device=model.device),
                        output_attentions=True, use_cache=False)
    finally:
        model.set_attn_implementation(own)
    return [layer[0].float().cpu().numpy() for layer in out.attentions]


def _reference_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0,
                         **kwargs):
    """The layer output computed exactly as the capture pass computes it (SDPA, same call), and
    the weights by transformers' own `eager_attention_forward` over the same query and keys.

    Under int8-dynamic quantisation the eager and SDPA paths of one model drift apart from layer
    to layer (see `test_answer_rows_equal_transformers_eager_attentions`), so comparing the
    capture with eager weights needs both computed from the same layer inputs: this is that
    reference, over the full `[H, T, T]` matrices (fine for a short text).
    """
    from transformers.models.qwen2.modeling_qwen2 import eager_attention_forward

    groups = query.shape[1] // key.shape[1]
    scaling = query.shape[-1] ** -0.5 if scaling is None else scaling
    is_causal = attention_mask is None and query.shape[2] > 1 and getattr(module, "is_causal", True)
    output = torch.nn.functional.scaled_dot_product_attention(
        query, key.repeat_interleave(groups, dim=1), value.repeat_interleave(groups, dim=1),
        attn_mask=attention_mask, dropout_p=0.0, is_causal=is_causal, scale=scaling)
    query_len, key_len = query.shape[2], key.shape[2]
    if attention_mask is None:
        allowed = (torch.arange(key_len, device=query.device)[None, :]
                   <= torch.arange(key_len - query_len, key_len, device=query.device)[:, None])
    else:
        allowed = attention_mask
    if allowed.dtype == torch.bool:
        additive = torch.zeros(allowed.shape, dtype=query.dtype, device=query.device)
        additive = additive.masked_fill(~allowed, torch.finfo(query.dtype).min)
    else:
        additive = allowed
    _, weights = eager_attention_forward(module, query, key, value, additive, scaling=scaling)
    return output.transpose(1, 2).contiguous(), weights


def _register_reference() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    AttentionInterface.register(REFERENCE_IMPLEMENTATION, _reference_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(REFERENCE_IMPLEMENTATION, sdpa_mask)


def answer_rows_of(reference: list[np.ndarray], chat: Chat) -> list[np.ndarray]:
    """Per layer the `[H, A, T]` rows of the answer: token a came from position prompt_len-1+a."""
    return [layer[:, chat.prompt_len - 1 : len(chat.token_ids) - 1] for layer in reference]


@pytest.fixture(scope="module")
def chat(real_model) -> Chat:
    """A short chat prompt in Korean and English, then a few tokens the model generated."""
    tokenizer, model = real_model.tokenizer, real_model.model
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": PROMPT}], add_generation_prompt=True, return_tensors="pt",
        return_dict=True)
    prompt_len = prompt["input_ids"].shape[1]
    assert 30 <= prompt_len <= 80, prompt_len
    with torch.inference_mode():
        out = model.generate(**prompt.to(model.device), max_new_tokens=ANSWER_TOKENS,
                             min_new_tokens=ANSWER_TOKENS, do_sample=False)
    token_ids = out[0].tolist()
    assert len(token_ids) == prompt_len + ANSWER_TOKENS
    print(f"\ncapture over {prompt_len} prompt tokens + answer "
          f"{tokenizer.decode(token_ids[prompt_len:])!r}")
    return Chat(token_ids, prompt_len)


@pytest.fixture(scope="module")
def captured(real_model, chat: Chat) -> AttentionCapture:
    return capture_attention(real_model.model, real_model.tokenizer, chat.token_ids,
                             chat.prompt_len, model_name=real_model.name)


@pytest.fixture(scope="module")
def eager_reference(real_model, chat: Chat) -> list[np.ndarray]:
    return eager_attentions(real_model.model, chat.token_ids)


def test_capture_follows_the_real_models_grouped_query_attention(
        real_model, chat: Chat, captured: AttentionCapture) -> None:
    config = real_model.model.config.get_text_config()
    assert (config.num_hidden_layers, config.num_attention_heads, config.num_key_value_heads) \
        == (28, 12, 2)
    assert (captured.num_layers, captured.num_heads, captured.num_kv_heads) == (28, 12, 2)
    assert [captured.kv_group(head) for head in range(12)] == [head // 6 for head in range(12)]
    with pytest.raises(IndexError):
        captured.kv_group(12)
    for layer in real_model.model.model.layers:  # 2 KV heads of head_dim each feed 12 queries
        assert layer.self_attn.num_key_value_groups == 6
        assert layer.self_attn.k_proj.out_features == 2 * layer.self_attn.head_dim

    num_tokens = len(chat.token_ids)
    assert captured.answer_rows.shape == (28, 12, ANSWER_TOKENS, num_tokens)
    assert captured.answer_rows.dtype == np.float16
    rows = captured.answer_rows.astype(np.float32)
    np.testing.assert_allclose(rows.sum(axis=-1), 1.0, atol=sum_atol(real_model))
    for a in range(ANSWER_TOKENS):  # causal: nothing after the query's own position
        assert not rows[..., a, captured.query_start + a + 1 :].any()
    assert captured.model_name == DEFAULT_GENERATOR
    assert len(captured.tokens) == num_tokens
    # Readable prompt labels; only an answer cut off mid-syllable keeps a raw byte token.
    prompt_labels = captured.tokens[: chat.prompt_len]
    assert not any(BYTE_LEVEL_GARBAGE.search(label) for label in prompt_labels), prompt_labels
    assert "어텐션" in piece_text(prompt_labels) and "√d_k" in piece_text(prompt_labels)
    assert not any("\ufffd" in label for label in captured.tokens), captured.tokens
    assert real_model.model.config._attn_implementation == real_model.attn_implementation  # restored after the pass


def test_answer_rows_equal_eager_weights_over_the_same_layer_inputs(
        real_model, chat: Chat, captured: AttentionCapture, eager_reference) -> None:
    """Every layer's answer rows equal transformers' eager weights when both are computed from
    the layer inputs the capture pass sees (its SDPA layer outputs)."""
    require_float32(real_model)
    _register_reference()
    reference = eager_attentions(real_model.model, chat.token_ids, REFERENCE_IMPLEMENTATION)
    assert real_model.model.config._attn_implementation == real_model.attn_implementation

    # Layer 0 reads the embeddings, the same in every path: the reference is transformers' eager.
    np.testing.assert_allclose(reference[0], eager_reference[0], atol=1e-5)
    for layer, expected in enumerate(answer_rows_of(reference, chat)):
        np.testing.assert_allclose(captured.answer_rows[layer], expected, atol=FLOAT16_ATOL,
                                   err_msg=f"layer {layer}")


def test_answer_rows_equal_transformers_eager_attentions(
        request, real_model, chat: Chat, captured: AttentionCapture, eager_reference) -> None:
    """The capture against `output_attentions` of transformers' eager path, every layer."""
    require_float32(real_model)
    if real_model.precision in ("int8-dynamic", "int8-per-token"):
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            "int8 precisions quantise each Linear's input, so the ~1e-7 differences between "
            "SDPA (the capture pass and generation use it) and eager layer outputs flip int8 "
            "roundings and grow layer by layer: measured up to ~0.2 (int8-dynamic) and 0.09 "
            "(int8-per-token) apart from layer 2 on (fp32: < 2.5e-4 in all 28 layers). The "
            "panel shows the rows recorded during generation, which are exact")))
    expected_rows = answer_rows_of(eager_reference, chat)
    differences = [float(np.abs(captured.answer_rows[layer].astype(np.float32) - expected).max())
                   for layer, expected in enumerate(expected_rows)]
    print("\nmax |capture - eager| per layer:", " ".join(f"{d:.1e}" for d in differences))
    np.testing.assert_allclose(captured.answer_rows[0], expected_rows[0], atol=FLOAT16_ATOL)
    assert max(differences) <= FLOAT16_ATOL, differences


@pytest.mark.parametrize("layer", [3, -1])
def test_layer_matrix_equals_transformers_eager_attention(
        real_model, chat: Chat, eager_reference, layer: int) -> None:
    layer = layer % len(eager_reference)
    matrix = layer_matrix(real_model.model, chat.token_ids, layer)
    assert matrix.dtype == np.float32 and matrix.shape == eager_reference[layer].shape
    np.testing.assert_allclose(matrix, eager_reference[layer], atol=1e-5)
    assert real_model.model.config._attn_implementation == real_model.attn_implementation


def piece_text(labels: Sequence[str]) -> str:
    """The text behind per-token labels: a piece split over n tokens is labelled "x[k/n]"."""
    parts = []
    for label in labels:
        match = PIECE_PART.match(label)
        if match is None:
            parts.append(label)
        elif match.group(2) == "1":
            parts.append(match.group(1))
    return "".join(parts)


def test_attention_cli_json_over_korean_and_english_text(capsys, real_model, studylog_cli) -> None:
    code = cli.main(["attention", EXPLORE_TEXT, "--layer", "3", "--head", "mean", "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)

    assert {"model", "tokens", "layers", "heads", "matrix"} <= payload.keys()
    assert payload["model"] == DEFAULT_GENERATOR
    assert (payload["layers"], payload["heads"], payload["kv_heads"]) == (28, 12, 2)
    assert (payload["layer"], payload["head"]) == (3, "mean")
    tokens, matrix = payload["tokens"], np.array(payload["matrix"], dtype=np.float64)
    assert matrix.shape == (len(tokens), len(tokens))
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=sum_atol(real_model))
    assert not np.triu(matrix, k=1).any()

    # Hangul byte pieces merged into readable labels that spell the text back.
    print("\ntokens:", tokens)
    assert not any(BYTE_LEVEL_GARBAGE.search(label) for label in tokens), tokens
    assert sum(bool(HANGUL.search(label)) for label in tokens) >= 5, tokens
    assert piece_text(tokens) == EXPLORE_TEXT
    assert "어텐션" in piece_text(tokens)

    # The matrix is the real model's layer 3 head mean, as transformers' eager path gives it.
    ids = real_model.tokenizer(EXPLORE_TEXT, add_special_tokens=False)["input_ids"]
    assert len(ids) == len(tokens)
    expected = eager_attentions(real_model.model, ids)[3].mean(axis=0)
    np.testing.assert_allclose(matrix, expected, atol=1e-5)
    assert [call["model"] for call in studylog_cli.load_calls] == [DEFAULT_GENERATOR]


def test_recorded_rows_are_exact_and_leave_the_answer_unchanged(real_model, chat: Chat) -> None:
    """Recording while generating does not change one token, and the replay's drift from it is
    measured (not bounded: on CPUs whose kernels couple tokens it is what the figure is for)."""
    from studylog.attention.record import AnswerRecorder

    model, prompt_len = real_model.model, chat.prompt_len
    answer_len = len(chat.token_ids) - prompt_len
    inputs = torch.tensor([chat.token_ids[:prompt_len]], device=model.device)
    recorder = AnswerRecorder(model, prompt_len, answer_len)
    with torch.inference_mode(), recorder.recording():
        out = model.generate(inputs, attention_mask=torch.ones_like(inputs), max_new_tokens=answer_len,
                             min_new_tokens=answer_len, do_sample=False)
    assert out[0].tolist() == chat.token_ids  # the fixture generated them without recording
    rows = recorder.rows(answer_len)
    # Rows are kept in float16 (relative step 2**-11): summed over ~1,000 keys, rounding adds up
    # to a few 1e-3 around the softmax's exact 1.
    np.testing.assert_allclose(rows.astype(np.float32).sum(-1), 1.0, atol=1e-2)
    capture = capture_attention(model, real_model.tokenizer, chat.token_ids, prompt_len,
                                model_name=real_model.name, recorded=rows)
    fidelity = capture.fidelity
    assert fidelity.exact and fidelity.method == "recorded"
    assert fidelity.replay_max_abs_diff is not None and 0.0 <= fidelity.replay_max_abs_diff < 1.0
    print(f"\nreplay vs recorded: max |diff| {fidelity.replay_max_abs_diff:.2e}, "
          f"replay predicts the answer: {fidelity.replay_tokens_match}")
