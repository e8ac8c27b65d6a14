"""The Review dock: opened for the selected day's week, streams, Stop, Save into the vault.

The service is the real one with a scripted generation: the review's days, citation checks,
fallback and saving are the core's own code; only the model's text is fixed."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from studylog.config import Settings
from studylog.gui.bench import StallMeter
from studylog.rag import review as rv
from studylog.rag.types import AskEvent
from studylog.search.tokenize import get_tokenizer
from studylog.service import StudyLogService
from tests.gui.fakes import WAIT_MS

pytestmark = pytest.mark.gui

GENERATED = ("어텐션에서 √d_k 로 나누는 이유를 배웠다: 내적의 분산이 d_k 가 되어 softmax가 쏠림 [3] [9].\n"
             "## 해결한 문제\n- softmax를 axis=0 으로 해서 가중치 합이 1이 안 됨 → axis=-1 [3]\n"
             "- 로켓 엔진 설계 [2026-10-17]\n"
             "## 남은 과제\n- 트랜스포머 전체 구조 [2026-09-01]")


class ScriptedReviewService(StudyLogService):
    token_delay_s = 0.0
    stopped = threading.Event()

    def review_stream(self, week=None, month=None, cancel=None, max_new_tokens=None):
        period = rv.week_of(week) if week is not None else rv.month_of(month)
        notes = self.vault.scan().notes
        tokenize = get_tokenizer("kiwi").tokenize
        review = rv.Review(period.start, period.end, period.kind, period.label)
        review.days, review.language = rv.gather(notes, period, self.vault.relative, tokenize,
                                                 lambda text: len(text) // 2)
        yield AskEvent("status", "writing")
        yield AskEvent("token", rv.REVIEW_PREFIX[review.language])
        try:
            for i in range(0, len(GENERATED), 5):
                if cancel is not None and cancel.is_set():
                    return
                time.sleep(self.token_delay_s)
                yield AskEvent("token", GENERATED[i:i + 5])
        finally:
            if cancel is not None and cancel.is_set():  # stopped (or closed by the worker)
                type(self).stopped.set()
        rv.finish(review, GENERATED, tokenize)
        yield AskEvent("done", answer=review)


def factory(settings, vault):
    return ScriptedReviewService(settings=Settings(), vault=vault)


def test_review_of_the_selected_week_streams_and_saves(qtbot, make_window, isolated_home, fixtures_vault):
    window = make_window(factory)
    dock, controller, panel = window.review_dock, window.review, window.review_dock.panel
    assert not dock.isVisible() and dock.toggle.shortcut().toString() == "Ctrl+Shift+W"
    assert dock.toggle in window.window_actions.view_menu.actions()
    window.calendar_panel.calendar.setSelectedDate(dt.date(2026, 10, 16))
    dock.toggle.trigger()
    assert dock.isVisible() and "2026-W42 · 2026-10-12 – 2026-10-18" == panel.period_label.text()

    # Kiwi's native start holds the GIL for seconds; in the app it runs in the core's child
    # process, here in this one, so it is loaded before the window is watched for stalls.
    get_tokenizer("kiwi").tokenize("워밍업")
    probe = StallMeter()  # lateness of a 10 ms timer: time the event loop was blocked
    probe.start()
    ScriptedReviewService.token_delay_s = 0.01
    panel.write_button.click()
    assert panel.state == "writing" and panel.stop_button.isEnabled() and not panel.save_button.isEnabled()
    qtbot.waitUntil(lambda: len(panel.streamed) > 20, timeout=WAIT_MS)
    assert panel.streamed.startswith("## 배운 것")
    qtbot.waitUntil(lambda: panel.state == "done", timeout=WAIT_MS)
    stall = probe.stop()
    assert stall["max_ms"] < 500 - 10, f"event loop stalled {stall['max_ms']} ms"  # no gap of 0.5 s
    review = controller.review
    assert review is not None and not review.fallback and review.removed_citations == 2  # [9], a date
    shown = panel.text.toPlainText()
    assert "[9]" not in shown and "2026-09-01" not in shown and "근거" not in shown
    assert "Evidence (quoted from your notes)" in shown and "Days cited" in shown
    assert "citations outside the period removed" in panel.status.text()
    # 2026-10-17 is in the week but has no note: told apart, and its item (in no note) dropped.
    assert review.no_note_citations == 1 and review.unsupported_items == ["로켓 엔진 설계"]
    assert "(1 citations of days without a note removed)" in panel.status.text()
    assert "(1 items dropped: no note says them)" in panel.status.text() and "로켓" not in shown
    assert panel.save_button.isEnabled()
    panel.save_button.click()
    target = fixtures_vault / "reviews" / "2026-W42.md"
    qtbot.waitUntil(lambda: controller.saved_path is not None, timeout=WAIT_MS)
    assert target.is_file() and "Saved to" in panel.status.text()
    panel.save_button.setEnabled(True)
    panel.save_button.click()  # a second save never overwrites the first
    qtbot.waitUntil(lambda: (fixtures_vault / "reviews" / "2026-W42-2.md").is_file(), timeout=WAIT_MS)

    # Stop mid-way: the core's stream is cancelled and the panel is usable again.
    ScriptedReviewService.token_delay_s = 0.05
    ScriptedReviewService.stopped.clear()
    panel.next_button.click()
    assert panel.period_label.text().startswith("2026-W43")
    panel.write_button.click()
    qtbot.waitUntil(lambda: len(panel.streamed) > 10, timeout=WAIT_MS)
    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.state == "done", timeout=WAIT_MS)
    assert ScriptedReviewService.stopped.wait(2) and not panel.save_button.isEnabled()

    panel.kind.setCurrentIndex(1)  # month
    assert panel.period_label.text() == "2026-10 · 2026-10-01 – 2026-10-31"
    panel.prev_button.click()
    assert panel.period_label.text().startswith("2026-09 · 2026-09-01 – 2026-09-30")


def test_review_dock_speaks_korean(qtbot, make_window, isolated_home):
    from studylog.gui.app import prepare_look

    prepare_look(Settings(ui_language="ko", theme="light"))
    window = make_window(factory, settings=Settings(ui_language="ko", theme="light"))
    window.review_dock.retranslate()
    window.review_dock.panel.retranslate()
    assert window.review_dock.windowTitle() == "회고"
    assert window.review_dock.panel.write_button.text() == "회고 쓰기"
    assert window.review_dock.panel.kind.itemText(0) == "주"
