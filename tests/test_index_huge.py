"""Huge notes and failing embeddings: dedupe, the per-note cap, size order, fault isolation."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from studylog.config import DEFAULT_EMBED_CHUNKS_PER_NOTE, Settings, SettingsError, load_settings
from studylog.index.sync import EMBED_BATCH, MAX_FAILED_NOTES_IN_A_ROW, capped_warning
from studylog.search.keyword import KeywordIndex
from studylog.search.tokenize import get_tokenizer
from studylog.service import StudyLogService
from tests.conftest import FakeEmbedder

SENTENCE = "어텐션은 가중 평균이다 attention is a weighted average. "


class NgramService(StudyLogService):
    """The real service with the n-gram tokenizer: no Kiwi model to load in every test."""

    def keyword_index(self) -> KeywordIndex:
        with self._lock:
            if self._keyword is None:
                self._keyword = KeywordIndex(self.index_dir / "keyword-test.json", get_tokenizer("ngram"))
            return self._keyword


class RecordingEmbedder(FakeEmbedder):
    """Remembers every text it was asked to embed, in order; texts holding `poison` raise."""

    def __init__(self, poison: str | None = None) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.poison = poison

    def embed_passages(self, texts):
        if self.poison and any(self.poison in t for t in texts):
            raise RuntimeError("tokenizer overflow")
        self.texts.extend(texts)
        return super().embed_passages(texts)


def service_for(vault: Path, embedder, cap: int = 200) -> NgramService:
    return NgramService(settings=Settings(embed_chunks_per_note=cap), vault=vault, embedder=embedder)


def write_note(vault: Path, name: str, sections: list[str]) -> Path:
    vault.mkdir(parents=True, exist_ok=True)
    path = vault / name
    path.write_text("\n\n".join(f"### {s}\n{s}에 대해 배운 내용 {s} learned." for s in sections), encoding="utf-8")
    return path


def stored_paths(service: StudyLogService) -> list[str]:
    got = service.store().collection.get(include=["metadatas"])
    return [m["path"] for m in got["metadatas"]]


def test_a_repeated_sentence_is_embedded_once_and_keyword_indexed_whole(tmp_path):
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "2026-10-01.md").write_text("### 로그\n" + SENTENCE * 3000, encoding="utf-8")
    embedder = RecordingEmbedder()
    service = service_for(vault, embedder)
    report = service.index()

    keyword = service.keyword_index()
    distinct = {e.hash for e in keyword.entries.values()}
    assert report.chunks > 100 and len(keyword.entries) == report.chunks  # keyword: every chunk
    assert len(distinct) < 5 and embedder.embedded == len(distinct)  # vectors: each text once
    assert service.store().count() == len(distinct) == report.embedded
    assert report.warnings == []  # nothing was capped: every distinct text has its vector


def test_identical_text_in_two_notes_is_embedded_once(tmp_path):
    vault = tmp_path / "v"
    write_note(vault, "2026-10-01.md", ["CORS", "nginx"])
    (vault / "copy").mkdir()
    write_note(vault / "copy", "2026-10-01.md", ["CORS", "nginx"])  # same day, same text
    embedder = RecordingEmbedder()
    service = service_for(vault, embedder)
    report = service.index()
    assert report.chunks == 4 and embedder.embedded == 2
    assert report.embedded == 4 and report.reused == 2
    assert sorted(stored_paths(service)) == ["2026-10-01.md"] * 2 + ["copy/2026-10-01.md"] * 2


def test_texts_the_store_already_holds_are_not_embedded_again(tmp_path):
    vault = tmp_path / "v"
    note = write_note(vault, "2026-10-01.md", [f"주제 {i}" for i in range(10)])
    embedder = RecordingEmbedder()
    service_for(vault, embedder).index()

    # A section inserted at the top shifts every chunk id (path#order): same texts, new ids.
    note.write_text("### 새 주제\n맨 위에 새로 적은 내용입니다.\n\n" + note.read_text(encoding="utf-8"),
                    encoding="utf-8")
    embedder.texts.clear()
    service = service_for(vault, embedder)
    report = service.index()
    assert len(embedder.texts) == 1 and "맨 위에" in embedder.texts[0]
    assert report.embedded == 11 and report.reused == 10 and service.store().count() == 11

    # A renamed note (same date, same text) reuses its old vectors before they are deleted.
    (vault / "archive").mkdir()
    note.rename(vault / "archive" / note.name)
    embedder.texts.clear()
    report = service_for(vault, embedder).index()
    assert embedder.texts == [] and report.reused == 11 and report.deleted == 11


def test_a_note_is_capped_while_keyword_search_covers_all_of_it(tmp_path):
    vault = tmp_path / "v"
    write_note(vault, "2026-10-01.md", [f"topic{i:02d}" for i in range(30)])
    write_note(vault, "2026-10-02.md", ["small"])
    service = service_for(vault, RecordingEmbedder(), cap=5)
    report = service.index()

    assert report.warnings == [
        "2026-10-01.md: 30 chunks; embedded 5, each section's beginning first; keyword search covers all"]
    assert sorted(stored_paths(service)) == ["2026-10-01.md"] * 5 + ["2026-10-02.md"]
    hits = service.search("topic29", k=3, mode="keyword").hits
    assert hits and hits[0].path == "2026-10-01.md" and "topic29" in hits[0].heading_path
    assert not service.search("topic29", k=3, mode="vector", per_note=False).hits[0].heading_path.endswith("29")

    # Raising the cap embeds the rest; lowering it removes the vectors past the cap.
    assert service_for(vault, RecordingEmbedder(), cap=0).index().embedded == 25
    lowered = service_for(vault, RecordingEmbedder(), cap=2).index()
    assert lowered.deleted == 28 and lowered.embedded == 0
    assert sorted(stored_paths(service_for(vault, RecordingEmbedder(), cap=2))) == ["2026-10-01.md"] * 2 + [
        "2026-10-02.md"]


def test_capped_warning_counts_repeats_apart():
    assert capped_warning("2026-10-01.md", 4812, 4812, 40) == (
        "2026-10-01.md: 4,812 chunks; embedded 40, each section's beginning first; keyword search covers all")
    assert capped_warning("log.md", 5000, 1300, 40) == (
        "log.md: 5,000 chunks (1,300 distinct); embedded 40, each section's beginning first; "
        "keyword search covers all")


def test_a_pasted_log_does_not_take_the_vectors_of_the_sections_after_it(tmp_path):
    vault = tmp_path / "v"
    vault.mkdir()
    log = "\n".join(f"step={i} loss={1 / (i + 1):.5f} lr=3e-4" for i in range(2000))
    (vault / "2026-10-08.md").write_text(
        "### 스크럼\n오늘은 학습 로그를 붙여 넣었다.\n\n### 새로 배운 내용\n```\n" + log + "\n```\n\n"
        "### 오늘의 회고\n로그가 너무 길어서 에디터가 느려졌다.\n", encoding="utf-8")
    service = service_for(vault, RecordingEmbedder(), cap=6)
    report = service.index()
    got = service.store().collection.get(include=["metadatas"])
    sections = [m["heading_path"] for m in sorted(got["metadatas"], key=lambda m: m["order"])]
    assert report.chunks > 20 and len(sections) == 6
    assert sections[0] == "스크럼" and sections[-1] == "오늘의 회고"  # both ends of the note kept
    assert sections[1:-1] == ["새로 배운 내용"] * 4  # the log's first chunks fill the rest


def test_small_notes_are_embedded_before_a_huge_one(tmp_path):
    vault = tmp_path / "v"
    write_note(vault, "2026-01-01.md", [f"huge{i}" for i in range(40)])  # first by name
    for day in range(2, 8):
        write_note(vault, f"2026-01-0{day}.md", [f"small{day}a", f"small{day}b"])
    embedder = RecordingEmbedder()
    service_for(vault, embedder).index()
    first_huge = next(i for i, text in enumerate(embedder.texts) if "huge" in text)
    assert first_huge == 12 and all("small" in t for t in embedder.texts[:12])


def test_a_huge_note_is_keyword_indexed_after_the_small_ones_are_embedded(tmp_path):
    events: list[tuple[str, bool]] = []  # (step, whether its texts are the huge note's)

    class LoggingTokenizer:
        name = "logging"
        inner = get_tokenizer("ngram")

        def tokenize(self, text):
            return self.inner.tokenize(text)

        def tokenize_many(self, texts):
            events.append(("keyword", any("huge" in t for t in texts)))
            return self.inner.tokenize_many(texts)

    class LoggingEmbedder(FakeEmbedder):
        def embed_passages(self, texts):
            events.append(("embed", any("huge" in t for t in texts)))
            return super().embed_passages(texts)

    class LoggingService(StudyLogService):
        def keyword_index(self):
            if self._keyword is None:
                self._keyword = KeywordIndex(self.index_dir / "keyword-test.json", LoggingTokenizer())
            return self._keyword

    vault = tmp_path / "v"
    vault.mkdir()
    lines = "\n".join(f"huge log line {i}: loss={1 / (i + 1):.6f}" for i in range(5000))
    (vault / "2026-01-01.md").write_text("### 로그\n" + lines, encoding="utf-8")  # ~150 K chars
    for day in range(2, 8):
        write_note(vault, f"2026-01-0{day}.md", [f"small{day}"])
    LoggingService(settings=Settings(), vault=vault, embedder=LoggingEmbedder()).index()
    first_huge = next(i for i, (_, huge) in enumerate(events) if huge)
    assert events[:first_huge] == [("keyword", False), ("embed", False)]
    assert events[first_huge] == ("keyword", True)


def test_a_killed_run_over_a_huge_note_resumes(tmp_path):
    vault = tmp_path / "v"
    write_note(vault, "2026-01-01.md", [f"huge{i}" for i in range(50)])
    write_note(vault, "2026-01-02.md", ["small"])
    cancel = threading.Event()

    def stop_after_one_batch(done, total, message):
        if done >= 1:
            cancel.set()

    partial = service_for(vault, RecordingEmbedder()).index(progress=stop_after_one_batch, cancel=cancel)
    assert partial.cancelled and partial.embedded == EMBED_BATCH
    embedder = RecordingEmbedder()
    resumed = service_for(vault, embedder).index()
    assert resumed.embedded == 51 - EMBED_BATCH and embedder.embedded == 51 - EMBED_BATCH
    assert service_for(vault, embedder).index().embedded == 0


def test_an_embedding_failure_costs_only_its_note(tmp_path):
    vault = tmp_path / "v"
    for day in range(1, 8):
        write_note(vault, f"2026-02-0{day}.md", [f"note{day}"])
    write_note(vault, "2026-02-08.md", ["POISON", "more"])  # shares a batch with the others
    service = service_for(vault, RecordingEmbedder(poison="POISON"))
    report = service.index()

    assert report.errors == [] and not report.cancelled
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("2026-02-08.md: embedding failed (RuntimeError: tokenizer overflow)")
    assert sorted(set(stored_paths(service))) == [f"2026-02-0{day}.md" for day in range(1, 8)]
    assert service.search("POISON", k=1, mode="keyword").hits[0].path == "2026-02-08.md"

    healed = service_for(vault, RecordingEmbedder()).index()  # the next sync retries the note
    assert healed.embedded == 2 and healed.warnings == []


def test_a_nan_vector_is_a_failure_of_its_note(tmp_path):
    class NanEmbedder(FakeEmbedder):
        def embed_passages(self, texts):
            vectors = super().embed_passages(texts)
            vectors[[i for i, t in enumerate(texts) if "broken" in t]] = np.nan
            return vectors

    vault = tmp_path / "v"
    write_note(vault, "2026-03-01.md", ["fine"])
    write_note(vault, "2026-03-02.md", ["broken"])
    service = service_for(vault, NanEmbedder())
    report = service.index()
    assert report.warnings == [
        "2026-03-02.md: embedding failed (ValueError: the embedder returned a non-finite vector); "
        "the note is in keyword search only until a sync embeds it"]
    assert stored_paths(service) == ["2026-03-01.md"]


def test_a_wrong_shape_is_a_failure_of_its_note(tmp_path):
    class ShortEmbedder(FakeEmbedder):
        def embed_passages(self, texts):
            vectors = super().embed_passages(texts)
            return vectors[:, :8] if any("short" in t for t in texts) else vectors

    vault = tmp_path / "v"
    write_note(vault, "2026-03-01.md", ["fine"])
    write_note(vault, "2026-03-02.md", ["short"])
    service = service_for(vault, ShortEmbedder())
    report = service.index()
    assert report.warnings == [
        "2026-03-02.md: embedding failed (ValueError: the embedder returned shape (1, 8) for 1 texts "
        "of dim 64); the note is in keyword search only until a sync embeds it"]
    assert stored_paths(service) == ["2026-03-01.md"]


def test_a_broken_embedder_stops_the_run_with_one_error(tmp_path):
    class BrokenEmbedder(FakeEmbedder):
        calls = 0

        def embed_passages(self, texts):
            BrokenEmbedder.calls += 1
            raise OSError("model file vanished")

    vault = tmp_path / "v"
    for day in range(1, 20):
        write_note(vault, f"2026-04-{day:02d}.md", [f"note{day}"])
    service = service_for(vault, BrokenEmbedder())
    report = service.index()
    assert len(report.warnings) == MAX_FAILED_NOTES_IN_A_ROW
    assert report.errors and report.errors[0].startswith(
        f"embedding stopped: {MAX_FAILED_NOTES_IN_A_ROW} notes in a row failed")
    assert report.embedded == 0 and BrokenEmbedder.calls <= 1 + MAX_FAILED_NOTES_IN_A_ROW
    assert len(service.keyword_index().entries) == 19  # keyword search still has every note


def test_keyword_index_tokenises_each_text_once():
    class CountingTokenizer:
        name = "counting"

        def __init__(self):
            self.inner = get_tokenizer("ngram")
            self.seen = 0

        def tokenize(self, text):
            return self.inner.tokenize(text)

        def tokenize_many(self, texts):
            self.seen += len(texts)
            return self.inner.tokenize_many(texts)

    tokenizer = CountingTokenizer()
    index = KeywordIndex(None, tokenizer)
    index.upsert([(f"a#{i}", "h1", 20261001, "같은 문장 same text", {}) for i in range(500)])
    assert tokenizer.seen == 1 and len(index.entries) == 500
    index.upsert([("b#0", "h1", 20261002, "같은 문장 same text", {}), ("b#1", "h2", 20261002, "다른 글", {})])
    assert tokenizer.seen == 2 and index.search("same", k=600) and len(index.search("same", k=600)) == 501


def test_cap_setting_from_environment(monkeypatch, tmp_path):
    assert Settings().embed_chunks_per_note == DEFAULT_EMBED_CHUNKS_PER_NOTE == 40
    monkeypatch.setenv("STUDYLOG_EMBED_CHUNKS_PER_NOTE", "50")
    assert load_settings(tmp_path / "none.toml").embed_chunks_per_note == 50
    monkeypatch.setenv("STUDYLOG_EMBED_CHUNKS_PER_NOTE", "lots")
    with pytest.raises(SettingsError, match="STUDYLOG_EMBED_CHUNKS_PER_NOTE='lots' is not a whole number"):
        load_settings(tmp_path / "none.toml")
