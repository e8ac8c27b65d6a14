"""`studylog bench search`: retrieval quality on the fixtures vault (Recall@1 / Recall@5 of
the note date) for vector-only, keyword-only (Kiwi and character n-grams), hybrid, and a
plain word-overlap baseline; the question set is resources/eval/questions.jsonl.

`compounds` asks for compound nouns of the fixtures in the other spelling (glued for a
spaced one and the reverse); the right notes are those that hold it either way."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from studylog.bench import bench_workspace
from studylog.resources import resources_dir

TODAY = dt.date(2026, 11, 28)  # the question set's "today" for relative dates

# Compound nouns the fixtures write glued or spaced; Kiwi keeps some glued ones as one noun.
COMPOUNDS = [
    ("리버스", "프록시"), ("단어", "임베딩"), ("날짜", "파싱"), ("노트", "청크"), ("기울기", "소실"),
    ("가중", "평균"), ("계산", "그래프"), ("다차원", "배열"), ("하이퍼", "파라미터"), ("미세", "조정"),
    ("선형", "회귀"), ("자동", "미분"), ("보안", "그룹"), ("환경", "변수"), ("오답", "노트"),
    ("메타", "데이터"), ("절대", "경로"), ("감성", "분석"), ("교차", "언어"), ("문장", "임베딩"),
    ("역할", "분담"), ("리랭커", "후보"), ("답변", "품질"), ("검색", "범위"),
]


def load_questions(path: Path | None = None) -> list[dict]:
    path = path or resources_dir() / "eval" / "questions.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _word_overlap(entries: dict, query: str, k: int) -> list[str]:
    """Baseline: notes ranked by how many of the query's whitespace words they contain."""
    words = {w.strip("?,.!").lower() for w in query.split() if len(w) > 1}
    best: dict[str, int] = {}
    for entry in entries.values():
        text = entry.meta.get("text", "").lower()
        score = sum(1 for w in words if w in text)
        best[entry.meta["date_iso"]] = max(best.get(entry.meta["date_iso"], 0), score)
    return [d for d, _ in sorted(best.items(), key=lambda kv: -kv[1])[:k]]


def _recall(ranked: list[list[str]], questions: list[dict], k: int) -> float:
    hits = sum(1 for dates, q in zip(ranked, questions, strict=True) if set(dates[:k]) & set(q["dates"]))
    return round(hits / len(questions), 3)


def _compound_recall(systems: dict, entries: dict) -> dict:
    """Recall@1/@5 of each keyword and hybrid system on `COMPOUNDS`, both spellings asked."""
    asked: list[tuple[str, set[str]]] = []
    for head, tail in COMPOUNDS:
        relevant = {e.meta["date_iso"] for e in entries.values()
                    if head + tail in e.meta["text"] or f"{head} {tail}" in e.meta["text"]}
        asked += [(head + tail, relevant), (f"{head} {tail}", relevant)]
    out = {}
    for name, (searcher, mode) in systems.items():
        if mode == "vector":
            continue
        ranked = [[h.date for h in searcher.search(query, k=5, mode=mode, today=TODAY).hits] for query, _ in asked]
        as_questions = [{"dates": sorted(relevant)} for _, relevant in asked]
        out[name] = {"recall@1": _recall(ranked, as_questions, 1), "recall@5": _recall(ranked, as_questions, 5)}
    return {"queries": len(asked), **out}


def evaluate(service, questions: list[dict]) -> dict:
    from studylog.search.hybrid import HybridSearcher
    from studylog.search.keyword import KeywordIndex
    from studylog.search.tokenize import get_tokenizer

    answerable = [q for q in questions if q.get("answerable", True)]
    kiwi_index = service.keyword_index()
    ngram_index = KeywordIndex(None, get_tokenizer("ngram"))
    ngram_index.upsert([(cid, e.hash, e.date, e.meta["text"], e.meta) for cid, e in kiwi_index.entries.items()])
    store, embedder = service.store(), service.embedder
    systems = {
        "vector": (HybridSearcher(store, kiwi_index, embedder), "vector"),
        "keyword_kiwi": (HybridSearcher(store, kiwi_index, embedder), "keyword"),
        "keyword_ngram": (HybridSearcher(store, ngram_index, embedder), "keyword"),
        "hybrid_kiwi": (HybridSearcher(store, kiwi_index, embedder), "hybrid"),
        "hybrid_ngram": (HybridSearcher(store, ngram_index, embedder), "hybrid"),
    }
    results: dict[str, dict] = {}
    misses: dict[str, list] = {}
    for name, (searcher, mode) in systems.items():
        ranked = []
        started = time.perf_counter()
        for q in answerable:
            hits = searcher.search(q["question"], k=5, mode=mode, today=TODAY).hits
            ranked.append([h.date for h in hits])
        per_query_ms = 1000 * (time.perf_counter() - started) / len(answerable)
        results[name] = {"recall@1": _recall(ranked, answerable, 1), "recall@5": _recall(ranked, answerable, 5),
                         "ms_per_query": round(per_query_ms, 1)}
        misses[name] = [q["id"] for dates, q in zip(ranked, answerable, strict=True) if not set(dates[:1]) & set(q["dates"])]
    ranked = [_word_overlap(kiwi_index.entries, q["question"], 5) for q in answerable]
    results["word_overlap_baseline"] = {"recall@1": _recall(ranked, answerable, 1), "recall@5": _recall(ranked, answerable, 5)}
    by_kind: dict[str, dict] = {}
    searcher = systems["hybrid_kiwi"][0]
    for kind in sorted({q["kind"] for q in answerable}):
        subset = [q for q in answerable if q["kind"] == kind]
        ranked = [[h.date for h in searcher.search(q["question"], k=5, today=TODAY).hits] for q in subset]
        by_kind[kind] = {"n": len(subset), "recall@1": _recall(ranked, subset, 1), "recall@5": _recall(ranked, subset, 5)}
    return {"questions": len(answerable), "systems": results, "hybrid_kiwi_by_kind": by_kind,
            "hybrid_kiwi_misses_at_1": misses["hybrid_kiwi"],
            "compounds": _compound_recall(systems, kiwi_index.entries)}


def bench_search(args: argparse.Namespace) -> dict:
    from studylog.config import Settings
    from studylog.service import StudyLogService

    _, vault = bench_workspace(args, "search")
    service = StudyLogService(settings=Settings(), vault=vault)
    service.index()
    return evaluate(service, load_questions())
