"""Ranking: BM25 over paragraphs (title and text fields), scaled by paragraph kind.

Kept apart from query parsing so ranking can be tuned (and measured with
``manage.py evaluate``) without touching anything else. The defaults in
:class:`~indexer.config.IndexConfig` are the ones measured in docs/RELEVANCE.md.
"""

from __future__ import annotations

from math import log
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .config import IndexConfig

if TYPE_CHECKING:
    from .stats import GlobalStats


def lucene_idf(n: int, N: int) -> float:
    """Lucene's BM25 idf: log(1 + (N - n + 0.5) / (n + 0.5)), always positive."""
    return log(1 + (N - n + 0.5) / (n + 0.5))


def whoosh_idf(n: int, N: int) -> float:
    """Whoosh's idf: log(N / (n + 1)) + 1."""
    return log(N / (n + 1)) + 1


IDF = {"lucene": lucene_idf, "whoosh": whoosh_idf}


class NewsBM25F(BM25F):
    """Per-field BM25 with a choice of idf; carries the paragraph-kind factors.

    The factors (headings and captions below body text with the same match)
    are applied to whole score arrays by :func:`weighting_factors`, not per
    match through Whoosh's ``final()``, which would disable its block skipping
    and cost a Python call per matching paragraph.
    """

    def __init__(self, factors: dict[str, float], idf: str = "lucene", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factors = factors
        self.idf_formula = IDF[idf]
        #: Statistics of the whole collection, when this searcher holds only part of it (a shard).
        self.collection: GlobalStats | None = None

    def idf(self, searcher: Searcher, fieldname: str, text: str) -> float:
        if self.collection is not None:
            return self.collection.idf(fieldname, _bytes(text))
        parent = searcher.get_parent()
        return self.idf_formula(parent.doc_frequency(fieldname, text), parent.doc_count_all())

    def scorer(self, searcher: Searcher, fieldname: str, text: Any, qf: float = 1) -> Any:
        found = super().scorer(searcher, fieldname, text, qf=qf)
        if self.collection is not None and hasattr(found, "avgfl"):
            found.idf = self.collection.idf(fieldname, _bytes(text))
            found.avgfl = self.collection.avgfl(fieldname)
        return found


def _bytes(text: Any) -> bytes:
    return text if isinstance(text, bytes) else str(text).encode("utf-8")


def weighting_factors(searcher: Searcher, kinds: list[str]) -> np.ndarray:
    """The score factor of each paragraph kind code (see :class:`~indexer.columns.DocTable`)."""
    factors = getattr(searcher.weighting, "factors", {})
    return np.asarray([factors.get(kind, 1.0) for kind in kinds], dtype=np.float64)


def weighting(config: IndexConfig) -> NewsBM25F:
    return NewsBM25F(
        {
            "body": 1.0,
            "headline": config.headline_factor,
            "heading": config.heading_factor,
            "caption": config.caption_factor,
        },
        idf=config.bm25_idf,
        B=config.bm25_b,
        K1=config.bm25_k1,
    )
