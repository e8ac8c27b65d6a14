"""Evidence first: verbatim sentences from the sources that best support the answer, and the
checks that decide in code (not by the model) when to decline or fall back.

Small local models answer Korean unreliably and rarely cite or decline on their own, so
every answer carries quotes from the notes, and a degenerate or unsupported generation is
replaced by an extractive answer built from those quotes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from studylog.rag.citations import CITATION, marked_numbers
from studylog.rag.types import Evidence, Source

Tokenize = Callable[[str], list[str]]

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。])\s+|\n+")
_MARKUP = re.compile(r"^[\s>*\-•·\d.)#|]+")


def sentences(text: str) -> list[str]:
    """Quotable units: lines and sentences, without list markers, skipping code fences."""
    units: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if line.strip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or not line.strip() or line.strip().startswith("|---"):
            continue
        for piece in _SENTENCE_SPLIT.split(line):
            piece = _MARKUP.sub("", piece).strip()
            if len(piece) >= 8:
                units.append(piece)
    return units


def _overlap(a: Counter, b: set[str]) -> float:
    if not a:
        return 0.0
    return sum(count for token, count in a.items() if token in b) / sum(a.values())


def select_evidence(
    question: str, answer: str, sources: Sequence[Source], tokenize: Tokenize, limit: int = 3
) -> list[Evidence]:
    """The `limit` sentences most similar to the question and the answer, quoted verbatim."""
    question_tokens = set(tokenize(question))
    answer_tokens = set(tokenize(answer)) if answer else set()
    scored: list[tuple[float, int, Evidence]] = []
    for rank, source in enumerate(sources):
        units = sentences(source.text)
        scores = []
        for sentence in units:
            tokens = set(tokenize(sentence))
            overlap = len(question_tokens & tokens) + 0.5 * len(answer_tokens & tokens)
            scores.append(overlap / (1 + 0.01 * len(sentence)))
        # A note often asks its own question ("왜 √d_k 로 나누나?") and answers it in the next
        # lines: those lines inherit most of the question line's match.
        for i, sentence in enumerate(units):
            if scores[i] > 0 and sentence.rstrip().endswith(("?", ":", "？")):
                for j in (i + 1, i + 2):
                    if j < len(units):
                        scores[j] += 0.9 * scores[i]
                scores[i] *= 0.5
        weight = 0.5 if source.section == "scrum" else 1.0  # goals say what was planned, not learned
        for sentence, score in zip(units, scores, strict=True):
            score = score * weight - 0.05 * rank
            if score > 0:
                quote = Evidence(n=source.n, date=source.date, quote=sentence, path=source.path,
                                 start_line=source.start_line, score=round(score, 4))
                scored.append((score, -rank, quote))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    chosen: list[Evidence] = []
    for _, _, quote in scored:
        if all(quote.quote != c.quote for c in chosen):
            chosen.append(quote)
        if len(chosen) == limit:
            break
    return chosen


def is_degenerate(text: str) -> str:
    """Why a generation is unusable ("" when it is fine): empty, or looping."""
    stripped = text.strip()
    words_only = re.sub(r"\[[\d,\s]*\]|[\W_]+", "", stripped)
    if len(words_only) < 4:  # nothing but citations and punctuation ("[1]")
        return "the model produced no answer"
    if "\ufffd" in stripped:  # broken byte sequences: the model lost track of UTF-8
        return "the model produced garbled text"
    lines = [line.strip() for line in stripped.splitlines() if line.strip()]
    if len(lines) >= 4 and len(set(lines)) <= len(lines) / 2:
        return "the model repeated itself"
    words = stripped.split()
    if len(words) >= 24:
        grams = [" ".join(words[i : i + 4]) for i in range(len(words) - 3)]
        most = Counter(grams).most_common(1)[0][1]
        if most >= 4 and most * 4 > len(words) / 3:
            return "the model repeated itself"
    if len(stripped) >= 60:
        for size in (2, 3, 4, 5, 6):
            chunk = stripped[-size:]
            if stripped.endswith(chunk * max(6, 30 // size)):
                return "the model repeated itself"
    return ""


def support(answer: str, sources: Sequence[Source], tokenize: Tokenize) -> float:
    """Share of the answer's content tokens found in the sources (0..1)."""
    answer_tokens = Counter(tokenize(answer))
    source_tokens: set[str] = set()
    for source in sources:
        source_tokens.update(tokenize(source.text))
    return _overlap(answer_tokens, source_tokens)


REATTRIBUTE_MIN_SHARE = 0.5
"""A claim is moved to another source only when that source holds at least half its words..."""
REATTRIBUTE_MARGIN = 0.2
"""...and at least this share more of them than every source it cited."""


def reattribute_citations(
    text: str, sources: Sequence[Source], tokenize: Tokenize
) -> tuple[str, list[int], int]:
    """Point each citation at the source its claim was actually taken from.

    Small models copy a sentence from one source and cite another (often [1]; measured on the
    1.5B: the √d_k explanation of 2026-10-14 cited as the 2026-10-30 note). The claim of a
    citation is the text since the previous citation; when another source holds clearly more of
    its words than the cited ones (`REATTRIBUTE_MIN_SHARE`, `REATTRIBUTE_MARGIN`), the citation
    is replaced by that source, and the cited source's date in the claim by the new one's.
    Returns (text, cited numbers in order, how many citations were moved).
    """
    by_n = {source.n: source for source in sources}
    words = {n: set(tokenize(f"{s.heading_path} {s.text}")) for n, s in by_n.items()}
    pieces: list[str] = []
    cited: list[int] = []
    moved = 0
    cursor = 0
    for match in CITATION.finditer(text):
        claim = text[cursor : match.start()]
        numbers = marked_numbers(match)
        claim_tokens = Counter(tokenize(claim))
        shares = {n: _overlap(claim_tokens, words[n]) for n in words}
        best = max(shares, key=lambda n: (shares[n], -n)) if shares else None
        cited_best = max((shares.get(n, 0.0) for n in numbers), default=0.0)
        if (
            best is not None
            and best not in numbers
            and shares[best] >= REATTRIBUTE_MIN_SHARE
            and shares[best] - cited_best >= REATTRIBUTE_MARGIN
        ):
            for n in numbers:
                if n in by_n and by_n[n].date != by_n[best].date:
                    claim = claim.replace(by_n[n].date, by_n[best].date)
            numbers = [best]
            moved += 1
        pieces.append(claim + f"[{', '.join(map(str, numbers))}]")
        cited.extend(n for n in numbers if n not in cited)
        cursor = match.end()
    pieces.append(text[cursor:])
    return "".join(pieces), cited, moved


def question_coverage(question: str, sources: Sequence[Source], tokenize: Tokenize) -> float:
    """Share of the question's content tokens that appear in the retrieved sources."""
    tokens = set(tokenize(question))
    if not tokens:
        return 1.0
    found: set[str] = set()
    for source in sources:
        found.update(tokens & set(tokenize(source.text + " " + source.heading_path)))
    return len(found) / len(tokens)


def extractive_answer(evidence: Sequence[Evidence], language: str, reason: str) -> str:
    """An answer made only of quotes from the notes, saying plainly why."""
    if language == "ko":
        head = f"({reason} — 노트에서 찾은 문장을 그대로 보여 드립니다.)"
    else:
        head = f"({reason} — here is what your notes say, quoted as written.)"
    lines = [head] + [f"- {e.quote} [{e.n}]" for e in evidence]
    return "\n".join(lines)


FALLBACK_REASONS = {
    "ko": {
        "empty": "모델이 답을 만들지 못했습니다",
        "garbled": "모델 답변이 깨져서 보여 드릴 수 없습니다",
        "loop": "모델 답변이 반복되어 중단했습니다",
        "unsupported": "모델 답변이 노트 내용과 맞지 않습니다",
        "uncited": "모델 답변이 노트를 인용하지 않았습니다",
    },
    "en": {
        "empty": "The model produced no answer",
        "garbled": "The model's answer came out garbled",
        "loop": "The model's answer started repeating itself",
        "unsupported": "The model's answer does not match your notes",
        "uncited": "The model's answer cited none of your notes",
    },
}

NOT_FOUND = {
    "ko": "노트에서 이 질문에 대한 내용을 찾지 못했습니다.",
    "en": "I could not find this in your notes.",
}
NO_NOTE_ON = {
    "ko": "{label}에 작성한 노트가 없습니다.",
    "en": "You have no note on {label}.",
}
