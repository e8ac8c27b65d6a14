"""Perceptual colour maps and vectorised colouring of attention matrices (numpy only).

The maps are matplotlib's viridis and magma sampled at eleven points and interpolated to a
256-entry RGBA table: matplotlib is not a dependency, and the interpolation error is below
what the eye separates. Colouring is one table look-up per cell (`lut[index]`), never a loop.
"""

from __future__ import annotations

import numpy as np

_ANCHORS = {
    "viridis": ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884", "#44bf70",
                "#7ad151", "#bddf26", "#fde725"],
    "magma": ["#000004", "#140e36", "#3b0f70", "#641a80", "#8c2981", "#b73779", "#de4968", "#f7705c",
              "#fe9f6d", "#fecf92", "#fcfdbf"],
}
COLORMAPS = tuple(_ANCHORS)
SCALES = ("linear", "sqrt", "log")
LOG_DECADES = 3.0  # the log scale shows three decades below the maximum
TRANSPARENT = 256  # index of the fully transparent entry appended to every table

_tables: dict[str, np.ndarray] = {}


def _hex_rgb(code: str) -> tuple[int, int, int]:
    return int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16)


def lut(name: str = "viridis") -> np.ndarray:
    """uint8 [257, 4] RGBA: 256 colours from low to high, then one transparent entry."""
    table = _tables.get(name)
    if table is None:
        anchors = np.array([_hex_rgb(code) for code in _ANCHORS[name]], dtype=np.float64)
        positions = np.linspace(0.0, 1.0, len(anchors))
        steps = np.linspace(0.0, 1.0, 256)
        rgb = np.stack([np.interp(steps, positions, anchors[:, channel]) for channel in range(3)], axis=1)
        table = np.zeros((257, 4), dtype=np.uint8)
        table[:256, :3] = np.round(rgb).astype(np.uint8)
        table[:256, 3] = 255
        _tables[name] = table
    return table


def normalize(values: np.ndarray, vmax: float, scale: str = "sqrt") -> np.ndarray:
    """Map weights in [0, vmax] to [0, 1] on a linear, square-root or logarithmic scale."""
    vmax = float(vmax) if vmax > 0 else 1.0
    fraction = np.clip(np.asarray(values, dtype=np.float32) / np.float32(vmax), 0.0, 1.0)
    if scale == "sqrt":
        return np.sqrt(fraction)
    if scale == "log":
        floor = np.float32(10.0 ** -LOG_DECADES)
        return np.clip(np.log10(np.maximum(fraction, floor)) / np.float32(LOG_DECADES) + 1.0, 0.0, 1.0)
    return fraction


def inverse(position: float, vmax: float, scale: str = "sqrt") -> float:
    """The weight drawn at `position` (0..1) of the colour bar: used to label the legend."""
    position = min(max(position, 0.0), 1.0)
    if scale == "sqrt":
        return vmax * position * position
    if scale == "log":
        return vmax * 10.0 ** ((position - 1.0) * LOG_DECADES)
    return vmax * position


def colorize(matrix: np.ndarray, vmax: float, scale: str = "sqrt", cmap: str = "viridis") -> np.ndarray:
    """uint8 RGBA [R, C, 4] for a float matrix; negative cells (causally impossible) are transparent."""
    matrix = np.asarray(matrix, dtype=np.float32)
    index = (normalize(matrix, vmax, scale) * np.float32(255.0) + np.float32(0.5)).astype(np.intp)
    index[matrix < 0] = TRANSPARENT
    return lut(cmap)[index]


def pool_max(matrix: np.ndarray, fy: int, fx: int) -> np.ndarray:
    """Max over `fy` × `fx` blocks, so a thin peak survives being drawn smaller than one pixel.

    Strided element-wise maxima (one pass per block offset) are several times faster than a
    reshape-and-reduce; ragged edges are padded with -1 (transparent), which never wins.
    """
    matrix = np.asarray(matrix, dtype=np.float32)
    if fx > 1:
        matrix = _pool_last_axis(matrix, fx)
    if fy > 1:
        matrix = _pool_last_axis(matrix.T, fy).T
    return np.ascontiguousarray(matrix)


def _pool_last_axis(matrix: np.ndarray, factor: int) -> np.ndarray:
    size = matrix.shape[-1]
    pad = -size % factor
    if pad:
        matrix = np.concatenate([matrix, np.full((*matrix.shape[:-1], pad), -1.0, dtype=np.float32)], axis=-1)
    out = matrix[..., 0::factor].copy()
    for offset in range(1, factor):
        np.maximum(out, matrix[..., offset::factor], out=out)
    return out


def rgb_hex(name: str, position: float) -> str:
    """The colour at `position` (0..1) of a map, as #rrggbb."""
    r, g, b, _ = lut(name)[int(round(min(max(position, 0.0), 1.0) * 255))]
    return f"#{r:02x}{g:02x}{b:02x}"
