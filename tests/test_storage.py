"""Where the live index is: the CURRENT pointer, atomic publishing, the lock, the side files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer import IndexCorrupt, IndexLocked, IndexMissing, storage
from indexer.analysis import STEM_CACHE


def test_names_and_the_pointer(tmp_path: Path) -> None:
    assert storage.current_name(tmp_path) is None
    assert storage.next_name(tmp_path) == "g000001"
    (tmp_path / "_g000007_1.toc").write_bytes(b"")
    assert storage.next_name(tmp_path) == "g000008"
    (tmp_path / storage.POINTER).write_text("../../etc\n")
    with pytest.raises(IndexCorrupt, match="names no index"):
        storage.current_name(tmp_path)
    assert storage.current_name_or_none(tmp_path) is None


def test_publish_switches_atomically_and_removes_older_indexes(tmp_path: Path) -> None:
    for name in (
        "_g000001_3.toc",
        "g000001_abc.seg",
        "_g000002_1.toc",
        "g000002_def.seg",
        "meta.json",
    ):
        (tmp_path / name).write_bytes(b"x")
    storage.publish(tmp_path, "g000002")
    assert storage.current_name(tmp_path) == "g000002"
    assert sorted(os.listdir(tmp_path)) == [
        "CURRENT",
        "_g000002_1.toc",
        "g000002_def.seg",
        "meta.json",
    ]


def test_open_index_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match=r"manage\.py reindex"):
        storage.open_index(tmp_path)
    (tmp_path / storage.POINTER).write_text("g000001\n")
    with pytest.raises(IndexCorrupt, match="reindex --full"):
        storage.open_index(tmp_path)


def test_the_lock_admits_one_reindex_and_names_it(tmp_path: Path) -> None:
    with (
        storage.reindex_lock(tmp_path, "full rebuild"),
        pytest.raises(IndexLocked, match=r"another reindex is running .*full rebuild, pid"),
        storage.reindex_lock(tmp_path, "incremental reindex"),
    ):
        pass
    with storage.reindex_lock(tmp_path, "again"):  # released
        pass


def test_manifest_belongs_to_one_generation_of_one_index(tmp_path: Path) -> None:
    storage.write_manifest(tmp_path, "g000003", 5, {"a.txt": [1, 2, 3]})
    assert storage.read_manifest(tmp_path, "g000003", 5) == {"a.txt": [1, 2, 3]}
    assert storage.read_manifest(tmp_path, "g000004", 5) == {}  # of another index
    assert storage.read_manifest(tmp_path, "g000003", 6) == {}  # of another generation
    (tmp_path / storage.MANIFEST).write_text("{not json")
    assert storage.read_manifest(tmp_path, "g000003", 5) == {}


def test_meta_survives_damage(tmp_path: Path) -> None:
    assert storage.read_meta(tmp_path) == {}
    storage.write_meta(tmp_path, {"articles": 3})
    assert storage.read_meta(tmp_path) == {"articles": 3}
    (tmp_path / storage.META).write_text("[1, 2]")
    assert storage.read_meta(tmp_path) == {}


def test_the_stem_table_seeds_the_stem_cache(engine_config_tmp: Path) -> None:
    index_dir = engine_config_tmp
    name = storage.current_name(index_dir)
    table = index_dir / f"stems-{name}.tsv"
    assert table.read_text(encoding="utf-8").startswith("# byline stems snowball\n")
    STEM_CACHE["snowball"].pop("prices", None)
    storage._LOADED.clear()
    assert storage.load_stems(index_dir, "snowball") > 0
    assert STEM_CACHE["snowball"]["prices"] == "price"
    assert storage.load_stems(index_dir, "porter") == 0  # a table for another stemmer


@pytest.fixture()
def engine_config_tmp(make_engine: object) -> Path:
    engine = make_engine({"a.txt": "Fuel prices\n\nFuel prices rose again on Monday.\n"})  # type: ignore[operator]
    engine.reindex()
    return engine.config.index_dir  # type: ignore[no-any-return]
