"""Answers that answer: evidence that explains, and a restated question replaced by the quotes.

The sources are the fixtures vault's real chunks of 2026-10-14 (its scrum goal "√d_k 로 나누는
이유 이해하기" and its explanation under 새로 배운 내용), in the order that hurts most: the goal
first. The generations are the 1.5B's own, measured: the bad one on an AVX2-only CPU (issue 12),
the good one on an AVX-512 CPU.
"""

from __future__ import annotations

import pytest

from studylog.index.chunker import chunk_note
from studylog.notes.parser import parse_note
from studylog.rag import chain as chain_module
from studylog.rag import evidence as ev
from studylog.rag.chain import AnswerChain, ChainConfig
from studylog.rag.prompts import ANSWER_PREFIX
from studylog.rag.types import Source
from tests.chain.test_chain import Hit, Result, collect, kiwi
from tests.conftest import fixtures_dir

WHY_SQRT_DK = "어텐션에서 √d_k로 나누는 이유가 뭐였지?"
RESTATED = ("2026-10-14 스크럼에서 학습 목표 3: √d_k 로 나누는 이유 이해하기에 대한 내용이 있습니다. [3]")
"""The 1.5B's answer on an AVX2-only CPU after the written prefix "노트에 따르면, " (issue 12)."""
EXPLAINED = ("2026-10-14에 배운 내용에 따르면, Q와 K의 내적의 분산이 d_k 가 되어 softmax가 한쪽으로 "
             "쏠리고 gradient가 거의 0이 되므로 √64 = 8 로 나눠서 분산을 1로 맞춰줍니다. [1]")
WHY_WORDS = ("분산", "saturation", "gradient")


@pytest.fixture(scope="module")
def day_sources() -> list[Source]:
    """[1] 2026-10-14 scrum (the goals), [2] the √d_k explanation, [3] Query/Key/Value."""
    path = fixtures_dir() / "vault" / "2026-10-14.md"
    chunks = {c.heading_path.split(" > ")[-1].split(":")[0]: c
              for c in chunk_note(parse_note(path, path.read_bytes()), path.name)}
    order = [chunks["스크럼"], chunks["주제 4"], chunks["주제 3"]]
    return [Source(n=n, date=c.date, path=c.path, section=c.section, heading_path=c.heading_path,
                   start_line=c.start_line, text=c.body, chunk_id=c.id)
            for n, c in enumerate(order, 1)]


def test_why_evidence_quotes_the_explanation_not_the_goal_line(day_sources):
    assert day_sources[0].section == "scrum" and "이유 이해하기" in day_sources[0].text

    quotes = ev.select_evidence(WHY_SQRT_DK, "", day_sources, kiwi)

    assert [q.n for q in quotes] == [2, 2, 2], quotes  # all from the explanation
    joined = " ".join(q.quote for q in quotes)
    assert all(word in joined for word in WHY_WORDS), joined
    assert "학습 목표" not in joined


def test_goal_lines_are_evidence_when_the_plan_is_asked_about(day_sources):
    quotes = ev.select_evidence("2026-10-14 학습 목표가 뭐였지?", "", day_sources, kiwi)
    assert quotes[0].n == 1 and quotes[0].quote.startswith("학습 목표")


def test_lines_that_state_the_asked_relation_are_preferred():
    source = Source(n=1, date="2026-11-02", path="x.md", section="challenges", heading_path="h",
                    start_line=1, text="- GPU 메모리 부족 문제가 있었다\n"
                                       "- GPU 메모리가 부족했던 이유는 배치가 너무 커서였다")
    quotes = ev.select_evidence("GPU 메모리가 부족했던 이유?", "", [source], kiwi, limit=1)
    assert quotes[0].quote.endswith("커서였다")
    assert ev.asked_relation("왜 나누나?") == "why" and ev.asked_relation("how did I fix it") == "how"
    assert ev.asked_relation("2026-10-14에 뭐 배웠지?") == ""


def test_a_restated_question_is_detected_and_an_explanation_is_not(day_sources):
    assert ev.restates(RESTATED, WHY_SQRT_DK, day_sources, kiwi)
    assert ev.restates("√d_k 로 나누는 이유가 노트에 있습니다 [2].", WHY_SQRT_DK, day_sources, kiwi)
    assert not ev.restates(EXPLAINED, WHY_SQRT_DK, day_sources, kiwi)
    # One term from the notes is an answer (a right short answer often is one).
    assert not ev.restates("softmax입니다 [2].", "어텐션 수식에서 QKᵀ 다음에 뭘 적용했지?", day_sources, kiwi)
    # Restating the goals answers a question about the goals.
    goals = "2026-10-14의 학습 목표는 어텐션 메커니즘 강의와 scaled dot-product attention 구현입니다 [1]."
    assert not ev.restates(goals, "2026-10-14 학습 목표가 뭐였지?", day_sources, kiwi)


def _chain_answering(day_sources, monkeypatch, generated: str):
    def fake_generate(model, tokenizer, prompt_ids, max_new_tokens, cancel, result,
                      min_new_tokens=0, around_generate=None):
        result.answer_ids = [1, 2, 3]
        yield generated

    monkeypatch.setattr(chain_module, "stream_generate", fake_generate)
    hits = [Hit(s.date, s.path, s.section, s.heading_path, s.start_line, s.text, s.chunk_id, 0.1)
            for s in day_sources]
    return lambda tiny: AnswerChain(lambda q, k=5, today=None: Result(hits=hits), tiny, kiwi,
                                    ChainConfig(max_new_tokens=4))


def test_a_restating_generation_falls_back_to_the_explaining_quotes(tiny, day_sources, monkeypatch):
    chain = _chain_answering(day_sources, monkeypatch, RESTATED)(tiny)

    _, answer = collect(chain.stream(WHY_SQRT_DK))

    assert answer.fallback and not answer.declined
    assert answer.fallback_reason == ev.FALLBACK_REASONS["ko"]["restated"]
    assert RESTATED not in answer.text and "학습 목표" not in answer.text
    assert all(word in answer.text for word in WHY_WORDS), answer.text
    # The scrum was left out of a why question's prompt: [1] is now the explanation.
    assert {e.n for e in answer.evidence} == {1} and [s.n for s in answer.sources] == [1]
    assert answer.sources[0].heading_path.endswith("Scaled Dot-Product Attention")


def test_an_explaining_generation_is_kept_with_its_evidence(tiny, day_sources, monkeypatch):
    chain = _chain_answering(day_sources, monkeypatch, EXPLAINED)(tiny)

    _, answer = collect(chain.stream(WHY_SQRT_DK))

    assert not answer.fallback and answer.text == ANSWER_PREFIX["ko"] + EXPLAINED
    assert [s.n for s in answer.sources] == [1]
    assert any("분산" in e.quote for e in answer.evidence)


def test_evidence_of_an_answer_citing_only_the_goals_comes_from_every_source(
        tiny, day_sources, monkeypatch):
    # A question that is neither why/how nor about the plan keeps the scrum in the prompt. An
    # answer cited to the scrum (no other source holds its words clearly more, so the citation
    # stays): the goals are no evidence of it, the explanation is.
    cited_goals = "어텐션에서 √d_k로 나누는 이유는 값이 너무 커지기 때문입니다 [1]."
    chain = _chain_answering(day_sources, monkeypatch, cited_goals)(tiny)

    _, answer = collect(chain.stream("2026-10-14에 √d_k에 대해 뭐라고 적었지?"))

    assert not answer.fallback and answer.text.endswith(cited_goals)
    assert answer.evidence and all(e.n == 2 for e in answer.evidence), answer.evidence
    assert [s.n for s in answer.sources] == [1, 2]


def test_a_why_question_puts_no_goal_lines_in_the_prompt(tiny, day_sources, monkeypatch):
    chain = _chain_answering(day_sources, monkeypatch, EXPLAINED)(tiny)

    _, why = collect(chain.stream(WHY_SQRT_DK))
    _, plan = collect(chain.stream("2026-10-14 학습 목표가 뭐였지?"))

    assert [s.heading_path for s in why.retrieved] == [s.heading_path for s in day_sources[1:]]
    assert "학습 목표 3" not in tiny.tokenizer.decode(why.prompt_token_ids)
    assert [s.section for s in plan.retrieved][0] == "scrum"
