"""Chroma holds every chunk with its embedding and metadata.

Embedded `PersistentClient` under the app data dir by default, or a Chroma server through
`HttpClient` (URL + optional token). The index is derived data: a damaged folder is moved
aside and rebuilt from the vault, never trusted and never fatal for the notes.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from studylog.index.chunker import Chunk
from studylog.index.embedders import Embedder, collection_name


class IndexError_(Exception):
    """The index cannot be opened or used; the message says what to do."""


class IndexCorruptError(IndexError_):
    pass


@dataclass
class VectorHit:
    id: str
    distance: float
    document: str
    metadata: dict


def _settings(allow_reset: bool = False):
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=allow_reset)


class ChromaStore:
    def __init__(self, client, embedder: Embedder, location: str) -> None:
        from studylog.index.chroma_function import StudyLogEmbeddingFunction

        self.client = client
        self.embedder = embedder
        self.location = location
        self.name = collection_name(embedder)
        try:
            self.collection = client.get_or_create_collection(
                name=self.name,
                embedding_function=StudyLogEmbeddingFunction(embedder),
                metadata={"hnsw:space": "cosine", "embedder": embedder.name, "dim": embedder.dim},
            )
        except Exception as exc:
            raise IndexCorruptError(f"cannot open the index collection at {location}: {exc}") from exc

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open_persistent(cls, folder: Path, embedder: Embedder) -> ChromaStore:
        import chromadb

        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise IndexCorruptError(f"index path {folder} is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        sqlite = folder / "chroma.sqlite3"
        if sqlite.exists() and sqlite.stat().st_size > 0:
            with open(sqlite, "rb") as handle:
                if handle.read(16) != b"SQLite format 3\x00":
                    raise IndexCorruptError(f"index file {sqlite} is not a SQLite database")
        try:
            client = chromadb.PersistentClient(path=str(folder), settings=_settings())
            store = cls(client, embedder, str(folder))
            store.collection.count()
        except IndexCorruptError:
            raise
        except Exception as exc:
            raise IndexCorruptError(f"the index at {folder} cannot be read ({type(exc).__name__}: {exc})") from exc
        return store

    @classmethod
    def open_server(cls, url: str, embedder: Embedder, token: str = "") -> ChromaStore:
        import chromadb

        parsed = urlparse(url if "://" in url else f"http://{url}")
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                headers=headers,
                settings=_settings(),
            )
            client.heartbeat()
        except Exception as exc:
            raise IndexError_(f"cannot reach the Chroma server at {url}: {exc}") from exc
        return cls(client, embedder, url)

    @staticmethod
    def forget_client(folder: Path) -> None:
        """Drop chromadb's per-path client cache, which would otherwise keep the old files open."""
        try:
            from chromadb.api.shared_system_client import SharedSystemClient
        except ImportError:
            return
        system = SharedSystemClient._identifier_to_system.pop(str(folder), None)
        getattr(SharedSystemClient, "_identifier_to_refcount", {}).pop(str(folder), None)
        if system is not None:
            try:
                system.stop()
            except Exception:
                pass

    @staticmethod
    def move_aside(folder: Path) -> Path:
        """Move a damaged index folder out of the way (kept for inspection) and return where."""
        ChromaStore.forget_client(folder)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = folder.with_name(f"{folder.name}.broken-{stamp}")
        shutil.move(str(folder), str(target))
        return target

    def as_langchain(self):
        """This collection as a LangChain vector store (langchain-chroma), e.g. for a retriever
        in an LCEL chain; it shares the client, so it sees every sync immediately."""
        from langchain_chroma import Chroma

        from studylog.index.embedders import as_langchain

        return Chroma(client=self.client, collection_name=self.name, embedding_function=as_langchain(self.embedder))

    # -- data ------------------------------------------------------------------------------
    def count(self) -> int:
        return self.collection.count()

    def hashes(self) -> dict[str, str]:
        """chunk id -> content hash of everything stored (paged: large collections)."""
        result: dict[str, str] = {}
        offset, page = 0, 5000
        while True:
            got = self.collection.get(include=["metadatas"], limit=page, offset=offset)
            for chunk_id, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
                result[chunk_id] = str((meta or {}).get("hash", ""))
            if len(got["ids"]) < page:
                return result
            offset += page

    def vectors_for_hashes(self, wanted: set[str], stored: dict[str, str]) -> dict[str, np.ndarray]:
        """content hash -> stored embedding (float32, shape (dim,)) for each wanted hash the
        collection already holds under some chunk id; `stored` is `hashes()` read just before.

        A chunk whose text is already embedded elsewhere (a section moved down, a note renamed
        or copied) gets that vector instead of a fresh embedding.
        """
        holder: dict[str, str] = {}
        for chunk_id, digest in stored.items():
            if digest in wanted:
                holder.setdefault(digest, chunk_id)
        ids = list(holder.values())
        vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), 5000):
            got = self.collection.get(ids=ids[start : start + 5000], include=["embeddings", "metadatas"])
            embeddings = got["embeddings"] if got["embeddings"] is not None else []
            for meta, vector in zip(got["metadatas"] or [], embeddings, strict=False):
                digest = str((meta or {}).get("hash", ""))
                if digest in wanted and vector is not None:
                    vectors[digest] = np.asarray(vector, dtype=np.float32)
        return vectors

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        if not chunks:
            return
        self.collection.upsert(
            ids=[c.id for c in chunks],
            embeddings=np.asarray(embeddings, dtype=np.float32),
            documents=[c.text for c in chunks],
            metadatas=[c.metadata() for c in chunks],
        )

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), 5000):
            self.collection.delete(ids=ids[start : start + 5000])

    def query(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[VectorHit]:
        n = self.count()
        if n == 0:
            return []
        got = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(k, n),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            VectorHit(id=i, distance=float(d), document=doc or "", metadata=meta or {})
            for i, d, doc, meta in zip(
                got["ids"][0], got["distances"][0], got["documents"][0], got["metadatas"][0], strict=False
            )
        ]

    def get(self, ids: list[str]) -> dict[str, tuple[str, dict]]:
        if not ids:
            return {}
        got = self.collection.get(ids=ids, include=["documents", "metadatas"])
        return {
            i: (doc or "", meta or {})
            for i, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=False)
        }
