"""The Ask panel: a chat over your notes with streamed answers and clickable sources.

Tokens arrive faster than is worth painting: they collect in a buffer and a 40 ms timer
moves them into the bubble, so a fast model costs ~25 relayouts a second, not one per token.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studylog.gui.core_status import status_text
from studylog.gui.i18n import Retranslatable, tr
from studylog.gui.icons import icon
from studylog.gui.theme import current_tokens

FLUSH_INTERVAL_MS = 40
CURSOR = " ▍"


def _text_label(object_name: str = "BubbleText") -> QLabel:
    label = QLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return label


class UserBubble(QFrame):
    def __init__(self, question: str):
        super().__init__()
        self.setObjectName("UserBubble")
        self.label = _text_label()
        self.label.setText(question)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.label)


class AnswerBubble(Retranslatable, QFrame):
    """One answer: streamed text, then notes, evidence quotes, sources and a copy button."""

    source_clicked = Signal(str, int)  # path, start line
    attention_requested = Signal(object)  # the finished Answer

    def __init__(self, question: str):
        super().__init__()
        self.setObjectName("AnswerBubble")
        self.question = question
        self.text = ""
        self.answer = None
        self.streaming = True
        self.state = "waiting"  # waiting / streaming / done / stopped / failed
        self.failure = ""
        self._links: list[tuple[str, int]] = []
        self.body = _text_label()
        self.notice = _text_label("BubbleMeta")
        self.notice.hide()
        self.evidence = QLabel()
        self.evidence.setObjectName("BubbleMeta")
        self.evidence.setWordWrap(True)
        self.evidence.setTextFormat(Qt.TextFormat.RichText)
        self.evidence.hide()
        self.sources = QLabel()
        self.sources.setObjectName("Sources")
        self.sources.setWordWrap(True)
        self.sources.setTextFormat(Qt.TextFormat.RichText)
        self.sources.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                             | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.sources.linkActivated.connect(self._link_activated)
        self.evidence.linkActivated.connect(self._link_activated)
        self.sources.hide()
        self.meta = QLabel()
        self.meta.setObjectName("BubbleMeta")
        self.copy_button = QToolButton()
        self.copy_button.setObjectName("CopyAnswer")
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.setIcon(icon("copy", current_tokens()["muted"]))
        self.copy_button.clicked.connect(self.copy)
        self.copy_button.hide()
        self.attention_button = QToolButton()  # "Show attention": see studylog/gui/attention
        self.attention_button.setObjectName("ShowAttention")
        self.attention_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.attention_button.setIcon(icon("preview", current_tokens()["muted"]))
        self.attention_button.clicked.connect(lambda: self.attention_requested.emit(self.answer))
        self.attention_button.hide()
        footer = QHBoxLayout()
        footer.setContentsMargins(0, 0, 0, 0)
        footer.addWidget(self.meta, 1)
        footer.addWidget(self.attention_button)
        footer.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(6)
        layout.addWidget(self.body)
        layout.addWidget(self.notice)
        layout.addWidget(self.sources)
        layout.addWidget(self.evidence)
        layout.addLayout(footer)
        self.retranslate()

    def retranslate(self) -> None:
        self.copy_button.setText(tr("Copy"))
        self.copy_button.setToolTip(tr("Copy the answer with its sources"))
        self.attention_button.setText(tr("Show attention"))
        self.attention_button.setToolTip(tr("See what the model looked at while writing this answer"))
        self._render()

    # -- streaming -------------------------------------------------------------------------
    def append(self, text: str) -> None:
        self.state = "streaming"
        self.text += text

    def set_status(self, text: str) -> None:
        if self.state == "waiting":
            self.meta.setText(text)

    def finish(self, answer) -> None:
        self.answer = answer
        self.streaming = False
        self.state = "done"
        if answer is not None and (answer.text or not self.text):
            self.text = answer.text
        self._render()

    def stop(self) -> None:
        self.streaming = False
        self.state = "stopped"
        self._render()

    def fail(self, message: str) -> None:
        self.streaming = False
        self.state = "failed"
        self.failure = message
        self._render()

    def flush(self) -> None:
        self._render()

    # -- drawing ---------------------------------------------------------------------------
    def _render(self) -> None:
        if self.state == "waiting":
            self.body.setText(tr("Thinking…"))
            return
        shown = self.text.strip() if not self.streaming else self.text + CURSOR
        if not shown.strip() and self.state == "stopped":
            shown = tr("(stopped before the answer began)")
        elif not shown.strip() and self.state == "failed":
            shown = tr("No answer.")
        self.body.setText(shown)
        notices = []
        if self.state == "stopped":
            notices.append(tr("Stopped."))
        elif self.state == "failed":
            notices.append(self.failure)
        answer = self.answer
        if answer is not None:
            if answer.declined:
                notices.append(tr("Not in your notes: nothing you wrote answers this, so no answer was made up."))
            if answer.fallback:
                reason = f" ({answer.fallback_reason})" if answer.fallback_reason else ""
                notices.append(tr("The model's answer was unusable{reason}; these are the closest passages "
                                  "from your notes.").format(reason=reason))
        notice_text = "\n".join(n for n in notices if n)
        self.notice.setText(notice_text)
        self.notice.setVisible(bool(notice_text))
        self._render_sources()
        if not self.streaming:
            self.copy_button.setVisible(bool(self.text.strip()))
            self.attention_button.setVisible(bool(getattr(self.answer, "prompt_token_ids", None)
                                                  and getattr(self.answer, "answer_token_ids", None)))
            self.meta.setText(self._meta_text())

    def _meta_text(self) -> str:
        answer = self.answer
        if answer is None or not answer.model:
            return ""
        parts = [answer.model]
        if answer.seconds:
            parts.append(tr("{s:.1f} s").format(s=answer.seconds))
        return " · ".join(parts)

    def _render_sources(self) -> None:
        answer = self.answer
        self._links = []
        if answer is None:
            self.sources.hide()
            self.evidence.hide()
            return
        link_color = current_tokens()["link"]
        rows = []
        for source in answer.sources:
            index = len(self._links)
            self._links.append((source.path, source.start_line))
            where = html.escape(source.heading_path or source.section or source.path)
            rows.append(f'<a style="color:{link_color}; text-decoration:none" href="src:{index}">'
                        f"[{source.n}] {html.escape(str(source.date))}</a> · {where}")
        if rows:
            self.sources.setText(f"<b>{html.escape(tr('Sources'))}</b><br>" + "<br>".join(rows))
        self.sources.setVisible(bool(rows))
        quotes = []
        for evidence in answer.evidence:
            index = len(self._links)
            self._links.append((evidence.path, evidence.start_line))
            quotes.append(f"“{html.escape(evidence.quote)}” — "
                          f'<a style="color:{link_color}; text-decoration:none" href="src:{index}">'
                          f"{html.escape(str(evidence.date))} [{evidence.n}]</a>")
        if quotes:
            self.evidence.setText(f"<b>{html.escape(tr('Evidence'))}</b><br><i>" + "<br>".join(quotes) + "</i>")
        self.evidence.setVisible(bool(quotes))

    def _link_activated(self, link: str) -> None:
        if link.startswith("src:"):
            path, line = self._links[int(link[4:])]
            if path:
                self.source_clicked.emit(path, line)

    def source_links(self) -> list[tuple[str, int]]:
        return list(self._links)

    def copy(self) -> None:
        lines = [self.text.strip()]
        if self.answer is not None and self.answer.sources:
            lines.append("")
            for source in self.answer.sources:
                lines.append(f"[{source.n}] {source.date} · {source.heading_path or source.section} ({source.path})")
        QGuiApplication.clipboard().setText("\n".join(lines))


class ModelProgress(QFrame):
    """What the model is doing before the first token (loading, converting) and how far."""

    def __init__(self):
        super().__init__()
        self.setObjectName("ModelProgress")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.hide()

    def show_status(self, text: str, fraction: float | None) -> None:
        self.label.setText(text)
        if fraction is None:
            self.bar.setRange(0, 0)  # busy indicator: we do not know how far along it is
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        self.show()


class AskPanel(Retranslatable, QWidget):
    ask_requested = Signal(str, list)  # question, history [(question, answer)]
    stop_requested = Signal()
    source_activated = Signal(str, int)
    attention_requested = Signal(object)  # an Answer whose attention to show

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.history: list[tuple[str, str]] = []
        self.current: AnswerBubble | None = None
        self.available = True
        self.unavailable_reason = ""
        self._pending = ""
        self._flush_timer = QTimer(self, interval=FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._stick_to_bottom = True

        self.progress = ModelProgress()
        self.hint = QLabel()
        self.hint.setObjectName("ChatHint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.chat = QWidget()
        self.chat.setObjectName("ChatContent")
        self.chat_layout = QVBoxLayout(self.chat)
        self.chat_layout.setContentsMargins(4, 4, 4, 4)
        self.chat_layout.setSpacing(10)
        self.chat_layout.addWidget(self.hint)
        self.chat_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("ChatScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.chat)
        bar = self.scroll.verticalScrollBar()
        bar.rangeChanged.connect(self._range_changed)
        bar.valueChanged.connect(self._scrolled)

        self.input = QPlainTextEdit()
        self.input.setObjectName("AskInput")
        self.input.setTabChangesFocus(True)
        self.input.setFixedHeight(74)
        self.new_button = QPushButton()
        self.new_button.setIcon(icon("new-chat", current_tokens()["muted"]))
        self.stop_button = QPushButton()
        self.stop_button.setIcon(icon("stop", current_tokens()["danger"]))
        self.stop_button.setEnabled(False)
        self.ask_button = QPushButton()
        self.ask_button.setProperty("primary", True)
        self.ask_button.setIcon(icon("send", current_tokens()["accent_text"]))
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.ask_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        layout.addWidget(self.progress)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.input)
        layout.addLayout(buttons)

        self.ask_button.clicked.connect(self.submit)
        self.stop_button.clicked.connect(self.request_stop)
        self.new_button.clicked.connect(self.new_conversation)
        self.input.installEventFilter(self)
        self.input.textChanged.connect(self._update_buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.input.setPlaceholderText(tr("Ask about your notes… e.g. 어텐션에서 √d_k로 나누는 이유는?"))
        self.ask_button.setText(tr("Ask"))
        self.ask_button.setToolTip(tr("Ask the question (Ctrl+Enter)"))
        self.stop_button.setText(tr("Stop"))
        self.stop_button.setToolTip(tr("Stop the answer (Esc)"))
        self.new_button.setText(tr("New conversation"))
        self.new_button.setToolTip(tr("Forget this conversation and start over"))
        self._update_hint()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        # Ctrl+Enter in the box sends. Claiming it at ShortcutOverride keeps the window's own
        # Ctrl+Enter action (focus the Ask panel) from firing instead.
        if watched is self.input and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                    and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    self.submit()
                return True
        return super().eventFilter(watched, event)

    def set_colors(self, tokens: dict[str, str]) -> None:
        self.new_button.setIcon(icon("new-chat", tokens["muted"]))
        self.stop_button.setIcon(icon("stop", tokens["danger"]))
        self.ask_button.setIcon(icon("send", tokens["accent_text"]))
        for bubble in self.bubbles():
            bubble.copy_button.setIcon(icon("copy", tokens["muted"]))
            bubble.attention_button.setIcon(icon("preview", tokens["muted"]))
            bubble.flush()

    def _update_hint(self) -> None:
        if not self.available:
            self.hint.setText(self.unavailable_reason or tr("Answers are not available yet."))
        else:
            self.hint.setText(tr("Ask a question about anything you wrote. Answers come from your notes "
                                 "only and cite the days they came from."))
        self.hint.setVisible(not self.available or not self.bubbles())

    # -- state -----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.current is not None

    def set_available(self, available: bool, reason: str = "") -> None:
        self.available = available
        self.unavailable_reason = reason
        self.input.setReadOnly(not available)
        self._update_hint()
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_text = bool(self.input.toPlainText().strip())
        self.ask_button.setEnabled(self.available and has_text and not self.busy)
        self.stop_button.setEnabled(self.busy)
        self.new_button.setEnabled(not self.busy and bool(self.bubbles()))

    def bubbles(self) -> list[AnswerBubble]:
        return self.chat.findChildren(AnswerBubble)

    # -- asking ----------------------------------------------------------------------------
    def submit(self) -> None:
        question = self.input.toPlainText().strip()
        if not question or self.busy or not self.available:
            return
        self.input.clear()
        self.start_answer(question)
        self.ask_requested.emit(question, list(self.history))

    def start_answer(self, question: str) -> AnswerBubble:
        self._add(UserBubble(question), right=True)
        bubble = AnswerBubble(question)
        bubble.source_clicked.connect(self.source_activated)
        bubble.attention_requested.connect(self.attention_requested)
        self._add(bubble, right=False)
        bubble.flush()
        self.current = bubble
        self._pending = ""
        self._stick_to_bottom = True
        self._flush_timer.start()
        self._update_hint()
        self._update_buttons()
        return bubble

    def _add(self, widget: QWidget, right: bool) -> None:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        if right:
            row.addStretch(1)
            row.addWidget(widget, 6)
        else:
            row.addWidget(widget, 12)
            row.addStretch(1)
        self.chat_layout.insertLayout(self.chat_layout.count() - 1, row)

    def on_status(self, text: str, fraction: float | None) -> None:
        text = status_text(text)  # the core speaks English; the stage is shown in the UI language
        self.progress.show_status(text, fraction)
        if self.current is not None:
            self.current.set_status(text)

    def on_token(self, text: str) -> None:
        if self.current is not None:
            self._pending += text

    def _flush(self) -> None:
        if self.current is None or not self._pending:
            return
        if self.progress.isVisible():
            self.progress.hide()
        self.current.append(self._pending)
        self._pending = ""
        self.current.flush()

    def on_done(self, answer) -> None:
        if self.current is None:
            return
        self._flush()
        bubble = self._end()
        bubble.finish(answer)
        if answer is not None and not answer.cancelled:
            self.history.append((bubble.question, bubble.text))
        self._update_buttons()

    def on_error(self, message: str) -> None:
        if self.current is None:
            return
        self._flush()
        self._end().fail(message)
        self._update_buttons()

    def request_stop(self) -> None:
        if self.current is None:
            return
        self._flush()
        self._end().stop()
        self.stop_requested.emit()
        self._update_buttons()

    def _end(self) -> AnswerBubble:
        bubble = self.current
        self.current = None
        self._flush_timer.stop()
        self.progress.hide()
        return bubble

    def new_conversation(self) -> None:
        if self.busy:
            return
        self.history.clear()
        while self.chat_layout.count() > 2:
            item = self.chat_layout.takeAt(1)
            layout = item.layout()
            while layout is not None and layout.count():
                child = layout.takeAt(0).widget()
                if child is not None:
                    child.setParent(None)  # out of the chat now, deleted once its events are done
                    child.deleteLater()
        self._update_hint()
        self._update_buttons()
        self.input.setFocus()

    def hide_progress(self) -> None:
        self.progress.hide()

    # -- scrolling -------------------------------------------------------------------------
    def _scrolled(self, value: int) -> None:
        bar = self.scroll.verticalScrollBar()
        self._stick_to_bottom = value >= bar.maximum() - 4

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        # Follow the answer as it grows, unless the reader scrolled up to read something.
        if self._stick_to_bottom:
            self.scroll.verticalScrollBar().setValue(maximum)
