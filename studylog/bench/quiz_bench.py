"""`studylog bench quiz`: are the cards answerable from the note they cite, and how fast are they made?

Quality: 20 cards sampled evenly from the fixtures vault's cards (every len/20-th, from the
7th on, in the order the quiz serves new cards: by date, then line), each read beside its
note and judged by hand: answerable from the cited note alone (the note holds the answer to
the question as asked), with why (`JUDGED`, keyed by card id). A sampled card that is not
in `JUDGED` (the extraction changed) is listed as unjudged: read it and add it.
Speed: building the quiz file from the 45 notes and serving 20 cards, in process, three
times on a fresh file, and once more with nothing changed.
"""

from __future__ import annotations

import argparse
import time

SAMPLE = 20
FIRST = 6  # the sample starts at the 7th card

# card id -> (answerable from the cited note alone, why); read on the fixtures vault.
JUDGED: dict[str, tuple[bool, str]] = {
    "d369a5e34abb1d2e": (True, "the mentor's name, bold in the note"),
    "7b91e8c0696bf2a2": (True, "immutable types, listed in the note"),
    "937f1cacda9cd90a": (True, "cp949 → open(..., encoding='utf-8')"),
    "cb3e4d7554c1f82b": (True, "`git pull --rebase`; the question's problem is cut short ('failed with')"),
    "1d0aa8d61e188b60": (False, "the fix (use HAVING) is in the question; the answer 'fixed it' carries nothing"),
    "6374e322c32f7e37": (True, "'2.0 style'; trivial, the topic names 2.0"),
    "44d6b2b5c6f7ac70": (True, "Colab, torch 2.4.1+cu121: a log fact, not knowledge"),
    "d9a7a09ad477f67f": (True, "CNN definition, quoted in the note"),
    "fb6637591c375420": (True, "cause 2 of the NaN loss: missing input normalisation"),
    "6dca91b30257351b": (True, "attention looks at *all* encoder hidden states"),
    "6b057fce9305694e": (True, "FFN inner size d_ff = 2048"),
    "cc3baf92777dee16": (True, "batched=True: 4 min → 40 s"),
    "d712a09cfe555569": (True, "full fine-tuning figures (0.902, ~70 min)"),
    "1aba04b7644675bb": (True, "RunnableLambda wraps a Python function"),
    "40056cd72f485861": (True, "10 test questions: a log fact"),
    "7cda96630a538131": (True, "vector database definition, quoted in the note"),
    "8ca95d262a56fe50": (True, "the Generate step of RAG"),
    "7248962caf86c659": (True, "the project: a Q&A chatbot over study notes"),
    "44ac0821679872dd": (True, "30 evaluation questions: a log fact"),
    "2a0523cbc519acb3": (True, "2nd of 8 teams: a log fact"),
}


def bench_quiz(args: argparse.Namespace) -> dict:
    from pathlib import Path

    from studylog.bench import bench_workspace
    from studylog.notes.vault import Vault
    from studylog.quiz.store import QuizStore

    work, vault_dir = bench_workspace(args, "quiz")
    vault = Vault(vault_dir)
    runs_ms = []
    for run in range(3):
        path = Path(work) / "home" / f"quiz-{run}.sqlite"
        started = time.perf_counter()
        store = QuizStore(path)
        report = store.sync(vault)
        store.next_cards(SAMPLE)
        runs_ms.append(round((time.perf_counter() - started) * 1000))
    started = time.perf_counter()
    store.sync(vault)
    unchanged_ms = round((time.perf_counter() - started) * 1000, 1)

    cards = store.next_cards(100_000)
    step = max(1, len(cards) // SAMPLE)
    rows = []
    for card in cards[FIRST::step][:SAMPLE]:
        verdict = JUDGED.get(card.id)
        rows.append({"id": card.id, "question": card.question, "answer": card.answer,
                     "source": f"{card.source.path}:{card.source.line + 1}", "section": card.source.section,
                     "answerable": verdict[0] if verdict else None, "why": verdict[1] if verdict else "unjudged"})
    judged = [r for r in rows if r["answerable"] is not None]
    return {
        "vault": str(vault_dir),
        "notes": report.notes_changed,
        "cards": report.cards_added,
        "build_and_serve_20_ms": runs_ms,
        "resync_unchanged_ms": unchanged_ms,
        "sampled": len(rows),
        "judged": len(judged),
        "answerable": sum(bool(r["answerable"]) for r in judged),
        "cards_sampled": rows,
    }
