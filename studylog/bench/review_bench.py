"""`studylog bench review`: three weeks of the fixtures vault reviewed by the configured model.

Per week (Monday–Sunday containing 2026-10-14, 2026-10-21 and 2026-11-04 by default, or
`--weeks D1,D2,...`): the notes in the week, the model's raw citations (how many point at a
day of the week, how many outside it: those are dropped in code), the days the final review
cites (all inside the week by construction, counted), the share of the week's notes the review
covers (cites or quotes), the uncited items given their day in code, citations of days of the
week without a note and the items dropped for them, whether the "still open" part was written
by the model or added from the notes, whether it fell back to the extractive draft, tokens and
seconds.
Runs in one process with the model loaded once; loading is timed apart.

`--recheck RUN.json` applies today's checks to the generations recorded in an earlier run's
output (no model): the generation does not depend on them, so the figures are those the
checks would give on that run; its seconds are the recorded ones.
"""

from __future__ import annotations

import argparse
import time

WEEKS = ("2026-10-14", "2026-10-21", "2026-11-04")


def bench_review(args: argparse.Namespace) -> dict:
    import datetime as dt

    from studylog.bench import bench_workspace
    from studylog.rag.citations import cited_numbers
    from studylog.service import StudyLogService

    if getattr(args, "recheck", None):
        return recheck(args)
    work, vault = bench_workspace(args, "review", home_override=False)
    service = StudyLogService(vault=vault)
    if args.model:
        service.generator_spec = args.model
    started = time.perf_counter()
    service.generator()
    load_s = time.perf_counter() - started
    weeks = [w for w in (getattr(args, "weeks", "") or "").split(",") if w] or list(WEEKS)
    rows = []
    for day in weeks:
        raw: list[str] = []
        review = None
        started = time.perf_counter()
        for event in service.review_stream(week=dt.date.fromisoformat(day)):
            if event.kind == "token":
                raw.append(event.text)
            elif event.kind == "done":
                review = event.answer
        seconds = time.perf_counter() - started
        valid = {d.n for d in review.days}
        raw_numbers = cited_numbers("".join(raw))
        notes = [n for n in service.vault.scan().notes if review.start <= n.date <= review.end]
        covered = {review.days[n - 1].date for n in review.cited}
        rows.append({
            "week": f"{review.label} ({review.start}..{review.end})",
            "notes_in_week": len(notes),
            "days_in_prompt": len(review.days),
            "raw_citations_inside": sum(1 for n in raw_numbers if n in valid),
            "raw_citations_outside": sum(1 for n in raw_numbers if n not in valid),
            "removed_citations": review.removed_citations,
            **_checks(review),
            "attributed_citations": review.attributed_citations,
            "cited_days": [d.isoformat() for d in sorted(covered)],
            "cited_days_inside": sum(1 for d in covered if review.start <= d <= review.end),
            "notes_covered": f"{len(covered)}/{len(notes)}",
            "fallback": review.fallback,
            "fallback_reason": review.fallback_reason,
            "prompt_tokens": review.prompt_tokens,
            "new_tokens": review.new_tokens,
            "seconds": round(seconds, 1),
            "text": review.text,
            "generated": review.generated,
        })
    return {"model": service.generator().name, "device": service.generator().device,
            "load_seconds": round(load_s, 1), "weeks": rows,
            "work": str(work) if args.out else None}  # a temp workspace is removed at exit


def _checks(review) -> dict:
    """What the checks did besides dropping citations outside the week."""
    open_part = "fallback draft" if review.fallback else (
        "notes" if "open" in review.completed_parts else "model")
    return {"no_note_citations": review.no_note_citations, "unsupported_items": review.unsupported_items,
            "completed_parts": review.completed_parts, "open_part_from": open_part}


def recheck(args: argparse.Namespace) -> dict:
    import datetime as dt
    import json
    from pathlib import Path

    from transformers import AutoTokenizer

    from studylog.bench import fixtures_vault
    from studylog.config import load_settings
    from studylog.notes.vault import Vault
    from studylog.rag import review as rv
    from studylog.search.tokenize import get_tokenizer

    recorded = json.loads(Path(args.recheck).read_text(encoding="utf-8"))
    settings = load_settings()
    folder = settings.model_cache_dir / (args.model or settings.generator)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    vault = Vault(fixtures_vault(args.fixtures))
    notes = vault.scan().notes
    tokenize = get_tokenizer("kiwi").tokenize

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"])

    rows = []
    for row in recorded["weeks"]:
        period = rv.week_of(dt.date.fromisoformat(row["week"].split("(")[1][:10]))
        review = rv.Review(period.start, period.end, period.kind, period.label)
        review.days, review.language = rv.gather(notes, period, vault.relative, tokenize, count,
                                                 rv.source_budget(tokenizer, period))
        rv.finish(review, row["generated"], tokenize)
        covered = {review.days[n - 1].date for n in review.cited}
        rows.append({
            "week": row["week"], "notes_in_week": row["notes_in_week"],
            "cited_days": [d.isoformat() for d in sorted(covered)],
            "cited_days_inside": sum(1 for d in covered if period.contains(d)),
            "notes_covered": f"{len(covered)}/{row['notes_in_week']}",
            "removed_citations": review.removed_citations,
            **_checks(review),
            "attributed_citations": review.attributed_citations,
            "reattributed_citations": review.reattributed_citations,
            "fallback": review.fallback, "fallback_reason": review.fallback_reason,
            "recorded_seconds": row["seconds"], "text": review.text,
        })
    return {"rechecked": str(args.recheck), "model": recorded.get("model"), "weeks": rows}
