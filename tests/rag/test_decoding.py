"""Greedy decoding with prompt-lookup drafts: the answer token-by-token greedy decoding gives,
in fewer calls, and calls that depend only on the tokens (so a replay can repeat them)."""

from __future__ import annotations

import copy

import pytest
import torch

from studylog.rag.decoding import drafts_for, greedy_decode
from studylog.rag.int8 import quantize_int8_per_token
from studylog.rag.loading import decoding_ready


def test_drafts_follow_the_earliest_earlier_3_gram_else_2_gram_at_most_its_length() -> None:
    #          0  1  2  3  4  5  6  7  8  9 10 11
    ids = [1, 2, 3, 4, 5, 6, 9, 2, 3, 7, 1, 2, 3]
    assert drafts_for(ids, draft_tokens=3) == [4, 5, 6]  # 3-gram (1, 2, 3) at 0, not at 7
    assert drafts_for([8, 2, 3, 4, 5, 9, 2, 3], draft_tokens=2) == [4, 5]  # only a 2-gram
    assert drafts_for([8, 2, 3, 4, 5, 9, 3]) == []  # one token alone predicts too little
    assert drafts_for([1, 2, 0, 5, 1, 2], stop_ids={0}) == []  # never past a stop id
    assert drafts_for([1, 2, 3, 0, 1, 2], stop_ids={0}) == [3]
    assert drafts_for([1, 2, 1, 2], draft_tokens=0) == []
    assert drafts_for([1, 2, 3, 1, 2]) == [3, 1]  # a 2-gram drafts at most 2
    assert drafts_for([1, 2, 3, 4, 1, 2, 3]) == [4, 1, 2]  # may run into the lookup's own tail


@pytest.fixture
def quantised(tiny_model):
    """As the app loads it: int8 prompts, 4-bit decoding steps, the decoding-step attention."""
    return decoding_ready(quantize_int8_per_token(copy.deepcopy(tiny_model.model).half().eval()))


def _looping_prompt(model) -> list[int]:
    """A prompt that holds its own continuation: the model's answer to a start, then the start
    again, so the lookup finds drafts the model takes."""
    start = [5, 9, 14, 3, 27, 8]
    answer = greedy_decode(model, start, 16, draft_tokens=0).token_ids
    return start + answer + start


def test_drafted_decoding_keeps_only_the_models_own_choices(quantised) -> None:
    prompt = _looping_prompt(quantised)
    drafted = greedy_decode(quantised, prompt, 24, min_new_tokens=24)
    assert len(drafted.token_ids) == 24
    assert drafted.cache.get_seq_length() == len(prompt) + 24 - 1  # all but the last token
    # Replayed with the same drafts, every kept token is the model's own greedy choice.
    replay = greedy_decode(quantised, prompt, 24, min_new_tokens=24, forced=drafted.token_ids)
    assert replay.matches_forced and replay.steps == drafted.steps


def test_a_drafted_step_keeps_drafts_and_crops_the_rest(quantised) -> None:
    """Forced to text the prompt already holds, so the lookup's drafts are kept whatever a tiny
    random model would choose: fewer steps, and the cache holds exactly the kept tokens."""
    prompt = [5, 9, 14, 3, 27, 8, 40, 41, 42, 43, 44, 45, 46, 47, 48, 5, 9, 14]
    copied = prompt[3:15]
    plain = greedy_decode(quantised, prompt, len(copied), forced=copied, draft_tokens=0)
    drafted = greedy_decode(quantised, prompt, len(copied), forced=copied)
    assert plain.steps == len(copied) - 1 and drafted.steps <= len(copied) // 3
    for drafted_layer, plain_layer in zip(drafted.cache.layers, plain.cache.layers, strict=True):
        assert drafted_layer.keys.shape == plain_layer.keys.shape == (1, 2, len(prompt) + len(copied) - 1, 8)
        # The first layer's keys come from the embeddings through 4-bit Linears, which compute
        # each row on its own: the same bits. Later layers read attention outputs, whose float32
        # sums over several rows may be ordered otherwise, and int8 rounding can carry that on.
    assert torch.equal(drafted.cache.layers[0].keys, plain.cache.layers[0].keys)


def test_a_forced_replay_makes_the_same_calls_and_checks_the_tokens(quantised) -> None:
    prompt = _looping_prompt(quantised)
    answer = greedy_decode(quantised, prompt, 20, min_new_tokens=20)
    replay = greedy_decode(quantised, prompt, 20, forced=answer.token_ids)
    assert replay.token_ids == answer.token_ids and replay.matches_forced
    assert replay.steps == answer.steps
    wrong = list(answer.token_ids)
    wrong[5] = (wrong[5] + 1) % 50
    replayed = greedy_decode(quantised, prompt, 20, forced=wrong)
    assert replayed.token_ids == wrong and not replayed.matches_forced


def test_stop_ids_end_decoding_after_min_new_tokens(quantised) -> None:
    prompt = _looping_prompt(quantised)
    free = greedy_decode(quantised, prompt, 12, min_new_tokens=12)
    stop = free.token_ids[6]  # a token it chooses: call it the end of the turn
    ended = greedy_decode(quantised, prompt, 12, stop_ids=[stop])
    first = free.token_ids.index(stop)
    assert ended.token_ids == free.token_ids[: first + 1]  # ends on it, included
    blocked = greedy_decode(quantised, prompt, 12, min_new_tokens=12, stop_ids=[stop])
    assert len(blocked.token_ids) == 12 and stop not in blocked.token_ids
    assert ended.cache.get_seq_length() == len(prompt) + len(ended.token_ids) - 1


def test_should_stop_and_on_token_see_every_kept_token_in_order(quantised) -> None:
    prompt = _looping_prompt(quantised)
    seen: list[int] = []
    result = greedy_decode(quantised, prompt, 30, min_new_tokens=30, on_token=seen.append,
                           should_stop=lambda kept: len(kept) == 7)
    assert result.stopped and seen == result.token_ids and len(seen) == 7
