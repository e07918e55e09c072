"""Metadata filters: the registry, the query syntax, date ranges; the same filter from the query or as an argument."""

from __future__ import annotations

from typing import Any

import pytest

from indexer import QueryError, filters

from .conftest import dated_news_engine


def test_filters_in_the_query_and_as_arguments_agree(make_engine: Any) -> None:
    e = dated_news_engine(make_engine)

    def arts(**kw: Any) -> set[str]:
        return {
            h.article_id
            for h in e.search(
                kw.pop("q", "oil"), per_page=50, per_article=1, collapse_similar=False, **kw
            ).hits
        }

    assert arts(q="oil date:2022") == arts(date="2022") == {"a", "b", "c"}
    assert arts(q="oil date:2022-01-01..2022-01-31") == {"a", "b"}
    assert arts(q="oil date:>2021-12") == {"a", "b", "c"}
    assert arts(q="oil date:<2022") == {"d"}
    assert arts(q="oil source:cbc") == arts(source="CBC") == {"b", "c"}
    assert arts(q="oil section:sport") == {"d"}
    assert arts(q="section:business source:reuters") == {"a"}  # filters alone
    page = e.search("oil date:2022-01", per_article=1)
    assert dict(page.filters) == {"date": "2022-01"}


def test_bad_date_filter_says_what_to_write(make_engine: Any) -> None:
    e = dated_news_engine(make_engine)
    with pytest.raises(QueryError, match="YYYY, YYYY-MM or YYYY-MM-DD"):
        e.search("oil date:last-week", strict=True)
    assert "Filters were ignored" in (e.search("oil date:last-week").notice or "")


def test_the_registry_declares_each_filter_once_with_help() -> None:
    names = [f.name for f in filters.FILTERS]
    assert len(names) == len(set(names)) and tuple(names) == filters.FILTER_NAMES
    assert all(f.label and f.help and f.example for f in filters.FILTERS)
    assert [f.name for f in filters.PUBLIC_FILTERS] == [n for n in names if n != "dup"]


def test_extract_takes_filters_out_of_the_query_text() -> None:
    words, found = filters.extract('oil DATE:1987-03 source:"Reuters Ltd" -gas place:usa')
    assert words == "oil -gas"
    assert found == {"date": "1987-03", "source": "Reuters Ltd", "place": "usa"}
    assert filters.extract("title:oil kind:caption") == ("title:oil", {"kind": "caption"})
    assert filters.extract("headline:oil") == ("headline:oil", {})


def test_remove_and_with_value_edit_one_filter_only() -> None:
    q = 'oil source:cbc dup:"a b" date:2022'
    assert filters.remove(q, "source") == 'oil dup:"a b" date:2022'
    assert filters.with_value(q, "dup", "x/1") == "oil source:cbc date:2022 dup:x/1"
    assert filters.with_value("oil", "dup", "two words") == 'oil dup:"two words"'
    assert filters.in_query(q, "dup") and not filters.in_query("oil", "dup")


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        ("1987-03", ["1987-03-01", "1987-03-31"], ["1987-02-28", "1987-04-01"]),
        ("1987", ["1987-01-01", "1987-12-31"], ["1986-12-31", "1988-01-01"]),
        ("1987-03-01..1987-03-15", ["1987-03-01", "1987-03-15"], ["1987-03-16"]),
        ("..1987-03", ["1900-01-01", "1987-03-31"], ["1987-04-01"]),
        (">1987-03", ["1987-04-01"], ["1987-03-31"]),
        (">=1987-03", ["1987-03-01"], ["1987-02-28"]),
        ("<1987-03", ["1987-02-28"], ["1987-03-01"]),
        ("<=1987-03", ["1987-03-31"], ["1987-04-01"]),
    ],
)
def test_date_ranges(spec: str, inside: list[str], outside: list[str]) -> None:
    r = filters.date_range(spec)
    assert all(r.contains(d) for d in inside), r
    assert not any(r.contains(d) for d in outside), r


@pytest.mark.parametrize("spec", ["yesterday", "1987-3", "87", "1987-03-01..soon", ">"])
def test_unreadable_dates_say_what_to_write(spec: str) -> None:
    with pytest.raises(QueryError, match="use YYYY, YYYY-MM or YYYY-MM-DD"):
        filters.date_range(spec)


def test_normalize_orders_drops_empties_and_refuses_unknown_names() -> None:
    assert filters.normalize({"source": " cbc ", "date": "2022", "tag": "", "place": None}) == (
        ("date", "2022"),
        ("source", "cbc"),
    )
    with pytest.raises(QueryError, match="unknown filter 'colour'"):
        filters.normalize({"colour": "red"})
    assert filters.keyword_values("CBC, reuters ,") == ("cbc", "reuters")
