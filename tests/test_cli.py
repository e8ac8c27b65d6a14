"""The `studylog` command line: output formats, exit codes, error messages."""

from __future__ import annotations

import json

import pytest

from studylog import cli
from studylog.index import embedders


@pytest.fixture(autouse=True)
def fast_embedder(monkeypatch, fake_embedder):
    monkeypatch.setattr(embedders, "load_embedder", lambda spec, allow_network=False: fake_embedder)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0 and "studylog" in capsys.readouterr().out


def test_new_never_overwrites(capsys, tmp_path):
    vault = tmp_path / "v"
    code, out, _ = run(capsys, "new", "--vault", str(vault), "--date", "2026-11-28", "--json")
    assert code == 0 and json.loads(out) == {"path": str(vault / "2026-11-28.md"), "created": True}
    (vault / "2026-11-28.md").write_text("mine", encoding="utf-8")
    code, out, _ = run(capsys, "new", "--vault", str(vault), "--date", "2026-11-28", "--json")
    assert json.loads(out)["created"] is False
    assert (vault / "2026-11-28.md").read_text(encoding="utf-8") == "mine"


def test_index_and_search_json(capsys, fixtures_vault):
    code, out, _ = run(capsys, "index", "--vault", str(fixtures_vault), "--json")
    summary = json.loads(out)
    assert code == 0 and set(summary) == {"notes", "chunks", "embedded", "reused", "deleted", "seconds"}
    assert summary["notes"] == 45 and summary["embedded"] == summary["chunks"]
    code, out, _ = run(capsys, "index", "--vault", str(fixtures_vault), "--json")
    assert json.loads(out)["embedded"] == 0

    code, out, _ = run(capsys, "search", "--vault", str(fixtures_vault), "--json", "-k", "3",
                       "어텐션을 정리한 날", "nginx proxy_buffering")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["query"] for line in lines] == ["어텐션을 정리한 날", "nginx proxy_buffering"]
    hit = lines[1]["hits"][0]
    assert set(hit) >= {"date", "path", "section", "score", "text"} and hit["date"] == "2026-11-19"
    assert len(lines[0]["hits"]) == 3


def test_search_with_date_options(capsys, fixtures_vault):
    run(capsys, "index", "--vault", str(fixtures_vault))
    code, out, _ = run(capsys, "search", "--vault", str(fixtures_vault), "--json", "--since", "2026-11-01", "어텐션")
    assert code == 0 and all(h["date"] >= "2026-11-01" for h in json.loads(out)["hits"])


def test_search_before_index_is_a_clear_error(capsys, fixtures_vault):
    code, _, err = run(capsys, "search", "--vault", str(fixtures_vault), "어텐션")
    assert code == 1 and "studylog index" in err


def test_missing_vault_error(capsys, tmp_path):
    code, _, err = run(capsys, "index", "--vault", str(tmp_path / "nope"))
    assert code == 1 and "does not exist" in err and "Traceback" not in err


def test_bad_date_option(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["new", "--vault", str(tmp_path), "--date", "yesterday-ish"])
    assert exit_info.value.code == 2 and "not a date" in capsys.readouterr().err


def test_import_dry_run_and_open(capsys, fixtures_vault, tmp_path):
    vault = tmp_path / "new-vault"
    code, out, _ = run(capsys, "import", str(fixtures_vault), "--vault", str(vault), "--dry-run", "--json")
    report = json.loads(out)
    assert code == 0 and report["copied"] == 45 and not vault.exists()
    code, out, _ = run(capsys, "open", str(fixtures_vault), "--json")
    assert code == 0 and json.loads(out)["notes"] == 45
    code, out, _ = run(capsys, "new", "--json", "--date", "2026-11-28")  # uses the opened vault
    assert json.loads(out)["path"] == str(fixtures_vault.resolve() / "2026-11-28.md")


def test_doctor_reports_problems(capsys, tmp_path):
    code, out, _ = run(capsys, "doctor", "--vault", str(tmp_path / "nope"), "--json")
    checks = {c["name"]: c for c in json.loads(out)}
    assert code == 1 and checks["vault"]["ok"] is False and checks["vault"]["fix"]


def test_doctor_on_a_good_vault(capsys, fixtures_vault):
    run(capsys, "index", "--vault", str(fixtures_vault))
    code, out, _ = run(capsys, "doctor", "--vault", str(fixtures_vault), "--json")
    checks = {c["name"]: c for c in json.loads(out)}
    assert checks["vault"]["ok"] and checks["index"]["ok"] and checks["embedder"]["ok"]
    assert "45 notes" in checks["vault"]["detail"]


def test_a_bench_without_out_removes_its_temp_workspace_at_exit(monkeypatch, tmp_path) -> None:
    """A bench's temp folder holds its own model cache (~5 GB): it must not outlive the run."""
    import argparse
    import atexit

    from studylog.bench import bench_workspace

    registered = []
    monkeypatch.setattr(atexit, "register", lambda func, *args, **kw: registered.append((func, args, kw)))
    monkeypatch.setenv("STUDYLOG_HOME", str(tmp_path / "home"))
    work, vault = bench_workspace(argparse.Namespace(out=None, fixtures=None), "unit")
    assert vault.is_dir()
    for func, args, kw in registered:
        func(*args, **kw)
    assert not work.exists()
    kept, _ = bench_workspace(argparse.Namespace(out=str(tmp_path / "kept"), fixtures=None), "unit")
    assert len(registered) == 1 and kept.exists()  # --out is the user's: kept
