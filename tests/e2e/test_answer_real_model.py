"""Answers from the real default generator over the indexed fixtures vault (the issue's "Done when").

The generator is loaded once per session (tests/e2e/conftest.py); `studylog ask` runs in-process.
These tests check what the product guarantees on any CPU (issue 12: on an AVX2-only CPU the same
greedy decoding gave different words): the right sources, evidence that explains, an answer that
adds to the question or else the quotes (fallback), a decline when the notes are silent. They
never check a small model's wording. `make test-avx2` runs them again on forced AVX2 kernels.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from studylog import cli
from studylog.config import DEFAULT_GENERATOR
from studylog.index.chunker import chunk_note
from studylog.notes.parser import parse_note
from studylog.rag import evidence as ev
from studylog.rag.prompts import ANSWER_PREFIX
from studylog.rag.types import Source
from studylog.search.tokenize import get_tokenizer
from tests.conftest import fixtures_dir

pytestmark = pytest.mark.slow

WHY_SQRT_DK = "어텐션에서 √d_k로 나누는 이유가 뭐였지?"
# 2026-10-14.md: the dot product's variance grows to d_k, softmax saturates, gradients vanish;
# dividing by √d_k brings the variance back to 1. None of these words is in the question.
WHY_KEYWORDS = ("분산", "softmax", "기울기", "gradient", "variance", "saturation", "포화")
NO_NOTE_DAY = dt.date(2026, 10, 18)
HANGUL = re.compile(r"[\uac00-\ud7a3]")
ANSWER_KEYS = {"answer", "sources", "evidence", "fallback", "model", "device", "prompt_tokens",
               "new_tokens", "seconds_to_first_token", "seconds"}


def note_sources(vault, date: str) -> list[Source]:
    """Every chunk of one day's note as a source, for checks that need the note's own text."""
    path = vault / f"{date}.md"
    return [Source(n=n, date=c.date, path=c.path, section=c.section, heading_path=c.heading_path,
                   start_line=c.start_line, text=c.body)
            for n, c in enumerate(chunk_note(parse_note(path, path.read_bytes()), path.name), 1)]


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
    # The right source.
    assert "2026-10-14" in [s["date"] for s in payload["sources"]], payload["sources"]
    cited = {s["n"] for s in payload["sources"]}
    assert payload["evidence"] and {e["n"] for e in payload["evidence"]} <= cited
    # Evidence that explains: the 2026-10-14 reasons, never the day's goal line alone.
    quotes = [e["quote"] for e in payload["evidence"] if e["date"] == "2026-10-14"]
    assert any(word in quote for quote in quotes for word in WHY_KEYWORDS), quotes
    assert not any(ev.is_goal_line(quote, "") for quote in quotes), quotes
    # An answer, whatever its words: the model's own when it adds to the question what the note
    # explains, otherwise the quotes (a fallback that says why).
    day = note_sources(studylog_cli.vault, "2026-10-14")
    if payload["fallback"]:
        assert payload["fallback_reason"] and all(
            f"{e['quote']} [{e['n']}]" in answer for e in payload["evidence"]), answer
    else:
        generated = answer.removeprefix(ANSWER_PREFIX["ko"])
        assert not ev.restates(generated, WHY_SQRT_DK, day, get_tokenizer("kiwi").tokenize), answer


def test_a_generation_cut_to_one_token_falls_back_to_the_quotes(indexed_real_service):
    """A model that fails (here: one token, no answer) yields the notes' own explanation."""
    events = list(indexed_real_service.ask_stream(WHY_SQRT_DK, max_new_tokens=1))

    assert events[-1].kind == "done" and "error" not in [e.kind for e in events]
    answer = events[-1].answer
    assert answer.new_tokens == 1 and answer.fallback and not answer.declined
    assert answer.fallback_reason and answer.text.startswith(f"({answer.fallback_reason}")
    assert "2026-10-14" in {e.date for e in answer.evidence}
    assert any(word in answer.text for word in WHY_KEYWORDS), answer.text


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


def test_the_real_tokenizer_reads_a_note_quoting_chatml_as_text(real_model):
    """Field case 13 with Qwen's own tokenizer and chat template: exactly the template's five
    control tokens (<|im_start|> for system, user and the answer; <|im_end|> closing two turns),
    while an ordinary prompt tokenises exactly as the whole rendered template would."""
    from pathlib import Path

    from studylog.rag.prompts import build_messages, encode_chat

    tokenizer = real_model.tokenizer
    special = {i for i, token in tokenizer.added_tokens_decoder.items() if token.special}
    note = Path(__file__).parents[1] / "data" / "chatml_note" / "2026-10-21.md"
    source = Source(n=1, date="2026-10-21", path=note.name, section="learned",
                    heading_path="새로 배운 내용 > 주제 1: ChatML 형식", start_line=4,
                    text=note.read_text(encoding="utf-8"))
    question = "ChatML에서 <|im_end|> 토큰은 무슨 역할이라고 적었지?"
    prompt = encode_chat(tokenizer, build_messages(question, [source]).messages, ANSWER_PREFIX["ko"])
    controls = [tokenizer.convert_ids_to_tokens(i) for i in prompt.ids if i in special]
    assert sorted(controls) == ["<|im_end|>"] * 2 + ["<|im_start|>"] * 3, controls

    day = note_sources(fixtures_dir() / "vault", "2026-10-14")
    encoded = encode_chat(tokenizer, build_messages(WHY_SQRT_DK, day).messages, ANSWER_PREFIX["ko"])
    assert encoded.ids == tokenizer(encoded.text, add_special_tokens=False)["input_ids"]
