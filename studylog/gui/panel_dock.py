"""A dock holding one panel, with the View-menu action that shows it (Related notes, Quiz,
Review): the object name saveState/restoreState remember it by, the shortcut, and a
checkable toggle that closes a dock in front or brings a hidden or covered one forward."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QTabWidget, QWidget

from studylog.gui.i18n import Retranslatable


class PanelDock(Retranslatable, QDockWidget):
    """`panel` in a movable, closable, floatable dock; `toggle` is its menu action.

    With `checkable`, the action toggles the dock itself; otherwise the owner connects it
    (the Review dock opens on the selected day's period instead).
    """

    def __init__(self, object_name: str, panel: QWidget, action_name: str, shortcut: str,
                 checkable: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(object_name)  # saveState/restoreState remember it by this name
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.panel = panel
        self.setWidget(panel)
        self.toggle = QAction(self)
        self.toggle.setObjectName(action_name)
        self.toggle.setShortcut(QKeySequence(shortcut))
        if checkable:
            self.toggle.setCheckable(True)
            self.toggle.triggered.connect(self._toggle)
            self.visibilityChanged.connect(lambda _visible: self.toggle.setChecked(not self.isHidden()))
        self.retranslate()

    def _toggle(self) -> None:
        """Shown in front: close it; closed or behind another tab: bring it to the front."""
        if self.isVisible() and not self.visibleRegion().isEmpty():
            self.close()
        else:
            self.reveal()
        self.toggle.setChecked(not self.isHidden())

    def reveal(self) -> None:
        self.show()
        self.raise_()

    def install(self, window) -> None:
        """Tab the dock with Ask on the right, hidden like a closed tab until the user (or the
        window's saved layout) shows it; its action goes to the window (the shortcut works with
        the menu bar hidden too) and to the View menu."""
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self)
        window.tabifyDockWidget(window.ask_dock, self)
        window.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.North)
        self.hide()
        window.addAction(self.toggle)
        window.window_actions.view_menu.addAction(self.toggle)
