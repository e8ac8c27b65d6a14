"""Services for the core-process tests, built inside the spawned child.

A spawned child cannot receive objects such as a fake embedder, so tests name one of these
factories (`tests.core_factories:scripted_service`) through `CoreProcess(factory=...)` or the
`STUDYLOG_SERVICE_FACTORY` environment variable; the child imports and calls it with
`settings=` and `vault=`.
"""

from __future__ import annotations

import os
import threading
import time

from studylog.notes.vault import VaultError
from studylog.rag.types import Answer, AskEvent
from studylog.search.keyword import KeywordIndex
from studylog.search.tokenize import get_tokenizer
from studylog.service import StudyLogService
from tests.conftest import FakeEmbedder


class SlowFakeEmbedder(FakeEmbedder):
    """FakeEmbedder that can take a while per batch, so a test can cancel an index mid-way."""

    delay_s = 0.0

    def embed_passages(self, texts):
        time.sleep(self.delay_s)
        return super().embed_passages(texts)


class UnpicklableError(Exception):
    """Needs two arguments, so unpickling it (which passes one) fails."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


class ScriptedService(StudyLogService):
    """The real service over a fake embedder and the n-gram tokenizer (no Kiwi: fast start),
    plus a scripted `ask_stream`/`warm_up` and a few hooks for the tests."""

    def __init__(self, settings=None, vault=None) -> None:
        super().__init__(settings=settings, vault=vault, embedder=SlowFakeEmbedder())
        self.ask_stopped = threading.Event()

    def keyword_index(self) -> KeywordIndex:
        with self._lock:
            if self._keyword is None:
                self._keyword = KeywordIndex(self.index_dir / "keyword-test.json", get_tokenizer("ngram"))
            return self._keyword

    def ask_stream(self, question, history=None, cancel=None, today=None, max_new_tokens=None,
                   token_delay_s: float = 0.0):
        if not question.strip():
            raise ValueError("empty question")
        self.ask_stopped.clear()
        pieces: list[str] = []
        try:
            yield AskEvent("status", "retrieving", 0.5)
            for i in range(max_new_tokens or 5):
                if cancel is not None and cancel.is_set():
                    return
                time.sleep(token_delay_s)
                pieces.append(f"t{i} ")
                yield AskEvent("token", pieces[-1])
            yield AskEvent("done", answer=Answer(question=question, text="".join(pieces), model="scripted"))
        finally:
            if len(pieces) < (max_new_tokens or 5):  # stopped early: cancelled or closed
                self.ask_stopped.set()

    def warm_up(self, progress=None) -> None:
        for step in range(3):
            if progress:
                progress("loading", (step + 1) / 3)

    # -- hooks -----------------------------------------------------------------------------
    def set_embed_delay(self, seconds: float) -> None:
        self.embedder.delay_s = seconds

    def was_ask_stopped(self, timeout: float = 2.0) -> bool:
        return self.ask_stopped.wait(timeout)

    def sleep(self, seconds: float, cancel=None) -> str:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if cancel is not None and cancel.is_set():
                return "cancelled"
            time.sleep(0.01)
        return "slept"

    def fail(self, kind: str) -> None:
        if kind == "vault":
            raise VaultError("vault folder /nowhere does not exist")
        if kind == "unpicklable":
            raise UnpicklableError("the GPU caught fire", 42)
        if kind == "foreign":  # a library's own exception: the GUI must not import chromadb for it
            from chromadb.errors import InvalidArgumentError

            raise InvalidArgumentError("collection dimension mismatch")
        raise RuntimeError(kind)

    def env(self, name: str) -> str | None:
        return os.environ.get(name)

    def whoami(self) -> str:
        return f"scripted:{self.vault.root.name}"


def scripted_service(settings=None, vault=None) -> ScriptedService:
    return ScriptedService(settings=settings, vault=vault)
