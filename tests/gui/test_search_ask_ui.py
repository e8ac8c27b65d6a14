"""Search → open at section (real service, fake embedder) and Ask with a streaming fake."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from studylog.config import Settings
from tests.gui.fakes import (
    ANSWER_TOKENS,
    ATTENTION_NOTE,
    WAIT_MS,
    FakeAskService,
    FakeService,
    WarmUpAskService,
    fake_factory,
)

pytestmark = pytest.mark.gui


def test_search_with_the_real_service_opens_the_note_at_the_section(qtbot, make_window, fixtures_vault,
                                                                    fake_embedder):
    from studylog.service import StudyLogService

    def real_service(settings, vault):
        return StudyLogService(settings=Settings(), vault=vault, embedder=fake_embedder)

    window = make_window(real_service, index_on_start=True)
    with qtbot.waitSignal(window.backend.index_finished, timeout=60_000):
        pass
    assert not window.index_progress.isVisible()

    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    panel = window.search_panel
    assert panel.field.hasFocus()
    qtbot.keyClicks(panel.field, "scaled dot-product attention softmax d_k")
    qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=WAIT_MS)
    hit = panel.hits()[0]
    assert hit.date and (hit.heading_path or hit.section) and hit.snippet()

    qtbot.keyClick(panel.field, Qt.Key.Key_Return)  # Enter again opens the selected result
    qtbot.waitUntil(lambda: window.session.path is not None and window.session.path.name == hit.path.split("/")[-1],
                    timeout=WAIT_MS)
    editor = window.editor_panel.editor
    assert editor.current_line() == hit.start_line
    assert editor.line_visible(hit.start_line)
    # Scrolled as far as it goes: the section is at the top unless the note ends first.
    bar = editor.verticalScrollBar()
    assert editor.first_visible_line() == hit.start_line or bar.value() == bar.maximum()
    assert editor.document().findBlockByNumber(hit.start_line).text().lstrip().startswith("#")


def test_ask_streams_then_source_opens_the_cited_section(qtbot, make_window, fixtures_vault):
    service = FakeAskService(fixtures_vault, token_delay_s=0.03)
    window = make_window(fake_factory(service))
    panel = window.ask_panel
    qtbot.waitUntil(lambda: panel.available and window.vault_root is not None, timeout=WAIT_MS)
    statuses = []
    panel_status = panel.on_status
    panel.on_status = lambda text, fraction: (statuses.append((text, fraction)), panel_status(text, fraction))

    panel.input.setPlainText("어텐션에서 √d_k로 나누는 이유는?")
    qtbot.keyClick(panel.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    bubble = panel.bubbles()[-1]
    full = "".join(ANSWER_TOKENS)
    # Streaming: part of the answer is on screen before the rest has been generated.
    qtbot.waitUntil(lambda: 0 < len(bubble.text) < len(full), timeout=WAIT_MS)
    assert panel.stop_button.isEnabled() and not panel.ask_button.isEnabled()
    qtbot.waitUntil(lambda: bubble.state == "done", timeout=WAIT_MS)
    assert bubble.body.text() == full
    assert statuses and statuses[-1][1] == 1.0 and "Loading" in statuses[0][0]
    assert not panel.progress.isVisible()
    assert "2026-10-14" in bubble.sources.text() and bubble.sources.isVisible()
    assert "√64 = 8" in bubble.evidence.text()
    assert panel.history == [("어텐션에서 √d_k로 나누는 이유는?", full)]

    bubble.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text().startswith(full)

    path, line = bubble.source_links()[0]
    bubble.sources.linkActivated.emit("src:0")
    qtbot.waitUntil(lambda: window.session.path is not None and window.session.path.name == ATTENTION_NOTE,
                    timeout=WAIT_MS)
    editor = window.editor_panel.editor
    assert editor.current_line() == line
    assert "Scaled Dot-Product Attention" in editor.document().findBlockByNumber(line).text()

    # A follow-up question carries the conversation; New conversation forgets it.
    panel.input.setPlainText("더 자세히?")
    panel.ask_button.click()
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)
    assert service.questions[-1][1] == [("어텐션에서 √d_k로 나누는 이유는?", full)]
    panel.new_button.click()
    assert panel.history == [] and panel.bubbles() == []
    assert panel.hint.isVisible()


def test_stop_mid_answer_sets_cancel_and_keeps_partial_text(qtbot, make_window, fixtures_vault):
    service = FakeAskService(fixtures_vault, token_delay_s=0.05, tokens=[f"토큰{i} " for i in range(200)])
    window = make_window(fake_factory(service))
    panel = window.ask_panel
    qtbot.waitUntil(lambda: panel.available, timeout=WAIT_MS)
    panel.input.setPlainText("길게 답해줘")
    panel.ask_button.click()
    bubble = panel.bubbles()[-1]
    qtbot.waitUntil(lambda: len(bubble.text) > 0, timeout=WAIT_MS)

    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert bubble.state == "stopped"
    assert not panel.busy and not panel.stop_button.isEnabled()
    assert service.last_cancel.is_set()  # the event handed to ask_stream: the model stops too
    sent, shown = service.tokens_sent, bubble.text
    qtbot.wait(250)
    assert service.tokens_sent <= sent + 1 and bubble.text == shown and sent < 200
    assert "Stopped." in bubble.notice.text()
    assert panel.history == []  # a stopped answer is not context for the next question

    panel.input.setPlainText("다시")
    assert panel.ask_button.isEnabled()


def test_ask_panel_says_answers_are_unavailable_without_ask_stream(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)))
    panel = window.ask_panel
    qtbot.waitUntil(lambda: not panel.available, timeout=WAIT_MS)
    assert "not available" in panel.hint.text() and panel.hint.isVisible()
    panel.input.setPlainText("질문")
    assert not panel.ask_button.isEnabled()


def test_warm_up_progress_shows_in_the_ask_panel(qtbot, make_window, fixtures_vault):
    service = WarmUpAskService(fixtures_vault)
    window = make_window(fake_factory(service), index_on_start=True, warm_up_on_start=True)
    seen = []
    window.backend.warmup_progress.connect(lambda text, fraction: seen.append((text, fraction)))
    qtbot.waitUntil(service.warmed.is_set, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=WAIT_MS)
    assert seen[-1] == ("Loading model (3/3)", 1.0)
    qtbot.waitUntil(lambda: not window.ask_panel.progress.isVisible(), timeout=WAIT_MS)
