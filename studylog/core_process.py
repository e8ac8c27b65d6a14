"""The core in a child process, so its native code can never freeze the window.

Chroma's upsert (80-300 ms a batch), Kiwi's constructor (~2 s) and its first analysis (2-4 s)
hold the GIL in C. In the GUI's process that froze the event loop for 0.7-2.3 s while
indexing, whatever thread did the work. Here one child process, started with the "spawn"
method (no fork of a process that runs Qt threads; the same in a PyInstaller build, whose
launcher calls `multiprocessing.freeze_support()`), owns one `StudyLogService`: the
embedder, the Chroma store, the keyword index and the answer model all live there, and the
GUI process only unpickles small replies.

Protocol (one duplex `multiprocessing.Pipe`; every message is a small pickled header
`(tag, request id)` followed by a pickled payload, so a reply that cannot be unpickled fails
its own request and nothing else):

  client -> child   ("req", id)  (kind, method, args, kwargs, callback_kw, cancel_kw)
                    ("cancel", id)  None
                    ("quit", 0)  None
  child -> client   ("item", id)  a progress callback's arguments, or one yielded value
                    ("ok", id)    the return value
                    ("err", id)   (pickled exception or None, class names, message, traceback)

The child runs every request in its own thread (the service has its own locks), so an
index pass, a search and an answer can be in flight together. `cancel_kw` names the
keyword argument that receives that request's `threading.Event`; a "cancel" message sets it.
`callback_kw` names the keyword argument that receives a callback whose every call comes
back as an "item". `kind` "iter" streams the values of a returned iterator (`ask_stream`).

The client (`CoreProcess`) has one reader thread that routes replies to per-request queues,
so several threads may call at once. A child that dies (killed, crashed) fails every pending
call with `CoreProcessError`; the next call starts a new child. `close()` asks the child to
stop (it cancels everything and exits within ~0.5 s), then terminates it if it must.

This module imports neither Qt nor any model or store library: only the child does, through
`studylog.service`. `RemoteService` is the facade the GUI uses in place of `StudyLogService`.
"""

from __future__ import annotations

import importlib
import itertools
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

FACTORY_ENV = "STUDYLOG_SERVICE_FACTORY"
"""`module:function` building the child's service from `settings=` and `vault=` (tests, bench)."""

NICE_ENV = "STUDYLOG_CORE_NICE"
CORE_NICE = 0  # the child's niceness step (POSIX), see `_lower_priority`
QUIT_GRACE_S = 0.5  # how long the child lets cancelled requests finish before it exits
POLL_S = 0.05  # how often a waiting caller looks at its cancel event
_PROTOCOL = pickle.HIGHEST_PROTOCOL


class CoreProcessError(RuntimeError):
    """The core process stopped (killed, crashed or closed) before it answered."""


class RemoteError(RuntimeError):
    """An exception raised in the core process that could not be sent back as itself.

    `remote_type` is its class name, `remote_types` the names of its classes (MRO), and
    `remote_traceback` the child's traceback text.
    """

    remote_type = ""
    remote_types: tuple[str, ...] = ()
    remote_traceback = ""


# -- wire helpers -------------------------------------------------------------------------

def _dumps(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=_PROTOCOL)


def _sendable_type(cls: type) -> bool:
    """Exceptions of Python itself and of StudyLog travel as themselves. Others (chromadb's,
    torch's) would make the GUI process import their library to unpickle them: text instead."""
    package = (cls.__module__ or "").partition(".")[0]
    return package in ("builtins", "studylog") or package in sys.stdlib_module_names


def _exception_payload(exc: BaseException) -> tuple:
    """What the client needs to re-raise `exc`: itself if it survives a pickle round trip."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    names = tuple(cls.__name__ for cls in type(exc).__mro__)
    message = str(exc)
    data: bytes | None = None
    if _sendable_type(type(exc)):
        try:
            data = _dumps(exc)
            pickle.loads(data)  # an exception can pickle and still fail to unpickle (custom __init__)
        except Exception:  # noqa: BLE001 - any failure means "send the text instead"
            data = None
    return data, names, message, tb


_REMOTE_TYPES: dict[str, type] = {}


def _remote_error_type(name: str) -> type:
    """A RemoteError subclass named like the original class, so messages built from
    `type(exc).__name__` still say what failed (e.g. "OutOfMemoryError: ...")."""
    if name == "RemoteError":
        return RemoteError
    if name not in _REMOTE_TYPES:
        _REMOTE_TYPES[name] = type(name, (RemoteError,), {"__module__": __name__})
    return _REMOTE_TYPES[name]


def _exception_from_payload(payload: tuple) -> BaseException:
    data, names, message, tb = payload
    if data is not None:
        try:
            exc = pickle.loads(data)
        except Exception:  # noqa: BLE001 - the class exists in the child only: text instead
            exc = None
        if isinstance(exc, BaseException):
            try:
                exc.remote_traceback = tb
            except Exception:  # noqa: BLE001 - an exception type without a __dict__
                pass
            return exc
    error = _remote_error_type(names[0])(message or names[0])
    error.remote_type = names[0]
    error.remote_types = tuple(names)
    error.remote_traceback = tb
    return error


# -- the child ----------------------------------------------------------------------------

def _load_factory(spec: str) -> Callable[..., Any]:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{FACTORY_ENV} must look like 'package.module:function' (not {spec!r})")
    return getattr(importlib.import_module(module_name), attribute)


def _build_service(settings: Any, vault: Path | None, factory_spec: str | None) -> Any:
    spec = factory_spec or os.environ.get(FACTORY_ENV)
    if spec:
        return _load_factory(spec)(settings=settings, vault=vault)
    from studylog.service import StudyLogService

    return StudyLogService(settings=settings, vault=vault)


class _Server:
    """The child's side: reads requests, runs each in a thread, writes replies."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.send_lock = threading.Lock()
        self.cancels: dict[int, threading.Event] = {}
        self.threads: dict[int, threading.Thread] = {}
        self.lock = threading.Lock()
        self.service: Any = None
        self.service_error: BaseException | None = None

    def send(self, tag: str, rid: int, payload: Any) -> None:
        try:
            data = _dumps(payload)
        except Exception as exc:  # noqa: BLE001 - an unpicklable value fails its own request
            if tag == "err":
                raise
            with self.lock:
                event = self.cancels.get(rid)
            if event is not None:
                event.set()  # its caller gets this error and stops listening
            tag, data = "err", _dumps(_exception_payload(
                RemoteError(f"the core could not send its reply ({type(exc).__name__}: {exc})")))
        header = _dumps((tag, rid))
        with self.send_lock:
            try:
                self.conn.send_bytes(header)
                self.conn.send_bytes(data)
            except (OSError, ValueError):
                pass  # the GUI is gone: the main loop sees EOF and exits

    def run(self, settings: Any, vault: Path | None, factory_spec: str | None) -> None:
        try:
            self.service = _build_service(settings, vault, factory_spec)
        except BaseException as exc:  # noqa: BLE001 - every request will report it
            self.service_error = exc
        while True:
            try:
                tag, rid = pickle.loads(self.conn.recv_bytes())
                data = self.conn.recv_bytes()
            except (EOFError, OSError):
                break  # the GUI process is gone (or closed the pipe): stop
            if tag == "quit":
                break
            if tag == "cancel":
                with self.lock:
                    event = self.cancels.get(rid)
                if event is not None:
                    event.set()
                continue
            try:
                request = pickle.loads(data)
            except Exception as exc:  # noqa: BLE001 - fails that request only
                self.send("err", rid, _exception_payload(RemoteError(f"the core could not read the request: {exc}")))
                continue
            event = threading.Event()
            thread = threading.Thread(target=self.handle, args=(rid, event, *request), daemon=True,
                                      name=f"studylog-core-{request[1]}-{rid}")
            with self.lock:
                self.cancels[rid] = event
                self.threads[rid] = thread
            thread.start()
        self.stop()

    def stop(self) -> None:
        """Cancel whatever runs, give it a moment to finish (its replies still go out), exit."""
        with self.lock:
            events = list(self.cancels.values())
            threads = list(self.threads.values())
        for event in events:
            event.set()
        deadline = time.monotonic() + QUIT_GRACE_S
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        sys.stdout.flush()
        sys.stderr.flush()
        # Threads stuck in native code (a model forward pass) cannot be joined; the store
        # commits every batch, so leaving now loses nothing that a resync would not redo.
        os._exit(0)

    def handle(self, rid: int, event: threading.Event, kind: str, method: str, args: tuple, kwargs: dict,
               callback_kw: str | None, cancel_kw: str | None) -> None:
        try:
            if self.service_error is not None:
                raise self.service_error
            if method.startswith("_"):
                raise AttributeError(f"the core offers no {method!r}")
            if method == "ping":
                self.send("ok", rid, os.getpid())
                return
            target = getattr(self.service, method)
            if not callable(target):  # a plain attribute: its value
                self.send("ok", rid, target)
                return
            kwargs = dict(kwargs)
            if callback_kw:
                kwargs[callback_kw] = lambda *values: self.send("item", rid, values)
            if cancel_kw:
                kwargs[cancel_kw] = event
            result = target(*args, **kwargs)
            if kind == "iter":
                result = self.drain(rid, event, result)
            self.send("ok", rid, result)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
            self.send("err", rid, _exception_payload(exc))
        finally:
            with self.lock:
                self.cancels.pop(rid, None)
                self.threads.pop(rid, None)

    def drain(self, rid: int, event: threading.Event, iterator: Iterator) -> Any:
        try:
            while not event.is_set():
                try:
                    item = next(iterator)
                except StopIteration as stop:
                    return stop.value
                self.send("item", rid, item)
            return None
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()


def serve(conn, settings: Any, vault: Path | None, factory_spec: str | None) -> None:
    """The child process's entry point."""
    # Bounded OpenMP spinning: set before anything loads an OpenMP runtime.
    from studylog.openmp import bound_openmp_spin

    bound_openmp_spin()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    # Ctrl+C in a terminal reaches the whole process group: the GUI process handles it and
    # closes the child properly; a KeyboardInterrupt here would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _lower_priority()
    _Server(conn).run(settings, vault, factory_spec)


def _lower_priority() -> None:
    """`STUDYLOG_CORE_NICE=N` runs the core N niceness steps below the GUI (POSIX).

    Off by default, as measured on a 2-core machine: nice 5 gave no measurable change in the
    GUI's stalls (they stayed under 100 ms either way), while against two busy processes it
    made the core about twice as slow (the core-process tests: 57-61 s against 24-38 s).
    """
    try:
        step = int(os.environ.get(NICE_ENV, CORE_NICE))
    except ValueError:
        step = CORE_NICE
    if step > 0 and hasattr(os, "nice"):
        try:
            os.nice(step)
        except OSError:
            pass


# -- the client ---------------------------------------------------------------------------

class _Child:
    """One started child: its process, its end of the pipe and its reader thread."""

    def __init__(self, process, conn, generation: int) -> None:
        self.process = process
        self.conn = conn
        self.generation = generation
        self.gone = threading.Event()
        self.reason = ""


class CoreProcess:
    """Client of the core process: thread-safe calls, streams and cancellation.

    Starts the child on `start()` or the first request, and again after it died.
    """

    def __init__(self, settings: Any = None, vault: Path | None = None, factory: str | None = None) -> None:
        self.settings = settings
        self.vault = Path(vault) if vault is not None else None
        self.factory = factory
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._generations = itertools.count(1)
        self._pending: dict[int, tuple[int, queue.SimpleQueue]] = {}
        self._child: _Child | None = None
        self._closed = False
        self.starts = 0  # children started so far (restarts show up here)

    # -- lifetime --------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        child = self._child
        return child.process.pid if child is not None else None

    @property
    def alive(self) -> bool:
        child = self._child
        return child is not None and not child.gone.is_set() and child.process.is_alive()

    def start(self) -> None:
        """Start the child now (it loads in the background; calls wait for it as needed)."""
        self._ensure_child()

    def _ensure_child(self) -> _Child:
        with self._lock:
            if self._closed:
                raise CoreProcessError("the StudyLog core process was closed")
            child = self._child
            if child is not None and not child.gone.is_set():
                return child
            if child is not None:
                child.process.join(0)  # reap the dead one
            parent_conn, child_conn = self._context.Pipe(duplex=True)
            process = self._context.Process(target=serve, args=(child_conn, self.settings, self.vault, self.factory),
                                            name="studylog-core", daemon=True)
            process.start()
            child_conn.close()  # only the child holds its end now: its death reads as EOF here
            child = _Child(process, parent_conn, next(self._generations))
            self._child = child
            self.starts += 1
            threading.Thread(target=self._read, args=(child,), daemon=True,
                             name=f"studylog-core-reader-{child.generation}").start()
            return child

    def close(self, timeout: float = 1.0) -> None:
        """Stop the child: ask it to quit, wait up to `timeout` s, then terminate it."""
        deadline = time.monotonic() + max(0.05, timeout)
        with self._lock:
            self._closed = True
            child = self._child
        if child is None:
            return
        if not child.gone.is_set():
            child.reason = child.reason or "the StudyLog core process was closed"
            self._send(child, "quit", 0, None)
            child.process.join(max(0.0, deadline - time.monotonic() - 0.15))
            if child.process.is_alive():
                child.process.terminate()
                child.process.join(0.1)
            if child.process.is_alive():
                child.process.kill()
                child.process.join(0.1)
        self._child_gone(child, "the StudyLog core process was closed")

    def __del__(self) -> None:  # a forgotten client must not leave a process behind
        child = getattr(self, "_child", None)
        if child is not None and not child.gone.is_set():
            try:
                child.process.kill()
            except Exception:  # noqa: BLE001 - interpreter shutting down
                pass

    # -- reading ---------------------------------------------------------------------------
    def _read(self, child: _Child) -> None:
        conn = child.conn
        try:
            while True:
                tag, rid = pickle.loads(conn.recv_bytes())
                data = conn.recv_bytes()
                entry = self._pending.get(rid)
                if entry is None:
                    continue  # a request its caller gave up on (a stopped answer)
                try:
                    value = pickle.loads(data)
                except Exception as exc:  # noqa: BLE001 - fails this request only
                    tag, value = "err", RemoteError(f"the core's reply could not be read here: {exc}")
                else:
                    if tag == "err":
                        value = _exception_from_payload(value)
                entry[1].put((tag, value))
        except (EOFError, OSError):
            pass
        except Exception as exc:  # noqa: BLE001 - a broken stream: treat as a dead child
            child.reason = f"the core's replies could not be read ({exc})"
        finally:
            self._child_gone(child, None)

    def _child_gone(self, child: _Child, reason: str | None) -> None:
        if child.gone.is_set() and reason is None:
            return
        if not child.reason:
            if reason is None:
                child.process.join(0.5)
                code = child.process.exitcode
                how = f"exit code {code}" if code is None or code >= 0 else f"signal {-code}"
                reason = (f"the StudyLog core process stopped unexpectedly ({how}); "
                          "it restarts on the next request")
            child.reason = reason
        child.gone.set()
        try:
            child.conn.close()
        except OSError:
            pass
        error = CoreProcessError(child.reason)
        for _rid, (generation, box) in list(self._pending.items()):
            if generation == child.generation:
                box.put(("gone", error))

    # -- requests --------------------------------------------------------------------------
    def _send(self, child: _Child, tag: str, rid: int, payload: Any, data: bytes | None = None) -> bool:
        if data is None:
            data = _dumps(payload)
        header = _dumps((tag, rid))
        with self._send_lock:
            try:
                child.conn.send_bytes(header)
                child.conn.send_bytes(data)
                return True
            except (OSError, ValueError):
                return False

    def exchange(self, kind: str, method: str, args: tuple = (), kwargs: dict | None = None, *,
                 callback_kw: str | None = None, cancel_kw: str | None = None,
                 cancel: threading.Event | None = None, abandon_on_cancel: bool = False):
        """Send one request; yield its items; return its value (or raise its exception).

        `cancel` (any object with `is_set()`) is watched while waiting: once set, the child
        is told to cancel. With `abandon_on_cancel` the generator then returns None at once
        instead of waiting for the child to wind down (the late replies are dropped).
        """
        try:
            data = _dumps((kind, method, tuple(args), dict(kwargs or {}), callback_kw, cancel_kw))
        except Exception as exc:  # noqa: BLE001 - pickling raises several types: one clear one
            raise TypeError(f"cannot send the arguments of {method}() to the core process: {exc}") from exc
        child = self._ensure_child()
        rid = next(self._ids)
        box: queue.SimpleQueue = queue.SimpleQueue()
        self._pending[rid] = (child.generation, box)
        finished = False
        cancel_sent = False
        try:
            if child.gone.is_set() or not self._send(child, "req", rid, None, data):
                child.gone.wait(1.0)
                raise CoreProcessError(child.reason or "the StudyLog core process is not running")
            while True:
                if cancel is not None and not cancel_sent and cancel.is_set():
                    cancel_sent = True
                    self._send(child, "cancel", rid, None)
                    if abandon_on_cancel:
                        return None
                try:
                    tag, value = box.get(timeout=POLL_S if cancel is not None and not cancel_sent else None)
                except queue.Empty:
                    continue
                if tag == "item":
                    yield value
                    continue
                finished = True
                if tag == "ok":
                    return value
                raise value
        finally:
            self._pending.pop(rid, None)
            if not finished and not cancel_sent and not child.gone.is_set():
                self._send(child, "cancel", rid, None)  # the caller stopped listening

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a service method in the child and return its value (or raise its error)."""
        return _run_to_end(self.exchange("call", method, args, kwargs))

    def call_with_progress(self, method: str, args: tuple = (), kwargs: dict | None = None, *,
                           progress: Callable[..., Any] | None = None, progress_kw: str = "progress",
                           cancel: threading.Event | None = None, cancel_kw: str | None = "cancel") -> Any:
        """Call a method that takes a progress callback (and a cancel event), here in the caller's
        thread: every call the child makes to its callback calls `progress` with the same args."""
        exchange = self.exchange("call", method, args, kwargs, callback_kw=progress_kw if progress else None,
                                 cancel_kw=cancel_kw if cancel is not None else None, cancel=cancel)
        while True:
            try:
                values = next(exchange)
            except StopIteration as stop:
                return stop.value
            if progress is not None:
                progress(*values)

    def stream(self, method: str, args: tuple = (), kwargs: dict | None = None, *,
               cancel: threading.Event | None = None, cancel_kw: str | None = "cancel") -> Iterator:
        """Iterate what a generator method of the service yields, as it yields it.

        Once `cancel` is set the stream ends at once; the child stops at its next check.
        """
        return self.exchange("iter", method, args, kwargs, cancel_kw=cancel_kw if cancel is not None else None,
                             cancel=cancel, abandon_on_cancel=True)

    def ping(self) -> int:
        """The child's pid once it answers (starting it if needed)."""
        return self.call("ping")


def _run_to_end(exchange: Iterator) -> Any:
    while True:
        try:
            next(exchange)
        except StopIteration as stop:
            return stop.value


# -- the facade ---------------------------------------------------------------------------

class RemoteService:
    """What the GUI calls: `StudyLogService`'s surface, with the heavy work in a child process.

    Note files (list, read, save, new, import) stay in this process: they are plain Python
    over small files, must never wait behind the child (starting, loading a model, or
    restarting after a crash: a save is the one thing that must always work), and the vault
    is the source of truth the child re-reads on every index pass anyway. Index, search,
    answers, warm-up, attention and the doctor's checks run in the child.
    """

    def __init__(self, settings: Any = None, vault: Path | None = None, *, factory: str | None = None,
                 start: bool = True) -> None:
        from studylog.config import load_settings
        from studylog.service import StudyLogService  # numpy and the notes code, nothing heavy

        self.settings = settings if settings is not None else load_settings()
        # The local facade only ever serves note files: it loads no embedder, store or model.
        self._notes = StudyLogService(settings=self.settings, vault=vault)
        self.vault = self._notes.vault
        self.core = CoreProcess(self.settings, self.vault.root, factory=factory)
        if start:
            self.core.start()  # the child imports and opens things while the window lists days

    # -- notes (local) ---------------------------------------------------------------------
    def list_days(self):
        return self._notes.list_days()

    def read_note(self, path: Path):
        return self._notes.read_note(path)

    def save_note(self, path: Path, text: str) -> None:
        self._notes.save_note(path, text)

    def new_note(self, date=None, language: str | None = None):
        return self._notes.new_note(date, language)

    def import_folder(self, source: Path, dry_run: bool = False):
        return self._notes.import_folder(source, dry_run=dry_run)

    @property
    def index_dir(self) -> Path:
        return self._notes.index_dir

    # -- core (child) ----------------------------------------------------------------------
    def preload_tokenizer(self) -> None:
        self.core.call("preload_tokenizer")

    def index(self, progress: Callable[[int, int, str], None] | None = None, cancel: threading.Event | None = None,
              rebuild: bool = False):
        return self.core.call_with_progress("index", kwargs={"rebuild": rebuild}, progress=progress, cancel=cancel)

    def search(self, query: str, *args: Any, **kwargs: Any):
        return self.core.call("search", query, *args, **kwargs)

    def related(self, note, text: str | None = None, k: int = 5):
        return self.core.call("related", note, text=text, k=k)

    def quiz_cards(self, n: int = 5, now=None):
        return self.core.call("quiz_cards", n, now)

    def quiz_counts(self, now=None):
        return self.core.call("quiz_counts", now)

    def quiz_grade(self, card_id: str, grade: str, now=None):
        return self.core.call("quiz_grade", card_id, grade, now)

    def ask_stream(self, question: str, history=None, cancel: threading.Event | None = None, today=None,
                   max_new_tokens: int | None = None) -> Iterator:
        kwargs: dict[str, Any] = {"history": history}
        if today is not None:
            kwargs["today"] = today
        if max_new_tokens is not None:
            kwargs["max_new_tokens"] = max_new_tokens
        return self.core.stream("ask_stream", (question,), kwargs, cancel=cancel)

    def review_stream(self, week=None, month: str | None = None, cancel: threading.Event | None = None,
                      max_new_tokens: int | None = None) -> Iterator:
        kwargs: dict[str, Any] = {"week": week, "month": month, "max_new_tokens": max_new_tokens}
        return self.core.stream("review_stream", (), kwargs, cancel=cancel)

    def save_review(self, review) -> Path:
        """A review is a new note file: written here, like every note (see the class note)."""
        return self._notes.save_review(review)

    def warm_up(self, progress: Callable[..., None] | None = None) -> None:
        return self.core.call_with_progress("warm_up", progress=progress, cancel_kw=None)

    def doctor(self):
        return self.core.call("doctor")

    def text_attention(self, text: str, layer: int | None = None, head: str | int = "mean"):
        return self.core.call("text_attention", text, layer, head)

    def capture_answer(self, answer):
        return self.core.call("capture_answer", answer)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Any other service method (or plain attribute) of the child's service."""
        return self.core.call(method, *args, **kwargs)

    # -- lifetime --------------------------------------------------------------------------
    def close(self, timeout: float = 1.0) -> None:
        self.core.close(timeout)


__all__ = ["CoreProcess", "CoreProcessError", "RemoteError", "RemoteService", "FACTORY_ENV", "serve"]
