"""Per-document columns from the segments' sidecars, shared by every searcher of a generation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from indexer import IndexConfig, columns
from indexer.columns import doc_table
from indexer.engine import SearchEngine
from indexer.models import KIND_NAMES, Article

from .conftest import write


def test_searchers_of_the_same_segments_share_their_arrays(engine: SearchEngine) -> None:
    """A server opens a searcher per thread; the per-document arrays must exist once."""
    import threading

    tables = []

    def open_one() -> None:
        with engine._searcher() as s:
            tables.append(doc_table(s))

    threads = [threading.Thread(target=open_one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = tables
    assert a is not b and a.readers[0] is not b.readers[0]  # each thread its own readers
    assert a.article is b.article and a.dup_key is b.dup_key
    assert a.lengths("text") is b.lengths("text")
    assert a.live is b.live


def test_decoded_columns_of_replaced_generations_are_let_go(tmp_path: Path) -> None:
    """A long-running server must not keep every past rebuild's arrays."""

    source = tmp_path / "source"
    write(source, "a.txt", "Oil story\n\nOil prices rose.\n")
    e = SearchEngine(IndexConfig(source_dir=source, index_dir=tmp_path / "index"))
    folders = set()
    for _ in range(columns._TABLES_KEPT + 3):
        e.reindex(full=True)
        assert e.search("oil").total >= 1
        with e._searcher() as s:
            folders.add(columns.segment_key(s.reader().leaf_readers()[0][0])[1])
    e.close()
    assert len(folders) == columns._TABLES_KEPT + 3  # every rebuild made new segments
    kept = {key[1] for key in columns._SEGMENTS}  # sidecars open
    assert len(kept & folders) <= columns._TABLES_KEPT


def test_codes_and_lengths_agree_with_stored_fields(tmp_path: Path) -> None:
    source = tmp_path / "source"
    write(
        source,
        "a.md",
        "---\ntitle: Oil\ndate: 2022-01-03\nsource: CBC\n---\nOil prices rose.\n\nMore.\n",
    )
    write(
        source, "b.md", "---\ntitle: Gas\nsection: business\n---\nGas prices fell sharply today.\n"
    )
    e = SearchEngine(IndexConfig(source_dir=source, index_dir=tmp_path / "index"))
    e.reindex()
    with e._searcher() as s:
        table = doc_table(s)
        for docnum in range(table.size):
            stored = s.stored_fields(docnum)
            if stored.get("kind") == "vocabulary":
                continue
            code = int(table.article[docnum])
            assert table.article_id(code) == stored["article_id"]
            day = int(table.date[docnum])
            assert (date.fromordinal(day).isoformat() if day else None) == (
                engine_article(e, stored["article_id"]).date
            )
            assert KIND_NAMES[table.kind[docnum]] == stored["kind"]
            assert table.lengths("text")[docnum] == (
                s.reader().doc_field_length(docnum, "text") or 0
            )
        sources, values = table.codes("source")
        assert {values[c] for c in sources[table.article > 0].tolist()} == {"CBC", ""}
        assert table.live.all()
    e.close()


def engine_article(e: SearchEngine, article_id: str) -> Article:
    found = e.article(article_id)
    assert found is not None
    return found


def test_a_damaged_sidecar_is_a_clear_error_and_a_rebuild_repairs_it(tmp_path: Path) -> None:
    from indexer import IndexCorrupt

    source = tmp_path / "source"
    write(source, "a.txt", "Oil story\n\nOil prices rose.\n")
    e = SearchEngine(IndexConfig(source_dir=source, index_dir=tmp_path / "index"))
    e.reindex()
    [side] = (tmp_path / "index").glob("*.byl")
    side.write_bytes(side.read_bytes()[:100])  # truncated
    e.close()
    columns._SEGMENTS.clear()
    columns._TABLES.clear()
    fresh = SearchEngine(e.config)
    with pytest.raises(IndexCorrupt, match=r"reindex --full"):
        fresh.search("oil")
    assert fresh.reindex().articles == 1  # an incremental run sees the damage and rebuilds
    assert fresh.search("oil").total == 2
    fresh.close()
