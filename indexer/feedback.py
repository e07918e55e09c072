"""Query expansion by pseudo-relevance feedback (RM3).

The first pass's best paragraphs are assumed relevant. A relevance model
(Lavrenko and Croft's RM1) weighs each of their index terms by how much of
each paragraph it makes up, each paragraph counting by its share of the
first-pass score; the ``terms`` heaviest become the expansion, and RM3 mixes
them with the original query: ``weight * query + (1 - weight) * expansion``.

Terms are the index's own (the same analyzer, so stems), which the search
module turns into extra ``title``/``text`` term queries
(the ``expansion`` of :func:`indexer.search.run`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence


def relevance_model(
    docs: Sequence[tuple[float, Sequence[str]]],
    terms: int,
    doc_frequency: Callable[[str], int] | None = None,
    doc_count: int = 0,
    max_df: float = 1.0,
) -> dict[str, float]:
    """The ``terms`` heaviest terms of P(w|R) = sum_d P(d) P(w|d), renormalised to sum 1.

    ``docs`` is (first-pass score, index terms) per feedback paragraph; P(d) is
    its score over the sum of scores, P(w|d) its term frequency over its length.
    Terms found in more than ``max_df`` of all paragraphs are skipped (they say
    little about the topic), when ``doc_frequency`` and ``doc_count`` are given.
    Numbers and one-letter terms are never chosen.
    """
    docs = [(max(score, 0.0), toks) for score, toks in docs if toks]
    total = sum(score for score, _ in docs)
    if not docs or terms < 1:
        return {}
    weights: dict[str, float] = {}
    for score, toks in docs:
        share = score / total if total > 0 else 1 / len(docs)
        length = len(toks)
        for term, tf in Counter(toks).items():
            if len(term) > 1 and not term.isdigit():  # numbers and initials say little
                weights[term] = weights.get(term, 0.0) + share * tf / length
    if doc_frequency is not None and doc_count and max_df < 1.0:
        limit = max_df * doc_count
        weights = {t: w for t, w in weights.items() if doc_frequency(t) <= limit}
    top = sorted(weights.items(), key=lambda item: item[1], reverse=True)[:terms]  # most_common
    norm = sum(w for _, w in top)
    return {t: w / norm for t, w in top} if norm > 0 else {}


def interpolate(
    model: dict[str, float], query_terms: Iterable[str], weight: float
) -> dict[str, float]:
    """Expansion boosts relative to one original query word (boost 1), as RM3 mixes them.

    RM3 scores ``weight * sum_t q(t)/n + (1 - weight) * sum_t P(t|R)``; the
    original query already gives each of its ``n`` words boost 1, so an
    expansion term adds boost ``(1 - weight) / weight * n * P(t|R)`` (a word of
    the query that is also in the model gets both, as in RM3).
    """
    n = sum(1 for _ in query_terms)
    if not model or n == 0 or weight >= 1.0:
        return {}
    weight = max(weight, 1e-3)
    scale = (1.0 - weight) / weight * n
    return {t: scale * p for t, p in model.items()}
