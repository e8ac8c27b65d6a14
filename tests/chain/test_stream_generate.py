"""`stream_generate` reports a cancel only when there was one."""

from __future__ import annotations

import threading
import time

import torch

from studylog.rag.generation import GenerationResult, stream_generate


class SlowToReturnModel:
    """Streams its tokens one per 10 ms, ends the stream, then takes a while to return."""

    def __init__(self, token_ids: list[int]) -> None:
        self.token_ids = token_ids
        self.weight = torch.zeros(1)
        self.stopped_early = False

    def parameters(self):
        yield self.weight

    def generate(self, input_ids, streamer, stopping_criteria, **kwargs) -> None:
        streamer.put(input_ids)
        for token in self.token_ids:
            if any(bool(c(input_ids, None)[0]) for c in stopping_criteria):
                self.stopped_early = True
                break
            streamer.put(torch.tensor([token]))
            time.sleep(0.01)
        streamer.end()
        time.sleep(0.3)


def test_a_generation_that_ends_on_its_own_is_not_reported_cancelled(tiny):
    token_ids = tiny.tokenizer("분산을 1로", add_special_tokens=False)["input_ids"]
    cancel, result = threading.Event(), GenerationResult()

    pieces = list(stream_generate(SlowToReturnModel(token_ids), tiny.tokenizer, [1, 2], 8, cancel, result))

    assert "".join(pieces) == "분산을 1로" and result.answer_ids == token_ids
    assert not result.cancelled and not cancel.is_set()


def test_a_caller_that_stops_reading_stops_the_generation(tiny):
    token_ids = tiny.tokenizer("분산을 1로 맞춰줌", add_special_tokens=False)["input_ids"]
    model, cancel = SlowToReturnModel(token_ids * 50), threading.Event()

    stream = stream_generate(model, tiny.tokenizer, [1, 2], 8, cancel)
    next(stream)
    stream.close()

    assert cancel.is_set() and model.stopped_early
