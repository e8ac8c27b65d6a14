"""GUI measurements: start-up to first paint, event-loop stalls, typing latency.

`python -m studylog.gui.bench --json` (and `bench_gui()` for `studylog bench gui`):
- first paint: median of N runs of `studylog gui --screenshot` (a fresh process each), beside a
  bare PySide6 window process, the floor any Qt app pays on this machine;
- stalls: the worst lateness of a 10 ms timer on the GUI thread while the window indexes a
  generated vault through the real service (fast hash embedder, so the measure is about
  our threads, scanning, chunking, Chroma and the keyword index, not the model), and while
  an answer streams in at 500 tokens/s (real retrieval, scripted tokens). The service runs
  as the app runs it: in the core process (`studylog.core_process`); `--in-process` also
  measures the core inside the GUI's process (the design before the core process), and
  `--model-cache DIR` (a folder holding the converted default model) adds an answer from
  the real model;
- typing: key press to processed-and-painted in the editor on a 10,000-line note with
  highlighting on, plus the worst case of opening a code fence at the top (re-highlights all).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_WINDOW = r"""
import time, psutil
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
start = psutil.Process().create_time()
app = QApplication([])
class Window(QWidget):
    done = False
    def paintEvent(self, event):
        super().paintEvent(event)
        if not self.done:
            self.done = True
            print(f"first_paint_ms={round((time.time() - start) * 1000)}", flush=True)
            QTimer.singleShot(0, app.quit)
window = Window()
window.resize(1320, 840)
window.show()
app.exec()
"""

_DATE_LINE = re.compile(r"^date:\s*\d{4}-\d{2}-\d{2}\s*$", re.M)


def default_fixtures() -> Path:
    here = Path(__file__).resolve()
    for candidate in (here.parents[2].parent / "shared" / "fixtures" / "vault",
                      here.parents[2] / "shared" / "fixtures" / "vault"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("fixtures vault not found (expected ../shared/fixtures/vault)")


def generate_vault(fixtures: Path, target: Path, notes: int) -> Path:
    """`notes` daily notes: the fixture notes repeated with shifted dates."""
    sources = sorted(fixtures.glob("*.md"))
    target.mkdir(parents=True, exist_ok=True)
    start = dt.date(2024, 1, 1)
    for i in range(notes):
        day = start + dt.timedelta(days=i)
        text = sources[i % len(sources)].read_text(encoding="utf-8")
        text = _DATE_LINE.sub(f"date: {day.isoformat()}", text, count=1)
        (target / f"{day.isoformat()}.md").write_text(text, encoding="utf-8")
    return target


def _first_paint_runs(command: list[str], runs: int, env: dict) -> list[int]:
    values = []
    for _ in range(runs):
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        match = re.search(r"first_paint_ms=(\d+)", result.stdout)
        if result.returncode != 0 or not match:
            raise RuntimeError(f"start-up run failed ({result.returncode}): {result.stderr[-400:]}")
        values.append(int(match.group(1)))
    return values


def measure_first_paint(vault: Path, runs: int, work: Path) -> dict:
    env = dict(os.environ, STUDYLOG_HOME=str(work / "home-startup"))
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
    app = _first_paint_runs([sys.executable, "-m", "studylog.cli", "gui", "--vault", str(vault), "--screenshot",
                             str(work / "startup.png")], runs, env)
    bare = _first_paint_runs([sys.executable, "-c", BARE_WINDOW], runs, env)
    return {"studylog_median_ms": statistics.median(app), "bare_pyside6_median_ms": statistics.median(bare),
            "studylog_runs_ms": app, "bare_runs_ms": bare, "platform": env["QT_QPA_PLATFORM"]}


class StallMeter:
    """A 10 ms timer on the GUI thread; lateness beyond its interval is time the UI was frozen."""

    def __init__(self, interval_ms: int = 10):
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000
        self.lateness: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer(interval=interval_ms)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lateness.append(max(0.0, now - self._last - self.interval))
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> dict:
        self.timer.stop()
        values = sorted(self.lateness) or [0.0]
        return {"max_ms": round(values[-1] * 1000, 1),
                "p99_ms": round(values[int(0.99 * (len(values) - 1))] * 1000, 1),
                "ticks": len(self.lateness)}


class HashEmbedder:
    """Bag-of-words vectors: instant, so the stall measure is about the app, not the model."""

    name = "bench-hash"
    dim = 64

    def _vector(self, text: str):
        import zlib

        import numpy as np

        vector = np.zeros(self.dim, dtype=np.float32)
        for word in text.split():
            vector[zlib.crc32(word.encode()) % self.dim] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector + 0.125

    def embed_passages(self, texts):
        import numpy as np

        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text):
        return self._vector(text)


def _wait(condition, timeout_s: float) -> bool:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)
    return True


REAL_ANSWER = "real: "  # a question starting with this is answered by the real model
STREAM_TOKENS = 600
REAL_NEW_TOKENS = 48


def _streaming_service_class():
    from studylog.rag.types import Answer, AskEvent
    from studylog.service import StudyLogService

    class StreamingService(StudyLogService):
        """The real service; answers stream scripted tokens at a fast GPU-like rate after a
        real retrieval (Kiwi, embedder, Chroma, as the answer chain runs it), unless the
        question starts with REAL_ANSWER: then the real answer path runs, model included."""

        tokens = STREAM_TOKENS
        seconds_per_token = 0.002

        def ask_stream(self, question, history=None, cancel=None, today=None, max_new_tokens=None):
            if question.startswith(REAL_ANSWER):
                yield from super().ask_stream(question[len(REAL_ANSWER):], history, cancel, today,
                                              max_new_tokens or REAL_NEW_TOKENS)
                return
            yield AskEvent("status", "Retrieving…", fraction=0.5)
            hits = self.search(question, k=5, per_note=False).hits
            text = []
            for i in range(self.tokens):
                if cancel is not None and cancel.is_set():
                    return
                time.sleep(self.seconds_per_token)
                piece = f"토큰{i} " if i % 7 else "\n"
                text.append(piece)
                yield AskEvent("token", piece)
            yield AskEvent("done", answer=Answer(question=question, text="".join(text), model=f"bench ({len(hits)} hits)"))

    return StreamingService


def bench_service(settings=None, vault=None):
    """The bench's service, built in the core process (`CoreProcess(factory=...)`)."""
    return _streaming_service_class()(settings=settings, vault=vault, embedder=HashEmbedder())


def _service_factory(in_process: bool):
    if in_process:
        service_class = _streaming_service_class()
        embedder = HashEmbedder()
        return lambda settings, root: service_class(settings=settings, vault=root, embedder=embedder)

    def remote(settings, root):
        from studylog.core_process import RemoteService

        return RemoteService(settings=settings, vault=root, factory=f"{__name__}:bench_service")

    return remote


def _link_model_cache(model_cache: Path, home: Path) -> bool:
    """Let the bench's app home use an already converted default model (no 90 s conversion)."""
    from studylog.config import DEFAULT_GENERATOR

    source = Path(model_cache) / DEFAULT_GENERATOR
    if not (source / "studylog-converted.json").is_file():
        return False
    target = home / "models" / DEFAULT_GENERATOR
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(source.resolve(), target_is_directory=True)
    return True


def measure_stalls(vault: Path, work: Path, in_process: bool = False, model_cache: Path | None = None) -> dict:
    from studylog.config import Settings
    from studylog.gui.app import create_application, prepare_look
    from studylog.gui.main_window import MainWindow
    from studylog.gui.workers import Job

    home = work / ("home-stall-in-process" if in_process else "home-stall")
    os.environ["STUDYLOG_HOME"] = str(home)  # the core process inherits it when it starts
    real_model = model_cache is not None and _link_model_cache(model_cache, home)
    create_application()
    prepare_look(Settings(ui_language="en", theme="light"))
    window = MainWindow(Settings(), _service_factory(in_process), vault_override=vault, index_on_start=False,
                        warm_up_on_start=False)
    window.show()
    _wait(lambda: window.calendar_panel.loaded and window.session.path is not None, 60)

    # Opening the index loads Kiwi, which holds the GIL ~2 s in its constructor and ~3-4 s in
    # its first analysis (a search runs one): measured on its own, so the indexing figure
    # shows what the app's own threads cost.
    warmed: list = []
    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    window.backend.engine.submit(window.backend._prepare(
        Job(lambda ctx: ctx.service.search("워밍업 warm-up", k=1), "open-index"), on_result=warmed.append,
        on_error=warmed.append))
    _wait(lambda: bool(warmed), 300)
    opening = meter.stop()
    opening["seconds"] = round(time.perf_counter() - started, 2)

    def index_pass(rebuild: bool) -> dict:
        finished: list = []
        window.backend.index_finished.connect(finished.append)
        window.backend.index_failed.connect(finished.append)
        meter = StallMeter()
        meter.start()
        started = time.perf_counter()
        window.backend.index(rebuild=rebuild)
        _wait(lambda: bool(finished), 1800)
        result = meter.stop()
        result["seconds"] = round(time.perf_counter() - started, 2)
        report = finished[0] if finished else None
        result["notes"] = getattr(report, "notes", None)
        result["chunks"] = getattr(report, "chunks", None)
        window.backend.index_finished.disconnect(finished.append)
        window.backend.index_failed.disconnect(finished.append)
        return result

    # The first pass is the first time Kiwi analyses long texts (more one-time set-up under
    # the GIL); the rebuild re-tokenises and re-embeds everything with everything warm.
    indexing = index_pass(rebuild=False)
    reindexing = index_pass(rebuild=True)

    panel = window.ask_panel

    def answer(question: str, timeout_s: float) -> dict:
        meter = StallMeter()
        meter.start()
        started = time.perf_counter()
        panel.input.setPlainText(question)
        panel.submit()
        done = _wait(lambda: not panel.busy, timeout_s)
        result = meter.stop()
        result["seconds"] = round(time.perf_counter() - started, 2)
        result["finished"] = done
        return result

    streaming = answer("어텐션에서 √d_k로 나누는 이유", 120)
    streaming["tokens"] = STREAM_TOKENS
    results = {"mode": "in-process" if in_process else "core-process", "opening_index": opening,
               "indexing": indexing, "reindexing_warm": reindexing, "streaming": streaming}
    if real_model:
        # First answer: loads torch and the model (the cold path), retrieves, prefills, decodes.
        results["streaming_real_model"] = answer(f"{REAL_ANSWER}어텐션에서 √d_k로 나누는 이유를 뭐라고 적었지?", 600)
        results["streaming_real_model"]["new_tokens"] = REAL_NEW_TOKENS
    closing = time.perf_counter()
    window.close()
    results["close_seconds"] = round(time.perf_counter() - closing, 2)
    return results


def measure_typing(fixtures: Path, lines: int = 10_000, keys: int = 200) -> dict:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from studylog.gui.app import create_application
    from studylog.gui.editor import NoteEditor

    create_application()
    source_lines: list[str] = []
    for path in sorted(fixtures.glob("*.md")):
        source_lines.extend(path.read_text(encoding="utf-8").splitlines())
    text = "\n".join((source_lines * (lines // len(source_lines) + 1))[:lines])
    editor = NoteEditor()
    editor.resize(900, 800)
    editor.show()
    started = time.perf_counter()
    editor.load_text(text)
    QApplication.processEvents()
    load_ms = (time.perf_counter() - started) * 1000

    cursor = QTextCursor(editor.document().findBlockByNumber(lines // 2))
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
    editor.setTextCursor(cursor)
    editor.centerCursor()
    QApplication.processEvents()
    samples = []
    for i in range(keys):
        key = Qt.Key.Key_A if i % 10 else Qt.Key.Key_Space
        t0 = time.perf_counter()
        QTest.keyClick(editor, key)
        editor.viewport().repaint()
        QApplication.processEvents()
        samples.append((time.perf_counter() - t0) * 1000)

    editor.moveCursor(QTextCursor.MoveOperation.Start)
    t0 = time.perf_counter()
    for _ in range(3):  # open a fence on line 1: every following line changes state
        QTest.keyClick(editor, Qt.Key.Key_QuoteLeft)
    editor.viewport().repaint()
    QApplication.processEvents()
    fence_ms = (time.perf_counter() - t0) * 1000
    editor.close()
    samples.sort()
    return {"lines": lines, "keys": keys, "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2), "max_ms": round(samples[-1], 2),
            "open_fence_at_top_ms": round(fence_ms, 1), "load_note_ms": round(load_ms, 1)}


def bench_gui(notes: int = 1000, runs: int = 5, fixtures: Path | None = None, work: Path | None = None,
              in_process: bool = False, model_cache: Path | None = None) -> dict:
    """Run every GUI measurement; returns plain numbers (milliseconds unless named).

    `in_process` adds `stall_in_process`: the same stall measures with the core inside the
    GUI's process (what the app did before the core process), for a before/after.
    """
    fixtures = Path(fixtures) if fixtures else default_fixtures()
    own_work = work is None
    work = Path(work) if work else Path(tempfile.mkdtemp(prefix="studylog-bench-gui-"))
    try:
        startup_vault = work / "startup-vault"
        if not startup_vault.exists():
            shutil.copytree(fixtures, startup_vault)
        results = {"first_paint": measure_first_paint(startup_vault, runs, work)}
        vault = generate_vault(fixtures, work / f"vault-{notes}", notes)
        # The core process first: the in-process run loads Kiwi and Chroma into this process.
        results["stall"] = measure_stalls(vault, work, model_cache=model_cache)
        if in_process:
            results["stall_in_process"] = measure_stalls(vault, work, in_process=True, model_cache=model_cache)
        results["typing"] = measure_typing(fixtures)
        results["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
        return results
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studylog.gui.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000, help="notes in the generated vault (default 1000)")
    parser.add_argument("--runs", type=int, default=5, help="start-up runs per process kind (default 5)")
    parser.add_argument("--fixtures", help="fixtures vault (default ../shared/fixtures/vault)")
    parser.add_argument("--in-process", action="store_true",
                        help="also measure stalls with the core inside the GUI's process (before/after)")
    parser.add_argument("--model-cache", help="folder holding the converted default model: adds a real answer")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
    results = bench_gui(args.notes, args.runs, Path(args.fixtures) if args.fixtures else None,
                        in_process=args.in_process, model_cache=Path(args.model_cache) if args.model_cache else None)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        fp, stall, typing = results["first_paint"], results["stall"], results["typing"]
        print(f"first paint: studylog {fp['studylog_median_ms']} ms, bare PySide6 {fp['bare_pyside6_median_ms']} ms "
              f"(median of {args.runs})")
        for key in ("stall", "stall_in_process"):
            stall = results.get(key)
            if not stall:
                continue
            real = stall.get("streaming_real_model")
            print(f"longest stall ({stall['mode']}): opening the index {stall['opening_index']['max_ms']} ms, first "
                  f"index pass {stall['indexing']['max_ms']} ms ({stall['indexing']['notes']} notes, "
                  f"{stall['indexing']['seconds']} s), warm rebuild {stall['reindexing_warm']['max_ms']} ms "
                  f"(p99 {stall['reindexing_warm']['p99_ms']} ms), streaming {stall['streaming']['max_ms']} ms"
                  + (f", real-model answer {real['max_ms']} ms ({real['seconds']} s)" if real else ""))
        print(f"typing on {typing['lines']} lines: median {typing['median_ms']} ms, p95 {typing['p95_ms']} ms, "
              f"max {typing['max_ms']} ms; opening a fence at the top {typing['open_fence_at_top_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
