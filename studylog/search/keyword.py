"""BM25 keyword index over chunk tokens, persisted beside the vector index.

Tokenising with Kiwi is the slow part, so tokens are stored per chunk (keyed by the chunk's
content hash) in one JSON file and only new or changed chunks are tokenised again.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from studylog.notes.atomic import atomic_write_text

BM25_K1 = 1.2
BM25_B = 0.75


@dataclass
class KeywordEntry:
    hash: str
    date: int
    tokens: list[str]
    meta: dict  # chunk metadata + "text" (so keyword hits need no vector store round trip)


class KeywordIndex:
    def __init__(self, path: Path | None, tokenizer) -> None:
        self.path = Path(path) if path else None
        self.tokenizer = tokenizer
        self.entries: dict[str, KeywordEntry] = {}
        self._postings: dict[str, list[tuple[int, int]]] | None = None
        self._ids: list[str] = []
        self._lengths: list[int] = []
        self._dates: list[int] = []
        self._date_set: set[int] = set()
        self.dirty = False
        if self.path and self.path.exists():
            self._load()

    # -- persistence -----------------------------------------------------------------------
    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # a damaged cache is rebuilt by the next sync
        if raw.get("tokenizer") != self.tokenizer.name:
            return
        for chunk_id, e in raw.get("chunks", {}).items():
            self.entries[chunk_id] = KeywordEntry(e["hash"], int(e["date"]), e["tokens"], e["meta"])

    def save(self) -> None:
        if not self.path or not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "tokenizer": self.tokenizer.name,
            "chunks": {cid: e.__dict__ for cid, e in self.entries.items()},
        }
        atomic_write_text(self.path, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
        self.dirty = False

    # -- updates ---------------------------------------------------------------------------
    def hashes(self) -> dict[str, str]:
        return {cid: e.hash for cid, e in self.entries.items()}

    def upsert(self, items: list[tuple[str, str, int, str, dict]]) -> None:
        """items: (chunk id, content hash, date int, text, metadata).

        Each distinct text is tokenised once, and not at all when an entry already holds its
        hash: a note of one pasted sentence repeated for 7 MB is thousands of identical chunks,
        and Kiwi takes ~4 minutes over that much Korean text (~22 k characters/s here).
        """
        if not items:
            return
        wanted = {digest for _, digest, _, _, _ in items}
        tokens_by_hash = {e.hash: e.tokens for e in self.entries.values() if e.hash in wanted}
        new_texts = {digest: text for _, digest, _, text, _ in items if digest not in tokens_by_hash}
        tokens_by_hash.update(zip(new_texts, self.tokenizer.tokenize_many(list(new_texts.values())), strict=True))
        for cid, digest, date, text, meta in items:
            self.entries[cid] = KeywordEntry(digest, date, tokens_by_hash[digest], {**meta, "text": text})
        self._postings = None
        self.dirty = True

    def delete(self, ids) -> None:
        for cid in ids:
            if self.entries.pop(cid, None) is not None:
                self.dirty = True
        self._postings = None

    # -- search ----------------------------------------------------------------------------
    def _build(self) -> None:
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._ids, self._lengths, self._dates = [], [], []
        for doc, (cid, entry) in enumerate(self.entries.items()):
            self._ids.append(cid)
            self._lengths.append(len(entry.tokens))
            self._dates.append(entry.date)
            for term, tf in Counter(entry.tokens).items():
                postings[term].append((doc, tf))
        self._postings = dict(postings)
        self._date_set = set(self._dates)

    def search(self, query: str, k: int, date_range: tuple[int, int] | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score), optionally only chunks dated within `date_range`."""
        if self._postings is None:
            self._build()
        n = len(self._ids)
        if n == 0:
            return []
        avg_len = sum(self._lengths) / n or 1.0
        scores: dict[int, float] = defaultdict(float)
        for term in set(self.tokenizer.tokenize(query)):
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = math.log(1 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
            for doc, tf in postings:
                if date_range and not (date_range[0] <= self._dates[doc] <= date_range[1]):
                    continue
                norm = tf + BM25_K1 * (1 - BM25_B + BM25_B * self._lengths[doc] / avg_len)
                scores[doc] += idf * tf * (BM25_K1 + 1) / norm
        best = sorted(scores.items(), key=lambda item: -item[1])[:k]
        return [(self._ids[doc], score) for doc, score in best]

    def has_term(self, term: str) -> bool:
        """Does any note contain this (already tokenised) term?"""
        if self._postings is None:
            self._build()
        return term in self._postings

    def get(self, chunk_id: str) -> KeywordEntry | None:
        return self.entries.get(chunk_id)

    def dates(self) -> set[int]:
        """Dates that have at least one chunk (built with the postings, not per query)."""
        if self._postings is None:
            self._build()
        return self._date_set
