"""Hybrid retrieval: date scope -> keyword (BM25) + vector (Chroma) -> score fusion per chunk
-> one hit per note (its best chunk, ranked by the note's fused chunk scores)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from studylog.index.embedders import Embedder
from studylog.index.store import ChromaStore
from studylog.search.dates import (
    DateScope,
    intersect,
    parse_date_scope,
    scope_from_options,
    strip_date_phrase,
)
from studylog.search.fusion import FURTHER_CHUNK_SHARE, convex_fusion, rank_notes
from studylog.search.keyword import KeywordIndex

MODES = ("hybrid", "vector", "keyword")
# Fusion weights (vector, keyword) of min-max normalised scores: 0.2 … 0.45 for vector all
# measured Recall@1 0.922 / @5 1.00 on `studylog bench search`; see `fusion.py`.
VECTOR_WEIGHT = 0.35
KEYWORD_WEIGHT = 0.65
SNIPPET_CHARS = 280


@dataclass
class SearchHit:
    chunk_id: str
    date: str
    path: str
    section: str
    heading: str
    heading_path: str
    start_line: int
    score: float
    text: str  # the chunk's section text (without the date/heading header line)

    def snippet(self, limit: int = SNIPPET_CHARS) -> str:
        return snippet(self.text, limit)

    def to_json(self) -> dict:
        return hit_json(self)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def hit_json(hit) -> dict:
    """The JSON fields every note hit shares (search results, related notes)."""
    return {
        "date": hit.date,
        "path": hit.path,
        "section": hit.section,
        "heading_path": hit.heading_path,
        "line": hit.start_line,
        "score": round(hit.score, 6),
        "text": snippet(hit.text),
    }


@dataclass
class SearchResult:
    query: str
    hits: list[SearchHit] = field(default_factory=list)
    scope: DateScope | None = None
    message: str = ""  # e.g. "no note on 2026-10-18" when the date scope matches nothing

    def to_json(self) -> dict:
        out = {"query": self.query, "hits": [h.to_json() for h in self.hits], "scope": None}
        if self.scope is not None:
            out["scope"] = {"start": self.scope.start.isoformat(), "end": self.scope.end.isoformat()}
            if self.scope.ranges:  # a list of dates: the hull above, each date here
                out["scope"]["ranges"] = [{"start": s.isoformat(), "end": e.isoformat()}
                                          for s, e in self.scope.ranges]
        if self.message:
            out["message"] = self.message
        return out


def _within(date: int, date_ranges: list[tuple[int, int]]) -> bool:
    return any(lo <= date <= hi for lo, hi in date_ranges)


def _chroma_where(date_ranges: list[tuple[int, int]]) -> dict:
    """A Chroma metadata filter for chunks dated within any of `date_ranges` (YYYYMMDD ints):
    `$and` of `$gte`/`$lte` for one range, `$or` of those for a list of dates."""
    clauses = [{"$and": [{"date": {"$gte": lo}}, {"date": {"$lte": hi}}]} for lo, hi in date_ranges]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def _body(document: str) -> str:
    """Chunk text minus its first line (the `date · heading path` header)."""
    return document.split("\n", 1)[1] if "\n" in document else document


class HybridSearcher:
    def __init__(
        self,
        store: ChromaStore | None,
        keyword: KeywordIndex,
        embedder: Embedder | None,
        vector_weight: float = VECTOR_WEIGHT,
        keyword_weight: float = KEYWORD_WEIGHT,
    ) -> None:
        self.store = store
        self.keyword = keyword
        self.embedder = embedder
        self.weights = (vector_weight, keyword_weight)

    def resolve_scope(
        self, query: str, since: dt.date | None, until: dt.date | None, today: dt.date | None
    ) -> DateScope | None:
        today = today or dt.date.today()
        return intersect(parse_date_scope(query, today), scope_from_options(since, until))

    def search(
        self,
        query: str,
        k: int = 5,
        since: dt.date | None = None,
        until: dt.date | None = None,
        today: dt.date | None = None,
        mode: str = "hybrid",
        per_note: bool = True,
    ) -> SearchResult:
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        query = unicodedata.normalize("NFC", query)  # notes are indexed NFC (macOS types NFD)
        result = SearchResult(query=query)
        scope = self.resolve_scope(query, since, until, today)
        result.scope = scope
        date_ranges: list[tuple[int, int]] | None = None
        if scope is not None:
            if scope.is_empty:
                result.message = "the dates in the question and the options do not overlap"
                return result
            date_ranges = scope.int_ranges
            if not any(_within(d, date_ranges) for d in self.keyword.dates()):
                result.message = f"no note on {scope.label}"
                return result
        text = strip_date_phrase(query, scope) if scope and scope.matched else query
        pool = max(30, k * 6)
        candidates: dict[str, SearchHit] = {}
        rankings: list[list[tuple[str, float]]] = []  # (chunk id, retriever's score), best first
        weights: list[float] = []

        if mode in ("hybrid", "vector") and self.store is not None and self.embedder is not None:
            where = _chroma_where(date_ranges) if date_ranges else None
            vector_hits = self.store.query(self.embedder.embed_query(text or query), pool, where)
            rankings.append([(h.id, 1.0 - h.distance) for h in vector_hits])
            weights.append(self.weights[0])
            for h in vector_hits:
                candidates[h.id] = self._hit(h.id, h.metadata, _body(h.document), 1.0 - h.distance)
        if mode in ("hybrid", "keyword"):
            keyword_hits = self.keyword.search(text or query, pool, date_ranges)
            if not keyword_hits and date_ranges and not text.strip():
                # The question is only a date ("2026-10-14 노트"): every chunk of those days.
                keyword_hits = [
                    (cid, 0.0) for cid, e in self.keyword.entries.items() if _within(e.date, date_ranges)
                ][:pool]
            rankings.append(list(keyword_hits))
            weights.append(self.weights[1])
            for cid, score in keyword_hits:
                if cid not in candidates:
                    entry = self.keyword.get(cid)
                    if entry is not None:
                        candidates[cid] = self._hit(cid, entry.meta, _body(entry.meta.get("text", "")), score)

        # One retriever keeps its own scores, and a note is its best chunk: raw cosines or BM25
        # scores summed over chunks would favour long notes.
        fused = convex_fusion(rankings, weights) if len(rankings) > 1 else list(rankings[0] if rankings else [])
        if per_note:
            share = FURTHER_CHUNK_SHARE if len(rankings) > 1 else 0.0
            fused = rank_notes(fused, lambda cid: candidates[cid].path if cid in candidates else cid, share)
        for cid, score in fused:
            hit = candidates.get(cid)
            if hit is None:
                continue
            hit.score = score
            result.hits.append(hit)
            if len(result.hits) >= k:
                break
        return result

    @staticmethod
    def _hit(chunk_id: str, meta: dict, body: str, score: float) -> SearchHit:
        return SearchHit(
            chunk_id=chunk_id,
            date=str(meta.get("date_iso", "")),
            path=str(meta.get("path", "")),
            section=str(meta.get("section", "")),
            heading=str(meta.get("heading", "")),
            heading_path=str(meta.get("heading_path", "")),
            start_line=int(meta.get("start_line", 0) or 0),
            score=score,
            text=body,
        )

