"""Attention work on the backend's model worker (the thread that owns the generator).

Capturing replays the prompt and answer through the model, and explore mode runs it over new
text: both are torch work, so they queue behind (never beside) an answer being written.
Uses the public `SerialWorker.submit`; nothing here imports numpy or the service.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from studylog.gui.workers import PRIORITY_INTERACTIVE, Job, JobContext


class AttentionUnavailable(RuntimeError):
    """The service has no attention methods (an older or a fake service)."""


class AttentionJobs(QObject):
    def __init__(self, backend, parent: QObject | None = None):
        super().__init__(parent)
        self.backend = backend
        self._live: set[Job] = set()

    def _submit(self, fn: Callable[[JobContext], object], name: str, on_result: Callable,
                on_error: Callable) -> Job:
        job = Job(fn, name, PRIORITY_INTERACTIVE)
        # Connect before queueing: a fast job could finish before anyone listens.
        job.finished.connect(on_result)
        job.errored.connect(on_error)
        self._live.add(job)  # a collected job would take its connections with it
        job.done.connect(lambda: self._live.discard(job))
        return self.backend.model.submit(job)

    def capture(self, answer, on_result: Callable, on_error: Callable) -> Job:
        """`service.capture_answer(answer)`: one eager pass over the answer's prompt + tokens."""
        def capture(ctx: JobContext):
            method = getattr(ctx.service, "capture_answer", None)
            if not callable(method):
                raise AttentionUnavailable("this version of StudyLog cannot capture attention")
            return method(answer)

        return self._submit(capture, "attention_capture", on_result, on_error)

    def explore(self, text: str, layer: int | None, head, on_result: Callable, on_error: Callable) -> Job:
        """`service.text_attention(text, layer, head)`: the model's attention over any text."""
        def explore(ctx: JobContext):
            method = getattr(ctx.service, "text_attention", None)
            if not callable(method):
                raise AttentionUnavailable("this version of StudyLog cannot explore attention")
            return method(text, layer, head)

        return self._submit(explore, "attention_explore", on_result, on_error)
