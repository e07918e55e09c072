"""Ranking: BM25F over paragraphs, scaled by paragraph kind.

Kept apart from query parsing so ranking can be tuned (and measured with
``manage.py evaluate``) without touching anything else.
"""

from __future__ import annotations

from typing import Any

from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .config import IndexConfig


class NewsBM25F(BM25F):
    """BM25F whose final score is scaled by the paragraph's kind (headings below body)."""

    use_final = True

    def __init__(self, factors: dict[str, float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factors = factors
        self._kinds: Any = None

    def final(self, searcher: Searcher, docnum: int, score: float) -> float:
        if self._kinds is None:
            self._kinds = searcher.reader().column_reader("kind")
        return score * self.factors.get(self._kinds[docnum], 1.0)


def weighting(config: IndexConfig) -> NewsBM25F:
    return NewsBM25F(
        {
            "body": 1.0,
            "headline": config.headline_factor,
            "heading": config.heading_factor,
            "caption": config.caption_factor,
        }
    )
