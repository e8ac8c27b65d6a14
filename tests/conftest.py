"""Shared fixtures: an isolated app home per test, the fixtures vault, a fast fake embedder."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GOMP_SPINCOUNT", "100000")  # as the app sets it: studylog.openmp
os.environ.setdefault("KMP_BLOCKTIME", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]


def fixtures_dir() -> Path:
    env = os.environ.get("STUDYLOG_FIXTURES")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "fixtures", REPO / "shared" / "fixtures"]
    for candidate in candidates:
        if (candidate / "vault").is_dir():
            return candidate
    pytest.skip("fixtures vault not found (expected ../shared/fixtures)")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("STUDYLOG_HOME", str(home))
    monkeypatch.delenv("STUDYLOG_VAULT", raising=False)
    return home


@pytest.fixture
def fixtures_vault(tmp_path) -> Path:
    """A writable copy of the 45-note fixtures vault."""
    target = tmp_path / "vault"
    shutil.copytree(fixtures_dir() / "vault", target)
    return target


class FakeEmbedder:
    """Deterministic bag-of-words vectors: fast, and similar texts get similar vectors."""

    name = "fake-embedder"
    dim = 64

    def __init__(self) -> None:
        self.embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in text.lower().split():
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector + 1.0 / np.sqrt(self.dim)

    def embed_passages(self, texts):
        self.embedded += len(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text):
        return self._vector(text)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()
