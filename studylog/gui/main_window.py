"""The main window: days on the left, the note in the middle, Ask on the right.

It only arranges panels and routes their requests to the Backend; all service work runs on
background threads and comes back as signals. Nothing here imports the service.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.ask_controller import AskController, unavailable_reason
from studylog.gui.ask_panel import AskPanel
from studylog.gui.attention.dock import install_attention
from studylog.gui.backend import Backend
from studylog.gui.banner import Banner
from studylog.gui.calendar_panel import CalendarPanel
from studylog.gui.conflict_dialog import ConflictDialog
from studylog.gui.editor_panel import EditorPanel
from studylog.gui.errors import UserError, describe_error
from studylog.gui.i18n import Retranslatable, install_language, resolve_language, tr
from studylog.gui.icons import app_icon
from studylog.gui.note_session import AUTOSAVE_DELAY_MS, NoteSession
from studylog.gui.quiz_dock import install_quiz
from studylog.gui.related_dock import install_related
from studylog.gui.review_dock import install_review
from studylog.gui.search_panel import SearchPanel
from studylog.gui.settings_dialog import SettingsDialog
from studylog.gui.status_widgets import IndexProgress, SaveState
from studylog.gui.theme import current_tokens, theme_manager
from studylog.gui.ui_state import recovered_files, ui_state, write_recovery_copy
from studylog.gui.vault_watcher import VaultChanges, VaultWatcher
from studylog.gui.window_actions import Commands, WindowActions

SHUTDOWN_BUDGET_S = 1.8  # the issue allows 2 s from close to exit
FLUSH_TIMEOUT_S = 1.0
REINDEX_DELAY_MS = 4000
VAULT_POLL_MS = 2000
SEARCH_RESULTS = 10
STATE_VERSION = 1
_SERVICE_KEYS = ("vault", "embedder", "generator", "device", "chroma_mode", "chroma_url", "chroma_token",
                 "allow_network")

ServiceFactory = Callable[[Any, Path | None], Any]


def _in_saved_layout(layout, name: str) -> bool:
    """Whether a saveState() blob places the dock named `name` (a dock added in a newer
    version is not in an older blob). QDataStream writes the name as its byte length and
    UTF-16 big-endian text."""
    text = name.encode("utf-16-be")
    return len(text).to_bytes(4, "big") + text in bytes(layout)


def _same_path(a: Path | None, b: Path | None) -> bool:
    if a is None or b is None:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return str(a) == str(b)


class _PaintWatcher(QObject):
    """Notices the first paint of any widget in the window (for `first_paint_ms`)."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget) and watched.window() is self.window:
            self.window._painted()
        return False


class MainWindow(Retranslatable, QMainWindow):
    vault_listed = Signal()
    note_opened = Signal(Path)
    ready = Signal()  # painted, days listed and the first note shown: what a screenshot waits for
    first_painted = Signal(float)  # time.time() of the first paint

    def __init__(
        self,
        settings,
        service_factory: ServiceFactory,
        vault_override: Path | None = None,
        *,
        autosave_ms: int = AUTOSAVE_DELAY_MS,
        reindex_delay_ms: int = REINDEX_DELAY_MS,
        index_on_start: bool = True,
        warm_up_on_start: bool = True,
        startup_errors: list[UserError] | None = None,
    ):
        super().__init__()
        self.setObjectName("MainWindow")
        # Dock tab groups asked for while the window is built; see tabifyDockWidget.
        self._pending_tabs: list[tuple[QDockWidget, QDockWidget]] | None = []
        self._default_layout = True
        self._restored_docks: set[str] = set()  # object names the saved layout placed
        self.setWindowIcon(app_icon())
        self.settings = settings
        self.service_factory = service_factory
        self.vault_override = Path(vault_override).expanduser() if vault_override else None
        self.vault_root: Path | None = None
        self.index_on_start = index_on_start
        self.warm_up_on_start = warm_up_on_start
        self.first_paint_time: float | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._closed = False
        self._open_serial = 0
        self._opening = False
        self._ready_sent = False
        self._indexed_once = False
        self._can_warm_up = False
        self._days_loaded = False
        self._listing = False  # a vault listing is on its way (refresh_days)
        self._list_again = False

        self.backend = Backend(self._make_factory())
        self._build_ui()
        self.session = NoteSession(self.backend, self.editor_panel.editor, autosave_ms)
        self.ask_controller = AskController(self.backend, self.ask_panel)
        self.related_dock, self.related = install_related(self)  # needs the session (current note)
        self.quiz_dock, self.quiz = install_quiz(self)
        self.review_dock, self.review = install_review(self)
        self._reindex_timer = QTimer(self, singleShot=True, interval=reindex_delay_ms)
        self._reindex_timer.timeout.connect(lambda: self.backend.index())
        self.watcher = VaultWatcher(self)
        # A vault folder that does not exist cannot be watched: look for it now and then, so
        # the app notices when it appears (created in a file manager, a drive plugged in).
        self._vault_poll = QTimer(self, interval=VAULT_POLL_MS)
        self._vault_poll.timeout.connect(self._look_for_vault)
        self.conflict: tuple[Path, Path] | None = None  # (note, conflict copy) the banner offers to open
        self.conflict_dialog: ConflictDialog | None = None
        self._connect()
        self.retranslate()
        self._restore_state()
        for error in startup_errors or []:
            self.banner.show_error(error)
        self._paint_watcher = _PaintWatcher(self)
        QApplication.instance().installEventFilter(self._paint_watcher)
        # Service work starts once the event loop runs: the window paints first.
        QTimer.singleShot(0, self.load_vault)

    # -- construction ----------------------------------------------------------------------
    def _make_factory(self) -> Callable[[], Any]:
        settings = dataclasses.replace(self.settings)
        vault = self.vault_override
        factory = self.service_factory
        return lambda: factory(settings, vault)

    def _build_ui(self) -> None:
        self.calendar_panel = CalendarPanel()
        self.search_panel = SearchPanel()
        self.ask_panel = AskPanel()
        self.editor_panel = EditorPanel()
        self.banner = Banner()

        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(10, 8, 10, 0)
        banner_row.addWidget(self.banner)
        central_layout.addLayout(banner_row)
        central_layout.addWidget(self.editor_panel, 1)
        self.setCentralWidget(central)

        self.days_dock = self._dock("DaysDock", self.calendar_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.search_dock = self._dock("SearchDock", self.search_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.ask_dock = self._dock("AskDock", self.ask_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.days_dock, self.search_dock)
        # The tab bar names the left docks; a title bar above it would say the same again.
        for dock in (self.days_dock, self.search_dock):
            dock.setTitleBarWidget(QWidget())
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.setTabPosition(Qt.DockWidgetArea.LeftDockWidgetArea, QTabWidget.TabPosition.North)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        self._build_actions()
        self.attention_dock = install_attention(self)  # the Attention tab, "Show attention", explore
        self._build_status_bar()

    def tabifyDockWidget(self, first: QDockWidget, second: QDockWidget) -> None:  # noqa: N802 - Qt API
        """Tab `second` onto `first`, but not while the window is still hidden.

        Tab bars made in a hidden window were left on screen as ghosts (two "Days/Search"
        bars overlapping after a restart and a resize, stray bars in the right dock area):
        - restoreState() on a hidden window skips applyState(), so the bars that the tabify
          calls before it had made stay shown at their old place, outside the new layout;
        - tabifying a second group while hidden makes two bars (QMainWindowLayout::getTabBar
          activates the layout, which asks for a bar for the same group again) and the
          layout keeps only one.
        Qt hides such bars only on its next applyState(), which a resize does not run. So
        the docks' installers ask for their tab groups here, and the window makes them once
        it is shown, and only for docks the saved layout did not place (restoreState makes
        those groups itself, with no bars made before it).
        """
        if self._pending_tabs is None:
            super().tabifyDockWidget(first, second)
        else:
            self._pending_tabs.append((first, second))

    def _settle_layout(self) -> None:
        """The first show: make the tab groups the saved layout did not bring."""
        pending, self._pending_tabs = self._pending_tabs or [], None
        for first, second in pending:
            if second.objectName() not in self._restored_docks:
                self.tabifyDockWidget(first, second)
        if self._default_layout:
            self.days_dock.raise_()
            self.ask_dock.raise_()
            self.resizeDocks([self.days_dock, self.ask_dock], [310, 400], Qt.Orientation.Horizontal)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._pending_tabs is not None:
            self._settle_layout()

    def _dock(self, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_actions(self) -> None:
        editor = self.editor_panel.editor
        commands = Commands(
            today=lambda: self.new_note(dt.date.today()), save=self.save_now, find=self.editor_panel.open_find,
            search=self.focus_search, ask=self.focus_ask, stop=self.stop_answer, preview=self.toggle_preview,
            settings=self.open_settings, quit=self.close, undo=editor.undo, redo=editor.redo)
        self.window_actions = WindowActions(self, commands, [self.days_dock, self.search_dock, self.ask_dock])
        self.window_actions.set_colors(current_tokens())

    def _build_status_bar(self) -> None:
        self.save_label = SaveState()
        self.index_progress = IndexProgress()
        self.index_progress.cancel_button.clicked.connect(self.backend.cancel_index)
        self.statusBar().addPermanentWidget(self.index_progress)
        self.statusBar().addPermanentWidget(self.save_label)

    def _connect(self) -> None:
        self.calendar_panel.day_activated.connect(lambda path: self.open_note(path))
        self.calendar_panel.empty_day_selected.connect(self._empty_day)
        self.calendar_panel.today_requested.connect(lambda: self.new_note(dt.date.today()))
        self.editor_panel.empty.create_requested.connect(self.new_note)
        self.editor_panel.preview_toggled.connect(self._preview_toggled)
        self.editor_panel.preview.note_link_activated.connect(lambda path: self.open_note(path))
        self.search_panel.search_requested.connect(self.run_search)
        self.search_panel.hit_activated.connect(lambda hit: self.open_note(Path(hit.path), hit.start_line))
        self.ask_controller.failed.connect(self.banner.show_error)
        self.ask_panel.source_activated.connect(lambda path, line: self.open_note(Path(path), line))
        self.session.state_changed.connect(self._save_state_changed)
        self.session.save_failed.connect(lambda exc: self.show_error(exc, "save"))
        self.session.saved.connect(self._note_saved)
        self.session.kept_elsewhere.connect(self._kept_elsewhere)
        self.session.conflicted.connect(self._conflicted)
        self.session.late_kept.connect(self._late_kept)
        self.session.merged.connect(
            lambda path: self.statusBar().showMessage(tr("{name} was also changed in another program; both "
                                                         "edits are kept in the note").format(name=path.name), 8000))
        self.session.reloaded.connect(
            lambda path: self.statusBar().showMessage(tr("{name} changed on disk and was reloaded").format(
                name=path.name), 6000))
        self.watcher.changed.connect(self._vault_changed)
        self.banner.action_requested.connect(self._banner_action)
        self.backend.index_started.connect(self.index_progress.started)
        self.backend.index_progress.connect(self._index_progress)
        self.backend.index_finished.connect(self._index_finished)
        self.backend.index_cancelled.connect(self._index_cancelled)
        self.backend.index_failed.connect(self._index_failed)
        self.backend.warmup_finished.connect(lambda: self.banner.clear_cause("warm_up"))
        self.backend.warmup_failed.connect(self._warm_up_failed)
        theme_manager().changed.connect(self._apply_colors)

    # -- state -----------------------------------------------------------------------------
    def _restore_state(self) -> None:
        state = ui_state()
        geometry = state.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1320, 840)
        layout = state.value("window/state")
        if layout is not None and self.restoreState(layout, STATE_VERSION):
            self._default_layout = False
            self._restored_docks = {dock.objectName() for dock in self.findChildren(QDockWidget)
                                    if _in_saved_layout(layout, dock.objectName())}
        self.editor_panel.set_preview(state.value("editor/preview", False, type=bool))

    def save_ui_state(self) -> None:
        state = ui_state()
        state.setValue("window/geometry", self.saveGeometry())
        if self._pending_tabs is None:  # never shown: the dock groups are not made yet, keep the last layout
            state.setValue("window/state", self.saveState(STATE_VERSION))
        state.setValue("editor/preview", self.editor_panel.previewing)
        if self.session.path is not None:
            state.setValue("session/last_note", str(self.session.path))
        state.sync()

    # -- start-up --------------------------------------------------------------------------
    def load_vault(self) -> None:
        """Ask the service what it offers, list the days, open the last note, then index."""
        self.backend.describe(on_result=self._described, on_error=lambda exc: self.show_error(exc, "service"))
        self.backend.list_days(on_result=self._days_listed, on_error=self._days_failed)
        for path in recovered_files()[-1:]:
            self.banner.show_error(UserError(
                tr("Text kept from an earlier session"),
                tr("StudyLog could not save into the vault when it closed, so it kept the text here: {path}")
                .format(path=path),
                tr("Copy what you need back into the note, then delete the file."), severity="info"))

    def _described(self, info: dict) -> None:
        self.banner.clear_cause("service")
        self.vault_root = info["vault"]
        self._watch_vault()
        self.editor_panel.set_vault_root(self.vault_root)
        self._can_warm_up = info["warm_up"]
        self.ask_panel.set_available(info["ask"], "" if info["ask"] else unavailable_reason())
        self._update_title()

    def _days_listed(self, days: list) -> None:
        first = not self._days_loaded
        self._days_loaded = True
        self.banner.clear_cause("list")
        self.calendar_panel.set_days(days)
        if self.session.path is not None:
            self.calendar_panel.select_path(self.session.path)
        self.vault_listed.emit()
        if first:
            self._open_initial_note(days)
            if self.index_on_start:
                QTimer.singleShot(200, self.backend.index)

    def _days_failed(self, exc: BaseException) -> None:
        self.show_error(exc, "list")
        self._days_loaded = True
        self.calendar_panel.set_days([])
        self.vault_listed.emit()
        self._maybe_ready()

    def _open_initial_note(self, days: list) -> None:
        last = ui_state().value("session/last_note", "")
        known = {str(d.path) for d in days}
        if last and last in known:
            self.open_note(Path(last))
        elif days:
            self.open_note(Path(days[-1].path))
        else:
            self.editor_panel.show_empty(None)
            self._maybe_ready()

    def _maybe_ready(self) -> None:
        if self._ready_sent or self.first_paint_time is None or not self._days_loaded or self._opening:
            return
        self._ready_sent = True
        self.ready.emit()

    def _painted(self) -> None:
        if self.first_paint_time is None:
            self.first_paint_time = time.time()
            QApplication.instance().removeEventFilter(self._paint_watcher)
            self.first_painted.emit(self.first_paint_time)
            self._maybe_ready()

    # -- notes -----------------------------------------------------------------------------
    def resolve_path(self, path: Path) -> Path:
        """Service results may give vault-relative paths; the editor wants real ones."""
        path = Path(path)
        if not path.is_absolute() and self.vault_root is not None:
            return self.vault_root / path
        return path

    def open_note(self, path: Path, line: int | None = None) -> None:
        path = self.resolve_path(path)
        if _same_path(path, self.session.path):
            self._show_line(line)
            return
        self._open_serial += 1
        serial = self._open_serial
        self._opening = True
        self.backend.read_note(path, on_result=lambda note: self._note_read(serial, note, line),
                               on_error=lambda exc: self._note_read_failed(serial, exc))

    def _note_read(self, serial: int, note, line: int | None) -> None:
        if serial != self._open_serial:
            return
        self._opening = False
        note, generation = note
        path = Path(note.path)
        self.banner.clear_cause("open", "deleted")
        self.session.open(path, note.raw,
                          lambda text: self.editor_panel.show_note(path, text, note.date, note.title), generation)
        self.calendar_panel.select_path(path)
        self._show_line(line)
        self._save_state_changed(self.session.state)
        self.note_opened.emit(path)
        self._maybe_ready()

    def _note_read_failed(self, serial: int, exc: BaseException) -> None:
        if serial != self._open_serial:
            return
        self._opening = False
        self.show_error(exc, "open")
        self._maybe_ready()

    def _show_line(self, line: int | None) -> None:
        if line is None:
            return
        if self.editor_panel.previewing:
            self.editor_panel.set_preview(False)
        self.editor_panel.editor.goto_line(int(line))
        self.editor_panel.editor.setFocus()

    def new_note(self, day: dt.date) -> None:
        self.backend.new_note(day, self.settings.template_language, on_result=self._note_created,
                              on_error=lambda exc: self.show_error(exc, "new"))

    def _note_created(self, result: tuple[Path, bool]) -> None:
        path, created = result
        self.banner.clear_cause("new")
        self.open_note(Path(path))
        if created:
            self.refresh_days()
            self._reindex_timer.start()
        self.statusBar().showMessage(tr("Created {name} from the template").format(name=Path(path).name)
                                     if created else tr("Opened {name}").format(name=Path(path).name), 4000)

    def _empty_day(self, day: dt.date) -> None:
        self.session.close_note()
        self.editor_panel.show_empty(day)
        self._update_title()

    def refresh_days(self) -> None:
        """List the vault again. Listing parses every note (Python work that holds the GIL),
        so a burst of outside changes (a sync client, a git pull) lists once more after the
        listing in progress, never once per change."""
        if self._listing:
            self._list_again = True
            return
        self._listing = True
        # Bound methods, not lambdas: Qt drops them with the window if it closes meanwhile.
        self.backend.list_days(on_result=self._days_refreshed, on_error=self._refresh_failed)

    def _days_refreshed(self, days: list) -> None:
        self._listing_done()
        self._days_listed(days)

    def _refresh_failed(self, exc: BaseException) -> None:
        self._listing_done()
        self.show_error(exc, "list")

    def _listing_done(self) -> None:
        self._listing = False
        if self._list_again and not self._closed:
            self._list_again = False
            self.refresh_days()

    def save_now(self) -> None:
        if self.session.save_now() is None and self.session.path is not None and not self.session.dirty:
            self.statusBar().showMessage(tr("Already saved"), 2000)

    def _note_saved(self, _path: Path) -> None:
        self.banner.clear_action("retry-save")
        self.banner.clear_cause("save")
        self._reindex_timer.start()

    def _kept_elsewhere(self, note: Path, copy: Path, exc: BaseException) -> None:
        self.banner.show_error(UserError(
            tr("Could not save the note"),
            tr("{name} could not be saved after you switched notes; its text was kept in {path}").format(
                name=note.name, path=copy) + f"\n{exc}",
            tr("Copy what you need back into the note, then delete the file."), severity="warning"))

    # -- outside changes -------------------------------------------------------------------
    def _watch_vault(self) -> None:
        if self.watcher.watch(self.vault_root):
            self._vault_poll.stop()
        else:
            self._vault_poll.start()

    def _look_for_vault(self) -> None:
        if self.vault_root is None or not Path(self.vault_root).is_dir():
            return
        self._watch_vault()
        self.banner.clear_cause("list")
        self.refresh_days()
        self.backend.index()  # clears the "vault does not exist" index message once it succeeds

    def create_vault(self) -> None:
        """The banner's "Create the folder": its message goes when the index pass that follows
        succeeds (the cause is gone), not before."""
        self.backend.create_vault(on_result=self._vault_created, on_error=self._vault_not_created)

    def _vault_created(self, _none) -> None:
        self._look_for_vault()

    def _vault_not_created(self, exc: BaseException) -> None:
        self.show_error(exc, "list")

    def _vault_changed(self, changes: VaultChanges) -> None:
        """Another program created, changed, deleted or renamed notes: list and index them;
        the open note reloads, follows its new name, or keeps both texts on a conflict."""
        if self.conflict is not None and self.conflict[1] in changes.removed:
            self.conflict = None  # the copy was deleted: the user has settled the conflict
            self.banner.clear_cause("conflict")
        path = self.session.path
        if path is not None and path in changes.moved:
            self._follow_rename(path, changes.moved[path])
            path = None
        only_open_note = (path is not None and not changes.folders and not changes.moved
                          and changes.changed | changes.removed == {path})
        if path is not None and (changes.touches(path) or changes.folders):
            self._check_open_note(path, refresh=only_open_note)
        if not only_open_note:
            self.refresh_days()
            self._reindex_timer.start()

    def _follow_rename(self, source: Path, destination: Path) -> None:
        self.backend.note_moved(source, destination)
        self.session.follow_rename(destination)
        panel = self.editor_panel
        panel.path = destination
        panel.retranslate()
        self._update_title()
        self.statusBar().showMessage(tr("{name} was renamed outside StudyLog to {new}").format(
            name=source.name, new=destination.name), 6000)

    def _check_open_note(self, path: Path, refresh: bool) -> None:
        """Unsaved edits: save now, and the writer's disk check turns a change into a conflict
        copy. Otherwise re-read the note if it really changed (our own saves are events too)."""
        if self.session.dirty:
            self.session.save_now()
            return
        self.backend.note_on_disk(path, on_result=lambda found: self._open_note_on_disk(path, found, refresh),
                                  on_error=lambda exc: self.show_error(exc, "open"))

    def _open_note_on_disk(self, path: Path, found, refresh: bool) -> None:
        if self._closed or found is None or path != self.session.path:
            return  # closed meanwhile, or unchanged: the event was the app's own save
        if refresh:
            self.refresh_days()
            self._reindex_timer.start()
        if found is False:
            if self.session.dirty:
                self.session.save_now()  # the only copy of this text is the editor's: write it back
                return
            self.session.close_note()
            self.editor_panel.show_empty(None)
            self._update_title()
            self.banner.show_error(UserError(
                tr("The note was deleted"), tr("{name} was deleted or moved outside StudyLog.").format(name=path.name),
                "", severity="info", cause="deleted"))
            return
        note, generation = found
        self.session.reload_from_disk(note, generation)

    def _conflicted(self, note: Path, copy: Path) -> None:
        self.conflict = (note, copy)
        self.banner.show_error(UserError(
            tr("The note changed in another program"),
            tr("{name} was changed on disk while you were editing it here. Nothing was overwritten: the note "
               "keeps the other program's text, and your text is in {copy}.").format(name=note.name,
                                                                                       copy=copy.name),
            tr("Compare the two and copy what you need into the note, then delete the copy."),
            "open-conflict", severity="warning", cause="conflict"))
        self.refresh_days()
        self._reindex_timer.start()

    def _late_kept(self, note: Path, copy: Path) -> None:
        self.banner.show_error(UserError(
            tr("Another program wrote to the note while it was being saved"),
            tr("Its text is kept in {copy}; {name} holds yours.").format(copy=copy.name, name=note.name),
            tr("Compare the two and copy what you need into the note, then delete the copy."),
            severity="warning", cause="conflict"))
        self.refresh_days()

    def open_conflict(self) -> ConflictDialog | None:
        """Show both versions of the last conflict side by side."""
        if self.conflict is None:
            return None
        if self.conflict_dialog is not None:
            self.conflict_dialog.close()
        dialog = ConflictDialog(*self.conflict, self)
        dialog.open_requested.connect(lambda path: self.open_note(path))
        dialog.finished.connect(lambda _code: setattr(self, "conflict_dialog", None))
        self.conflict_dialog = dialog
        dialog.show()
        return dialog

    def _save_state_changed(self, state: str) -> None:
        self.save_label.show_state(state, self.session.saved_at, self.session.path is not None)
        self._update_title()

    def _update_title(self) -> None:
        path = self.session.path if hasattr(self, "session") else None
        name = path.name if path else (self.vault_root.name if self.vault_root else "")
        self.setWindowTitle(f"{name}[*] — StudyLog" if name else "StudyLog")
        self.setWindowModified(bool(path) and self.session.dirty)

    # -- view ------------------------------------------------------------------------------
    def toggle_preview(self) -> None:
        if self.session.path is None:
            self.window_actions.preview.setChecked(False)
            return
        self.editor_panel.set_preview(not self.editor_panel.previewing)

    def _preview_toggled(self, on: bool) -> None:
        self.window_actions.preview.setChecked(on)

    def focus_search(self) -> None:
        self.search_dock.show()
        self.search_dock.raise_()
        self.search_panel.focus_field()

    def focus_ask(self) -> None:
        self.ask_dock.show()
        self.ask_dock.raise_()
        if self.ask_panel.input.toPlainText().strip():
            self.ask_panel.submit()
        else:
            self.ask_panel.input.setFocus()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Escape and self.ask_panel.busy:
            self.stop_answer()
            return
        super().keyPressEvent(event)

    # -- index -----------------------------------------------------------------------------
    def rebuild_index(self) -> None:
        self.backend.index(rebuild=True)

    def _index_progress(self, done: int, total: int, _message: str) -> None:
        self.index_progress.progress(done, total)

    def _index_finished(self, report) -> None:
        self.index_progress.hide()
        self.banner.clear_action("retry-index")
        self.banner.clear_cause("index")
        self.statusBar().showMessage(
            tr("Index up to date: {notes} notes, {embedded} passages updated").format(
                notes=report.notes, embedded=report.embedded), 6000)
        errors = list(getattr(report, "errors", []))
        if errors:
            shown = "\n".join(errors[:3]) + ("\n…" if len(errors) > 3 else "")
            self.banner.show_error(UserError(tr("{n} files could not be read").format(n=len(errors)), shown,
                                             tr("Fix or remove those files; every other note is indexed."),
                                             severity="warning"))
        for warning in getattr(report, "warnings", []):
            if "index" in warning:
                self.banner.show_error(UserError(tr("The index was repaired"), warning, "", severity="info"))
        self._first_index_pass_over()

    def _first_index_pass_over(self) -> None:
        """Load the answer model once the first index pass ended, however it ended: the two
        would fight over the CPU, and a failed index must not keep answers from loading."""
        if self._indexed_once:
            return
        self._indexed_once = True
        if self.warm_up_on_start and self._can_warm_up and not self._closed:
            self.backend.warm_up()

    def _index_cancelled(self) -> None:
        self._first_index_pass_over()
        self.index_progress.hide()
        self.statusBar().showMessage(tr("Indexing stopped; it continues after the next save."), 6000)

    def _index_failed(self, exc: BaseException) -> None:
        self._first_index_pass_over()
        self.index_progress.hide()
        error = describe_error(exc, "index")
        if not error.action:
            error.action = "retry-index"
        self.banner.show_error(error)

    def _warm_up_failed(self, exc: BaseException) -> None:
        self.ask_panel.hide_progress()
        self.show_error(exc, "warm_up")

    # -- search ----------------------------------------------------------------------------
    def run_search(self, query: str) -> None:
        self.backend.search(query, k=SEARCH_RESULTS, on_result=self._search_done, on_error=self._search_failed)

    def _search_done(self, result) -> None:
        self.banner.clear_cause("search")
        self.search_panel.show_result(result)
        if self.backend.indexing and result.query.strip() == self.search_panel.query():
            self.search_panel.message.setText(self.search_panel.message.text() + "\n"
                                              + tr("Indexing is still running: results may be incomplete."))

    def _search_failed(self, exc: BaseException) -> None:
        error = describe_error(exc, "search")
        self.search_panel.show_error(f"{error.title}: {error.detail}")
        if not isinstance(exc, ValueError):
            self.banner.show_error(error)

    # -- ask -------------------------------------------------------------------------------
    def stop_answer(self) -> None:
        self.ask_controller.stop()

    # -- settings --------------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return self.settings_dialog
        dialog = SettingsDialog(self.settings, self.vault_root, self)
        dialog.import_requested.connect(self.import_folder)
        dialog.rebuild_requested.connect(self.rebuild_index)
        dialog.accepted.connect(lambda d=dialog: self.apply_settings(d.values()))
        dialog.finished.connect(lambda _code: setattr(self, "settings_dialog", None))
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def apply_settings(self, new) -> None:
        from studylog.config import save_settings

        old = self.settings
        try:
            save_settings(new)
            self.banner.clear_cause("settings")
        except OSError as exc:
            self.show_error(exc, "settings")
        self.settings = new
        if new.ui_language != old.ui_language:
            install_language(resolve_language(new.ui_language))
        if new.theme != old.theme:
            theme_manager().apply(new.theme)
        changed = {key for key in _SERVICE_KEYS if getattr(new, key) != getattr(old, key)}
        vault_changed = "vault" in changed and not _same_path(Path(new.vault).expanduser(), self.vault_root)
        if not changed or changed == {"vault"} and not vault_changed:
            return
        if vault_changed:
            self.vault_override = None
            self.session.close_note()
        self.backend.reconfigure(self._make_factory())
        if vault_changed:
            self._days_loaded = False
            self.editor_panel.show_empty(None)
            self.backend.create_vault(on_error=lambda exc: self.show_error(exc, "list"))
            self.load_vault()
        else:
            self.backend.describe(on_result=self._described)
            if "embedder" in changed:
                self.rebuild_index()
            elif changed & {"chroma_mode", "chroma_url", "chroma_token"}:
                self.backend.index()

    def import_folder(self, folder: Path) -> None:
        self.backend.import_folder(Path(folder), on_result=self._imported, on_error=self._import_failed)

    def _imported(self, report) -> None:
        counts = report.to_dict()
        text = tr("Imported {copied} notes ({kept_both} kept beside a different note of the same date), "
                  "{identical} already present, {errors} unreadable.").format(**counts)
        if self.settings_dialog is not None:
            self.settings_dialog.show_import_result(text)
        self.banner.clear_cause("import")
        self.statusBar().showMessage(text, 8000)
        self.refresh_days()
        self.backend.index()

    def _import_failed(self, exc: BaseException) -> None:
        error = describe_error(exc, "import")
        if self.settings_dialog is not None:
            self.settings_dialog.show_import_result(f"{error.title}: {error.detail}")
        self.banner.show_error(error)

    # -- errors ----------------------------------------------------------------------------
    def show_error(self, exc: BaseException, doing: str) -> None:
        self.banner.show_error(describe_error(exc, doing))

    def _banner_action(self, action: str) -> None:
        if action == "retry-save":
            self.save_now()
        elif action == "settings":
            self.open_settings()
        elif action == "rebuild":
            self.banner.dismiss()
            self.rebuild_index()
        elif action == "retry-index":
            self.banner.dismiss()
            self.backend.index()
        elif action == "open-conflict":
            self.open_conflict()
        elif action == "create-vault":
            self.create_vault()

    # -- theme and language ----------------------------------------------------------------
    def _apply_colors(self, tokens: dict[str, str]) -> None:
        self.window_actions.set_colors(tokens)
        self.index_progress.set_colors(tokens)
        self.editor_panel.set_colors(tokens)
        self.calendar_panel.set_colors(tokens)
        self.ask_panel.set_colors(tokens)
        self.banner.set_colors(tokens)

    def retranslate(self) -> None:
        self.window_actions.retranslate()
        self.days_dock.setWindowTitle(tr("Days"))
        self.search_dock.setWindowTitle(tr("Search"))
        self.ask_dock.setWindowTitle(tr("Ask your notes"))
        if hasattr(self, "session"):
            self._save_state_changed(self.session.state)

    # -- closing ---------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Save the note first, then stop every thread; never longer than ~2 s."""
        if self._closed:
            event.accept()
            return
        deadline = time.monotonic() + SHUTDOWN_BUDGET_S
        self._closed = True
        self.save_ui_state()
        self.watcher.stop()
        self._vault_poll.stop()
        self._reindex_timer.stop()
        if self.ask_panel.busy:
            self.ask_panel.request_stop()
        self.backend.cancel_all()
        if not self.session.flush_blocking(FLUSH_TIMEOUT_S) and self.session.dirty:
            kept = write_recovery_copy(self.session.path, self.editor_panel.editor.toPlainText())
            print(f"studylog: could not save {self.session.path}; the text was kept in {kept}", file=sys.stderr)
        self.backend.shutdown(deadline)
        event.accept()
