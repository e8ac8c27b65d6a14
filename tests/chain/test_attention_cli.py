"""`studylog attention TEXT` and `ask --attention DIR` through the service, with the tiny model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studylog import cli
from studylog.config import Settings
from studylog.service import StudyLogService


@pytest.fixture
def service_with_tiny_model(monkeypatch, tiny, fixtures_vault, fake_embedder):
    service = StudyLogService(settings=Settings(), vault=fixtures_vault, embedder=fake_embedder, generator=tiny)
    monkeypatch.setattr(cli, "_service", lambda args: service)
    return service


@pytest.mark.parametrize("head", ["mean", "max", "0", "3", "rollout"])
def test_attention_json_rows_are_distributions(capsys, service_with_tiny_model, head):
    assert cli.main(["attention", "--json", "--layer", "1", "--head", head, "어텐션은 가중 평균이다"]) == 0
    payload = json.loads(capsys.readouterr().out)
    matrix = np.array(payload["matrix"])
    assert payload["model"] == "tiny-qwen2" and payload["layers"] == 2 and payload["heads"] == 4
    assert matrix.shape == (len(payload["tokens"]),) * 2
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-3)
    assert np.allclose(np.triu(matrix, k=1), 0.0)
    assert "\ufffd" not in "".join(payload["tokens"])


def test_attention_bad_head_is_a_clear_error(capsys, service_with_tiny_model):
    assert cli.main(["attention", "--head", "nine", "text here"]) == 1
    assert "--head" in capsys.readouterr().err


def test_ask_saves_the_answer_attention(capsys, service_with_tiny_model, tmp_path):
    service_with_tiny_model.index()
    code = cli.main(["ask", "--json", "--max-new-tokens", "6", "--attention", str(tmp_path / "att"),
                     "√d_k로 나누는 이유가 뭐였지?"])
    assert code == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["new_tokens"] == 6 or answer["fallback"]
    saved = list((tmp_path / "att").glob("*.npz"))
    assert len(saved) == 1 and (saved[0].with_suffix(".json")).exists()
    from studylog.attention import AttentionCapture

    capture = AttentionCapture.load(saved[0])
    assert capture.num_layers == 2 and capture.answer_rows.shape[:2] == (2, 4)
    assert {s.label for s in capture.spans} >= {"instructions", "question", "source 1"}


def test_streamed_answer_is_followed_by_its_corrected_citations(capsys, monkeypatch, service_with_tiny_model):
    from studylog.rag.types import Answer, AskEvent

    final = Answer(question="q", model="tiny-qwen2", device="cpu")
    final.text, final.reattributed_citations = "분산을 1로 맞추려고 √64 = 8 로 나눕니다 [4].", 1

    def stream(question, **kwargs):
        yield AskEvent("token", "분산을 1로 맞추려고 √64 = 8 로 나눕니다 [1].")
        yield AskEvent("done", answer=final)

    monkeypatch.setattr(service_with_tiny_model, "ask_stream", stream)
    assert cli.main(["ask", "√d_k?"]) == 0
    out = capsys.readouterr().out
    assert out.index("[1].") < out.index("citations corrected") < out.index("[4].")


def test_ask_json_reports_the_fidelity_of_recorded_attention(capsys, service_with_tiny_model, tmp_path):
    service_with_tiny_model.index()
    code = cli.main(["ask", "--json", "--max-new-tokens", "6", "--attention", str(tmp_path / "att"),
                     "√d_k로 나누는 이유가 뭐였지?"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    attention = payload["attention"]
    assert attention["path"].endswith(".npz") and (tmp_path / "att").exists()
    fidelity = attention["fidelity"]
    # Recorded while generating: exactly the computation that answered.
    assert fidelity["max_abs_diff"] == 0.0 and fidelity["answer_tokens_match"] is True
    assert fidelity["method"] == "recorded"
    # The tiny model is token-independent, so its replay agrees to float16 rounding.
    assert fidelity["replay_max_abs_diff"] < 2e-3 and fidelity["replay_tokens_match"] is True
    from studylog.attention import AttentionCapture

    capture = AttentionCapture.load(attention["path"])
    assert capture.fidelity is not None and capture.fidelity.to_json() == fidelity


def test_an_answer_whose_rows_were_not_kept_is_replayed_and_checked(service_with_tiny_model, tmp_path):
    from studylog.attention.record import RECORDED

    service_with_tiny_model.index()
    answer = None
    for event in service_with_tiny_model.ask_stream("√d_k로 나누는 이유가 뭐였지?", max_new_tokens=6):
        if event.kind == "done":
            answer = event.answer
    assert answer is not None and answer.answer_token_ids
    token_ids = answer.prompt_token_ids + answer.answer_token_ids
    assert RECORDED.get(token_ids) is not None  # the chain kept the latest answer's rows
    RECORDED.put([0], np.zeros((1,), np.float16))  # a newer answer pushes them out
    assert RECORDED.get(token_ids) is None
    capture = service_with_tiny_model.capture_answer(answer)
    assert capture.fidelity.method == "replay" and capture.fidelity.max_abs_diff is None
    assert capture.fidelity.answer_tokens_match


def test_ask_without_a_terminal_writes_only_a_summary_to_stderr(capsys, service_with_tiny_model):
    service_with_tiny_model.index()
    assert cli.main(["ask", "--max-new-tokens", "4", "√d_k로 나누는 이유가 뭐였지?"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "…" not in err and "%|" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0].startswith("studylog: ") and "searching your notes" in lines[0]
    assert len(lines) <= 2, lines  # the stages' summary, then the answer's timings
