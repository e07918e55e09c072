"""The query language: strict and lenient parsing, expansion against the vocabulary, did you mean."""

from __future__ import annotations

import re

import pytest

from indexer import QueryError
from indexer.engine import SearchEngine
from indexer.parsing import check_syntax, parse, plain_words, positive_terms

from .conftest import texts


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


def test_prefix_query_expands_against_real_words(engine: SearchEngine) -> None:
    found = texts(engine, "protester*")  # -> protesters -> stem "protest"
    assert found and all("protest" in t.lower() for t in found)
    assert any("protesters" in t for t in found)
    assert texts(engine, "zzzq*") == []
    assert len(texts(engine, "kazakh*")) > len(texts(engine, "kazakhs"))


def test_fuzzy_query_works_on_the_stemmed_field(engine: SearchEngine) -> None:
    assert any("Kazakhstan" in t for t in texts(engine, "kazakstan~"))
    assert any("protesters" in t for t in texts(engine, "protestors~"))


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ('"open phrase', "unbalanced quote"),
        ("(fuel", "is never closed"),
        ("fuel)", "has no matching ("),
        ("colour:red", "unknown field 'colour'"),
        ("a*", "at least 2 letters"),
        ("fuel AND", "needs a word on each side"),
        ("OR fuel", "needs a word on each side"),
        ("(" * 21 + "x" + ")" * 21, "nest deeper"),
    ],
)
def test_check_syntax_names_what_to_fix(text: str, fix: str) -> None:
    with pytest.raises(QueryError, match=re.escape(fix)):
        check_syntax(text)


def test_check_syntax_accepts_the_query_language() -> None:
    for text in (
        '"fuel prices" -gas',
        "title:oil OR text:crude",
        "protest*",
        "kazakstan~",
        "(a OR b) c",
    ):
        check_syntax(text)
    with pytest.raises(QueryError, match="the limit is 3"):
        check_syntax("one two three four", max_terms=3)


def test_plain_words_drops_every_operator_character() -> None:
    assert plain_words('"fuel (prices)" -gas: title:x*') == "fuel prices gas title x"


def test_positive_terms_leave_out_excluded_words(engine: SearchEngine) -> None:
    with engine._searcher() as s:
        parsed = parse(s, "fuel prices -russia", engine.config)
    assert {"fuel", "price"} <= parsed.terms
    assert "russia" not in parsed.terms and positive_terms(parsed.query) == set(parsed.terms)
