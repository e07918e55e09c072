"""SearchRequest: one frozen, validated, hashable request; the sorts registry."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest

from indexer import IndexConfig, QueryError
from indexer.request import SORT_NAMES, SORTS, SearchRequest


def test_of_folds_filter_keywords_into_the_request() -> None:
    r = SearchRequest.of("oil", page=2, source="Reuters", date="1987-03", tag=None)
    assert r.query == "oil" and r.page == 2
    assert r.filters == (("date", "1987-03"), ("source", "Reuters"))
    assert r.filter("source") == "Reuters" and r.filter("tag") is None
    assert SearchRequest.of(r, sort="newest").filters == r.filters  # changing keeps the rest


def test_requests_are_equal_and_hash_equal_whatever_the_filter_order() -> None:
    a = SearchRequest.of("oil", source="cbc", date="2022")
    b = SearchRequest("oil", filters=(("source", "cbc"), ("date", "2022")))
    assert a == b and hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.page = 3  # type: ignore[misc]


def test_every_field_changes_the_cache_key() -> None:
    """A new parameter is part of the key by construction: the key is the request."""
    base = SearchRequest("oil")
    changed = {
        "query": "gas",
        "page": 2,
        "per_page": 20,
        "per_article": 1,
        "strict": True,
        "sort": "newest",
        "facets": True,
        "collapse_similar": False,
        "snippets": False,
        "expand": True,
        "exact_counts": True,
        "filters": (("source", "cbc"),),
        "since": "2026-12-01T09:30:00Z",
        "mode": "lexical",
    }
    assert set(changed) == {f.name for f in fields(SearchRequest)}, "add the new field here"
    for name, value in changed.items():
        other = replace(base, **{name: value})
        assert other != base and hash(other) != hash(base), name


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"page": 0}, "page must be"),
        ({"per_page": -1}, "per_page must be"),
        ({"page": "2"}, "page must be"),
        ({"per_article": 0}, "per_article must be"),
        ({"sort": "loudest"}, "sort must be one of relevance, newest, oldest"),
        ({"facets": "yes"}, "facets must be True or False"),
        ({"colour": "red"}, None),
        ({"filters": (("colour", "red"),)}, "unknown filter 'colour'"),
    ],
)
def test_bad_requests_say_what_is_wrong(options: dict[str, Any], message: str | None) -> None:
    if message is None:
        with pytest.raises(TypeError, match="unknown search option 'colour'"):
            SearchRequest.of("oil", **options)
        return
    with pytest.raises(QueryError, match=message):
        SearchRequest.of("oil", **options)


def test_bounded_keeps_to_the_configured_limits() -> None:
    config = IndexConfig(max_per_page=50, max_results=1000)
    r = SearchRequest("oil", page=500, per_page=80).bounded(config)
    assert (r.per_page, r.page) == (50, 20)
    same = SearchRequest("oil")
    assert same.bounded(config) is same


def test_options_lists_what_differs_from_the_defaults() -> None:
    r = SearchRequest.of("oil", sort="newest", per_article=1, source="cbc")
    assert r.options() == {"sort": "newest", "per_article": 1, "source": "cbc"}


def test_the_sorts_registry() -> None:
    assert SORT_NAMES == ("relevance", "newest", "oldest")
    assert all(s.label and s.help for s in SORTS)
