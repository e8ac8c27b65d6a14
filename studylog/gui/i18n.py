"""UI language: English source strings, Korean from a Qt Linguist `.ts` file.

Every visible string goes through `tr()`, i.e. `QCoreApplication.translate`, so switching
language is Qt's own mechanism: installing a translator sends `LanguageChange` to every widget,
and each panel re-labels itself in `retranslate()`. The `.ts` file is read directly (no
`lrelease` step, nothing binary in the repository); it stays editable in Qt Linguist.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QTranslator

CONTEXT = "StudyLog"
LANGUAGES = {"ko": "한국어", "en": "English"}
SOURCE_LANGUAGE = "en"

_installed: QTranslator | None = None
_current = SOURCE_LANGUAGE


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def translations_dir() -> Path:
    from studylog.resources import resources_dir

    return resources_dir() / "translations"


def system_language() -> str:
    return "ko" if QLocale.system().language() == QLocale.Language.Korean else "en"


def resolve_language(setting: str) -> str:
    """The language to show for a settings value ("" follows the system locale)."""
    return setting if setting in LANGUAGES else system_language()


def current_language() -> str:
    return _current


def read_ts(path: Path) -> dict[str, str]:
    """source -> translation for the StudyLog context of a Qt Linguist file."""
    table: dict[str, str] = {}
    root = ET.parse(path).getroot()
    for context in root.iter("context"):
        if context.findtext("name") != CONTEXT:
            continue
        for message in context.iter("message"):
            source = message.findtext("source")
            translation = message.find("translation")
            if source is None or translation is None or not (translation.text or ""):
                continue
            if translation.get("type") in ("unfinished", "obsolete", "vanished"):
                continue
            table[source] = translation.text
    return table


class TableTranslator(QTranslator):
    """A QTranslator backed by a dict (loaded from a `.ts` file)."""

    def __init__(self, table: dict[str, str], language: str):
        super().__init__()
        self.table = table
        self.language = language

    def translate(self, context, source_text, disambiguation=None, n=-1):  # noqa: D401 - Qt API
        if context != CONTEXT:
            return None
        return self.table.get(source_text)

    def isEmpty(self) -> bool:  # noqa: N802 - Qt API
        return not self.table


def install_language(language: str) -> str:
    """Switch the UI language now; widgets relabel on the LanguageChange event."""
    global _installed, _current
    app = QCoreApplication.instance()
    language = language if language in LANGUAGES else SOURCE_LANGUAGE
    if language == _current and (_installed is not None or language == SOURCE_LANGUAGE):
        return language
    if _installed is not None:
        app.removeTranslator(_installed)
        _installed = None
    if language != SOURCE_LANGUAGE:
        path = translations_dir() / f"studylog_{language}.ts"
        translator = TableTranslator(read_ts(path), language)
        app.installTranslator(translator)
        _installed = translator
    _current = language
    return language


class Retranslatable:
    """Mixin: calls `retranslate()` whenever the application language changes."""

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)  # type: ignore[misc]

    def retranslate(self) -> None:
        raise NotImplementedError
