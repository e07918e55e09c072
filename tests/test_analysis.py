"""The analyzer: news tokens are cut so a reader's query finds them."""

from __future__ import annotations

import pickle

import pytest

from indexer.analysis import analyze, news_analyzer, stem
from indexer.config import IndexConfig
from indexer.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kazakhstan's largest city", ["kazakhstan", "largest", "citi"]),
        ("Kazakhstan\u2019s", ["kazakhstan"]),
        ("U.S. State", ["us", "state"]),
        ("US", ["us"]),
        ("2,298 people", ["2298", "peopl"]),
        ("Nur-Sultan", ["nur", "sultan"]),
        ("CSTO's force", ["csto", "forc"]),
        ("protesters protest protests", ["protest", "protest", "protest"]),
        ("dmcs.org", ["dmcs", "org"]),
        ("u.s.", ["us"]),
        ("the and of", []),
        ("3.5 per cent", ["3.5", "per", "cent"]),
    ],
)
def test_news_tokens(text: str, expected: list[str]) -> None:
    assert analyze(text) == expected


def test_offsets_survive_for_highlighting() -> None:
    text = "So far, 2,298 people"
    tokens = [(t.text, text[t.startchar : t.endchar]) for t in news_analyzer()(text, chars=True)]
    assert tokens == [("far", "far"), ("2298", "2,298"), ("peopl", "people")]


def test_positions_skip_stop_words_consistently() -> None:
    positions = [(t.text, t.pos) for t in news_analyzer()("state of emergency", positions=True)]
    assert positions == [("state", 0), ("emerg", 1)]


@pytest.mark.parametrize(
    ("stemmer", "word", "expected"),
    [
        ("snowball", "running", "run"),
        ("porter", "generously", "gener"),
        ("none", "protesters", "protesters"),
    ],
)
def test_stemmers_are_configurable(stemmer: str, word: str, expected: str) -> None:
    assert stem(word, stemmer) == expected
    assert analyze(word, stemmer) == [expected]


def test_analyzer_pickles_for_the_whoosh_schema() -> None:
    analyzer = pickle.loads(pickle.dumps(news_analyzer("porter")))
    assert [t.text for t in analyzer("protesters")] == ["protest"]


def test_unknown_stemmer_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="stemmer must be one of"):
        IndexConfig(stemmer="lancaster")


def test_term_positions_and_spans_are_the_analyzer_unrolled() -> None:
    """Bulk indexing and snippets must see exactly the terms the analyzer chain yields."""
    from indexer.analysis import news_analyzer, term_positions, term_spans

    from .conftest import SEEDS

    texts = [p for f in SEEDS.iterdir() for p in f.read_text(encoding="utf-8").split("\n\n")]
    texts += [
        "U.S. and U.K. talks, 2,298 barrels at $3.5; Kazakhstan's don't e.g. the THE",
        "",
        "the of and",
        "Nur-Sultan  Nur-Sultan nur sultan",
    ]
    for stemmer in ("snowball", "porter", "none"):
        for text in texts:
            expected: dict[str, list[int]] = {}
            for t in news_analyzer(stemmer)(text, positions=True):
                expected.setdefault(t.text, []).append(t.pos)
            got = term_positions(text, stemmer)
            assert got == expected
            assert list(got) == list(expected)  # first-occurrence order, as Whoosh writes it
            terms = set(list(expected)[::2])
            spans = [
                (t.startchar, t.endchar)
                for t in news_analyzer(stemmer)(text, chars=True)
                if t.text in terms
            ]
            assert term_spans(text, terms, stemmer) == spans
