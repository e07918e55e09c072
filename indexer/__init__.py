"""Byline: paragraph-level full-text search for news archives.

The public API is what ``__all__`` lists; it never exposes a Whoosh object
and never imports Flask::

    from indexer import SearchEngine, IndexConfig
    engine = SearchEngine(IndexConfig(source_dir="seeds", index_dir="var/index"))
    engine.reindex()
    page = engine.search("fuel prices")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import IndexConfig
from .errors import (
    BylineError,
    ConfigError,
    DocumentError,
    IndexCorrupt,
    IndexLocked,
    IndexMissing,
    QueryError,
)
from .models import Article, Hit, IndexStats, Paragraph, SearchPage, Skip
from .request import SearchRequest

if TYPE_CHECKING:
    from .engine import SearchEngine

__all__ = [
    "Article",
    "BylineError",
    "ConfigError",
    "DocumentError",
    "Hit",
    "IndexConfig",
    "IndexCorrupt",
    "IndexLocked",
    "IndexMissing",
    "IndexStats",
    "Paragraph",
    "QueryError",
    "SearchEngine",
    "SearchPage",
    "SearchRequest",
    "Skip",
]


def __getattr__(name: str) -> Any:
    # Whoosh loads only when an engine is first needed: keeps `import indexer` cheap.
    if name == "SearchEngine":
        from .engine import SearchEngine

        return SearchEngine
    raise AttributeError(f"module 'indexer' has no attribute {name!r}")
