"""Search-as-you-type: completions of a prefix from the index's own words and article titles.

The words are the ``spell`` vocabulary (what did-you-mean and prefix queries
use: every unstemmed word indexed, weighted by how many paragraphs hold it;
stop words left out, since they are never searched); the titles are the
headlines of the live articles, weighted by how many paragraphs their
articles have. Both are read once per index generation into
sorted arrays (about a second on Reuters-21578's 67,000 words and 21,000
articles), so a suggestion is two binary searches and a partial sort over the
matching range: well under a millisecond (``bench/suggest.py``).

For ``oil pr`` the last word is completed after the others (``oil prices``),
and titles starting with the whole text are offered beside them.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass

import numpy as np
from whoosh.searching import Searcher

from .analysis import STOPWORDS
from .columns import doc_table, segment_readers
from .feeds import xml_chars
from .models import KIND_NAMES

#: Completions returned at most.
LIMIT = 10
#: Longest prefix looked up (longer input gets no suggestions, never an error).
MAX_PREFIX = 200


@dataclass(frozen=True)
class Vocabulary:
    """Sorted keys (lowercase) with what to show and their weights, for prefix lookups."""

    keys: list[str]
    shown: list[str]
    weights: np.ndarray

    def complete(self, prefix: str, limit: int) -> list[tuple[float, str]]:
        lo = bisect.bisect_left(self.keys, prefix)
        hi = bisect.bisect_left(self.keys, prefix + "\U0010ffff")
        if lo >= hi:
            return []
        weights = self.weights[lo:hi]
        if hi - lo > limit:
            best = np.argpartition(-weights, limit - 1)[:limit]
        else:
            best = np.arange(hi - lo)
        return [(float(weights[i]), self.shown[lo + int(i)]) for i in best.tolist()]


def _vocabulary(pairs: Counter[str]) -> Vocabulary:
    keys = sorted(pairs)
    return Vocabulary(keys, keys, np.asarray([pairs[k] for k in keys], dtype=np.float64))


@dataclass(frozen=True)
class Suggester:
    words: Vocabulary
    titles: Vocabulary

    def suggest(self, text: str, limit: int = LIMIT) -> list[str]:
        """Up to ``limit`` completions of ``text``, most paragraphs first (ties: alphabetical)."""
        text = " ".join(xml_chars(text).split()).lower()
        if not text or len(text) > MAX_PREFIX or limit < 1:
            return []
        head, _, last = text.rpartition(" ")
        found: dict[str, float] = {}
        if last and not text.endswith(" "):
            for weight, word in self.words.complete(last, limit):
                found[f"{head} {word}" if head else word] = weight
        for weight, title in self.titles.complete(text, limit):
            shown = title.lower()
            found[shown] = max(found.get(shown, 0.0), weight)
        ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
        return [s for s, _ in ranked[:limit]]


def build(searcher: Searcher) -> Suggester:
    """The suggestion tables of a searcher's index (read every leaf reader once)."""
    words: Counter[str] = Counter()
    for leaf, _ in segment_readers(searcher.reader()):
        for word, info in leaf.iter_field("spell"):
            text = word.decode("utf-8") if isinstance(word, bytes) else str(word)
            if text not in STOPWORDS:  # never searched, so never worth offering
                words[text] += int(info.weight())
    table = doc_table(searcher)
    headline = KIND_NAMES.index("headline")
    docs = np.flatnonzero(table.live & (table.kind == headline) & (table.article > 0))
    titles: Counter[str] = Counter()
    for docnum in docs.tolist():
        stored = searcher.stored_fields(docnum)
        title = " ".join(xml_chars(stored.get("title") or "").split())
        if title and len(title) <= MAX_PREFIX:
            titles[title.lower()] += int(stored.get("paragraph_count") or 1)
    return Suggester(_vocabulary(words), _vocabulary(titles))
