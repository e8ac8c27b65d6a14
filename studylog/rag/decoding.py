"""Greedy decoding with prompt-lookup drafts: the loop that writes every answer.

Answers quote the notes in the prompt, so the next few tokens are often already written there.
Each decoding step feeds the last token plus up to `DRAFT_TOKENS` tokens that followed the
last 3 (or 2) tokens where they first occur earlier in the prompt or answer (prompt lookup
decoding: Saxena 2023, https://github.com/apoorvumang/prompt-lookup-decoding). The model scores
all of them in one call; the drafts it would have chosen itself are kept, plus its own next
token, and the KV cache is cropped back to them.
Every token is still the model's greedy choice given the tokens before it, so this is greedy
decoding, with fewer calls.

Why it pays on CPU: a decoding step reads all weights once whatever its row count, and ATen's
4-bit kernel handles up to 4 rows in one pass over them (measured on the 2-core CPU, a
1536 x 8960 Linear: 0.38 ms for 1 row, 0.67 ms for 4, 1.31 ms for 5-8). A whole step of the 1.5B
at ~1,000 cached tokens (studylog.rag.decode_step) took 59, 73, 88 and 104 ms for 1-4 rows.
Replaying the lookup over the answers of 8 real questions (375 tokens) with those step times
predicted 23.3 tok/s against 16.8 for plain greedy (NGRAMS); `studylog bench ask` measures it.

Why a loop of our own instead of `generate(prompt_lookup_num_tokens=...)`: the attention panel
re-runs an answer's decoding to show its rollout (studylog.attention.regenerate), and its rows
equal the recorded ones only if every call has the same rows. Here the steps depend on nothing
but the tokens (`forced` replays them), and the 4-bit decoding path covers exactly these calls.
Every kept token is the model's greedy choice on the step that computed it (`forced` with the
same drafts confirms it), so this is greedy decoding; it is not always token-by-token decoding's
bits. The int4 kernel computes each row on its own, but the attention of several rows
(studylog.rag.decode_attention) may order its float32 sums otherwise than for one row, and the
next Linear's int8 rounding can carry a 1e-7 difference on (a 3-layer test model's keys moved by
0.02). On 8 real answers of the 1.5B the tokens were the same as token by token.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view

from studylog.rag.int8 import decoding_in_int4

DRAFT_TOKENS = 3
"""Drafts per step: with the last token that makes 4 rows, which the 4-bit kernel reads the
weights once for; a 5th row costs a second pass (module docstring)."""

NGRAMS = (3, 2)
"""n-gram sizes looked up, longest first; a match drafts at most as many tokens as its n-gram
has. Replaying the lookup over 8 real answers (375 tokens; `studylog bench ask` decodes the same
ones) with measured step times of the lean step (59, 73, 88, 104 ms for 1-4 rows at ~1,000
cached tokens) predicted: 16.8 tok/s token by token, 22.3 drafting 3 after a 3- or 2-gram,
23.3 drafting 3 after a 3-gram and 2 after a 2-gram (a 2-gram's third token was rarely right),
23.0 with 1-grams drafting 1 as well, 22.0 with 1-grams drafting 2. One repeated token
predicts too little to pay for its rows."""


@dataclass
class Decoded:
    """What `greedy_decode` produced: `token_ids` (the stop token, if one ended it, included),
    `steps` (model calls after the prefill), `matches_forced` (False once a forced token was
    not the model's own choice), `stopped` (a `should_stop` said so)."""

    token_ids: list[int] = field(default_factory=list)
    cache: object = None
    """The KV cache, holding every token of prompt + `token_ids` but the last."""
    steps: int = 0
    matches_forced: bool = True
    stopped: bool = False


def drafts_for(
    ids: Sequence[int], stop_ids: Collection[int] = (), draft_tokens: int = DRAFT_TOKENS
) -> list[int]:
    """Prompt-lookup drafts that follow `ids`: the tokens after the earliest earlier occurrence
    of its last 3 (else 2) tokens, at most `draft_tokens` and at most the n-gram's length (see
    NGRAMS), cut before any stop id.

    As transformers' `PromptLookupCandidateGenerator` (earliest match first), which also falls
    back to 1-grams and has no option against it; earliest beat latest in the simulation."""
    if draft_tokens <= 0:
        return []
    sequence = np.asarray(ids, dtype=np.int64)
    for size in NGRAMS:
        if len(sequence) <= size:
            continue
        windows = sliding_window_view(sequence[:-1], size)  # n-grams that have a successor
        hits = np.flatnonzero((windows == sequence[-size:]).all(axis=1))
        if len(hits):
            start = int(hits[0]) + size
            drafts = sequence[start : start + min(draft_tokens, size)].tolist()
            for index, token in enumerate(drafts):
                if token in stop_ids:
                    return drafts[:index]
            return drafts
    return []


def greedy_decode(
    model,
    prompt_ids: Sequence[int],
    max_new_tokens: int,
    *,
    on_token: Callable[[int], None] | None = None,
    **options,
) -> Decoded:
    """`iter_decode` run to its end: `on_token(id)` for each kept token; returns what it made.
    `options` are `iter_decode`'s."""
    result = Decoded()
    for token in iter_decode(model, prompt_ids, max_new_tokens, result=result, **options):
        if on_token is not None:
            on_token(token)
    return result


def iter_decode(
    model,
    prompt_ids: Sequence[int],
    max_new_tokens: int,
    *,
    result: Decoded | None = None,
    min_new_tokens: int = 0,
    stop_ids: Sequence[int] = (),
    should_stop: Callable[[list[int]], bool] | None = None,
    cache=None,
    forced: Sequence[int] | None = None,
    draft_tokens: int = DRAFT_TOKENS,
) -> Iterator[int]:
    """Greedy decoding of up to `max_new_tokens` after `prompt_ids`, with prompt-lookup drafts:
    yields each kept token in order, in the caller's thread, and fills `result` as it goes.

    The prompt goes through the model in one call; each later call has 1 + up to
    `draft_tokens` rows and runs inside `decoding_in_int4()`. Stop ids cannot be chosen before
    `min_new_tokens`; a chosen stop id ends decoding (and is included). After each kept token
    `should_stop(tokens so far)` may end decoding there. `cache`: a croppable transformers cache
    (default `GrowingCache`). `forced`: the tokens to keep instead of the model's choices (a
    replay of an answer): the calls are the ones that generated them, and `matches_forced`
    tells whether the model chose them too. Model calls run under `torch.inference_mode()`.

    Why in the caller's thread: with a second thread running torch, libgomp manages more
    OpenMP threads than there are CPUs and throttles their waiting to ~100 spins, so threads
    sleep between kernels. Measured on the 2-core CPU: the int4 kernel 0.44 vs 0.38 ms and a
    decoding step's attention 274 vs 165 us once another thread had run torch, and a 60-token
    answer decoded in 2.9 s in a helper thread against 2.3 s in the thread that did the rest.
    """
    from studylog.rag.decode_step import decoding_step
    from studylog.rag.kv_cache import GrowingCache

    cache = cache if cache is not None else GrowingCache()
    step = decoding_step(model)  # the same bits as model(...), with less overhead per call
    device = next(model.parameters()).device
    stops = set(stop_ids)
    sequence = list(prompt_ids)
    result = result if result is not None else Decoded()
    result.cache = cache

    def choose(logits: torch.Tensor, first_index: int) -> list[int]:
        """Greedy token per row of logits [rows, V]; row r chooses answer token first_index + r."""
        logits = logits.float()
        blocked = max(0, min(min_new_tokens - first_index, logits.shape[0]))
        if blocked and stops:
            logits = logits.clone()
            logits[:blocked, list(stops)] = float("-inf")
        return logits.argmax(dim=-1).tolist()

    def call(ids: list[int], rows: int, prompt: bool = False) -> torch.Tensor:
        """Logits [rows, V] of the last `rows` of `ids`, whose keys and values join the cache.
        The prompt goes through `model(...)`, decoding steps through the lean step."""
        with torch.inference_mode():
            inputs = torch.tensor([ids], dtype=torch.long, device=device)
            if step is not None and not prompt:
                return step(inputs, cache, rows)
            mask = torch.ones((1, cache.get_seq_length() + len(ids)), dtype=torch.long, device=device)
            out = model(input_ids=inputs, attention_mask=mask, cache=cache, use_cache=True,
                        logits_to_keep=rows)
            return out.logits[0]

    def ends(token: int) -> bool:
        """Keep `token`; True when decoding ends with it."""
        sequence.append(token)
        result.token_ids.append(token)
        if token in stops and forced is None:
            return True
        if should_stop is not None and should_stop(result.token_ids):
            result.stopped = True
            return True
        return len(result.token_ids) >= max_new_tokens

    def take(chosen: list[int], kept: int) -> list[int]:
        """The `kept` tokens to append: the model's choices, or the forced ones."""
        if forced is None:
            return chosen[:kept]
        start = len(result.token_ids)
        wanted = list(forced[start:start + kept])  # fewer at the answer's end
        if chosen[:len(wanted)] != wanted:
            result.matches_forced = False
        return wanted

    if max_new_tokens <= 0 or (forced is not None and not forced):
        return
    chosen = choose(call(sequence, 1, prompt=True), 0)  # the prompt: only its last row's logits
    (token,) = take(chosen, 1)
    done = ends(token)
    yield token
    while not done and (forced is None or len(result.token_ids) < len(forced)):
        drafts = drafts_for(sequence, stops, draft_tokens)
        past = len(sequence) - 1  # every token but the last is in the cache
        with decoding_in_int4():
            logits = call([sequence[-1], *drafts], 1 + len(drafts))
        result.steps += 1
        chosen = choose(logits, len(result.token_ids))
        reference = forced[len(result.token_ids):] if forced is not None else chosen
        accepted = 0
        while (accepted < min(len(drafts), len(reference))
               and drafts[accepted] == reference[accepted]):
            accepted += 1
        kept = []
        for token in take(chosen, accepted + 1):
            kept.append(token)
            if ends(token):
                done = True
                break
        # The cache keeps every token but the last kept one: rejected drafts' keys and values
        # go, and so do accepted ones after a stop.
        surplus = cache.get_seq_length() - (past + len(kept))
        if surplus:
            cache.crop(-surplus)
        yield from kept
