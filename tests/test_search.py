"""Keyword tokenizers, BM25, fusion and hybrid search with date scoping."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from studylog.config import Settings
from studylog.search.fusion import convex_fusion, min_max, rank_notes
from studylog.search.keyword import KeywordIndex
from studylog.search.tokenize import get_tokenizer
from studylog.service import StudyLogService

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize("kind", ["kiwi", "ngram"])
@pytest.mark.parametrize("variant", ["어텐션을", "어텐션이란", "어텐션에서", "어텐션은"])
def test_korean_particles_match_the_stem(kind, variant):
    index = KeywordIndex(None, get_tokenizer(kind))
    index.upsert([
        ("a", "h1", 20261014, "어텐션 메커니즘 정리", {}),
        ("b", "h2", 20261015, "CNN 합성곱 필터", {}),
    ])
    assert index.search(variant, k=2)[0][0] == "a"


def test_kiwi_drops_particles_and_keeps_english():
    tokens = get_tokenizer("kiwi").tokenize("LoRA 학습이 왜 터졌지? learning rates를 바꿨다")
    assert "lora" in tokens and "learning" in tokens and "rate" in tokens
    assert "이" not in tokens and "를" not in tokens


def test_bm25_date_range_and_persistence(tmp_path):
    path = tmp_path / "kw.json"
    index = KeywordIndex(path, get_tokenizer("kiwi"))
    index.upsert([
        ("a", "h1", 20261014, "softmax axis 실수", {"date_iso": "2026-10-14"}),
        ("b", "h2", 20261101, "softmax 온도", {"date_iso": "2026-11-01"}),
    ])
    index.save()
    reloaded = KeywordIndex(path, get_tokenizer("kiwi"))
    assert [cid for cid, _ in reloaded.search("softmax", 5, [(20261101, 20261130)])] == ["b"]
    assert reloaded.hashes() == {"a": "h1", "b": "h2"}


def test_keyword_cache_from_another_tokenizer_is_ignored(tmp_path):
    path = tmp_path / "kw.json"
    index = KeywordIndex(path, get_tokenizer("ngram"))
    index.upsert([("a", "h", 20261014, "어텐션", {})])
    index.save()
    assert KeywordIndex(path, get_tokenizer("kiwi")).entries == {}


def test_min_max_maps_each_list_onto_0_1():
    assert min_max([("a", 9.0), ("b", 4.0), ("c", 1.0)]) == {"a": 1.0, "b": 0.375, "c": 0.0}
    assert min_max([("a", 0.0), ("b", 0.0)]) == {"a": 1.0, "b": 1.0}  # a date-only question
    assert min_max([]) == {}


def test_convex_fusion_keeps_a_retrievers_margin():
    # BM25 puts "a" far ahead; the vector cosines are close. Rank fusion would tie a and b.
    keyword = [("a", 20.0), ("b", 5.0), ("c", 4.0)]
    vector = [("b", 0.85), ("a", 0.84), ("c", 0.80)]
    fused = convex_fusion([vector, keyword], [0.35, 0.65])
    assert [item for item, _ in fused] == ["a", "b", "c"]
    assert pytest.approx(fused[0][1]) == 0.35 * 0.8 + 0.65


def test_convex_fusion_prefers_agreement():
    fused = convex_fusion([[("a", 3), ("b", 2), ("c", 1)], [("b", 3), ("c", 2), ("a", 1)]], [0.5, 0.5])
    assert fused[0][0] == "b"


def test_rank_notes_adds_a_share_of_further_chunks():
    note = {"x1": "x", "x2": "x", "x3": "x", "y1": "y"}.__getitem__
    fused = [("y1", 1.0), ("x1", 0.9), ("x2", 0.5), ("x3", 0.3)]
    assert rank_notes(fused, note, share=0.0) == [("y1", 1.0), ("x1", 0.9)]
    ranked = rank_notes(fused, note, share=0.25)  # x: 0.9 + 0.25 * 0.8 = 1.1
    assert [item for item, _ in ranked] == ["x1", "y1"] and pytest.approx(ranked[0][1]) == 1.1


@pytest.mark.parametrize("text, term", [
    ("노트가 1만 개로 늘어나면", "10000"), ("grow to 10,000 notes", "10000"), ("10000개", "10000"),
    ("3천 개", "3000"), ("1.5만 명", "15000"), ("정확도 0.887", "0.887"), ("1,000,000 rows", "1000000"),
    ("1" * 5000, "1" * 5000), ("python 3.10 설치", "3.10"),
])
def test_numbers_have_one_spelling_across_languages(text, term):
    assert term in get_tokenizer("kiwi").tokenize(text)


def test_a_korean_count_finds_the_english_number():
    index = KeywordIndex(None, get_tokenizer("kiwi"))
    index.upsert([
        ("a", "h1", 20261124, "심사위원 질문: 노트가 1만 개로 늘어나면?", {}),
        ("b", "h2", 20261125, "노트 100개 정리", {}),
    ])
    assert index.search("what if the notes grow to 10,000?", k=2)[0][0] == "a"


@pytest.fixture
def indexed(fixtures_vault, fake_embedder):
    service = StudyLogService(settings=Settings(), vault=fixtures_vault, embedder=fake_embedder)
    service.index()
    return service


def test_hybrid_finds_the_note_and_carries_fields(indexed):
    result = indexed.search("scaled dot-product attention √d_k 나누는 이유", today=TODAY)
    top = result.hits[0]
    assert top.date == "2026-10-14" and top.path == "2026-10-14.md"
    assert top.section in {"learned", "scrum"} and top.score > 0 and top.text
    payload = result.to_json()
    assert set(payload["hits"][0]) >= {"date", "path", "section", "score", "text"}


def test_date_scope_from_query_filters(indexed):
    result = indexed.search("What did I fix on 2026-10-14?", today=TODAY)
    assert result.scope is not None and {h.date for h in result.hits} == {"2026-10-14"}
    result = indexed.search("10월 둘째 주에 배운 것", today=TODAY)
    assert result.hits and all("2026-10-05" <= h.date <= "2026-10-11" for h in result.hits)


def test_date_options_filter(indexed):
    result = indexed.search("어텐션", since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30), today=TODAY)
    assert result.hits and all(h.date.startswith("2026-11") for h in result.hits)


def test_a_date_without_notes_says_so(indexed):
    result = indexed.search("10월 18일에 뭐 했지?", today=TODAY)
    assert result.hits == [] and "no note on 2026-10-18" in result.message


def test_false_dates_do_not_filter(indexed):
    result = indexed.search("CIFAR-10 정확도", today=TODAY)
    assert result.scope is None and result.hits


def test_one_hit_per_note(indexed):
    result = indexed.search("어텐션", k=10, today=TODAY)
    paths = [h.path for h in result.hits]
    assert len(paths) == len(set(paths)) == 10


def test_empty_query_is_refused(indexed):
    with pytest.raises(ValueError, match="empty"):
        indexed.search("   ")


def test_a_range_keeps_every_day_in_it(indexed):
    result = indexed.search("10월 13일부터 15일까지 배운 것", k=10, today=TODAY)
    assert (result.scope.start, result.scope.end) == (dt.date(2026, 10, 13), dt.date(2026, 10, 15))
    assert {h.date for h in result.hits} == {"2026-10-13", "2026-10-14", "2026-10-15"}


def test_a_list_of_dates_filters_to_those_days_only(indexed):
    result = indexed.search("10월 13일이랑 10월 15일에 배운 것", k=10, today=TODAY)
    assert {h.date for h in result.hits} == {"2026-10-13", "2026-10-15"}  # not the 14th between
    scope = result.to_json()["scope"]
    assert scope["start"] == "2026-10-13" and scope["end"] == "2026-10-15"
    assert scope["ranges"] == [{"start": "2026-10-13", "end": "2026-10-13"},
                               {"start": "2026-10-15", "end": "2026-10-15"}]
    vector_only = indexed.search("10월 13일이랑 10월 15일에 배운 것", k=10, today=TODAY, mode="vector")
    assert {h.date for h in vector_only.hits} == {"2026-10-13", "2026-10-15"}  # Chroma `$or`


def test_json_scope_is_null_without_dates(indexed):
    assert indexed.search("CIFAR-10 정확도", today=TODAY).to_json()["scope"] is None


def test_cli_search_today_anchors_relative_dates(capsys, fixtures_vault, fake_embedder, monkeypatch):
    from studylog import cli
    from studylog.index import embedders

    monkeypatch.setattr(embedders, "load_embedder", lambda spec, allow_network=False: fake_embedder)
    assert cli.main(["index", "--vault", str(fixtures_vault)]) == 0
    capsys.readouterr()
    assert cli.main(["search", "--vault", str(fixtures_vault), "--json", "--today", "2026-11-29",
                     "지난달 첫째 주에 뭐 배웠지", "CIFAR-10 정확도"]) == 0
    dated, undated = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert dated["scope"] == {"start": "2026-09-28", "end": "2026-10-04"}
    assert dated["hits"] and all("2026-09-28" <= h["date"] <= "2026-10-04" for h in dated["hits"])
    assert undated["scope"] is None


# --- Korean compounds written glued or spaced ----------------------------------------------

COMPOUND_NOTES = [
    ("glued", "h1", 20261001, "RNN 폭주를 그래디언트클리핑으로 막았다. 배치정규화도 복습했다.", {}),
    ("spaced", "h2", 20261002, "RNN 학습에 그래디언트 클리핑을 적용했다. 배치 정규화와 비교했다.", {}),
    ("part-a", "h3", 20261003, "그래디언트 계산. 그래디언트 흐름. 그래디언트 폭주. 배치 크기는 32.", {}),
    ("part-b", "h4", 20261004, "정규화 기법 정리: 입력 정규화, 정규화 위치, 클리핑 범위.", {}),
    ("other", "h5", 20261005, "어텐션 메커니즘과 트랜스포머", {}),
]


@pytest.fixture(scope="module")
def compound_index():
    index = KeywordIndex(None, get_tokenizer("kiwi"))
    index.upsert(COMPOUND_NOTES)
    return index


@pytest.mark.parametrize("query", ["그래디언트 클리핑", "그래디언트클리핑", "그래디언트 클리핑을 쓴 날"])
def test_glued_and_spaced_compounds_meet(compound_index, query):
    top_two = {cid for cid, _ in compound_index.search(query, k=5)[:2]}
    assert top_two == {"glued", "spaced"}  # above "part-a", which only repeats 그래디언트


@pytest.mark.parametrize("query", ["배치 정규화", "배치정규화", "배치정규화 적용"])
def test_batch_norm_both_spellings_rank_above_a_shared_part(compound_index, query):
    top_two = {cid for cid, _ in compound_index.search(query, k=5)[:2]}
    assert top_two == {"glued", "spaced"}  # above "part-b" (정규화) and "part-a" (배치)


def test_kiwi_emits_joined_nouns_but_not_across_particles_or_lines():
    tokens = get_tokenizer("kiwi").tokenize("그래디언트 클리핑을 적용\n배치 크기")
    assert {"그래디언트", "클리핑", "그래디언트클리핑", "배치크기"} <= set(tokens)
    assert "클리핑적용" not in tokens and "적용배치" not in tokens
    three = get_tokenizer("kiwi").tokenize("경사 하강법")
    assert "경사하강법" in three  # 경사 + 하강 + 법, as Kiwi reads the glued 경사하강법


def test_a_glued_compound_is_found_by_one_of_its_parts(compound_index):
    # "클리핑" alone: the glued note's 그래디언트클리핑 is split against the index vocabulary.
    assert "glued" in {cid for cid, _ in compound_index.search("클리핑", k=5)}


def test_an_unseen_glued_query_is_split_into_known_words():
    index = KeywordIndex(None, get_tokenizer("kiwi"))
    index.upsert([("a", "h1", 20261001, "청크를 노트마다 나눴다", {}), ("b", "h2", 20261002, "임베딩 모델", {})])
    assert get_tokenizer("kiwi").tokenize("노트청크") == ["노트청크"]  # one noun to Kiwi
    assert [cid for cid, _ in index.search("노트청크", k=2)] == ["a"]


def test_ngram_fallback_meets_both_spellings_too():
    index = KeywordIndex(None, get_tokenizer("ngram"))
    index.upsert(COMPOUND_NOTES)
    for query in ("그래디언트 클리핑", "그래디언트클리핑"):
        assert {cid for cid, _ in index.search(query, k=5)[:2]} == {"glued", "spaced"}
