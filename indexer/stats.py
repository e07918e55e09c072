"""Collection-wide statistics: what every score is computed from, merged once per generation.

BM25's idf needs each term's document frequency and the document count of
the whole collection, and its length normalisation the average field length.
Every shard contributes its segments' counts (:class:`StatsPart`, read from
the sidecars' term tables); :func:`merge_stats` adds them up once per index
generation, so no query asks a shard for statistics and no score depends on
where a document lives. The numbers are Whoosh's own: frequencies count
deleted documents, as its terms table does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schema import POSTED_FIELDS
from .scoring import IDF
from .sidecar import term_key


@dataclass(frozen=True)
class StatsPart:
    """One shard's share of the statistics: per field, its terms' document frequencies."""

    doc_count_all: int
    field_length: dict[str, int]
    keys: dict[str, np.ndarray]
    df: dict[str, np.ndarray]


@dataclass(frozen=True)
class GlobalStats:
    """Document frequencies, counts and field lengths of a whole generation, merged once.

    Terms are looked up by their 8-byte key (:func:`~indexer.sidecar.term_key`),
    document frequencies count deleted documents and ``doc_count_all`` counts
    every document, as Whoosh's own statistics do.
    """

    doc_count_all: int
    field_length: dict[str, int]
    keys: dict[str, np.ndarray]
    df: dict[str, np.ndarray]
    idf_formula: str = "lucene"

    def doc_frequency(self, field_name: str, term: bytes) -> int:
        keys = self.keys.get(field_name)
        if keys is None or not len(keys):
            return 0
        k = np.uint64(term_key(term))
        at = int(np.searchsorted(keys, k))
        return int(self.df[field_name][at]) if at < len(keys) and keys[at] == k else 0

    def idf(self, field_name: str, term: bytes) -> float:
        return IDF[self.idf_formula](self.doc_frequency(field_name, term), self.doc_count_all)

    def avgfl(self, field_name: str) -> float:
        return self.field_length.get(field_name, 0) / (self.doc_count_all or 1) or 1.0


def merge_stats(parts: list[StatsPart], idf_formula: str) -> GlobalStats:
    """The statistics of the shards together (a shard's terms are summed with the others')."""
    keys: dict[str, np.ndarray] = {}
    df: dict[str, np.ndarray] = {}
    for name in POSTED_FIELDS:
        k = [p.keys[name] for p in parts if name in p.keys]
        d = [p.df[name] for p in parts if name in p.df]
        if not k:
            keys[name], df[name] = np.zeros(0, np.uint64), np.zeros(0, np.int64)
            continue
        distinct, inverse = np.unique(np.concatenate(k), return_inverse=True)
        keys[name] = distinct
        df[name] = np.bincount(inverse, weights=np.concatenate(d), minlength=len(distinct)).astype(
            np.int64
        )
    lengths: dict[str, int] = {}
    for p in parts:
        for name, n in p.field_length.items():
            lengths[name] = lengths.get(name, 0) + n
    return GlobalStats(sum(p.doc_count_all for p in parts), lengths, keys, df, idf_formula)
