"""The local answering model as a LangChain chat model, streaming with cancel, loop stop and
the token ids the attention views need.

Why not `langchain_huggingface.ChatHuggingFace` over `HuggingFacePipeline` (1.2.3): it cannot
give what the answers rely on.
- The prompt: `ChatHuggingFace._to_chat_prompt` renders the template to a string
  (`apply_chat_template(tokenize=False)`) and the pipeline tokenises that string again, so a
  note quoting `<|im_end|>` becomes the control token and can close the turn; our
  `encode_chat` tokenises contents with `split_special_tokens`. It also refuses a conversation
  that does not end with a human message, so the answer cannot be started for the model.
- The stream: `HuggingFacePipeline._stream` yields text from a `TextIteratorStreamer` and hands
  back no token ids (the prompt's or the answer's), which the attention views key on.
- Stopping: its only stopping criterion is `StopOnTokens` built from `stop`, passed beside
  `**pipeline_kwargs` (another `stopping_criteria` is a duplicate keyword), so neither a Stop
  button nor the loop stop can end `generate`; its thread is never joined, and a consumer that
  stops reading leaves it generating.
- Recording: nothing can be entered around `generate` in its thread, where the attention
  recorder must switch the attention implementation.

So this model wraps `stream_generate`, which does all four.

Messages: system, human and AI turns map to the chat template's roles; a final AI message is
the start of the answer, written for the model and continued by it (not repeated in its output).

Cancel: a `threading.Event`, given as the keyword `cancel` (`model.stream(messages,
cancel=event)`) or in the run's config, `{"configurable": {"cancel": event}}`, which reaches the
model through a chain and which other chat models ignore (the answer chain passes it so).
Setting it stops `generate` within one decoding step.

Output: the first chunk is empty and carries `prompt_token_ids` in its `response_metadata`
(sent before decoding starts); then one chunk per text piece; the last is empty and carries
`answer_token_ids`, `looped`, `cancelled` and `finish_reason`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import ensure_config
from pydantic import ConfigDict

from studylog.rag.generation import GenerationResult, stream_generate
from studylog.rag.prompts import encode_chat

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def chat_dicts(messages: list[BaseMessage]) -> tuple[list[dict], str]:
    """The chat template's messages, and the answer start when the last message is the AI's."""
    answer_start = ""
    if messages and isinstance(messages[-1], AIMessage):
        answer_start, messages = messages[-1].text, messages[:-1]
    dicts = []
    for message in messages:
        if message.type not in _ROLES:
            raise ValueError(f"a {message.type} message has no role in the chat template")
        dicts.append({"role": _ROLES[message.type], "content": message.text})
    return dicts, answer_start


class StudyLogChatModel(BaseChatModel):
    """Greedy decoding on a `LoadedModel` (anything with `model`, `tokenizer` and `name`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    loaded: Any
    max_new_tokens: int = 200
    min_new_tokens: int = 0  # benchmarks force a fixed length
    record_attention: bool = True
    """Record the answer's attention rows while generating (`studylog.attention.record`)."""
    stream_fn: Callable[..., Iterator[str]] = stream_generate
    """`stream_generate` or a stand-in with its signature (tests)."""

    @property
    def _llm_type(self) -> str:
        return "studylog-transformers"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.loaded.name, "max_new_tokens": self.max_new_tokens}

    def invoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        return super().invoke(input, config, stop=stop, **_with_cancel(config, kwargs))

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        return super().stream(input, config, stop=stop, **_with_cancel(config, kwargs))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        *,
        cancel: threading.Event | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if stop:
            raise ValueError("stop strings are not supported: generation ends at end of turn")
        # The config's event also reaches entry points not overridden here (batch, async).
        cancel = cancel or _configured_cancel(ensure_config()) or threading.Event()
        dicts, answer_start = chat_dicts(messages)
        prompt_ids = encode_chat(self.loaded.tokenizer, dicts, answer_start).ids
        yield ChatGenerationChunk(
            message=AIMessageChunk(content="", response_metadata={"prompt_token_ids": prompt_ids})
        )
        recorder = None
        if self.record_attention:
            from studylog.attention.record import AnswerRecorder

            recorder = AnswerRecorder(self.loaded.model, len(prompt_ids), self.max_new_tokens)
        result = GenerationResult()
        for piece in self.stream_fn(
            self.loaded.model,
            self.loaded.tokenizer,
            prompt_ids,
            self.max_new_tokens,
            cancel,
            result,
            self.min_new_tokens,
            recorder.recording() if recorder is not None else None,
        ):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        _keep_recorded_rows(recorder, prompt_ids, result.answer_ids)
        finish = "cancelled" if result.cancelled else "loop" if result.looped else "stop"
        if not result.cancelled and not result.looped and len(result.answer_ids) >= self.max_new_tokens:
            finish = "length"
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                response_metadata={
                    "answer_token_ids": list(result.answer_ids),
                    "looped": result.looped,
                    "cancelled": result.cancelled,
                    "finish_reason": finish,
                    "model_name": self.loaded.name,
                },
                usage_metadata={
                    "input_tokens": len(prompt_ids),
                    "output_tokens": len(result.answer_ids),
                    "total_tokens": len(prompt_ids) + len(result.answer_ids),
                },
            )
        )


def _configured_cancel(config: RunnableConfig | None) -> threading.Event | None:
    return ((config or {}).get("configurable") or {}).get("cancel")


def _with_cancel(config: RunnableConfig | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """`kwargs` with the config's cancel event, unless the caller gave one as a keyword."""
    cancel = _configured_cancel(config)
    return kwargs if cancel is None or kwargs.get("cancel") else {**kwargs, "cancel": cancel}


def _keep_recorded_rows(recorder, prompt_ids: list[int], answer_ids: list[int]) -> None:
    """Hand the recorded attention rows to this process's store, keyed by the exact tokens."""
    if recorder is None or not answer_ids or len(answer_ids) > recorder.recorded_tokens:
        return
    from studylog.attention.record import RECORDED

    RECORDED.put(prompt_ids + answer_ids, recorder.rows(len(answer_ids)))
