"""Related notes: the past notes nearest to the text of one note (the one being written).

Built on the index the search already keeps, nothing new is stored:
- vector: each section chunk of the current text is a query against the Chroma collection
  (a chunk whose text is unchanged since the last index pass reuses its stored vector; an
  edited one is embedded, and remembered by content hash so the next pause re-embeds only
  the section being typed);
- keyword: per chunk, its salient terms (highest tf·idf over the keyword index, common
  words like section headings and dates left out) as a BM25 query;
- all those rankings fused by reciprocal rank, per chunk, then one hit per note (its best
  chunk), the note itself left out.
"Why" is the shared terms: the current note's salient terms that the hit's section holds.
"""

from __future__ import annotations

import math
import threading
import unicodedata
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from studylog.index.chunker import Chunk
from studylog.search.fusion import reciprocal_rank_fusion
from studylog.search.hybrid import SNIPPET_CHARS, hit_json, snippet
from studylog.search.keyword import KeywordIndex

POOL = 20  # candidates per query chunk and retriever
MAX_QUERY_CHUNKS = 12  # a very long note: its longest sections speak for it
QUERY_TERMS = 16  # salient terms per chunk sent to BM25
SHARED_TERMS = 6  # shared terms shown per hit
COMMON_SHARE = 0.25  # a term in more than this share of chunks is not salient (headings, years)
MIN_QUERY_CHARS = 40  # a template's empty sections say nothing about the note
EMBED_CACHE = 256  # edited chunks' vectors kept by content hash


@dataclass
class RelatedHit:
    chunk_id: str
    date: str
    path: str
    section: str
    heading_path: str
    start_line: int
    score: float
    text: str  # the hit chunk's section text (no header line)
    shared_terms: list[str] = field(default_factory=list)

    def snippet(self, limit: int = SNIPPET_CHARS) -> str:
        return snippet(self.text, limit)

    def to_json(self) -> dict:
        return {**hit_json(self), "shared_terms": self.shared_terms}


@dataclass
class RelatedResult:
    note: str  # vault-relative path of the note the hits are related to
    date: str = ""
    hits: list[RelatedHit] = field(default_factory=list)
    message: str = ""  # why the list is empty, when it is
    seconds: float = 0.0

    def to_json(self) -> dict:
        out = {"note": self.note, "date": self.date, "related": [h.to_json() for h in self.hits]}
        if self.message:
            out["message"] = self.message
        return out


# -- term statistics ------------------------------------------------------------------------

class _DocFreq:
    """Document frequency of every keyword term, rebuilt when the keyword index changes."""

    def __init__(self) -> None:
        self.fingerprint: int | None = None
        self.counts: Counter = Counter()
        self.chunks = 0


_doc_freqs: weakref.WeakKeyDictionary[KeywordIndex, _DocFreq] = weakref.WeakKeyDictionary()
_doc_freq_lock = threading.Lock()


def doc_freq(keyword: KeywordIndex) -> _DocFreq:
    """Cached per index object; the fingerprint (the chunk hashes) costs O(chunks), the
    rebuild O(tokens), which only happens after an index pass changed something."""
    fingerprint = hash(tuple((cid, e.hash) for cid, e in keyword.entries.items()))
    with _doc_freq_lock:
        stats = _doc_freqs.setdefault(keyword, _DocFreq())
        if stats.fingerprint != fingerprint:
            stats.counts = Counter(term for e in keyword.entries.values() for term in set(e.tokens))
            stats.chunks = len(keyword.entries)
            stats.fingerprint = fingerprint
        return stats


# Words of any day's log that say nothing about its topic (Kiwi keeps them as nouns/adverbs).
_FILLER = {"오늘", "어제", "내일", "원래", "다음", "처음", "이번", "진짜", "계속", "정말", "그냥", "다시", "먼저",
           "today", "yesterday", "tomorrow"}


def _meaningful(term: str) -> bool:
    """Short numbers ("10", "3"), years, single letters or syllables and filler words carry
    no topic."""
    if term.isdigit():
        return len(term) >= 3 and not (len(term) == 4 and term.startswith("20"))
    return len(term) > 1 and term not in _FILLER


def salient_terms(tokens: list[str], stats: _DocFreq, limit: int) -> list[str]:
    """The `limit` terms of `tokens` with the highest tf·idf, common ones left out."""
    n = max(stats.chunks, 1)
    scored = []
    for term, tf in Counter(tokens).items():
        df = stats.counts.get(term, 0)
        if not _meaningful(term) or (n >= 8 and df / n > COMMON_SHARE):
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        scored.append((-(1 + math.log(tf)) * idf, term))
    return [term for _, term in sorted(scored)[:limit]]


# -- vectors --------------------------------------------------------------------------------

class VectorCache:
    """Vectors of recently edited chunks by content hash (thread-safe, bounded)."""

    def __init__(self, size: int = EMBED_CACHE) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def put(self, key: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)


def stored_vectors(store, chunks: list[Chunk]) -> dict[str, np.ndarray]:
    """Vectors already in the store for chunks whose text has not changed since indexing."""
    if not chunks:
        return {}
    got = store.collection.get(ids=[c.id for c in chunks], include=["embeddings", "metadatas"])
    wanted = {c.id: c.content_hash for c in chunks}
    embeddings = got.get("embeddings")
    if embeddings is None:
        return {}
    out: dict[str, np.ndarray] = {}
    for cid, vector, meta in zip(got["ids"], embeddings, got.get("metadatas") or [], strict=False):
        if vector is not None and str((meta or {}).get("hash", "")) == wanted.get(cid):
            out[wanted[cid]] = np.asarray(vector, dtype=np.float32)
    return out


def chunk_vectors(chunks: list[Chunk], store, embedder, cache: VectorCache) -> list[np.ndarray]:
    """One vector per chunk: stored, cached, or embedded now (as passages, like the index,
    so a chunk compares with stored chunks on the same footing)."""
    found = stored_vectors(store, chunks)
    missing = []
    for chunk in chunks:
        if chunk.content_hash not in found:
            cached = cache.get(chunk.content_hash)
            if cached is not None:
                found[chunk.content_hash] = cached
            else:
                missing.append(chunk)
    if missing:
        vectors = embedder.embed_passages([c.text for c in missing])
        for chunk, vector in zip(missing, vectors, strict=True):
            vector = np.asarray(vector, dtype=np.float32)
            cache.put(chunk.content_hash, vector)
            found[chunk.content_hash] = vector
    return [found[c.content_hash] for c in chunks]


# -- the search -----------------------------------------------------------------------------

def query_chunks(chunks: list[Chunk]) -> list[Chunk]:
    """The chunks worth asking with: not a template's empty section; for a very long note,
    its longest sections (in note order)."""
    useful = [c for c in chunks if len(c.body.strip()) >= MIN_QUERY_CHARS]
    if len(useful) > MAX_QUERY_CHUNKS:
        keep = {c.id for c in sorted(useful, key=lambda c: -len(c.body))[:MAX_QUERY_CHUNKS]}
        useful = [c for c in useful if c.id in keep]
    return useful


def _body(document: str) -> str:
    return document.split("\n", 1)[1] if "\n" in document else document


def find_related(
    chunks: list[Chunk],
    note_path: str,
    *,
    store,
    keyword: KeywordIndex,
    embedder,
    cache: VectorCache | None = None,
    k: int = 5,
    tokenize: Callable[[str], list[str]] | None = None,
) -> list[RelatedHit]:
    """The `k` notes (other than `note_path`) most related to `chunks`, best first.

    `chunks` are the current text's chunks (`chunk_note`); `store` may be None (keyword
    only). Scores are fused reciprocal-rank scores, comparable within one call only.
    """
    asking = query_chunks(chunks)
    if not asking:
        return []
    tokenize = tokenize or keyword.tokenizer.tokenize
    stats = doc_freq(keyword)
    rankings: list[list[str]] = []
    candidates: dict[str, tuple[dict, str]] = {}  # chunk id -> (metadata, body)
    note_terms: list[str] = []

    if store is not None and embedder is not None and store.count():
        where = {"path": {"$ne": note_path}}
        for vector in chunk_vectors(asking, store, embedder, cache or VectorCache()):
            hits = store.query(vector, POOL, where)
            rankings.append([h.id for h in hits])
            for h in hits:
                candidates.setdefault(h.id, (h.metadata, _body(h.document)))

    for chunk in asking:
        tokens = tokenize(unicodedata.normalize("NFC", chunk.body))
        note_terms.extend(tokens)
        terms = salient_terms(tokens, stats, QUERY_TERMS)
        if not terms:
            continue
        found = keyword.search(" ".join(terms), POOL + 12)
        ranking = []
        for cid, _score in found:
            entry = keyword.get(cid)
            if entry is None or entry.meta.get("path") == note_path:
                continue
            ranking.append(cid)
            candidates.setdefault(cid, (entry.meta, _body(entry.meta.get("text", ""))))
        rankings.append(ranking[:POOL])

    why = salient_terms(note_terms, stats, 4 * QUERY_TERMS)
    hits: list[RelatedHit] = []
    seen: set[str] = set()
    for cid, score in reciprocal_rank_fusion(rankings):
        meta, body = candidates[cid]
        path = str(meta.get("path", ""))
        if path == note_path or path in seen:
            continue
        seen.add(path)
        hits.append(RelatedHit(
            chunk_id=cid, date=str(meta.get("date_iso", "")), path=path, section=str(meta.get("section", "")),
            heading_path=str(meta.get("heading_path", "")), start_line=int(meta.get("start_line", 0) or 0),
            score=score, text=body, shared_terms=shared_terms(why, keyword, cid, body, tokenize)))
        if len(hits) >= k:
            break
    return hits


def shared_terms(why: list[str], keyword: KeywordIndex, chunk_id: str, body: str,
                 tokenize: Callable[[str], list[str]]) -> list[str]:
    """The current note's salient terms (most salient first) that the hit's section holds."""
    entry = keyword.get(chunk_id)
    held = set(entry.tokens) if entry is not None else set(tokenize(body))
    return [term for term in why if term in held][:SHARED_TERMS]
