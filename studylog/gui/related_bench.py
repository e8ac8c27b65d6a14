"""Latency of the Related notes dock in the real window: from a typing pause to the new list.

The window runs as the app runs it (core in a child process, the configured embedder and
Kiwi), over an already indexed vault. Each trial types a sentence at the end of a note at a
steady pace, then waits for the dock's `updated` signal; the controller measures from the
last keystroke to the list being shown. A 10 ms timer on the GUI thread records the longest
event-loop stall over the whole run (typing, requests, replies, repaints).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

SENTENCES = [
    "LoRA rank and alpha: a smaller rank trains fewer adapter weights with peft. ",
    "The attention softmax saturates when the scores grow with d_k, so divide by sqrt(d_k). ",
    "docker compose volume keeps the Chroma data after a restart of the container. ",
    "CORS error from the FastAPI backend: add the frontend origin to allow_origins. ",
    "Hybrid search fuses BM25 and vector rankings with reciprocal rank fusion. ",
    "The CNN output size is (W - K + 2P) / S + 1 for every convolution layer. ",
]


def _spin(app, condition, timeout_s: float) -> bool:
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            return False
        app.processEvents()
        time.sleep(0.005)
    return True


def measure_related_latency(vault: Path, note: str = "2026-11-26.md", trials: int = 6,
                            key_delay_ms: int = 40) -> dict:
    """Figures in ms: pause-to-list latency per trial (median, max), the compute part after
    the pause, and the longest event-loop stall."""
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from studylog.config import load_settings
    from studylog.gui.app import create_application, default_service_factory, prepare_look
    from studylog.gui.main_window import MainWindow
    from studylog.gui.related_dock import PAUSE_MS

    app = QApplication.instance() or create_application()
    settings = load_settings()
    settings.ui_language = "en"
    prepare_look(settings)
    window = MainWindow(settings, default_service_factory, vault_override=vault, index_on_start=False,
                        warm_up_on_start=False)
    window.resize(1320, 840)
    window.show()
    if not _spin(app, lambda: window.session.path is not None, 30):
        raise RuntimeError("the window did not open a note")
    window.open_note(Path(vault) / note)
    _spin(app, lambda: window.session.path is not None and window.session.path.name == note, 30)
    controller = window.related
    window.related_dock.reveal()
    # The first request loads the embedder and Kiwi in the core process: not a typing pause.
    if not _spin(app, lambda: controller.latencies_ms, 120):
        raise RuntimeError("the related list never arrived")
    first_ms = controller.latencies_ms[0]
    controller.latencies_ms.clear()

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000 - 10)
        last[0] = now

    probe = QTimer(interval=10)
    probe.timeout.connect(tick)
    probe.start()
    editor = window.editor_panel.editor
    for trial in range(trials):
        cursor = editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        editor.setTextCursor(cursor)
        QTest.keyClicks(editor, SENTENCES[trial % len(SENTENCES)], delay=key_delay_ms)
        _spin(app, lambda n=trial + 1: len(controller.latencies_ms) >= n, 60)
        _spin(app, lambda: False, 1.0)  # a breath between trials, as a writer would take
    probe.stop()
    latencies = list(controller.latencies_ms)
    window.close()
    app.processEvents()
    return {
        "pause_ms": PAUSE_MS,
        "trials": len(latencies),
        "first_list_ms_with_model_load": round(first_ms),
        "pause_to_list_ms": [round(v) for v in latencies],
        "pause_to_list_median_ms": round(statistics.median(latencies)) if latencies else None,
        "pause_to_list_max_ms": round(max(latencies)) if latencies else None,
        "after_pause_median_ms": round(statistics.median(latencies) - PAUSE_MS) if latencies else None,
        "longest_stall_ms": round(max(gaps)) if gaps else None,
        "stalls_over_100ms": sum(1 for g in gaps if g > 100),
        "requests": controller.requests,
    }
