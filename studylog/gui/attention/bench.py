"""Redraw timings of the attention panel on a capture of the real model's shape.

`python -m studylog.gui.attention.bench [--json]` builds a synthetic capture shaped like
Qwen2.5-1.5B (the default) answering with a 1,024-token prompt and a 256-token answer (28 layers × 12
query heads over 2 KV heads; random rows, causal, normalised) and times, offscreen:

- switching layer or head in the heatmap: the rows aggregated, sinks masked, pooled to
  pieces, coloured and painted (target < 50 ms);
- the grid: pooling all 28 × 12 heads once (a background thread, once per capture), then
  redrawing it (sink toggle: exact renormalisation from the pooled rows, colouring, painting).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

from studylog.attention import AttentionCapture, Span

WORDS = ["어텐션", "은", " 쿼리", "와", " 키", "의", " 내적", "을", " √d_k", "로", " 나눈", "다", ".", " softmax",
         " 가중치", "는", " 값", "(V)", "에", " 곱해", "진다", "\n", " Attention", " weights", " are", " scaled",
         " 트랜스포머", " 멀티헤드", " 헤드", "마다"]


def synthetic_capture(prompt_len: int = 1024, answer_len: int = 256, layers: int = 28, heads: int = 12,
                      kv_heads: int = 2, seed: int = 0, rollout: bool = True) -> AttentionCapture:
    """Random causal attention rows, normalised, with a first-token sink and labelled spans."""
    rng = np.random.default_rng(seed)
    total = prompt_len + answer_len
    visible = np.arange(total)[None, :] <= (prompt_len - 1 + np.arange(answer_len))[:, None]  # [A, T]
    rows = np.empty((layers, heads, answer_len, total), dtype=np.float16)
    for layer in range(layers):
        weights = rng.random((heads, answer_len, total), dtype=np.float32) ** 8
        weights[..., 0] += 2.0 * rng.random((heads, 1), dtype=np.float32)  # the attention sink
        weights *= visible
        rows[layer] = weights / weights.sum(axis=-1, keepdims=True)
    tokens = [WORDS[i % len(WORDS)] for i in range(total)]
    tokens[0] = "<|im_start|>"
    special = [token.startswith("<|") for token in tokens]
    quarter = (prompt_len - 40) // 4
    spans = [Span("instructions", 1, 40)] + [Span(f"source {n + 1}", 40 + n * quarter, 40 + (n + 1) * quarter - 8)
                                             for n in range(3)]
    spans.append(Span("question", 40 + 3 * quarter, prompt_len - 4))
    full = None
    if rollout:
        full = np.tril(rng.random((total, total), dtype=np.float32) ** 8) + np.eye(total, dtype=np.float32)
        full /= full.sum(axis=-1, keepdims=True)
    return AttentionCapture(
        model_name="synthetic Qwen2.5-1.5B shape", token_ids=list(range(total)), tokens=tokens,
        prompt_len=prompt_len, num_layers=layers, num_heads=heads, num_kv_heads=kv_heads, answer_rows=rows,
        spans=spans, pieces=[Span(token, i, i + 1) for i, token in enumerate(tokens)], special=special,
        rollout=full)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def measure(capture: AttentionCapture | None = None, repeats: int = 12, size: tuple[int, int] = (1280, 820)) -> dict:
    """Redraw timings in milliseconds (median and worst), measured on a shown, offscreen panel."""
    from PySide6.QtWidgets import QApplication

    from studylog.gui.attention.data import grid_summary
    from studylog.gui.attention.panel import GRID, HEATMAP, AttentionPanel

    app = QApplication.instance() or QApplication(["studylog-attention-bench"])
    capture = capture or synthetic_capture()
    start = time.perf_counter()
    summary = grid_summary(capture)
    grid_pool_ms = _ms(start)
    panel = AttentionPanel()
    panel.resize(*size)
    panel.show()
    panel.set_capture(capture, grid=summary)
    app.processEvents()
    view = panel.heatmap.view
    view.repaint()
    layers, heads = capture.num_layers, capture.num_heads
    spread = np.linspace(0, layers - 1, repeats).astype(int)
    cases = {  # every timed step changes the choice: a new layer, or a new head in one layer
        "layer": [(int(layer), 3) for layer in spread],
        "head": [(layers // 2, head % heads) for head in range(1, repeats + 1)],
        "mean": [(int(layer), "mean") for layer in spread],
        "max": [(int(layer), "max") for layer in spread],
    }
    results: dict[str, dict] = {}
    for name, choices in cases.items():
        times = []
        for layer, head in choices:
            start = time.perf_counter()
            panel.selector.set_choice(layer, head)
            view.repaint()
            times.append(_ms(start))
        results[f"heatmap_switch_{name}"] = {"median_ms": round(statistics.median(times), 2),
                                             "max_ms": round(max(times), 2)}
    # Before the background pass has stored each layer's head mean (the first seconds).
    panel.model.aggregates = None
    times = []
    for layer in np.linspace(0, layers - 1, repeats).astype(int):
        start = time.perf_counter()
        panel.selector.set_choice(int(layer), "mean")
        view.repaint()
        times.append(_ms(start))
    results["heatmap_switch_mean_before_grid_pass"] = {"median_ms": round(statistics.median(times), 2),
                                                       "max_ms": round(max(times), 2)}
    panel.model.aggregates = summary
    # The same switch at token granularity (no pooling) and with sinks shown.
    panel.heatmap.units.setCurrentIndex(0)
    times = []
    for layer in range(repeats):
        start = time.perf_counter()
        panel.selector.set_choice(layer % layers, (layer * 5) % heads)
        view.repaint()
        times.append(_ms(start))
    results["heatmap_switch_tokens"] = {"median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2)}
    panel.tabs.setCurrentIndex(GRID)
    app.processEvents()
    times = []
    for index in range(repeats):
        start = time.perf_counter()
        panel.selector.sinks.setChecked(index % 2 == 0)
        panel.grid.repaint()
        times.append(_ms(start))
    results["grid_redraw_sink_toggle"] = {"median_ms": round(statistics.median(times), 2),
                                          "max_ms": round(max(times), 2)}
    times = []
    for index in range(repeats):
        start = time.perf_counter()
        panel.selector.set_choice(index % layers, index % heads)
        panel.grid.repaint()
        times.append(_ms(start))
    results["grid_redraw_selection"] = {"median_ms": round(statistics.median(times), 2),
                                        "max_ms": round(max(times), 2)}
    results["grid_pool_once_ms"] = round(grid_pool_ms, 1)
    panel.tabs.setCurrentIndex(HEATMAP)
    panel.close()
    panel.deleteLater()
    return {
        "shape": {"layers": capture.num_layers, "heads": capture.num_heads, "kv_heads": capture.num_kv_heads,
                  "prompt_tokens": capture.prompt_len, "answer_tokens": capture.answer_len},
        "widget_size": list(size),
        "target_ms": 50,
        "timings": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeats", type=int, default=12)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    report = measure(repeats=args.repeats)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for name, value in report["timings"].items():
            print(f"{name:28s} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
