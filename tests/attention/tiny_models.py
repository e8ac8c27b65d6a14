"""Tiny, offline stand-ins for the generator: a 3-layer GQA Qwen2 and a byte-level BPE tokenizer.

Built in milliseconds from configs; nothing is downloaded.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from studylog.attention import Span, spans_from_offsets

CORPUS = [
    "오늘은 트랜스포머의 어텐션을 공부했다.",
    "어텐션 가중치는 각 토큰이 어디를 보는지 알려 준다.",
    "Attention weights show where each token looks.",
    "I studied grouped-query attention today.",
]
NUM_LAYERS, NUM_HEADS, NUM_KV_HEADS = 3, 4, 2


def build_tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level BPE with few merges, so rare Hangul syllables stay split into byte tokens."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        show_progress=False,
    )
    bpe.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )


def build_model(tokenizer: PreTrainedTokenizerFast) -> Qwen2ForCausalLM:
    """A seeded model, left on its default SDPA attention.

    initializer_range is raised from 0.02 so attention is peaked rather than near-uniform,
    which makes an off-by-one row or a wrong head visible in comparisons.
    """
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=NUM_LAYERS,
        num_attention_heads=NUM_HEADS,
        num_key_value_heads=NUM_KV_HEADS,
        max_position_embeddings=1024,
        initializer_range=0.2,
    )
    return Qwen2ForCausalLM(config).eval()


class Chat(NamedTuple):
    token_ids: list[int]
    prompt_len: int
    spans: list[Span]


def build_chat(tokenizer: PreTrainedTokenizerFast) -> Chat:
    """A chat-style RAG prompt with labelled parts, followed by an answer."""
    parts = [
        ("<|im_start|>system\n", None),
        ("메모를 근거로 답하라.", "instructions"),
        ("<|im_end|>\n<|im_start|>user\n", None),
        ("[1] 어텐션을 공부했다.", "source 1"),
        ("\n", None),
        ("[2] GQA shares keys.", "source 2"),
        ("\n질문: ", None),
        ("무엇을 배웠나?", "question"),
        ("<|im_end|>\n<|im_start|>assistant\n", None),
    ]
    prompt, char_spans = "", []
    for text, label in parts:
        if label is not None:
            char_spans.append((label, len(prompt), len(prompt) + len(text)))
        prompt += text
    encoded = tokenizer(prompt, return_offsets_mapping=True)
    prompt_ids = encoded["input_ids"]
    answer_ids = tokenizer.encode("어텐션과 GQA를 배웠습니다.<|im_end|>")
    spans = spans_from_offsets(encoded["offset_mapping"], char_spans)
    return Chat(prompt_ids + answer_ids, len(prompt_ids), spans)
