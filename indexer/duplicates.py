"""Duplicate and near-duplicate detection, done once at index time.

* Paragraphs: a fingerprint of the normalised text (lowercase words only), so
  the same wire paragraph reprinted by several outlets collapses in results.
* Articles: two articles are near-duplicates when the Jaccard overlap of their
  body-paragraph fingerprints is at least ``NEAR_DUPLICATE``; every article
  gets a cluster label (its own id when it is unique; else the smallest id of
  its cluster). Candidates are the pairs that share a fingerprint.

A full rebuild clusters the whole archive with :func:`clusters`, on arrays of
(article number, fingerprint): 16 bytes per substantial body paragraph, and
sorting instead of sets, so a million articles take seconds and a few
hundred MB at most. An incremental run clusters its few changed articles with
:func:`batch_labels` and joins them to the clusters the index has.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from .models import Paragraph

_WORDS = re.compile(r"\w+")
#: Paragraphs shorter than this many words say too little to mark two articles alike.
MIN_WORDS = 8
#: Share of distinct body paragraphs two articles must have in common.
NEAR_DUPLICATE = 0.6


def paragraph_key(text: str) -> str:
    """A 16-hex-digit fingerprint of the paragraph's words, ignoring case and punctuation."""
    words = _WORDS.findall(text.lower())
    return hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).hexdigest()


def article_fingerprints(paragraphs: Iterable[Paragraph]) -> frozenset[str]:
    """Fingerprints of the substantial body paragraphs: what near-duplicates share."""
    return frozenset(
        paragraph_key(p.text)
        for p in paragraphs
        if p.kind == "body" and len(p.text.split()) >= MIN_WORDS
    )


def batch_labels(batch: Mapping[str, frozenset[str]]) -> dict[str, str]:
    """Cluster label for every article id in ``batch`` (id -> fingerprints), among themselves.

    The same array clustering as a rebuild's: a paragraph every article of the
    batch shares (a standard line) costs one sort, not a comparison per pair.
    """
    ids = sorted(batch)
    sizes = [len(batch[aid]) for aid in ids]
    arts = np.repeat(np.arange(len(ids), dtype=np.int64), sizes)
    fps = np.fromiter(
        (int(fp, 16) for aid in ids for fp in batch[aid]), dtype=np.uint64, count=sum(sizes)
    )
    found = clusters(arts, fps, lambda numbers: [ids[n] for n in numbers])
    return {aid: ids[found.get(n, n)] for n, aid in enumerate(ids)}


def clusters(
    articles: np.ndarray, fingerprints: np.ndarray, ids: Callable[[list[int]], list[str]]
) -> dict[int, int]:
    """Near-duplicate clusters of a whole archive: article number -> the cluster's label article.

    ``articles[i]`` holds ``fingerprints[i]`` (each pair once); ``ids(numbers)``
    gives articles' ids, asked only for articles that have copies, since a
    cluster is labelled by its smallest id.
    Articles without copies are left out of the result.
    """
    if not len(fingerprints):
        return {}
    articles = articles.astype(np.int64)
    sizes = np.bincount(articles)
    # Only fingerprints two articles share can join them: keep those (a small share of all).
    distinct, counts = np.unique(fingerprints, return_counts=True)
    keep = np.isin(fingerprints, distinct[counts > 1])
    articles, fingerprints = articles[keep], fingerprints[keep]
    del distinct, counts, keep
    order = np.lexsort((articles, fingerprints))
    fp, art = fingerprints[order], articles[order]
    starts = np.flatnonzero(np.concatenate(([True], fp[1:] != fp[:-1])))
    ends = np.concatenate((starts[1:], [len(fp)]))
    shared = np.flatnonzero(ends - starts > 1)
    if not len(shared):
        return {}
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    for s, e in zip(starts[shared].tolist(), ends[shared].tolist(), strict=True):
        members = art[s:e]
        i, j = np.triu_indices(len(members), k=1)
        left.append(members[i])
        right.append(members[j])
    span = int(art.max()) + 1  # a pair as one int64 key: sorting it is several times faster
    pairs, common = np.unique(
        np.concatenate(left) * span + np.concatenate(right), return_counts=True
    )
    a, b = pairs // span, pairs % span
    near = common / (sizes[a] + sizes[b] - common) >= NEAR_DUPLICATE
    a, b = a[near], b[near]
    if not len(a):
        return {}
    linked: list[int] = sorted(set(a.tolist()) | set(b.tolist()))
    id_of = dict(zip(linked, ids(linked), strict=True))
    parent = {m: m for m in linked}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = find(x), find(y)
        if rx != ry:
            low, high = (rx, ry) if id_of[rx] <= id_of[ry] else (ry, rx)
            parent[high] = low
    return {m: find(m) for m in linked}
