"""Display units over byte-level BPE: whole Hangul syllables, words, and prompt spans."""

from __future__ import annotations

from transformers import PreTrainedTokenizerFast

from studylog.attention import (
    Span,
    piece_units,
    spans_from_offsets,
    special_flags,
    token_labels,
    visible,
    word_units,
)

# Syllables absent from the training corpus: each is three byte tokens.
RARE = "뷁똠"


def test_pieces_merge_split_syllables_into_whole_characters(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    text = f"<|im_start|>오늘 {RARE} 공부했다.\nok<|im_end|>"
    ids = tokenizer.encode(text)
    raw = "".join(tokenizer.decode([token_id]) for token_id in ids)
    assert "\ufffd" in raw  # decoded one by one, the tokens are byte garbage

    pieces = piece_units(tokenizer, ids)

    assert pieces[0].start == 0 and pieces[-1].end == len(ids)
    assert [p.start for p in pieces[1:]] == [p.end for p in pieces[:-1]]  # contiguous cover
    assert "".join(p.label for p in pieces) == visible(text)
    assert not any("\ufffd" in p.label for p in pieces)
    assert {"뷁", "똠"} <= {p.label for p in pieces}
    assert max(len(p) for p in pieces if p.label in RARE) == 3
    for piece in pieces:  # no syllable is cut between two pieces
        assert tokenizer.decode(ids[piece.start : piece.end]) == piece.label.replace("↵", "\n")


def test_truncated_character_falls_back_to_raw_token_strings(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    ids = tokenizer.encode("공부 뷁")[:-1]  # an answer cut off inside its last syllable
    pieces = piece_units(tokenizer, ids)
    assert not any("\ufffd" in p.label for p in pieces)
    assert [p.label for p in pieces[-2:]] == tokenizer.convert_ids_to_tokens(ids[-2:])


def test_words_follow_spaces_punctuation_and_special_tokens(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    ids = tokenizer.encode("<|im_start|>오늘은 공부했다. Attention weights<|im_end|>")
    words = word_units(piece_units(tokenizer, ids), special_flags(tokenizer, ids))
    assert [w.label for w in words] == [
        "<|im_start|>",
        "오늘은",
        " 공부했다",
        ".",
        " Attention",
        " weights",
        "<|im_end|>",
    ]
    assert words[-1] == Span("<|im_end|>", len(ids) - 1, len(ids))


def test_token_labels_mark_tokens_of_one_piece() -> None:
    pieces = [Span("<|im_start|>", 0, 1), Span("한", 1, 3), Span(" ok", 3, 4)]
    assert token_labels(pieces) == ["<|im_start|>", "한[1/2]", "한", " ok"]
    assert "".join(token_labels(pieces)).endswith("한 ok")  # reads as the text (field case 14)


def test_special_flags(tokenizer: PreTrainedTokenizerFast) -> None:
    ids = tokenizer.encode("<|im_start|>hi<|im_end|>")
    assert special_flags(tokenizer, ids) == [True] + [False] * (len(ids) - 2) + [True]


def test_spans_from_offsets_cover_overlapping_tokens(tokenizer: PreTrainedTokenizerFast) -> None:
    text = "질문: 뷁은 무엇인가?"
    encoded = tokenizer(text, return_offsets_mapping=True)
    start = text.index("뷁")
    spans = spans_from_offsets(
        encoded["offset_mapping"], [("question", start, len(text)), ("none", 0, 0)]
    )

    assert [span.label for span in spans] == ["question"]
    span = spans[0]
    assert tokenizer.decode(encoded["input_ids"][span.start : span.end]) == text[start:]


def test_visible() -> None:
    assert visible("a\nb\tc\r") == "a↵b⇥c␍"


def test_special_flags_take_added_tokens_flagged_special():
    """Qwen2.5 in transformers 5 lists only <|endoftext|> and <|im_end|> in all_special_ids;
    <|im_start|> is an added token flagged special, and must count as a control token too."""
    from types import SimpleNamespace

    from studylog.attention.tokens import special_flags

    tokenizer = SimpleNamespace(
        all_special_ids=[2, 3],
        added_tokens_decoder={1: SimpleNamespace(special=True), 7: SimpleNamespace(special=False)},
    )
    assert special_flags(tokenizer, [1, 5, 2, 7, 3]) == [True, False, True, False, True]
