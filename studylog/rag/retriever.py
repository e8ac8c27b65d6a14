"""The hybrid search as a LangChain retriever: the answer chain gets its sources from any
`BaseRetriever`, and this is the one it uses unless given another.

Each hit becomes a `Document` whose `page_content` is the chunk's text and whose metadata holds
what the chain needs to rebuild its numbered `Source` (date, path, section, heading path, start
line, chunk id, score). A retriever of another kind may leave metadata out: the chain fills the
gaps with empty values.

The date scope: `today` anchors the question's relative dates ("yesterday", "10월 18일").
Pass it per call as a keyword, `retriever.invoke(question, today=date)` (in a chain:
`retriever.bind(today=date)`), or set the `today` field; without either it is the real
today. Retrievers that take no keywords are given none (`BaseRetriever` drops them), so the
chain can bind `today` whatever retriever it holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever


class RetrievedDocuments(list[Document]):
    """The retrieved documents, and when there are none because the question's dates hold no
    note, those dates' label ("2026-10-18"): the chain then says so instead of "not found"."""

    def __init__(self, documents: list[Document] | None = None, no_note_on: str = "") -> None:
        super().__init__(documents or [])
        self.no_note_on = no_note_on


def hit_document(hit) -> Document:
    """A search hit as a Document carrying every field of the chain's `Source` but its number."""
    return Document(
        id=hit.chunk_id or None,
        page_content=hit.text,
        metadata={
            "date": hit.date,
            "path": hit.path,
            "section": hit.section,
            "heading_path": hit.heading_path,
            "start_line": hit.start_line,
            "chunk_id": hit.chunk_id,
            "score": hit.score,
        },
    )


class HybridRetriever(BaseRetriever):
    """Keyword + vector search of the notes, scoped by the dates the question names.

    `search(question, k=..., today=...)` returns an object with `hits` (each with the fields of
    `studylog.search.hybrid.SearchHit`), `message` and `scope`, as `StudyLogService.search` does.
    """

    search: Callable[..., object]
    k: int = 6
    today: dt.date | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        today: dt.date | None = None,
    ) -> list[Document]:
        result = self.search(query, k=self.k, today=today or self.today)
        hits = list(getattr(result, "hits", []))
        scope = getattr(result, "scope", None)
        no_note_on = ""
        if getattr(result, "message", "") and not hits and scope is not None:
            no_note_on = scope.label
        return RetrievedDocuments([hit_document(h) for h in hits], no_note_on)
