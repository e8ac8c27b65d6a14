"""Related notes beside the editor: typing pauses refresh the list, a click opens the note."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from studylog.config import Settings
from studylog.gui.bench import StallMeter
from tests.gui.fakes import WAIT_MS

pytestmark = pytest.mark.gui


@pytest.fixture
def real_service(fake_embedder):
    from studylog.service import StudyLogService

    def build(settings, vault):
        return StudyLogService(settings=Settings(), vault=vault, embedder=fake_embedder)

    return build


def _open_indexed(qtbot, make_window, real_service, note: str):
    window = make_window(real_service, index_on_start=True)
    with qtbot.waitSignal(window.backend.index_finished, timeout=60_000):
        pass
    window.open_note(window.vault_root / note)
    qtbot.waitUntil(lambda: window.session.path is not None and window.session.path.name == note, timeout=WAIT_MS)
    return window


def test_typing_pause_updates_the_list_and_a_click_opens_the_note(qtbot, make_window, real_service):
    window = _open_indexed(qtbot, make_window, real_service, "2026-11-26.md")
    dock, controller = window.related_dock, window.related
    controller.pause_ms = 300  # the app waits 1.5 s; the behaviour is the same
    assert not dock.isVisible()
    dock.toggle.trigger()  # Ctrl+Shift+R / View ▸ Related notes
    assert dock.isVisible() and dock.toggle.isChecked()
    panel = dock.panel
    # The first list loads the embedder and Kiwi in the core (9 s measured on a loaded 2-core
    # machine), so this one wait gets a minute rather than the usual WAIT_MS.
    qtbot.waitUntil(lambda: panel.state in ("shown", "empty") and not controller.in_flight, timeout=60_000)
    before = controller.requests

    # A probe on the event loop: typing and the refresh must never stall it.
    probe = StallMeter()  # lateness of a 10 ms timer: time the event loop was blocked
    probe.start()
    editor = window.editor_panel.editor
    editor.selectAll()  # the note is rewritten about attention: the list must follow the new text
    qtbot.keyClicks(editor, "scaled dot-product attention softmax d_k query key value ")
    editor.insertPlainText("어텐션 정리")  # QTest types ASCII only; an input method inserts like this
    qtbot.wait(150)  # longer than the delay after opening a note: the pause timer must still run
    assert controller.requests == before  # nothing is sent while typing
    with qtbot.waitSignal(controller.updated, timeout=WAIT_MS):
        pass
    stall = probe.stop()
    assert controller.requests == before + 1  # one request for the whole burst
    # Measured from the last keystroke, pause included. Qt's default (coarse) timers may fire up
    # to 5 % early (QTimer docs, Qt::CoarseTimer), so 300 ms may read as 285 ms.
    assert controller.latencies_ms[-1] >= 300 * 0.95
    paths = [hit.path for hit in panel.hits()]
    assert paths and "2026-11-26.md" not in paths
    assert "2026-10-14.md" in paths[:3]  # the attention note, after writing about attention
    assert {"softmax", "attention"} & set(panel.hits()[paths.index("2026-10-14.md")].shared_terms)
    assert "2026-11-26" in panel.message.text()
    assert stall["max_ms"] < 500 - 10, f"event loop stalled {stall['max_ms']} ms"  # no gap of 0.5 s

    row = paths.index("2026-10-14.md")
    hit = panel.hits()[row]
    rect = panel.results.visualRect(panel.model.index(row, 0))
    qtbot.mouseClick(panel.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.session.path.name == "2026-10-14.md", timeout=WAIT_MS)
    assert window.editor_panel.editor.current_line() == hit.start_line
    # Opening another note refreshes the list for that note.
    qtbot.waitUntil(lambda: panel.note == "2026-10-14.md" and not controller.in_flight, timeout=WAIT_MS)
    assert "2026-10-14.md" not in [h.path for h in panel.hits()]


def test_hidden_dock_computes_nothing_and_korean_labels(qtbot, make_window, real_service):
    from studylog.gui.i18n import install_language

    window = _open_indexed(qtbot, make_window, real_service, "2026-10-14.md")
    controller = window.related
    window.editor_panel.editor.insertPlainText("more text ")
    qtbot.wait(100)
    assert not controller.timer.isActive() and controller.requests == 0
    install_language("ko")
    qtbot.waitUntil(lambda: window.related_dock.windowTitle() == "관련 노트", timeout=WAIT_MS)  # a posted event
    assert window.related_dock.toggle.text() == "관련 노트"
    window.related_dock.toggle.trigger()
    qtbot.waitUntil(lambda: controller.requests == 1 and not controller.in_flight, timeout=WAIT_MS)
    assert "2026-10-14" in window.related_dock.panel.message.text()
    from studylog.gui.related_panel import why_text

    hits = window.related_dock.panel.hits()
    assert hits and why_text(hits[0]).startswith("공통: ")
    # A calendar day without a note: the list no longer belongs to an open note.
    window.calendar_panel.empty_day_selected.emit(dt.date(2026, 12, 25))
    assert window.related_dock.panel.state == "idle" and window.related_dock.panel.hits() == []
