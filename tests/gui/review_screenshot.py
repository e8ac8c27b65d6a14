"""Screenshot of the Review dock without running a model: the window, the core's review checks
and the real tokenizer, with the generation replayed from a recorded `bench review` run:

    python -m tests.gui.review_screenshot OUT.png --tokenizer MODEL_DIR [--lang en|ko] [--week DATE]
        [--run resources/eval/review-bench-run2.json]

Runs offscreen (or under Xvfb); the PNG is the window's own rendering (`grab()`). The review
shown is what today's checks make of the 1.5B's recorded text for that week (citations mended,
a part it did not write quoted from the notes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from tests.gui.make_screenshots import _settle, _wait

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[2]


def replaying_service(recorded: dict, tokenizer_dir: Path, token_delay_s: float):
    """A StudyLogService whose review streams the recorded generation of the asked week."""
    from transformers import AutoTokenizer

    from studylog.rag import review as rv
    from studylog.search.tokenize import get_tokenizer
    from studylog.service import StudyLogService

    loaded = SimpleNamespace(model=None, tokenizer=AutoTokenizer.from_pretrained(tokenizer_dir),
                             name=f"{recorded['model']} (recorded)", device=recorded.get("device", "cpu"))
    rows = {row["week"].split(" ")[0]: row for row in recorded["weeks"]}

    class ReplayingService(StudyLogService):
        def review_stream(self, week=None, month=None, cancel=None, max_new_tokens=None):
            period = rv.week_of(week if isinstance(week, dt.date) else dt.date.fromisoformat(str(week)))
            text = rows[period.label]["generated"]

            def replay(model, tokenizer, prompt_ids, max_new, cancel_event, result, min_new=0):
                ids = tokenizer(text, add_special_tokens=False)["input_ids"]
                for i in range(len(ids)):
                    if cancel_event.is_set():
                        result.cancelled = True
                        return
                    time.sleep(token_delay_s)
                    result.answer_ids.append(ids[i])
                    yield tokenizer.decode(ids[: i + 1])[len(tokenizer.decode(ids[:i])):]

            for event in rv.review_stream(self.vault.scan().notes, period, loaded, get_tokenizer("kiwi").tokenize,
                                          self.vault.relative, cancel, generate=replay):
                if event.kind == "done":  # the time the recorded run took, not the replay's
                    event.answer.seconds = rows[period.label]["seconds"]
                yield event

    return ReplayingService


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--tokenizer", type=Path, required=True, help="the 1.5B's model folder")
    parser.add_argument("--lang", default="en", choices=["ko", "en"])
    parser.add_argument("--week", default="2026-10-21")
    parser.add_argument("--run", type=Path, default=REPO / "resources" / "eval" / "review-bench-run2.json")
    parser.add_argument("--token-delay", type=float, default=0.005)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="studylog-review-shot-"))
    os.environ["STUDYLOG_HOME"] = str(work / "home")
    sys.path.insert(0, str(REPO))

    from PySide6.QtCore import QDate, Qt
    from PySide6.QtGui import QTextCursor

    from studylog.config import Settings
    from studylog.gui.app import create_application, prepare_look
    from studylog.gui.main_window import MainWindow

    vault = work / "vault"
    shutil.copytree(REPO.parent / "shared" / "fixtures" / "vault", vault)
    service_class = replaying_service(json.loads(args.run.read_text(encoding="utf-8")), args.tokenizer,
                                      args.token_delay)
    app = create_application()  # noqa: F841 - the application must stay referenced
    settings = Settings(ui_language=args.lang, theme="light")
    prepare_look(settings)
    window = MainWindow(settings, lambda _settings, root: service_class(settings=Settings(), vault=root),
                        vault_override=vault, index_on_start=False, warm_up_on_start=False)
    window.resize(1440, 900)
    window.show()
    _wait(lambda: window.calendar_panel.loaded and window.session.path is not None, 60)
    day = dt.date.fromisoformat(args.week)
    window.open_note(vault / f"{day.isoformat()}.md")
    window.calendar_panel.calendar.setSelectedDate(QDate(day.year, day.month, day.day))
    window.review_dock.toggle.trigger()
    window.resizeDocks([window.review_dock], [640], Qt.Orientation.Horizontal)
    panel = window.review_dock.panel
    panel.write_button.click()
    _wait(lambda: panel.state == "done", 120)
    review = window.review.review
    if review.completed_parts:  # show the part quoted from the notes
        from studylog.rag.review import HEADINGS

        panel.text.moveCursor(QTextCursor.MoveOperation.Start)
        panel.text.find(HEADINGS[review.language][review.completed_parts[0]])  # its heading comes first
        cursor = panel.text.textCursor()
        cursor.clearSelection()
        panel.text.setTextCursor(cursor)
        bar = panel.text.verticalScrollBar()
        bar.setValue(bar.value() + panel.text.cursorRect().top() - 160)  # the part near the top
    _settle(0.5)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(args.out), "PNG")
    print(json.dumps({"out": str(args.out), "week": review.label, "fallback": review.fallback,
                      "completed_parts": review.completed_parts, "status": panel.status.text()},
                     ensure_ascii=False))
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
