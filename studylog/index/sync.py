"""Incremental sync: vault -> chunks -> (embed only what changed) -> Chroma + keyword index.

A chunk is re-embedded only when its content hash differs from the stored one; chunks of
deleted or shortened notes are removed. Each batch is written as soon as it is embedded,
so a killed run resumes where it stopped: the next sync finds those hashes already stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from studylog.index.chunker import Chunk, chunk_note
from studylog.index.embedders import Embedder
from studylog.index.store import ChromaStore
from studylog.notes.vault import Vault
from studylog.search.keyword import KeywordIndex

EMBED_BATCH = 16
ProgressFn = Callable[[int, int, str], None]


@dataclass
class SyncReport:
    notes: int = 0
    chunks: int = 0
    embedded: int = 0
    deleted: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    cancelled: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "notes": self.notes,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "deleted": self.deleted,
            "seconds": round(self.seconds, 3),
        }


def collect_chunks(vault: Vault, report: SyncReport) -> dict[str, Chunk]:
    scan = vault.scan()
    report.errors.extend(scan.errors)
    report.warnings.extend(scan.warnings)
    report.notes = len(scan.notes)
    chunks: dict[str, Chunk] = {}
    for note in scan.notes:
        # One note that cannot be chunked is reported by name and skipped; the run goes on.
        try:
            note_chunks = chunk_note(note, vault.relative(note.path))
        except Exception as exc:  # fault isolation per note
            report.errors.append(f"{note.path}: could not be chunked ({type(exc).__name__}: {exc}); skipped")
            continue
        for chunk in note_chunks:
            chunks[chunk.id] = chunk
    report.chunks = len(chunks)
    return chunks


def sync_index(
    vault: Vault,
    store: ChromaStore,
    keyword: KeywordIndex,
    embedder: Embedder,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> SyncReport:
    started = time.perf_counter()
    report = SyncReport()
    chunks = collect_chunks(vault, report)

    stored = store.hashes()
    stale = [cid for cid in stored if cid not in chunks]
    store.delete(stale)
    report.deleted = len(stale)
    keyword.delete([cid for cid in keyword.hashes() if cid not in chunks])

    keyword_hashes = keyword.hashes()
    keyword_todo = [c for c in chunks.values() if keyword_hashes.get(c.id) != c.content_hash]
    keyword.upsert([(c.id, c.content_hash, c.date_int, c.text, c.metadata()) for c in keyword_todo])
    keyword.save()

    todo = [c for c in chunks.values() if stored.get(c.id) != c.content_hash]
    total = len(todo)
    if progress:
        progress(0, total, f"{report.notes} notes, {total} chunks to embed")
    for start in range(0, total, EMBED_BATCH):
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            break
        batch = todo[start : start + EMBED_BATCH]
        t0 = time.perf_counter()
        vectors = embedder.embed_passages([c.text for c in batch])
        report.embed_seconds += time.perf_counter() - t0
        store.upsert(batch, vectors)
        report.embedded += len(batch)
        if progress:
            progress(report.embedded, total, f"embedded {report.embedded}/{total} chunks")
    report.seconds = time.perf_counter() - started
    return report
