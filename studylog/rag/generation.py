"""Token streaming from a transformers causal LM, with cancel and loop stop.

The decoding loop (studylog.rag.decoding) runs in the caller's thread as it iterates the text
pieces (not in a helper thread: see `iter_decode` for the measured cost). A cancel event, set
from any thread, is checked after every token (so Stop takes effect within one decoding step,
well under a second), and a caller that stops iterating stops decoding; the model stays usable
afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from studylog.rag.decoding import iter_decode


class _LoopCriteria:
    """Stop when the last `size` tokens already occurred `repeats` times back to back."""

    def __init__(self, sizes: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12), repeats: int = 4) -> None:
        self.sizes = sizes
        self.repeats = repeats
        self.fired = False

    def __call__(self, generated: list[int]) -> bool:
        for size in self.sizes:
            span = size * self.repeats
            if len(generated) >= max(span, 8):
                tail = generated[-span:]
                unit = tail[-size:]
                if all(tail[i : i + size] == unit for i in range(0, span, size)):
                    self.fired = True
                    return True
        return False


class _TextPieces:
    """Turns token ids, one at a time, into text pieces of complete characters only."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self._emitted = ""

    def put(self, token_id: int) -> str:
        """The new text `token_id` completes ("" while a character's bytes are incomplete)."""
        self.ids.append(token_id)
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.endswith("\ufffd") or len(text) <= len(self._emitted):
            return ""  # e.g. half a Hangul syllable: wait for its other bytes
        piece, self._emitted = text[len(self._emitted) :], text
        return piece


def stop_ids_of(model, tokenizer) -> list[int]:
    """Every end-of-turn id: a converted GGUF's generation config knows only `<|im_end|>`,
    while Qwen's chat models may also end with `<|endoftext|>`."""
    ids: list[int] = []
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for value in ([configured] if isinstance(configured, int) else list(configured or [])) + [tokenizer.eos_token_id]:
        if isinstance(value, int) and value not in ids:
            ids.append(value)
    for token in ("<|im_end|>", "<|endoftext|>"):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if isinstance(token_id, int) and token_id != tokenizer.unk_token_id and token_id not in ids:
            ids.append(token_id)
    return ids


@dataclass
class GenerationResult:
    answer_ids: list[int] = field(default_factory=list)
    looped: bool = False
    cancelled: bool = False


def stream_generate(
    model,
    tokenizer,
    prompt_ids: list[int],
    max_new_tokens: int,
    cancel: threading.Event | None = None,
    result: GenerationResult | None = None,
    min_new_tokens: int = 0,
    around_generate: AbstractContextManager | None = None,
) -> Iterator[str]:
    """Yield text pieces as greedy decoding produces them; fills `result` when done.

    `around_generate` is entered around the decoding loop (the attention recorder switches
    the model's attention implementation there). Decoding is `studylog.rag.decoding.iter_decode`:
    greedy with prompt-lookup drafts, the 4-bit weights of an int8-per-token model for its
    steps and a KV cache that grows in place. Errors of the model propagate to the caller.

    Greedy with end-of-sequence allowed: measured better than repetition penalties, which
    garble text the model should copy from the notes ("proxy_bufferings"). Loops are caught
    by `_LoopCriteria` and handled by the evidence fallback instead.
    """
    cancel = cancel or threading.Event()
    result = result if result is not None else GenerationResult()
    pieces = _TextPieces(tokenizer)
    loop = _LoopCriteria()
    stop_ids = stop_ids_of(model, tokenizer)
    ended = False  # decoding ended on its own (not abandoned by the caller)
    try:
        with around_generate or nullcontext():
            for token in iter_decode(
                model, prompt_ids, max_new_tokens, min_new_tokens=min_new_tokens,
                stop_ids=stop_ids, should_stop=lambda generated: cancel.is_set() or loop(generated),
            ):
                piece = pieces.put(token)
                if piece:
                    yield piece
        ended = True
    finally:
        if not ended:  # the caller stopped reading, or decoding failed: stop for no one
            cancel.set()
    result.answer_ids = list(pieces.ids)
    if result.answer_ids and result.answer_ids[-1] in stop_ids:
        result.answer_ids = result.answer_ids[:-1]
    result.looped = loop.fired
    result.cancelled = cancel.is_set()
