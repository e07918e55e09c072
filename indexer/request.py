"""SearchRequest: every parameter of a search, declared and checked once.

The engine's keyword arguments, the CLI's options, the web form and the
result cache's key are all this one frozen, hashable dataclass, so a new
parameter is added here and nowhere else, and can never be left out of the
cache key. Sorts are a registry (:data:`SORTS`) read by the CLI, the web form
and the docs, as filters are (:data:`indexer.filters.FILTERS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from . import filters as filter_registry
from .errors import QueryError
from .text import clean_text

if TYPE_CHECKING:
    from .config import IndexConfig


@dataclass(frozen=True)
class Choice:
    """One entry of a registry of named choices: its name, its label in the web form, its help."""

    name: str
    label: str
    help: str


#: The orders results can come in.
SORTS: tuple[Choice, ...] = (
    Choice("relevance", "Best match", "paragraphs holding every word first, then by BM25 score"),
    Choice("newest", "Newest first", "by the article's date, newest first"),
    Choice("oldest", "Oldest first", "by the article's date, oldest first"),
)
SORT_NAMES: tuple[str, ...] = tuple(s.name for s in SORTS)


#: How a query is matched (``search(..., mode=...)``, ``--mode``, the web form's control).
MODES: tuple[Choice, ...] = (
    Choice("lexical", "Words", "by the query's words (BM25)"),
    Choice(
        "hybrid",
        "Words and meaning",
        "by the query's words and by meaning: BM25 fused with static e5 vectors",
    ),
    Choice(
        "semantic",
        "Meaning",
        "by meaning: the candidates of words and their nearest terms, ranked by cosine",
    ),
)
MODE_NAMES: tuple[str, ...] = tuple(m.name for m in MODES)
#: The mode a search uses unless told (docs/RELEVANCE.md, "Search by meaning", says why).
DEFAULT_MODE = "hybrid"


#: The trends' periods (``engine.trends``, ``manage.py trends --interval``, the /trends form).
INTERVALS: tuple[Choice, ...] = (
    Choice("day", "Day", "one point per calendar day"),
    Choice("week", "Week", "ISO weeks, Monday to Sunday (labelled 1987-W10)"),
    Choice("month", "Month", "calendar months (labelled 1987-03)"),
    Choice("year", "Year", "calendar years"),
)
INTERVAL_NAMES: tuple[str, ...] = tuple(i.name for i in INTERVALS)


@dataclass(frozen=True)
class SearchRequest:
    """One search. Build it with :meth:`of` to give filters as keywords (``source="cbc"``).

    ``per_article=1`` returns the best paragraph per article (``hit.other_matches``
    counts the rest); ``collapse_similar`` folds identical paragraphs, and
    near-duplicate articles when grouped, into the best copy (``hit.similar``);
    ``facets`` adds counts by source, section, place and year and the coverage
    histogram; ``snippets=False`` skips building ``snippet_html``; ``expand``
    adds pseudo-relevance feedback terms (RM3, the ``feedback_*`` settings);
    ``exact_counts`` counts every match even beyond ``count_limit`` (slower on
    a large archive: every matching paragraph is read);
    ``strict`` raises QueryError for a query that does not parse instead of
    searching its words; ``since`` (a date-time, or its ISO text) keeps only
    articles Byline first indexed after it ("new since", what feeds poll for);
    ``mode`` is how the query is matched (:data:`MODES`: words, words and
    meaning, or meaning; other sorts than relevance always match by words).
    """

    query: str = ""
    page: int = 1
    per_page: int = 10
    per_article: int | None = None
    strict: bool = False
    sort: str = "relevance"
    facets: bool = False
    collapse_similar: bool = True
    snippets: bool = True
    expand: bool = False
    exact_counts: bool = False
    filters: tuple[tuple[str, str], ...] = ()
    since: datetime | None = None
    mode: str = DEFAULT_MODE

    def __post_init__(self) -> None:
        if self.since is not None:
            object.__setattr__(self, "since", parse_since(self.since))
        if not isinstance(self.query, str):
            raise QueryError(f"the query must be text, not {type(self.query).__name__}")
        # the query in the documents' Unicode form (and the cache key with it)
        object.__setattr__(self, "query", clean_text(self.query))
        for name in ("page", "per_page"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise QueryError(f"{name} must be a whole number of at least 1, not {value!r}")
        if self.per_article is not None and (
            isinstance(self.per_article, bool)
            or not isinstance(self.per_article, int)
            or self.per_article < 1
        ):
            raise QueryError(f"per_article must be None or at least 1, not {self.per_article!r}")
        for name in ("strict", "facets", "collapse_similar", "snippets", "expand", "exact_counts"):
            if not isinstance(getattr(self, name), bool):
                raise QueryError(f"{name} must be True or False, not {getattr(self, name)!r}")
        if self.sort not in SORT_NAMES:
            raise QueryError(f"sort must be one of {', '.join(SORT_NAMES)}, not {self.sort!r}")
        if self.mode not in MODE_NAMES:
            raise QueryError(f"mode must be one of {', '.join(MODE_NAMES)}, not {self.mode!r}")
        object.__setattr__(self, "filters", filter_registry.normalize(tuple(self.filters)))

    @property
    def since_seconds(self) -> int | None:
        """``since`` in seconds since the epoch (how first-seen times are kept), or None."""
        return int(self.since.timestamp()) if self.since is not None else None

    @classmethod
    def of(cls, query: str | SearchRequest = "", **options: Any) -> SearchRequest:
        """A request from a query (or a request to change) and keyword options.

        Options are the fields above plus one keyword per filter
        (``date="1987-03"``, ``source="reuters"``; None leaves a filter out).
        """
        base = query if isinstance(query, SearchRequest) else cls(query)
        names = {f.name for f in fields(cls)}
        changes: dict[str, Any] = {}
        given = dict(base.filters)
        for key, value in options.items():
            if key in names:
                changes[key] = value
            elif key in filter_registry.BY_NAME:
                given[key] = value
            else:
                raise TypeError(
                    f"unknown search option {key!r}; options are {', '.join(sorted(names))} "
                    f"and the filters {', '.join(filter_registry.FILTER_NAMES)}"
                )
        if "filters" not in changes:
            changes["filters"] = tuple(given.items())
        return replace(base, **changes)

    def filter(self, name: str) -> str | None:
        """The value of one filter given in the request (not in the query text), or None."""
        return dict(self.filters).get(name)

    @property
    def grouped(self) -> bool:
        return self.per_article is not None

    def bounded(self, config: IndexConfig) -> SearchRequest:
        """The request within the configured limits: page size and the deepest page."""
        per_page = min(self.per_page, config.max_per_page)
        page = min(self.page, max(1, config.max_results // per_page))
        if (page, per_page) == (self.page, self.per_page):
            return self
        return replace(self, page=page, per_page=per_page)

    def options(self) -> dict[str, Any]:
        """The fields that differ from the defaults, filters by name (for export headers)."""
        out: dict[str, Any] = {}
        default = SearchRequest()
        for f in fields(self):
            if f.name in ("query", "filters"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            if value != getattr(default, f.name):
                out[f.name] = value
        out.update(self.filters)
        return out


_SINCE_HELP = "use an ISO date-time such as 2026-12-01T09:30:00Z or a date such as 2026-12-01"


def parse_since(value: object) -> datetime:
    """A ``since`` value as an aware UTC date-time (naive text or values count as UTC).

    QueryError, saying what to write, for anything else.
    """
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, date):
        found = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[0-9T:.+\-Z ]{4,40}", text, re.IGNORECASE):
            raise QueryError(f"cannot read since={text[:40]!r}: {_SINCE_HELP}")
        try:
            found = datetime.fromisoformat(text.upper().replace(" ", "T"))
        except ValueError:
            raise QueryError(f"cannot read since={text[:40]!r}: {_SINCE_HELP}") from None
    else:
        raise QueryError(f"since must be a date-time, not {type(value).__name__}: {_SINCE_HELP}")
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    try:
        return found.astimezone(UTC)
    except (OverflowError, ValueError):
        raise QueryError(f"since={value!s:.40} is out of range: {_SINCE_HELP}") from None
