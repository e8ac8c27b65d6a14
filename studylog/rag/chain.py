"""The answer chain (LangChain LCEL): retriever (date scope, hybrid search) | numbered sources |
prompt | chat model (streamed) | text pieces, then validated citations, evidence, fallback.

The retriever is any `BaseRetriever` (by default `HybridRetriever` over the notes' search) and
the chat model any `BaseChatModel` (by default `StudyLogChatModel` on the loaded model), so
either can be swapped. Per question the chain binds `today` to the retriever and passes the
cancel event as `config["configurable"]["cancel"]`; the token ids the attention views need
come back in the chat model's `response_metadata` (`prompt_token_ids`, `answer_token_ids`).

Decisions the small models cannot be trusted with are made here in code: whether the notes
hold an answer at all (date scope, question coverage), which sources are shown, and when a
generation is replaced by an extractive answer quoted from the notes.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.prompt_values import ChatPromptValue
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableBranch, RunnableGenerator, RunnableLambda

from studylog.rag import evidence as ev
from studylog.rag.chat_model import StudyLogChatModel
from studylog.rag.citations import clean_citations
from studylog.rag.generation import GenerationResult, stream_generate
from studylog.rag.prompts import (
    ANSWER_PREFIX,
    PromptParts,
    build_messages,
    encode_chat,
    encode_plain,
    fit_sources,
    question_language,
)
from studylog.rag.retriever import HybridRetriever
from studylog.rag.types import Answer, AskEvent, Source

MAX_QUESTION_CHARS = 1000
_LATIN_TERM = re.compile(r"[a-z][a-z0-9_.+-]{2,}")
MIN_COVERAGE = 0.34  # share of the question's content words found in the sources (see bench ask)
MIN_SUPPORT = 0.3  # share of the answer's content words found in the sources


@dataclass
class ChainConfig:
    k: int = 4
    source_token_budget: int = 900
    max_new_tokens: int = 200
    min_new_tokens: int = 0  # benchmarks force a fixed length
    # Record the answer's attention rows while generating (studylog.attention.record): exactly
    # what answered, for 22-27 ms per token on 2 cores and float16 rows kept for the latest
    # answer only (the 1.5B at 900 prompt + 200 answer tokens: 28*12*200*1100*2 B = 150 MB).
    record_attention: bool = True


@dataclass
class _Run:
    """State of one question as it moves through the chain."""

    question: str
    history: list[tuple[str, str]]
    cancel: threading.Event
    today: dt.date | None
    started: float = field(default_factory=time.perf_counter)
    answer: Answer | None = None
    parts: PromptParts | None = None
    sources: list[Source] = field(default_factory=list)
    prompt_ids: list[int] = field(default_factory=list)
    spans: list[dict] = field(default_factory=list)
    first_token_at: float = 0.0
    generation: GenerationResult = field(default_factory=GenerationResult)
    declined_text: str = ""
    prefix: str = ""  # the start of the answer written for the model (part of the prompt)


class AnswerChain:
    def __init__(
        self,
        retriever: BaseRetriever | Callable[..., object],
        loaded_model,
        tokenize: Callable[[str], list[str]],
        config: ChainConfig | None = None,
        known_term: Callable[[str], bool] | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        """`retriever`: a `BaseRetriever`, or a search function `(question, k, today)` as
        `HybridRetriever` wraps. `loaded_model` gives the tokenizer that fits the sources to
        the prompt, the model's name and device, and the default chat model."""
        self.config = config or ChainConfig()
        if not isinstance(retriever, BaseRetriever):
            retriever = HybridRetriever(search=retriever, k=self.config.k + 2)
        self.retriever = retriever
        self.known_term = known_term
        self.loaded = loaded_model
        self.tokenize = tokenize
        self.chat_model = chat_model or StudyLogChatModel(
            loaded=loaded_model,
            max_new_tokens=self.config.max_new_tokens,
            min_new_tokens=self.config.min_new_tokens,
            record_attention=self.config.record_attention,
            stream_fn=stream_generate,  # this module's name, which tests stand a script in for
        )

    def _runnable(self, run: _Run) -> Runnable[str, str]:
        """The LCEL chain for one question: question in, answer text pieces out."""
        decline = RunnableLambda(lambda _: AIMessage(content=run.declined_text), name="decline")
        return (
            self.retriever.bind(today=run.today)
            | RunnableLambda(partial(self._sources, run), name="sources")
            | RunnableLambda(partial(self._prompt, run), name="prompt")
            | RunnableBranch((lambda _: bool(run.declined_text), decline), self.chat_model)
            | RunnableGenerator(partial(self._pieces, run), name="pieces")
        )

    # -- steps -----------------------------------------------------------------------------
    def _sources(self, run: _Run, documents: list[Document]) -> list[Source]:
        language = question_language(run.question)
        if not documents and getattr(documents, "no_note_on", ""):
            run.declined_text = ev.NO_NOTE_ON[language].format(label=documents.no_note_on)
            return run.sources
        if ev.asked_relation(run.question) and not ev.asks_about_goals(run.question):
            # A why/how question is answered by what was learned or fixed, not by what was
            # planned; a goal line in the prompt invites the model to restate it (measured: the
            # 1.5B answered "why √d_k" with the goal "√d_k 로 나누는 이유 이해하기" [scrum]).
            documents = [d for d in documents if d.metadata.get("section") != "scrum"] or documents
        wanted = ev.asked_sections(run.question)
        if wanted:  # "What did I fix …?": that section's chunks first, in their retrieved order
            documents = sorted(documents, key=lambda d: d.metadata.get("section") not in wanted)
        run.sources = [_source(i + 1, d) for i, d in enumerate(documents[: self.config.k])]
        if (
            not run.sources
            or ev.question_coverage(run.question, run.sources, self.tokenize) < MIN_COVERAGE
        ):
            run.declined_text = ev.NOT_FOUND[language]
        elif language == "ko" and self.known_term is not None:
            # A Korean question naming a technical term ("GAN") that no note contains asks
            # about something never written down. Not applied to English questions: their
            # every word is Latin, and cross-lingual questions share few words with the notes.
            unknown = [
                t for t in self.tokenize(run.question)
                if _LATIN_TERM.fullmatch(t) and not self.known_term(t)
            ]
            if unknown:
                run.declined_text = ev.NOT_FOUND[language]
        return run.sources

    def _prompt(self, run: _Run, sources: list[Source]) -> ChatPromptValue:
        if run.declined_text:
            return ChatPromptValue(messages=[])
        tokenizer = self.loaded.tokenizer

        def count(text: str) -> int:
            return len(encode_plain(tokenizer, text)[0])

        run.sources = fit_sources(sources, count, self.config.source_token_budget)
        run.parts = build_messages(run.question, run.sources, run.history)
        run.prefix = ANSWER_PREFIX[run.parts.language]
        # Notes and the question are plain text: a note quoting `<|im_end|>` cannot end a turn.
        # The chat model encodes the same messages the same way; encoded here too for the spans.
        prompt = encode_chat(tokenizer, run.parts.messages, run.prefix)
        run.prompt_ids = prompt.ids
        run.spans = _label_spans(prompt.text, prompt.offsets, run.parts)
        return ChatPromptValue(messages=[*_messages(run.parts.messages), AIMessage(content=run.prefix)])

    def _pieces(self, run: _Run, messages: Iterator[BaseMessage]) -> Iterator[str]:
        """The answer's text: the prefix written for the model, then the model's pieces; the
        token ids and how generation ended are taken from the chunks' metadata."""
        reported = False
        started = False
        for message in messages:
            if run.declined_text:
                run.first_token_at = time.perf_counter()
                yield message.text
                continue
            metadata = message.response_metadata
            if "prompt_token_ids" in metadata:
                run.prompt_ids = list(metadata["prompt_token_ids"])
            if "answer_token_ids" in metadata:
                reported = True
                run.generation = GenerationResult(
                    answer_ids=list(metadata["answer_token_ids"]),
                    looped=bool(metadata.get("looped")),
                    cancelled=bool(metadata.get("cancelled")),
                )
            if not started:  # on the first chunk, sent before decoding starts
                started = True
                yield run.prefix
            piece = message.text
            if piece:
                if not run.first_token_at and piece.strip():
                    run.first_token_at = time.perf_counter()
                yield piece
        if not reported and not run.declined_text:  # a chat model that reports no token ids
            run.generation.cancelled = run.cancel.is_set()

    # -- public ----------------------------------------------------------------------------
    def stream(
        self,
        question: str,
        history: list[tuple[str, str]] | None = None,
        cancel: threading.Event | None = None,
        today: dt.date | None = None,
    ) -> Iterator[AskEvent]:
        """Yield status, token and finally one done event carrying the Answer."""
        question = question.strip()
        if not question:
            raise ValueError("empty question")
        truncated = len(question) > MAX_QUESTION_CHARS
        if truncated:
            question = question[:MAX_QUESTION_CHARS]
            yield AskEvent(
                "status", f"the question was cut to its first {MAX_QUESTION_CHARS} characters"
            )
        run = _Run(
            question=question,
            history=list(history or []),
            cancel=cancel or threading.Event(),
            today=today,
        )
        yield AskEvent("status", "searching your notes")
        pieces: list[str] = []
        config = {"configurable": {"cancel": run.cancel}, "run_name": "answer"}
        for piece in self._runnable(run).stream(run.question, config):
            pieces.append(piece)
            yield AskEvent("token", piece)
        yield AskEvent("done", answer=self._finish(run, "".join(pieces)))

    def _finish(self, run: _Run, text: str) -> Answer:
        language = question_language(run.question)
        answer = Answer(question=run.question, model=self.loaded.name, device=self.loaded.device)
        answer.retrieved = run.sources
        answer.prompt_tokens = len(run.prompt_ids)
        answer.prompt_token_ids = run.prompt_ids
        answer.answer_token_ids = run.generation.answer_ids
        answer.new_tokens = len(run.generation.answer_ids)
        answer.spans = run.spans
        answer.cancelled = run.generation.cancelled
        answer.seconds = time.perf_counter() - run.started
        answer.seconds_to_first_token = (run.first_token_at or time.perf_counter()) - run.started
        if run.declined_text:
            answer.text, answer.declined = run.declined_text, True
            return answer
        generated = text[len(run.prefix):] if text.startswith(run.prefix) else text
        cleaned, cited, removed = clean_citations(generated, {s.n for s in run.sources})
        answer.removed_citations = removed
        cleaned, cited, answer.reattributed_citations = ev.reattribute_citations(
            cleaned, run.sources, self.tokenize
        )
        reasons = ev.FALLBACK_REASONS[language]
        reason = ""
        degenerate = ev.is_degenerate(cleaned)
        if run.generation.looped or degenerate == "the model repeated itself":
            reason = reasons["loop"]
        elif degenerate:
            reason = reasons["garbled" if "garbled" in degenerate else "empty"]
        elif not answer.cancelled and ev.support(cleaned, run.sources, self.tokenize) < MIN_SUPPORT:
            reason = reasons["unsupported" if cited else "uncited"]
        elif not answer.cancelled and ev.restates(cleaned, run.question, run.sources, self.tokenize):
            reason = reasons["restated"]
        # Quotes come from what the model cited when it cited anything, else from every source;
        # a citation of the day's goals alone is no evidence unless the plan was asked about.
        pool = [s for s in run.sources if s.n in cited] if cited and not reason else run.sources
        if all(s.section == "scrum" for s in pool) and not ev.asks_about_goals(run.question):
            pool = run.sources
        answer.evidence = ev.select_evidence(
            run.question, "" if reason else cleaned, pool, self.tokenize
        )
        if not answer.evidence and pool is not run.sources:
            answer.evidence = ev.select_evidence(run.question, cleaned, run.sources, self.tokenize)
        if reason and answer.evidence:
            answer.text, answer.fallback, answer.fallback_reason = (
                ev.extractive_answer(answer.evidence, language, reason),
                True,
                reason,
            )
            cited = sorted({e.n for e in answer.evidence})
        elif reason:
            answer.text, answer.declined = ev.NOT_FOUND[language], True
            cited = []
        else:
            answer.text = run.prefix + cleaned
            if not cited:  # supported but uncited: the sources shown are decided here
                cited = sorted({e.n for e in answer.evidence}) or [run.sources[0].n]
        shown = set(cited) | {e.n for e in answer.evidence}
        answer.sources = [s for s in run.sources if s.n in shown]
        return answer


def _source(n: int, document: Document) -> Source:
    """Source `[n]` from a retrieved document (`HybridRetriever` metadata; gaps left empty)."""
    meta = document.metadata
    return Source(
        n=n,
        date=str(meta.get("date", "")),
        path=str(meta.get("path", "")),
        section=str(meta.get("section", "")),
        heading_path=str(meta.get("heading_path", "")),
        start_line=int(meta.get("start_line", 0)),
        text=document.page_content,
        chunk_id=str(meta.get("chunk_id") or document.id or ""),
        score=float(meta.get("score", 0.0)),
    )


_MESSAGE_TYPES = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


def _messages(dicts: list[dict]) -> list[BaseMessage]:
    return [_MESSAGE_TYPES[d["role"]](content=d["content"]) for d in dicts]


def _label_spans(prompt_text: str, offsets, parts: PromptParts) -> list[dict]:
    """Token ranges of each source, the question and the instructions in the prompt."""
    ranges: list[tuple[str, int, int]] = []
    cursor = 0
    for n, block in parts.source_blocks:
        start = prompt_text.find(block, cursor)
        if start >= 0:
            ranges.append((f"source {n}", start, start + len(block)))
            cursor = start + len(block)
    q_start = prompt_text.find(f"Question: {parts.question}", cursor)
    if q_start >= 0:
        ranges.append(("question", q_start, q_start + len("Question: ") + len(parts.question)))
    spans: list[dict] = []
    for label, start, end in ranges:
        token_ids = [i for i, (a, b) in enumerate(offsets) if b > start and a < end]
        if token_ids:
            spans.append({"label": label, "start": token_ids[0], "end": token_ids[-1] + 1})
    covered = {i for s in spans for i in range(s["start"], s["end"])}
    first_free = next((i for i in range(len(offsets)) if i not in covered), None)
    if first_free is not None:
        spans.insert(
            0,
            {
                "label": "instructions",
                "start": 0,
                "end": min(s["start"] for s in spans) if spans else len(offsets),
            },
        )
    return spans
