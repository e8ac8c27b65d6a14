"""Screenshot of the Related notes dock in the real window (core process, real embedder):

    STUDYLOG_HOME=... python -m tests.gui.related_screenshot VAULT OUT.png [--lang ko|en] [--note DATE]

Run under Xvfb (or offscreen) over an indexed copy of the fixtures vault. It opens a note,
shows the dock (Ctrl+Shift+R), appends a paragraph the way an input method does, waits for
the list that follows the typing pause, and saves the window's own rendering.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.gui.make_screenshots import _settle, _wait

PARAGRAPHS = {
    "ko": "\n\n#### 주제 4: 오늘 다시 정리한 것\n- LoRA rank를 8에서 16으로 올렸더니 GPU 메모리가 부족해서 batch를 줄였다\n",
    "en": "\n\n#### Topic 4: what I went over again\n- raising the LoRA rank from 8 to 16 ran out of GPU memory, so I lowered the batch size\n",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("vault", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", default="ko", choices=["ko", "en"])
    parser.add_argument("--note", default="2026-10-22")
    args = parser.parse_args(argv)

    from studylog.config import load_settings
    from studylog.gui.app import create_application, default_service_factory, prepare_look
    from studylog.gui.main_window import MainWindow

    app = create_application()
    settings = load_settings()
    settings.ui_language = args.lang
    settings.theme = "light"
    prepare_look(settings)
    window = MainWindow(settings, default_service_factory, vault_override=args.vault, index_on_start=True,
                        warm_up_on_start=False)
    window.resize(1440, 900)
    window.show()
    _wait(lambda: window.session.path is not None, 60)
    window.open_note(args.vault / f"{args.note}.md")
    _wait(lambda: window.session.path.name == f"{args.note}.md", 30)
    window.related_dock.reveal()
    controller = window.related
    _wait(lambda: controller.latencies_ms, 180)
    editor = window.editor_panel.editor
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    editor.insertPlainText(PARAGRAPHS[args.lang])
    _wait(lambda: len(controller.latencies_ms) >= 2 and not controller.in_flight, 60)
    _settle(0.5)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(args.out), "PNG")
    print(f"latencies_ms={[round(v) for v in controller.latencies_ms]}")
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
