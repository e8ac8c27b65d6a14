"""`studylog import`: dates from anywhere, never overwrite, dry run."""

from __future__ import annotations

import os
from pathlib import Path

from studylog.notes.importer import import_folder
from studylog.notes.vault import Vault


def make_til(root: Path) -> Path:
    (root / "2024" / "04").mkdir(parents=True)
    (root / "2024" / "04" / "18.md").write_text("### TIL\nGit rebase", encoding="utf-8")
    (root / "20240419.md").write_text("### 회고\n좋았다", encoding="utf-8")
    (root / "fm.md").write_text("---\ndate: 2024-04-20\ntitle: FM\n---\n본문", encoding="utf-8")
    (root / "dated-line.md").write_text("날짜: 2024-04-21\n메모", encoding="utf-8")
    undated = root / "ideas" / "무제 메모.md"
    undated.parent.mkdir()
    undated.write_text("날짜 없는 메모", encoding="utf-8")
    os.utime(undated, (1700000000, 1700000000))
    (root / "broken.md").write_bytes(b"\x00\x00\x00")
    return root


def test_import_dates_and_flags(tmp_path):
    source = make_til(tmp_path / "til")
    vault = Vault(tmp_path / "vault")
    report = import_folder(source, vault)
    by_source = {a.source: a for a in report.actions}
    assert by_source["2024/04/18.md"].target == "2024-04-18.md"
    assert by_source["20240419.md"].target == "2024-04-19.md"
    assert by_source["fm.md"].target == "2024-04-20.md"
    assert by_source["dated-line.md"].target == "2024-04-21.md"
    undated = by_source["ideas/무제 메모.md"]
    assert undated.date_source == "mtime" and undated.target == "imported/ideas/무제 메모.md"
    assert by_source["broken.md"].action == "error" and "binary" in by_source["broken.md"].message
    imported = {n.date.isoformat() for n in vault.scan().notes}
    assert {"2024-04-18", "2024-04-19", "2024-04-20", "2024-04-21"} <= imported
    # Notes without front matter get their date written in, so the vault file stands alone.
    assert (vault.root / "2024-04-19.md").read_text(encoding="utf-8").startswith("---\ndate: 2024-04-19\n---\n")


def test_import_keeps_both_and_skips_identical(tmp_path):
    source = make_til(tmp_path / "til")
    vault = Vault(tmp_path / "vault")
    vault.check(create=True)
    (vault.root / "2024-04-19.md").write_text("### 스크럼\n내가 쓴 다른 노트", encoding="utf-8")
    first = import_folder(source, vault)
    kept = next(a for a in first.actions if a.source == "20240419.md")
    assert kept.action == "keep-both" and kept.target == "2024-04-19-2.md"
    assert (vault.root / "2024-04-19.md").read_text(encoding="utf-8") == "### 스크럼\n내가 쓴 다른 노트"
    second = import_folder(source, vault)
    assert second.count("copy") == 0 and second.count("keep-both") == 0
    assert second.count("skip-identical") == 5


def test_dry_run_writes_nothing(tmp_path):
    source = make_til(tmp_path / "til")
    vault = Vault(tmp_path / "vault")
    report = import_folder(source, vault, dry_run=True)
    assert report.count("copy") == 5 and not vault.root.exists()


def test_fixtures_import_round_trip(fixtures_vault, tmp_path):
    vault = Vault(tmp_path / "imported-vault")
    report = import_folder(fixtures_vault, vault)
    assert report.count("copy") == 45 and report.count("error") == 0
    assert len(vault.scan().notes) == 45
