"""The attention panel on synthetic captures: heatmap, grid, sources, explore, export, and the
"Show attention" path from an answer in the real window (scripted service, no model)."""

from __future__ import annotations

import ast
import csv
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QImage, QMouseEvent, QWheelEvent

from studylog.attention import AttentionCapture, Span, mask_keys, sink_mask, token_labels
from studylog.attention.explore import TextAttention
from studylog.attention.fidelity import Fidelity
from studylog.gui.attention import colormap
from studylog.gui.attention.data import GRANULARITIES, grid_summary, pieces_from_labels
from studylog.gui.attention.panel import EXPLORE, GRID, HEATMAP, SOURCES, AttentionPanel
from studylog.gui.i18n import read_ts, translations_dir
from studylog.rag.types import Answer, Source
from tests.gui.fakes import ATTENTION_NOTE, WAIT_MS, FakeAskService, fake_factory

pytestmark = pytest.mark.gui

LAYERS, HEADS, KV_HEADS = 3, 4, 2
# (piece label, tokens in it, prompt part): "쿼" is one Hangul syllable split over two byte tokens.
PROMPT = [("<|im_start|>", 1, None), ("지시", 1, "instructions"), ("문", 1, "instructions"),
          ("[1]", 1, "source 1"), (" 어", 1, "source 1"), ("텐션", 1, "source 1"),
          ("[2]", 1, "source 2"), ("쿼", 2, "source 2"),
          (" 질문", 1, "question"), ("?", 1, "question"), ("<|im_end|>", 1, None)]
ANSWER = [("답", 1), ("은", 1), (" 어", 1), ("텐션", 1), (".", 1), ("<|im_end|>", 1)]


def make_capture(seed: int = 0) -> AttentionCapture:
    pieces, spans, position = [], {}, 0
    for label, count, part in PROMPT + [(label, count, None) for label, count in ANSWER]:
        pieces.append(Span(label, position, position + count))
        if part is not None:
            start, _ = spans.get(part, (position, 0))
            spans[part] = (start, position + count)
        position += count
    total = position
    prompt_len = sum(count for _, count, _ in PROMPT)
    answer_len = total - prompt_len
    rng = np.random.default_rng(seed)
    visible = np.arange(total)[None, :] <= (prompt_len - 1 + np.arange(answer_len))[:, None]
    rows = rng.random((LAYERS, HEADS, answer_len, total)) ** 3 * visible
    rows[..., 0] += 1.0  # a sink on the first token
    rows = (rows / rows.sum(axis=-1, keepdims=True)).astype(np.float16)
    full = np.tril(rng.random((total, total))) + np.eye(total)
    tokens = token_labels(pieces)
    return AttentionCapture(
        model_name="tiny-test", token_ids=list(range(total)), tokens=tokens, prompt_len=prompt_len,
        num_layers=LAYERS, num_heads=HEADS, num_kv_heads=KV_HEADS, answer_rows=rows,
        spans=[Span(label, start, end) for label, (start, end) in spans.items()], pieces=pieces,
        special=[label.startswith("<|") for label in tokens],
        rollout=(full / full.sum(axis=-1, keepdims=True)).astype(np.float32))


def make_answer(capture: AttentionCapture | None = None) -> Answer:
    capture = capture or make_capture()
    sources = [Source(n=1, date="2026-10-14", path=ATTENTION_NOTE, section="Scaled Dot-Product Attention",
                      heading_path="새로 배운 내용 > Scaled Dot-Product Attention", start_line=7, text="..."),
               Source(n=2, date="2026-10-15", path="2026-10-15.md", section="GQA", heading_path="GQA",
                      start_line=3, text="...")]
    return Answer(question="어텐션이 뭐야?", text="답은 어텐션.", sources=sources[:1], retrieved=sources,
                  model="tiny-test", prompt_token_ids=capture.token_ids[:capture.prompt_len],
                  answer_token_ids=capture.token_ids[capture.prompt_len:],
                  spans=[{"label": s.label, "start": s.start, "end": s.end} for s in capture.spans])


def text_attention(text: str = "오늘은 어텐션을 공부했다", layer: int | None = 2, head="mean") -> TextAttention:
    labels = ["오", "늘[1/2]", "늘", "은", " 어", "텐션", "을", " 공부", "했다"]
    size = len(labels)
    rng = np.random.default_rng(len(text) + (layer or 0))
    matrix = np.tril(rng.random((size, size)) + 0.05)
    matrix = (matrix / matrix.sum(axis=-1, keepdims=True)).astype(np.float32)
    return TextAttention("tiny-test", labels, LAYERS, HEADS, KV_HEADS, layer, str(head), matrix)


@pytest.fixture
def panel(qtbot):
    widget = AttentionPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def shown_capture(panel, qtbot, capture=None, answer=None):
    capture = capture or make_capture()
    panel.set_capture(capture, answer if answer is not None else make_answer(capture))
    qtbot.waitUntil(lambda: panel.grid_summary is not None, timeout=WAIT_MS)
    return capture


def move(widget, pos: QPointF) -> None:
    event = QMouseEvent(QEvent.Type.MouseMove, pos, widget.mapToGlobal(pos), Qt.MouseButton.NoButton,
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    widget.mouseMoveEvent(event)


def wheel(widget, pos: QPointF, steps: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    event = QWheelEvent(pos, widget.mapToGlobal(pos), QPoint(), QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    widget.wheelEvent(event)


# -- heatmap ---------------------------------------------------------------------------------
def test_heatmap_hover_shows_the_query_key_pair_and_weight(qtbot, panel):
    capture = shown_capture(panel, qtbot)
    panel.heatmap.units.setCurrentIndex(GRANULARITIES.index("token"))
    panel.selector.sinks.setChecked(False)
    panel.selector.set_choice(1, 2)
    view = panel.heatmap.view
    assert view.data.shape == (capture.answer_len, len(capture.token_ids))
    row, col = 3, 4  # writing "텐션" (answer token 3), key " 어" in source 1
    qtbot.mouseMove(view, view.cell_center(row, col).toPoint())
    move(view, view.cell_center(row, col))
    assert view.hover == (row, col)
    expected = float(capture.answer_rows[1, 2, row, col])
    assert abs(float(view.data.matrix[row, col]) - expected) < 1e-6
    text = view.hover_text
    assert "«텐션»" in text and "«어»" in text and "source 1" in text
    assert f"{expected:.2f}" in text or f"{expected:.3f}" in text
    assert panel.heatmap.status.text() == text
    # A key the query cannot see yet: the causal mask, not a weight.
    move(view, view.cell_center(0, capture.prompt_len + 3))
    assert "causal mask" in view.hover_text


def test_heatmap_head_selector_shows_kv_groups_and_rollout(qtbot, panel):
    shown_capture(panel, qtbot)
    items = [panel.selector.head.itemText(i) for i in range(panel.selector.head.count())]
    assert "head 1 (KV group 0)" in items and "head 2 (KV group 1)" in items
    assert "rollout (all layers)" in items
    assert "4 query heads share 2 KV heads" in panel.selector.grouping.text()
    panel.selector.set_choice(None, "rollout")
    assert not panel.selector.slider.isEnabled()
    assert panel.heatmap.view.data is not None and "rollout" in panel.heatmap.caption


def test_zoom_and_pan_change_the_visible_cells(qtbot, panel):
    shown_capture(panel, qtbot)
    panel.heatmap.units.setCurrentIndex(GRANULARITIES.index("token"))
    view = panel.heatmap.view
    full = view.view
    plot = view.plot_rect()
    wheel(view, plot.center(), 2)
    assert view.zoomed and view.view.width() < full.width() and view.view.height() < full.height()
    zoomed = view.view
    wheel(view, plot.center(), 2, Qt.KeyboardModifier.ShiftModifier)  # keys only
    assert view.view.width() < zoomed.width() and view.view.height() == zoomed.height()
    before = view.view.x()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=plot.center().toPoint())
    drag = QMouseEvent(QEvent.Type.MouseMove, plot.center() + QPointF(60, 0), view.mapToGlobal(plot.center()),
                       Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    view.mouseMoveEvent(drag)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=(plot.center() + QPointF(60, 0)).toPoint())
    assert view.view.x() < before  # dragging right shows keys further left
    view.reset_view()
    assert not view.zoomed and view.view == full
    # A layer switch keeps the zoom: the same cells stay in view.
    wheel(view, plot.center(), 1)
    kept = view.view
    panel.selector.set_choice(0, 1)
    assert view.view == kept


def test_sink_toggle_masks_the_first_token_and_renormalises(qtbot, panel):
    capture = shown_capture(panel, qtbot)
    panel.heatmap.units.setCurrentIndex(GRANULARITIES.index("token"))
    panel.selector.set_choice(2, 0)
    panel.selector.sinks.setChecked(False)
    raw = panel.heatmap.view.data
    np.testing.assert_allclose(raw.matrix, capture.answer_rows[2, 0].astype(np.float32), atol=1e-6)
    assert raw.matrix[:, 0].min() > 0.15  # the sink dominates
    panel.selector.sinks.setChecked(True)
    masked = panel.heatmap.view.data
    expected = mask_keys(capture.answer_rows[2, 0], sink_mask(capture.special))
    np.testing.assert_allclose(masked.matrix, expected, atol=1e-6)
    np.testing.assert_allclose(masked.matrix.sum(axis=1), 1.0, atol=1e-5)
    assert masked.hidden[0] and masked.hidden[capture.prompt_len - 1] and not masked.hidden[1]
    assert (masked.display()[:, 0] < 0).all()  # drawn blank, not as a zero weight
    move(panel.heatmap.view, panel.heatmap.view.cell_center(0, 0))
    assert "attention sink" in panel.heatmap.view.hover_text


def test_pieces_merge_korean_bytes_and_sum_their_attention(qtbot, panel):
    capture = shown_capture(panel, qtbot)
    panel.selector.sinks.setChecked(False)
    panel.selector.set_choice(0, 3)
    panel.heatmap.units.setCurrentIndex(GRANULARITIES.index("piece"))
    data = panel.heatmap.view.data
    assert "쿼" in data.cols.labels and not any("[1/2]" in label for label in data.cols.labels)
    col = data.cols.labels.index("쿼")
    rows = capture.answer_rows[0, 3].astype(np.float32)
    np.testing.assert_allclose(data.matrix[:, col], rows[:, 7] + rows[:, 8], atol=1e-6)
    np.testing.assert_allclose(data.matrix.sum(axis=1), 1.0, atol=1e-3)
    panel.heatmap.units.setCurrentIndex(GRANULARITIES.index("word"))
    words = panel.heatmap.view.data
    assert "답은" in words.rows.labels and len(words.cols) < len(data.cols)  # pieces join into eojeol
    np.testing.assert_allclose(words.matrix.sum(axis=1), 1.0, atol=1e-3)


def test_colouring_is_a_lookup_table_and_downsampling_keeps_peaks():
    matrix = np.zeros((4, 64), dtype=np.float32)
    matrix[1, 37] = 1.0
    matrix[3, 63] = -1.0
    rgba = colormap.colorize(matrix, 1.0, "linear", "viridis")
    assert rgba.shape == (4, 64, 4) and rgba.dtype == np.uint8
    assert tuple(rgba[1, 37, :3]) == (0xfd, 0xe7, 0x25) and rgba[3, 63, 3] == 0
    pooled = colormap.pool_max(matrix, 2, 8)
    assert pooled.shape == (2, 8) and pooled[0, 4] == 1.0
    assert colormap.inverse(0.5, 0.4, "sqrt") == pytest.approx(0.1)


# -- grid ------------------------------------------------------------------------------------
def test_grid_thumbnails_and_click_opens_the_cell(qtbot, panel):
    capture = shown_capture(panel, qtbot)
    panel.selector.sinks.setChecked(False)
    panel.tabs.setCurrentIndex(GRID)
    grid = panel.grid
    assert grid.thumbnails.shape[:2] == (LAYERS, HEADS + 1)
    # With fewer tokens than thumbnail cells, a thumbnail is the head's answer rows as they are.
    np.testing.assert_allclose(grid.thumbnails[1, 2], capture.answer_rows[1, 2].astype(np.float32), atol=1e-6)
    np.testing.assert_allclose(grid.thumbnails[1, HEADS], capture.answer_rows[1].astype(np.float32).mean(axis=0),
                               atol=1e-5)
    panel.selector.sinks.setChecked(True)
    expected = mask_keys(capture.answer_rows[2, 1], sink_mask(capture.special))
    np.testing.assert_allclose(grid.thumbnails[2, 1], expected, atol=1e-5)
    # The same pass stores each layer's head mean and max, which layer switches then read.
    assert panel.model.aggregates is panel.grid_summary
    layer_rows = capture.answer_rows[1].astype(np.float32)
    np.testing.assert_allclose(panel.model.rows(1, "mean"), layer_rows.mean(axis=0), atol=1e-3)
    peak = layer_rows.max(axis=0)
    np.testing.assert_allclose(panel.model.rows(1, "max"), peak / peak.sum(axis=1, keepdims=True), atol=1e-3)

    center = grid.cell_center(2, 3)
    qtbot.mouseMove(grid, center.toPoint())
    move(grid, center)
    assert "Layer 2" in grid.hover_text and "KV group 1" in grid.hover_text
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=center.toPoint())
    assert panel.tabs.currentIndex() == HEATMAP
    assert (panel.selector.layer, panel.selector.head_choice) == (2, 3)
    panel.tabs.setCurrentIndex(GRID)
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_center(0, "mean").toPoint())
    assert (panel.selector.layer, panel.selector.head_choice) == (0, "mean")


def test_grid_summary_pools_large_captures_exactly():
    from studylog.gui.attention.bench import synthetic_capture

    capture = synthetic_capture(prompt_len=300, answer_len=50, layers=2, heads=4, kv_heads=2, rollout=False)
    summary = grid_summary(capture, rows=10, cols=35)
    thumbs = summary.thumbnails(False)
    assert thumbs.shape == (2, 5, 10, 35)
    rows = capture.answer_rows[1, 2].astype(np.float32)
    cols = np.add.reduceat(rows, summary.col_starts, axis=1)
    expected = np.add.reduceat(cols, summary.row_starts, axis=0) / np.diff(np.append(summary.row_starts, 50))[:, None]
    np.testing.assert_allclose(thumbs[1, 2], expected, atol=1e-4)
    masked = mask_keys(rows, sink_mask(capture.special))
    cols = np.add.reduceat(masked, summary.col_starts, axis=1)
    expected = np.add.reduceat(cols, summary.row_starts, axis=0) / np.diff(np.append(summary.row_starts, 50))[:, None]
    np.testing.assert_allclose(summary.thumbnails(True)[1, 2], expected, atol=1e-4)


# -- sources ---------------------------------------------------------------------------------
def test_sources_bars_sum_to_at_most_one_and_open_the_note(qtbot, panel):
    capture = shown_capture(panel, qtbot)
    panel.tabs.setCurrentIndex(SOURCES)
    view = panel.sources
    rows = view.bars.rows
    assert [row.label for row in rows][:3] == ["source 1", "source 2", "question"]
    assert sum(row.share for row in rows) <= 1.0 + 1e-5
    assert rows[0].title.startswith("[1] 2026-10-14 · ") and "Scaled Dot-Product Attention" in rows[0].title
    assert rows[0].source.cited and not rows[1].source.cited
    expected = panel.model.attribution(panel.selector.layer, "mean", True).overall
    assert rows[0].share == pytest.approx(float(expected[[s.label for s in capture.spans].index("source 1")]))

    with qtbot.waitSignal(panel.open_note_requested, timeout=WAIT_MS) as opened:
        qtbot.mouseClick(view.bars, Qt.MouseButton.LeftButton, pos=view.bars.row_rect(1).center().toPoint())
    assert opened.args == ["2026-10-15.md", 3]
    with qtbot.waitSignal(panel.open_note_requested, timeout=WAIT_MS) as opened:
        view.text.anchorClicked.emit(QUrl("source:1"))
    assert opened.args == [ATTENTION_NOTE, 7]

    text = view.text.toPlainText()
    assert "[1] 2026-10-14" in text and "어텐션" in text and "쿼" in text and "\ufffd" not in text
    # Clicking one answer piece shows where that piece looked.
    whole = [row.share for row in view.bars.rows]
    view.answer_text.piece_clicked.emit(3)  # "텐션"
    piece = [row.share for row in view.bars.rows]
    assert piece != whole and sum(piece) <= 1.0 + 1e-5
    assert view.whole.isEnabled()
    view.whole.click()
    assert [row.share for row in view.bars.rows] == whole


# -- explore ---------------------------------------------------------------------------------
class FakeAttentionService:
    def __init__(self):
        self.calls: list[tuple] = []
        self.captured = threading.Event()

    def text_attention(self, text, layer=None, head="mean"):
        self.calls.append((text, layer, head))
        return text_attention(text, LAYERS - 1 if layer is None else layer, head)

    def capture_answer(self, answer):
        self.captured.set()
        return make_capture()


@pytest.fixture
def dock(qtbot):
    from studylog.gui.attention.dock import AttentionDock
    from studylog.gui.attention.jobs import AttentionJobs
    from studylog.gui.backend import Backend

    service = FakeAttentionService()
    backend = Backend(lambda: service)
    widget = AttentionDock(AttentionJobs(backend))
    widget.service = service
    qtbot.addWidget(widget)
    widget.resize(1000, 720)
    yield widget
    backend.shutdown(time.monotonic() + 5)


def test_explore_runs_the_service_and_browses_the_matrix(qtbot, dock):
    dock.open_explore("오늘은 어텐션을 공부했다")
    panel = dock.panel
    assert panel.tabs.currentIndex() == EXPLORE and not panel.tabs.isTabEnabled(HEATMAP)
    explore = panel.explore
    explore.run.click()
    qtbot.waitUntil(lambda: explore.current is not None, timeout=WAIT_MS)
    assert dock.service.calls == [("오늘은 어텐션을 공부했다", None, "mean")]
    data = explore.current_data()
    assert data.cols.labels[:3] == ["오", "늘", "은"]  # the split syllable is one piece
    assert data.shape == (8, 8) and not data.answer_rows
    np.testing.assert_allclose(data.matrix.sum(axis=1)[1:], 1.0, atol=1e-5)  # row 0 only sees the sink
    assert explore.selector.layer == LAYERS - 1
    # Another head runs again; going back is served from the cache.
    explore.selector.set_choice(1, 2)
    qtbot.waitUntil(lambda: len(dock.service.calls) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: explore.current.result.head == "2", timeout=WAIT_MS)
    assert dock.service.calls[-1] == ("오늘은 어텐션을 공부했다", 1, 2)
    explore.selector.set_choice(LAYERS - 1, "mean")
    qtbot.waitUntil(lambda: explore.current.result.head == "mean", timeout=WAIT_MS)
    assert len(dock.service.calls) == 2
    view = explore.pane.view
    move(view, view.cell_center(2, 1))
    assert "«은»" in view.hover_text and "«늘»" in view.hover_text


def test_explore_asks_again_for_a_choice_made_while_running(qtbot, dock):
    plain = dock.service.text_attention

    def slow(text, layer=None, head="mean"):
        time.sleep(0.15)
        return plain(text, layer, head)

    dock.service.text_attention = slow
    dock.open_explore("오늘은 어텐션을 공부했다")
    explore = dock.panel.explore
    explore.run.click()
    qtbot.waitUntil(lambda: explore.current is not None, timeout=WAIT_MS)
    explore.selector.set_choice(0, 1)
    qtbot.waitUntil(lambda: explore.pending is not None, timeout=WAIT_MS)
    explore.selector.set_choice(1, 3)  # moved on while layer 0 runs
    qtbot.waitUntil(lambda: explore.current.result.layer == 1 and explore.current.result.head == "3",
                    timeout=WAIT_MS)
    assert (explore.selector.layer, explore.selector.head_choice) == (1, 3)
    assert dock.service.calls[-1] == ("오늘은 어텐션을 공부했다", 1, 3)


def test_explore_reports_errors(qtbot, dock):
    def fail(text, layer=None, head="mean"):
        raise ValueError("give at least two tokens of text")

    dock.service.text_attention = fail
    dock.open_explore("가")
    dock.panel.explore.run.click()
    qtbot.waitUntil(lambda: "two tokens" in dock.panel.explore.message.text(), timeout=WAIT_MS)
    assert dock.panel.explore.run.isEnabled()


def test_pieces_are_rebuilt_from_explore_labels():
    pieces, special = pieces_from_labels(
        ["<|im_start|>", "셀[1/3]", "셀[2/3]", "셀", "프", "한[1/2]", "한[2/2]", "x[1/3]"])
    # "한[2/2]": how an older release ended a split piece, in exports made with it.
    assert [(p.label, p.start, p.end) for p in pieces] == [
        ("<|im_start|>", 0, 1), ("셀", 1, 4), ("프", 4, 5), ("한", 5, 7), ("x[1/3]", 7, 8)]
    assert special == [True] + [False] * 7


# -- export ----------------------------------------------------------------------------------
def test_export_writes_png_csv_and_npy(qtbot, panel, tmp_path):
    capture = shown_capture(panel, qtbot)
    panel.heatmap.units.setCurrentIndex(GRANULARITIES.index("token"))
    data = panel.heatmap.view.data
    png = panel.export("png", tmp_path / "view.png")
    image = QImage(str(png))
    assert not image.isNull() and image.width() == panel.heatmap.view.width()
    matrix = np.load(panel.export("npy", tmp_path / "view.npy"))
    assert matrix.shape == (capture.answer_len, len(capture.token_ids))
    np.testing.assert_allclose(matrix, data.matrix)
    with open(panel.export("csv", tmp_path / "view.csv"), encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    assert len(table) == capture.answer_len + 1 and len(table[0]) == len(capture.token_ids) + 1
    assert table[0][1] == "<|im_start|>" and table[1][0] == "답"
    assert float(table[2][5]) == pytest.approx(float(data.matrix[1, 4]), rel=1e-5)

    panel.tabs.setCurrentIndex(GRID)
    grid = np.load(panel.export("npy", tmp_path / "grid.npy"))
    assert grid.shape[:2] == (LAYERS, HEADS + 1)
    with open(panel.export("csv", tmp_path / "grid.csv"), encoding="utf-8-sig", newline="") as file:
        assert len(list(csv.reader(file))) == LAYERS * (HEADS + 1) + 1
    panel.tabs.setCurrentIndex(SOURCES)
    shares = np.load(panel.export("npy", tmp_path / "sources.npy"))
    assert shares.shape == (capture.answer_len + 1, len(capture.spans) + 2)
    assert not QImage(str(panel.export("png", tmp_path / "sources.png"))).isNull()
    assert panel.default_name("csv").startswith("attention-sources-L")


# -- the window ------------------------------------------------------------------------------
class AttentionAskService(FakeAskService):
    """Answers carry token ids, and `capture_answer` returns a synthetic capture."""

    def __init__(self, vault: Path, **kwargs):
        super().__init__(vault, status_steps=1, **kwargs)
        self.captured: list[Answer] = []

    def answer_for(self, question: str) -> Answer:
        answer = super().answer_for(question)
        capture = make_capture()
        template = make_answer(capture)
        answer.prompt_token_ids, answer.answer_token_ids = template.prompt_token_ids, template.answer_token_ids
        answer.spans = template.spans
        answer.retrieved = answer.sources + template.retrieved[1:]
        return answer

    def capture_answer(self, answer: Answer) -> AttentionCapture:
        self.captured.append(answer)
        time.sleep(0.05)
        return make_capture()


def test_show_attention_on_an_answer_fills_the_panel(qtbot, make_window, fixtures_vault):
    service = AttentionAskService(fixtures_vault)
    window = make_window(fake_factory(service))
    panel = window.ask_panel
    qtbot.waitUntil(lambda: panel.available, timeout=WAIT_MS)
    dock = window.attention_dock
    assert not dock.isVisible() and dock.panel is None  # nothing heavy until asked
    panel.input.setPlainText("어텐션에서 √d_k로 나누는 이유는?")
    panel.ask_button.click()
    bubble = panel.bubbles()[-1]
    qtbot.waitUntil(lambda: bubble.state == "done", timeout=WAIT_MS)
    assert bubble.attention_button.isVisible()

    bubble.attention_button.click()
    assert dock.isVisible() and dock.state == "capturing"
    assert dock.stack.currentWidget() is dock.busy and dock.busy.bar.isVisible()
    qtbot.waitUntil(lambda: dock.state == "shown", timeout=WAIT_MS)
    assert service.captured and service.captured[0].question == "어텐션에서 √d_k로 나누는 이유는?"
    attention = dock.panel
    assert dock.stack.currentWidget() is attention and attention.heatmap.view.data is not None
    assert "√d_k" in attention.title.text()

    attention.tabs.setCurrentIndex(SOURCES)
    source_row = next(i for i, row in enumerate(attention.sources.bars.rows) if row.label == "source 1")
    qtbot.mouseClick(attention.sources.bars, Qt.MouseButton.LeftButton,
                     pos=attention.sources.bars.row_rect(source_row).center().toPoint())
    qtbot.waitUntil(lambda: window.session.path is not None and window.session.path.name == ATTENTION_NOTE,
                    timeout=WAIT_MS)

    # The Ask menu opens explore mode; the View menu toggles the dock.
    assert dock.explore_action in window.window_actions.ask_menu.actions()
    assert dock.toggleViewAction() in window.window_actions.view_menu.actions()
    dock.explore_action.trigger()
    assert attention.tabs.currentIndex() == EXPLORE


def test_attention_failure_is_shown_with_a_way_back(qtbot, dock):
    def fail(answer):
        raise RuntimeError("the model is not loaded")

    dock.service.capture_answer = fail
    dock.show_answer(make_answer())
    qtbot.waitUntil(lambda: dock.state == "failed", timeout=WAIT_MS)
    assert "the model is not loaded" in dock.busy.label.text()
    dock.busy.secondary.click()
    assert dock.stack.currentWidget() is dock.hint


# -- strings and timing ----------------------------------------------------------------------
def test_every_attention_string_has_a_korean_translation():
    table = read_ts(translations_dir() / "studylog_ko.ts")
    literals = set()
    for path in (Path(__file__).resolve().parents[2] / "studylog" / "gui" / "attention").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                literals.add(node.args[0].value)
    missing = sorted(literals - set(table))
    assert not missing, f"add these to resources/translations/studylog_ko.ts: {missing}"
    for source in literals:
        for placeholder in ("{n}", "{g}", "{layer}", "{head}", "{error}", "{share}", "{w}", "{token}", "{q}"):
            assert (placeholder in source) == (placeholder in table[source]), source


def test_redraw_bench_reports_layer_head_and_grid_timings(qtbot):
    from studylog.gui.attention.bench import measure, synthetic_capture

    capture = synthetic_capture(prompt_len=200, answer_len=40, layers=4, heads=4, kv_heads=2)
    report = measure(capture, repeats=3, size=(900, 600))
    timings = report["timings"]
    assert {"heatmap_switch_layer", "heatmap_switch_head", "grid_redraw_sink_toggle"} <= set(timings)
    assert all(value["median_ms"] < 1000 for key, value in timings.items() if isinstance(value, dict))


@pytest.mark.parametrize(("fidelity", "badge", "state"), [
    (Fidelity(0.0, True, "recorded", 0.0123, True), "exact · recorded while answering", "exact"),
    (Fidelity(0.031, True, "replay"), "differs by 0.031", "drift"),
    (Fidelity(None, True, "replay"), "replay", "unknown"),
    (Fidelity(None, False, "replay"), "replay differs", "drift"),
    (None, "fidelity unknown", "unknown"),
])
def test_the_header_badge_says_how_exactly_the_rows_are_what_answered(qtbot, panel, fidelity, badge, state):
    capture = make_capture()
    capture.fidelity = fidelity
    shown_capture(panel, qtbot, capture)
    assert panel.fidelity_badge.isVisible()
    assert panel.fidelity_badge.text() == badge
    assert panel.fidelity_badge.property("state") == state
    panel.tabs.setCurrentIndex(EXPLORE)  # explore text was never an answer: no badge
    assert not panel.fidelity_badge.isVisible()


def test_the_rollout_caption_says_it_comes_from_a_replay(qtbot, panel):
    capture = make_capture()
    capture.fidelity = Fidelity(0.0, True, "recorded", 0.0123, True)
    shown_capture(panel, qtbot, capture)
    assert "replay" not in panel.caption()  # a layer's rows: recorded, exact
    panel.selector.set_choice(LAYERS - 1, "rollout")
    assert "replay of prompt + answer" in panel.caption() and "0.012" in panel.caption()


def test_a_regenerated_rollout_says_it_is_the_computation_that_answered(qtbot, panel):
    capture = make_capture()
    capture.fidelity = Fidelity(0.0, True, "recorded", 0.0, True)  # regenerate_attention's figure
    shown_capture(panel, qtbot, capture)
    panel.selector.set_choice(LAYERS - 1, "rollout")
    assert "generation again, step by step" in panel.caption()
    assert "equal the recorded ones exactly" in panel.caption()
