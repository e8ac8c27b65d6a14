"""Attention for a decoding step (a few query rows) without SDPA's per-call overhead.

For a single query, `torch.nn.functional.scaled_dot_product_attention` (flash kernel for CPU, GQA)
took 270-340 us per layer at 1,000 cached tokens on the 2-core CPU; the same product written as
two matmuls with the query heads grouped over their key/value head took 177 us (outputs within
3e-7 of SDPA's, float32 rounding). Over 28 layers that is ~4 ms of a ~70 ms step. Prompts (more
than `MAX_QUERY_ROWS` query rows) still go to transformers' SDPA function unchanged, so a
prompt-only replay is the prefill's own computation.

Registered with transformers' `AttentionInterface` as `DECODE_ATTENTION`, with SDPA's mask.
"""

from __future__ import annotations

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS

DECODE_ATTENTION = "studylog_sdpa"


MAX_QUERY_ROWS = 8
"""Query rows computed here: a decoding step's last token and its drafts (studylog.rag.decoding).
SDPA took 0.9 ms per layer for 2-4 rows at 1,000 cached tokens (flash kernel plus copies of the
keys for GQA): 37 ms of a 100 ms step, against 5 ms for one row here."""


def decode_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: object,
) -> tuple[torch.Tensor, None]:
    """query [B, H, Tq, D], key/value [B, Hkv, Tk, D] -> ([B, Tq, H, D], None), like SDPA's
    transformers wrapper. Up to `MAX_QUERY_ROWS` rows at the end of the keys are computed here
    (causal among themselves); anything else is SDPA's."""
    rows = query.shape[2]
    if rows > MAX_QUERY_ROWS or dropout or key.shape[-1] != value.shape[-1]:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    batch, heads, _, width = query.shape
    kv_heads, key_len = key.shape[1], key.shape[2]
    groups = heads // kv_heads
    scale = scaling if scaling is not None else width**-0.5
    # [B, H, Tq, D] -> [B, Hkv, G*Tq, D]: a query head's rows next to each other, its group's
    # heads one after another, all against their key/value head.
    grouped = query.reshape(batch, kv_heads, groups * rows, width)
    scores = torch.matmul(grouped, key.transpose(-1, -2)).mul_(scale)  # [B, Hkv, G*Tq, Tk]
    scores = scores.view(batch, kv_heads, groups, rows, key_len)
    if attention_mask is not None:
        mask = attention_mask[:, :, -rows:, :key_len].unsqueeze(2)  # [B, 1, 1, Tq, Tk]
        if mask.dtype == torch.bool:
            scores.masked_fill_(~mask, torch.finfo(scores.dtype).min)
        else:
            scores.add_(mask)
    elif rows > 1:  # no mask given: the rows are the last Tq positions, causal among themselves
        future = torch.ones(rows, rows, dtype=torch.bool, device=query.device).triu_(1)
        scores[..., key_len - rows :].masked_fill_(future, torch.finfo(scores.dtype).min)
    weights = torch.softmax(scores, dim=-1).view(batch, kv_heads, groups * rows, key_len)
    output = torch.matmul(weights, value)  # [B, Hkv, G*Tq, D]
    output = output.view(batch, heads, rows, width).transpose(1, 2)
    return output, None


def register() -> str:
    """Register DECODE_ATTENTION (idempotent) and return its name."""
    if DECODE_ATTENTION not in AttentionInterface._global_mapping:
        AttentionInterface.register(DECODE_ATTENTION, decode_attention_forward)
    if DECODE_ATTENTION not in ALL_MASK_ATTENTION_FUNCTIONS._global_mapping:
        ALL_MASK_ATTENTION_FUNCTIONS.register(DECODE_ATTENTION, ALL_MASK_ATTENTION_FUNCTIONS["sdpa"])
    return DECODE_ATTENTION
