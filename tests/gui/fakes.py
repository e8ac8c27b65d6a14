"""Fake services for GUI tests: real notes on disk, scripted index, search and answers.

They implement exactly the facade the GUI uses (`studylog.service.StudyLogService`), plus
`ask_stream` as designed for the answer engine, so the window can be driven end to end
without models, Chroma or Kiwi.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from studylog.config import Settings
from studylog.index.sync import SyncReport
from studylog.notes.vault import Vault, VaultError
from studylog.rag.types import Answer, AskEvent, Evidence, Source
from studylog.search.hybrid import SearchHit, SearchResult
from studylog.service import DayInfo

WAIT_MS = 10_000
ATTENTION_NOTE = "2026-10-14.md"
ATTENTION_HEADING = "#### 주제 4: **✅ Scaled Dot-Product Attention**"
ANSWER_TOKENS = ["어텐션에서 ", "√d_k로 ", "나누는 ", "이유는 ", "QKᵀ의 ", "분산이 ", "d_k가 ", "되어 ",
                 "softmax가 ", "한쪽으로 ", "쏠리기 ", "때문입니다. ", "√d_k로 ", "나누면 ", "분산이 ", "1로 ",
                 "맞춰집니다 [1]."]


def heading_line(vault: Path, name: str, heading: str) -> int:
    lines = (vault / name).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines) if line.strip() == heading)


class FakeService:
    """Notes through the real Vault; index, search and (in subclasses) answers scripted."""

    def __init__(self, vault: Path, *, index_steps: int = 3, index_step_s: float = 0.0,
                 index_ignores_cancel: bool = False, index_error: BaseException | None = None,
                 fail_save: bool = False):
        self.vault = Vault(Path(vault))
        self.settings = Settings()
        self.index_steps = index_steps
        self.index_step_s = index_step_s
        self.index_ignores_cancel = index_ignores_cancel
        self.index_error = index_error
        self.fail_save = fail_save
        self.index_calls: list[bool] = []  # the rebuild flag of every index() call
        self.index_cancelled = threading.Event()
        self.index_running = threading.Event()
        self.release = threading.Event()  # lets a "stuck" index finish at test teardown
        self.saves: list[tuple[Path, str]] = []
        self.searches: list[str] = []

    # -- notes -----------------------------------------------------------------------------
    def list_days(self) -> list[DayInfo]:
        days = [DayInfo(n.date, n.path, n.title, n.date_source.value == "mtime") for n in self.vault.scan().notes]
        return sorted(days, key=lambda d: (d.date, str(d.path)))

    def read_note(self, path: Path):
        return self.vault.read(path)

    def save_note(self, path: Path, text: str) -> None:
        if self.fail_save:
            raise VaultError(f"could not save {path}: the vault is not writable; the previous version is intact")
        self.vault.write(path, text)
        self.saves.append((Path(path), text))

    def new_note(self, date, language=None):
        return self.vault.new_note(date, language or "ko")

    def import_folder(self, source: Path, dry_run: bool = False):
        from studylog.notes.importer import import_folder

        return import_folder(Path(source), self.vault, dry_run=dry_run)

    # -- index and search ------------------------------------------------------------------
    def index(self, progress=None, cancel: threading.Event | None = None, rebuild: bool = False) -> SyncReport:
        self.index_calls.append(rebuild)
        self.index_running.set()
        try:
            if self.index_error is not None:
                raise self.index_error
            report = SyncReport(notes=len(list(self.vault.note_files())))
            for step in range(self.index_steps):
                if cancel is not None and cancel.is_set() and not self.index_ignores_cancel:
                    report.cancelled = True
                    self.index_cancelled.set()
                    return report
                if self.index_ignores_cancel:
                    self.release.wait(self.index_step_s)
                else:
                    time.sleep(self.index_step_s)
                report.embedded = step + 1
                if progress:
                    progress(step + 1, self.index_steps, f"embedded {step + 1}/{self.index_steps} chunks")
            return report
        finally:
            self.index_running.clear()

    def search(self, query: str, k: int = 10) -> SearchResult:
        self.searches.append(query)
        result = SearchResult(query=query)
        words = [w.lower() for w in query.split()]
        for note in self.vault.scan().notes:
            for section in note.sections:
                text = f"{section.heading}\n{section.text}".lower()
                if any(w in text for w in words):
                    result.hits.append(SearchHit(
                        chunk_id=f"{note.path.name}:{section.start_line}", date=note.date.isoformat(),
                        path=self.vault.relative(note.path), section=section.heading,
                        heading=section.heading, heading_path=" > ".join(section.heading_path),
                        start_line=section.start_line, score=1.0, text=section.text))
                    break
        result.hits = result.hits[:k]
        return result


class FakeAskService(FakeService):
    """Adds `ask_stream`: status while "loading", tokens, then one done event with sources."""

    def __init__(self, vault: Path, *, token_delay_s: float = 0.0, tokens: list[str] | None = None,
                 status_steps: int = 3, **kwargs):
        super().__init__(vault, **kwargs)
        self.token_delay_s = token_delay_s
        self.tokens = tokens if tokens is not None else ANSWER_TOKENS
        self.status_steps = status_steps
        self.ask_cancelled = threading.Event()
        self.last_cancel: threading.Event | None = None
        self.questions: list[tuple[str, list | None]] = []
        self.tokens_sent = 0

    def answer_for(self, question: str) -> Answer:
        line = heading_line(self.vault.root, ATTENTION_NOTE, ATTENTION_HEADING)
        source = Source(n=1, date="2026-10-14", path=ATTENTION_NOTE, section="주제 4: ✅ Scaled Dot-Product Attention",
                        heading_path="새로 배운 내용 > 주제 4: ✅ Scaled Dot-Product Attention", start_line=line,
                        text="Attention(Q, K, V) = softmax(QKᵀ / √d_k) V")
        evidence = Evidence(n=1, date="2026-10-14", quote="√64 = 8 로 나눠서 분산을 1로 맞춰줌",
                            path=ATTENTION_NOTE, start_line=line)
        return Answer(question=question, text="".join(self.tokens), sources=[source], retrieved=[source],
                      evidence=[evidence], model="fake-model", device="cpu", seconds=1.2)

    def ask_stream(self, question: str, history, cancel: threading.Event):
        self.questions.append((question, history))
        self.last_cancel = cancel
        for step in range(self.status_steps):
            yield AskEvent("status", "Loading the answer model…", fraction=step / max(1, self.status_steps - 1))
        for token in self.tokens:
            if cancel.is_set():
                self.ask_cancelled.set()
                return
            time.sleep(self.token_delay_s)
            self.tokens_sent += 1
            yield AskEvent("token", token)
        yield AskEvent("done", answer=self.answer_for(question))


class WarmUpAskService(FakeAskService):
    """Also offers `warm_up(progress)`."""

    def __init__(self, vault: Path, **kwargs):
        super().__init__(vault, **kwargs)
        self.warmed = threading.Event()

    def warm_up(self, progress) -> None:
        for step in range(3):
            progress(f"Loading model ({step + 1}/3)", (step + 1) / 3)
        self.warmed.set()


def fake_factory(service):
    """A service factory that hands the window an already-built fake (and records calls)."""
    calls = []

    def factory(settings, vault):
        calls.append((settings, vault))
        return service

    factory.calls = calls
    return factory
