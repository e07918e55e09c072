"""Searching the seed article: ranking, syntax, suggestions, snippets, paging, grouping."""

from __future__ import annotations

from typing import Any

import pytest

from indexer import QueryError
from indexer.engine import SearchEngine
from indexer.models import Hit

from .conftest import SEED_ID


def top(engine: SearchEngine, query: str, **kw: Any) -> Hit:
    page = engine.search(query, **kw)
    assert page.hits, f"no hits for {query!r}"
    return page.hits[0]


def texts(engine: SearchEngine, query: str) -> list[str]:
    return [h.text for h in engine.search(query, per_page=100).hits]


def test_fuel_prices_ranks_a_body_paragraph_about_the_rise_first(engine: SearchEngine) -> None:
    page = engine.search("fuel prices")
    first = page.hits[0]
    assert first.kind == "body"
    assert "fuel" in first.text and "price" in first.text
    assert "doubl" in first.text  # "roughly doubled" / "near-doubling": the rise itself
    assert "<mark>fuel</mark>" in first.snippet_html and "<mark>prices</mark>" in first.snippet_html
    heading = next(h for h in page.hits if h.kind == "heading")
    assert heading.text == "Protests expand beyond anger over fuel prices"
    assert page.hits.index(heading) > 0


def test_paragraphs_with_every_word_rank_above_those_with_some(engine: SearchEngine) -> None:
    hits = engine.search("fuel prices", per_page=100).hits
    both = [("fuel" in h.text.lower() and "price" in h.text.lower()) for h in hits]
    assert both == sorted(both, reverse=True)
    assert both.count(False) >= 1  # "rising gas prices" still found: OR, not AND


def test_missing_word_does_not_empty_the_results(engine: SearchEngine) -> None:
    assert engine.search("fuel zanzibar").total >= 1


def test_hit_knows_its_article_and_place(engine: SearchEngine) -> None:
    hit = top(engine, '"Shal ket"')
    assert hit.article_id == SEED_ID
    assert hit.title == "Russian troops move to put down violent uprising in Kazakhstan"
    assert "Nazarbayev" in hit.text
    assert (hit.paragraph_no, hit.paragraph_count) == (53, 56)
    assert hit.heading == "Anger directed at first president"


@pytest.mark.parametrize(
    ("query", "must_contain"),
    [
        ("Kazakhstan's", "Kazakhstan"),
        ("US", "U.S."),
        ("U.S.", "U.S."),
        ("2,298", "2,298"),
        ("Nur-Sultan", "Nur-Sultan"),
        ('"Nur Sultan"', "Nur-Sultan"),
        ("Sultan", "Nur-Sultan"),
        ("CSTO's", "CSTO"),
        ("protest", "protesters"),
    ],
)
def test_news_tokens_are_found(engine: SearchEngine, query: str, must_contain: str) -> None:
    assert any(must_contain in t for t in texts(engine, query))


def test_phrase_query_needs_the_words_together(engine: SearchEngine) -> None:
    assert len(texts(engine, '"state of emergency"')) == 1
    assert texts(engine, '"emergency state"') == []


def test_exclusion(engine: SearchEngine) -> None:
    found = texts(engine, "protesters -almaty")
    assert found and all("almaty" not in t.lower() for t in found)
    assert len(found) < len(texts(engine, "protesters"))


def test_field_query(engine: SearchEngine) -> None:
    assert (
        engine.search("title:uprising").total == engine.stats().paragraphs - 3
    )  # not the boilerplate
    assert engine.search("title:bitcoin").total == 0
    assert engine.search("kind:caption").total == 3


def test_prefix_query_expands_against_real_words(engine: SearchEngine) -> None:
    found = texts(engine, "protester*")  # -> protesters -> stem "protest"
    assert found and all("protest" in t.lower() for t in found)
    assert any("protesters" in t for t in found)
    assert texts(engine, "zzzq*") == []
    assert len(texts(engine, "kazakh*")) > len(texts(engine, "kazakhs"))


def test_fuzzy_query_works_on_the_stemmed_field(engine: SearchEngine) -> None:
    assert any("Kazakhstan" in t for t in texts(engine, "kazakstan~"))
    assert any("protesters" in t for t in texts(engine, "protestors~"))


def test_boilerplate_is_never_searchable(engine: SearchEngine) -> None:
    assert engine.search('"files from reuters"').total == 0
    assert engine.search("duration").total == 0


def test_headings_and_captions_rank_below_body_with_the_same_match(make_engine: Any) -> None:
    same = "Tanker drivers strike over diesel rations"
    e = make_engine(
        {"a.txt": f"Roads quiet\n\n{same}\n\n{same} again.\n\n{same}. (Jo Bloggs/Reuters)\n"}
    )
    e.reindex()
    kinds = [h.kind for h in e.search("diesel rations").hits]
    assert kinds == ["body", "caption", "heading"]


def test_identical_paragraphs_collapse_into_the_best_with_a_count(make_engine: Any) -> None:
    wire = "Oil prices rose two dollars on Monday after the pipeline closed, traders said."
    e = make_engine(
        {f"outlet{n}.txt": f"Story {n}\n\nOil tanker news\n\n{wire}\n" for n in range(4)}
    )
    e.reindex()
    page = e.search("pipeline")
    assert [(h.text, h.similar) for h in page.hits] == [(wire, 3)]
    assert page.total == 4 and page.articles == 4 and page.pages == 1
    expanded = e.search("pipeline", collapse_similar=False)
    assert len(expanded.hits) == 4 and all(h.similar == 0 for h in expanded.hits)


@pytest.mark.parametrize("query", ["kazakstan", "Kazakstan"])
def test_did_you_mean(engine: SearchEngine, query: str) -> None:
    assert engine.search(query).corrected_query == "kazakhstan"


def test_did_you_mean_keeps_the_rest_of_the_query(engine: SearchEngine) -> None:
    assert engine.search("protestors clash").corrected_query == "protesters clash"
    assert engine.search("fuel prices").corrected_query is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unclosed phrase', "unbalanced quote"),
        ("(fuel prices", "never closed"),
        ("fuel)", "no matching"),
        ("colour:red", "unknown field 'colour'"),
        ("fuel AND", "AND/OR/NOT"),
        ("x" * 1001, "limit is 1000"),
        ("*", "at least 2 letters before"),
        ("a*", "at least 2 letters before"),
        ("?*?", "at least 2 letters before"),
        ("(" * 30 + "fuel" + ")" * 30, "nest deeper than 20"),
        (" ".join(["ab"] * 201), "the limit is 200"),
    ],
)
def test_strict_mode_says_what_to_fix(engine: SearchEngine, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        engine.search(query, strict=True)


@pytest.mark.parametrize(
    "query", ['"fuel prices', "(fuel prices", "colour:fuel", "fuel OR", "x" * 1001]
)
def test_lenient_mode_never_raises_and_says_so(engine: SearchEngine, query: str) -> None:
    page = engine.search(query)
    assert page.notice
    if len(query) < 1000:
        assert page.total > 0


def test_stop_words_only_query(engine: SearchEngine) -> None:
    page = engine.search("the of and")
    assert page.total == 0 and "common words" in (page.notice or "")


def test_snippet_escapes_document_text(make_engine: Any) -> None:
    e = make_engine(
        {"x.txt": 'Evil <b>title</b>\n\nA <script>alert("x")</script> payload about fuel.\n'}
    )
    e.reindex()
    hit = top(e, "fuel")
    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html
    assert "<mark>fuel</mark>" in hit.snippet_html
    assert (
        hit.text == 'A <script>alert("x")</script> payload about fuel.'
    )  # raw text, for callers to escape


def test_long_paragraphs_get_fragments_around_matches(make_engine: Any) -> None:
    filler = " ".join(f"word{n}" for n in range(200))
    e = make_engine(
        {"long.txt": f"Long\n\n{filler} the pipeline exploded near the border {filler}\n"}
    )
    e.reindex()
    html = top(e, "pipeline").snippet_html
    assert "<mark>pipeline</mark>" in html
    assert html.startswith("\u2026") and html.endswith("\u2026")
    assert len(html) < 500


def test_paging(engine: SearchEngine) -> None:
    first = engine.search("protesters", per_page=2, page=1)
    second = engine.search("protesters", per_page=2, page=2)
    assert first.pages == -(-first.total // 2) and first.pages >= 3
    assert {h.paragraph_no for h in first.hits}.isdisjoint({h.paragraph_no for h in second.hits})
    last = engine.search("protesters", per_page=2, page=10_000)
    assert last.page <= 10_000 and not last.hits  # past the end: empty, not an error
    assert engine.search("protesters", per_page=10_000).per_page == 100


def test_per_article_collapses_and_counts(make_engine: Any) -> None:
    e = make_engine(
        {
            "a.txt": "Oil news\n\nOil rose.\n\nOil fell.\n\nOil steady.\n",
            "b.txt": "More oil\n\nOil again.\n",
            "c.txt": "Sport\n\nNothing here.\n",
        }
    )
    e.reindex()
    grouped = e.search("oil", per_article=1)
    assert grouped.grouped and grouped.articles == 2
    assert grouped.total == 6  # every matching paragraph is counted
    assert [h.article_id for h in grouped.hits] == sorted(
        {h.article_id for h in grouped.hits}, key=[h.article_id for h in grouped.hits].index
    )
    assert len(grouped.hits) == 2
    others = {h.article_id: h.other_matches for h in grouped.hits}
    assert others == {"a": 3, "b": 1}


def test_article_view_has_every_paragraph(engine: SearchEngine) -> None:
    article = engine.article(SEED_ID)
    assert article is not None
    assert len(article.paragraphs) == 56
    assert (
        article.paragraphs[4].kind == "boilerplate" and article.paragraphs[4].text == "1 year ago"
    )
    assert engine.article("no/such/article") is None
    marked = engine.highlight_article(article, "fuel")
    assert "<mark>fuel</mark>" in marked[54]
    assert marked[4] == "1 year ago"


def test_results_are_plain_dataclasses(engine: SearchEngine) -> None:
    page = engine.search("troops")
    data = page.to_dict()
    assert set(data["hits"][0]) >= {
        "article_id",
        "title",
        "paragraph_no",
        "kind",
        "heading",
        "score",
        "text",
        "snippet_html",
    }
    with pytest.raises(AttributeError):
        page.hits[0].score = 1.0  # type: ignore[misc]


def news_engine(make_engine: Any) -> SearchEngine:
    def story(title: str, date: str, source: str, section: str, body: str, places: str = "") -> str:
        return f"---\ntitle: {title}\ndate: {date}\nsource: {source}\nsection: {section}\n---\n{body}\n"

    wire = "Crude oil prices jumped on Monday after the pipeline shut, traders in London said."
    e = make_engine(
        {
            "a.md": story("Oil jumps", "2022-01-03", "Reuters", "business", wire),
            "b.md": story("Oil jumps again", "2022-01-03", "CBC", "business", wire),
            "c.md": story(
                "Oil slides",
                "2022-02-14",
                "CBC",
                "business",
                "Oil prices fell as the pipeline reopened and supply returned.",
            ),
            "d.md": story(
                "Cup final",
                "2021-06-20",
                "BBC",
                "sport",
                "The final was played in heavy rain; oil on the pitch.",
            ),
            "e.md": story("Undated oil", "", "BBC", "tech", "Oil-based plastics in phones."),
        }
    )
    e.reindex()
    return e


def test_filters_in_the_query_and_as_arguments_agree(make_engine: Any) -> None:
    e = news_engine(make_engine)

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
    e = news_engine(make_engine)
    with pytest.raises(QueryError, match="YYYY, YYYY-MM or YYYY-MM-DD"):
        e.search("oil date:last-week", strict=True)
    assert "Filters were ignored" in (e.search("oil date:last-week").notice or "")


def test_sort_by_date(make_engine: Any) -> None:
    e = news_engine(make_engine)
    newest = [
        h.date for h in e.search("oil", per_article=1, sort="newest", collapse_similar=False).hits
    ]
    assert [d for d in newest if d] == sorted([d for d in newest if d], reverse=True)
    oldest = [
        h.date
        for h in e.search("oil", per_article=1, sort="oldest", collapse_similar=False).hits
        if h.date
    ]
    assert oldest == sorted(oldest)
    with pytest.raises(QueryError, match="sort must be one of"):
        e.search("oil", sort="sideways")


def test_facets_and_coverage(make_engine: Any) -> None:
    e = news_engine(make_engine)
    page = e.search("oil", per_article=1, facets=True)
    assert {f.value: f.count for f in page.facet("source")} == {"CBC": 2, "Reuters": 1, "BBC": 2}
    assert {f.value: f.count for f in page.facet("section")} == {
        "business": 3,
        "sport": 1,
        "tech": 1,
    }
    assert {f.value: f.count for f in page.facet("year")} == {"2021": 1, "2022": 3}
    assert page.coverage[0].unit == "month"
    assert sum(b.count for b in page.coverage) == 4  # dated articles only
    assert [b.label for b in page.coverage][:2] == ["2021-06", "2021-07"]
    jan = next(b for b in page.coverage if b.label == "2022-01")
    assert (jan.start, jan.end, jan.count) == ("2022-01-01", "2022-01-31", 2)
    assert page.to_dict()["facets"]["source"][0]["count"] == 2


def test_near_duplicate_articles_collapse_when_grouped(make_engine: Any) -> None:
    e = news_engine(make_engine)
    grouped = e.search("pipeline", per_article=1)
    assert len(grouped.hits) == 2  # a and b are copies: one shown, "and 1 similar"
    copy = next(h for h in grouped.hits if h.article_id in {"a", "b"})
    assert copy.similar == 1 and copy.dup == "a"
    assert e.search("dup:a", per_article=1, collapse_similar=False).articles == 2


def test_related_articles_leave_out_copies(make_engine: Any) -> None:
    e = news_engine(make_engine)
    related = e.related("a")
    assert related and related[0].article_id == "c"
    assert all(h.article_id not in {"a", "b"} for h in related)
    assert e.related("nope") == ()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export(make_engine: Any, fmt: str) -> None:
    import csv
    import io
    import json

    e = news_engine(make_engine)
    out = e.export("oil", fmt=fmt, limit=3, per_article=1)
    if fmt == "json":
        data = json.loads(out)
        assert data["query"] == "oil" and data["count"] == 3 and data["exported"]
        assert [h["rank"] for h in data["hits"]] == [1, 2, 3]
    else:
        lines = out.splitlines()
        assert lines[0] == "# query: oil" and lines[1].startswith("# exported: ")
        rows = list(
            csv.DictReader(
                io.StringIO("\n".join(line for line in lines if not line.startswith("#")))
            )
        )
        assert len(rows) == 3 and rows[0]["rank"] == "1"
    with pytest.raises(QueryError, match="export format"):
        e.export("oil", fmt="xlsx")


def test_snippets_can_be_skipped_for_bulk_runs(engine: SearchEngine) -> None:
    with_snippets = engine.search("fuel prices")
    without = engine.search("fuel prices", snippets=False)
    assert [h.paragraph_no for h in without.hits] == [h.paragraph_no for h in with_snippets.hits]
    assert all(h.snippet_html == "" for h in without.hits)
    assert all(h.snippet_html for h in with_snippets.hits)


def test_plain_word_queries_skip_the_parser_with_the_same_tree(engine: SearchEngine) -> None:
    """plain_tree must build exactly what Whoosh's parser builds, or decline."""
    import random

    from indexer.parsing import _parser, plain_tree

    rng = random.Random(5)
    vocabulary = [
        "fuel",
        "Prices",
        "the",
        "of",
        "Kazakhstan",
        "protesters",
        "AND",
        "or",
        "NOT",
        "U.S.",
        "Nur-Sultan",
        "2,298",
        "don't",
        "prot*",
        "kazakstan~",
        "élan",
        "a",
    ]
    declined = 0
    with engine._searcher() as s:
        parser = _parser(s, engine.config)
        for _ in range(300):
            text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 5)))
            fast = plain_tree(text, engine.config)
            if fast is None:
                declined += 1
                continue
            # repr, not ==: Whoosh's Or([]) is falsy, so it never equals another Or([])
            assert repr(fast) == repr(parser.parse(text, normalize=False)), text
    assert 0 < declined < 300
    assert plain_tree("fuel prices", engine.config) is not None
    assert plain_tree("fuel AND prices", engine.config) is None
