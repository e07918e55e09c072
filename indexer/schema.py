"""The Whoosh schema: one Whoosh document per paragraph.

Only what Whoosh itself must answer is indexed: the ``title`` and ``text``
of searchable paragraphs (with positions, for phrases), ``article_id`` (an
article's paragraphs by id) and the ``spell`` vocabulary. Filters, facets,
sorting, duplicate keys and content hashes are columns of Byline's sidecar
(:mod:`indexer.sidecar`, written beside each segment), read as arrays. The
article's metadata is stored with its headline paragraph (``article``), and
the date, source and section with every searchable paragraph, for hits.
Boilerplate paragraphs are stored for display but index nothing.

Each segment also holds one document of kind ``vocabulary`` whose ``spell``
field counts every word it indexed (see :class:`~indexer.analysis.CountsTokenizer`);
it has no article and matches no search.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.fields import ID, STORED, TEXT, Schema

from .analysis import news_analyzer, vocabulary_analyzer
from .models import Article

SEARCH_FIELDS = ("title", "text")
#: Fields whose postings the sidecar also holds as arrays.
POSTED_FIELDS = SEARCH_FIELDS
#: The ``kind`` of the per-segment vocabulary document.
VOCABULARY = "vocabulary"


def build_schema(stemmer: str = "snowball") -> Schema:
    analyzer = news_analyzer(stemmer)
    return Schema(
        article_id=ID(stored=True),
        paragraph_no=STORED(),
        paragraph_count=STORED(),
        kind=STORED(),
        heading=STORED(),
        title=TEXT(analyzer=analyzer, stored=True, multitoken_query="phrase"),
        text=TEXT(analyzer=analyzer, stored=True, multitoken_query="phrase"),
        spell=TEXT(analyzer=vocabulary_analyzer(), phrase=False),
        date=STORED(),
        source=STORED(),
        section=STORED(),
        article=STORED(),
    )


#: The fields this version writes; an index with others was built by another Byline.
FIELD_NAMES = frozenset(build_schema("none").names())


def schema_stemmer(schema: Schema) -> str:
    """Which stemmer an existing index was built with (a change forces a full rebuild)."""
    for item in schema["text"].analyzer.items:
        if hasattr(item, "stemmer"):
            return str(item.stemmer)
    return "none"


def documents(article: Article) -> Iterator[dict[str, Any]]:
    """The Whoosh documents for one article (paragraphs already split): one per paragraph."""
    paragraphs = article.paragraphs
    count = len(paragraphs)
    for p in paragraphs:
        doc: dict[str, Any] = {
            "article_id": article.id,
            "paragraph_no": p.no,
            "paragraph_count": count,
            "kind": p.kind,
            "heading": p.heading,
        }
        if p.searchable:
            doc.update(
                title=article.title,
                text=p.text,
                date=article.date,
                source=article.source,
                section=article.section,
            )
        else:  # kept for the article view, invisible to search
            doc.update(title="", _stored_title=article.title, text="", _stored_text=p.text)
        if p.no == 1:
            doc["article"] = article.meta()
        yield doc
