"""The capture pass against transformers' own eager attention, and its memory and state hygiene."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_models import NUM_HEADS, NUM_KV_HEADS, NUM_LAYERS, Chat
from torch.utils._python_dispatch import TorchDispatchMode
from transformers import PreTrainedTokenizerFast, Qwen2ForCausalLM

from studylog.attention import (
    AttentionCapture,
    aggregate_heads,
    attention_rollout,
    capture_attention,
    layer_matrix,
)
from studylog.attention import capture as capture_module

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


class TensorShapes(TorchDispatchMode, list):
    """Records the shape of every tensor each aten op returns while active."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        out = func(*args, **(kwargs or {}))
        for item in out if isinstance(out, tuple | list) else (out,):
            if isinstance(item, torch.Tensor):
                self.append(tuple(item.shape))
        return out


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
    # The capture's layer outputs come from SDPA, layer_matrix's from eager math: equal within
    # float tolerance, not bit for bit.
    np.testing.assert_array_equal(capture.answer_rollout, capture.rollout[chat.prompt_len - 1 : -1])
    np.testing.assert_allclose(
        capture.answer_rollout, expected_rollout[chat.prompt_len - 1 : -1], atol=1e-5
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


def test_long_capture_never_materialises_a_full_attention_matrix(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    num_tokens, prompt_len = 600, 500
    token_ids = torch.randint(
        3, len(tokenizer), (num_tokens,), generator=torch.Generator().manual_seed(1)
    ).tolist()
    returned_weights: list[object] = []

    def watch(module: torch.nn.Module, args: object, output: tuple[torch.Tensor, ...]) -> None:
        returned_weights.append(output[1])

    watchers = [module.register_forward_hook(watch) for module in attention_modules(model)]
    lm_head_rows: list[int] = []
    lm_head_watch = model.lm_head.register_forward_hook(
        lambda _, args, __: lm_head_rows.append(args[0].shape[-2])
    )
    full_matrix = NUM_HEADS * num_tokens * num_tokens
    with TensorShapes() as shapes:
        try:
            capture = capture_attention(
                model, tokenizer, token_ids, prompt_len, keep_layers_full=[1]
            )
        finally:
            for handle in [*watchers, lm_head_watch]:
                handle.remove()

    # Every aten op's result, SDPA's included (its math fallback would show as matmul/softmax).
    assert shapes, "the dispatch mode saw no ops"
    too_big = [shape for shape in shapes if math.prod(shape) >= full_matrix // 2]
    assert not too_big, too_big
    assert not [shape for shape in shapes if shape[-2:] == (num_tokens, num_tokens)]
    # The MLPs ran in row chunks: no [T, intermediate] activation either.
    intermediate = model.config.intermediate_size
    mlp_rows = {shape[-2] for shape in shapes if len(shape) >= 2 and shape[-1] == intermediate}
    assert mlp_rows and max(mlp_rows) <= capture_module.MLP_CHUNK_ROWS < num_tokens, mlp_rows
    # Nothing upstream holds weights.
    assert returned_weights == [None] * NUM_LAYERS
    # The LM head sees only the answer's query rows, a chunk at a time (and stops at the first
    # chunk that does not predict these random tokens): no [T, vocab] logits.
    assert 0 < sum(lm_head_rows) <= num_tokens - prompt_len
    assert max(lm_head_rows) <= capture_module.LOGIT_CHUNK_ROWS
    assert capture.answer_rows.shape == (NUM_LAYERS, NUM_HEADS, num_tokens - prompt_len, num_tokens)
    assert capture.answer_rows.dtype == np.float16
    assert (capture.num_heads, capture.num_kv_heads) == (NUM_HEADS, NUM_KV_HEADS)
    assert capture.rollout is not None and list(capture.full_layers) == [1]

    # The chunked weights still match eager over rows that span several chunks.
    reference = eager_reference(model, token_ids)
    for layer in range(NUM_LAYERS):
        expected = reference[layer][:, prompt_len - 1 : num_tokens - 1]
        np.testing.assert_allclose(capture.answer_rows[layer], expected, atol=FLOAT16_ATOL)
    np.testing.assert_allclose(capture.full_layers[1], reference[1], atol=FLOAT16_ATOL)
    expected_rollout = attention_rollout(aggregate_heads(matrix) for matrix in reference)
    np.testing.assert_allclose(capture.rollout, expected_rollout, atol=1e-4)


def test_capture_attention_leaves_the_models_outputs_unchanged(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, chat: Chat
) -> None:
    ids = torch.tensor([chat.token_ids])
    with torch.inference_mode():
        before = model(ids).logits
    capture_attention(model, tokenizer, chat.token_ids, chat.prompt_len, keep_layers_full=[0])
    with torch.inference_mode():
        after = model(ids).logits
    torch.testing.assert_close(after, before, rtol=0, atol=0)

    # The capture implementation's layer outputs are SDPA's, equal to eager within tolerance.
    capture_module._register_attention()
    model.config._attn_implementation = capture_module.ATTENTION_IMPLEMENTATION
    try:
        with torch.inference_mode():
            captured = model(ids).logits
    finally:
        model.config._attn_implementation = "sdpa"
    model.set_attn_implementation("eager")
    with torch.inference_mode():
        eager = model(ids).logits
    model.set_attn_implementation("sdpa")
    torch.testing.assert_close(captured, before, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(captured, eager, rtol=1e-5, atol=1e-5)


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
    assert not any("forward" in layer.mlp.__dict__ for layer in model.model.layers)

    out_of_vocabulary = [*chat.token_ids[:-1], model.config.vocab_size + 5]
    with pytest.raises(IndexError):
        capture_attention(model, tokenizer, out_of_vocabulary, chat.prompt_len)
    assert model.config._attn_implementation == "sdpa"
    assert model.training
    assert forward_hook_counts(model) == hooks_before
    assert not any("forward" in layer.mlp.__dict__ for layer in model.model.layers)


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
