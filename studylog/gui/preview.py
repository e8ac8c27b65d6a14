"""Rendered Markdown with images from the vault folder and nothing fetched from the network."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from studylog.gui.theme import current_tokens, editor_font

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n.*?\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_REMOTE_SCHEMES = ("http", "https", "ftp", "data")


def strip_front_matter(text: str) -> str:
    return _FRONT_MATTER.sub("", text, count=1)


class NotePreview(QTextBrowser):
    """QTextBrowser whose resource loader only reads files inside the vault."""

    note_link_activated = Signal(Path)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("NotePreview")
        self.setFont(editor_font())
        self.setOpenLinks(False)
        self.document().setDocumentMargin(22)
        self.vault_root: Path | None = None
        self.note_dir: Path | None = None
        self.blocked: list[str] = []  # remote resources the note asked for (not loaded)
        self.anchorClicked.connect(self._open_link)

    def show_note(self, markdown: str, note_path: Path | None, vault_root: Path | None) -> None:
        self.vault_root = vault_root.resolve() if vault_root else None
        self.note_dir = note_path.parent.resolve() if note_path else self.vault_root
        self.blocked = []
        tokens = current_tokens()
        self.document().setDefaultStyleSheet(
            f"a {{ color: {tokens['link']}; }} code {{ background: {tokens['code_bg']}; }}"
            f" pre {{ background: {tokens['code_bg']}; }} h1, h2, h3, h4 {{ color: {tokens['heading']}; }}"
        )
        if self.note_dir is not None:
            self.document().setBaseUrl(QUrl.fromLocalFile(str(self.note_dir) + "/"))
        self.setMarkdown(strip_front_matter(markdown))

    # Qt calls this for every image; returning None leaves a broken-image placeholder.
    def loadResource(self, kind: int, url: QUrl):  # noqa: N802 - Qt API
        if url.scheme() in _REMOTE_SCHEMES:
            self.blocked.append(url.toString())
            return None
        path = self._local_path(url)
        if path is None:
            return None
        if kind == QTextDocument.ResourceType.ImageResource.value:
            image = QImage(str(path))
            return None if image.isNull() else image
        try:
            return path.read_bytes()
        except OSError:
            return None

    def _local_path(self, url: QUrl) -> Path | None:
        """The file a relative or file: URL names, only when it lies inside the vault."""
        if self.vault_root is None:
            return None
        if url.isLocalFile():
            candidate = Path(url.toLocalFile())
        elif url.scheme() == "":
            candidate = (self.note_dir or self.vault_root) / url.path()
        else:
            return None
        try:
            resolved = candidate.resolve()
            resolved.relative_to(self.vault_root)
        except (OSError, ValueError):
            return None
        return resolved if resolved.is_file() else None

    def _open_link(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            # A click is the user's choice: open it in their browser, never inside the app.
            QDesktopServices.openUrl(url)
            return
        resolved = self.document().baseUrl().resolved(url) if url.isRelative() else url
        path = self._local_path(resolved)
        if path is not None and path.suffix.lower() in (".md", ".markdown"):
            self.note_link_activated.emit(path)
