"""Search by meaning: the static vector table, paragraph vectors, fusion and the modes."""

from __future__ import annotations

from array import array
from html import escape
from typing import Any

import numpy as np
import pytest

from indexer import semantic
from indexer.errors import QueryError
from indexer.request import DEFAULT_MODE, MODE_NAMES, SearchRequest
from indexer.search import NO_VECTORS

MEANING_CORPUS = {
    "heart.txt": "Singer dies young\n\nThe crooner died aged 37 from a cardiac condition.",
    "oil.txt": "Oil exports\n\nShipments of crude from the port fell sharply in March.",
    "vote.txt": "Election day\n\nVoters queued for hours at polling stations across the country.",
    "match.txt": "Cup final\n\nThe striker scored twice as the team won the trophy.",
}


@pytest.fixture(scope="module")
def table() -> semantic.TermVectors:
    found = semantic.term_vectors("snowball")
    assert found is not None, "indexer/data/static-e5.npz is missing: python manage.py distill"
    return found


def cos(table: semantic.TermVectors, a: str, b: str) -> float:
    va = table.vectors[table.rows[a]] / table.norms[table.rows[a]]
    vb = table.vectors[table.rows[b]] / table.norms[table.rows[b]]
    return float(va @ vb)


def test_the_table_is_keyed_by_the_index_terms_and_places_related_words_together(
    table: semantic.TermVectors,
) -> None:
    # keys are stems, as the index holds them; stop words are left out
    assert "elect" in table.rows and "election" not in table.rows and "the" not in table.rows
    assert table.dims == table.vectors.shape[1] > 0
    assert cos(table, "heart", "cardiac") > cos(table, "heart", "tariff")
    assert cos(table, "singer", "musician") > cos(table, "singer", "harvest")
    assert cos(table, "vote", "ballot") > cos(table, "vote", "striker")


def test_query_vectors_are_unit_length_and_weigh_rare_terms_more(
    table: semantic.TermVectors,
) -> None:
    v = semantic.query_vector(["heart", "heart", "said"], {"heart": 5, "said": 900}, 1000, table)
    assert v is not None
    assert float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-5)
    heart = table.vectors[table.rows["heart"]] / table.norms[table.rows["heart"]]
    said = table.vectors[table.rows["said"]] / table.norms[table.rows["said"]]
    assert float(v @ heart) > float(v @ said)
    assert semantic.query_vector(["zzqxv"], {}, 10, table) is None


def test_paragraph_vectors_come_from_a_segments_postings(table: semantic.TermVectors) -> None:
    postings: dict[str, dict[bytes, tuple[Any, Any, Any]]] = {
        "text": {
            b"heart": (array("I", [0, 2]), array("H", [1, 2]), array("H")),
            b"cardiac": (array("I", [0]), array("H", [1]), array("H")),
            b"zzqxv": (array("I", [1]), array("H", [3]), array("H")),
        },
        "title": {b"singer": (array("I", [2]), array("H", [1]), array("H"))},
    }
    rows = semantic.paragraph_vectors(postings, 3, table)
    assert rows.dtype == np.int8 and rows.shape == (3, table.dims)
    assert not rows[1].any()  # a paragraph of unknown words has no vector
    q = semantic.query_vector(["heart"], {"heart": 2}, 6, table)
    assert q is not None
    c = semantic.cosines(rows, q)
    assert c[1] == 0.0 and 0.5 < c[0] < 1.0 and c[2] > 0.5
    norms = np.linalg.norm(rows[[0, 2]].astype(np.float32) / 127, axis=1)
    assert norms == pytest.approx([1.0, 1.0], abs=0.02)


def test_fusion_mixes_bm25_scaled_by_the_best_with_cosine() -> None:
    lexical = np.array([10.0, 5.0, 0.0])
    cos = np.array([0.1, 0.9, -0.3])
    hybrid = semantic.fuse(lexical, cos, "hybrid", 0.4)
    assert hybrid == pytest.approx([0.6 + 0.04, 0.3 + 0.36, 0.0])
    assert semantic.fuse(lexical, cos, "semantic", 0.4) == pytest.approx([0.1, 0.9, 0.0])
    assert np.argsort(-semantic.fuse(lexical, cos, "hybrid", 0.0)).tolist() == [0, 1, 2]


def test_modes_are_a_registry_and_a_bad_mode_is_refused() -> None:
    assert MODE_NAMES == ("lexical", "hybrid", "semantic")
    assert SearchRequest("x").mode == DEFAULT_MODE == "hybrid"  # it wins on TIME, CACM, CISI
    with pytest.raises(QueryError, match="mode must be one of lexical, hybrid, semantic"):
        SearchRequest("x", mode="vector")


def test_semantic_finds_a_paragraph_in_other_words_and_says_it_was_by_meaning(make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(MEANING_CORPUS)
    engine.reindex()
    assert engine.search("musician death", mode="lexical").hits == ()  # no shared word
    assert engine.search("musician death", mode="hybrid").hits == ()  # hybrid keeps the words'
    page = engine.search("musician death", mode="semantic", per_article=1)
    assert page.hits and page.hits[0].article_id == "heart"
    assert page.total == 1 and page.articles == 1  # counted as a result
    best = page.hits[0]
    assert best.meaning
    assert "<mark>" not in best.snippet_html  # no false highlights
    assert best.snippet_html.startswith(escape(best.text[:15]))  # the paragraph's lead
    assert page.to_dict()["hits"][0]["meaning"] is True
    assert engine.search("ballot", mode="semantic", per_article=1).hits[0].article_id == "vote"
    # a query with syntax is a constraint: nothing is added to its matches
    assert engine.search('"musician death"', mode="semantic").hits == ()
    assert engine.search("title:musician", mode="semantic").hits == ()


def test_hybrid_reranks_the_words_matches_and_keeps_their_counts(make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(
        {**MEANING_CORPUS, "tanker.txt": "Port news\n\nA tanker of crude oil docked."}
    )
    engine.reindex()
    lexical = engine.search("crude", per_article=1, mode="lexical", facets=True)
    hybrid = engine.search("crude", per_article=1, mode="hybrid", facets=True)
    assert {h.article_id for h in hybrid.hits} == {h.article_id for h in lexical.hits}
    assert (hybrid.total, hybrid.articles, hybrid.facets) == (
        lexical.total,
        lexical.articles,
        lexical.facets,
    )
    assert not any(h.meaning for h in hybrid.hits)
    assert "<mark>crude</mark>" in hybrid.hits[0].snippet_html
    # scores are BM25 scaled by the best match, mixed with the cosine
    assert all(0.0 <= h.score <= 1.0 for h in hybrid.hits)
    assert max(h.score for h in hybrid.hits) >= 1 - engine.config.semantic_alpha


def test_other_sorts_match_by_words(make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(MEANING_CORPUS)
    engine.reindex()
    assert engine.search("musician death", mode="hybrid", sort="newest").hits == ()


def test_an_index_without_vectors_is_searched_by_words_and_says_so(
    make_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(semantic, "term_vectors", lambda stemmer, path=None: None)
    engine = make_engine(MEANING_CORPUS)
    engine.reindex()
    monkeypatch.undo()  # the table is back, but the index was written without vectors
    page = engine.search("striker", mode="hybrid")
    assert [h.article_id for h in page.hits] == ["match"]
    assert page.notice == NO_VECTORS
    assert not page.hits[0].meaning


def test_vectors_summed_a_chunk_at_a_time_are_the_same(
    table: semantic.TermVectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    terms = [t.encode() for t in ("heart", "vote", "oil", "singer", "crude", "zzqxv")]
    postings: dict[str, dict[bytes, tuple[Any, Any, Any]]] = {"text": {}, "title": {}}
    for t in terms:
        docs = np.sort(rng.choice(50, size=int(rng.integers(1, 30)), replace=False))
        counts = rng.integers(1, 4, size=len(docs))
        postings["text"][t] = (array("I", docs.tolist()), array("H", counts.tolist()), array("H"))
    whole = semantic.paragraph_vectors(postings, 50, table)
    monkeypatch.setattr(semantic, "CHUNK_DOCS", 7)
    assert np.array_equal(semantic.paragraph_vectors(postings, 50, table), whole)
    assert whole.any()


def test_a_distilled_table_is_read_back_grouped_by_stem(tmp_path: Any) -> None:
    """The distiller's reduction and file, without the model (random vectors stand in)."""
    from indexer import distill

    words = ["protest", "protests", "protesters", "harbour", "the", "don't", *map(str, range(40))]
    raw = np.random.default_rng(5).standard_normal((len(words), 64)).astype(np.float32)
    freq = np.linspace(1e-3, 1e-6, len(words))
    path = tmp_path / "table.npz"
    assert distill.write_table(path, words, freq, distill.reduce(raw, dims=16)) == (
        path.stat().st_size
    )
    table = semantic.term_vectors("snowball", path)
    assert table is not None and table.dims == 16
    assert "protest" in table.rows and "protesters" not in table.rows  # one row per stem
    assert "the" not in table.rows and "don't" not in table.rows  # stop words, apostrophes
    porter = semantic.term_vectors("porter", path)
    assert porter is not None and "harbour" in porter.rows
    rows, scale = distill.quantize(distill.reduce(raw, removed=2, dims=16))
    assert rows.dtype == np.int8 and np.abs(rows).max() == 127 and scale.shape == (len(words),)


def test_fitting_moves_paragraph_vectors_towards_the_models() -> None:
    """The fit lowers the gap to the model's paragraph vectors; unseen words stay put."""
    from indexer import distill

    rng = np.random.default_rng(11)
    vocab = ["harbour", "ship", "cargo", "storm", "vote", "ballot", "senate", "league", "goal"]
    words = [*vocab, "unseen"]
    rows = rng.standard_normal((len(words), 8)).astype(np.float32)
    freq = np.full(len(words), 1e-5)
    # the "model" sees each word with a context the words-alone vectors do not carry
    truth = rows + rng.standard_normal(rows.shape).astype(np.float32)
    texts = [" ".join(rng.choice(vocab, size=6)) for _ in range(300)]

    def gap(table_rows: np.ndarray, targets: np.ndarray) -> float:
        grouped = semantic.group(
            np.array(words), table_rows, np.ones(len(words)), freq, np.array(words)
        )
        out = []
        for text, target in zip(texts, targets, strict=True):
            v = grouped.weighted_sum({t: 1.0 for t in text.split()})
            assert v is not None
            out.append(float(v @ target / np.linalg.norm(target)))
        return float(np.mean(out))

    index = {w: i for i, w in enumerate(words)}
    targets = np.array([truth[[index[w] for w in t.split()]].sum(axis=0) for t in texts])
    fitted = distill.fit(words, rows, freq, texts, targets, ridge=0.1)
    assert gap(fitted, targets) > gap(rows, targets) + 0.05
    assert np.array_equal(fitted[index["unseen"]], rows[index["unseen"]])
