"""`stream_generate` reports a cancel only when there was one."""

from __future__ import annotations

import threading
import time

import torch

from studylog.rag import generation
from studylog.rag.generation import GenerationResult, stream_generate


class SlowToReturn:
    """A stand-in for the decoding loop: one token per 10 ms, then a while to return."""

    def __init__(self, token_ids: list[int]) -> None:
        self.token_ids = token_ids
        self.stopped_early = False

    def __call__(self, model, prompt_ids, max_new_tokens, *, on_token, should_stop, **kwargs):
        kept: list[int] = []
        for token in self.token_ids:
            kept.append(token)
            on_token(token)
            if should_stop(kept):
                self.stopped_early = True
                break
            time.sleep(0.01)
        time.sleep(0.3)


class Model:
    def parameters(self):
        yield torch.zeros(1)


def test_a_generation_that_ends_on_its_own_is_not_reported_cancelled(tiny, monkeypatch):
    token_ids = tiny.tokenizer("분산을 1로", add_special_tokens=False)["input_ids"]
    monkeypatch.setattr(generation, "greedy_decode", SlowToReturn(token_ids))
    cancel, result = threading.Event(), GenerationResult()

    pieces = list(stream_generate(Model(), tiny.tokenizer, [1, 2], 8, cancel, result))

    assert "".join(pieces) == "분산을 1로" and result.answer_ids == token_ids
    assert not result.cancelled and not cancel.is_set()


def test_a_caller_that_stops_reading_stops_the_generation(tiny, monkeypatch):
    token_ids = tiny.tokenizer("분산을 1로 맞춰줌", add_special_tokens=False)["input_ids"]
    decode, cancel = SlowToReturn(token_ids * 50), threading.Event()
    monkeypatch.setattr(generation, "greedy_decode", decode)

    stream = stream_generate(Model(), tiny.tokenizer, [1, 2], 8, cancel)
    next(stream)
    stream.close()

    assert cancel.is_set() and decode.stopped_early
