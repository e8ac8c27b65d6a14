"""Render the attention panel's screenshots (offscreen) from a real capture or synthetic data.

    studylog ask "어텐션에서 √d_k로 나누는 이유는?" --attention /tmp/attn
    studylog attention "오늘은 트랜스포머의 셀프 어텐션을 공부했다." --json > /tmp/explore.json
    python -m studylog.gui.attention.screenshots resources/screenshots \\
        --capture /tmp/attn/answer-*.npz --explore /tmp/explore.json --vault VAULT [--lang ko|en]

Without `--capture` a synthetic capture is used. Source dates and sections are read back
from the prompt's own "[n] (date · section)" headers; `--vault` finds their lines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_HEADER = re.compile(r"^\[(\d+)\] \((\d{4}-\d{2}-\d{2}) · (.*?)\)(?:↵|$)")


def _settle(seconds: float = 0.25) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def _wait(condition, timeout_s: float = 60.0) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("not ready in time")
        QApplication.processEvents()
        time.sleep(0.01)


def save_compact(image, path: Path, cmap: str = "viridis", limit_kb: int = 290) -> None:
    """Save as an 8-bit palette PNG: the colour map's entries plus the most frequent UI colours.

    Heatmaps are noise to PNG's compressor in 24-bit colour (a full grid is ~1 MB); every
    colour drawn comes from the 256-entry map or the theme, so a palette loses nothing visible.
    """
    import numpy as np
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    from studylog.gui.attention import colormap

    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    width, height = rgb.width(), rgb.height()
    stride = rgb.bytesPerLine() // 4
    pixels = np.frombuffer(rgb.constBits(), np.uint32, count=stride * height).reshape(height, stride)[:, :width]
    table = colormap.lut(cmap)[:256].astype(np.uint32)
    packed = np.uint32(0xFF000000) | table[:, 0] << 16 | table[:, 1] << 8 | table[:, 2]
    values, counts = np.unique(pixels, return_counts=True)
    frequent = [int(v) for v in values[np.argsort(-counts)] if v not in set(packed.tolist())]
    for levels, others in ((96, 160), (64, 128), (32, 96)):
        palette = list(dict.fromkeys([int(c) for c in packed[np.linspace(0, 255, levels).astype(int)]]
                                     + frequent[:others]))
        indexed = rgb.convertToFormat(QImage.Format.Format_Indexed8, palette,
                                      Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither)
        indexed.save(str(path), "PNG", 0)
        if path.stat().st_size <= limit_kb * 1024:
            return


def _span_text(capture, span) -> str:
    return "".join(piece.label for piece in capture.pieces if span.start <= piece.start < span.end)


def answer_from_capture(capture, saved: dict | None, vault: Path | None):
    """An `Answer` naming the capture's sources, rebuilt from the prompt text itself."""
    from studylog.rag.types import Answer, Source

    sources = []
    question = ""
    for span in capture.spans:
        text = _span_text(capture, span)
        match = _HEADER.match(text)
        if span.label.startswith("source ") and match:
            number, date, section = int(match.group(1)), match.group(2), match.group(3).strip()
            path, line = f"{date}.md", 0
            if vault is not None and (vault / path).is_file():
                heading = section.split(" > ")[-1]
                lines = (vault / path).read_text(encoding="utf-8").splitlines()
                line = next((i for i, row in enumerate(lines) if row.lstrip("#").strip().replace("*", "")
                             .endswith(heading.replace("*", ""))), 0)
            sources.append(Source(n=number, date=date, path=path, section=section, heading_path=section,
                                  start_line=line, text=""))
        elif span.label == "question":
            question = text.removeprefix("Question: ").replace("↵", "").strip()
    cited = {source["n"] for source in (saved or {}).get("sources", [])}
    return Answer(question=question, text=(saved or {}).get("answer", ""),
                  sources=[s for s in sources if s.n in cited] or sources[:1], retrieved=sources,
                  model=capture.model_name, prompt_token_ids=capture.token_ids[:capture.prompt_len],
                  answer_token_ids=capture.token_ids[capture.prompt_len:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="render the attention panel screenshots")
    parser.add_argument("out", type=Path)
    parser.add_argument("--capture", type=Path, help="an .npz saved by `studylog ask --attention`")
    parser.add_argument("--explore", type=Path, help="JSON from `studylog attention TEXT --json`")
    parser.add_argument("--vault", type=Path, help="the vault the answer came from (source lines)")
    parser.add_argument("--lang", default="ko", choices=["ko", "en"])
    parser.add_argument("--layer", type=int, default=16)
    parser.add_argument("--head", type=int, default=3)
    args = parser.parse_args(argv)

    import numpy as np
    from PySide6.QtCore import QRectF

    from studylog.attention import AttentionCapture
    from studylog.attention.explore import TextAttention
    from studylog.config import Settings
    from studylog.gui.app import create_application, prepare_look
    from studylog.gui.attention.bench import synthetic_capture
    from studylog.gui.attention.data import GRANULARITIES
    from studylog.gui.attention.panel import EXPLORE, GRID, HEATMAP, SOURCES, AttentionPanel

    create_application()
    prepare_look(Settings(ui_language=args.lang, theme="light"))
    if args.capture:
        capture = AttentionCapture.load(args.capture)
        saved_path = args.capture.with_suffix(".json")
        saved = json.loads(saved_path.read_text(encoding="utf-8")) if saved_path.is_file() else None
    else:
        capture, saved = synthetic_capture(prompt_len=300, answer_len=60), None
    answer = answer_from_capture(capture, saved, args.vault)
    suffix = "" if args.lang == "ko" else f"-{args.lang}"
    args.out.mkdir(parents=True, exist_ok=True)

    def shot(name: str, widget) -> None:
        _settle()
        path = args.out / f"attention-{name}{suffix}.png"
        save_compact(widget.grab().toImage(), path)
        print(path, f"{path.stat().st_size // 1024} KB")

    panel = AttentionPanel()
    panel.resize(1320, 860)
    panel.show()
    panel.set_capture(capture, answer)
    _wait(lambda: panel.grid_summary is not None)
    layer, head = min(args.layer, capture.num_layers - 1), min(args.head, capture.num_heads - 1)
    panel.selector.set_choice(layer, head)
    panel.heatmap.units.setCurrentIndex(GRANULARITIES.index("piece"))
    _settle()
    view = panel.heatmap.view
    shot("heatmap-overview", panel)
    # Zoom on the answer's start and the first source, and hover one cell.
    rows, cols = view.data.shape
    answer_rows = min(28, rows)
    start_col = int(capture.spans[1].start) if len(capture.spans) > 1 else 0
    start_col = view.data.cols.unit_of(start_col)
    data = view.data.matrix[:answer_rows, start_col:start_col + 48]
    view._set_view(QRectF(start_col, 0, min(48, cols - start_col), answer_rows))
    peak = np.unravel_index(int(np.argmax(data)), data.shape)
    center = view.cell_center(int(peak[0]), start_col + int(peak[1]))
    view._set_hover(view.cell_at(center), None)
    panel.heatmap._show_status()
    shot("heatmap", panel)

    panel.tabs.setCurrentIndex(GRID)
    shot("grid", panel)
    panel.tabs.setCurrentIndex(SOURCES)
    panel.sources.splitter.setSizes([150, 520])
    shot("sources", panel)

    if args.explore:
        raw = json.loads(args.explore.read_text(encoding="utf-8"))
        result = TextAttention(raw["model"], raw["tokens"], raw["layers"], raw["heads"], raw["kv_heads"],
                               raw["layer"], raw["head"], np.array(raw["matrix"], dtype=np.float32))
        text = raw.get("text") or "오늘은 트랜스포머의 셀프 어텐션을 공부했다. 쿼리와 키의 내적을 √d_k로 나눈다."
    else:
        text = "오늘은 트랜스포머의 셀프 어텐션을 공부했다."
        labels = ["오", "늘", "은", " 트[1/2]", " 트", "랜", "스", "포", "머", "의", " 셀", "프", " 어", "텐", "션",
                  "을", " 공", "부", "했다", "."]
        matrix = np.tril(np.random.default_rng(0).random((len(labels), len(labels))) ** 4 + 0.01)
        result = TextAttention("synthetic", labels, 24, 14, 2, 23, "mean", matrix / matrix.sum(1, keepdims=True))
    panel.tabs.setCurrentIndex(EXPLORE)
    panel.explore.input.setPlainText(text)
    panel.explore.show_result(result, (text, result.layer, result.head))
    _settle()
    explore_view = panel.explore.pane.view
    data = explore_view.data.matrix
    lower = np.tril(data, -1)
    row, col = np.unravel_index(int(np.argmax(lower)), lower.shape)
    explore_view._set_hover((int(row), int(col)), None)
    panel.explore.pane._show_status()
    shot("explore", panel)
    panel.tabs.setCurrentIndex(HEATMAP)
    panel.close()
    if args.vault is not None:
        _window_shot(args, capture, answer, shot)
    return 0


def _window_shot(args, capture, answer, shot) -> None:
    """The main window with the Attention tab open beside the note the answer came from."""
    import shutil
    import tempfile

    from studylog.config import Settings
    from studylog.gui.attention.panel import SOURCES
    from studylog.gui.main_window import MainWindow
    from studylog.service import StudyLogService

    work = Path(tempfile.mkdtemp(prefix="studylog-attention-shots-"))
    os.environ["STUDYLOG_HOME"] = str(work / "home")
    vault = work / "vault"
    shutil.copytree(args.vault, vault)
    settings = Settings(ui_language=args.lang, theme="light")
    window = MainWindow(settings, lambda s, v: StudyLogService(settings=s, vault=v), vault_override=vault,
                        index_on_start=False, warm_up_on_start=False)
    window.resize(1560, 900)
    window.show()
    _wait(lambda: window.calendar_panel.loaded and window.session.path is not None)
    cited = answer.sources[0] if answer.sources else None
    if cited is not None:
        window.open_note(vault / cited.path, cited.start_line)
        _wait(lambda: window.session.path is not None and window.session.path.name == cited.path)
    dock = window.attention_dock
    dock.reveal()
    panel = dock.ensure_panel()
    panel.set_capture(capture, answer)
    dock.state = "shown"
    dock.stack.setCurrentWidget(panel)
    _wait(lambda: panel.grid_summary is not None)
    panel.selector.set_choice(min(args.layer, capture.num_layers - 1), min(args.head, capture.num_heads - 1))
    panel.tabs.setCurrentIndex(SOURCES)
    panel.sources.splitter.setSizes([120, 400])
    shot("window", window)
    window.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
