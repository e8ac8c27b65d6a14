"""BM25 keyword index over chunk tokens, persisted beside the vector index.

Tokenising with Kiwi is the slow part, so tokens are stored per chunk (keyed by the chunk's
content hash) in one JSON file and only new or changed chunks are tokenised again.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from studylog.notes.atomic import atomic_write_text

_HANGUL = re.compile(r"[\uac00-\ud7a3]+")

BM25_K1 = 1.2
# Length normalisation: our chunks run from a three-line scrum to a 1,200-character learned
# section with code, and the long ones are where the answers are. Measured on `studylog bench
# search` (103 answerable): b 0.75 -> 0.5 lifts keyword-only Recall@1 0.854 -> 0.874 (@5 0.942
# both), 0.3 also 0.874; hybrid @1 0.922 for 0.4 … 0.6, and @5 1.00 for every vector weight
# 0.2 … 0.45 at 0.5 (at 0.75 only for 0.4 … 0.45). k1 0.9 … 2.0 moved nothing up.
BM25_B = 0.5


# Glued compounds are also split into words the index already holds (`_split_compound`).
# Measured on the 48 compound queries of `studylog bench search` (keyword, per note): joining
# nouns alone 1.000 Recall@1, splitting alone 0.958, both 1.000 -- joining does the work, and
# splitting is kept for what joining cannot do: a part alone ("클리핑") finding a note that
# only has the glued form, and a glued query no note holds finding its parts.
_MIN_PART = 2  # syllables: "배치" + "정규화", never a one-syllable word


def _split_compound(term: str, vocabulary) -> tuple[str, str] | None:
    """`term` as two words of `vocabulary` (`배치정규화` -> 배치, 정규화), or None.

    Only all-Hangul terms of four syllables or more; the split with the longer first part wins.
    """
    if len(term) < 2 * _MIN_PART or not _HANGUL.fullmatch(term):
        return None
    for cut in range(len(term) - _MIN_PART, _MIN_PART - 1, -1):
        head, tail = term[:cut], term[cut:]
        if head in vocabulary and tail in vocabulary:
            return head, tail
    return None


def _add_compound_parts(postings: dict[str, list[tuple[int, int]]]) -> None:
    """Index a note that writes a compound glued (`그래디언트클리핑`, one Kiwi noun) under its
    parts too, when both parts occur elsewhere as words, so that `클리핑` alone finds it. A note
    that already has a part (the spaced spelling) keeps its own count."""
    vocabulary = set(postings)
    added: dict[str, dict[int, int]] = defaultdict(dict)
    for term in vocabulary:
        parts = _split_compound(term, vocabulary)
        if parts is None:
            continue
        for part in parts:
            for doc, tf in postings[term]:
                added[part][doc] = added[part].get(doc, 0) + tf
    for part, docs in added.items():
        present = {doc for doc, _ in postings[part]}
        postings[part].extend((doc, tf) for doc, tf in docs.items() if doc not in present)


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
        _add_compound_parts(postings)
        self._postings = dict(postings)
        self._date_set = set(self._dates)

    def search(
        self, query: str, k: int, date_ranges: Sequence[tuple[int, int]] | None = None
    ) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score), optionally only chunks dated within one of
        `date_ranges` (inclusive YYYYMMDD pairs: one range, or one per date of a list)."""
        if self._postings is None:
            self._build()
        n = len(self._ids)
        if n == 0:
            return []
        avg_len = sum(self._lengths) / n or 1.0
        scores: dict[int, float] = defaultdict(float)
        terms = set(self.tokenizer.tokenize(query))
        # A glued compound no note holds: look for its parts.
        terms |= {part for term in terms if term not in self._postings
                  for part in _split_compound(term, self._postings) or ()}
        for term in terms:
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = math.log(1 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
            for doc, tf in postings:
                if date_ranges and not any(lo <= self._dates[doc] <= hi for lo, hi in date_ranges):
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
