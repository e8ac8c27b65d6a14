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


# What a question asks for. A "why" question is answered by a cause or a purpose, a "how"
# question by a method or a fix; lines that state one are preferred as evidence.
_ASKS_WHY = re.compile(r"왜|이유|까닭|원인|목적|\bwhy\b|\breasons?\b|\bpurpose\b", re.IGNORECASE)
_ASKS_HOW = re.compile(r"어떻게|방법|해결|고치|\bhow\b|\bfix(?:ed)?\b|\bsolve", re.IGNORECASE)
_STATES_WHY = re.compile(
    r"때문|이유|므로|니까|해서|려고|위해|위한|도록|방지|막기|막으려|→|->|=>|"
    r"\bbecause\b|\bso that\b|\bto (?:prevent|avoid|keep)\b|\bsince\b|\btherefore\b|"
    r"\bhence\b|\bcaus(?:e|es|ed)\b|\bleads? to\b|\botherwise\b",
    re.IGNORECASE,
)
_STATES_HOW = re.compile(
    r"해결|고쳤|고침|바꿔|바꾸|바꿨|변경|수정|설정|추가|사용|으로 해|로 해|→|->|=>|"
    r"\bfix(?:ed)?\b|\bsolved?\b|\bchang(?:e|ed)\b|\bset\b|\bused?\b|\binstead\b",
    re.IGNORECASE,
)
# Questions about the plan itself ("그날 학습 목표가 뭐였지?") are answered by the goal lines.
_ASKS_GOALS = re.compile(
    r"목표|계획|스크럼|할 일|\bgoals?\b|\bplan(?:s|ned)?\b|\bscrum\b|\bstand-?up\b", re.IGNORECASE
)
_GOAL_LINE = re.compile(r"^(?:학습\s*|오늘의?\s*)?목표\s*\d*\s*[:：]|^(?:daily\s+)?goal\s*\d*\s*[:：]",
                        re.IGNORECASE)
EXPLAINS_BONUS = 1.5
"""A line that states the relation asked about (a cause for "why", a fix for "how") counts this
much more than one that only shares the question's words."""
GOAL_WEIGHT = 0.1
"""A scrum goal line says what was planned, not what was learned: it is quoted only when nothing
else matches (or when the question asks about the plan)."""


def asked_relation(question: str) -> str:
    """'why', 'how' or '' for what the question asks of the notes."""
    if _ASKS_WHY.search(question):
        return "why"
    if _ASKS_HOW.search(question):
        return "how"
    return ""


# Words that ask for one section of the daily template. "What did I fix on 2026-10-14?" shares
# no word with a Korean note, yet asks for its 도전 과제와 해결 방법: such a word counts as found
# in the sources when a source is from that section.
_SECTION_WORDS: dict[str, re.Pattern[str]] = {
    "challenges": re.compile(
        r"\bfix(?:ed|es)?\b|\bsolv(?:e|ed)\b|\bproblems?\b|\bchallenges?\b|\bissues?\b|"
        r"\bbugs?\b|\berrors?\b|\btroubleshoot|해결|고친|고쳤|고치|문제|도전|에러|오류|트러블",
        re.IGNORECASE,
    ),
    "learned": re.compile(r"\blearn(?:ed|t)?\b|\bstudied\b|배운|배웠|공부", re.IGNORECASE),
    "scrum": re.compile(r"\bgoals?\b|\bplan(?:ned|s)?\b|목표|계획", re.IGNORECASE),
    "retro": re.compile(r"\bretro(?:spective)?\b|\breflect|회고|느낀", re.IGNORECASE),
    "links": re.compile(r"\blinks?\b|\breferences?\b|\bresources?\b|링크|참고", re.IGNORECASE),
}


def asked_sections(question: str) -> set[str]:
    """The template sections (SectionKind values) a question asks for by name or by verb."""
    return {section for section, words in _SECTION_WORDS.items() if words.search(question)}


def asks_about_goals(question: str) -> bool:
    """Whether the question asks about a day's plan, so goal lines answer it."""
    return bool(_ASKS_GOALS.search(question))


def is_goal_line(sentence: str, section: str) -> bool:
    """A planned goal (a scrum section's line, or a "학습 목표 N:" line anywhere)."""
    return section == "scrum" or bool(_GOAL_LINE.match(sentence))


def states_relation(sentence: str, relation: str) -> bool:
    """Whether the sentence states a cause/purpose ("why") or a method/fix ("how")."""
    pattern = {"why": _STATES_WHY, "how": _STATES_HOW}.get(relation)
    return bool(pattern and pattern.search(sentence))


def sentences(text: str) -> list[str]:
    """Quotable units: lines and sentences, without list markers, skipping code fences and
    headings (a heading names a topic; it explains nothing)."""
    units: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if line.strip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or not line.strip() or line.strip().startswith(("|---", "#")):
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
    """The `limit` sentences that best support an answer to the question, quoted verbatim.

    Similarity to the question and the answer decides first; a line that states the relation
    asked about (`EXPLAINS_BONUS`) is preferred, and a scrum goal line ("√d_k 로 나누는 이유
    이해하기" is not evidence of why) is quoted only when nothing else matches (`GOAL_WEIGHT`),
    unless the question asks about the plan.
    """
    relation = asked_relation(question)
    goals_answer = asks_about_goals(question)
    question_tokens = set(tokenize(question))
    answer_tokens = set(tokenize(answer)) if answer else set()
    scored: list[tuple[float, int, Evidence]] = []
    for rank, source in enumerate(sources):
        units = sentences(source.text)
        # "What did I fix …?": every line of a challenges section matches "fix" (as coverage).
        words = _SECTION_WORDS.get(source.section)
        section_match = {t for t in question_tokens if words is not None and words.search(t)}
        scores = []
        for sentence in units:
            tokens = set(tokenize(sentence))
            overlap = len((question_tokens & tokens) | section_match) + 0.5 * len(answer_tokens & tokens)
            scores.append(overlap / (1 + 0.01 * len(sentence)))
        # A note often asks its own question ("왜 √d_k 로 나누나?") and answers it in the next
        # lines (three bullets in 2026-10-14): those inherit most of the question line's match.
        for i, sentence in enumerate(units):
            if scores[i] > 0 and sentence.rstrip().endswith(("?", ":", "？")):
                for j, share in ((i + 1, 0.9), (i + 2, 0.9), (i + 3, 0.7)):
                    if j < len(units) and not units[j].rstrip().endswith(("?", ":", "？")):
                        scores[j] += share * scores[i]
                scores[i] *= 0.5
        for sentence, score in zip(units, scores, strict=True):
            if is_goal_line(sentence, source.section) and not goals_answer:
                score *= GOAL_WEIGHT
            elif states_relation(sentence, relation):
                score *= EXPLAINS_BONUS
            score -= 0.05 * rank
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


MIN_NEW_WORDS = 1
"""An answer must bring at least this many words from the notes that the question did not
already hold (and, for a why/how question, that are not the day's goal lines). One suffices:
a right short answer is often one term ("HAVING", "2048"), while a restatement brings none."""
_META_WORDS = frozenset(
    "노트 따르 내용 대하 관하 스크럼 학습 목표 배우 기록 적 정리 있 없 하 되 이 것 수 날 오늘 자료 "
    "note notes according content contents scrum goal goals learn learned study studied "
    "write wrote written record recorded day today source sources mention mentioned".split()
)
"""Words that talk about the notes rather than say what is in them ("노트에 따르면 ... 에 대한
내용이 있습니다")."""


def restates(answer: str, question: str, sources: Sequence[Source], tokenize: Tokenize) -> bool:
    """Whether a generation only restates the question or the notes' goal lines.

    Measured on an AVX2 CPU, the 1.5B answered "why do we divide by √d_k" with "노트에 따르면,
    2026-10-14 스크럼에서 학습 목표 3: √d_k 로 나누는 이유 이해하기에 대한 내용이 있습니다. [3]":
    well supported by the sources word for word, and no answer. What counts is what the answer
    adds: its words that are in the notes' body, not in the question, not words about notes
    (`_META_WORDS`), not a lone digit (list and goal numbers), and, for a why/how question,
    not in the goal lines.
    """
    goal_words: set[str] = set()
    body_words: set[str] = set()
    skip_goals = bool(asked_relation(question)) and not asks_about_goals(question)
    for source in sources:
        for sentence in sentences(source.text):
            words = set(tokenize(sentence))
            if skip_goals and is_goal_line(sentence, source.section):
                goal_words |= words
            else:
                body_words |= words
    said = set(tokenize(CITATION.sub(" ", answer)))
    new = {
        word for word in said - set(tokenize(question)) - _META_WORDS - goal_words
        if word in body_words and not (len(word) == 1 and word.isdigit())
    }
    return len(new) < MIN_NEW_WORDS


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
    """Share of the question's content tokens that appear in the retrieved sources (a word
    that names a template section counts as found in a source of that section)."""
    tokens = set(tokenize(question))
    if not tokens:
        return 1.0
    found: set[str] = set()
    for source in sources:
        found.update(tokens & set(tokenize(source.text + " " + source.heading_path)))
        words = _SECTION_WORDS.get(source.section)
        if words is not None:  # "fix" is found in a challenges section, whatever its language
            found.update(token for token in tokens if words.search(token))
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
        "restated": "모델 답변이 질문이나 그날의 목표를 되풀이할 뿐입니다",
    },
    "en": {
        "empty": "The model produced no answer",
        "garbled": "The model's answer came out garbled",
        "loop": "The model's answer started repeating itself",
        "unsupported": "The model's answer does not match your notes",
        "uncited": "The model's answer cited none of your notes",
        "restated": "The model's answer only restates the question or the day's goals",
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
