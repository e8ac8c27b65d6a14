"""Keyword tokenizers that make Korean match across spacing and particles.

`어텐션을`, `어텐션이란`, `어텐션에서` all have to find `어텐션`. Two tokenizers:
- kiwi: morphemes from `kiwipiepy` with particles, endings and punctuation dropped (the
  better ranker on the fixtures vault, see `studylog bench search`), plus compound terms;
- ngram: Hangul character bigrams (also across one space) + lowercase Latin words (no
  model, the fallback).

Compounds. Korean writers space compounds as they like: `그래디언트클리핑` and
`그래디언트 클리핑`, `배치정규화` and `배치 정규화`. Kiwi splits a glued compound it knows
(`감성분석` -> 감성 + 분석) but keeps one it does not as a single noun (`그래디언트클리핑`,
`배치정규화`, `리버스프록시` are one NNG each), and `split_complex=True` does not split those
either (it only breaks `기울기소실` into a verb). So the kiwi tokenizer also emits every run of
two or three adjacent Hangul nouns, joined (`그래디언트 클리핑` -> + `그래디언트클리핑`;
`경사 하강법` -> 경사 + 하강 + 법 -> + `경사하강법`): the spaced text then holds the very term
Kiwi gives for the glued one, both spellings meet, and a note with the whole compound outranks
one that only repeats a part. The other direction, a glued unknown compound split into its
nouns, is done by the keyword index against its own vocabulary (`keyword.py`).

Measured on 48 queries (24 compounds of the fixtures vault, each asked glued and spaced; the
`compounds` section of `studylog bench search` asks the same): keyword Recall@1 per note 0.854
with Kiwi alone, 0.958 with splitting only, 1.000 with joined nouns, with or without
splitting; on the question set all variants score the same. So joining is kept, on top of
Kiwi's own analysis.

Numbers. A note writes `1만 개`, an English question asks about `10,000` notes: Kiwi gives
`1` + `만` for one and `10,000` for the other. Every number gets one spelling, its value
(`10000`), so the two meet. Measured on `studylog bench search`: the only question that asks
across that gap ("grow to 10,000") moves into hybrid's top 5, Recall@5 0.99 -> 1.00; nothing
else moves.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

TOKENIZER_VERSION = 3  # 2: joined compound nouns; 3: numbers as values (1만 = 10,000 = 10000)

# Morpheme tags kept: nouns, verb/adjective stems, roots, foreign words, numbers, hanja.
_KEEP_TAGS = {"NNG", "NNP", "NNB", "NR", "VV", "VA", "XR", "SL", "SN", "SH", "MAG", "NP"}
_STOP = {
    # English function words and question words
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from",
    "is", "are", "was", "were", "be", "been", "do", "did", "does", "i", "my", "me", "we", "you",
    "it", "this", "that", "what", "which", "who", "how", "why", "when", "where", "about", "again",
    "can", "could", "should", "would", "have", "has", "had", "not", "so", "as", "into", "than",
    # Korean question and filler words left after morpheme analysis
    "뭐", "무엇", "어떻", "어떤", "어디", "언제", "왜", "이", "그", "저", "것", "하", "되", "있",
    "없", "나", "내", "우리", "정리", "적", "말", "거", "수", "때", "좀", "다시",
}
# Morphemes that make up a compound noun: nouns and noun suffixes (학습+률, 가중+치).
_COMPOUND_TAGS = {"NNG", "NNP", "XSN"}
_COMPOUND_MAX_PARTS = 3
_COMPOUND_GAP = re.compile(r" ?")  # glued or one space: not across lines or punctuation
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_+#.-]*[A-Za-z0-9+#]|[A-Za-z]")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
_SPACED_PAIR = re.compile(r"([\uac00-\ud7a3]) (?=([\uac00-\ud7a3]))")
_HANGUL_ONLY = re.compile(r"[\uac00-\ud7a3]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


# Korean counts in myriads: "1만 개" is the "10,000" an English question asks about.
_UNITS = {"십": 10, "백": 100, "천": 1_000, "만": 10_000, "십만": 100_000, "백만": 1_000_000,
          "천만": 10_000_000, "억": 100_000_000}


_MAX_NUMBER_CHARS = 20  # a longer digit run (an id, a 61 KB line of digits) stays as written


def _number_value(number: str, unit: str = "") -> str:
    """One spelling per number, so that Korean and English notes and questions meet:
    `10,000`, `10000` and `1` + `만` (Kiwi's SN + NR for "1만") all give `10000`; `1.5` + `만`
    gives `15000`. Anything else (a version "3.10.2", a unit we do not know) stays as written."""
    plain = number.replace(",", "")
    if len(plain) > _MAX_NUMBER_CHARS:
        return plain
    try:
        value = Decimal(plain)
    except InvalidOperation:
        return number
    if not value.is_finite():
        return number
    if unit:
        if unit not in _UNITS:
            return plain
        value *= _UNITS[unit]
    elif "." in plain:
        return plain  # 0.70 stays 0.70, as the notes write scores
    return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")


def _normalise_latin(word: str) -> str:
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


class KiwiTokenizer:
    name = f"kiwi-v{TOKENIZER_VERSION}"

    def __init__(self) -> None:
        from kiwipiepy import Kiwi

        self._kiwi = Kiwi(num_workers=0)
        self._lock = threading.Lock()

    def _filter(self, text: str, tokens) -> list[str]:
        return self._terms(tokens) + _compounds(text, tokens)

    @staticmethod
    def _terms(tokens) -> list[str]:
        out: list[str] = []
        skip_unit = False
        for i, token in enumerate(tokens):
            if skip_unit:  # the 만 of "1만", already folded into the number
                skip_unit = False
                continue
            if token.tag not in _KEEP_TAGS:
                continue
            form = token.form
            if token.tag == "SL":
                form = _normalise_latin(form)
            elif token.tag == "SN":
                unit = tokens[i + 1] if i + 1 < len(tokens) else None
                glued = unit is not None and unit.tag == "NR" and unit.start == token.start + token.len
                form = _number_value(form, unit.form if glued else "")
                skip_unit = glued and form != token.form
            if form in _STOP or (token.tag in ("VV", "VA", "MAG", "NP") and len(form) < 2):
                continue
            out.append(form)
        return out

    def tokenize(self, text: str) -> list[str]:
        with self._lock:
            return self._filter(text, self._kiwi.tokenize(text))

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        with self._lock:
            return [self._filter(text, self._kiwi.tokenize(text)) for text in texts]


def _compounds(text: str, tokens) -> list[str]:
    """Runs of 2 to `_COMPOUND_MAX_PARTS` adjacent Hangul nouns (and noun suffixes), joined."""
    out: list[str] = []
    run: list = []
    for token in [*tokens, None]:
        if token is not None and token.tag in _COMPOUND_TAGS and _HANGUL_ONLY.fullmatch(token.form) and (
            not run or _COMPOUND_GAP.fullmatch(text, run[-1].end, token.start)
        ):
            run.append(token)
            continue
        for size in range(2, _COMPOUND_MAX_PARTS + 1):
            out.extend("".join(t.form for t in run[i : i + size])
                       for i in range(len(run) - size + 1) if run[i].tag != "XSN")  # no "률스케줄러"
        starts_run = token is not None and token.tag in ("NNG", "NNP") and _HANGUL_ONLY.fullmatch(token.form)
        run = [token] if starts_run else []
    return out


class NgramTokenizer:
    name = f"ngram-v{TOKENIZER_VERSION}"

    def tokenize(self, text: str) -> list[str]:
        out = [_normalise_latin(w) for w in _LATIN.findall(text)]
        out = [w for w in out if w not in _STOP]
        out.extend(_NUMBER.findall(text))
        for run in _HANGUL_RUN.findall(text):
            if len(run) == 1:
                out.append(run)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        # The bigram across one space, so "배치 정규화" holds the "치정" of "배치정규화".
        out.extend(a + b for a, b in _SPACED_PAIR.findall(text))
        return out

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        return [self.tokenize(t) for t in texts]


class LazyTokenizer:
    """A tokenizer whose model loads on first use: opening an index whose tokens are cached
    (an unchanged re-index, a restart) then never pays Kiwi's ~2 s load."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.name = KiwiTokenizer.name if kind == "kiwi" else NgramTokenizer.name

    def tokenize(self, text: str) -> list[str]:
        return get_tokenizer(self.kind).tokenize(text)

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        return get_tokenizer(self.kind).tokenize_many(texts)


_shared: dict[str, object] = {}
_shared_lock = threading.Lock()


def get_tokenizer(kind: str = "kiwi") -> KiwiTokenizer | NgramTokenizer:
    """A process-wide tokenizer (Kiwi takes ~2 s to load: load it once)."""
    with _shared_lock:
        if kind not in _shared:
            _shared[kind] = KiwiTokenizer() if kind == "kiwi" else NgramTokenizer()
        return _shared[kind]  # type: ignore[return-value]
