"""Icons drawn from the SVGs in resources/icons, tinted for the current theme.

The line icons use `currentColor`, which QtSvg does not resolve: the colour is substituted
into the SVG text before rendering, so one file serves light and dark themes.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

_SIZES = (16, 20, 24, 32, 48)


def _icons_dir():
    from studylog.resources import resources_dir

    return resources_dir() / "icons"


@lru_cache(maxsize=256)
def _svg_text(name: str) -> str:
    return (_icons_dir() / f"{name}.svg").read_text(encoding="utf-8")


def _render(svg: str, size: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


@lru_cache(maxsize=256)
def icon(name: str, color: str = "#555b66") -> QIcon:
    """A theme-tinted line icon."""
    svg = _svg_text(name).replace("currentColor", color)
    result = QIcon()
    for size in _SIZES:
        result.addPixmap(_render(svg, size))
    return result


@lru_cache(maxsize=1)
def app_icon() -> QIcon:
    svg = _svg_text("studylog")
    result = QIcon()
    for size in (*_SIZES, 64, 128, 256):
        result.addPixmap(_render(svg, size))
    return result
