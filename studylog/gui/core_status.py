"""Status texts the core process sends, shown in the UI language.

The core knows no Qt, so its status events (`AskEvent("status", ...)`, warm-up progress) carry
plain English: the stage names of `studylog.cli_progress.STAGES` that the command line prints,
and a few sentences with a number in them. The GUI shows each through `tr()` here, matched by
its exact text or pattern; a text it does not know is shown as it came.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from studylog.gui.i18n import tr


def _stage_labels() -> dict[str, str]:
    return {
        "downloading": tr("Downloading the answer model…"),
        "joining": tr("Joining the downloaded model files…"),
        "converting": tr("Converting the answer model (once)…"),
        "saving": tr("Saving the converted model…"),
        "quantising": tr("Quantising the answer model…"),
        "loading": tr("Loading the answer model…"),
        "searching your notes": tr("Searching your notes…"),
        "capturing attention": tr("Capturing attention…"),
        "gathering the period's notes": tr("Gathering the period's notes…"),
    }


_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"writing the review of (\d+) notes"),
     lambda m: tr("Writing the review of {n} notes…").format(n=m.group(1))),
    (re.compile(r"the question was cut to its first (\d+) characters"),
     lambda m: tr("The question was cut to its first {n} characters").format(n=m.group(1))),
]


def status_text(text: str) -> str:
    """`text` from the core in the UI language (unchanged when it is not one we know)."""
    label = _stage_labels().get(text.strip())
    if label is not None:
        return label
    for pattern, translate in _PATTERNS:
        match = pattern.fullmatch(text.strip())
        if match:
            return translate(match)
    return text
