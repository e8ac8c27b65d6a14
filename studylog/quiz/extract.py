"""Question/answer cards extracted from a note's own lines, no model needed.

Each rule reads one line (outside code fences) and keeps the learner's words: the answer is
a span of the note, and a card whose answer cannot be found again in the note's text is
dropped, so every card can be checked against the note it cites. Only the learned,
challenges and untemplated sections give cards (goals, retrospectives and links do not).
The first rule that makes a card from a line wins; in order:

- a topic heading followed by a quoted definition (`#### 주제 1: **텍스트 임베딩**` then
  `> 문장을 … 것`): "텍스트 임베딩이란?" → the quote;
- a fix in the challenges section (`문제 → … 로 해결`, `Fix: …`): the problem → the fix;
- a line with a bold span (`**at least 1 approval**`): the line with a blank → the span;
- a definition line (`X는 …이다`, `X is …`, `X: …`): the term (with its topic) → the rest;
- a line with one number or setting (`< 300 lines`): the line with a blank → the number.

Model-generated cards (checked against the note text the same way) may be added later.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from studylog.notes.model import Note, SectionKind

BLANK = "____"
MAX_TERM = 40  # a "term" longer than this is a sentence, not a term
MIN_ANSWER = 2
MAX_LINE = 300  # longer lines are paragraphs: too much for one card

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_TOPIC = re.compile(r"^(?:주제|topic)(?:\s*\d+\s*[:.)]?|\s*[:.)])\s*", re.IGNORECASE)
_BOLD = re.compile(r"\*\*(.+?)\*\*")
# Labels of the template, not terms: "학습 목표 1 : …", "Goal 1 : …", "도전 과제 1: …".
_LABEL = re.compile(r"^(?:학습\s*목표|목표|goal|도전\s*과제|challenge|problem|문제|fix|해결|결과|result|note|참고|tip|"
                    r"시도|try|attempt)\s*\d*$",
                    re.IGNORECASE)
_CHALLENGE = re.compile(r"^(?:도전\s*과제|challenge|problem|문제)\s*\d*\s*:\s*(.+)$", re.IGNORECASE)
_FIX = re.compile(r"^(?:fix|해결|해결\s*방법|solution)\s*:\s*(.+)$", re.IGNORECASE)
_ARROW = re.compile(r"\s(?:→|->|=>)\s")
# An arrow in a challenge is a fix only when its right side says so ("… → X 로 해결"); otherwise
# it is a symptom or a failed try ("x.grad 가 7 → 14 가 됨", "→ 그래도 nan").
_FIX_WORDS = re.compile(r"해결|고침|고쳐|바꿔서|옮김|명시|추가해서|kill|fix|solved|resolved|worked", re.IGNORECASE)
# Verb and adjective stems before 은/는 make a modifier ("같은 가중치", "있는 값"), not a topic.
_STEMS = set("같있없많좋작하되않쓰받넣")
# "오전에는 …", "다음 주부터는 …", "즉 볼륨은 …": when or how, not what.
_NOT_TOPIC_ENDINGS = ("에", "부터", "까지", "에서", "때")
_NOT_TOPIC_START = re.compile(r"^(?:즉|그래서|근데|결국|그리고|오늘|내일|어제|오전|오후|이번|다음)(?:\s|$)")
_KO_DEF = re.compile(r"^(?P<term>[^\s,.(][^,.]{0,40}?)(?:은|는)\s+(?P<rest>.{6,}?(?:이다|다|임|것|함|됨)\.?)$")
_EN_DEF = re.compile(r"^(?P<term>[A-Za-z`][^,.;]{0,40}?)\s+(?:is|are|means)\s+(?P<rest>.{6,})$")
_COLON = re.compile(r"^(?P<term>[^:：]{1,40}?)\s*[:：]\s+(?P<rest>.+)$")
_NUMBER = re.compile(r"(?<![\w.#])(?:[<>≤≥~]\s*)?\d[\d,]*(?:\.\d+)?\s*(?:%|차원|토큰|tokens?|lines?|ms|초|분|개|GB|MB|KB|s)?(?![\w.])")
_URL = re.compile(r"https?://|\]\(")
# Goals, retrospectives and links say what was planned or felt, not what was learned.
_CARD_KINDS = (SectionKind.LEARNED, SectionKind.CHALLENGES, SectionKind.OTHER)


@dataclass(frozen=True)
class CardSource:
    date: str  # YYYY-MM-DD
    path: str  # relative to the vault
    section: str  # the section's heading path, " > "-joined
    line: int  # 0-based line of the file the answer comes from


@dataclass(frozen=True)
class Card:
    id: str
    question: str
    answer: str
    source: CardSource
    rule: str  # which rule made it: topic, fix, definition, bold, number


def card_id(path: str, question: str) -> str:
    """Stable across runs and edits elsewhere in the note: the card's note and question."""
    return hashlib.sha1(f"{path}\n{question}".encode()).hexdigest()[:16]


def _norm(text: str) -> str:
    """Text as compared for the answer check: no emphasis marks, single spaces."""
    return re.sub(r"\s+", " ", _BOLD.sub(r"\1", text)).strip()


def _plain(line: str) -> str:
    """A line without its bullet, quote marker and decoration."""
    line = _BULLET.sub("", line.strip())
    line = re.sub(r"^>\s?", "", line).strip()
    return line.replace("✅", "").strip()


def _topic(heading: str) -> str:
    """A topic heading's subject: "주제 1: LangChain 이란" → "LangChain"."""
    return re.sub(r"\s*(?:이란|란)\s*\??$", "", _TOPIC.sub("", heading)).strip()


def _is_term(term: str) -> bool:
    """A short name (a few words, balanced code marks), not a template label or a clause."""
    term = term.strip()
    return (bool(term) and not _LABEL.match(term) and not _URL.search(term) and len(term) <= MAX_TERM
            and term.count("`") % 2 == 0 and len(term.split()) <= 4 and term[-1] not in _STEMS
            and not term.endswith(_NOT_TOPIC_ENDINGS) and not _NOT_TOPIC_START.match(term))


def _iran(term: str) -> str:
    """Korean "…란" after a vowel, "…이란" after a final consonant, "(이)란" when unknown."""
    last = term.rstrip()[-1:] if term.strip() else ""
    if "가" <= last <= "힣":
        return "이란" if (ord(last) - 0xAC00) % 28 else "란"
    return "(이)란"


def _section_lines(note: Note):
    """(section, file line, text) for every line under each heading, code fences skipped."""
    lines = [""] * note.body_line_offset + note.body.split("\n")
    sections = note.sections
    for i, section in enumerate(sections):
        first = section.start_line + (1 if section.level > 0 else 0)
        end = sections[i + 1].start_line if i + 1 < len(sections) else len(lines)
        in_fence = False
        for n in range(first, min(end, len(lines))):
            text = lines[n]
            if _FENCE.match(text):
                in_fence = not in_fence
                continue
            if not in_fence and text.strip():
                yield section, n, text


def extract_cards(note: Note, rel_path: str) -> list[Card]:
    """The note's cards, in note order, each answer checked to be in the note's text."""
    haystack = _norm(note.body)
    cards: dict[str, Card] = {}
    questions_by_line: set[int] = set()
    last_challenge = ""
    previous: tuple[int, str] | None = None  # (section index, plain text) of the line before

    def add(question: str, answer: str, section, line: int, rule: str) -> bool:
        answer = answer.strip().rstrip(" ,;")
        question = question.strip()
        if len(_norm(answer)) < MIN_ANSWER or not question or _norm(answer) == _norm(question):
            return False
        if _norm(answer) not in haystack:
            return False  # never cite a note for words it does not hold
        source = CardSource(note.date.isoformat(), rel_path, " > ".join(section.heading_path), line)
        cid = card_id(rel_path, question)
        if cid in cards or line in questions_by_line:
            return False
        cards[cid] = Card(cid, question, _norm(answer), source, rule)
        questions_by_line.add(line)
        return True

    for section, line, raw in _section_lines(note):
        if section.kind not in _CARD_KINDS or len(raw) > MAX_LINE or _URL.search(raw) or raw.lstrip().startswith("|"):
            continue
        text = _plain(raw)
        topic = _topic(section.heading) if section.kind is SectionKind.LEARNED else ""
        first_quote = raw.lstrip().startswith(">") and (previous is None or previous[0] != id(section))
        previous = (id(section), text)
        if not text:
            continue
        is_ko = bool(re.search(r"[가-힣]", text + topic))

        if first_quote and topic and section.level > 2:
            question = f"{topic}{_iran(topic)}?" if is_ko else f"What is {topic}?"
            if add(question, text, section, line, "topic"):
                continue

        if section.kind is SectionKind.CHALLENGES:
            if match := _CHALLENGE.match(text):
                last_challenge = match.group(1).strip()
                continue
            if match := _FIX.match(text):
                if last_challenge:
                    prefix = "해결 방법은?" if is_ko else "How was it fixed?"
                    add(f"{last_challenge} — {prefix}", match.group(1), section, line, "fix")
                continue
            parts = _ARROW.split(text, maxsplit=1)
            if (len(parts) == 2 and len(parts[0]) >= 6 and parts[0].count("`") % 2 == 0
                    and _FIX_WORDS.search(parts[1])):
                problem = parts[0].strip()
                if last_challenge and len(problem) < 20:
                    problem = f"{last_challenge}: {problem}"
                prefix = "어떻게 해결했나?" if is_ko else "How was it fixed?"
                if add(f"{problem} — {prefix}", parts[1], section, line, "fix"):
                    continue

        context = f"[{topic}] " if topic else ""
        bold = _BOLD.findall(text)
        if len(bold) == 1 and not text.startswith("**") and len(_norm(bold[0])) <= len(_norm(text)) // 2:
            if add(f"{context}{_BOLD.sub(BLANK, text, count=1)}", bold[0], section, line, "bold"):
                continue
        if (match := _KO_DEF.match(text)) and _is_term(match["term"]):
            term = match["term"].strip()
            if add(f"{context}{term}{_iran(term)}?", match["rest"], section, line, "definition"):
                continue
        if (match := _EN_DEF.match(text)) and _is_term(match["term"]) and not is_ko:
            if add(f"{context}What is {match['term'].strip()}?", match["rest"], section, line, "definition"):
                continue
        if (match := _COLON.match(text)) and _is_term(match["term"]):
            if add(f"{context}{match['term'].strip()}: ?", match["rest"], section, line, "definition"):
                continue
        numbers = [m for m in _NUMBER.finditer(text) if m.group().strip()]
        if len(numbers) == 1 and section.kind in (SectionKind.LEARNED, SectionKind.CHALLENGES):
            number = numbers[0]
            value = number.group().strip()
            if len(re.sub(r"\D", "", value)) >= 2 or not value.isdigit():
                start, end = number.span()
                add(f"{context}{text[:start]}{BLANK}{text[end:]}", value, section, line, "number")
    return list(cards.values())


__all__ = ["BLANK", "Card", "CardSource", "card_id", "extract_cards"]
