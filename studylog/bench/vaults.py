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


# The two notes of issue 9's measurement: pasted logs of the sizes real users reported.
REPEATED_SENTENCE = "어텐션은 가중 평균이다 attention is a weighted average. "
HUGE_REPEATED_BYTES = 7_000_000
HUGE_LOG_BYTES = 2_000_000


def add_huge_notes(vault: Path) -> list[Path]:
    """Write two huge notes into `vault`: ~7 MB of one repeated sentence (2026-12-01.md) and
    ~2 MB of unique training-log lines (2026-12-02.md), dated after every fixtures note."""
    repeated = vault / "2026-12-01.md"
    sentence_bytes = len(REPEATED_SENTENCE.encode("utf-8"))
    repeated.write_text("### 붙여 넣은 로그\n" + REPEATED_SENTENCE * (HUGE_REPEATED_BYTES // sentence_bytes),
                        encoding="utf-8")
    lines: list[str] = []
    size = 0
    step = 0
    while size < HUGE_LOG_BYTES:
        # Every line differs (step, time, loss), as in a real trainer's log.
        line = (f"2026-12-02T{step // 3600 % 24:02d}:{step // 60 % 60:02d}:{step % 60:02d} INFO trainer "
                f"step={step} loss={2.5 / (1 + step / 500):.5f} lr={3e-4 * (1 - step / 40000):.3e} "
                f"grad_norm={(step * 7919) % 1000 / 100:.2f} tokens/s={9000 + (step * 31) % 700}")
        lines.append(line)
        size += len(line) + 1
        step += 1
    log = vault / "2026-12-02.md"
    log.write_text("### 학습 로그\n```\n" + "\n".join(lines) + "\n```\n", encoding="utf-8")
    return [repeated, log]
