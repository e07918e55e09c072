"""The Whoosh schema: one Whoosh document per paragraph.

Article metadata (date, source, section, places, topics, tags, author) is
copied onto every searchable paragraph so filters and facets need no join;
``dup`` labels near-duplicate article clusters and ``phash`` fingerprints the
paragraph text (see duplicates.py) as a column only (no postings: it is read
per document, never searched). Paragraph 1 (the headline) also carries the
article's metadata in ``article`` and its content hash in the ``hash`` column,
so incremental reindexing and the article view need no side files.
Boilerplate paragraphs are stored for display but index nothing.

Each indexing run also adds one document of kind ``vocabulary`` whose
``spell`` field counts every word it indexed (see
:class:`~indexer.analysis.CountsTokenizer`); it has no article and matches no
search.
"""

from __future__ import annotations

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

from .analysis import news_analyzer, spelling_analyzer, vocabulary_analyzer

SEARCH_FIELDS = ("title", "text")
#: The ``kind`` of the per-run vocabulary document.
VOCABULARY = "vocabulary"


def build_schema(stemmer: str = "snowball") -> Schema:
    analyzer = news_analyzer(stemmer)
    return Schema(
        article_id=ID(stored=True, sortable=True),
        paragraph_no=STORED(),
        paragraph_count=STORED(),
        kind=ID(stored=True, sortable=True),
        heading=STORED(),
        title=TEXT(analyzer=analyzer, stored=True, multitoken_query="phrase"),
        text=TEXT(analyzer=analyzer, stored=True, multitoken_query="phrase"),
        spell=TEXT(analyzer=vocabulary_analyzer(), phrase=False),
        date=ID(stored=True, sortable=True),
        source=KEYWORD(stored=True, lowercase=True, commas=True, sortable=True),
        section=KEYWORD(stored=True, lowercase=True, commas=True, sortable=True),
        place=KEYWORD(lowercase=True, commas=True, sortable=True),
        topic=KEYWORD(lowercase=True, commas=True, sortable=True),
        tag=KEYWORD(lowercase=True, commas=True),
        author=TEXT(analyzer=spelling_analyzer(), phrase=False),
        dup=ID(sortable=True),
        phash=COLUMN(VarBytesColumn()),
        hash=COLUMN(VarBytesColumn()),
        article=STORED(),
    )


#: The fields this version writes; an index lacking any was built by an older Byline.
FIELD_NAMES = frozenset(build_schema("none").names())


def schema_stemmer(schema: Schema) -> str:
    """Which stemmer an existing index was built with (a change forces a full rebuild)."""
    for item in schema["text"].analyzer.items:
        if hasattr(item, "stemmer"):
            return str(item.stemmer)
    return "none"
