"""Every service call the window makes, each run on the right background thread.

Three serial workers share one service object:
- `notes`: reading, listing and the single writer (saves, new notes, imports). Saves must
  never wait behind a model download or a long index pass, so file work has its own thread.
- `engine`: indexing and search (the embedder and the Chroma store).
- `model`: warm-up and answers (the generator's torch work, serialised).
Indexing is the only long background job; a search or a question pre-empts it (cancel at
the next batch) and it resumes afterwards: the sync is incremental, so nothing is redone.

In the app the service is a `studylog.core_process.RemoteService`: the engine and model
workers only wait on a child process that does the work (its native code can then never
hold this process's GIL), while note files are still read and written here. Closing the
backend closes that process too.

This module is also the adapter over service methods that may not exist yet (`ask_stream`,
`warm_up`): absent methods become clear "not available" results instead of crashes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from studylog.gui.disk_guard import DiskGuard
from studylog.gui.workers import (
    LINGERING,
    PRIORITY_BACKGROUND,
    PRIORITY_INTERACTIVE,
    PRIORITY_URGENT,
    Job,
    JobContext,
    SerialWorker,
    ServiceHost,
)


class AnswersUnavailable(RuntimeError):
    """The installed service has no `ask_stream` yet."""


def progress_from_args(args: tuple) -> tuple[str, float | None]:
    """Read a progress callback's arguments, whatever shape the service uses.

    Accepts (done, total, message), (message, fraction), (fraction,), (message,) or one
    object with `text`/`fraction` attributes (an AskEvent).
    """
    if len(args) == 1 and hasattr(args[0], "fraction"):
        return str(getattr(args[0], "text", "")), args[0].fraction
    if len(args) >= 3 and isinstance(args[0], int | float) and isinstance(args[1], int | float):
        done, total, message = args[0], args[1], args[2]
        return str(message), (done / total if total else None)
    if len(args) == 2:
        first, second = args
        if isinstance(first, str):
            return first, float(second) if isinstance(second, int | float) else None
        if isinstance(second, str):
            return second, float(first) if isinstance(first, int | float) else None
    if len(args) == 1:
        value = args[0]
        if isinstance(value, int | float):
            return "", float(value)
        return str(value), None
    return "", None


class Backend(QObject):
    index_started = Signal()
    index_progress = Signal(int, int, str)
    index_finished = Signal(object)  # SyncReport
    index_cancelled = Signal()
    index_failed = Signal(object)  # exception
    warmup_progress = Signal(str, object)  # text, fraction or None
    warmup_finished = Signal()
    warmup_failed = Signal(object)

    def __init__(self, factory: Callable[[], Any]):
        super().__init__()
        self.host = ServiceHost(factory)
        self.notes = SerialWorker(self.host, "notes")
        self.engine = SerialWorker(self.host, "engine")
        self.model = SerialWorker(self.host, "model")
        self._index_job: Job | None = None
        self._index_again = False
        self._rebuild_next = False
        self._preempted = False
        self._live_jobs: set[Job] = set()
        self.closed = False
        # Touched only by jobs on the `notes` thread: the single writer is also the only reader.
        self.disk_guard = DiskGuard()

    @property
    def workers(self) -> tuple[SerialWorker, SerialWorker, SerialWorker]:
        return (self.notes, self.engine, self.model)

    def _submit(self, worker: SerialWorker, fn, name: str, priority: int = PRIORITY_INTERACTIVE,
                **callbacks: Callable) -> Job:
        return worker.submit(self._prepare(Job(fn, name, priority), **callbacks))

    def _prepare(self, job: Job, on_result: Callable | None = None, on_error: Callable | None = None,
                 on_item: Callable | None = None, on_aborted: Callable | None = None) -> Job:
        """Connect the caller's slots before the job is queued: a fast job could otherwise
        finish on its thread before anyone listens, and its signals would be lost."""
        for signal, slot in ((job.finished, on_result), (job.errored, on_error), (job.yielded, on_item),
                             (job.aborted, on_aborted)):
            if slot is not None:
                signal.connect(slot)
        # Hold the Python object until `done` reaches this thread: a job collected earlier
        # would take the caller's lambda connections with it.
        self._live_jobs.add(job)
        job.done.connect(lambda: self._live_jobs.discard(job))
        return job

    # -- notes (the single writer) ---------------------------------------------------------
    def describe(self, **callbacks: Callable) -> Job:
        """What the service offers: vault folder and optional features."""
        def describe(ctx: JobContext) -> dict:
            service = ctx.service
            return {
                "vault": Path(service.vault.root),
                "ask": callable(getattr(service, "ask_stream", None)),
                "warm_up": callable(getattr(service, "warm_up", None)),
            }
        return self._submit(self.notes, describe, "describe", PRIORITY_URGENT, **callbacks)

    def list_days(self, **callbacks: Callable) -> Job:
        return self._submit(self.notes, lambda ctx: ctx.service.list_days(), "list_days", **callbacks)

    def read_note(self, path: Path, **callbacks: Callable) -> Job:
        """(note, generation): the note, and which read of it the editor's text is based on."""
        return self._submit(self.notes, lambda ctx: self.disk_guard.read(ctx.service, path), "read_note",
                            PRIORITY_URGENT, **callbacks)

    def save_note(self, path: Path, text: str, generation: int = 0, **callbacks: Callable) -> Job:
        """Save `text`, based on read `generation` of the note, unless another program changed
        the note since: the result is a `SaveOutcome` (with a conflict copy holding `text`
        when the disk had changed). Generation 0 means "whatever was read last"."""
        def save(ctx: JobContext):
            based_on = generation or self.disk_guard.generation(path)
            return self.disk_guard.save(ctx.service, path, text, based_on)
        return self._submit(self.notes, save, "save_note", PRIORITY_URGENT, **callbacks)

    def note_on_disk(self, path: Path, **callbacks: Callable) -> Job:
        """(note, generation) re-read when another program changed the note since the app read
        it; None when unchanged; `False` when the file is gone."""
        def check(ctx: JobContext):
            if not Path(path).exists():
                return False
            return self.disk_guard.read(ctx.service, path) if self.disk_guard.changed_on_disk(path) else None
        return self._submit(self.notes, check, "note_on_disk", PRIORITY_URGENT, **callbacks)

    def keep_copy(self, path: Path, text: str, copy: Path | None = None, **callbacks: Callable) -> Job:
        """Write the app's text to a conflict copy beside `path` (or rewrite `copy`)."""
        return self._submit(self.notes, lambda _ctx: self.disk_guard.keep_copy(path, text, copy), "keep_copy",
                            PRIORITY_URGENT, **callbacks)

    def note_moved(self, source: Path, destination: Path) -> Job:
        return self._submit(self.notes, lambda _ctx: self.disk_guard.moved(source, destination), "note_moved",
                            PRIORITY_URGENT)

    def new_note(self, day: dt.date, language: str | None, **callbacks: Callable) -> Job:
        return self._submit(self.notes, lambda ctx: ctx.service.new_note(day, language), "new_note",
                            PRIORITY_URGENT, **callbacks)

    def create_vault(self, **callbacks: Callable) -> Job:
        return self._submit(self.notes, lambda ctx: ctx.service.vault.check(create=True), "create_vault",
                            PRIORITY_URGENT, **callbacks)

    def import_folder(self, source: Path, **callbacks: Callable) -> Job:
        return self._submit(self.notes, lambda ctx: ctx.service.import_folder(source, dry_run=False), "import",
                            **callbacks)

    # -- engine ----------------------------------------------------------------------------
    @property
    def indexing(self) -> bool:
        return self._index_job is not None

    def index(self, rebuild: bool = False) -> Job | None:
        """Start an index pass, or remember to run another when the current one ends."""
        if self.closed:
            return None
        if self._index_job is not None:
            self._index_again = True
            self._rebuild_next = self._rebuild_next or rebuild
            return self._index_job
        self._preempted = False

        def index(ctx: JobContext):
            return ctx.service.index(progress=lambda done, total, message: ctx.emit((done, total, message)),
                                     cancel=ctx.cancel, rebuild=rebuild)

        job = self._prepare(Job(index, "index", PRIORITY_BACKGROUND),
                            on_item=lambda item: self.index_progress.emit(*item), on_result=self._index_done,
                            on_error=self._index_error, on_aborted=lambda: self._index_done(None))
        self._index_job = job
        self.index_started.emit()
        return self.engine.submit(job)

    def cancel_index(self) -> None:
        self._index_again = False
        self._preempted = False
        if self._index_job is not None:
            self._index_job.quit()

    def _preempt_index(self) -> None:
        job = self._index_job
        if job is not None and self.engine.current is job and not job.cancel.is_set():
            self._preempted = True
            job.quit()

    def _index_done(self, report) -> None:
        self._index_job = None
        cancelled = report is None or getattr(report, "cancelled", False)
        if cancelled and self._preempted and not self.closed:
            self._preempted = False
            self.index()
            return
        if cancelled:
            self.index_cancelled.emit()
        else:
            self.index_finished.emit(report)
        if self._index_again and not self.closed:
            rebuild, self._index_again, self._rebuild_next = self._rebuild_next, False, False
            self.index(rebuild=rebuild)

    def _index_error(self, exc: BaseException) -> None:
        self._index_job = None
        self._index_again = False
        self.index_failed.emit(exc)

    def search(self, query: str, k: int = 10, **callbacks: Callable) -> Job:
        self._preempt_index()
        return self._submit(self.engine, lambda ctx: ctx.service.search(query, k=k), "search", **callbacks)

    def related(self, path: Path, text: str, k: int = 6, **callbacks: Callable) -> Job:
        """RelatedResult: the notes most related to `text`, the editor's text of `path`. It waits
        behind an index pass rather than pre-empting it: it runs at every typing pause."""
        return self._submit(self.engine, lambda ctx: ctx.service.related(path, text=text, k=k), "related",
                            **callbacks)

    def quiz_next(self, n: int, **callbacks: Callable) -> Job:
        """(cards, counts): up to `n` quiz cards (due ones, then new ones) and the counts. The quiz
        needs no index, so a running index pass steps aside (and resumes) as it does for a search."""
        self._preempt_index()

        def quiz_next(ctx: JobContext):
            return ctx.service.quiz_cards(n), ctx.service.quiz_counts()
        return self._submit(self.engine, quiz_next, "quiz", **callbacks)

    def quiz_grade(self, card_id: str, grade: str, **callbacks: Callable) -> Job:
        """(next due time, counts) once the grade is stored. It steps ahead of an index pass too:
        a grade queued behind a long pass would be lost if the window closed meanwhile."""
        self._preempt_index()

        def quiz_grade(ctx: JobContext):
            return ctx.service.quiz_grade(card_id, grade), ctx.service.quiz_counts()
        return self._submit(self.engine, quiz_grade, "quiz", **callbacks)

    # -- model -----------------------------------------------------------------------------
    def ask(self, question: str, history: list[tuple[str, str]], **callbacks: Callable) -> Job:
        """Stream AskEvents; `quit()` on the job sets the cancel event the service watches."""
        self._preempt_index()

        def ask(ctx: JobContext):
            ask_stream = getattr(ctx.service, "ask_stream", None)
            if not callable(ask_stream):
                raise AnswersUnavailable("this version of StudyLog cannot answer questions yet")
            return ask_stream(question, history or None, ctx.cancel)

        return self._submit(self.model, ask, "ask", **callbacks)

    def review(self, week=None, month: str | None = None, **callbacks: Callable) -> Job:
        """Stream the review of a week (a date in it) or a month (YYYY-MM) as AskEvents; the done
        event's `answer` is a `Review`. `quit()` on the job stops the generation."""
        self._preempt_index()
        return self._submit(self.model, lambda ctx: ctx.service.review_stream(week=week, month=month,
                                                                              cancel=ctx.cancel),
                            "review", **callbacks)

    def save_review(self, review, **callbacks: Callable) -> Job:
        """Path of the review saved in the vault (`reviews/…md`, never overwriting): file work,
        on the writer thread."""
        return self._submit(self.notes, lambda ctx: ctx.service.save_review(review), "save_review",
                            PRIORITY_URGENT, **callbacks)

    def warm_up(self) -> Job:
        def warm_up(ctx: JobContext):
            method = getattr(ctx.service, "warm_up", None)
            if not callable(method):
                return False
            method(lambda *args: ctx.emit(progress_from_args(args)))
            return True

        return self._submit(self.model, warm_up, "warm_up", PRIORITY_BACKGROUND,
                            on_item=lambda item: self.warmup_progress.emit(item[0], item[1]),
                            on_result=lambda _ok: self.warmup_finished.emit(), on_error=self.warmup_failed.emit)

    # -- lifetime --------------------------------------------------------------------------
    def reconfigure(self, factory: Callable[[], Any]) -> None:
        """New settings: stop background work; the next job builds a service from `factory`."""
        self.cancel_index()
        for job in self.model.jobs():
            job.quit()
        self.host.replace_factory(factory)

    def cancel_all(self) -> None:
        """Ask every engine and model job to stop (the writer keeps going)."""
        self.cancel_index()
        for worker in (self.engine, self.model):
            for job in worker.jobs():
                job.quit()

    def shutdown(self, deadline: float) -> bool:
        """Stop all threads by `deadline` (time.monotonic()); True when every one ended.

        With the core in a child process, closing it first (it cancels its requests, lets
        them answer for ~0.5 s, then exits or is terminated) ends every call a worker waits
        on. A thread stuck in native code in this process cannot be interrupted; it is left
        running, referenced, and the process exits without waiting for it.
        """
        self.closed = True
        self.cancel_all()
        for worker in self.workers:
            worker.stop()
        self.host.close(timeout=max(0.2, min(1.0, deadline - time.monotonic() - 0.2)))
        all_ended = True
        for worker in self.workers:
            if not worker.stop_and_wait(deadline):
                LINGERING.append(worker)
                all_ended = False
        return all_ended

