"""Notes changed by other programs: the day list follows, the open note reloads or, when both
sides changed, both texts are kept (a conflict copy beside the note) and nothing is lost."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QTextCursor

from studylog.gui.disk_guard import DiskGuard, DiskState, conflict_copy_path
from studylog.gui.note_session import CLEAN, SAVED
from studylog.gui.text_merge import map_line, merge3
from tests.gui.fakes import WAIT_MS, FakeService, fake_factory

pytestmark = pytest.mark.gui


def _type(qtbot, editor, text: str) -> None:
    editor.setFocus()
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor, text)


def _conflict_copies(note: Path) -> list[Path]:
    return sorted(note.parent.glob(f"{note.stem} (conflict *){note.suffix}"))


def _listed(window, path: Path) -> bool:
    return any(Path(day.path) == path for day in window.calendar_panel.days)


def _append(path: Path, text: str) -> None:
    """What another editor does: rewrite the whole file with a line added."""
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_notes_created_deleted_and_renamed_outside_show_up(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)))
    qtbot.waitUntil(lambda: window.watcher.active, timeout=WAIT_MS)
    created = fixtures_vault / "2027-01-05.md"
    created.write_text("# 밖에서 만든 노트\n- watcher\n", encoding="utf-8")
    qtbot.waitUntil(lambda: window.calendar_panel.path_for(dt.date(2027, 1, 5)) == created, timeout=WAIT_MS)

    sub = fixtures_vault / "later" / "deep"
    sub.mkdir(parents=True)  # a folder made after the watch started is watched too
    nested = sub / "2027-01-06.md"
    nested.write_text("# nested\n", encoding="utf-8")
    qtbot.waitUntil(lambda: _listed(window, nested), timeout=WAIT_MS)

    renamed = fixtures_vault / "2027-01-07.md"
    created.rename(renamed)
    qtbot.waitUntil(lambda: _listed(window, renamed) and not _listed(window, created), timeout=WAIT_MS)

    nested.unlink()
    qtbot.waitUntil(lambda: not _listed(window, nested), timeout=WAIT_MS)


def test_outside_changes_reach_the_index(qtbot, make_window, fixtures_vault):
    service = FakeService(fixtures_vault)
    window = make_window(fake_factory(service), reindex_delay_ms=300)
    qtbot.waitUntil(lambda: window.watcher.active, timeout=WAIT_MS)
    (fixtures_vault / "2027-02-01.md").write_text("# new\n", encoding="utf-8")
    qtbot.waitUntil(lambda: len(service.index_calls) >= 1, timeout=WAIT_MS)


def test_clean_open_note_reloads_when_changed_outside(qtbot, make_window, fixtures_vault):
    service = FakeService(fixtures_vault)
    window = make_window(fake_factory(service))
    qtbot.waitUntil(lambda: window.watcher.active, timeout=WAIT_MS)
    path = window.session.path
    _append(path, "\n- added in another editor\n")
    qtbot.waitUntil(lambda: window.editor_panel.editor.toPlainText().endswith("- added in another editor\n"),
                    timeout=WAIT_MS)
    assert window.session.state == CLEAN and not window.session.dirty
    assert not _conflict_copies(path) and not service.saves

    _type(qtbot, window.editor_panel.editor, "typed after the reload")
    qtbot.waitUntil(lambda: window.session.state == SAVED, timeout=WAIT_MS)
    assert path.read_text(encoding="utf-8").endswith("- added in another editor\ntyped after the reload")


def test_change_outside_on_other_lines_is_merged(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)), autosave_ms=60_000)
    qtbot.waitUntil(lambda: window.watcher.active, timeout=WAIT_MS)
    path = window.session.path
    _type(qtbot, window.editor_panel.editor, " typed here")
    _append(path, "\n- appended by another editor\n")
    qtbot.waitUntil(lambda: "appended by another editor" in window.editor_panel.editor.toPlainText(),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.session.dirty, timeout=WAIT_MS)
    on_disk = path.read_text(encoding="utf-8")
    assert " typed here" in on_disk and "- appended by another editor" in on_disk
    assert window.editor_panel.editor.toPlainText() == on_disk
    assert not _conflict_copies(path) and not window.banner.isVisible()
    assert "both edits are kept" in window.statusBar().currentMessage()
    # The cursor stayed where the typing was: the next keys land after " typed here".
    _type_here = window.editor_panel.editor
    qtbot.keyClicks(_type_here, " and more")
    assert "typed here and more" in _type_here.toPlainText()


def test_change_outside_on_the_same_lines_keeps_both_texts(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)), autosave_ms=60_000)
    qtbot.waitUntil(lambda: window.watcher.active, timeout=WAIT_MS)
    path = window.session.path
    editor = window.editor_panel.editor
    editor.setFocus()
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.keyClicks(editor, "typed here, not saved yet ")
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(["changed in another editor " + lines[0]] + lines[1:]), encoding="utf-8")
    disk_text = path.read_text(encoding="utf-8")

    qtbot.waitUntil(lambda: bool(_conflict_copies(path)), timeout=WAIT_MS)
    copy = _conflict_copies(path)[0]
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert copy.read_text(encoding="utf-8").startswith("typed here, not saved yet ")
    assert path.read_text(encoding="utf-8") == disk_text  # the other editor's text was not overwritten
    assert editor.toPlainText() == disk_text
    assert not window.session.dirty
    assert window.banner.title.text() == "The note changed in another program"
    assert copy.name in window.banner.text.text()
    assert window.banner.action_button.text() == "Open both"
    qtbot.waitUntil(lambda: _listed(window, copy), timeout=WAIT_MS)

    window.banner.action_button.click()
    dialog = window.conflict_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.note.text.toPlainText() == disk_text
    assert dialog.copy.text.toPlainText().startswith("typed here, not saved yet ")
    assert [sel.cursor.block().blockNumber() for sel in dialog.copy.text.extraSelections()] == [0]  # it differs
    dialog.copy.open_button.click()
    qtbot.waitUntil(lambda: window.session.path == copy, timeout=WAIT_MS)
    window.open_note(path)
    qtbot.waitUntil(lambda: window.session.path == path, timeout=WAIT_MS)

    copy.unlink()  # the user settled it: the banner goes with the copy
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=WAIT_MS)


def test_autosave_checks_the_disk_even_without_the_watcher(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)), autosave_ms=60_000)
    window.watcher.stop()
    path = window.session.path
    _append(path, "\n- changed while nobody watched\n")
    _type(qtbot, window.editor_panel.editor, " mine")
    window.save_now()
    qtbot.waitUntil(lambda: window.session.state == SAVED, timeout=WAIT_MS)
    on_disk = path.read_text(encoding="utf-8")
    assert "- changed while nobody watched" in on_disk and " mine" in on_disk
    assert window.editor_panel.editor.toPlainText() == on_disk


def test_appending_from_another_thread_while_typing_loses_nothing(qtbot, make_window, fixtures_vault):
    """The issue's measured scenario: a real file written from another thread while typing."""
    window = make_window(fake_factory(FakeService(fixtures_vault)), autosave_ms=100)
    qtbot.waitUntil(lambda: window.watcher.active, timeout=WAIT_MS)
    path = window.session.path
    appended: list[str] = []
    stop = threading.Event()

    def other_editor() -> None:
        for n in range(15):
            if stop.wait(0.23):
                return
            line = f"\n- outside line {n:02d}"
            _append(path, line)
            appended.append(line.strip())

    writer = threading.Thread(target=other_editor)
    writer.start()
    typed = []
    for n in range(25):
        word = f" typed{n:02d}"
        _type(qtbot, window.editor_panel.editor, word)
        typed.append(word.strip())
        qtbot.wait(70)
    writer.join(10)
    stop.set()
    qtbot.waitUntil(lambda: not window.session.dirty, timeout=WAIT_MS)
    qtbot.wait(800)  # the last outside write's event, and any conflict copy it causes
    qtbot.waitUntil(lambda: not window.session.dirty, timeout=WAIT_MS)

    everything = path.read_text(encoding="utf-8") + "".join(
        copy.read_text(encoding="utf-8") for copy in _conflict_copies(path))
    lost_outside = [line for line in appended if line not in everything]
    lost_typed = [word for word in typed if word not in everything]
    print(f"external-edit scenario: {len(appended)} outside appends, {len(typed)} typed words, "
          f"{len(_conflict_copies(path))} conflict copies, lost {lost_outside + lost_typed}")
    assert not lost_outside and not lost_typed
    assert all(line in path.read_text(encoding="utf-8") for line in appended)  # the note keeps every outside line


def test_open_note_deleted_outside_closes_with_a_note_that_clears(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)))
    qtbot.waitUntil(lambda: window.watcher.active, timeout=WAIT_MS)
    path = window.session.path
    path.unlink()
    qtbot.waitUntil(lambda: window.session.path is None, timeout=WAIT_MS)
    assert window.banner.isVisible() and window.banner.title.text() == "The note was deleted"
    qtbot.waitUntil(lambda: not _listed(window, path), timeout=WAIT_MS)
    window.open_note(fixtures_vault / "2026-10-14.md")
    qtbot.waitUntil(lambda: window.session.path is not None, timeout=WAIT_MS)
    assert not window.banner.isVisible()


def test_open_note_renamed_outside_is_followed(qtbot, make_window, fixtures_vault):
    window = make_window(fake_factory(FakeService(fixtures_vault)), autosave_ms=60_000)
    qtbot.waitUntil(lambda: window.watcher.active, timeout=WAIT_MS)
    path = window.session.path
    target = path.with_name("renamed " + path.name)
    path.rename(target)
    qtbot.waitUntil(lambda: window.session.path == target, timeout=WAIT_MS)
    _type(qtbot, window.editor_panel.editor, " after the rename")
    window.save_now()
    qtbot.waitUntil(lambda: window.session.state == SAVED, timeout=WAIT_MS)
    assert target.read_text(encoding="utf-8").endswith(" after the rename")
    assert not path.exists() and not _conflict_copies(target)


# -- the guard alone ------------------------------------------------------------------------

def test_guard_writes_only_over_what_it_read(tmp_path):
    note = tmp_path / "2026-11-29.md"
    note.write_text("one", encoding="utf-8")
    service = FakeService(tmp_path)
    guard = DiskGuard()
    _, generation = guard.read(service, note)
    assert not guard.save(service, note, "two", generation).conflicted
    assert note.read_text(encoding="utf-8") == "two"

    note.write_text("three (outside)", encoding="utf-8")
    outcome = guard.save(service, note, "two and more", generation)
    assert outcome.conflicted and outcome.disk_note.raw == "three (outside)"
    assert outcome.conflict_copy.read_text(encoding="utf-8") == "two and more"
    assert note.read_text(encoding="utf-8") == "three (outside)"
    # A save queued before the conflict re-read the note goes to the same copy, not the note.
    stale = guard.save(service, note, "two and even more", generation)
    assert stale.stale and stale.conflict_copy == outcome.conflict_copy
    assert note.read_text(encoding="utf-8") == "three (outside)"
    assert outcome.conflict_copy.read_text(encoding="utf-8") == "two and even more"

    # An identical rewrite (touch, git checkout of the same text) is no change.
    time.sleep(0.01)
    note.write_text("three (outside)", encoding="utf-8")
    assert not guard.changed_on_disk(note)
    assert DiskState.of(tmp_path / "missing.md") is None


def test_conflict_copy_names_never_collide(tmp_path):
    note = tmp_path / "2026-11-29.md"
    when = dt.datetime(2026, 11, 29, 15, 30, 12)
    first = conflict_copy_path(note, when)
    assert first.name == "2026-11-29 (conflict 2026-11-29 153012).md"
    first.write_text("x", encoding="utf-8")
    assert conflict_copy_path(note, when).name == "2026-11-29 (conflict 2026-11-29 153012) 2.md"


def test_guard_merges_edits_of_different_lines(tmp_path):
    note = tmp_path / "2026-11-29.md"
    note.write_text("# title\n- a\n", encoding="utf-8")
    service = FakeService(tmp_path)
    guard = DiskGuard()
    _, generation = guard.read(service, note)
    note.write_text("# title\n- a\n- from sync\n", encoding="utf-8")
    outcome = guard.save(service, note, "# my title\n- a\n", generation)
    assert not outcome.conflicted and outcome.generation > generation
    assert note.read_text(encoding="utf-8") == outcome.merged_text == "# my title\n- a\n- from sync\n"


def test_merge3_keeps_both_sides_or_refuses():
    base = "a\nb\nc\n"
    assert merge3(base, "A\nb\nc\n", "a\nb\nC\n") == "A\nb\nC\n"
    assert merge3(base, "a\nX\nc\n", "a\nY\nc\n") is None  # the same line, two ways
    assert merge3(base, "a\nX\nc\n", "a\nX\nc\n") == "a\nX\nc\n"
    both_appended = merge3(base, base + "mine", base + "theirs\n")
    assert both_appended is not None and "mine" in both_appended and "theirs" in both_appended
    assert merge3(base, base, "z\n" + base) == "z\n" + base
    assert map_line("a\nb", "z\na\nb", 1, 1) == (2, 1)
    assert map_line("a\nb", "a\nB", 1, 1) == (1, 0)


def test_watcher_falls_back_to_polling_when_the_native_api_refuses(qtbot, tmp_path, monkeypatch):
    import watchdog.observers

    from studylog.gui.vault_watcher import VaultWatcher

    class Refusing(watchdog.observers.Observer):
        def schedule(self, *args, **kwargs):
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", Refusing)
    watcher = VaultWatcher(debounce_ms=50)
    try:
        assert watcher.watch(tmp_path) and watcher.polling
        with qtbot.waitSignal(watcher.changed, timeout=WAIT_MS) as report:
            (tmp_path / "2026-11-29.md").write_text("# polled\n", encoding="utf-8")
        assert tmp_path / "2026-11-29.md" in report.args[0].changed
    finally:
        watcher.stop()


def test_watcher_ignores_temp_files_and_tool_folders(tmp_path):
    from studylog.gui.vault_watcher import is_note_path

    assert is_note_path(tmp_path / "a" / "2026-11-29.md", tmp_path)
    assert not is_note_path(tmp_path / ".2026-11-29.md.x1y2.tmp", tmp_path)
    assert not is_note_path(tmp_path / ".obsidian" / "workspace.md", tmp_path)
    assert not is_note_path(tmp_path / "image.png", tmp_path)
    assert not is_note_path(tmp_path.parent / "elsewhere.md", tmp_path)
