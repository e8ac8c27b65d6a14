"""The capture pass against transformers' own eager attention, and its memory and state hygiene."""

from __future__ import annotations

import pickle
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_models import NUM_HEADS, NUM_KV_HEADS, NUM_LAYERS, Chat
from transformers import PreTrainedTokenizerFast, Qwen2ForCausalLM

from studylog.attention import (
    AttentionCapture,
    aggregate_heads,
    attention_rollout,
    capture_attention,
    layer_matrix,
)

FLOAT16_ATOL = 1e-3
PLAIN_FIELDS = [
    "model_name",
    "token_ids",
    "tokens",
    "prompt_len",
    "spans",
    "pieces",
    "special",
    "num_layers",
    "num_heads",
    "num_kv_heads",
]


def eager_reference(model: Qwen2ForCausalLM, token_ids: list[int]) -> list[np.ndarray]:
    """Per layer `[H, T, T]` from transformers' documented path: eager + output_attentions."""
    model.set_attn_implementation("eager")
    with torch.inference_mode():
        out = model(torch.tensor([token_ids]), output_attentions=True)
    model.set_attn_implementation("sdpa")
    return [layer[0].numpy() for layer in out.attentions]


def forward_hook_counts(model: torch.nn.Module) -> list[int]:
    return [len(module._forward_hooks) for module in model.modules()]


def attention_modules(model: Qwen2ForCausalLM) -> Iterator[torch.nn.Module]:
    return (layer.self_attn for layer in model.model.layers)


def test_answer_rows_equal_transformers_eager_attention(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, chat: Chat
) -> None:
    capture = capture_attention(model, tokenizer, chat.token_ids, chat.prompt_len, chat.spans)
    reference = eager_reference(model, chat.token_ids)

    num_tokens, answer_len = len(chat.token_ids), len(chat.token_ids) - chat.prompt_len
    assert capture.answer_rows.shape == (NUM_LAYERS, NUM_HEADS, answer_len, num_tokens)
    assert capture.answer_rows.dtype == np.float16
    for layer in range(NUM_LAYERS):
        # Answer token a was produced by the step at position prompt_len - 1 + a.
        expected = reference[layer][:, chat.prompt_len - 1 : num_tokens - 1]
        np.testing.assert_allclose(capture.answer_rows[layer], expected, atol=FLOAT16_ATOL)


def test_layer_matrix_equals_transformers_eager_attention(
    model: Qwen2ForCausalLM, chat: Chat
) -> None:
    matrices = [layer_matrix(model, chat.token_ids, layer) for layer in range(NUM_LAYERS)]
    reference = eager_reference(model, chat.token_ids)
    for matrix, expected in zip(matrices, reference, strict=True):
        assert matrix.dtype == np.float32
        np.testing.assert_allclose(matrix, expected, atol=1e-6)


def test_rows_are_causal_distributions(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, chat: Chat
) -> None:
    capture = capture_attention(model, tokenizer, chat.token_ids, chat.prompt_len)
    rows = capture.answer_rows.astype(np.float32)
    np.testing.assert_allclose(rows.sum(axis=-1), 1.0, atol=FLOAT16_ATOL)
    for a in range(capture.answer_len):
        assert not rows[..., a, capture.query_start + a + 1 :].any()

    matrix = layer_matrix(model, chat.token_ids, 1)
    np.testing.assert_allclose(matrix.sum(axis=-1), 1.0, atol=1e-5)
    assert not np.triu(matrix, k=1).any()


def test_kept_full_layers_and_rollout_match_layer_by_layer_results(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, chat: Chat
) -> None:
    capture = capture_attention(
        model, tokenizer, chat.token_ids, chat.prompt_len, keep_layers_full=[1]
    )
    matrices = [layer_matrix(model, chat.token_ids, layer) for layer in range(NUM_LAYERS)]

    assert list(capture.full_layers) == [1]
    assert capture.full_layers[1].dtype == np.float16
    np.testing.assert_allclose(capture.full_layers[1], matrices[1], atol=FLOAT16_ATOL)
    expected_rollout = attention_rollout(aggregate_heads(matrix) for matrix in matrices)
    np.testing.assert_allclose(capture.rollout, expected_rollout, atol=1e-5)
    np.testing.assert_array_equal(
        capture.answer_rollout, expected_rollout[chat.prompt_len - 1 : -1]
    )


def test_kv_group_follows_the_models_grouped_query_attention(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, chat: Chat
) -> None:
    # Zero the keys of KV head 1: exactly the query heads sharing it must attend uniformly.
    head_dim = model.config.hidden_size // NUM_HEADS
    k_proj = model.model.layers[0].self_attn.k_proj
    with torch.no_grad():
        k_proj.weight[head_dim : 2 * head_dim] = 0
        k_proj.bias[head_dim : 2 * head_dim] = 0
    capture = capture_attention(model, tokenizer, chat.token_ids, chat.prompt_len)

    assert [capture.kv_group(head) for head in range(NUM_HEADS)] == [0, 0, 1, 1]
    positions = np.arange(capture.query_start, len(chat.token_ids) - 1)
    uniform = np.where(
        np.arange(len(chat.token_ids)) <= positions[:, None], 1 / (positions[:, None] + 1), 0
    )
    for head in range(NUM_HEADS):
        is_uniform = np.allclose(capture.answer_rows[0, head], uniform, atol=FLOAT16_ATOL)
        assert is_uniform == (capture.kv_group(head) == 1)
    with pytest.raises(IndexError):
        capture.kv_group(NUM_HEADS)


def test_long_capture_holds_one_layer_of_weights_at_a_time(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    num_tokens, prompt_len = 600, 500
    token_ids = torch.randint(
        3, len(tokenizer), (num_tokens,), generator=torch.Generator().manual_seed(1)
    ).tolist()
    previous: list[weakref.ref[torch.Tensor]] = []
    alive_at_layer: list[bool] = []

    def watch(module: torch.nn.Module, args: object, output: tuple[torch.Tensor, ...]) -> None:
        alive_at_layer.append(any(ref() is not None for ref in previous))
        previous.append(weakref.ref(output[1]))

    watchers = [module.register_forward_hook(watch) for module in attention_modules(model)]
    lm_head_calls: list[int] = []
    lm_head_watch = model.lm_head.register_forward_hook(lambda *_: lm_head_calls.append(1))
    try:
        capture = capture_attention(model, tokenizer, token_ids, prompt_len, rollout=False)
    finally:
        for handle in [*watchers, lm_head_watch]:
            handle.remove()

    assert alive_at_layer == [False] * NUM_LAYERS  # earlier layers' [H, T, T] already freed
    assert all(ref() is None for ref in previous)
    assert not lm_head_calls  # no [T, vocab] logits
    assert capture.answer_rows.shape == (NUM_LAYERS, NUM_HEADS, num_tokens - prompt_len, num_tokens)
    assert capture.answer_rows.dtype == np.float16
    assert (capture.num_heads, capture.num_kv_heads) == (NUM_HEADS, NUM_KV_HEADS)
    assert capture.rollout is None and not capture.full_layers


def test_model_state_is_restored_after_capture_and_after_failure(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, chat: Chat
) -> None:
    model.train()
    hooks_before = forward_hook_counts(model)

    capture_attention(model, tokenizer, chat.token_ids, chat.prompt_len)
    layer_matrix(model, chat.token_ids, 0)
    assert model.config._attn_implementation == "sdpa"
    assert model.training
    assert forward_hook_counts(model) == hooks_before

    out_of_vocabulary = [*chat.token_ids[:-1], model.config.vocab_size + 5]
    with pytest.raises(IndexError):
        capture_attention(model, tokenizer, out_of_vocabulary, chat.prompt_len)
    assert model.config._attn_implementation == "sdpa"
    assert model.training
    assert forward_hook_counts(model) == hooks_before


def test_capture_rejects_bad_ranges(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, chat: Chat
) -> None:
    with pytest.raises(ValueError, match="no answer"):
        capture_attention(model, tokenizer, chat.token_ids, len(chat.token_ids))
    with pytest.raises(ValueError, match="outside"):
        capture_attention(
            model, tokenizer, chat.token_ids, chat.prompt_len, keep_layers_full=[NUM_LAYERS]
        )
    with pytest.raises(IndexError):
        layer_matrix(model, chat.token_ids, NUM_LAYERS)


def test_capture_labels_tokens_readably(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, chat: Chat
) -> None:
    capture = capture_attention(model, tokenizer, chat.token_ids, chat.prompt_len, chat.spans)
    assert len(capture.tokens) == len(chat.token_ids)
    assert not any("\ufffd" in label for label in capture.tokens)
    assert [piece.label for piece in capture.pieces if "습" in piece.label] == ["습"]
    assert capture.special[0] and capture.tokens[0] == "<|im_start|>"


def test_save_load_and_pickle_round_trip(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, chat: Chat, tmp_path: Path
) -> None:
    capture = capture_attention(
        model,
        tokenizer,
        chat.token_ids,
        chat.prompt_len,
        chat.spans,
        keep_layers_full=[0, 2],
        model_name="tiny",
    )
    path = tmp_path / "answer.attn"
    capture.save(path)
    assert path.exists()  # saved under the exact name given

    for restored in (AttentionCapture.load(path), pickle.loads(pickle.dumps(capture))):
        for name in PLAIN_FIELDS:
            assert getattr(restored, name) == getattr(capture, name), name
        np.testing.assert_array_equal(restored.answer_rows, capture.answer_rows)
        np.testing.assert_array_equal(restored.rollout, capture.rollout)
        assert restored.full_layers.keys() == {0, 2}
        np.testing.assert_array_equal(restored.full_layers[2], capture.full_layers[2])


def test_package_import_loads_neither_qt_nor_torch() -> None:
    code = (
        "import sys, studylog.attention;"
        "print(sorted({'PySide6', 'torch', 'transformers'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
