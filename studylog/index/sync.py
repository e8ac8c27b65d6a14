"""Incremental sync: vault -> chunks -> (embed only what changed) -> Chroma + keyword index.

A chunk is re-embedded only when its content hash differs from the stored one; chunks of
deleted or shortened notes are removed. Each batch is written as soon as it is embedded,
so a killed run resumes where it stopped: the next sync finds those hashes already stored.

Huge notes (a pasted 7 MB log) must not hold the vault hostage, so the embedding work is
planned per note (`plan_embedding`): identical texts are embedded once, a note gets vectors
for at most `max_embedded_chunks` distinct chunks, each section's beginning first (the
keyword index still covers all of them), small notes go first (keyword entries and vectors,
slice by slice), and an embedder failure costs only the note it hit.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from studylog.config import DEFAULT_EMBED_CHUNKS_PER_NOTE
from studylog.index.chunker import Chunk, chunk_note
from studylog.index.embedders import Embedder
from studylog.index.store import ChromaStore
from studylog.notes.vault import Vault
from studylog.search.keyword import KeywordIndex

EMBED_BATCH = 16
# This many notes failing one after another, with no success between, means the embedder
# itself is broken, not the notes: stop instead of failing every note of the vault in turn.
MAX_FAILED_NOTES_IN_A_ROW = 5
# Notes are indexed in slices of about this many characters, smallest notes first, each slice
# keyword-indexed and embedded before the next starts: a huge note (Kiwi tokenises ~22 K
# characters of Korean a second here) waits at the end, alone, instead of in front of all.
SLICE_CHARS = 100_000
# The keyword index is one JSON file rewritten whole: between slices, save it at most this often.
KEYWORD_SAVE_SECONDS = 30.0
ProgressFn = Callable[[int, int, str], None]


@dataclass
class SyncReport:
    notes: int = 0
    chunks: int = 0
    embedded: int = 0  # chunks written to the vector store this run
    reused: int = 0  # of those, chunks that got an identical text's vector instead of a new one
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
            "reused": self.reused,
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


def capped_warning(path: str, chunks: int, distinct: int, embedded: int) -> str:
    """The one warning a capped note gets, e.g. "2026-10-01.md: 4,812 chunks; embedded 40,
    each section's beginning first; keyword search covers all"."""
    counted = f"{chunks:,} chunks" if distinct == chunks else f"{chunks:,} chunks ({distinct:,} distinct)"
    return f"{path}: {counted}; embedded {embedded:,}, each section's beginning first; keyword search covers all"


def _cap(distinct: list[Chunk], cap: int) -> list[Chunk]:
    """At most `cap` of a note's chunks (in note order): every section's first chunk, then every
    section's second, and so on, so a log pasted into one section cannot take the vectors of
    the sections after it (the retrospective below a 60 KB log keeps its vector)."""
    if cap <= 0 or len(distinct) <= cap:
        return distinct
    seen_in_section: dict[tuple[int, str], int] = defaultdict(int)
    ranked = []
    for position, chunk in enumerate(distinct):
        section = (chunk.start_line, chunk.heading_path)
        ranked.append((seen_in_section[section], position))
        seen_in_section[section] += 1
    kept = sorted(position for _, position in sorted(ranked)[:cap])
    return [distinct[position] for position in kept]


NoteChunks = tuple[str, list[Chunk]]  # (note path, its chunks in note order)


def notes_by_size(chunks: dict[str, Chunk]) -> list[NoteChunks]:
    """Chunks grouped per note, smallest note first (total chunk characters, then path, so a
    resumed run walks the same order)."""
    by_note: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks.values():
        by_note[chunk.path].append(chunk)
    for note_chunks in by_note.values():
        note_chunks.sort(key=lambda c: c.order)
    return sorted(by_note.items(), key=lambda item: (sum(len(c.text) for c in item[1]), item[0]))


def note_slices(notes: list[NoteChunks], size: int = SLICE_CHARS) -> list[list[NoteChunks]]:
    """`notes` (in order) cut into runs of at most `size` characters; a bigger note is alone."""
    slices: list[list[NoteChunks]] = []
    current: list[NoteChunks] = []
    length = 0
    for note in notes:
        note_length = sum(len(c.text) for c in note[1])
        if current and length + note_length > size:
            slices.append(current)
            current, length = [], 0
        current.append(note)
        length += note_length
    if current:
        slices.append(current)
    return slices


def plan_embedding(notes: list[NoteChunks], max_embedded_chunks: int) -> tuple[list[Chunk], list[str]]:
    """The chunks that get vectors, in the order to embed them, and one warning per capped note.

    Notes keep the order given (`notes_by_size`), chunks their note order. A chunk whose text
    repeats an earlier chunk of the same note is left out: its vector would only crowd the
    vector hits with copies. Each note keeps at most `max_embedded_chunks` distinct chunks
    (0 or less: no cap).
    """
    selected: list[Chunk] = []
    warnings: list[str] = []
    for path, note_chunks in notes:
        seen: set[str] = set()
        distinct = []
        for chunk in note_chunks:
            if chunk.content_hash not in seen:
                seen.add(chunk.content_hash)
                distinct.append(chunk)
        kept = _cap(distinct, max_embedded_chunks)
        if len(kept) < len(distinct):
            warnings.append(capped_warning(path, len(note_chunks), len(distinct), len(kept)))
        selected.extend(kept)
    return selected, warnings


def _embed_checked(embedder: Embedder, chunks: list[Chunk]) -> np.ndarray:
    """Vectors (float32, shape (len(chunks), dim)) or an exception: a wrong shape or a NaN
    must fail here, against the note, not later inside Chroma against the whole batch."""
    vectors = np.asarray(embedder.embed_passages([c.text for c in chunks]), dtype=np.float32)
    if vectors.shape != (len(chunks), embedder.dim):
        raise ValueError(f"the embedder returned shape {vectors.shape} for {len(chunks)} texts of dim {embedder.dim}")
    if not np.isfinite(vectors).all():
        raise ValueError("the embedder returned a non-finite vector")
    return vectors


class _Embedding:
    """One run's embedding work: batches of distinct new texts, per-note fault isolation."""

    def __init__(self, store: ChromaStore, embedder: Embedder, report: SyncReport,
                 vectors: dict[str, np.ndarray], total: int, progress: ProgressFn | None,
                 cancel: threading.Event | None) -> None:
        self.store = store
        self.embedder = embedder
        self.report = report
        self.vectors = vectors  # content hash -> vector: from the store, then from this run
        self.total = total  # chunks to store in this run, all slices together
        self.done = 0
        self.progress = progress
        self.cancel = cancel
        self.failed_notes: set[str] = set()
        self.failed_in_a_row = 0
        self.stopped = False

    def _fail(self, path: str, exc: Exception) -> None:
        self.failed_notes.add(path)
        self.failed_in_a_row += 1
        self.report.warnings.append(
            f"{path}: embedding failed ({type(exc).__name__}: {exc}); the note is in keyword "
            f"search only until a sync embeds it"
        )
        if self.failed_in_a_row >= MAX_FAILED_NOTES_IN_A_ROW:
            self.stopped = True
            self.report.errors.append(
                f"embedding stopped: {self.failed_in_a_row} notes in a row failed (last: {path}, "
                f"{type(exc).__name__}: {exc}); keyword search covers every note"
            )

    def _embed(self, new: list[Chunk]) -> None:
        """Embed `new` (one chunk per distinct text) into `self.vectors`; when the batch fails,
        retry it note by note so only the notes whose text fails are lost."""
        started = time.perf_counter()
        try:
            try:
                self._keep(new, _embed_checked(self.embedder, new))
                return
            except Exception as exc:
                batch_error = exc
            by_note: dict[str, list[Chunk]] = defaultdict(list)
            for chunk in new:
                by_note[chunk.path].append(chunk)
            if len(by_note) == 1:
                self._fail(new[0].path, batch_error)
                return
            for group in by_note.values():
                if self.stopped:
                    return
                try:
                    self._keep(group, _embed_checked(self.embedder, group))
                except Exception as exc:
                    self._fail(group[0].path, exc)
        finally:
            self.report.embed_seconds += time.perf_counter() - started

    def _keep(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        for chunk, vector in zip(chunks, vectors, strict=True):
            self.vectors[chunk.content_hash] = vector
        self.failed_in_a_row = 0

    def run(self, todo: list[Chunk]) -> None:
        """Store every chunk of `todo` (in that order) with a vector, embedding each distinct
        text once, EMBED_BATCH new texts per embedder call, writing after every call."""
        position = 0
        while position < len(todo) and not self.stopped:
            if self.cancel is not None and self.cancel.is_set():
                self.report.cancelled = True
                return
            group: list[Chunk] = []
            new: dict[str, Chunk] = {}
            while position < len(todo):
                chunk = todo[position]
                digest = chunk.content_hash
                if digest not in self.vectors and digest not in new:
                    if chunk.path in self.failed_notes:
                        # One warning per note: its later chunks are not tried again this run.
                        position += 1
                        self.done += 1
                        continue
                    if len(new) == EMBED_BATCH:
                        break
                    new[digest] = chunk
                group.append(chunk)
                position += 1
            if new:
                self._embed(list(new.values()))
            ready = [c for c in group if c.content_hash in self.vectors]
            if ready:
                self.store.upsert(ready, np.stack([self.vectors[c.content_hash] for c in ready]))
            fresh = sum(1 for digest in new if digest in self.vectors)
            self.report.embedded += len(ready)
            self.report.reused += len(ready) - fresh
            self.done += len(group)
            if self.progress:
                self.progress(self.done, self.total, f"embedded {self.done}/{self.total} chunks")


def sync_index(
    vault: Vault,
    store: ChromaStore,
    keyword: KeywordIndex,
    embedder: Embedder,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    max_embedded_chunks: int = DEFAULT_EMBED_CHUNKS_PER_NOTE,
) -> SyncReport:
    """Bring `store` and `keyword` up to date with `vault`; `max_embedded_chunks` caps the
    vectors per note (keyword search always covers every chunk). Failures of single notes
    end up in the report's warnings, never as an exception."""
    started = time.perf_counter()
    report = SyncReport()
    chunks = collect_chunks(vault, report)
    notes = notes_by_size(chunks)
    selected, capped = plan_embedding(notes, max_embedded_chunks)
    report.warnings.extend(capped)
    wanted = {c.id for c in selected}

    stored = store.hashes()
    todo = [c for c in selected if stored.get(c.id) != c.content_hash]
    # Read reusable vectors before deleting stale chunks: a renamed note's old chunks hold them.
    vectors = store.vectors_for_hashes({c.content_hash for c in todo}, stored)
    stale = [cid for cid in stored if cid not in wanted]
    store.delete(stale)
    report.deleted = len(stale)
    keyword.delete([cid for cid in keyword.hashes() if cid not in chunks])
    keyword_hashes = keyword.hashes()

    todo_by_note: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in todo:
        todo_by_note[chunk.path].append(chunk)
    embedding = _Embedding(store, embedder, report, vectors, len(todo), progress, cancel)
    if progress:
        progress(0, len(todo), f"{report.notes} notes, {len(todo)} chunks to embed")
    last_save = time.perf_counter()
    for notes_slice in note_slices(notes):
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            break
        keyword.upsert([
            (c.id, c.content_hash, c.date_int, c.text, c.metadata())
            for _, note_chunks in notes_slice for c in note_chunks
            if keyword_hashes.get(c.id) != c.content_hash
        ])
        embedding.run([c for path, _ in notes_slice for c in todo_by_note[path]])
        if time.perf_counter() - last_save >= KEYWORD_SAVE_SECONDS:
            keyword.save()  # a killed run keeps the keyword entries of the slices done
            last_save = time.perf_counter()
    keyword.save()
    report.seconds = time.perf_counter() - started
    return report
