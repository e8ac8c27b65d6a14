"""The command line's progress: one updating line per stage on a terminal, a summary otherwise."""

from __future__ import annotations

import io
import time

import pytest

from studylog.cli_progress import StageProgress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _feed(progress: StageProgress) -> None:
    for percent in range(0, 101):
        progress.update("joining", percent / 100)
    for fraction in (None, 0.25, 0.5, 1.0):
        progress.update("converting", fraction)
    progress.update("loading", None)
    progress.update("loading", 1.0)
    progress.update("searching your notes")
    progress.close()


def test_without_a_terminal_only_one_summary_line_is_written():
    stream = io.StringIO()
    _feed(StageProgress(stream))
    assert stream.getvalue().count("\n") == 1 and "\r" not in stream.getvalue()
    line = stream.getvalue().strip()
    assert line.startswith("studylog: joining ")
    for stage in ("converting", "loading", "searching your notes"):
        assert f"{stage} " in line and " s" in line


def test_on_a_terminal_each_stage_is_one_line_updated_in_place():
    terminal = _Terminal()
    _feed(StageProgress(terminal))
    text = terminal.getvalue()
    assert "\r" in text  # updated in place
    finished = [line.rsplit("\r", 1)[-1] for line in text.split("\n") if line.strip()]
    # One line left behind per stage, each finished; no summary line after them.
    assert [line.split(":", 1)[0] for line in finished] == [
        "joining", "converting", "loading", "searching your notes"
    ]
    assert "100%" in finished[0] and "100%" in finished[1]
    assert not any(line.startswith("studylog:") for line in finished)


@pytest.mark.parametrize("rows_columns", [(24, 80), (0, 0)])
def test_a_real_pseudo_terminal_is_detected(rows_columns):
    pty = pytest.importorskip("pty")
    import fcntl
    import os
    import select
    import struct
    import termios

    leader, follower = pty.openpty()
    # A terminal window, and a pseudo-terminal that reports no size (`script`, CI runners).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", *rows_columns, 0, 0))
    with os.fdopen(follower, "w") as stream:
        progress = StageProgress(stream)
        assert progress.interactive
        progress.update("loading", 0.5)
        progress.close()
        written = b""
        while select.select([leader], [], [], 0.5)[0]:  # read while the follower is open
            written += os.read(leader, 4096)
    os.close(leader)
    assert b"loading:  50%" in written and b"\r" in written


def test_the_converters_own_bar_reports_to_progress_instead(capsys):
    import transformers.modeling_gguf_pytorch_utils as converter

    from studylog.rag.loading import _converter_reports_to

    seen: list[tuple[str, float | None]] = []
    original = converter.tqdm
    with _converter_reports_to(lambda stage, fraction: seen.append((stage, fraction))):
        assert list(converter.tqdm(range(4), desc="Converting and de-quantizing")) == [0, 1, 2, 3]
    assert converter.tqdm is original
    assert seen == [("converting", 0.0), ("converting", 0.25), ("converting", 0.5),
                    ("converting", 0.75), ("converting", 1.0)]
    assert capsys.readouterr().err == ""


def test_a_stage_without_a_fraction_shows_its_clock_running(monkeypatch):
    import studylog.cli_progress as progress_module

    monkeypatch.setattr(progress_module, "TICK_SECONDS", 0.05)
    terminal = _Terminal()
    progress = StageProgress(terminal)
    progress.update("loading", None)
    time.sleep(1.2)  # no update meanwhile, as while the model loads
    progress.update("loading", 1.0)
    progress.close()
    text = terminal.getvalue()
    assert "loading: 00:01" in text  # redrawn by the ticker while nothing reported
    finished = [line.rsplit("\r", 1)[-1] for line in text.split("\n") if line.strip()]
    assert finished == [finished[0]] and "100%" in finished[0] and "00:01<" in finished[0]
