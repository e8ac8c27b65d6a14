"""Plain data that flows out of the answer pipeline (to the CLI and the GUI)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Source:
    """A retrieved chunk given to the model as `[n]`."""

    n: int
    date: str
    path: str
    section: str
    heading_path: str
    start_line: int
    text: str
    chunk_id: str = ""
    score: float = 0.0

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "date": self.date,
            "path": self.path,
            "section": self.heading_path or self.section,
        }


@dataclass
class Evidence:
    """A sentence quoted verbatim from a cited source, shown under every answer."""

    n: int
    date: str
    quote: str
    path: str = ""
    start_line: int = 0
    score: float = 0.0

    def to_json(self) -> dict:
        return {"n": self.n, "date": self.date, "quote": self.quote}


@dataclass
class Answer:
    question: str
    text: str = ""
    sources: list[Source] = field(default_factory=list)  # the sources the answer cites
    retrieved: list[Source] = field(default_factory=list)  # everything given to the model
    evidence: list[Evidence] = field(default_factory=list)
    fallback: bool = False
    fallback_reason: str = ""
    declined: bool = False  # "not in your notes": decided in code, not by the model
    removed_citations: int = 0
    reattributed_citations: int = 0  # pointed at the source their claim was taken from
    model: str = ""
    device: str = ""
    prompt_tokens: int = 0
    new_tokens: int = 0
    seconds_to_first_token: float = 0.0
    seconds: float = 0.0
    cancelled: bool = False
    prompt_token_ids: list[int] = field(default_factory=list)
    answer_token_ids: list[int] = field(default_factory=list)
    spans: list[dict] = field(default_factory=list)  # labelled prompt token ranges, for attention

    def to_json(self) -> dict:
        return {
            "answer": self.text,
            "sources": [s.to_json() for s in self.sources],
            "evidence": [e.to_json() for e in self.evidence],
            "fallback": self.fallback,
            "fallback_reason": self.fallback_reason,
            "declined": self.declined,
            "model": self.model,
            "device": self.device,
            "prompt_tokens": self.prompt_tokens,
            "new_tokens": self.new_tokens,
            "seconds_to_first_token": round(self.seconds_to_first_token, 3),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class AskEvent:
    """One step of a streamed answer.

    kind: "status" (text, fraction or None: loading/converting the model, retrieving),
          "token" (text: a piece of the answer), "done" (answer), "error" (text).
    code: for "error", why, as a stable word ("not_indexed", "model_unavailable"): `text`
          speaks to the command line ("run `studylog index`"); the GUI words it itself.
    """

    kind: str
    text: str = ""
    fraction: float | None = None
    answer: Answer | None = None
    code: str = ""


__all__ = ["Source", "Evidence", "Answer", "AskEvent"]
