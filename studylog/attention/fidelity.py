"""How closely the attention shown matches the computation that produced the answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fidelity:
    """How closely the answer rows shown match the computation that produced the answer.

    `max_abs_diff`: largest absolute difference of an attention weight (a probability, 0..1)
    between the rows shown and generation's rows; 0.0 when the rows were recorded during
    generation, None when a replay had nothing to compare with. `answer_tokens_match`: the
    computation shown predicts the answer's own tokens (argmax at every answer position).
    `method`: "recorded" or "replay". `replay_max_abs_diff` / `replay_tokens_match`: the same
    figures for the one-pass replay behind the prompt × prompt views (rollout, full layers),
    measured on the answer rows both have; None when no replay was compared.
    """

    max_abs_diff: float | None
    answer_tokens_match: bool
    method: str
    replay_max_abs_diff: float | None = None
    replay_tokens_match: bool | None = None

    @property
    def exact(self) -> bool:
        return self.max_abs_diff == 0.0 and self.answer_tokens_match

    def to_json(self) -> dict:
        return {
            "max_abs_diff": self.max_abs_diff,
            "answer_tokens_match": self.answer_tokens_match,
            "method": self.method,
            "replay_max_abs_diff": self.replay_max_abs_diff,
            "replay_tokens_match": self.replay_tokens_match,
        }

    @classmethod
    def from_json(cls, data: dict) -> Fidelity:
        return cls(
            max_abs_diff=data["max_abs_diff"],
            answer_tokens_match=bool(data["answer_tokens_match"]),
            method=data["method"],
            replay_max_abs_diff=data.get("replay_max_abs_diff"),
            replay_tokens_match=data.get("replay_tokens_match"),
        )
