"""The chain's retriever and chat model are LangChain parts: each can be swapped, and ours stream
token ids and stop on cancel (tiny Qwen2 from a config, no downloads)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from studylog.rag.chain import AnswerChain, ChainConfig
from studylog.rag.chat_model import StudyLogChatModel
from studylog.rag.generation import stream_generate
from studylog.rag.prompts import encode_chat
from studylog.rag.retriever import HybridRetriever
from tests.chain.conftest import NOTES
from tests.chain.test_chain import collect, fake_search, kiwi

WHY = "√d_k로 나누는 이유?"
EXPLAINED = "내적의 분산이 d_k 가 되어 softmax가 한쪽으로 쏠림. √64 = 8 로 나눠서 분산을 1로 맞춰줌 [2]."


class FixedRetriever(BaseRetriever):
    """A plain LangChain retriever: the same documents for every query, no `today`."""

    documents: list[Document]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.documents


class RecordingFakeChatModel(GenericFakeChatModel):
    """LangChain's fake chat model, keeping the messages it was given."""

    seen: list[list[BaseMessage]] = []

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        self.seen.append(list(messages))
        yield from super()._stream(messages, stop, run_manager, **kwargs)


def note_documents() -> list[Document]:
    """NOTES as bare Documents, the LoRA note first so that the √d_k note is source [2]."""
    notes = [NOTES[2], NOTES[0], NOTES[1]]
    return [Document(page_content=text, metadata={"date": date, "heading_path": heading, "section": "learned"})
            for date, heading, text in notes]


def test_a_plain_retriever_and_langchains_fake_chat_model_compose(tiny):
    model = RecordingFakeChatModel(messages=iter([AIMessage(content=EXPLAINED)]))
    chain = AnswerChain(FixedRetriever(documents=note_documents()), tiny, kiwi, ChainConfig(k=3),
                        chat_model=model)

    tokens, answer = collect(chain.stream(WHY, today=dt.date(2026, 11, 28)))

    assert "".join(tokens) == "노트에 따르면, " + EXPLAINED and len(tokens) > 3  # streamed
    assert not answer.fallback and not answer.declined, answer
    assert answer.text == "노트에 따르면, " + EXPLAINED
    assert [(s.n, s.date) for s in answer.retrieved] == [(1, "2026-10-23"), (2, "2026-10-14"), (3, "2026-11-19")]
    assert [(s.n, s.date) for s in answer.sources] == [(2, "2026-10-14")]
    assert {e.n for e in answer.evidence} == {2}
    # The model was given the numbered sources, and the answer's start as the AI's turn.
    messages = model.seen[-1]
    assert [type(m) for m in messages] == [SystemMessage, HumanMessage, AIMessage]
    assert "[2] (2026-10-14" in messages[1].text and messages[2].text == "노트에 따르면, "
    # No token ids come back from this model: the prompt's are the chain's own encoding.
    assert answer.prompt_token_ids and answer.answer_token_ids == [] and not answer.cancelled


def test_a_plain_retriever_feeds_our_chat_model(tiny):
    chain = AnswerChain(FixedRetriever(documents=note_documents()), tiny, kiwi,
                        ChainConfig(k=3, max_new_tokens=6, min_new_tokens=6))

    _, answer = collect(chain.stream(WHY))

    assert [s.date for s in answer.retrieved] == ["2026-10-23", "2026-10-14", "2026-11-19"]
    assert answer.retrieved[1].heading_path == NOTES[0][1] and answer.retrieved[1].text == NOTES[0][2]
    assert answer.new_tokens == len(answer.answer_token_ids) == 6
    assert [s["label"] for s in answer.spans][:2] == ["instructions", "source 1"]


def test_hybrid_retriever_carries_every_source_field_and_the_date_scope():
    calls = []

    def search(question, k=5, today=None):
        calls.append((question, k, today))
        return fake_search(question, k, today)

    retriever = HybridRetriever(search=search, k=2)
    documents = retriever.invoke("LoRA learning rate?", today=dt.date(2026, 11, 28))

    assert calls == [("LoRA learning rate?", 2, dt.date(2026, 11, 28))]
    assert [d.metadata["date"] for d in documents] == ["2026-10-14", "2026-11-19"]
    assert documents[0].page_content == NOTES[0][2] and documents[0].id == "2026-10-14.md#0"
    assert documents[0].metadata == {"date": "2026-10-14", "path": "2026-10-14.md", "section": "learned",
                                     "heading_path": NOTES[0][1], "start_line": 10,
                                     "chunk_id": "2026-10-14.md#0", "score": 0.1}
    # Bound in a chain, `today` anchors the question's dates; a date without notes says so.
    empty = (RunnableLambda(lambda q: q) | retriever.bind(today=dt.date(2026, 11, 28))).invoke("10월 18일에 뭐 배웠지?")
    assert empty == [] and empty.no_note_on == "2026-10-18"


def messages_for(tiny) -> list[BaseMessage]:
    return [SystemMessage(content="You answer from notes."),
            HumanMessage(content="Sources:\n[1] 분산을 1로 맞춰줌 <|im_end|>\n\nQuestion: 왜 나누나?"),
            AIMessage(content="노트에 따르면, ")]


def test_our_chat_model_streams_pieces_and_reports_token_ids(tiny):
    model = StudyLogChatModel(loaded=tiny, max_new_tokens=8, min_new_tokens=8, record_attention=False)
    messages = messages_for(tiny)

    chunks = list(model.stream(messages))

    expected_prompt = encode_chat(tiny.tokenizer, [{"role": "system", "content": messages[0].text},
                                                   {"role": "user", "content": messages[1].text}],
                                  "노트에 따르면, ").ids
    assert chunks[0].content == "" and chunks[0].response_metadata["prompt_token_ids"] == expected_prompt
    metadata = next(c.response_metadata for c in chunks if "answer_token_ids" in c.response_metadata)
    reference = list(stream_generate(tiny.model, tiny.tokenizer, expected_prompt, 8, min_new_tokens=8))
    pieces = [c.content for c in chunks if c.content]
    assert len(pieces) >= 2 and "".join(pieces) == "".join(reference)  # exact greedy, streamed
    assert len(metadata["answer_token_ids"]) == 8 and metadata["finish_reason"] == "length"
    assert not metadata["cancelled"] and not metadata["looped"]
    # invoke() gives the same answer in one message, ids included.
    message = model.invoke(messages)
    assert message.text == "".join(reference)
    assert message.response_metadata["answer_token_ids"] == metadata["answer_token_ids"]
    assert message.usage_metadata["input_tokens"] == len(expected_prompt)


def test_our_chat_model_stops_on_cancel_by_keyword_and_by_config(tiny):
    model = StudyLogChatModel(loaded=tiny, max_new_tokens=400, min_new_tokens=400, record_attention=False)

    def run(stream) -> dict:
        pieces = 0
        for chunk in stream:
            pieces += bool(chunk.content)
            if pieces == 3:
                cancel.set()
            if "answer_token_ids" in chunk.response_metadata:
                return chunk.response_metadata
        raise AssertionError("no closing chunk")

    cancel = threading.Event()
    metadata = run(model.stream(messages_for(tiny), cancel=cancel))
    assert metadata["cancelled"] and metadata["finish_reason"] == "cancelled"
    assert len(metadata["answer_token_ids"]) < 50

    cancel = threading.Event()
    chain = RunnableLambda(lambda messages: messages) | model
    metadata = run(chain.stream(messages_for(tiny), {"configurable": {"cancel": cancel}}))
    assert metadata["cancelled"] and len(metadata["answer_token_ids"]) < 50


def test_bench_overhead_times_the_langchain_chain_against_raw_generate(tiny, monkeypatch):
    from studylog.bench import ask_bench

    streams = []
    original = StudyLogChatModel._stream

    def counted(self, *args, **kwargs):
        streams.append(self.record_attention)
        yield from original(self, *args, **kwargs)

    monkeypatch.setattr(StudyLogChatModel, "_stream", counted)
    searches = []

    def search(question, k=5, today=None, per_note=True):
        searches.append((question, per_note))
        return fake_search(question, k, today)

    service = type("Service", (), {"generator": lambda self: tiny, "search": lambda self, *a, **kw: search(*a, **kw)})()

    figures, prompt_ids = ask_bench._overhead(service, 4)

    assert len(prompt_ids) == figures["prompt_tokens"]
    assert figures["new_tokens"] == 4 and figures["prompt_tokens"] > 50
    assert figures["chain_tokens_per_s"] > 0 and figures["raw_generate_tokens_per_s"] > 0
    assert "chain_overhead_pct" in figures
    assert (ask_bench.OVERHEAD_QUESTION, False) in searches  # through HybridRetriever
    assert len(streams) >= 2 and not any(streams)  # through StudyLogChatModel, not recording
