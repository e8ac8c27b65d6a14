"""Quiz: cards extracted from notes, FSRS scheduling in the SQLite store, rebuild, CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from studylog.cli import main
from studylog.notes.parser import parse_note
from studylog.notes.vault import Vault
from studylog.quiz.extract import BLANK, extract_cards
from studylog.quiz.store import QuizError, QuizStore

REPO = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)

KO_NOTE = """\
---
date: 2026-10-28
---
### 스크럼
- 학습 목표 1 : 임베딩 강의

### 새로 배운 내용
#### 주제 1: **✅ 텍스트 임베딩**
> 문장을 의미를 담은 고정 길이 벡터로 바꾸는 것

- 코사인 유사도는 두 벡터의 방향만 보는 척도이다
- 모드: r, w, a, rb, wb
- `BAAI/bge-m3`: **1024차원**, 다국어
- 모든 시점에서 같은 가중치를 공유함
- 오전에는 복습하고 오후엔 실습했다
```python
x: int = 3
```

### 오늘의 도전 과제와 해결 방법
- 도전 과제 1: 윈도우에서 csv 읽는데 에러
    - 윈도우 기본 인코딩이 cp949라서 생기는 문제 → `encoding="utf-8"` 로 명시해서 해결
    - 확인해보니 backward 두 번 하면 x.grad 가 7 → 14 가 됨

### 오늘의 회고
* 회고는 카드가 되지 않는다: 느낌일 뿐이다
"""

EN_NOTE = """\
### What I learned
#### Topic 1: **Merge vs rebase**
- rebase: replays my commits on top of the target branch
- A fork is a copy of a repository under your own account
- Our class rule: **at least 1 approval** before merging a PR
- Small PRs get reviewed faster (mentor said < 300 lines is ideal)

### Challenges and fixes
- Challenge 1: `git push` was rejected (non-fast-forward)
    - Fix: `git pull --rebase origin main`, then push again
"""


def _note(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_note(path, path.read_bytes())


def _by_question(cards):
    return {card.question: card for card in cards}


def test_korean_cards_cover_each_rule_and_cite_their_line(tmp_path):
    cards = extract_cards(_note(tmp_path, "2026-10-28.md", KO_NOTE), "2026-10-28.md")
    found = _by_question(cards)
    assert found["텍스트 임베딩이란?"].answer == "문장을 의미를 담은 고정 길이 벡터로 바꾸는 것"
    assert found["[텍스트 임베딩] 코사인 유사도란?"].answer == "두 벡터의 방향만 보는 척도이다"
    assert found["[텍스트 임베딩] 모드: ?"].answer == "r, w, a, rb, wb"
    bold = found[f"[텍스트 임베딩] `BAAI/bge-m3`: {BLANK}, 다국어"]
    assert bold.answer == "1024차원"
    [fix] = [card for card in cards if card.rule == "fix"]  # a symptom with an arrow is no fix
    assert fix.question.startswith("윈도우 기본 인코딩이 cp949라서 생기는 문제")
    assert fix.answer == '`encoding="utf-8"` 로 명시해서 해결'
    assert fix.source.section == "오늘의 도전 과제와 해결 방법"
    lines = (tmp_path / "2026-10-28.md").read_text(encoding="utf-8").split("\n")
    for card in cards:
        assert card.source.date == "2026-10-28" and card.source.path == "2026-10-28.md"
        assert card.answer.replace("**", "") in lines[card.source.line].replace("**", "")
    # A modifier ("같은 가중치") or a time ("오전에는") is not a term to define.
    assert not any(card.question.endswith(("같이란?", "오전에란?")) for card in cards)
    # Goals, the retrospective and code are no source of cards.
    assert not any("학습 목표" in c.question or "회고" in c.question or "x: int" in c.answer for c in cards)


def test_english_cards(tmp_path):
    cards = extract_cards(_note(tmp_path, "2026-09-08.md", EN_NOTE), "2026-09-08.md")
    found = _by_question(cards)
    assert found["[Merge vs rebase] rebase: ?"].answer == "replays my commits on top of the target branch"
    assert found["[Merge vs rebase] What is A fork?"].answer == "a copy of a repository under your own account"
    assert found[f"[Merge vs rebase] Our class rule: {BLANK} before merging a PR"].answer == "at least 1 approval"
    assert found[f"[Merge vs rebase] Small PRs get reviewed faster (mentor said {BLANK} is ideal)"].answer \
        == "< 300 lines"
    fix = found["`git push` was rejected (non-fast-forward) — How was it fixed?"]
    assert fix.answer == "`git pull --rebase origin main`, then push again"


def test_card_ids_are_stable_and_answers_are_in_the_note(tmp_path, fixtures_vault):
    vault = Vault(fixtures_vault)
    notes = vault.scan().notes
    first = [card for note in notes for card in extract_cards(note, vault.relative(note.path))]
    second = [card for note in notes for card in extract_cards(note, vault.relative(note.path))]
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first) > 100
    assert {c.rule for c in first} == {"topic", "fix", "definition", "bold", "number"}
    by_path = {vault.relative(note.path): note for note in notes}
    for card in first:
        text = " ".join(by_path[card.source.path].body.replace("**", "").split())
        assert card.answer.replace("**", "") in text, card


def _store(tmp_path: Path) -> QuizStore:
    return QuizStore(tmp_path / "home" / "quiz.sqlite")


def test_grades_schedule_by_fsrs_and_survive_a_new_store(tmp_path, fixtures_vault):
    store = _store(tmp_path)
    report = store.sync(Vault(fixtures_vault))
    assert report.cards_added > 100 and report.notes_changed == 45
    ids = [card.id for card in store.next_cards(3, NOW)]
    assert all(card.due is None for card in store.next_cards(3, NOW))  # new cards
    due = {grade: store.grade(card_id, grade, NOW) for card_id, grade in zip(ids, ("again", "good", "easy"), strict=True)}
    assert NOW < due["again"] < due["good"] < due["easy"]
    assert due["easy"] - NOW >= dt.timedelta(days=1)

    reopened = _store(tmp_path)
    assert reopened.card(ids[2]).due == due["easy"]
    assert reopened.reviews(ids[1]) == [("good", NOW.isoformat(timespec="microseconds"),
                                          due["good"].isoformat(timespec="microseconds"))]
    later = due["good"] + dt.timedelta(seconds=1)
    first = reopened.next_cards(2, later)
    assert [c.id for c in first] == [ids[0], ids[1]]  # due cards (most overdue first) before new ones
    assert reopened.counts(later).due == 2
    # Grading again moves the due time forward.
    assert reopened.grade(ids[1], "good", later) > due["good"]
    with pytest.raises(QuizError):
        reopened.grade(ids[0], "perfect", later)
    with pytest.raises(QuizError):
        reopened.grade("no-such-card", "good", later)


def test_rebuild_keeps_history_of_surviving_cards_and_retires_the_rest(tmp_path):
    vault_dir = tmp_path / "vault"
    vault_dir.mkdir()
    note = vault_dir / "2026-09-08.md"
    note.write_text(EN_NOTE, encoding="utf-8")
    other = vault_dir / "2026-10-28.md"
    other.write_text(KO_NOTE, encoding="utf-8")
    vault = Vault(vault_dir)
    store = _store(tmp_path)
    store.sync(vault)
    cards = {c.question: c for c in store.next_cards(100, NOW)}
    kept = cards["[Merge vs rebase] rebase: ?"]
    dropped = cards["[Merge vs rebase] What is A fork?"]
    kept_due = store.grade(kept.id, "good", NOW)
    store.grade(dropped.id, "good", NOW)

    note.write_text(EN_NOTE.replace("- A fork is a copy of a repository under your own account\n", "")
                    .replace("replays my commits", "replays  my commits"), encoding="utf-8")
    report = store.sync(vault)
    assert (report.notes_changed, report.cards_retired, report.cards_added) == (1, 1, 0)
    assert store.card(kept.id).due == kept_due and len(store.reviews(kept.id)) == 1
    live = {c.id for c in store.next_cards(100, NOW + dt.timedelta(days=400))}
    assert kept.id in live and dropped.id not in live
    assert store.reviews(dropped.id)  # history is kept for a retired card

    assert store.sync(vault).notes_changed == 0  # nothing changed: nothing re-read
    other.unlink()
    report = store.sync(vault)
    assert report.notes_removed == 1 and report.cards_retired > 3
    assert all(c.source.path == "2026-09-08.md" for c in store.next_cards(100, NOW + dt.timedelta(days=400)))


def _child(code: str, home: Path, vault: Path) -> subprocess.Popen:
    script = textwrap.dedent(code)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", script, str(home / "quiz.sqlite"), str(vault)], env=env,
                            stdout=subprocess.PIPE, text=True)


def test_a_sync_killed_midway_leaves_the_store_as_it_was(tmp_path, fixtures_vault):
    # The child writes the cards of one note inside the rebuild's transaction, then dies.
    child = _child("""
        import os, sys
        from pathlib import Path
        from studylog.notes.vault import Vault
        from studylog.quiz.store import QuizStore
        real = QuizStore._replace_note_cards
        calls = []
        def dying(db, rel, cards):
            calls.append(rel)
            if len(calls) == 2:
                os._exit(9)
            return real(db, rel, cards)
        QuizStore._replace_note_cards = staticmethod(dying)
        QuizStore(Path(sys.argv[1])).sync(Vault(Path(sys.argv[2])))
    """, tmp_path / "home", fixtures_vault)
    assert child.wait(60) == 9
    store = _store(tmp_path)
    assert store.check() == "ok"
    assert store.counts(NOW).total == 0  # nothing of the half-done rebuild
    assert store.sync(Vault(fixtures_vault)).notes_changed == 45  # and it simply runs again


def test_grades_killed_at_any_moment_leave_a_consistent_store(tmp_path, fixtures_vault):
    store = _store(tmp_path)
    store.sync(Vault(fixtures_vault))
    child = _child("""
        import datetime as dt, itertools, sys
        from pathlib import Path
        from studylog.quiz.store import QuizStore
        store = QuizStore(Path(sys.argv[1]))
        ids = [c.id for c in store.next_cards(50)]
        print("ready", flush=True)
        for n in itertools.count():
            store.grade(ids[n % len(ids)], ("again", "hard", "good", "easy")[n % 4])
    """, tmp_path / "home", fixtures_vault)
    assert child.stdout.readline().strip() == "ready"  # imported, cards listed
    time.sleep(1.0)  # grades at full speed (each one a committed transaction)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert store.check() == "ok"
    import sqlite3

    with sqlite3.connect(store.path) as db:
        graded = db.execute("SELECT id, due FROM cards WHERE fsrs IS NOT NULL").fetchall()
        assert graded, "the child graded nothing before it was killed"
        for card_id, due in graded:
            last = db.execute("SELECT due_after FROM reviews WHERE card_id = ? ORDER BY id DESC LIMIT 1",
                              (card_id,)).fetchone()
            assert last is not None and last[0] == due  # the card and its log moved together
        assert not db.execute("SELECT COUNT(*) FROM reviews r JOIN cards c ON c.id = r.card_id "
                              "WHERE c.fsrs IS NULL").fetchone()[0]


def test_cli_quiz_json_and_grade(capsys, fixtures_vault, isolated_home):
    assert main(["quiz", "--vault", str(fixtures_vault), "-n", "3", "--json"]) == 0
    cards = json.loads(capsys.readouterr().out)["cards"]
    assert len(cards) == 3
    for card in cards:
        assert set(card) == {"id", "question", "answer", "source", "due"}
        assert {"date", "path", "section"} <= set(card["source"])
        assert card["due"] is None
    assert (isolated_home / "quiz.sqlite").is_file()

    assert main(["quiz", "--vault", str(fixtures_vault), "--grade", cards[0]["id"], "again", "--json"]) == 0
    graded = json.loads(capsys.readouterr().out)
    assert graded["id"] == cards[0]["id"]
    assert dt.datetime.fromisoformat(graded["due"]) > dt.datetime.now(dt.UTC)

    assert main(["quiz", "--vault", str(fixtures_vault), "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "» quiz:" in out and "Q: " in out and "A: " in out

    assert main(["quiz", "--vault", str(fixtures_vault), "--grade", cards[0]["id"], "perfect"]) == 1
    assert "unknown grade" in capsys.readouterr().err


def test_the_core_process_serves_the_quiz(fixtures_vault, isolated_home):
    from studylog.core_process import RemoteService

    remote = RemoteService(vault=fixtures_vault)
    try:
        cards = remote.quiz_cards(2)
        assert len(cards) == 2 and cards[0].source.path.endswith(".md")
        due = remote.quiz_grade(cards[0].id, "easy")
        assert due > dt.datetime.now(dt.UTC) + dt.timedelta(hours=12)
        counts = remote.quiz_counts()
        assert counts.total == counts.new + 1 and counts.due == 0
    finally:
        remote.close()
    assert QuizStore(isolated_home / "quiz.sqlite").reviews(cards[0].id)[0][0] == "easy"
