"""Three-way merge of a note's text, line by line: the app's edits and another program's, both
made to the same base. Used before falling back to a conflict copy, so the common case (a
sync client or another editor appended a line while the user typed elsewhere in the note)
keeps both edits in the note itself, as Obsidian does.

The rule is diff3's, with one relaxation: two insertions at the same place are both kept (the
app's first), since for notes keeping both is better than asking. Two edits of the same
lines are a real conflict: `merge3` returns None and the caller keeps a conflict copy.

Plain Python, no Qt.
"""

from __future__ import annotations

from difflib import SequenceMatcher

MAX_LINES = 20_000  # beyond this the line diff gets slow; huge notes take the conflict copy


def _changes(base: list[str], other: list[str]) -> list[tuple[int, int, list[str]]]:
    """(start, end, replacement) in `base` coordinates for every place `other` differs."""
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [(i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _overlap(a: tuple[int, int, list[str]], b: tuple[int, int, list[str]]) -> bool:
    a1, a2, _ = a
    b1, b2, _ = b
    if a1 == a2 or b1 == b2:  # an insertion clashes only with a change that spans its point
        point, (start, end) = (a1, (b1, b2)) if a1 == a2 else (b1, (a1, a2))
        return start < point < end
    return a1 < b2 and b1 < a2


def merge3(base: str, ours: str, theirs: str) -> str | None:
    """`base` with both `ours`' and `theirs`' changes, or None when they touch the same lines."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    base_lines, our_lines, their_lines = base.split("\n"), ours.split("\n"), theirs.split("\n")
    if max(len(base_lines), len(our_lines), len(their_lines)) > MAX_LINES:
        return None
    ours_changes, theirs_changes = _changes(base_lines, our_lines), _changes(base_lines, their_lines)
    for mine in ours_changes:
        for other in theirs_changes:
            if _overlap(mine, other) and mine != other:
                return None
    # Apply from the end so earlier positions stay valid; at one position the app's change
    # goes first (theirs is inserted after it), identical changes once.
    edits = sorted({(start, end, 0, tuple(lines)) for start, end, lines in ours_changes}
                   | {(start, end, 1, tuple(lines)) for start, end, lines in theirs_changes
                      if (start, end, list(lines)) not in ours_changes},
                   key=lambda edit: (edit[0], edit[1], edit[2]))
    merged = list(base_lines)
    for start, end, _side, lines in reversed(edits):
        merged[start:end] = list(lines)
    return "\n".join(merged)


def map_line(old: str, new: str, line: int, column: int) -> tuple[int, int]:
    """Where a cursor at (`line`, `column`) of `old` belongs in `new`: the same place in its
    line when that line is unchanged, else the start of what replaced it."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, _j2 in matcher.get_opcodes():
        if i1 <= line < i2:
            if tag == "equal":
                return j1 + (line - i1), column
            return min(j1, len(new_lines) - 1), 0
    return len(new_lines) - 1, 0
