"""Window layout and session memory (QSettings in an INI file under the app home).

Kept under STUDYLOG_HOME rather than the platform registry so tests and portable installs
stay isolated, and everything the app writes lives in one folder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QSettings

from studylog.config import app_home


def ui_state() -> QSettings:
    return QSettings(str(app_home() / "gui-state.ini"), QSettings.Format.IniFormat)


def recovery_dir() -> Path:
    return app_home() / "recovery"


def write_recovery_copy(path: Path | None, text: str) -> Path:
    """Last resort when the vault cannot take a save on exit: keep the text beside the app data."""
    folder = recovery_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{(path.stem if path else 'note')}-{stamp}.md"
    target.write_text(text, encoding="utf-8")
    return target


def recovered_files() -> list[Path]:
    folder = recovery_dir()
    return sorted(folder.glob("*.md")) if folder.is_dir() else []
