"""One facade over the core for the CLI and the GUI.

It owns the lifetimes of the embedder, the Chroma store, the keyword index and (later) the
generator, loads each on first use, and hands back plain data. Nothing here imports Qt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from studylog.config import Settings, load_settings
from studylog.index.store import ChromaStore, IndexCorruptError
from studylog.index.sync import ProgressFn, SyncReport, sync_index
from studylog.notes.importer import ImportReport, import_folder
from studylog.notes.model import Note, NoteError
from studylog.notes.vault import Vault, VaultError
from studylog.search.keyword import KeywordIndex


@dataclass
class DayInfo:
    date: dt.date
    path: Path
    title: str
    date_guessed: bool


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


class StudyLogService:
    def __init__(self, settings: Settings | None = None, vault: Path | None = None, embedder=None,
                 generator=None) -> None:
        self.settings = settings or load_settings()
        self.vault = Vault(Path(vault) if vault else self.settings.vault_path)
        self._lock = threading.RLock()
        self._embedder = embedder
        self._generator = generator
        self.generator_spec: str | None = None  # overrides settings.generator (CLI --model)
        self.device: str | None = None  # overrides settings.device (CLI --device)
        self.model_lock = threading.Lock()  # one answer (torch work) at a time
        self._store: ChromaStore | None = None
        self._keyword: KeywordIndex | None = None
        self._tokenizer_thread: threading.Thread | None = None
        self._related_vectors = None  # edited chunks' vectors by hash (related notes while typing)
        self._quiz = None  # QuizStore, opened on first use
        self.recovered_from: Path | None = None

    # -- locations -------------------------------------------------------------------------
    @property
    def index_dir(self) -> Path:
        resolved = str(self.vault.root.expanduser().resolve())
        tag = hashlib.sha1(resolved.encode("utf-8")).hexdigest()[:10]
        return self.settings.index_dir / f"{self.vault.root.name or 'vault'}-{tag}"

    # -- warm-up ---------------------------------------------------------------------------
    def preload_tokenizer(self) -> None:
        """Start loading Kiwi (~2 s, native code) in the background while other work runs."""
        from studylog.search.tokenize import get_tokenizer

        if self._tokenizer_thread is None:
            self._tokenizer_thread = threading.Thread(target=get_tokenizer, args=("kiwi",), daemon=True)
            self._tokenizer_thread.start()

    # -- notes -----------------------------------------------------------------------------
    def list_days(self) -> list[DayInfo]:
        days = []
        for note in self.vault.scan().notes:
            days.append(DayInfo(note.date, note.path, note.title, note.date_source.value == "mtime"))
        return sorted(days, key=lambda d: (d.date, str(d.path)))

    def read_note(self, path: Path) -> Note:
        return self.vault.read(path)

    def save_note(self, path: Path, text: str) -> None:
        self.vault.write(path, text)

    def new_note(self, date: dt.date | None = None, language: str | None = None) -> tuple[Path, bool]:
        return self.vault.new_note(date or dt.date.today(), language or self.settings.template_language)

    def import_folder(self, source: Path, dry_run: bool = False) -> ImportReport:
        return import_folder(source, self.vault, dry_run=dry_run)

    # -- index -----------------------------------------------------------------------------
    @property
    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from studylog.index.embedders import load_embedder

                self._embedder = load_embedder(self.settings.embedder, self.settings.allow_network)
            return self._embedder

    def _open_store(self, recover: bool) -> ChromaStore:
        if self.settings.chroma_mode == "server":
            return ChromaStore.open_server(self.settings.chroma_url, self.embedder, self.settings.chroma_token)
        folder = self.index_dir / "chroma"
        try:
            return ChromaStore.open_persistent(folder, self.embedder)
        except IndexCorruptError:
            if not recover:
                raise
            # The index is derived data: keep the damaged copy for inspection, rebuild.
            self.recovered_from = ChromaStore.move_aside(folder)
            return ChromaStore.open_persistent(folder, self.embedder)

    def store(self, recover: bool = False) -> ChromaStore:
        with self._lock:
            if self._store is None:
                self._store = self._open_store(recover)
            return self._store

    def keyword_index(self) -> KeywordIndex:
        from studylog.search.tokenize import LazyTokenizer

        with self._lock:
            if self._keyword is None:
                name = self.store().name if self.settings.chroma_mode == "server" else "local"
                path = self.index_dir / f"keyword-{name}.json"
                self._keyword = KeywordIndex(path, LazyTokenizer("kiwi"))
            return self._keyword

    def index(
        self,
        progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
        rebuild: bool = False,
    ) -> SyncReport:
        self.vault.check()
        with self._lock:
            if rebuild:
                self._drop_index()
            store = self.store(recover=True)
            report = sync_index(self.vault, store, self.keyword_index(), self.embedder, progress, cancel,
                                max_embedded_chunks=int(self.settings.embed_chunks_per_note))
        if self.recovered_from is not None:
            report.warnings.append(
                f"the index was damaged; moved to {self.recovered_from} and rebuilt from the vault"
            )
        return report

    def _drop_index(self) -> None:
        if self._store is not None:
            try:
                self._store.client.delete_collection(self._store.name)
            except Exception:
                pass
        self._store = None
        if self._keyword is not None and self._keyword.path:
            self._keyword.path.unlink(missing_ok=True)
        self._keyword = None

    # -- search ----------------------------------------------------------------------------
    def searcher(self):
        from studylog.search.hybrid import HybridSearcher

        return HybridSearcher(self.store(), self.keyword_index(), self.embedder)

    def search(self, query: str, k: int = 5, since: dt.date | None = None, until: dt.date | None = None,
               mode: str = "hybrid", today: dt.date | None = None, per_note: bool = True):
        if not query.strip():
            raise ValueError("empty search query")
        return self.searcher().search(query, k=k, since=since, until=until, mode=mode, today=today,
                                      per_note=per_note)

    # -- related notes ---------------------------------------------------------------------
    def resolve_note(self, note: str | Path | dt.date) -> Path:
        """A note named by its date (YYYY-MM-DD) or its path (absolute, or relative to the vault)."""
        if isinstance(note, dt.date):
            day = note
        else:
            try:
                day = dt.date.fromisoformat(str(note))
            except ValueError:
                day = None
        if day is not None:
            found = self.vault.find_day(day)
            if found is None:
                raise NoteError(f"no note on {day.isoformat()} in {self.vault.root}")
            return found
        path = Path(note).expanduser()
        for candidate in (path, self.vault.root / path):
            if candidate.is_file():
                return candidate
        raise NoteError(f"{note}: no such note (give a date YYYY-MM-DD or a note's path)")

    def related(self, note: str | Path | dt.date, text: str | None = None, k: int = 5):
        """RelatedResult: the `k` past notes most related to `note`, whose current text is
        `text` (the editor's, unsaved) or else the file's."""
        import time

        from studylog.index.chunker import chunk_note
        from studylog.notes.parser import parse_note
        from studylog.search.related import RelatedResult, VectorCache, find_related, query_chunks

        started = time.perf_counter()
        path = self.resolve_note(note) if text is None else Path(note)
        if text is None:
            text = path.read_text(encoding="utf-8", errors="replace")
        rel = self.vault.relative(path)
        parsed = parse_note(path, text.encode("utf-8"), path.stat().st_mtime if path.exists() else None)
        result = RelatedResult(note=rel, date=parsed.date.isoformat())
        keyword = self.keyword_index()
        if not keyword.entries:
            result.message = "no notes are indexed yet: run `studylog index` (or wait for indexing)"
            return result
        with self._lock:
            if self._related_vectors is None:
                self._related_vectors = VectorCache()
        chunks = chunk_note(parsed, rel)
        result.hits = find_related(chunks, rel, store=self.store(), keyword=keyword, embedder=self.embedder,
                                   cache=self._related_vectors, k=k)
        if not result.hits:
            result.message = ("no related notes found" if query_chunks(chunks)
                              else "the note has too little text yet to find related notes")
        result.seconds = time.perf_counter() - started
        return result

    # -- quiz ------------------------------------------------------------------------------
    def quiz_store(self):
        """The quiz file (cards + review history) under the app data dir, opened on first use."""
        from studylog.quiz.store import QuizStore

        with self._lock:
            if self._quiz is None:
                self._quiz = QuizStore(self.settings.home / "quiz.sqlite")
            return self._quiz

    def quiz_cards(self, n: int = 5, now: dt.datetime | None = None):
        """Up to `n` QuizCards (due ones first, then new ones), after drawing cards from changed notes."""
        self.vault.check()
        store = self.quiz_store()
        store.sync(self.vault)
        return store.next_cards(n, now)

    def quiz_counts(self, now: dt.datetime | None = None):
        """QuizCounts (due, new, total) after drawing cards from changed notes."""
        self.vault.check()
        store = self.quiz_store()
        store.sync(self.vault)
        return store.counts(now)

    def quiz_grade(self, card_id: str, grade: str, now: dt.datetime | None = None) -> dt.datetime:
        """Record a grade (again, hard, good, easy); the card's next due time (UTC)."""
        return self.quiz_store().grade(card_id, grade, now)

    # -- answers ---------------------------------------------------------------------------
    def generator(self, progress=None):
        """The loaded generative model (converted and cached on first use)."""
        with self._lock:
            if self._generator is None:
                from transformers.utils import logging as transformers_logging

                from studylog.rag.loading import load_model

                # Progress goes through `progress` (status bar, CLI lines), not tqdm on stderr
                # (the GGUF converter calls tqdm directly, hence TQDM_DISABLE too).
                transformers_logging.disable_progress_bar()
                os.environ.setdefault("TQDM_DISABLE", "1")

                self._generator = load_model(
                    self.generator_spec or self.settings.generator,
                    self.settings.model_cache_dir,
                    device=self.device or self.settings.device,
                    precision=self.settings.precision or None,
                    progress=progress,
                    allow_network=self.settings.allow_network,
                )
            return self._generator

    def warm_up(self, progress=None) -> None:
        """Load the embedder, the keyword index and the generator ahead of the first question."""
        self.embedder.embed_query("warm-up")
        self.keyword_index()
        self.generator(progress)

    def ask_stream(self, question: str, history=None, cancel: threading.Event | None = None,
                   today: dt.date | None = None, max_new_tokens: int | None = None):
        """Yield AskEvents: status while loading/retrieving, tokens as generated, then done."""
        from studylog.rag.types import AskEvent

        if not question.strip():
            raise ValueError("empty question")
        if self.store().count() == 0:
            yield AskEvent("error", "no notes are indexed yet: run `studylog index` (or wait for indexing)",
                           code="not_indexed")
            return
        if self._generator is None:
            yield from self._load_with_status()
        if self._generator is None:
            return
        from studylog.rag.chain import AnswerChain, ChainConfig
        from studylog.rag.retriever import HybridRetriever
        from studylog.search.tokenize import get_tokenizer

        config = ChainConfig()
        if max_new_tokens:
            config.max_new_tokens = max_new_tokens
        tokenizer = get_tokenizer("kiwi")
        retriever = HybridRetriever(
            search=lambda q, k, today=None: self.search(q, k=k, today=today, per_note=False), k=config.k + 2
        )
        chain = AnswerChain(
            retriever, self._generator, tokenizer.tokenize, config, known_term=self.keyword_index().has_term,
        )
        with self.model_lock:
            yield from chain.stream(question, history, cancel, today)

    # -- reviews ---------------------------------------------------------------------------
    def review_stream(self, week: dt.date | str | None = None, month: str | None = None,
                      cancel: threading.Event | None = None, max_new_tokens: int | None = None):
        """Yield AskEvents for the review of the week containing `week` (Monday–Sunday) or of
        the month `month` (YYYY-MM); the done event's `answer` is a `Review`."""
        from studylog.rag.review import MAX_NEW_TOKENS, month_of, review_stream, week_of
        from studylog.rag.types import AskEvent
        from studylog.search.tokenize import get_tokenizer

        if (week is None) == (month is None):
            raise ValueError("give a week (a date in it) or a month (YYYY-MM), not both")
        if isinstance(week, str):
            week = dt.date.fromisoformat(week)
        period = week_of(week) if week is not None else month_of(month)
        self.vault.check()
        notes = [n for n in self.vault.scan().notes if period.contains(n.date)]
        if notes and self._generator is None:
            yield from self._load_with_status()
            if self._generator is None:
                return
        loaded = self._generator
        if loaded is None:  # no notes: the review says so without the model
            from studylog.rag.review import NO_NOTES, Review, notes_language

            review = Review(period.start, period.end, period.kind, period.label, declined=True)
            review.language = notes_language(notes)
            review.text = NO_NOTES[review.language].format(start=period.start, end=period.end)
            yield AskEvent("token", review.text)
            yield AskEvent("done", answer=review)
            return
        tokenize = get_tokenizer("kiwi").tokenize
        with self.model_lock:
            yield from review_stream(notes, period, loaded, tokenize, self.vault.relative, cancel,
                                     max_new_tokens or MAX_NEW_TOKENS)

    def save_review(self, review) -> Path:
        """Save a `Review` as `reviews/2026-W42.md` (or `reviews/2026-10.md`) in the vault;
        an existing file is never overwritten (the new one gets `-2`, `-3`, …)."""
        from studylog.rag.review import REVIEWS_DIR, review_markdown

        path = self.vault.create_new(f"{REVIEWS_DIR}/{review.label}.md", review_markdown(review))
        review.saved = self.vault.relative(path)
        return path

    def text_attention(self, text: str, layer: int | None = None, head: str | int = "mean"):
        """The loaded model's attention over any text (explore mode, `studylog attention`)."""
        from studylog.attention.explore import text_attention

        loaded = self.generator()
        with self.model_lock:
            return text_attention(loaded.model, loaded.tokenizer, text, layer, head, loaded.name)

    def capture_answer(self, answer):
        """Attention of the model over the exact prompt + answer tokens of `answer`."""
        from studylog.attention_export import capture_answer

        return capture_answer(self, answer)

    def _load_with_status(self):
        """Load the generator in a thread, relaying its progress as status events."""
        import queue

        from studylog.rag.types import AskEvent

        updates: queue.Queue = queue.Queue()
        failure: list[BaseException] = []

        def load() -> None:
            try:
                self.generator(lambda stage, fraction: updates.put((stage, fraction)))
            except BaseException as exc:  # reported to the caller as an error event
                failure.append(exc)
            finally:
                updates.put(None)

        threading.Thread(target=load, name="studylog-load-model", daemon=True).start()
        while (update := updates.get()) is not None:
            stage, fraction = update
            yield AskEvent("status", stage, fraction)
        if failure:
            yield AskEvent("error", f"the model could not be loaded: {failure[0]}", code="model_unavailable")
        elif self._generator is not None:
            for message in self._generator.messages:
                yield AskEvent("status", message)

    # -- diagnostics -----------------------------------------------------------------------
    def doctor(self) -> list[Check]:
        from studylog.doctor import run_checks

        return run_checks(self)


__all__ = ["StudyLogService", "DayInfo", "Check", "VaultError", "NoteError", "IndexCorruptError"]
