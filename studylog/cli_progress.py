"""Progress of the command line's long stages on stderr: one updating line per stage on a
terminal, one summary line otherwise (a log file or a pipe wants no carriage returns).

tqdm draws the lines rather than rich: it writes only to the stream it is given, so the answer
streaming to stdout right after is untouched (rich's live display redirects stdout while it
runs), it is already imported by transformers (no start-up cost), and one bar per stage with
rate and ETA is all it has to do.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

STAGES = ("downloading", "joining", "converting", "saving", "quantising", "loading", "searching your notes",
          "capturing attention")
"""Status texts that are stages of work (drawn as a line); any other status is a message."""

_KNOWN_FORMAT = "{desc}: {percentage:3.0f}%|{bar:24}| {elapsed}<{remaining}"
_UNKNOWN_FORMAT = "{desc}: {elapsed}"
TICK_SECONDS = 0.5
"""How often a terminal line is redrawn between updates: a stage that cannot tell its progress
(loading the model: a minute without one report) still shows its clock running."""


def _width(stream: TextIO) -> int:
    """The terminal's width in columns, 80 when it does not say, at most 100."""
    import os

    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return min(columns or 80, 100)


class StageProgress:
    """Receives `(stage, fraction)` updates, `fraction` in [0, 1] or None while unknown.

    On a terminal (`interactive`) each stage is one tqdm line updated in place (and redrawn
    every `TICK_SECONDS` by a helper thread) and left behind, finished, when the next stage
    starts. Otherwise nothing is written until `close`, which
    writes one line with every stage's wall time in seconds (when `summary`).
    """

    def __init__(self, stream: TextIO | None = None, *, interactive: bool | None = None,
                 summary: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.summary = summary
        self.seconds: dict[str, float] = {}  # stage -> wall seconds, in the order they ran
        self._stage: str | None = None
        self._started = 0.0
        self._bar = None
        self._lock = threading.Lock()  # the ticker redraws the bar the caller updates
        self._stopped = threading.Event()
        if self.interactive:
            threading.Thread(target=self._tick, name="studylog-progress", daemon=True).start()

    def _tick(self) -> None:
        while not self._stopped.wait(TICK_SECONDS):
            with self._lock:
                if self._bar is not None:
                    self._bar.refresh()

    def update(self, stage: str, fraction: float | None = None) -> None:
        with self._lock:
            self._update(stage, fraction)

    def _update(self, stage: str, fraction: float | None) -> None:
        if stage != self._stage:
            self._finish_stage()
            self._stage, self._started = stage, time.perf_counter()
            if self.interactive:
                self._bar = self._new_bar(stage, fraction)
        if self._bar is not None:
            if fraction is not None and self._bar.total is None:  # unknown became known
                started = self._bar.start_t
                self._bar.leave = False  # the same line is redrawn with a percentage
                self._bar.close()
                self._bar = self._new_bar(stage, fraction)
                self._bar.start_t = started  # the stage's clock keeps running
            if fraction is not None:
                self._bar.n = round(fraction * 100, 1)
            self._bar.refresh()

    def end_stage(self) -> None:
        """The current stage is over (e.g. the first answer token arrived)."""
        with self._lock:
            self._finish_stage()
            self._stage = None

    def close(self) -> None:
        """End the last stage; without a terminal, write the one summary line (if any stage ran)."""
        self._stopped.set()
        self.end_stage()
        if not self.interactive and self.summary and self.seconds:
            parts = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in self.seconds.items())
            print(f"studylog: {parts}", file=self.stream, flush=True)

    def _new_bar(self, stage: str, fraction: float | None):
        from tqdm import tqdm

        known = fraction is not None
        return tqdm(
            total=100 if known else None,
            desc=stage,
            file=self.stream,
            bar_format=_KNOWN_FORMAT if known else _UNKNOWN_FORMAT,
            leave=True,
            # A width of our own: tqdm's detection draws nothing on a pseudo-terminal that
            # reports a 0 × 0 window (`script`, some CI runners, editors' shells).
            ncols=_width(self.stream),
            nrows=20,
            disable=False,  # our own line: TQDM_DISABLE (set for libraries' bars) must not hide it
        )

    def _finish_stage(self) -> None:
        if self._stage is None:
            return
        elapsed = time.perf_counter() - self._started
        self.seconds[self._stage] = self.seconds.get(self._stage, 0.0) + elapsed
        if self._bar is not None:
            if self._bar.total is not None:
                self._bar.n = self._bar.total
            self._bar.refresh()
            self._bar.close()
            self._bar = None

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
