"""Pure-numpy analysis on hand-checkable matrices, then on a real capture."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_models import Chat
from transformers import PreTrainedTokenizerFast, Qwen2ForCausalLM

from studylog.attention import (
    ANSWER_LABEL,
    OTHER_LABEL,
    Span,
    aggregate_heads,
    attention_rollout,
    capture_attention,
    mask_keys,
    pool_keys,
    renormalize,
    sink_mask,
    source_attribution,
    span_shading,
)


def test_rollout_matches_hand_computed_three_layer_example() -> None:
    layer_1 = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float32)
    layer_2 = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0]], dtype=np.float32)
    layer_3 = np.array([[1, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5]], dtype=np.float32)
    # With A' = A/2 + I/2:  A'1 = [[1,0,0],[.5,.5,0],[0,0,1]],  A'2 = [[1,0,0],[0,1,0],[0,.5,.5]],
    # A'3 = [[1,0,0],[.25,.75,0],[.25,0,.75]];  A'2 A'1 = [[1,0,0],[.5,.5,0],[.25,.25,.5]];
    # A'3 (A'2 A'1) row 1 = .25*[1,0,0] + .75*[.5,.5,0], row 2 = .25*[1,0,0] + .75*[.25,.25,.5].
    expected = np.array([[1, 0, 0], [0.625, 0.375, 0], [0.4375, 0.1875, 0.375]])

    np.testing.assert_allclose(attention_rollout([layer_1, layer_2, layer_3]), expected, atol=1e-7)
    # Rows that do not sum to 1 (masked or max-aggregated) are renormalised after mixing:
    # [.5, 0] becomes [.25, .5], then [1/3, 2/3].
    partial = np.array([[1, 0], [0.5, 0]], dtype=np.float32)
    np.testing.assert_allclose(attention_rollout([partial]), [[1, 0], [1 / 3, 2 / 3]], atol=1e-7)
    with pytest.raises(ValueError):
        attention_rollout([])


def test_aggregate_heads() -> None:
    heads = np.array([[[0.2, 0.8]], [[0.6, 0.4]]], dtype=np.float16)  # [H=2, Q=1, K=2]
    np.testing.assert_allclose(aggregate_heads(heads, "mean"), [[0.4, 0.6]], atol=1e-3)
    np.testing.assert_allclose(aggregate_heads(heads, "max"), [[0.6, 0.8]], atol=1e-3)
    np.testing.assert_allclose(aggregate_heads(heads, 1), [[0.6, 0.4]], atol=1e-3)
    layers = np.stack([heads, heads])  # a leading layer axis is kept
    assert aggregate_heads(layers, "mean").shape == (2, 1, 2)
    assert aggregate_heads(heads).dtype == np.float32
    with pytest.raises(ValueError):
        aggregate_heads(heads, "median")  # type: ignore[arg-type]


def test_masking_sinks_renormalises_rows() -> None:
    rows = np.array([[0.5, 0.25, 0.25], [1.0, 0.0, 0.0]], dtype=np.float32)
    masked = mask_keys(rows, sink_mask([False, False, False]))
    # A row with nothing left stays zero rather than NaN.
    np.testing.assert_allclose(masked, [[0, 0.5, 0.5], [0, 0, 0]])

    assert sink_mask([True, False, True]).tolist() == [True, False, True]
    assert sink_mask([False, False, True], specials=False).tolist() == [True, False, False]
    assert sink_mask([False, True], first=False).tolist() == [False, True]
    with pytest.raises(ValueError):
        mask_keys(rows, np.zeros(2, dtype=bool))


def test_renormalize() -> None:
    np.testing.assert_allclose(
        renormalize(np.array([[1.0, 3.0], [0.0, 0.0]])), [[0.25, 0.75], [0, 0]]
    )


def test_source_attribution_by_hand() -> None:
    # T = 7: <s> src src question sep | answer answer ; two answer rows.
    spans = [Span("source 1", 1, 3), Span("question", 3, 4)]
    rows = np.array(
        [
            [0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0],
            [0.1, 0.0, 0.1, 0.2, 0.2, 0.4, 0.0],
        ]
    )
    attribution = source_attribution(rows, spans, prompt_len=5)

    assert attribution.labels == ["source 1", "question", ANSWER_LABEL, OTHER_LABEL]
    np.testing.assert_allclose(
        attribution.per_token, [[0.5, 0.4, 0.0, 0.1], [0.1, 0.2, 0.4, 0.3]], atol=1e-7
    )
    np.testing.assert_allclose(attribution.overall, [0.3, 0.3, 0.2, 0.2], atol=1e-7)


@pytest.mark.parametrize(
    ("spans", "prompt_len", "message"),
    [
        ([Span("a", 0, 3), Span("b", 2, 4)], 5, "overlap"),
        ([Span("a", 3, 6)], 5, "past the prompt"),
        ([], 0, "no prompt"),
        ([], 7, "no answer"),
    ],
)
def test_source_attribution_rejects_bad_spans(
    spans: list[Span], prompt_len: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        source_attribution(np.full((1, 7), 1 / 7), spans, prompt_len)
    with pytest.raises(ValueError):
        Span("empty", 2, 2)


def test_span_shading_and_pooling() -> None:
    rows = np.array([[0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])
    np.testing.assert_allclose(span_shading(rows, Span("s", 1, 3)), [0.3, 0.5])
    np.testing.assert_allclose(span_shading(rows[0], Span("s", 1, 3)), [0.2, 0.7])
    pooled = pool_keys(rows, [Span("a", 0, 1), Span("bc", 1, 3)])
    np.testing.assert_allclose(pooled, [[0.1, 0.9], [0.3, 0.7]])


def test_attribution_of_a_real_capture_sums_to_one(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, chat: Chat
) -> None:
    capture = capture_attention(model, tokenizer, chat.token_ids, chat.prompt_len, chat.spans)
    rows = mask_keys(aggregate_heads(capture.answer_rows[-1]), sink_mask(capture.special))
    attribution = source_attribution(rows, capture.spans, capture.prompt_len)

    assert attribution.labels == [
        "instructions",
        "source 1",
        "source 2",
        "question",
        ANSWER_LABEL,
        OTHER_LABEL,
    ]
    np.testing.assert_allclose(attribution.per_token.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(attribution.overall.sum(), 1.0, atol=1e-5)
    assert attribution.per_token[0, 4] == 0  # the first answer token has no answer before it
    source = capture.spans[1]
    shading = span_shading(rows, source)
    np.testing.assert_allclose(shading.sum(), attribution.overall[1], atol=1e-5)
