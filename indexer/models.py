"""Plain, frozen data that flows out of the library: no Whoosh object ever escapes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

ParagraphKind = Literal["headline", "heading", "body", "caption", "boilerplate"]


@dataclass(frozen=True)
class Kind:
    """One kind of paragraph: what paragraphs.py decides, what the UI calls it."""

    name: ParagraphKind
    label: str
    searchable: bool
    help: str


#: Every paragraph kind, in the order the docs and the UI list them.
KINDS: tuple[Kind, ...] = (
    Kind("headline", "Headline", True, "the article's title; always paragraph 1"),
    Kind("heading", "Section heading", True, "a subhead inside the article"),
    Kind("body", "Body text", True, "the story itself"),
    Kind("caption", "Photo caption", True, "a caption with its credit"),
    Kind(
        "boilerplate", "Boilerplate", False, "page furniture: shown in the article, never searched"
    ),
)
KIND_NAMES: tuple[ParagraphKind, ...] = tuple(k.name for k in KINDS)
SEARCHABLE_KINDS: frozenset[str] = frozenset(k.name for k in KINDS if k.searchable)


def paragraph_kind(name: str) -> ParagraphKind:
    """``name`` as a kind, or ValueError (values read back from an index are checked once)."""
    if name not in KIND_NAMES:
        raise ValueError(f"unknown paragraph kind {name!r}")
    return name  # checked against KIND_NAMES above


@dataclass(frozen=True)
class Paragraph:
    """One numbered paragraph of an article: the unit Byline indexes and ranks."""

    article_id: str
    no: int
    kind: ParagraphKind
    text: str
    heading: str | None = None

    @property
    def searchable(self) -> bool:
        return self.kind in SEARCHABLE_KINDS


@dataclass(frozen=True)
class Article:
    """A source document. ``body`` is the raw text; ``paragraphs`` is filled once split."""

    id: str
    title: str
    body: str = ""
    path: str = ""
    date: str | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    dateline: str | None = None
    paragraphs: tuple[Paragraph, ...] = ()
    content_hash: str = ""

    def meta(self) -> dict[str, Any]:
        """The article's metadata as plain JSON values (tuples as lists, the hash as ``hash``).

        What the index stores with an article and :meth:`from_meta` reads back:
        one list of fields, taken from the dataclass itself.
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in _NOT_META:
                continue
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        out["hash"] = self.content_hash
        return out

    @classmethod
    def from_meta(
        cls,
        article_id: str,
        meta: Mapping[str, Any],
        paragraphs: tuple[Paragraph, ...] = (),
    ) -> Article:
        """The article :meth:`meta` described; unknown keys are ignored, missing ones default."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in _NOT_META or f.name not in meta:
                continue
            value = meta[f.name]
            values[f.name] = tuple(value or ()) if isinstance(f.default, tuple) else value
        body = "\n\n".join(p.text for p in paragraphs if p.kind != "headline")
        return cls(
            id=article_id,
            body=body,
            paragraphs=paragraphs,
            content_hash=str(meta.get("hash") or ""),
            **values,
        )


#: Article fields that are not metadata (the text, the split, the digest).
_NOT_META = frozenset({"id", "body", "paragraphs", "content_hash"})


@dataclass(frozen=True)
class Hit:
    """One ranked paragraph, copied out of the index before its searcher closed."""

    article_id: str
    title: str
    paragraph_no: int
    paragraph_count: int
    kind: str
    heading: str | None
    score: float
    text: str
    snippet_html: str
    other_matches: int = 0
    date: str | None = None
    source: str | None = None
    section: str | None = None
    similar: int = 0
    dup: str | None = None
    #: Found by meaning alone: no word of the query is in the paragraph or its title.
    meaning: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "paragraph_no": self.paragraph_no,
            "paragraph_count": self.paragraph_count,
            "kind": self.kind,
            "heading": self.heading,
            "score": round(self.score, 6),
            "text": self.text,
            "snippet_html": self.snippet_html,
            "other_matches": self.other_matches,
            "date": self.date,
            "source": self.source,
            "section": self.section,
            "similar": self.similar,
            "dup": self.dup,
            "meaning": self.meaning,
        }


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet and how many matching articles have it."""

    value: str
    count: int


@dataclass(frozen=True)
class Bucket:
    """One bar of the coverage chart: matching articles from ``start`` to ``end``."""

    label: str
    start: str
    end: str
    unit: str
    count: int


@dataclass(frozen=True)
class SearchPage:
    """One page of results plus what the user needs to read it honestly."""

    query: str
    total: int
    articles: int
    page: int
    pages: int
    per_page: int
    hits: tuple[Hit, ...]
    corrected_query: str | None = None
    notice: str | None = None
    grouped: bool = False
    took_ms: float = 0.0
    sort: str = "relevance"
    filters: tuple[tuple[str, str], ...] = ()
    facets: tuple[tuple[str, tuple[FacetValue, ...]], ...] = ()
    coverage: tuple[Bucket, ...] = ()
    #: False when ``total`` is only a lower bound: more than ``count_limit`` paragraphs match
    #: (ask ``exact_counts=True`` to count them all); ``articles`` then counts those found so far.
    total_exact: bool = True
    #: Set when part of a clustered archive did not answer: which part the page lacks.
    partial: str | None = None
    #: The first and last date of the matching articles (with facets; None if none is dated).
    first_date: str | None = None
    last_date: str | None = None

    def facet(self, name: str) -> tuple[FacetValue, ...]:
        return dict(self.facets).get(name, ())

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "total": self.total,
            "total_exact": self.total_exact,
            "partial": self.partial,
            "articles": self.articles,
            "page": self.page,
            "pages": self.pages,
            "per_page": self.per_page,
            "grouped": self.grouped,
            "corrected_query": self.corrected_query,
            "notice": self.notice,
            "took_ms": round(self.took_ms, 2),
            "sort": self.sort,
            "filters": dict(self.filters),
            "facets": {
                name: [{"value": v.value, "count": v.count} for v in values]
                for name, values in self.facets
            },
            "coverage": [
                {"label": b.label, "start": b.start, "end": b.end, "unit": b.unit, "count": b.count}
                for b in self.coverage
            ],
            "first_date": self.first_date,
            "last_date": self.last_date,
            "hits": [h.to_dict() for h in self.hits],
        }


@dataclass(frozen=True)
class Skip:
    """A file reindex did not index, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class IndexStats:
    """What a reindex did, or (from ``stats()``) what the index holds."""

    articles: int
    paragraphs: int
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: tuple[Skip, ...] = ()
    #: Files indexed with a caveat (an encoding guessed, a date unreadable).
    warnings: tuple[Skip, ...] = ()
    ignored: int = 0
    seconds: float = 0.0
    generation: str = ""
    last_reindex: str | None = None
    full: bool = False

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("skipped", "warnings"):
                value = [{"path": s.path, "reason": s.reason} for s in value]
            elif f.name == "seconds":
                value = round(value, 3)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], **changes: Any) -> IndexStats:
        """Stats saved by :meth:`to_dict` (unknown keys ignored, damaged values defaulted)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            raw = data[f.name]
            try:
                if f.name in ("skipped", "warnings"):
                    values[f.name] = tuple(Skip(str(d["path"]), str(d["reason"])) for d in raw)
                elif f.type in ("int", "float", "bool", "str"):
                    values[f.name] = {"int": int, "float": float, "bool": bool, "str": str}[f.type](
                        raw
                    )
                else:
                    values[f.name] = raw
            except (TypeError, ValueError, KeyError):
                continue
        values.update(changes)
        return cls(
            articles=int(values.pop("articles", 0)),
            paragraphs=int(values.pop("paragraphs", 0)),
            **values,
        )


__all__ = [
    "KINDS",
    "KIND_NAMES",
    "SEARCHABLE_KINDS",
    "Article",
    "Bucket",
    "FacetValue",
    "Hit",
    "IndexStats",
    "Kind",
    "Paragraph",
    "ParagraphKind",
    "SearchPage",
    "Skip",
]


@dataclass(frozen=True)
class TrendPoint:
    """One period of a trend: matching articles, all articles dated in it, and their share.

    ``share`` is None for a period without any article (a gap, not a zero).
    """

    period: str
    start: str
    end: str
    matches: int
    total: int
    share: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "period": self.period,
            "matches": self.matches,
            "total": self.total,
            "share": None if self.share is None else round(self.share, 6),
        }


@dataclass(frozen=True)
class TrendSeries:
    """One query's points, every period of the range in order; ``notice`` as on a SearchPage."""

    query: str
    points: tuple[TrendPoint, ...]
    notice: str | None = None

    @property
    def matches(self) -> int:
        return sum(p.matches for p in self.points)

    def to_dict(self) -> dict[str, object]:
        return {"query": self.query, "points": [p.to_dict() for p in self.points]}


@dataclass(frozen=True)
class Trends:
    """Several queries' matching articles per period (``engine.trends``).

    ``normalized``: whether the share (True) or the count (False) is the value to show.
    """

    interval: str
    normalized: bool
    series: tuple[TrendSeries, ...]

    @property
    def periods(self) -> tuple[str, ...]:
        return tuple(p.period for p in self.series[0].points) if self.series else ()

    def to_dict(self) -> dict[str, object]:
        return {"interval": self.interval, "series": [s.to_dict() for s in self.series]}


@dataclass(frozen=True)
class HitStream:
    """A whole result set, read as it is iterated (``engine.iter_hits``): ``total`` hits to come.

    Iterate it once, on the thread that made it, before that thread searches again.
    """

    total: int
    hits: Iterator[Hit]

    def __iter__(self) -> Iterator[Hit]:
        return self.hits


@dataclass(frozen=True)
class BatchRow:
    """One line of a batch search (``engine.batch``): its counts and best article, or its error."""

    query: str
    paragraphs: int = 0
    articles: int = 0
    first_date: str | None = None
    last_date: str | None = None
    best_article_id: str | None = None
    best_title: str | None = None
    error: str | None = None
    #: False when ``paragraphs`` is a lower bound ("more than").
    exact: bool = True

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "paragraphs": self.paragraphs,
            "articles": self.articles,
            "first_date": self.first_date,
            "last_date": self.last_date,
            "best_article_id": self.best_article_id,
            "best_title": self.best_title,
            "error": self.error,
        }
