"""Citations like [1], [2, 3] in generated text: validated against the retrieved sources."""

from __future__ import annotations

import re

CITATION = re.compile(r"\[(\d+(?:\s*[,，]\s*\d+)*)\]")
"""A citation mark: `[1]`, `[2, 3]` (also with a full-width comma)."""


def marked_numbers(match: re.Match[str]) -> list[int]:
    """The numbers of one `CITATION` match, in order."""
    return [int(part) for part in re.split(r"[,，]", match.group(1))]


def cited_numbers(text: str) -> list[int]:
    numbers: list[int] = []
    for match in CITATION.finditer(text):
        for n in marked_numbers(match):
            if n not in numbers:
                numbers.append(n)
    return numbers


def clean_citations(text: str, valid: set[int]) -> tuple[str, list[int], int]:
    """Drop citations of numbers that were not retrieved. Returns (text, cited, removed count)."""
    removed = 0
    cited: list[int] = []

    def keep_valid(match: re.Match[str]) -> str:
        nonlocal removed
        good = []
        for n in marked_numbers(match):
            if n in valid:
                good.append(n)
                if n not in cited:
                    cited.append(n)
            else:
                removed += 1
        return f"[{', '.join(map(str, good))}]" if good else ""

    cleaned = CITATION.sub(keep_valid, text)
    return re.sub(r"[ \t]+([.,!?。])", r"\1", cleaned).strip(), cited, removed
