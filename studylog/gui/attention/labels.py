"""Translated names for what the attention views show (heads, prompt parts, weights)."""

from __future__ import annotations

import re

from studylog.gui.i18n import tr

_SOURCE = re.compile(r"^source (\d+)$")


def region_name(label: str) -> str:
    """A prompt part's label from the capture ("source 2", "question", ...) in the UI language."""
    match = _SOURCE.match(label)
    if match:
        return tr("source {n}").format(n=match.group(1))
    names = {
        "question": tr("question"),
        "instructions": tr("instructions"),
        "answer so far": tr("answer so far"),
        "other": tr("other (chat markers)"),
    }
    return names.get(label, label)


def source_number(label: str) -> int | None:
    match = _SOURCE.match(label)
    return int(match.group(1)) if match else None


def head_name(head: str | int, heads: int = 0, kv_heads: int = 0) -> str:
    """"head 5 (KV group 0)", "mean of heads", ... for a head choice."""
    if head == "mean":
        return tr("mean of heads")
    if head == "max":
        return tr("max of heads")
    if head == "rollout":
        return tr("rollout (all layers)")
    index = int(head)
    if heads and kv_heads and kv_heads < heads:
        return tr("head {n} (KV group {g})").format(n=index, g=index // (heads // kv_heads))
    return tr("head {n}").format(n=index)


def format_weight(value: float) -> str:
    if value >= 0.095:
        return f"{value:.2f}"
    if value >= 0.0095:
        return f"{value:.3f}"
    if value <= 0:
        return "0"
    return f"{value:.1e}"


def format_share(value: float) -> str:
    return f"{value * 100:.1f} %"
