"""Markdown syntax highlighting for the note editor.

Block states carry multi-line constructs (front matter, fenced code) from one line to the
next; Qt re-highlights only the edited line unless its end state changes, which keeps typing
in a 10,000-line note cheap.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from studylog.gui.theme import BASE_POINT_SIZE, LIGHT, MONO_FAMILIES

EDITOR_POINT_SIZE = BASE_POINT_SIZE + 1

STATE_NORMAL = 0
STATE_FENCE = 1
STATE_FRONT_MATTER = 2

_HEADING = re.compile(r"^(#{1,6})[ \t]+\S")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_FRONT_MATTER_FENCE = re.compile(r"^---[ \t]*$")
_QUOTE = re.compile(r"^[ \t]*>")
_LIST_MARKER = re.compile(r"^[ \t]*(?:[-*+•]|\d+[.)])(?=[ \t])")
_RULE = re.compile(r"^[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
_BOLD = re.compile(r"\*\*(?=\S).+?(?<=\S)\*\*|__(?=\S).+?(?<=\S)__")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])[^*]+?(?<=\S)\*(?![*\w])")
_LINK = re.compile(r"!?\[[^\]\n]*\]\([^)\s]*(?:[ \t]+\"[^\"]*\")?\)")
_URL = re.compile(r"<?https?://[^\s)>]+>?")


def _utf16_offsets(text: str):
    """Map Python string indices to Qt's UTF-16 positions (they differ after emoji)."""
    if text.isascii() or all(ord(ch) < 0x10000 for ch in text):
        return None
    offsets, position = [], 0
    for ch in text:
        offsets.append(position)
        position += 2 if ord(ch) >= 0x10000 else 1
    offsets.append(position)
    return offsets


class MarkdownHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, tokens: dict[str, str] | None = None):
        super().__init__(document)
        self.formats: dict[str, QTextCharFormat] = {}
        self.set_colors(tokens or LIGHT, rehighlight=False)

    def set_colors(self, tokens: dict[str, str], rehighlight: bool = True) -> None:
        def fmt(color: str | None = None, bold=False, italic=False, background: str | None = None,
                mono=False, underline=False, scale: float | None = None) -> QTextCharFormat:
            f = QTextCharFormat()
            if color:
                f.setForeground(QColor(tokens[color]))
            if background:
                f.setBackground(QColor(tokens[background]))
            if bold:
                f.setFontWeight(QFont.Weight.Bold)
            if italic:
                f.setFontItalic(True)
            if underline:
                f.setFontUnderline(True)
            if mono:
                f.setFontFamilies(MONO_FAMILIES)
            if scale:
                f.setFontPointSize(EDITOR_POINT_SIZE * scale)
            return f

        self.formats = {
            "h1": fmt("heading", bold=True, scale=1.45),
            "h2": fmt("heading", bold=True, scale=1.25),
            "h3": fmt("heading", bold=True, scale=1.1),
            "h4": fmt("heading", bold=True),
            "heading_marker": fmt("muted", bold=True),
            "fence": fmt("muted", background="code_bg", mono=True),
            "code_block": fmt("text", background="code_bg", mono=True),
            "inline_code": fmt("code_text", background="code_bg", mono=True),
            "bold": fmt(bold=True),
            "italic": fmt(italic=True),
            "link": fmt("link", underline=True),
            "quote": fmt("quote", italic=True),
            "marker": fmt("marker", bold=True),
            "rule": fmt("muted"),
            "front_matter": fmt("muted", mono=True),
        }
        if rehighlight:
            self.rehighlight()

    def _apply(self, offsets, start: int, end: int, name: str) -> None:
        if offsets is not None:
            start, end = offsets[start], offsets[end]
        self.setFormat(start, end - start, self.formats[name])

    def _merge(self, offsets, start: int, end: int, name: str) -> None:
        """Layer an inline style over what the line already has (bold inside a heading)."""
        if offsets is not None:
            start, end = offsets[start], offsets[end]
        merged = QTextCharFormat(self.format(start))
        merged.merge(self.formats[name])
        self.setFormat(start, end - start, merged)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt API
        previous = self.previousBlockState()
        block_number = self.currentBlock().blockNumber()
        offsets = _utf16_offsets(text)
        length = len(text)

        if block_number == 0 and _FRONT_MATTER_FENCE.match(text):
            self.setCurrentBlockState(STATE_FRONT_MATTER)
            self._apply(offsets, 0, length, "front_matter")
            return
        if previous == STATE_FRONT_MATTER:
            self._apply(offsets, 0, length, "front_matter")
            closed = _FRONT_MATTER_FENCE.match(text) is not None
            self.setCurrentBlockState(STATE_NORMAL if closed else STATE_FRONT_MATTER)
            return
        if previous == STATE_FENCE:
            closed = _FENCE.match(text) is not None
            self._apply(offsets, 0, length, "fence" if closed else "code_block")
            self.setCurrentBlockState(STATE_NORMAL if closed else STATE_FENCE)
            return
        if _FENCE.match(text):
            self._apply(offsets, 0, length, "fence")
            self.setCurrentBlockState(STATE_FENCE)
            return
        self.setCurrentBlockState(STATE_NORMAL)
        if not text:
            return

        heading = _HEADING.match(text)
        if heading:
            level = len(heading.group(1))
            self._apply(offsets, 0, length, f"h{min(level, 4)}")
            self._apply(offsets, 0, level, "heading_marker")
        elif _RULE.match(text):
            self._apply(offsets, 0, length, "rule")
            return
        elif _QUOTE.match(text):
            self._apply(offsets, 0, length, "quote")
        marker = _LIST_MARKER.match(text)
        if marker:
            self._apply(offsets, marker.start(), marker.end(), "marker")
        # Inline spans: code last so markup inside backticks shows as code.
        for pattern, name in ((_BOLD, "bold"), (_ITALIC, "italic"), (_LINK, "link"), (_URL, "link")):
            for match in pattern.finditer(text):
                self._merge(offsets, match.start(), match.end(), name)
        for match in _INLINE_CODE.finditer(text):
            self._merge(offsets, match.start(), match.end(), "inline_code")
