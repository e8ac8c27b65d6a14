"""A tiny Qwen2 built from a config, with a byte-level BPE tokenizer trained in milliseconds."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
NOTES = [
    ("2026-10-14", "새로 배운 내용 > 주제 4: Scaled Dot-Product Attention",
     "Attention(Q, K, V) = softmax(QKᵀ / √d_k) V\n왜 √d_k 로 나누나? 내적의 분산이 d_k 가 되어 softmax가 한쪽으로 쏠림. √64 = 8 로 나눠서 분산을 1로 맞춰줌."),
    ("2026-11-19", "새로 배운 내용 > 주제 2: nginx 설정",
     "proxy_buffering off; 스트리밍 응답이 한 번에 오던 문제를 해결했다."),
    ("2026-10-23", "새로 배운 내용 > Topic 2: LoRA re-run",
     "Changed learning_rate 2e-5 → 2e-4, kept r=8. Result after 2 epochs: eval accuracy 0.887."),
]


@pytest.fixture(scope="session")
def tiny():
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator([text for _, _, text in NOTES] * 10, trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    hf.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=tokenizer.get_vocab_size(), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=4096, eos_token_id=2, pad_token_id=0)
    model = Qwen2ForCausalLM(config).eval()
    return SimpleNamespace(model=model, tokenizer=hf, name="tiny-qwen2", device="cpu")


