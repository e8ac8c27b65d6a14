"""Answers from the real default generator over the indexed fixtures vault (the issue's "Done when").

The generator is loaded once per session (tests/e2e/conftest.py); `studylog ask` runs in-process.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from studylog import cli
from studylog.config import DEFAULT_GENERATOR
from studylog.rag.prompts import ANSWER_PREFIX

pytestmark = pytest.mark.slow

WHY_SQRT_DK = "어텐션에서 √d_k로 나누는 이유가 뭐였지?"
# 2026-10-14.md: the dot product's variance grows to d_k, softmax saturates, gradients vanish;
# dividing by √d_k brings the variance back to 1. None of these words is in the question.
WHY_KEYWORDS = ("분산", "softmax", "기울기", "gradient", "variance", "saturation", "포화")
NO_NOTE_DAY = dt.date(2026, 10, 18)
HANGUL = re.compile(r"[\uac00-\ud7a3]")
ANSWER_KEYS = {"answer", "sources", "evidence", "fallback", "model", "device", "prompt_tokens",
               "new_tokens", "seconds_to_first_token", "seconds"}


def ask_json(capsys: pytest.CaptureFixture[str], vault, question: str) -> dict:
    assert cli.main(["ask", "--vault", str(vault), "--json", question]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert len(lines) == 1, out  # --json prints one JSON object and nothing else on stdout
    return json.loads(lines[0])


def test_ask_explains_why_attention_divides_by_sqrt_dk(capsys, indexed_real_service, studylog_cli):
    payload = ask_json(capsys, studylog_cli.vault, WHY_SQRT_DK)
    with capsys.disabled():
        print(f"\n{WHY_SQRT_DK}\n→ {payload['answer']}\n"
              + "\n".join(f"  [{e['n']}] {e['date']}: {e['quote']}" for e in payload["evidence"])
              + f"\n({payload['prompt_tokens']} prompt tokens, {payload['new_tokens']} new, first "
                f"token {payload['seconds_to_first_token']} s, total {payload['seconds']} s, "
                f"fallback={payload['fallback']})")

    assert ANSWER_KEYS <= payload.keys()
    assert all({"n", "date", "path", "section"} <= s.keys() for s in payload["sources"])
    assert all({"n", "date", "quote"} <= e.keys() for e in payload["evidence"])
    # The CLI's service asked for the default generator once and got the session's model.
    assert [call["model"] for call in studylog_cli.load_calls] == [DEFAULT_GENERATOR]
    assert studylog_cli.forward_calls > 1  # the model really generated (prefill + decoding)
    assert payload["model"] == DEFAULT_GENERATOR and payload["device"]
    assert payload["prompt_tokens"] > 100 and payload["new_tokens"] > 0
    assert 0 < payload["seconds_to_first_token"] <= payload["seconds"]

    answer = payload["answer"].strip()
    assert answer and HANGUL.search(answer), answer
    assert not payload.get("declined"), answer
    assert "2026-10-14" in [s["date"] for s in payload["sources"]], payload["sources"]
    cited = {s["n"] for s in payload["sources"]}
    assert payload["evidence"] and {e["n"] for e in payload["evidence"]} <= cited
    quotes = " ".join(e["quote"] for e in payload["evidence"])
    assert any(word in quotes for word in WHY_KEYWORDS), quotes
    assert any(word in answer for word in WHY_KEYWORDS), answer


def test_answer_streams_in_pieces_before_it_is_done(indexed_real_service):
    loaded = indexed_real_service.generator()
    events = list(indexed_real_service.ask_stream(WHY_SQRT_DK, max_new_tokens=12))

    kinds = [event.kind for event in events]
    assert kinds[-1] == "done" and kinds.count("done") == 1 and "error" not in kinds, kinds
    answer = events[-1].answer
    pieces = [event.text for event in events if event.kind == "token"]
    # The written answer prefix first, then the model's text piece by piece as it is decoded.
    assert pieces[0] == ANSWER_PREFIX["ko"]
    model_pieces = [piece for piece in pieces[1:] if piece]
    assert len(model_pieces) > 1, pieces
    assert 1 < answer.new_tokens <= 12 and len(model_pieces) <= answer.new_tokens
    # What streamed is the decoded answer, less a syllable cut in half by the token limit.
    decoded = loaded.tokenizer.decode(answer.answer_token_ids, skip_special_tokens=True)
    streamed = "".join(model_pieces)
    assert decoded.startswith(streamed), (streamed, decoded)
    assert decoded == streamed or decoded.endswith("\ufffd"), (streamed, decoded)


def test_question_about_a_day_without_a_note_is_declined_without_the_model(
        capsys, indexed_real_service, studylog_cli):
    days = {day.date for day in indexed_real_service.list_days()}
    assert NO_NOTE_DAY not in days and {dt.date(2026, 10, 16), dt.date(2026, 10, 19)} <= days

    payload = ask_json(capsys, studylog_cli.vault, f"{NO_NOTE_DAY.isoformat()}에 뭐 배웠지?")

    assert payload["declined"] is True and payload["fallback"] is False
    assert payload["sources"] == [] and payload["evidence"] == []
    assert payload["prompt_tokens"] == 0 and payload["new_tokens"] == 0
    assert NO_NOTE_DAY.isoformat() in payload["answer"] and HANGUL.search(payload["answer"])
    assert studylog_cli.forward_calls == 0  # decided in code: the model never ran
