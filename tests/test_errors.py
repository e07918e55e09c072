"""Errors: one small hierarchy, each message saying what to do."""

from __future__ import annotations

import pytest

from indexer import BylineError, QueryError


def test_errors_form_one_hierarchy() -> None:
    from indexer import ConfigError, IndexCorrupt, IndexLocked, IndexMissing

    for error in (ConfigError, IndexCorrupt, IndexLocked, IndexMissing, QueryError):
        assert issubclass(error, BylineError)


def test_library_errors_say_what_to_do(tmp_path, engine) -> None:  # type: ignore[no-untyped-def]
    from indexer import IndexConfig, IndexMissing
    from indexer.engine import SearchEngine

    with pytest.raises(
        IndexMissing, match=r"run `python manage.py reindex --index .*` to build it"
    ):
        SearchEngine(IndexConfig(source_dir=tmp_path, index_dir=tmp_path / "none")).search("x")
    with pytest.raises(QueryError, match='close the "phrase"'):
        engine.search('"x', strict=True)
