"""First run: the welcome dialog's three ways in, and banners that go when their cause does."""

from __future__ import annotations

from pathlib import Path

import pytest

from studylog.config import Settings, load_settings
from studylog.gui.i18n import install_language
from studylog.gui.welcome import CREATE, IMPORT, OPEN, WelcomeDialog, needs_welcome
from tests.gui.conftest import WindowMaker
from tests.gui.fakes import WAIT_MS, FakeService, fake_factory

pytestmark = pytest.mark.gui


class CheckingService(FakeService):
    """Indexing checks the vault folder first, as the real service does."""

    def index(self, progress=None, cancel=None, rebuild=False):
        self.vault.check()
        return super().index(progress, cancel, rebuild)


def test_welcome_is_needed_only_without_a_vault_folder(tmp_path, monkeypatch):
    assert needs_welcome(Settings(vault=str(tmp_path / "nowhere")))
    assert not needs_welcome(Settings(vault=str(tmp_path)))
    assert not needs_welcome(Settings(vault=str(tmp_path / "nowhere")), vault_override=tmp_path / "x")
    monkeypatch.setenv("STUDYLOG_VAULT", str(tmp_path / "also-nowhere"))
    assert not needs_welcome(Settings())


def test_create_a_new_vault_in_the_default_folder(qtbot, tmp_path):
    default = tmp_path / "Documents" / "StudyLog"
    dialog = WelcomeDialog(Settings(), default)
    qtbot.addWidget(dialog)
    assert str(default) in dialog.create_button.description()
    dialog.create_button.click()
    assert default.is_dir()
    assert dialog.choice.kind == CREATE and dialog.choice.vault == default
    assert dialog.result() == WelcomeDialog.DialogCode.Accepted
    assert load_settings().vault == str(default)  # the choice persists


def test_open_an_existing_folder_or_say_why_not(qtbot, tmp_path, fixtures_vault):
    dialog = WelcomeDialog(Settings(), tmp_path / "default")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.open_folder(tmp_path / "missing")
    assert dialog.error.isVisible() and "is not a folder" in dialog.error.text()
    assert dialog.choice is None and dialog.isVisible()
    assert dialog.open_folder(fixtures_vault)
    assert dialog.choice.kind == OPEN
    assert not (tmp_path / "default").exists()  # nothing made that was not asked for
    saved = load_settings()
    assert saved.vault == str(fixtures_vault) and saved.recent_vaults[0] == str(fixtures_vault)


def test_import_a_til_repository_into_a_new_vault(qtbot, tmp_path):
    repo = tmp_path / "til"
    (repo / "python").mkdir(parents=True)
    (repo / "python" / "2024-04-18-walrus.md").write_text("# walrus\n- := 연산자\n", encoding="utf-8")
    default = tmp_path / "Documents" / "StudyLog"
    dialog = WelcomeDialog(Settings(), default)
    qtbot.addWidget(dialog)
    assert dialog.import_repository(repo)
    assert dialog.choice.kind == IMPORT and dialog.choice.import_from == repo and default.is_dir()

    maker = WindowMaker(qtbot, default)
    try:
        window = maker(fake_factory(FakeService(default)), wait_note=False)
        window.import_folder(dialog.choice.import_from)  # what `run_gui` does after the dialog
        qtbot.waitUntil(lambda: len(window.calendar_panel.days) == 1, timeout=WAIT_MS)
        assert (repo / "python" / "2024-04-18-walrus.md").exists()  # the original stays
    finally:
        maker.close_all()


def test_welcome_speaks_korean(qtbot, tmp_path):
    install_language("ko")
    dialog = WelcomeDialog(Settings(vault=str(tmp_path / "gone")), tmp_path / "StudyLog")
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "StudyLog에 오신 것을 환영합니다"
    assert dialog.create_button.text() == "새 보관함 만들기"
    assert str(tmp_path / "gone") in dialog.intro.text()
    assert "--vault" not in dialog.intro.text()


def test_missing_vault_banner_speaks_the_gui_and_clears_when_the_folder_exists(qtbot, tmp_path):
    vault = tmp_path / "not-yet"
    maker = WindowMaker(qtbot, vault)
    try:
        window = maker(fake_factory(CheckingService(vault)), wait_note=False, index_on_start=True)
        qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
        text = window.banner.text.text()
        assert f"The vault folder {vault} does not exist." in text
        assert "--vault" not in text and "studylog new" not in text
        assert window.banner.action_button.text() == "Create the folder"
        window.banner.action_button.click()
        qtbot.waitUntil(vault.is_dir, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: window.watcher.active, timeout=WAIT_MS)
    finally:
        maker.close_all()


def test_banner_clears_when_the_folder_is_made_elsewhere(qtbot, tmp_path):
    vault = tmp_path / "made-in-a-file-manager"
    maker = WindowMaker(qtbot, vault)
    try:
        window = maker(fake_factory(CheckingService(vault)), wait_note=False, index_on_start=True)
        qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
        vault.mkdir()
        (vault / "2026-11-29.md").write_text("# 오늘\n", encoding="utf-8")
        qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: len(window.calendar_panel.days) == 1, timeout=WAIT_MS)
        assert Path(window.calendar_panel.days[0].path).name == "2026-11-29.md"
    finally:
        maker.close_all()
