"""The window's commands: actions with shortcuts and tooltips, the tool bar and the menus.

Shortcuts: Ctrl+N today, Ctrl+S save, Ctrl+F find, Ctrl+K search, Ctrl+Enter ask,
Ctrl+P preview, Ctrl+, settings, Ctrl+Q quit; Esc (stop the answer) is handled by the window
so it never competes with Esc in the find bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QSizePolicy, QToolBar, QWidget

from studylog.gui.i18n import tr
from studylog.gui.icons import icon


@dataclass
class Commands:
    """What each action does (the window's methods)."""

    today: Callable[[], None]
    save: Callable[[], None]
    find: Callable[[], None]
    search: Callable[[], None]
    ask: Callable[[], None]
    stop: Callable[[], None]
    preview: Callable[[], None]
    settings: Callable[[], None]
    quit: Callable[[], None]
    undo: Callable[[], None]
    redo: Callable[[], None]


class WindowActions(QObject):
    def __init__(self, window: QMainWindow, commands: Commands, docks: list[QDockWidget]):
        super().__init__(window)
        self.window = window

        def action(name: str, shortcut, slot, checkable: bool = False) -> QAction:
            created = QAction(window)
            created.setObjectName(name)
            if shortcut is not None:
                created.setShortcut(QKeySequence(shortcut))
            created.setCheckable(checkable)
            created.triggered.connect(lambda _checked=False: slot())
            window.addAction(created)  # shortcuts work even with the menu bar hidden
            return created

        self.today = action("today", "Ctrl+N", commands.today)
        self.save = action("save", "Ctrl+S", commands.save)
        self.find = action("find", "Ctrl+F", commands.find)
        self.search = action("search", "Ctrl+K", commands.search)
        self.ask = action("ask", None, commands.ask)
        self.ask.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.stop = action("stop", None, commands.stop)
        self.preview = action("preview", "Ctrl+P", commands.preview, checkable=True)
        self.settings = action("settings", "Ctrl+,", commands.settings)
        self.quit = action("quit", "Ctrl+Q", commands.quit)
        self.undo = action("undo", QKeySequence.StandardKey.Undo, commands.undo)
        self.redo = action("redo", QKeySequence.StandardKey.Redo, commands.redo)
        # The editor handles Ctrl+Z itself when focused; the menu entries are for discovery.
        self.undo.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.redo.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)

        self.toolbar = QToolBar()
        self.toolbar.setObjectName("MainToolBar")
        self.toolbar.setMovable(False)
        self.toolbar.setFloatable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        title = QLabel("StudyLog")
        title.setObjectName("AppTitle")
        self.toolbar.addWidget(title)
        self.toolbar.addActions([self.today, self.search, self.preview, self.ask])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addAction(self.settings)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)

        menu_bar = window.menuBar()
        self.file_menu = menu_bar.addMenu("")
        self.file_menu.addActions([self.today, self.save])
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.settings)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit)
        self.edit_menu = menu_bar.addMenu("")
        self.edit_menu.addActions([self.undo, self.redo])
        self.edit_menu.addSeparator()
        self.edit_menu.addActions([self.find, self.search])
        self.view_menu = menu_bar.addMenu("")
        self.view_menu.addAction(self.preview)
        self.view_menu.addSeparator()
        self.view_menu.addActions([dock.toggleViewAction() for dock in docks])
        self.ask_menu = menu_bar.addMenu("")
        self.ask_menu.addActions([self.ask, self.stop])

    def set_colors(self, tokens: dict[str, str]) -> None:
        color = tokens["text"]
        for action, picture in ((self.today, "today"), (self.save, "save"), (self.search, "search"),
                                (self.find, "search"), (self.preview, "preview"), (self.settings, "settings"),
                                (self.ask, "ask")):
            action.setIcon(icon(picture, color))
        self.stop.setIcon(icon("stop", tokens["danger"]))

    def retranslate(self) -> None:
        texts = (
            (self.today, tr("Today"), tr("Open today's note, creating it from the template (Ctrl+N)")),
            (self.save, tr("Save now"), tr("Save the note now (Ctrl+S); it also saves by itself")),
            (self.find, tr("Find in note"), tr("Find text in this note (Ctrl+F)")),
            (self.search, tr("Search"), tr("Search all notes (Ctrl+K)")),
            (self.ask, tr("Ask"), tr("Ask a question about your notes (Ctrl+Enter)")),
            (self.stop, tr("Stop answer"), tr("Stop the answer being written (Esc)")),
            (self.preview, tr("Preview"), tr("Switch between editing and the rendered note (Ctrl+P)")),
            (self.settings, tr("Settings"), tr("Vault, models, index, language and theme (Ctrl+,)")),
            (self.quit, tr("Quit"), ""),
            (self.undo, tr("Undo"), ""),
            (self.redo, tr("Redo"), ""),
        )
        for action, text, tip in texts:
            action.setText(text)
            action.setToolTip(tip or text)
        self.file_menu.setTitle(tr("&File"))
        self.edit_menu.setTitle(tr("&Edit"))
        self.view_menu.setTitle(tr("&View"))
        self.ask_menu.setTitle(tr("&Ask"))
