"""Generated vaults for benchmarks: the fixtures notes replayed over N distinct days."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

_FRONT_DATE = re.compile(r"^date: \d{4}-\d{2}-\d{2}$", re.M)


def generate_vault(fixtures: Path, target: Path, notes: int, start: dt.date = dt.date(2023, 1, 2)) -> Path:
    """Write `notes` daily notes into `target`, cycling through the fixtures with new dates.

    Each copy gets its day number written into its first line, so no two notes (and no two
    chunks) share content: nothing is deduplicated away and every chunk is really embedded.
    """
    sources = sorted(fixtures.glob("*.md"))
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for i in range(notes):
        day = start + dt.timedelta(days=i)
        text = sources[i % len(sources)].read_text(encoding="utf-8")
        text = _FRONT_DATE.sub(f"date: {day.isoformat()}", text)
        marker = f"<!-- day {i + 1} of the bench vault -->\n"
        if text.startswith("---\n"):
            end = text.index("\n---", 4) + 5
            text = text[:end] + marker + text[end:]
        else:
            text = marker + text
        # Vary the body a little so cycles differ beyond the marker.
        text = text.replace("학습 목표 1", f"학습 목표 1 (#{i + 1})", 1)
        (target / f"{day.isoformat()}.md").write_text(text, encoding="utf-8")
    return target
