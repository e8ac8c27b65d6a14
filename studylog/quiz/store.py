"""Quiz cards and their review history in one SQLite file, scheduled by FSRS.

The file (`quiz.sqlite` under the app data dir) holds the cards drawn from the notes, each
card's FSRS state and every grade given. It runs in WAL mode with full sync, and each
change (a grade, a rebuild from the vault) is one transaction: a process killed at any
moment leaves either the state before it or the state after it, never half of it.

Cards are rebuilt from the notes whose text changed (by a hash of the file's bytes): a card
whose id (note path + question) survives keeps its schedule and history, a card no longer
extracted is retired (kept, with its history, but never shown), and so are the cards of a
deleted note. A retired card that comes back (the line is written again) is revived.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from studylog.notes.model import NoteError
from studylog.notes.vault import Vault
from studylog.quiz.extract import Card, CardSource, extract_cards

SCHEMA_VERSION = 1
GRADES = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notes (path TEXT PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cards (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    date TEXT NOT NULL,
    section TEXT NOT NULL,
    line INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    rule TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    fsrs TEXT,             -- FSRS card state as JSON; NULL until the first grade
    due TEXT               -- ISO UTC; NULL for a new card
);
CREATE INDEX IF NOT EXISTS cards_due ON cards (retired, due);
CREATE INDEX IF NOT EXISTS cards_path ON cards (path);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id TEXT NOT NULL REFERENCES cards (id),
    grade TEXT NOT NULL,
    reviewed_at TEXT NOT NULL,
    due_after TEXT NOT NULL
);
"""


class QuizError(ValueError):
    """A quiz request the store cannot serve (an unknown card or grade); the message says which."""


@dataclass(frozen=True)
class QuizCard:
    """A card as shown to the learner: `due` is None for a card never graded."""

    id: str
    question: str
    answer: str
    source: CardSource
    due: dt.datetime | None

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "source": {"date": self.source.date, "path": self.source.path, "section": self.source.section,
                       "line": self.source.line + 1},
            "due": self.due.isoformat() if self.due else None,
        }


@dataclass(frozen=True)
class QuizCounts:
    due: int  # graded cards due now
    new: int  # cards never graded
    total: int  # live (not retired) cards


@dataclass(frozen=True)
class SyncResult:
    notes_changed: int
    notes_removed: int
    cards_added: int
    cards_retired: int
    seconds: float


def _iso(when: dt.datetime) -> str:
    """Fixed-width UTC text, so SQLite compares due times as strings correctly."""
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)


class QuizStore:
    """The quiz file. Each method opens its own connection, so any thread may call it."""

    def __init__(self, path: Path, scheduler: Scheduler | None = None) -> None:
        self.path = Path(path)
        self.scheduler = scheduler or Scheduler()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=FULL")  # a grade once acknowledged survives a power cut
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: committed whole, or (on any error or a kill) not at all."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- building from the notes ------------------------------------------------------------
    def sync(self, vault: Vault) -> SyncResult:
        """Bring the cards in line with the vault's notes (only changed notes are re-read)."""
        import time

        started = time.perf_counter()
        current: dict[str, tuple[Path, str]] = {}
        for path in vault.note_files():
            try:
                digest = hashlib.sha1(path.read_bytes()).hexdigest()
            except OSError:
                continue
            current[vault.relative(path)] = (path, digest)
        with self._connect() as db:
            known = dict(db.execute("SELECT path, hash FROM notes"))
        changed: dict[str, tuple[str, list[Card]]] = {}
        for rel, (path, digest) in current.items():
            if known.get(rel) == digest:
                continue
            try:
                cards = extract_cards(vault.read(path), rel)
            except NoteError:
                cards = []
            changed[rel] = (digest, cards)
        removed = [rel for rel in known if rel not in current]
        added = retired = 0
        if changed or removed:
            with self._transaction() as db:
                for rel, (digest, cards) in changed.items():
                    a, r = self._replace_note_cards(db, rel, cards)
                    added, retired = added + a, retired + r
                    db.execute("INSERT OR REPLACE INTO notes VALUES (?, ?)", (rel, digest))
                for rel in removed:
                    retired += db.execute("UPDATE cards SET retired = 1 WHERE path = ? AND retired = 0",
                                          (rel,)).rowcount
                    db.execute("DELETE FROM notes WHERE path = ?", (rel,))
        return SyncResult(len(changed), len(removed), added, retired, time.perf_counter() - started)

    @staticmethod
    def _replace_note_cards(db: sqlite3.Connection, rel: str, cards: list[Card]) -> tuple[int, int]:
        existing = {row[0] for row in db.execute("SELECT id FROM cards WHERE path = ?", (rel,))}
        new_ids = {card.id for card in cards}
        retired = db.execute(
            f"UPDATE cards SET retired = 1 WHERE path = ? AND retired = 0 AND id NOT IN "
            f"({','.join('?' * len(new_ids))})", (rel, *new_ids)).rowcount
        for card in cards:
            source = card.source
            # A surviving id keeps its FSRS state and reviews; its text and place are refreshed.
            db.execute(
                "INSERT INTO cards (id, path, date, section, line, question, answer, rule) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "date = excluded.date, section = excluded.section, line = excluded.line, "
                "answer = excluded.answer, rule = excluded.rule, retired = 0",
                (card.id, rel, source.date, source.section, source.line, card.question, card.answer, card.rule))
        return len(new_ids - existing), retired

    # -- reviewing --------------------------------------------------------------------------
    def next_cards(self, n: int = 5, now: dt.datetime | None = None) -> list[QuizCard]:
        """Up to `n` cards: the due ones (most overdue first), then new ones (oldest note first)."""
        now_iso = _iso(_utc(now))
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, question, answer, date, path, section, line, due FROM cards "
                "WHERE retired = 0 AND due IS NOT NULL AND due <= ? ORDER BY due LIMIT ?", (now_iso, n)).fetchall()
            if len(rows) < n:
                rows += db.execute(
                    "SELECT id, question, answer, date, path, section, line, due FROM cards "
                    "WHERE retired = 0 AND due IS NULL ORDER BY date, path, line LIMIT ?",
                    (n - len(rows),)).fetchall()
        return [self._card(row) for row in rows]

    def card(self, card_id: str) -> QuizCard:
        with self._connect() as db:
            row = db.execute("SELECT id, question, answer, date, path, section, line, due FROM cards WHERE id = ?",
                             (card_id,)).fetchone()
        if row is None:
            raise QuizError(f"no quiz card {card_id!r} (run `studylog quiz` to list cards)")
        return self._card(row)

    @staticmethod
    def _card(row: tuple) -> QuizCard:
        card_id, question, answer, date, path, section, line, due = row
        return QuizCard(card_id, question, answer, CardSource(date, path, section, line),
                        dt.datetime.fromisoformat(due) if due else None)

    def counts(self, now: dt.datetime | None = None) -> QuizCounts:
        with self._connect() as db:
            due, new, total = db.execute(
                "SELECT COALESCE(SUM(due IS NOT NULL AND due <= ?), 0), COALESCE(SUM(due IS NULL), 0), COUNT(*) "
                "FROM cards WHERE retired = 0", (_iso(_utc(now)),)).fetchone()
        return QuizCounts(int(due), int(new), int(total))

    def grade(self, card_id: str, grade: str, now: dt.datetime | None = None) -> dt.datetime:
        """Record `grade` (again, hard, good, easy) for the card; its next due time (UTC)."""
        rating = GRADES.get(str(grade).lower())
        if rating is None:
            raise QuizError(f"unknown grade {grade!r}: use again, hard, good or easy")
        when = _utc(now)
        with self._transaction() as db:
            row = db.execute("SELECT fsrs, retired FROM cards WHERE id = ?", (card_id,)).fetchone()
            if row is None:
                raise QuizError(f"no quiz card {card_id!r} (run `studylog quiz` to list cards)")
            state = FsrsCard.from_json(row[0]) if row[0] else FsrsCard(card_id=int(card_id[:13], 16), due=when)
            state, _log = self.scheduler.review_card(state, rating, when)
            due = _iso(state.due)
            db.execute("UPDATE cards SET fsrs = ?, due = ? WHERE id = ?", (state.to_json(), due, card_id))
            db.execute("INSERT INTO reviews (card_id, grade, reviewed_at, due_after) VALUES (?, ?, ?, ?)",
                       (card_id, rating.name.lower(), _iso(when), due))
        return dt.datetime.fromisoformat(due)

    def reviews(self, card_id: str) -> list[tuple[str, str, str]]:
        """(grade, reviewed_at, due_after) of every grade the card was given, oldest first."""
        with self._connect() as db:
            return db.execute("SELECT grade, reviewed_at, due_after FROM reviews WHERE card_id = ? ORDER BY id",
                              (card_id,)).fetchall()

    def check(self) -> str:
        """SQLite's integrity check ("ok" when the file is sound)."""
        with self._connect() as db:
            return str(db.execute("PRAGMA integrity_check").fetchone()[0])


__all__ = ["GRADES", "QuizCard", "QuizCounts", "QuizError", "QuizStore", "SyncResult"]
