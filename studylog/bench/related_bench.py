"""`studylog bench related`: are the related notes related, and how fast does the list follow?

Quality: 10 notes of the fixtures vault, each with the notes judged related to it by hand
(read from the notes' topics before looking at any result, listed in `JUDGED` with why);
the figure is the share of those 10 whose top 3 holds at least one judged-related note,
plus precision@3 (judged-related hits among the top 3). Every top 3 is printed so the
judgement can be checked by reading.
Latency: the real window, from a typing pause to the updated list (`studylog.gui.related_bench`).
"""

from __future__ import annotations

import argparse
import time

# note -> (notes a reader would call related, why)
JUDGED: dict[str, tuple[set[str], str]] = {
    "2026-10-14": ({"2026-10-15", "2026-10-16", "2026-10-30", "2026-10-12", "2026-10-13"},
                   "attention: the transformer, the encoder block, the attention review, RNN/seq2seq before it"),
    "2026-10-22": ({"2026-10-23", "2026-10-21", "2026-11-03"},
                   "LoRA/PEFT: the LoRA re-run, Trainer fine-tuning, RAG vs fine-tuning"),
    "2026-09-21": ({"2026-09-17", "2026-09-22", "2026-11-13", "2026-11-19"},
                   "CORS fix + Docker: CORS day, docker compose/volumes, the Chroma volume bug, deployment"),
    "2026-09-14": ({"2026-09-15", "2026-09-17"}, "SQL: indexes/window functions/CTE, SQLAlchemy"),
    "2026-09-07": ({"2026-09-08"}, "Git: branches, pull requests, merge vs rebase"),
    "2026-10-06": ({"2026-10-07", "2026-10-12", "2026-10-01"},
                   "CNN: the CIFAR-10 model, its loss-nan fix, nn.Module/MNIST"),
    "2026-10-28": ({"2026-10-29", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-19"},
                   "embeddings: splitter/retriever, vector DBs, RAG, retrieval metrics, embedding on CPU"),
    "2026-11-02": ({"2026-10-28", "2026-10-29", "2026-11-03", "2026-11-13", "2026-11-11"},
                   "vector DB/Chroma: embeddings, retriever, RAG, the Chroma bug, metadata filtering"),
    "2026-10-27": ({"2026-10-26", "2026-10-29", "2026-11-03"}, "LCEL: LangChain basics, retriever, the RAG chain"),
    "2026-09-29": ({"2026-09-30", "2026-10-01"}, "tensors: autograd and the training loop, nn.Module"),
}


def bench_related(args: argparse.Namespace) -> dict:
    from studylog.bench import bench_workspace
    from studylog.service import StudyLogService

    work, vault = bench_workspace(args, "related")
    service = StudyLogService(vault=vault)
    started = time.perf_counter()
    report = service.index()
    index_s = time.perf_counter() - started
    rows = []
    for date, (related, why) in JUDGED.items():
        result = service.related(date, k=3)
        top = [hit.date for hit in result.hits]
        good = [d for d in top if d in related]
        rows.append({"note": date, "top3": top, "judged_related": sorted(related), "why": why,
                     "hit": bool(good), "precision": len(good) / 3, "seconds": round(result.seconds, 3),
                     "shared_terms": [hit.shared_terms for hit in result.hits]})
    figures: dict = {
        "vault": str(vault),
        "embedder": service.settings.embedder,
        "index_s": round(index_s, 1),
        "chunks": report.chunks,
        "top3_hit_share": sum(r["hit"] for r in rows) / len(rows),
        "precision_at_3": round(sum(r["precision"] for r in rows) / len(rows), 3),
        "core_seconds_median": sorted(r["seconds"] for r in rows)[len(rows) // 2],
        "notes": rows,
    }
    from studylog.gui.related_bench import measure_related_latency

    figures["gui"] = measure_related_latency(vault)
    return figures
