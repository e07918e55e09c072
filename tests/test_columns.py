"""Per-document columns as shared numpy arrays, decoded once per segment."""

from __future__ import annotations

from pathlib import Path

from indexer import IndexConfig, columns
from indexer.columns import doc_table
from indexer.engine import SearchEngine

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
    assert a.codes("article_id")[0] is b.codes("article_id")[0]
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
    kept = {key[1] for key in columns._cache}
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
            assert table.values("article_id", [docnum]) == [stored["article_id"]]
            assert table.values("date", [docnum]) == [stored.get("date") or ""]
            assert table.values("kind", [docnum]) == [stored["kind"]]
            assert table.lengths("text")[docnum] == (
                s.reader().doc_field_length(docnum, "text") or 0
            )
        assert table.live.all()
    e.close()
