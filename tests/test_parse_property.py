"""Property test (hypothesis): no note text, front matter or byte string stops parse → chunk →
keyword index + (fake) embedder. A note the user wrote can be odd; it must never end a run."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studylog.index.chunker import MAX_CHUNK_CHARS, chunk_note
from studylog.notes.model import NoteError
from studylog.notes.parser import parse_note
from studylog.search.keyword import KeywordIndex
from studylog.search.tokenize import NgramTokenizer
from tests.conftest import FakeEmbedder

# Pieces real notes are made of, so random text hits the parser's interesting paths.
_PIECES = st.sampled_from([
    "---", "----", "...", "```", "````", "~~~", "```python", "# ", "## ", "### C#", "#### 주제 1",
    "- ", "* ", "1. ", "> ", "| a | b |", "|---|---|", "date: ", "tags: ", "title: ", "[", "]",
    "{", "}", ":", "\"", "'", "\\", "2026-02-30", "0000-00-00", "2026-05-19T23:30:00Z", "+09:00",
    "2024년 8월 13일", "날짜: ", "Created: ", "null", "2026", "!!python/object", "&a", "*a",
    "\t", "  ", "\n", "\r\n", "\r", "\ufeff", "\u2028", "\x00", "\x0c", "ᄒ\u1161\u11ab", "한글", "😀",
])
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=60).map("".join)
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
    st.dates(), st.sampled_from(["2026-02-30", "0000-00-00", "2026-13-01", "2026-05-19T23:30:00Z"]),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                       max_leaves=8)
_KEYS = st.sampled_from(["date", "tags", "title", "created", "published", "other"])


def _front_matter(mapping: dict) -> str:
    import yaml

    try:
        return "---\n" + yaml.safe_dump(mapping, allow_unicode=True) + "---\n"
    except yaml.YAMLError:
        return ""


def _run(name: str, data: bytes) -> None:
    try:
        note = parse_note(Path(name), data, 0.0, tz=dt.UTC)
    except NoteError as exc:  # only for bytes that are not text: NUL without a BOM
        assert b"\x00" in data[:8192] and name in str(exc)
        return
    assert note.date is not None
    chunks = chunk_note(note, name)
    assert all(len(c.body) <= MAX_CHUNK_CHARS for c in chunks)
    index = KeywordIndex(None, NgramTokenizer())
    index.upsert([(c.id, c.content_hash, c.date_int, c.text, c.metadata()) for c in chunks])
    assert len(FakeEmbedder().embed_passages([c.text for c in chunks])) == len(chunks)


# STUDYLOG_HYPOTHESIS_EXAMPLES=3000 for a longer hunt.
_EXAMPLES = int(os.environ.get("STUDYLOG_HYPOTHESIS_EXAMPLES", "300"))
_SETTINGS = settings(max_examples=_EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(front=st.dictionaries(_KEYS, _VALUES, max_size=5), body=_TEXT,
       name=st.sampled_from(["2026-02-30.md", "note.md", "TIL20221018.md", "a 3f2a9c1e0b7d4e5f8a6b1c2d3e4f5a6b.md"]))
def test_any_front_matter_and_body_parse_and_chunk(front, body, name):
    _run(name, (_front_matter(front) + body).encode("utf-8", errors="surrogatepass"))


@_SETTINGS
@given(text=_TEXT)
def test_any_text_parses_and_chunks(text):
    _run("note.md", text.encode("utf-8", errors="surrogatepass"))


@_SETTINGS
@given(data=st.binary(max_size=400))
def test_any_bytes_parse_or_are_refused_as_binary(data):
    _run("note.md", data)
