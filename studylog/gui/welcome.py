"""First run: a welcome dialog that sets up the vault, instead of an error about a missing folder.

Shown when no vault folder exists yet (a new user, or a configured folder that is gone, e.g.
an unplugged drive). Three ways in: create a new vault in the default folder, use an existing
folder of notes in place, or import a TIL repository (its Markdown files are copied into a
new vault; the originals are never touched). The choice is saved in the settings file.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QFileDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.icons import app_icon
from studylog.gui.theme import current_tokens

CREATE, OPEN, IMPORT = "create", "open", "import"


@dataclass
class WelcomeChoice:
    kind: str  # CREATE, OPEN or IMPORT
    vault: Path
    import_from: Path | None = None


def needs_welcome(settings, vault_override: Path | None = None) -> bool:
    """True when the app has no vault folder to open (first run, or the folder is gone)."""
    if vault_override is not None or os.environ.get("STUDYLOG_VAULT"):
        return False  # the command line or the environment named a folder: no questions
    return not settings.vault_path.is_dir()


def remember_vault(settings, vault: Path):
    """Settings with `vault` as the vault (and first of the recent ones), saved to the file."""
    from studylog.config import save_settings

    folder = str(vault)
    recent = [folder] + [v for v in settings.recent_vaults if v != folder][:9]
    updated = dataclasses.replace(settings, vault=folder, recent_vaults=recent)
    save_settings(updated)
    return updated


class WelcomeDialog(Retranslatable, QDialog):
    """Asks how to start; `choice` holds the answer once accepted. The vault folder exists then."""

    def __init__(self, settings, default_vault: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("WelcomeDialog")
        self.settings = settings
        self.default_vault = Path(default_vault)
        self.missing = Path(settings.vault).expanduser() if settings.vault else None
        self.choice: WelcomeChoice | None = None
        self.picture = QLabel()
        self.picture.setPixmap(app_icon().pixmap(64, 64))
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        self.title.setObjectName("EmptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.create_button = QCommandLinkButton()
        self.open_button = QCommandLinkButton()
        self.import_button = QCommandLinkButton()
        self.error = QLabel()
        self.error.setObjectName("BannerText")
        self.error.setStyleSheet(f"color: {current_tokens()['danger']};")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.addWidget(self.picture)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addSpacing(8)
        for button in (self.create_button, self.open_button, self.import_button):
            layout.addWidget(button)
        layout.addWidget(self.error)
        self.create_button.clicked.connect(lambda: self.create_vault())
        self.open_button.clicked.connect(self._ask_open)
        self.import_button.clicked.connect(self._ask_import)
        self.setMinimumWidth(560)
        self.retranslate()

    # -- the three ways in (tests call these; the buttons ask for folders first) ------------
    def create_vault(self, folder: Path | None = None) -> bool:
        return self._finish(WelcomeChoice(CREATE, Path(folder or self.default_vault)))

    def open_folder(self, folder: Path) -> bool:
        return self._finish(WelcomeChoice(OPEN, Path(folder)))

    def import_repository(self, source: Path, folder: Path | None = None) -> bool:
        return self._finish(WelcomeChoice(IMPORT, Path(folder or self.default_vault), Path(source)))

    def _finish(self, choice: WelcomeChoice) -> bool:
        """Make the vault folder exist and remember it; on failure say why and stay open."""
        if choice.kind == OPEN and not choice.vault.is_dir():
            return self._fail(tr("{path} is not a folder.").format(path=choice.vault))
        if choice.kind == IMPORT and not (choice.import_from and choice.import_from.is_dir()):
            return self._fail(tr("{path} is not a folder.").format(path=choice.import_from))
        try:
            choice.vault.mkdir(parents=True, exist_ok=True)
            self.settings = remember_vault(self.settings, choice.vault)
        except OSError as exc:
            return self._fail(tr("Could not create {path}: {why}").format(path=choice.vault,
                                                                           why=exc.strerror or exc))
        self.choice = choice
        self.accept()
        return True

    def _fail(self, message: str) -> bool:
        self.error.setText(message)
        self.error.show()
        return False

    def _ask_open(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Choose the folder with your notes"), str(Path.home()))
        if folder:
            self.open_folder(Path(folder))

    def _ask_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Choose a folder of Markdown notes to import"),
                                                  str(Path.home()))
        if folder:
            self.import_repository(Path(folder))

    def retranslate(self) -> None:
        self.setWindowTitle(tr("Welcome to StudyLog"))
        self.title.setText(tr("Welcome to StudyLog"))
        intro = tr("Your study log lives in a folder of plain Markdown files, one per day, that any editor "
                   "can open. Where should it be?")
        if self.missing is not None:
            intro = tr("The vault folder {path} was not found (a removed drive?).").format(path=self.missing) \
                + "\n" + intro
        self.intro.setText(intro)
        self.create_button.setText(tr("Create a new vault"))
        self.create_button.setDescription(tr("An empty folder for your daily notes: {path}").format(
            path=self.default_vault))
        self.open_button.setText(tr("Open an existing folder"))
        self.open_button.setDescription(tr("Use a folder of Markdown notes where it is (an Obsidian vault, a "
                                           "notes folder). Nothing is moved."))
        self.import_button.setText(tr("Import a TIL repository"))
        self.import_button.setDescription(tr("Copy the Markdown notes of a folder (a TIL git repository, an "
                                             "export) into a new vault at {path}; the originals stay as they "
                                             "are.").format(path=self.default_vault))
