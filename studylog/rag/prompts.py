"""The RAG prompt: numbered sources (date + section + text), the question, the language rule.

Small models follow an instruction in the user turn far better than in the system turn
(measured: the 1.5B answered 3 of 5 Korean questions in English with a system-only rule),
so the language and citation rules are repeated right before the question.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from studylog.rag.types import Source

SYSTEM_PROMPT = (
    "You are StudyLog, a study assistant. You answer questions about the student's own study "
    "notes. Use only the numbered sources. Cite the sources you used as [1], [2]. If the sources "
    "do not contain the answer, say so in one sentence."
)

_RULES = {
    "ko": "위 자료의 내용을 근거로 질문에 한국어 두세 문장으로 답하세요. 문장 끝에 근거 자료 번호를 [1]처럼 붙이세요.",
    "en": "Answer the question in two or three English sentences based on the sources above. "
    "End each sentence with the source number like [1].",
}
# The answer is started for the model: small models then stay in the question's language
# and write a sentence instead of echoing a source header (measured on the question set).
ANSWER_PREFIX = {"ko": "노트에 따르면, ", "en": "According to your notes, "}
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")


def question_language(text: str) -> str:
    """'ko' when the question is mostly Hangul (English terms inside Korean stay Korean)."""
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    return "ko" if hangul and hangul * 3 >= latin else "en"


def format_source(source: Source) -> str:
    where = source.heading_path or source.section
    return f"[{source.n}] ({source.date} · {where})\n{source.text.strip()}"


@dataclass
class PromptParts:
    """The chat messages plus the character ranges of each part in the user message."""

    messages: list[dict]
    source_blocks: list[tuple[int, str]]  # (n, text) in the order they appear
    question: str
    language: str


def build_messages(
    question: str, sources: list[Source], history: list[tuple[str, str]] | None = None
) -> PromptParts:
    language = question_language(question)
    blocks = [(s.n, format_source(s)) for s in sources]
    context = "\n\n".join(text for _, text in blocks) if blocks else "(no sources)"
    messages: list[dict] = [{"role": "system", "content": SYSTEM_PROMPT}]
    for asked, answered in (history or [])[-2:]:
        messages.append({"role": "user", "content": asked})
        messages.append({"role": "assistant", "content": answered})
    user = f"Sources:\n{context}\n\nQuestion: {question.strip()}\n{_RULES[language]}"
    messages.append({"role": "user", "content": user})
    return PromptParts(
        messages=messages, source_blocks=blocks, question=question.strip(), language=language
    )


def fit_sources(sources: list[Source], count_tokens, budget: int) -> list[Source]:
    """Keep the best-ranked sources whose text fits `budget` tokens, trimming the last one.

    Counted in model tokens, not characters: Korean takes ~3x more tokens per character.
    """
    kept: list[Source] = []
    used = 0
    for source in sources:
        cost = count_tokens(format_source(source)) + 2
        if used + cost <= budget:
            kept.append(source)
            used += cost
            continue
        room = budget - used
        if room > 80:
            text = source.text
            while text and count_tokens(text) > room - 30:
                text = text[: int(len(text) * 0.8)]
            if text:
                kept.append(Source(**{**source.__dict__, "text": text.rstrip() + " …"}))
        break
    return kept


@dataclass
class EncodedPrompt:
    """The rendered prompt, its token ids, and each token's (start, end) characters in `text`."""

    text: str
    ids: list[int]
    offsets: list[tuple[int, int]]


def encode_plain(tokenizer, text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Token ids of `text` read as plain text: a control string written in it (a note quoting
    `<|im_end|>`) stays ordinary characters and never becomes the control token."""
    encoded = tokenizer(
        text, add_special_tokens=False, split_special_tokens=True, return_offsets_mapping=True
    )
    return list(encoded["input_ids"]), [tuple(pair) for pair in encoded["offset_mapping"]]


def encode_chat(tokenizer, messages: list[dict], answer_start: str = "") -> EncodedPrompt:
    """The chat template rendered and tokenised so that only the template's own markers are
    control tokens; every message's content and `answer_start` are tokenised as plain text.

    Hugging Face tokenisers turn any special-token string in their input into that token
    (transformers #29279), so tokenising the rendered prompt at once would let a source quoting
    ChatML open a fake turn. Each content is rendered as a unique placeholder instead; the
    template's text between placeholders is tokenised with special tokens, the contents without.
    """
    marker = f"studylog-{secrets.token_hex(8)}"
    slots = [dict(message, content=f"{{{marker}-{i}}}") for i, message in enumerate(messages)]
    template = tokenizer.apply_chat_template(slots, tokenize=False, add_generation_prompt=True)
    pieces = re.split(rf"\{{{marker}-(\d+)\}}", template)
    seen = [int(i) for i in pieces[1::2]]
    if sorted(seen) != list(range(len(messages))):
        raise ValueError("the chat template did not place each message's content exactly once")
    text = ""
    ids: list[int] = []
    offsets: list[tuple[int, int]] = []
    for position, piece in enumerate(pieces):
        if position % 2:  # a message's content: plain text
            piece_ids, piece_offsets = encode_plain(tokenizer, messages[int(piece)]["content"])
            piece = messages[int(piece)]["content"]
        elif piece:  # the template's own text, whose markers are the only control tokens
            encoded = tokenizer(piece, add_special_tokens=False, return_offsets_mapping=True)
            piece_ids, piece_offsets = list(encoded["input_ids"]), encoded["offset_mapping"]
        else:
            continue
        ids.extend(piece_ids)
        offsets.extend((len(text) + a, len(text) + b) for a, b in piece_offsets)
        text += piece
    if answer_start:
        piece_ids, piece_offsets = encode_plain(tokenizer, answer_start)
        ids.extend(piece_ids)
        offsets.extend((len(text) + a, len(text) + b) for a, b in piece_offsets)
        text += answer_start
    return EncodedPrompt(text=text, ids=ids, offsets=offsets)
