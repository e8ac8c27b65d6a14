"""Render the README screenshots: `python -m tests.gui.make_screenshots OUT_DIR [--lang ko|en]`.

Drives the real window over a copy of the fixtures vault with the scripted services from
`tests/gui/fakes.py` (so the Ask panel shows a streamed answer without a model). Runs with
QT_QPA_PLATFORM=offscreen; every PNG is the widget's own rendering (`grab()`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _wait(condition, timeout_s: float = 10.0) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there in time")
        QApplication.processEvents()
        time.sleep(0.01)


def _settle(seconds: float = 0.3) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", default="ko", choices=["ko", "en"])
    parser.add_argument("--only-main", action="store_true", help="just the main window")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="studylog-shots-"))
    os.environ["STUDYLOG_HOME"] = str(work / "home")
    repo = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(repo))

    from studylog.config import Settings
    from studylog.gui.app import create_application, prepare_look
    from studylog.gui.errors import describe_error
    from studylog.gui.main_window import MainWindow
    from studylog.gui.theme import theme_manager
    from studylog.notes.vault import VaultError
    from tests.gui.fakes import ATTENTION_NOTE, FakeAskService, fake_factory

    vault = work / "vault"
    shutil.copytree(repo.parent / "shared" / "fixtures" / "vault", vault)
    args.out.mkdir(parents=True, exist_ok=True)
    settings = Settings(ui_language=args.lang, theme="light")
    create_application()
    prepare_look(settings)
    service = FakeAskService(vault, token_delay_s=0.0)
    window = MainWindow(settings, fake_factory(service), vault_override=vault, index_on_start=False,
                        warm_up_on_start=False)
    window.resize(1360, 860)
    window.show()
    _wait(lambda: window.calendar_panel.loaded and window.session.path is not None)
    window.open_note(vault / ATTENTION_NOTE)
    _wait(lambda: window.session.path.name == ATTENTION_NOTE)
    window.editor_panel.editor.goto_line(24, flash=False)
    _settle()

    def shot(name: str, widget=None) -> None:
        _settle(0.2)
        path = args.out / f"{name}.png"
        (widget or window).grab().save(str(path), "PNG")
        print(path)

    shot("main" if args.lang == "ko" else f"main-{args.lang}")
    if args.only_main:
        window.close()
        return 0

    window.focus_search()
    window.search_panel.field.setText("softmax attention")
    window.run_search("softmax attention")
    _wait(lambda: window.search_panel.model.rowCount() > 0)
    shot("search")

    window.days_dock.raise_()
    loading = "첫 실행: 모델을 safetensors로 변환하는 중… (1회만)" if args.lang == "ko" else \
        "First run: converting the model to safetensors… (once)"
    bubble = window.ask_panel.start_answer("LoRA 학습이 망가졌을 때 어떻게 고쳤지?")
    window.ask_panel.on_status(loading, 0.42)
    window.index_progress.started()
    window.index_progress.progress(48, 133)
    shot("loading")
    window.ask_panel._end()
    bubble.finish(None)
    window.ask_panel.new_conversation()
    window.index_progress.hide()
    question = "어텐션에서 √d_k로 나누는 이유는?" if args.lang == "ko" else "Why divide by √d_k in attention?"
    window.ask_panel.input.setPlainText(question)
    window.ask_panel.submit()
    _wait(lambda: not window.ask_panel.busy)
    shot("ask")

    window.editor_panel.set_preview(True)
    shot("preview")
    window.editor_panel.set_preview(False)

    dialog = window.open_settings()
    dialog.resize(680, 520)
    shot("settings", dialog)
    dialog.tabs.setCurrentIndex(1)
    shot("settings-models", dialog)
    dialog.reject()

    window.banner.show_error(describe_error(VaultError(f"could not save {vault / ATTENTION_NOTE}: the vault is "
                                                       "not writable; the previous version is intact"), "save"))
    window.save_label.show_state("failed", None, True)
    shot("error")
    window.banner.dismiss()
    window._save_state_changed(window.session.state)

    theme_manager().apply("dark")
    shot("dark")
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
