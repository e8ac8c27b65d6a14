"""Related notes: vector + keyword over the index, one hit per note, never the note itself."""

from __future__ import annotations

import json

import pytest

from studylog import cli
from studylog.config import Settings
from studylog.index import embedders
from studylog.index.chunker import chunk_note
from studylog.notes.parser import parse_note
from studylog.search.keyword import KeywordIndex
from studylog.search.related import VectorCache, doc_freq, query_chunks, salient_terms
from studylog.search.tokenize import get_tokenizer
from studylog.service import StudyLogService

ATTENTION = "2026-10-14.md"


@pytest.fixture
def indexed(fixtures_vault, fake_embedder) -> StudyLogService:
    service = StudyLogService(settings=Settings(), vault=fixtures_vault, embedder=fake_embedder)
    service.index()
    return service


def test_related_excludes_the_note_and_gives_one_hit_per_note(indexed):
    result = indexed.related("2026-10-14", k=5)
    assert result.note == ATTENTION and result.date == "2026-10-14"
    paths = [h.path for h in result.hits]
    assert len(result.hits) == 5 and len(set(paths)) == 5
    assert ATTENTION not in paths
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    for hit in result.hits:
        assert hit.date and hit.text and hit.start_line >= 0
        assert hit.shared_terms, hit  # every hit says why
    # The fake embedder's vectors carry no meaning, so only the keyword side ranks here: the top 3
    # must hold one of the other attention notes (hand-judged: 10-15 transformer, 10-30 the
    # attention quiz review, 11-11 self-attention), not which one comes first.
    assert {"2026-10-15.md", "2026-10-30.md", "2026-11-11.md"} & set(paths[:3])


def test_shared_terms_are_in_both_notes(indexed):
    tokenize = indexed.keyword_index().tokenizer.tokenize
    own = set(tokenize((indexed.vault.root / ATTENTION).read_text(encoding="utf-8")))
    for hit in indexed.related(ATTENTION, k=3).hits:
        entry = indexed.keyword_index().get(hit.chunk_id)
        for term in hit.shared_terms:
            assert term in own and term in entry.tokens


def test_unsaved_text_is_what_counts(indexed):
    """The editor's text, not the file's: writing about LoRA finds the LoRA notes."""
    path = indexed.vault.root / "2026-11-26.md"
    text = ("---\ndate: 2026-11-26\n---\n### 새로 배운 내용\n"
            "LoRA fine-tuning 에서 rank r 과 alpha 를 바꿔 가며 adapter 학습을 다시 해 봤다. "
            "GPU 메모리 OOM 이 나서 batch 를 줄이고 gradient accumulation 을 썼다.\n")
    result = indexed.related(path, text=text, k=3)
    assert result.note == "2026-11-26.md"
    lora_notes = {p.name for p in indexed.vault.root.glob("*.md") if "lora" in p.read_text(encoding="utf-8").lower()}
    assert lora_notes & {h.path for h in result.hits}
    assert all(h.path != "2026-11-26.md" for h in result.hits)


def test_an_empty_template_says_why_nothing_is_listed(indexed):
    path = indexed.vault.root / "2026-12-01.md"
    result = indexed.related(path, text="### 스크럼\n\n### 새로 배운 내용\n\n### 오늘의 회고\n")
    assert result.hits == [] and "too little text" in result.message


def test_unchanged_chunks_reuse_stored_vectors_and_edits_are_cached(indexed, fake_embedder):
    before = fake_embedder.embedded
    indexed.related(ATTENTION)
    assert fake_embedder.embedded == before  # every chunk unchanged since the index pass
    text = (indexed.vault.root / ATTENTION).read_text(encoding="utf-8") + "\n\n추가로 적은 문단: layer norm 위치\n"
    indexed.related(indexed.vault.root / ATTENTION, text=text)
    once = fake_embedder.embedded - before
    assert once >= 1
    indexed.related(indexed.vault.root / ATTENTION, text=text)
    assert fake_embedder.embedded - before == once  # the edited chunk's vector was remembered


def test_unknown_note_is_a_clear_error(indexed):
    from studylog.notes.model import NoteError

    with pytest.raises(NoteError, match="no note on 2026-12-25"):
        indexed.related("2026-12-25")
    with pytest.raises(NoteError, match="no such note"):
        indexed.related("nowhere.md")


def test_salient_terms_leave_out_common_words():
    index = KeywordIndex(None, get_tokenizer("kiwi"))
    rows = [(f"n{i}#0", f"h{i}", 20261001 + i, f"2026-10-{i + 1:02d} · 새로 배운 내용\n주제 {i} 정리", {})
            for i in range(10)]
    rows.append(("x#0", "hx", 20261020, "2026-10-20 · 새로 배운 내용\nLoRA adapter rank", {}))
    index.upsert(rows)
    tokens = get_tokenizer("kiwi").tokenize("2026-10-21 · 새로 배운 내용\nLoRA adapter 를 다시 배운 내용")
    terms = salient_terms(tokens, doc_freq(index), 5)
    assert "lora" in terms and "adapter" in terms
    assert "배우" not in terms and "내용" not in terms and "2026" not in terms


def test_query_chunks_skip_empty_template_sections(fixtures_vault):
    path = fixtures_vault / ATTENTION
    note = parse_note(path, path.read_bytes())
    chunks = chunk_note(note, ATTENTION)
    assert query_chunks(chunks) and all(len(c.body) >= 40 for c in query_chunks(chunks))


def test_vector_cache_is_bounded():
    import numpy as np

    cache = VectorCache(size=2)
    for key in "abc":
        cache.put(key, np.zeros(2))
    assert cache.get("a") is None and cache.get("c") is not None


def test_cli_related_json_shape(capsys, fixtures_vault, fake_embedder, monkeypatch):
    monkeypatch.setattr(embedders, "load_embedder", lambda spec, allow_network=False: fake_embedder)
    assert cli.main(["index", "--vault", str(fixtures_vault), "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["related", "2026-10-14", "--vault", str(fixtures_vault), "-k", "3", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["note"] == ATTENTION
    assert len(payload["related"]) == 3
    for hit in payload["related"]:
        assert {"date", "path", "section", "score", "text", "shared_terms"} <= hit.keys()
    assert cli.main(["related", ATTENTION, "--vault", str(fixtures_vault), "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"» related to {ATTENTION}") and "shared:" in out


def test_cli_related_before_index_is_a_clear_error(capsys, fixtures_vault, fake_embedder, monkeypatch):
    monkeypatch.setattr(embedders, "load_embedder", lambda spec, allow_network=False: fake_embedder)
    assert cli.main(["related", "2026-10-14", "--vault", str(fixtures_vault)]) == 1
    assert "run `studylog index` first" in capsys.readouterr().err


def test_related_runs_in_the_core_process(fixtures_vault):
    """The GUI's path: RemoteService sends path and unsaved text to the child, a plain result returns."""
    from studylog.core_process import RemoteService

    service = RemoteService(Settings(), fixtures_vault, factory="tests.core_factories:scripted_service")
    try:
        service.index()
        text = (fixtures_vault / ATTENTION).read_text(encoding="utf-8") + "\n새로 쓴 문단: multi-head attention\n"
        result = service.related(fixtures_vault / ATTENTION, text=text, k=3)
        assert result.note == ATTENTION and len(result.hits) == 3
        assert all(hit.path != ATTENTION for hit in result.hits)
    finally:
        service.close()
