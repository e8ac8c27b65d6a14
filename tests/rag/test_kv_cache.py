"""The block-grown KV cache gives generate exactly what transformers' own cache gives it."""

from __future__ import annotations

import torch

from studylog.rag import kv_cache
from studylog.rag.kv_cache import BlockKVLayer, generate_cache_kwargs


def test_generation_is_identical_to_the_default_cache_across_buffer_growth(
    tiny_model, monkeypatch
) -> None:
    monkeypatch.setattr(kv_cache, "BLOCK", 3)  # grow several times within a short answer
    model = tiny_model.model.float().eval()
    ids = torch.tensor([[5, 9, 14, 3, 27, 8]])
    settings = dict(max_new_tokens=20, min_new_tokens=20, do_sample=False, pad_token_id=0,
                    output_scores=True, return_dict_in_generate=True)
    with torch.no_grad():
        plain = model.generate(ids, **settings)
        cache_kwargs = generate_cache_kwargs()
        (cache,) = cache_kwargs.values()
        blocked = model.generate(ids, **cache_kwargs, **settings)
    assert torch.equal(plain.sequences, blocked.sequences)
    for a, b in zip(plain.scores, blocked.scores, strict=True):
        assert torch.equal(a, b)
    layer = cache.layers[0]
    assert isinstance(layer, BlockKVLayer)
    assert layer.keys.shape[-2] == ids.shape[1] + 19  # the last token is never fed back
    assert layer.keys.data_ptr() == layer._key_buffer.data_ptr()  # a view, not a copy


def test_a_replaced_cache_tensor_is_taken_over_not_overwritten(tiny_model) -> None:
    """Beam search and cropping replace keys/values; the next update must start from them."""
    layer = BlockKVLayer()
    first = torch.randn(1, 2, 4, 8)
    layer.update(first, first.clone())
    layer.keys = layer.keys[:, :, :2].clone()  # e.g. crop by 2, then a copy
    layer.values = layer.values[:, :, :2].clone()
    step = torch.randn(1, 2, 1, 8)
    keys, values = layer.update(step, step.clone())
    assert torch.equal(keys, torch.cat([first[:, :, :2], step], dim=2))
    assert torch.equal(values, torch.cat([first[:, :, :2], step], dim=2))
