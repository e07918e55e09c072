"""Ranking: BM25 over paragraphs (title and text fields), scaled by paragraph kind.

Kept apart from query parsing so ranking can be tuned (and measured with
``manage.py evaluate``) without touching anything else. The defaults in
:class:`~indexer.config.IndexConfig` are the ones measured in docs/RELEVANCE.md.
"""

from __future__ import annotations

from math import log
from typing import Any

from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .config import IndexConfig


def lucene_idf(n: int, N: int) -> float:
    """Lucene's BM25 idf: log(1 + (N - n + 0.5) / (n + 0.5)), always positive."""
    return log(1 + (N - n + 0.5) / (n + 0.5))


def whoosh_idf(n: int, N: int) -> float:
    """Whoosh's idf: log(N / (n + 1)) + 1."""
    return log(N / (n + 1)) + 1


IDF = {"lucene": lucene_idf, "whoosh": whoosh_idf}


class NewsBM25F(BM25F):
    """Per-field BM25 whose final score is scaled by the paragraph's kind (headings below body)."""

    use_final = True

    def __init__(self, factors: dict[str, float], idf: str = "lucene", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factors = factors
        self.idf_formula = IDF[idf]
        self._kinds: Any = None

    def idf(self, searcher: Searcher, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return self.idf_formula(parent.doc_frequency(fieldname, text), parent.doc_count_all())

    def final(self, searcher: Searcher, docnum: int, score: float) -> float:
        factors = self._kinds
        if factors is None:
            factors = self._kinds = self._factor_table(searcher)
        return score * factors[docnum]

    def _factor_table(self, searcher: Searcher) -> list[float]:
        """The kind factor of every document, by global docnum, read once per searcher.

        A weighting object belongs to one searcher (engine.py makes one per
        searcher), so the table matches its documents. Reading the column in
        bulk per segment is far cheaper than one multi-segment lookup per match.
        """
        table: list[float] = []
        get = self.factors.get
        for reader, _offset in searcher.reader().leaf_readers():
            count = reader.doc_count_all()
            if reader.has_column("kind"):
                column = reader.column_reader("kind")
                table.extend(get(column[n], 1.0) for n in range(count))
            else:
                table.extend([1.0] * count)
        return table


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
