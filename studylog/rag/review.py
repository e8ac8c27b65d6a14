"""Weekly and monthly review: a short retrospective of a period's notes, cited to its days.

The period's learned / challenges / retro sections are gathered day by day, the most
informative lines of each day kept within a token budget (the 1.5B prefills ~40 tokens/s on
two CPU cores, so the prompt stays near 1,500 tokens), and each day given to the model as one
numbered source `[n]`. The rules of answers hold here too, decided in code: citations of days
outside the period are dropped (or mended when the model cites a date); an item citing a day of
the period that has no note keeps its claim only when a day holds its words; every section of
the review carries quotes from the notes; a part the model did not write (often "still open",
cut by the token limit) is added from the notes' own lines, marked as quoted; and an empty,
garbled, looping, uncited or unsupported generation is replaced by an extractive draft
(배운 것 / 해결한 문제 / 남은 과제, each line with its day) built from the notes' own lines.

Note text reaches the model as plain text: it is tokenised apart from the chat template with
`split_special_tokens=True`, so a note containing `<|im_end|>` cannot end the user's turn.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from studylog.notes.model import Note, SectionKind
from studylog.rag import evidence as ev
from studylog.rag.citations import clean_citations
from studylog.rag.types import AskEvent, Evidence, Source

Tokenize = Callable[[str], list[str]]

PROMPT_TOKEN_BUDGET = 1500
"""The whole prompt (instructions + sources), in model tokens."""
INSTRUCTION_TOKENS = 260
"""Reserved for the system turn, the rules and the chat template around the sources."""
MAX_NEW_TOKENS = 320
MIN_SUPPORT = 0.3  # as for answers: share of the review's content words found in the notes
PARTS = ("learned", "solved", "open")
_KINDS = (SectionKind.LEARNED, SectionKind.CHALLENGES, SectionKind.RETRO)
_PLACEHOLDER = "\u0000SOURCES\u0000"
_OPEN_MARKERS = re.compile(
    r"\?|？|\[ \]|아직|다음에|다음 주|내일|못 ?했|모르|궁금|해 ?봐야|해볼|싶다|싶어|TODO|todo|미해결|남은|"
    r"\bnext\b|\bstill\b|\bnot yet\b|\bopen\b|\bunclear\b|\bunsolved\b|\btomorrow\b|\bwant to\b",
)
_DATE_CITATION = re.compile(r"[\[(](\d{4}-\d{2}-\d{2})(?:\s*\([^)]*\))?[\])]")
_LEADING_DATE = re.compile(r"^(\s*(?:[-*]\s+)?)(?:\*\*)?(\d{4}-\d{2}-\d{2})(?:\*\*)?\s*(?:\([^)]*\))?\s*[:：]\s*(.*)$")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
_WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}

HEADINGS = {
    "ko": {"learned": "배운 것", "solved": "해결한 문제", "open": "남은 과제"},
    "en": {"learned": "What I learned", "solved": "Problems solved", "open": "Still open"},
}
_KIND_LABELS = {
    "ko": {SectionKind.LEARNED: "배운 내용", SectionKind.CHALLENGES: "도전 과제와 해결",
           SectionKind.RETRO: "회고"},
    "en": {SectionKind.LEARNED: "Learned", SectionKind.CHALLENGES: "Challenges and fixes",
           SectionKind.RETRO: "Retro"},
}
SYSTEM_PROMPT = (
    "You are StudyLog, a study assistant. You write a short retrospective of the student's own "
    "study notes for a period. Use only the numbered notes; each number is one day. Cite the "
    "day of every claim as [1], [2]."
)
_RULES = {
    "ko": "위 노트는 {start}부터 {end}까지의 공부 기록입니다. 이 기간의 회고를 한국어로 짧게 쓰세요. "
    "'## 배운 것', '## 해결한 문제', '## 남은 과제' 세 부분에 각각 '- '로 시작하는 한 문장 항목을 "
    "두세 개씩 쓰고, 항목 끝에 그 내용이 나온 날의 번호를 [1]처럼 붙이세요. 노트에 없는 내용은 쓰지 마세요.",
    "en": "The notes above are the study log from {start} to {end}. Write a short retrospective "
    "of this period in English, in three parts '## What I learned', '## Problems solved', "
    "'## Still open', each with two or three one-sentence items starting with '- '. End every "
    "item with the number of the day it comes from, like [1]. Write nothing the notes do not say.",
}
# The review is started for the model: it then keeps the structure and the notes' language.
REVIEW_PREFIX = {"ko": "## 배운 것\n- ", "en": "## What I learned\n- "}
NO_NOTES = {
    "ko": "{start}부터 {end}까지 작성한 노트가 없습니다.",
    "en": "You have no notes from {start} to {end}.",
}
FALLBACK_HEAD = {
    "ko": "({reason} — 노트의 문장을 날짜와 함께 그대로 모았습니다.)",
    "en": "({reason} — here are your notes' own lines, each with its day.)",
}
NOTHING = {"ko": "(노트에 적힌 내용이 없습니다)", "en": "(nothing in the notes)"}
COMPLETED_HEAD = {
    "ko": "(모델이 이 부분을 쓰지 않아 노트의 문장을 날짜와 함께 그대로 옮겼습니다.)",
    "en": "(The model did not write this part — here are your notes' own lines, each with its day.)",
}
NOTHING_OPEN = {
    "ko": "- 이 기간의 노트에는 남은 과제(미해결 문제, 다음에 할 일)가 적혀 있지 않습니다.",
    "en": "- Nothing in this period's notes is left open (no unsolved problem, no next step).",
}
_NO_NOTE = "\ue000"
"""Marks, while the review is checked, an item whose cited day is in the period but has no note."""


# -- periods ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    kind: str  # "week" or "month"

    @property
    def label(self) -> str:
        """`2026-W42` (ISO week) or `2026-10`: also the saved review's file name."""
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def week_of(day: dt.date) -> Period:
    """The Monday-to-Sunday week containing `day`."""
    start = day - dt.timedelta(days=day.weekday())
    return Period(start, start + dt.timedelta(days=6), "week")


def month_of(value: str | dt.date) -> Period:
    """The calendar month `YYYY-MM` (or the month of a date)."""
    if isinstance(value, dt.date):
        year, month = value.year, value.month
    else:
        match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", str(value))
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"not a month (YYYY-MM): {value!r}")
        year, month = int(match.group(1)), int(match.group(2))
    last = calendar.monthrange(year, month)[1]
    return Period(dt.date(year, month, 1), dt.date(year, month, last), "month")


# -- data ------------------------------------------------------------------------------------

@dataclass
class DayLine:
    """One line of a day's note kept for the review."""

    kind: SectionKind
    text: str
    score: float
    order: int
    start_line: int


@dataclass
class ReviewDay:
    n: int
    date: dt.date
    path: str
    lines: list[DayLine] = field(default_factory=list)  # the lines given to the model
    all_lines: list[DayLine] = field(default_factory=list, repr=False)  # before the budget's cut

    @property
    def sections(self) -> list[str]:
        return [k.value for k in _KINDS if any(line.kind == k for line in self.lines)]

    def to_json(self) -> dict:
        return {"n": self.n, "date": self.date.isoformat(), "path": self.path,
                "section": ", ".join(self.sections)}


@dataclass
class Review:
    start: dt.date
    end: dt.date
    kind: str
    label: str
    language: str = "ko"
    text: str = ""
    days: list[ReviewDay] = field(default_factory=list)  # every day given to the model
    cited: list[int] = field(default_factory=list)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)  # per part (PARTS)
    fallback: bool = False
    fallback_reason: str = ""
    declined: bool = False  # no notes in the period
    removed_citations: int = 0  # citations of days outside the period (or numbers of no day)
    no_note_citations: int = 0  # citations of days inside the period that have no note
    unsupported_items: list[str] = field(default_factory=list)  # dropped: no note on their day, words in no note
    completed_parts: list[str] = field(default_factory=list)  # parts the model left out, quoted from the notes
    completion: str = ""  # their Markdown, appended to the text (and streamed after the model's)
    reattributed_citations: int = 0
    model: str = ""
    device: str = ""
    prompt_tokens: int = 0
    new_tokens: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    saved: str | None = None
    generated: str = ""  # the model's own text, before any check (bench, debugging)
    attributed_citations: int = 0  # uncited items given the day that holds their words

    @property
    def sources(self) -> list[ReviewDay]:
        """The days the review cites (all of them for an extractive draft's quoted days)."""
        return [d for d in self.days if d.n in self.cited]

    def to_json(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "text": self.text,
            "sources": [d.to_json() for d in self.sources],
            "evidence": {part: [e.to_json() for e in quotes] for part, quotes in self.evidence.items()},
            "fallback": self.fallback,
            "fallback_reason": self.fallback_reason,
            "notes": len(self.days),
            "removed_citations": self.removed_citations,
            "no_note_citations": self.no_note_citations,
            "unsupported_items": self.unsupported_items,
            "completed_parts": self.completed_parts,
            "attributed_citations": self.attributed_citations,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "new_tokens": self.new_tokens,
            "seconds": round(self.seconds, 3),
            "saved": self.saved,
        }


# -- gathering -------------------------------------------------------------------------------

def notes_language(notes: Iterable[Note]) -> str:
    text = " ".join(n.body for n in notes)
    hangul, latin = len(_HANGUL.findall(text)), len(_LATIN.findall(text))
    return "ko" if hangul and hangul * 3 >= latin else "en"


def _line_score(text: str, kind: SectionKind, tokenize: Tokenize) -> float:
    tokens = set(tokenize(text))
    score = len(tokens) + 0.5 * min(len(text), 120) / 40
    if re.search(r"\d", text):
        score += 1.0  # numbers, versions, results
    if re.search(r"→|->|=|해결|원인|fixed|solved|because|때문", text):
        score += 1.5  # a fix or an explanation
    if kind != SectionKind.LEARNED and _OPEN_MARKERS.search(text):
        score += 1.0
    return score


def day_lines(note: Note, tokenize: Tokenize) -> list[DayLine]:
    """The learned / challenges / retro lines of a note, with an informativeness score."""
    lines: list[DayLine] = []
    for section in note.sections:
        if section.kind not in _KINDS:
            continue
        units = []
        if section.level and section.heading and section.heading_path[:1] != (section.heading,):
            units.append(section.heading)  # a topic heading ("주제 4: Scaled Dot-Product Attention")
        units.extend(ev.sentences(section.text))
        for unit in units:
            unit = re.sub(r"\*\*|__|`", "", unit).strip()
            if len(unit) < 6 or re.fullmatch(r"[^:：]{0,20}[:：]\s*", unit):
                continue  # an empty template line ("도전 과제 1 :")
            if any(line.text == unit for line in lines):
                continue
            lines.append(DayLine(section.kind, unit, _line_score(unit, section.kind, tokenize),
                                 len(lines), section.start_line))
    return lines


def format_day(day: ReviewDay, language: str) -> str:
    weekday = _WEEKDAYS[language][day.date.weekday()]
    out = [f"[{day.n}] {day.date.isoformat()} ({weekday})"]
    for kind in _KINDS:
        kept = [line.text for line in day.lines if line.kind == kind]
        if kept:
            out.append(f"{_KIND_LABELS[language][kind]}:")
            out.extend(f"- {text}" for text in kept)
    return "\n".join(out)


def gather(notes: Sequence[Note], period: Period, vault_relative: Callable[[object], str],
           tokenize: Tokenize, count_tokens: Callable[[str], int],
           budget: int = PROMPT_TOKEN_BUDGET - INSTRUCTION_TOKENS) -> tuple[list[ReviewDay], str]:
    """The period's days (numbered in date order), each trimmed to its share of `budget`
    tokens by keeping its most informative lines in their original order."""
    inside = sorted((n for n in notes if period.contains(n.date)), key=lambda n: (n.date, str(n.path)))
    language = notes_language(inside)
    days: list[ReviewDay] = []
    for note in inside:
        lines = day_lines(note, tokenize)
        if lines:
            days.append(ReviewDay(len(days) + 1, note.date, vault_relative(note.path), lines, list(lines)))
    if not days:
        return days, language
    share = max(40, budget // len(days))
    for day in days:
        ranked = sorted(day.lines, key=lambda line: (-line.score, line.order))
        kept: list[DayLine] = []
        used = count_tokens(format_day(ReviewDay(day.n, day.date, day.path, []), language)) + 12
        for line in ranked:
            cost = count_tokens(line.text) + 3
            if used + cost > share:
                if not kept and cost > share - used:  # one long line: cut it to fit
                    text = line.text
                    while text and count_tokens(text) + 3 > share - used:
                        text = text[: int(len(text) * 0.8)]
                    if text:
                        kept.append(DayLine(line.kind, text.rstrip() + " …", line.score, line.order,
                                            line.start_line))
                continue
            kept.append(line)
            used += cost
        day.lines = sorted(kept, key=lambda line: line.order)
    # A month of short days: drop the weakest lines, then (one line left each) the weakest days.
    while days and count_tokens("\n\n".join(format_day(d, language) for d in days)) > budget:
        longest = max(days, key=lambda d: (len(d.lines), count_tokens(format_day(d, language))))
        if len(longest.lines) > 1:
            longest.lines.remove(min(longest.lines, key=lambda line: (line.score, -line.order)))
            continue
        days.remove(min(days, key=lambda d: max(line.score for line in d.lines)))
        for i, day in enumerate(days, 1):
            day.n = i
    return days, language


# -- prompt ----------------------------------------------------------------------------------

def build_prompt_ids(tokenizer, days: Sequence[ReviewDay], period: Period, language: str) -> list[int]:
    """The chat prompt's token ids; the notes' text is tokenised as plain text."""
    rules = _RULES[language].format(start=period.start.isoformat(), end=period.end.isoformat())
    user = f"Notes:\n{_PLACEHOLDER}\n\n{rules}"
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    before, after = text.split(_PLACEHOLDER)
    sources = "\n\n".join(format_day(d, language) for d in days)

    def ids(piece: str, plain: bool) -> list[int]:
        if not piece:
            return []
        kwargs = {"split_special_tokens": True} if plain else {}
        return list(tokenizer(piece, add_special_tokens=False, **kwargs)["input_ids"])

    return ids(before, False) + ids(sources, True) + ids(after + REVIEW_PREFIX[language], False)


def source_budget(tokenizer, period: Period, total: int = PROMPT_TOKEN_BUDGET) -> int:
    """Tokens left for the notes once the instructions and chat template are counted."""
    overhead = max(len(build_prompt_ids(tokenizer, [], period, lang)) for lang in ("ko", "en"))
    return max(200, total - overhead - 8)


# -- checking and the extractive draft -------------------------------------------------------

def mend_citations(text: str, days: Sequence[ReviewDay],
                   period: Period | None = None) -> tuple[str, list[int], int, int]:
    """Citations as numbers of days in the period: a cited date with a note becomes its number,
    any other date or number is dropped. A date inside `period` without a note (a day the model
    made up) is told apart from one outside it: its item is marked `_NO_NOTE` for `finish`,
    which keeps it only when a day holds its words. Returns (text, cited, removed outside the
    period, removed for having no note)."""
    by_date = {d.date.isoformat(): d.n for d in days}
    outside = no_note = 0

    def in_period(day: str) -> bool:
        return period is not None and period.contains(dt.date.fromisoformat(day))

    def date_to_number(match: re.Match[str]) -> str:
        nonlocal outside, no_note
        if match.group(1) in by_date:
            return f"[{by_date[match.group(1)]}]"
        if in_period(match.group(1)):
            no_note += 1
            return _NO_NOTE
        outside += 1
        return ""

    text = _DATE_CITATION.sub(date_to_number, text)
    # The 1.5B writes its items as "- 2026-10-14: what was learned" (measured: every item of
    # 3 weeks, no [n]): the leading day is its citation. Outside the period it is dropped.
    lines = []
    for line in text.split("\n"):
        match = _LEADING_DATE.match(line)
        if match and match.group(3).strip():
            lead, day, claim = match.groups()
            if day in by_date:
                line = f"{lead}{day}: {claim.rstrip()} [{by_date[day]}]"
            elif in_period(day):
                no_note += 1
                line = f"{lead}{claim}{_NO_NOTE}"
            else:
                outside += 1
                line = f"{lead}{claim}"
        lines.append(line)
    text = "\n".join(lines)
    cleaned, cited, dropped = clean_citations(text, {d.n for d in days})
    return cleaned, cited, outside + dropped, no_note


def drop_unsupported_items(text: str) -> tuple[str, list[str]]:
    """Drop the marked items (a day of the period without a note) that no day was found to
    hold: claims with no note behind them, as an answer's unsupported claim. A marked item that
    got its day keeps it. Returns (text, the dropped items)."""
    from studylog.rag.citations import CITATION

    kept: list[str] = []
    dropped: list[str] = []
    for line in text.split("\n"):
        if _NO_NOTE in line:
            line = line.replace(_NO_NOTE, "").rstrip()
            if not CITATION.search(line):
                dropped.append(line.strip().lstrip("-* ").strip())
                continue
        kept.append(line)
    return "\n".join(kept), dropped


def attribute_uncited(text: str, sources: Sequence[Source], tokenize: Tokenize) -> tuple[str, int]:
    """Cite the day of each uncited item (a line that is not a heading) when one day holds at
    least half its words, as answers move a citation to the source a claim came from. The 1.5B
    often writes the review without a single [n] (measured: 3 of 3 weeks)."""
    from collections import Counter

    from studylog.rag.citations import CITATION

    words = {s.n: set(tokenize(s.text)) for s in sources}
    out: list[str] = []
    added = 0
    for line in text.split("\n"):
        body = line.replace(_NO_NOTE, "").strip()
        if body and not body.startswith("#") and not CITATION.search(body):
            tokens = Counter(tokenize(body))
            total = sum(tokens.values())
            if total >= 2:
                shares = {n: sum(c for t, c in tokens.items() if t in w) / total for n, w in words.items()}
                best = max(shares, key=lambda n: (shares[n], -n))
                if shares[best] >= ev.REATTRIBUTE_MIN_SHARE:
                    line = line.rstrip().rstrip(".") + f" [{best}]"
                    added += 1
        out.append(line)
    return "\n".join(out), added


def _part_of(line: DayLine) -> str:
    if line.kind == SectionKind.LEARNED:
        return "open" if line.text.rstrip().endswith(("?", "？")) and "→" not in line.text else "learned"
    if _OPEN_MARKERS.search(line.text):
        return "open"
    return "solved" if line.kind == SectionKind.CHALLENGES else "learned"


def _as_sources(days: Sequence[ReviewDay], part: str) -> list[Source]:
    return [Source(n=d.n, date=d.date.isoformat(), path=d.path, section=part, heading_path="",
                   start_line=min((line.start_line for line in d.lines if _part_of(line) == part), default=0),
                   text="\n".join(line.text for line in d.lines if _part_of(line) == part))
            for d in days if any(_part_of(line) == part for line in d.lines)]


def extractive_quotes(days: Sequence[ReviewDay], per_part: int = 5, parts: Sequence[str] = PARTS,
                      whole: bool = False) -> dict[str, list[Evidence]]:
    """Per part, the most informative lines, taken round-robin over the days so that every
    day with something to say is quoted before any day is quoted twice. With `whole`, from
    each day's lines before the prompt budget cut them (a part the model did not write)."""
    quotes: dict[str, list[Evidence]] = {}
    for part in parts:
        queues = []
        for day in days:
            lines = (day.all_lines or day.lines) if whole else day.lines
            ranked = sorted((line for line in lines if _part_of(line) == part),
                            key=lambda line: (-line.score, line.order))
            queues.append([(day, line) for line in ranked])
        chosen: list[Evidence] = []
        while len(chosen) < per_part and any(queues):
            for queue in queues:
                if queue and len(chosen) < per_part:
                    day, line = queue.pop(0)
                    chosen.append(Evidence(n=day.n, date=day.date.isoformat(), quote=line.text,
                                           path=day.path, start_line=line.start_line,
                                           score=round(line.score, 3)))
        chosen.sort(key=lambda e: (e.date, e.start_line))
        quotes[part] = chosen
    return quotes


def extractive_review(quotes: dict[str, list[Evidence]], language: str, reason: str) -> str:
    """The structured Markdown draft made only of the notes' lines, each with its day."""
    out = [FALLBACK_HEAD[language].format(reason=reason)]
    for part in PARTS:
        out.append("")
        out.append(f"## {HEADINGS[language][part]}")
        items = quotes.get(part) or []
        out.extend(f"- {e.quote} ({e.date}) [{e.n}]" for e in items)
        if not items:
            out.append(NOTHING_OPEN[language] if part == "open" else f"- {NOTHING[language]}")
    return "\n".join(out)


def _items(said: str) -> list[str]:
    """The lines of a part that say something (not blank, not a bare list marker)."""
    return [line for line in said.splitlines() if len(re.sub(r"[\W\d_]+", "", line)) >= 2]


def complete_parts(text: str, days: Sequence[ReviewDay],
                   language: str) -> tuple[str, str, dict[str, list[Evidence]]]:
    """Append, quoted from the notes, each of the three parts the generation left out or left
    empty (measured: the 1.5B ran out of new tokens before "still open" in 2 of 3 weeks), so
    that what is still open is always part of the review; a period with nothing open says so.
    Returns (`text` less the headings of its empty parts, the Markdown to append ("" when no
    part is missing), the quotes per appended part)."""
    said = _split_parts(text, language)
    headed = {_heading_part(line) for line in text.splitlines()}
    missing = [part for part in PARTS if part not in headed or not _items(said[part])]
    if not missing:
        return text, "", {}
    text = "\n".join(line for line in text.splitlines() if _heading_part(line) not in missing)
    quotes = extractive_quotes(days, per_part=3, parts=missing, whole=True)
    out: list[str] = []
    for part in missing:
        out += ["", f"## {HEADINGS[language][part]}", COMPLETED_HEAD[language]]
        out.extend(f"- {e.quote} ({e.date}) [{e.n}]" for e in quotes[part])
        if not quotes[part]:
            out.append(NOTHING_OPEN[language] if part == "open" else f"- {NOTHING[language]}")
    return text.rstrip(), "\n".join(out).lstrip("\n"), quotes


def _heading_part(line: str) -> str | None:
    """The part a Markdown heading line names (by its words, either language), else None."""
    if not line.strip().startswith("#"):
        return None
    heading = line.strip().lstrip("#").strip().lower()
    named = [part for part in PARTS
             if HEADINGS["ko"][part].lower() in heading or HEADINGS["en"][part].lower() in heading]
    return named[-1] if named else None


def _split_parts(text: str, language: str) -> dict[str, str]:
    """The generated review's text under each of its three headings (by heading words)."""
    parts = {part: "" for part in PARTS}
    current = "learned"
    for line in text.splitlines():
        if line.strip().startswith("#"):
            current = _heading_part(line) or current
            continue
        parts[current] += line + "\n"
    return parts


def review_evidence(text: str, days: Sequence[ReviewDay], tokenize: Tokenize,
                    cited: Sequence[int]) -> dict[str, list[Evidence]]:
    """Per part, quotes from the cited days that best support what the part says."""
    pool = [d for d in days if d.n in cited] or list(days)
    quotes: dict[str, list[Evidence]] = {}
    fallback = extractive_quotes(days, per_part=3)
    for part, said in _split_parts(text, "").items():
        sources = _as_sources(pool, part) or _as_sources(days, part)
        chosen = ev.select_evidence("", said, sources, tokenize, limit=3) if said.strip() else []
        quotes[part] = chosen or fallback[part]
    return quotes


# -- the run ---------------------------------------------------------------------------------

def review_stream(notes: Sequence[Note], period: Period, loaded, tokenize: Tokenize,
                  vault_relative: Callable[[object], str], cancel: threading.Event | None = None,
                  max_new_tokens: int = MAX_NEW_TOKENS, min_new_tokens: int = 0,
                  generate: Callable[..., Iterator[str]] | None = None) -> Iterator[AskEvent]:
    """Yield status and token events, then one done event whose `answer` is the `Review`.

    `loaded` is the loaded model (`.model`, `.tokenizer`, `.name`, `.device`); `generate`
    replaces `stream_generate` (tests). With no notes in the period the model is not used.
    """
    started = time.perf_counter()
    cancel = cancel or threading.Event()
    review = Review(period.start, period.end, period.kind, period.label)
    tokenizer = loaded.tokenizer

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"])

    yield AskEvent("status", "gathering the period's notes")
    review.days, review.language = gather(notes, period, vault_relative, tokenize, count,
                                          source_budget(tokenizer, period))
    language = review.language
    if not review.days:
        review.declined = True
        review.text = NO_NOTES[language].format(start=period.start, end=period.end)
        review.seconds = time.perf_counter() - started
        yield AskEvent("token", review.text)
        yield AskEvent("done", answer=review)
        return
    review.model, review.device = getattr(loaded, "name", ""), getattr(loaded, "device", "")
    prompt_ids = build_prompt_ids(tokenizer, review.days, period, language)
    review.prompt_tokens = len(prompt_ids)
    prefix = REVIEW_PREFIX[language]
    yield AskEvent("status", f"writing the review of {len(review.days)} notes")
    yield AskEvent("token", prefix)
    from studylog.rag.generation import GenerationResult, stream_generate

    result = GenerationResult()
    run = generate or stream_generate
    pieces: list[str] = []
    for piece in run(loaded.model, tokenizer, prompt_ids, max_new_tokens, cancel, result, min_new_tokens):
        pieces.append(piece)
        yield AskEvent("token", piece)
    review.new_tokens = len(result.answer_ids)
    review.cancelled = result.cancelled or cancel.is_set()
    finish(review, "".join(pieces), tokenize, result.looped)
    if review.completion:
        yield AskEvent("token", "\n\n" + review.completion)
    review.seconds = time.perf_counter() - started
    yield AskEvent("done", answer=review)


def finish(review: Review, generated: str, tokenize: Tokenize, looped: bool = False) -> Review:
    """Validate the generation; keep it (prefix + cleaned text) or build the extractive draft."""
    language = review.language
    review.generated = generated
    period = Period(review.start, review.end, review.kind)
    cleaned, cited, review.removed_citations, review.no_note_citations = mend_citations(
        generated, review.days, period)
    sources = [Source(n=d.n, date=d.date.isoformat(), path=d.path, section="", heading_path="",
                      start_line=0, text="\n".join(line.text for line in d.lines)) for d in review.days]
    cleaned, review.attributed_citations = attribute_uncited(cleaned, sources, tokenize)
    cleaned, review.unsupported_items = drop_unsupported_items(cleaned)
    if review.attributed_citations:
        cleaned, cited, _ = clean_citations(cleaned, {d.n for d in review.days})
    if cited:
        cleaned, cited, review.reattributed_citations = ev.reattribute_citations(cleaned, sources, tokenize)
    reasons = ev.FALLBACK_REASONS[language]
    degenerate = ev.is_degenerate(cleaned)
    reason = ""
    if looped or degenerate == "the model repeated itself":
        reason = reasons["loop"]
    elif degenerate:
        reason = reasons["garbled" if "garbled" in degenerate else "empty"]
    elif not cited:
        reason = reasons["uncited"]
    elif ev.support(cleaned, sources, tokenize) < MIN_SUPPORT:
        reason = reasons["unsupported"]
    if reason:
        review.evidence = extractive_quotes(review.days)
        review.text = extractive_review(review.evidence, language, reason)
        review.fallback, review.fallback_reason = True, reason
        review.cited = sorted({e.n for quotes in review.evidence.values() for e in quotes})
        return review
    # An item cut off by the token limit ("- 202", measured on the 1.5B) is dropped.
    lines = cleaned.rstrip().split("\n")
    if len(lines) > 1 and lines[-1].lstrip().startswith(("-", "*")) and \
            len(re.sub(r"[\W\d_]+", "", lines[-1])) < 4:
        cleaned = "\n".join(lines[:-1])
    review.text = REVIEW_PREFIX[language] + cleaned
    review.cited = sorted(cited)
    review.evidence = review_evidence(review.text, review.days, tokenize, review.cited)
    text, completion, quoted = complete_parts(review.text, review.days, language)
    if completion:
        review.text = text + "\n\n" + completion
        review.completion, review.completed_parts = completion, list(quoted)
        review.evidence.update({part: quotes for part, quotes in quoted.items() if quotes})
        review.cited = sorted(set(review.cited) | {e.n for quotes in quoted.values() for e in quotes})
    review.evidence = quoted_once(review.evidence)
    return review


def quoted_once(evidence: dict[str, list[Evidence]]) -> dict[str, list[Evidence]]:
    """The same per-part quotes with each line of a note kept once, under the first part (in
    PARTS order) that quotes it: a line that supports both what was learned and what was solved
    was listed twice under "Evidence"."""
    seen: set[tuple[int, str]] = set()
    kept: dict[str, list[Evidence]] = {}
    for part in [*PARTS, *(p for p in evidence if p not in PARTS)]:
        if part not in evidence:
            continue
        kept[part] = []
        for quote in evidence[part]:
            key = (quote.n, " ".join(quote.quote.split()))
            if key not in seen:
                seen.add(key)
                kept[part].append(quote)
    return kept


# -- saving ----------------------------------------------------------------------------------

REVIEWS_DIR = "reviews"
"""Saved reviews live in `<vault>/reviews/`. The vault scan skips this folder: a review is
derived from the daily notes, and indexing it would let search and answers cite a summary
instead of the day the learner wrote (and its file name, `2026-10`, would date it wrongly)."""


def review_markdown(review: Review) -> str:
    language = review.language
    title = {"ko": {"week": "주간 회고", "month": "월간 회고"},
             "en": {"week": "Weekly review", "month": "Monthly review"}}[language][review.kind]
    out = ["---", "type: review", f"period: {review.label}", f"start: {review.start.isoformat()}",
           f"end: {review.end.isoformat()}", f"model: {review.model or 'none'}",
           f"fallback: {'true' if review.fallback else 'false'}", "---",
           f"# {review.label} {title} ({review.start.isoformat()} ~ {review.end.isoformat()})", "",
           review.text.strip(), ""]
    if review.evidence and not review.fallback:
        out.append("## " + ("근거 (노트 인용)" if language == "ko" else "Evidence (quoted from the notes)"))
        for part in PARTS:
            for quote in review.evidence.get(part, []):
                out.append(f"- {HEADINGS[language][part]}: “{quote.quote}” ({quote.date}) [{quote.n}]")
        out.append("")
    out.append("## " + ("출처" if language == "ko" else "Sources"))
    for day in review.days:
        out.append(f"- [{day.n}] {day.date.isoformat()}: [{day.path}](../{day.path})")
    return "\n".join(out) + "\n"


__all__ = [
    "Period", "Review", "ReviewDay", "week_of", "month_of", "gather", "build_prompt_ids",
    "mend_citations", "drop_unsupported_items", "complete_parts", "extractive_quotes", "extractive_review", "finish", "review_stream",
    "review_markdown", "REVIEWS_DIR", "PROMPT_TOKEN_BUDGET",
]
