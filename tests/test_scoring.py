"""The ranking model: BM25F with a choice of idf, scaled by paragraph kind."""

from __future__ import annotations

import math
from typing import Any

import pytest

from indexer import IndexConfig
from indexer.scoring import IDF, lucene_idf, weighting, whoosh_idf


def test_headings_and_captions_rank_below_body_with_the_same_match(make_engine: Any) -> None:
    same = "Tanker drivers strike over diesel rations"
    e = make_engine(
        {"a.txt": f"Roads quiet\n\n{same}\n\n{same} again.\n\n{same}. (Jo Bloggs/Reuters)\n"}
    )
    e.reindex()
    kinds = [h.kind for h in e.search("diesel rations").hits]
    assert kinds == ["body", "caption", "heading"]


def test_idf_formulas() -> None:
    assert lucene_idf(10, 1000) == pytest.approx(math.log(1 + (1000 - 10 + 0.5) / (10 + 0.5)))
    assert whoosh_idf(10, 1000) == pytest.approx(math.log(1000 / 11) + 1)
    assert lucene_idf(1000, 1000) > 0  # Lucene's never goes negative
    assert set(IDF) == {"lucene", "whoosh"}


def test_weighting_carries_the_configured_parameters() -> None:
    w = weighting(IndexConfig(bm25_k1=0.9, bm25_b=0.5, heading_factor=0.4, bm25_idf="whoosh"))
    assert (w.K1, w.B) == (0.9, 0.5)
    assert w.factors["heading"] == 0.4 and w.factors["body"] == 1.0
    assert w.idf_formula is whoosh_idf
