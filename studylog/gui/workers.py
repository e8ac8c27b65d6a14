"""Background work: jobs run one at a time on a QThread and report back through signals.

The shape follows napari's `thread_worker`: a job is a plain function or a generator; every
value it yields arrives on the GUI thread as `yielded`, its return value as `finished`, an
exception as `errored`, a cancellation as `aborted`, and `done` always comes last.

The job object lives in the GUI thread while `run()` executes on the worker thread, so Qt
queues every emission to the GUI thread: slots never run on the worker and never touch
widgets from there.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

# Lower runs first: a save or a search must not wait behind a long index pass.
PRIORITY_URGENT = 0
PRIORITY_INTERACTIVE = 10
PRIORITY_BACKGROUND = 20


@dataclass
class JobContext:
    """What a job function receives: the service, its cancel flag and a way to report."""

    service: Any
    cancel: threading.Event
    emit: Callable[[Any], None]


class Job(QObject):
    """One unit of background work and its signals."""

    yielded = Signal(object)
    finished = Signal(object)
    errored = Signal(object)
    aborted = Signal()
    done = Signal()

    def __init__(self, fn: Callable[[JobContext], Any], name: str = "", priority: int = PRIORITY_INTERACTIVE):
        super().__init__()
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "job")
        self.priority = priority
        self.cancel = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.was_aborted = False
        self._finished_event = threading.Event()

    # -- GUI side --------------------------------------------------------------------------
    def quit(self) -> None:
        """Ask the job to stop: generators stop at their next yield, functions see `cancel`."""
        self.cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has run (or was dropped); True when it has."""
        return self._finished_event.wait(timeout)

    @property
    def is_done(self) -> bool:
        return self._finished_event.is_set()

    # -- worker side -----------------------------------------------------------------------
    def run(self, service_getter: Callable[[], Any]) -> None:
        try:
            if self.cancel.is_set():
                self._abort()
                return
            context = JobContext(service_getter(), self.cancel, self.yielded.emit)
            outcome = self.fn(context)
            if isinstance(outcome, Iterator):
                outcome = self._drain(outcome)
                if self.was_aborted:
                    return
            self.result = outcome
            self.finished.emit(outcome)
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the window
            self.error = exc
            self.errored.emit(exc)
        finally:
            self._finished_event.set()
            self.done.emit()

    def _drain(self, generator: Iterator) -> Any:
        while True:
            if self.cancel.is_set():
                close = getattr(generator, "close", None)
                if close is not None:
                    close()
                self._abort()
                return None
            try:
                item = next(generator)
            except StopIteration as stop:
                return stop.value
            self.yielded.emit(item)

    def _abort(self) -> None:
        self.was_aborted = True
        self.aborted.emit()

    def drop(self) -> None:
        """Mark a job that will never run (its worker is shutting down)."""
        if not self._finished_event.is_set():
            self.was_aborted = True
            self._finished_event.set()


@dataclass(order=True)
class _Queued:
    priority: int
    sequence: int
    job: Job | None = field(compare=False)


class ServiceHost:
    """Creates the service on first use, on whichever worker asks first, and shares it.

    The factory runs in a worker thread so `studylog.service` (and numpy behind it) is never
    imported before the window has painted.
    """

    def __init__(self, factory: Callable[[], Any]):
        self._factory = factory
        self._lock = threading.Lock()
        self._service: Any = None

    def get(self) -> Any:
        with self._lock:
            if self._service is None:
                self._service = self._factory()
            return self._service

    @property
    def created(self) -> Any:
        """The service if it exists already (never creates it)."""
        return self._service

    def replace_factory(self, factory: Callable[[], Any]) -> None:
        """Use a new factory (settings changed); the next job builds a fresh service.

        The old service is closed in the background (its core process stops within ~1 s).
        """
        with self._lock:
            self._factory = factory
            old, self._service = self._service, None
        if callable(getattr(old, "close", None)):
            threading.Thread(target=old.close, name="studylog-close-service", daemon=True).start()

    def close(self, timeout: float = 1.0) -> None:
        """Close the service if it can be closed (the core process): whatever still waits on it
        ends with an error, so no worker outlives the window because of it."""
        service = self._service
        close = getattr(service, "close", None)
        if callable(close):
            close(timeout)


class SerialWorker(QThread):
    """A thread that runs submitted jobs one after another, most urgent first."""

    def __init__(self, host: ServiceHost, name: str):
        super().__init__()
        self.setObjectName(f"studylog-{name}")
        self.host = host
        self._queue: queue.PriorityQueue[_Queued] = queue.PriorityQueue()
        self._sequence = itertools.count()
        self._current: Job | None = None
        self._pending: list[Job] = []
        self._lock = threading.Lock()
        self._stopping = False

    def submit(self, job: Job) -> Job:
        with self._lock:
            if self._stopping:
                job.drop()
                return job
            self._pending.append(job)
        self._queue.put(_Queued(job.priority, next(self._sequence), job))
        if not self.isRunning():
            self.start()
        return job

    @property
    def current(self) -> Job | None:
        return self._current

    def jobs(self) -> list[Job]:
        """Queued and running jobs."""
        with self._lock:
            return list(self._pending)

    def busy(self) -> bool:
        return bool(self.jobs())

    def run(self) -> None:
        while True:
            item = self._queue.get()
            job = item.job
            if job is None:
                break
            self._current = job
            try:
                job.run(self.host.get)
            finally:
                self._current = None
                with self._lock:
                    if job in self._pending:
                        self._pending.remove(job)

    def stop(self) -> None:
        """Ask every queued and running job to quit and end the thread after the current one."""
        with self._lock:
            self._stopping = True
            pending = list(self._pending)
        for job in pending:
            job.quit()
            if job is not self._current:
                job.drop()
        # The sentinel sorts before everything so cancelled jobs are not even started.
        self._queue.put(_Queued(-1, next(self._sequence), None))

    def stop_and_wait(self, deadline: float) -> bool:
        """Stop and wait until `deadline` (time.monotonic()); True when the thread ended."""
        self.stop()
        if not self.isRunning():
            return True
        remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
        return self.wait(remaining_ms)


# Threads that outlived a shutdown deadline: kept referenced so Python never destroys a
# running QThread (which aborts the process); the app exits without waiting for them.
LINGERING: list[SerialWorker] = []
