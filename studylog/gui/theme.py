"""Light and dark themes: a Fusion palette plus one style sheet filled from colour tokens.

Panels never hard-code colours: they read `current_tokens()` (the highlighter, the chat
bubbles) or use the object names the style sheet styles, so switching theme repaints all.
"""

from __future__ import annotations

from string import Template

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")
FONT_FAMILIES = ["Noto Sans KR", "NanumGothic", "Apple SD Gothic Neo", "Malgun Gothic", "sans-serif"]
MONO_FAMILIES = ["D2Coding", "NanumGothicCoding", "JetBrains Mono", "Menlo", "Consolas", "monospace"]
BASE_POINT_SIZE = 10

LIGHT = {
    "window": "#f5f6f8",
    "base": "#ffffff",
    "alt_base": "#f0f2f5",
    "text": "#1f2328",
    "muted": "#66707b",
    "border": "#dadfe5",
    "accent": "#4a58d0",
    "accent_text": "#ffffff",
    "accent_soft": "#e9ecfb",
    "selection": "#cdd4fa",
    "code_bg": "#f1f3f5",
    "code_text": "#b0306a",
    "heading": "#2f3aa6",
    "link": "#1a66c9",
    "quote": "#6b7480",
    "marker": "#c25e00",
    "danger": "#c42b34",
    "danger_bg": "#fdecee",
    "warning_bg": "#fff6dc",
    "success": "#1d7f3b",
    "user_bubble": "#e9ecfb",
    "answer_bubble": "#ffffff",
    "calendar_mark": "#dfe4ff",
    "calendar_today": "#4a58d0",
}

DARK = {
    "window": "#1c1e22",
    "base": "#24272c",
    "alt_base": "#2a2d33",
    "text": "#e4e6ea",
    "muted": "#9aa3ad",
    "border": "#383c44",
    "accent": "#8d97ff",
    "accent_text": "#15171a",
    "accent_soft": "#2e3360",
    "selection": "#3e4585",
    "code_bg": "#2d3138",
    "code_text": "#f08cb8",
    "heading": "#aab2ff",
    "link": "#6cb0ff",
    "quote": "#9aa3ad",
    "marker": "#ffa657",
    "danger": "#ff7b72",
    "danger_bg": "#3b2226",
    "warning_bg": "#3a3320",
    "success": "#56d364",
    "user_bubble": "#2e3360",
    "answer_bubble": "#2a2d33",
    "calendar_mark": "#343a70",
    "calendar_today": "#8d97ff",
}


class ThemeManager(QObject):
    """Applies a theme and tells panels when colours changed."""

    changed = Signal(dict)

    def __init__(self) -> None:
        super().__init__()
        self.mode = "system"
        self.tokens = LIGHT
        self._applied_to: QApplication | None = None
        hints = QGuiApplication.styleHints()
        # Follow the desktop when it switches between light and dark while we run.
        hints.colorSchemeChanged.connect(self._system_scheme_changed)

    def is_dark(self, mode: str) -> bool:
        if mode == "dark":
            return True
        if mode == "light":
            return False
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark

    def apply(self, mode: str) -> None:
        app = QApplication.instance()
        mode = mode if mode in THEMES else "system"
        tokens = DARK if self.is_dark(mode) else LIGHT
        if self._applied_to is app and tokens is self.tokens:
            self.mode = mode  # same colours: re-polishing every widget would only cost time
            return
        self.mode, self.tokens, self._applied_to = mode, tokens, app
        app.setStyle("Fusion")
        app.setPalette(build_palette(self.tokens))
        app.setStyleSheet(style_sheet(self.tokens))
        self.changed.emit(self.tokens)

    def _system_scheme_changed(self, _scheme) -> None:
        if self.mode == "system":
            self.apply("system")


_manager: ThemeManager | None = None


def theme_manager() -> ThemeManager:
    global _manager
    if _manager is None:
        _manager = ThemeManager()
    return _manager


def current_tokens() -> dict[str, str]:
    return theme_manager().tokens


def build_palette(tokens: dict[str, str]) -> QPalette:
    palette = QPalette()
    c = {name: QColor(value) for name, value in tokens.items()}
    roles = {
        QPalette.ColorRole.Window: c["window"],
        QPalette.ColorRole.WindowText: c["text"],
        QPalette.ColorRole.Base: c["base"],
        QPalette.ColorRole.AlternateBase: c["alt_base"],
        QPalette.ColorRole.Text: c["text"],
        QPalette.ColorRole.Button: c["base"],
        QPalette.ColorRole.ButtonText: c["text"],
        QPalette.ColorRole.Highlight: c["selection"],
        QPalette.ColorRole.HighlightedText: c["text"],
        QPalette.ColorRole.ToolTipBase: c["base"],
        QPalette.ColorRole.ToolTipText: c["text"],
        QPalette.ColorRole.PlaceholderText: c["muted"],
        QPalette.ColorRole.Link: c["link"],
        QPalette.ColorRole.BrightText: c["danger"],
        QPalette.ColorRole.Mid: c["border"],
        QPalette.ColorRole.Midlight: c["alt_base"],
        QPalette.ColorRole.Dark: c["border"],
        QPalette.ColorRole.Accent: c["accent"],
    }
    for role, color in roles.items():
        palette.setColor(role, color)
    disabled = QColor(c["muted"])
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def style_sheet(tokens: dict[str, str]) -> str:
    from studylog.resources import resources_dir

    template = (resources_dir() / "styles" / "studylog.qss").read_text(encoding="utf-8")
    return Template(template).safe_substitute(tokens)


def ui_font() -> QFont:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSize(BASE_POINT_SIZE)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def editor_font() -> QFont:
    font = ui_font()
    font.setPointSize(BASE_POINT_SIZE + 1)
    return font


def mono_font() -> QFont:
    font = QFont()
    # Korean-capable monospace first, then the UI stack so Hangul in code never shows boxes.
    font.setFamilies(MONO_FAMILIES + FONT_FAMILIES)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSize(BASE_POINT_SIZE)
    return font
