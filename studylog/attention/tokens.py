"""Readable labels for token sequences, so heatmaps show text instead of byte-level BPE pieces.

Byte-level BPE (Qwen, GPT-2, Llama 3) often splits one Hangul syllable - three UTF-8 bytes -
across two or three tokens, and decoding such a token alone yields "\ufffd". Here tokens are
grouped into *pieces*, the shortest runs that decode to clean text, and pieces into *words*.
Every unit is a `Span` of token indices, so attention over tokens can be pooled onto units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

REPLACEMENT_CHAR = "\ufffd"
# Merged tokens may straddle character boundaries ("오" + first byte of "늘"), so a clean run
# can span several characters; this bounds the search when bytes never resolve.
_MAX_PIECE_TOKENS = 16
_VISIBLE = str.maketrans({"\n": "↵", "\r": "␍", "\t": "⇥"})


class Tokenizer(Protocol):
    """The slice of a Hugging Face tokenizer that labelling needs."""

    @property
    def all_special_ids(self) -> list[int]: ...

    def decode(self, token_ids: list[int], **kwargs: object) -> str: ...

    def convert_ids_to_tokens(self, ids: int) -> str: ...


@dataclass(frozen=True)
class Span:
    """A labelled, half-open token range `[start, end)`: a prompt part or a display unit."""

    label: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"empty or negative span {self!r}")

    def __len__(self) -> int:
        return self.end - self.start


def visible(text: str) -> str:
    """Make line breaks and tabs visible, so one label stays on one line of an axis."""
    return text.translate(_VISIBLE)


def special_flags(tokenizer: Tokenizer, token_ids: Sequence[int]) -> list[bool]:
    """Per token: is it a special token (chat markers, EOS), which never merges with text.

    `all_special_ids` alone is not enough: for Qwen2.5 in transformers 5 it lists only
    `<|endoftext|>` and `<|im_end|>`, while `<|im_start|>` is an added token flagged special
    in `added_tokens_decoder`; both sources are taken.
    """
    special = set(tokenizer.all_special_ids)
    decoder = getattr(tokenizer, "added_tokens_decoder", None) or {}
    special.update(token_id for token_id, added in decoder.items() if getattr(added, "special", False))
    return [token_id in special for token_id in token_ids]


def piece_units(tokenizer: Tokenizer, token_ids: Sequence[int]) -> list[Span]:
    """Group tokens into the shortest runs that decode without U+FFFD; labels are their text.

    Pieces cover every token in order. A token starting a run that never decodes cleanly
    (an answer cut off mid-character, invalid bytes) keeps its raw token string instead.
    """
    ids = list(token_ids)
    special = special_flags(tokenizer, ids)
    pieces: list[Span] = []
    start = 0
    while start < len(ids):
        end, text = start + 1, _decode(tokenizer, ids[start : start + 1])
        if not special[start]:
            limit = min(start + _MAX_PIECE_TOKENS, len(ids))
            while REPLACEMENT_CHAR in text and end < limit and not special[end]:
                end += 1
                text = _decode(tokenizer, ids[start:end])
            if REPLACEMENT_CHAR in text:
                end, text = start + 1, tokenizer.convert_ids_to_tokens(ids[start])
        pieces.append(Span(visible(text), start, end))
        start = end
    return pieces


def word_units(pieces: Sequence[Span], special: Sequence[bool]) -> list[Span]:
    """Merge pieces into words: a word breaks before whitespace and around punctuation.

    Korean eojeol ("공부했다") and English subwords ("stud" + "ying") become one unit each;
    special tokens always stand alone.
    """
    words: list[Span] = []
    for piece in pieces:
        if words and not _starts_word(words[-1], piece, special):
            last = words[-1]
            words[-1] = Span(last.label + piece.label, last.start, piece.end)
        else:
            words.append(piece)
    return words


def token_labels(pieces: Sequence[Span]) -> list[str]:
    """One label per token. Of the tokens that share a piece (a Hangul syllable's or an emoji's
    bytes split across tokens), the earlier ones are marked "셀[1/3]", "셀[2/3]" and the one that
    completes it shows it plainly, "셀": the labels still read as the text ("셀프", not
    "셀[3/3]프"; field case 14)."""
    labels: list[str] = []
    for piece in pieces:
        n = len(piece)
        labels.extend(f"{piece.label}[{k}/{n}]" for k in range(1, n))
        labels.append(piece.label)
    return labels


def spans_from_offsets(
    offsets: Sequence[tuple[int, int]], char_spans: Sequence[tuple[str, int, int]]
) -> list[Span]:
    """Turn labelled character ranges of a prompt into token spans.

    `offsets` is the tokenizer's `offset_mapping` for the prompt text; a token belongs to a
    range when their characters overlap. Ranges that cover no token are dropped.
    """
    spans: list[Span] = []
    for label, char_start, char_end in char_spans:
        covered = [
            i
            for i, (tok_start, tok_end) in enumerate(offsets)
            if tok_start < tok_end and tok_start < char_end and tok_end > char_start
        ]
        if covered:
            spans.append(Span(label, covered[0], covered[-1] + 1))
    return spans


def _decode(tokenizer: Tokenizer, ids: list[int]) -> str:
    return tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)


def _starts_word(previous: Span, piece: Span, special: Sequence[bool]) -> bool:
    if special[previous.start] or special[piece.start]:
        return True
    if not piece.label or piece.label[0].isspace() or piece.label[0] in "↵␍⇥":
        return True
    if previous.label.isspace():  # a lone space token leads the word after it, like " shares"
        return not _has_alnum(piece.label)
    return not (_has_alnum(previous.label) and _has_alnum(piece.label))


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)
