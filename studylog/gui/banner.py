"""A dismissable message strip above the editor: errors never hide in a modal dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout

from studylog.gui.errors import UserError
from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.icons import icon
from studylog.gui.theme import current_tokens


class Banner(Retranslatable, QFrame):
    action_requested = Signal(str)  # the UserError.action of the message shown

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("Banner")
        self.messages: list[UserError] = []
        self.icon_label = QLabel()
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.title = QLabel()
        self.title.setObjectName("BannerTitle")
        self.title.setWordWrap(True)
        self.text = QLabel()
        self.text.setObjectName("BannerText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count = QLabel()
        self.count.setObjectName("Muted")
        self.action_button = QPushButton()
        self.close_button = QToolButton()
        self.close_button.setObjectName("BannerClose")
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.title)
        texts.addWidget(self.text)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.setSpacing(10)
        layout.addWidget(self.icon_label)
        layout.addLayout(texts, 1)
        layout.addWidget(self.count, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button.clicked.connect(self.dismiss)
        self.action_button.clicked.connect(self._action)
        self.retranslate()
        self.hide()

    def retranslate(self) -> None:
        self.close_button.setToolTip(tr("Dismiss"))
        self._render()

    def set_colors(self, _tokens: dict[str, str]) -> None:
        self._render()

    def show_error(self, message: UserError) -> None:
        """Show a message on top; an identical one already queued moves to the top instead."""
        self.messages = [m for m in self.messages if (m.title, m.detail) != (message.title, message.detail)]
        self.messages.append(message)
        self._render()

    def clear_action(self, action: str) -> None:
        """Drop messages a success made stale (a save worked: the save error is over)."""
        self.messages = [m for m in self.messages if m.action != action]
        self._render()

    def clear_cause(self, *causes: str) -> None:
        """Drop the messages about work that has since succeeded (their cause is gone)."""
        self.messages = [m for m in self.messages if not m.cause or m.cause not in causes]
        self._render()

    def dismiss(self) -> None:
        if self.messages:
            self.messages.pop()
        self._render()

    @property
    def current(self) -> UserError | None:
        return self.messages[-1] if self.messages else None

    def _action(self) -> None:
        if self.current is not None and self.current.action:
            self.action_requested.emit(self.current.action)

    def _render(self) -> None:
        message = self.current
        if message is None:
            self.hide()
            return
        tokens = current_tokens()
        self.setProperty("severity", message.severity)
        self.style().unpolish(self)
        self.style().polish(self)
        color = tokens["danger"] if message.severity == "error" else tokens["marker"] if message.severity == "warning" else tokens["accent"]
        self.icon_label.setPixmap(icon("alert" if message.severity != "info" else "info", color).pixmap(22, 22))
        self.close_button.setIcon(icon("close", tokens["muted"]))
        self.title.setText(message.title)
        body = message.detail
        if message.fix:
            body += "\n" + tr("What to do: {fix}").format(fix=message.fix)
        self.text.setText(body)
        labels = {"retry-save": tr("Save again"), "settings": tr("Open Settings"), "rebuild": tr("Rebuild index"),
                  "retry-index": tr("Retry"), "open-conflict": tr("Open both"),
                  "create-vault": tr("Create the folder")}
        self.action_button.setVisible(message.action in labels)
        self.action_button.setText(labels.get(message.action, ""))
        self.count.setVisible(len(self.messages) > 1)
        self.count.setText(tr("{n} messages").format(n=len(self.messages)))
        self.show()
