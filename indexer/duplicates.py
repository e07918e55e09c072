"""Duplicate and near-duplicate detection, done once at index time.

* Paragraphs: a fingerprint of the normalised text (lowercase words only), so
  the same wire paragraph reprinted by several outlets collapses in results.
* Articles: two articles are near-duplicates when the Jaccard overlap of their
  body-paragraph fingerprints is at least ``NEAR_DUPLICATE``; every article
  gets a cluster label (its own id when it is unique). Candidates come from
  the fingerprints themselves (an inverted index), so the cost is linear.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from .models import Article, Paragraph

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


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def cluster_labels(
    batch: Mapping[str, frozenset[str]],
    existing: Callable[[str], Iterable[tuple[str, str, frozenset[str]]]] | None = None,
) -> dict[str, str]:
    """Cluster label for every article id in ``batch`` (id -> fingerprints).

    ``existing(fingerprint)`` yields ``(article_id, label, fingerprints)`` of
    already-indexed articles holding that fingerprint, so an incremental run
    joins new copies to the clusters the index already has.
    """
    labels: dict[str, str] = {}
    parent: dict[str, str] = {aid: aid for aid in batch}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    inverted: dict[str, list[str]] = defaultdict(list)
    for aid in sorted(batch):
        for fp in batch[aid]:
            inverted[fp].append(aid)
    for aid in sorted(batch):
        fps = batch[aid]
        seen: set[str] = set()
        for fp in fps:
            for other in inverted[fp]:
                if other != aid and other not in seen:
                    seen.add(other)
                    if jaccard(fps, batch[other]) >= NEAR_DUPLICATE:
                        a, b = find(aid), find(other)
                        if a != b:
                            parent[max(a, b)] = min(a, b)
    outside: dict[str, str] = {}
    if existing is not None:
        for aid in sorted(batch):
            fps = batch[aid]
            for fp in fps:
                for other, label, other_fps in existing(fp):
                    if other not in batch and jaccard(fps, other_fps) >= NEAR_DUPLICATE:
                        outside.setdefault(find(aid), label)
                        break
                if find(aid) in outside:
                    break
    for aid in batch:
        root = find(aid)
        labels[aid] = outside.get(root, root)
    return labels


def labels_for(articles: Iterable[Article]) -> dict[str, str]:
    """Cluster labels for articles that are all new (a full rebuild)."""
    return cluster_labels({a.id: article_fingerprints(a.paragraphs) for a in articles})
