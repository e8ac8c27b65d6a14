"""`stream_generate`: decoding runs in the caller's thread, a cancel is reported only when there
was one, and a caller that stops reading stops the decoding."""

from __future__ import annotations

import threading

import torch

from studylog.rag import generation
from studylog.rag.generation import GenerationResult, stream_generate


class StandIn:
    """A stand-in for the decoding loop: yields its tokens, asking `should_stop` after each."""

    def __init__(self, token_ids: list[int]) -> None:
        self.token_ids = token_ids
        self.yielded = 0
        self.threads: set[int] = set()

    def __call__(self, model, prompt_ids, max_new_tokens, *, should_stop, **kwargs):
        kept: list[int] = []
        for token in self.token_ids:
            self.threads.add(threading.get_ident())
            kept.append(token)
            self.yielded += 1
            yield token
            if should_stop(kept):
                return


class Model:
    def parameters(self):
        yield torch.zeros(1)


def test_a_generation_that_ends_on_its_own_is_not_reported_cancelled(tiny, monkeypatch):
    token_ids = tiny.tokenizer("분산을 1로", add_special_tokens=False)["input_ids"]
    decode = StandIn(token_ids)
    monkeypatch.setattr(generation, "iter_decode", decode)
    cancel, result = threading.Event(), GenerationResult()

    pieces = list(stream_generate(Model(), tiny.tokenizer, [1, 2], 8, cancel, result))

    assert "".join(pieces) == "분산을 1로" and result.answer_ids == token_ids
    assert not result.cancelled and not cancel.is_set()
    assert decode.threads == {threading.get_ident()}  # no helper thread (iter_decode says why)


def test_a_caller_that_stops_reading_stops_the_generation(tiny, monkeypatch):
    token_ids = tiny.tokenizer("분산을 1로 맞춰줌", add_special_tokens=False)["input_ids"]
    decode, cancel = StandIn(token_ids * 50), threading.Event()
    monkeypatch.setattr(generation, "iter_decode", decode)

    stream = stream_generate(Model(), tiny.tokenizer, [1, 2], 8, cancel)
    next(stream)
    stream.close()

    assert cancel.is_set() and decode.yielded < len(token_ids) * 50


def test_a_cancel_from_another_thread_ends_the_answer_and_is_reported(tiny, monkeypatch):
    token_ids = tiny.tokenizer("분산을 1로 맞춰줌", add_special_tokens=False)["input_ids"]
    monkeypatch.setattr(generation, "iter_decode", StandIn(token_ids * 50))
    cancel, result = threading.Event(), GenerationResult()

    stream = stream_generate(Model(), tiny.tokenizer, [1, 2], 8, cancel, result)
    next(stream)
    stop = threading.Thread(target=cancel.set)  # the Stop button, from the IPC thread
    stop.start()
    stop.join()
    rest = list(stream)

    assert result.cancelled and len(result.answer_ids) <= 2  # ends at the next token
    assert len(rest) <= 1
