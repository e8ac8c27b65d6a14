"""Fixtures for the model layer: a tiny Qwen2 (safetensors folder and GGUF), fake part packages."""

from __future__ import annotations

import importlib
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gguf
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_CORPUS = [
    "I studied transformers today and learned about attention.",
    "오늘은 파이썬을 공부했다.",
    "The key insight is caching the keys and values.",
]


@dataclass(frozen=True)
class TinyModel:
    """A 2-layer Qwen2 saved both ways; `model` is the reference the loaded copies must match."""

    model: Qwen2ForCausalLM
    folder: Path  # save_pretrained folder with tokenizer and chat template
    gguf_path: Path  # the same weights (F32) and tokenizer as a GGUF file


def _train_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS * 20, trainer)
    return tokenizer


def _write_gguf(path: Path, model: Qwen2ForCausalLM, tokenizer: Tokenizer) -> None:
    """What llama.cpp's converter writes for Qwen2, minus quantisation."""
    cfg = model.config
    tokens = [t for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_name("tiny-qwen2")
    writer.add_block_count(cfg.num_hidden_layers)
    writer.add_context_length(cfg.max_position_embeddings)
    writer.add_embedding_length(cfg.hidden_size)
    writer.add_feed_forward_length(cfg.intermediate_size)
    writer.add_head_count(cfg.num_attention_heads)
    writer.add_head_count_kv(cfg.num_key_value_heads)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(
        [gguf.TokenType.CONTROL if t in SPECIAL_TOKENS else gguf.TokenType.NORMAL for t in tokens]
    )
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in merges])
    writer.add_bos_token_id(0)
    writer.add_eos_token_id(2)
    writer.add_pad_token_id(0)
    writer.add_chat_template(CHAT_TEMPLATE)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN2, cfg.num_hidden_layers)
    for name, tensor in model.state_dict().items():
        writer.add_tensor(names.get_name(name, try_suffixes=(".weight", ".bias")), tensor.numpy())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    root = tmp_path_factory.mktemp("tiny-qwen2")
    tokenizer = _train_tokenizer()
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        tie_word_embeddings=False,  # a GGUF with output.weight converts to an untied model
        rms_norm_eps=1e-6,
        bos_token_id=0,
        eos_token_id=2,
        pad_token_id=0,
    )
    model = Qwen2ForCausalLM(config).eval()
    folder = root / "hf"
    model.save_pretrained(folder)
    hf_tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    hf_tokenizer.chat_template = CHAT_TEMPLATE
    hf_tokenizer.save_pretrained(folder)
    gguf_path = root / "tiny.gguf"
    _write_gguf(gguf_path, model, tokenizer)
    return TinyModel(model=model, folder=folder, gguf_path=gguf_path)


MakePackages = Callable[[str, list[bytes]], list[str]]


@pytest.fixture
def make_part_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakePackages:
    """Install fake part packages (dist-info + data/partNN.bin) on a temp sys.path entry.

    Each package's `__init__` raises, so a test passes only if nothing imports it.
    Returns the pinned requirements, in part order.
    """
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def make(prefix: str, blobs: list[bytes]) -> list[str]:
        requirements = []
        for number, blob in enumerate(blobs, start=1):
            name, module = f"{prefix}{number}", f"{prefix.replace('-', '_')}{number}"
            data = site / module / "data" / f"part{number:02d}.bin"
            data.parent.mkdir(parents=True)
            data.write_bytes(blob)
            (site / module / "__init__.py").write_text("raise ImportError('never import me')\n")
            info = site / f"{module}-1.0.dist-info"
            info.mkdir()
            (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
            files = [f"{module}/__init__.py", f"{module}/data/part{number:02d}.bin"]
            (info / "RECORD").write_text("".join(f"{f},,\n" for f in files))
            requirements.append(f"{name}==1.0")
        importlib.invalidate_caches()
        return requirements

    return make


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test instead of waiting on the network."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache, so the user's real one never decides a test."""
    import huggingface_hub.constants

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache
