"""Reindexing: incremental by content hash, atomic full rebuilds, locking and crash safety."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from indexer import IndexConfig, IndexCorrupt, IndexLocked, IndexMissing, storage
from indexer.engine import SearchEngine

from .conftest import reindex_child


def article(title: str, *paragraphs: str) -> str:
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


@pytest.fixture()
def newsroom(make_engine: Any) -> SearchEngine:
    return make_engine(
        {
            "world/kazakh.txt": article(
                "Unrest in Almaty",
                "Protesters stormed the mayor's office.",
                "Fuel prices doubled overnight.",
            ),
            "world/china.txt": article(
                "China watches", "Beijing called the unrest an internal affair."
            ),
            "sport/final.txt": article(
                "Cup final", "The home side won the cup final in extra time."
            ),
        }
    )


def ids(engine: SearchEngine, query: str) -> set[str]:
    """The articles the query's words match (what indexing decides)."""
    return {h.article_id for h in engine.search(query, per_page=100, mode="lexical").hits}


def test_first_reindex_builds_everything(newsroom: SearchEngine) -> None:
    stats = newsroom.reindex()
    assert (stats.articles, stats.added, stats.full) == (3, 3, True)
    assert stats.paragraphs == 3 + 4  # a headline each, plus 2 + 1 + 1 bodies
    assert ids(newsroom, "unrest") == {"world/kazakh", "world/china"}


def test_incremental_reindex_changes_exactly_what_changed(newsroom: SearchEngine) -> None:
    newsroom.reindex()
    source = newsroom.config.source_dir
    before = newsroom.article("world/china")
    assert before is not None
    (source / "sport/final.txt").unlink()
    (source / "world/kazakh.txt").write_text(
        article("Unrest in Almaty", "Troops arrived by plane.")
    )
    (source / "tech/chips.txt").parent.mkdir()
    (source / "tech/chips.txt").write_text(
        article("Chip shortage", "Factories idle for lack of chips.")
    )
    stats = newsroom.reindex()
    assert (stats.added, stats.updated, stats.removed, stats.unchanged) == (1, 1, 1, 1)
    assert stats.full is False
    assert ids(newsroom, "cup") == set()
    assert ids(newsroom, "fuel") == set()
    assert ids(newsroom, "troops") == {"world/kazakh"}
    assert ids(newsroom, "chips") == {"tech/chips"}
    assert newsroom.article("world/china") == before
    again = newsroom.reindex()
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 3)
    assert again.generation == stats.generation  # nothing changed, nothing committed


def test_full_rebuild_publishes_a_new_index_and_cleans_the_old(newsroom: SearchEngine) -> None:
    first = newsroom.reindex()
    second = newsroom.reindex(full=True)
    assert second.full and second.articles == 3
    assert second.generation != first.generation
    names = {f.split("_")[1] for f in os.listdir(newsroom.config.index_dir) if f.startswith("_g")}
    assert names == {storage.current_name(newsroom.config.index_dir)}


def test_open_searchers_keep_working_during_and_after_a_rebuild(newsroom: SearchEngine) -> None:
    newsroom.reindex()
    reader = SearchEngine(newsroom.config)
    assert ids(reader, "cup") == {"sport/final"}
    (newsroom.config.source_dir / "sport/final.txt").unlink()
    newsroom.reindex(full=True)
    assert ids(reader, "cup") == set()  # the next search sees the new generation
    reader.close()


def test_search_without_an_index_says_how_to_build_one(tmp_path: Path) -> None:
    engine = SearchEngine(IndexConfig(source_dir=tmp_path, index_dir=tmp_path / "none"))
    with pytest.raises(IndexMissing, match=r"no index in .*manage.py reindex"):
        engine.search("anything")


def test_missing_source_folder_is_a_clear_error(tmp_path: Path) -> None:
    engine = SearchEngine(IndexConfig(source_dir=tmp_path / "nope", index_dir=tmp_path / "ix"))
    with pytest.raises(Exception, match=r"source folder .* does not exist"):
        engine.reindex()


def test_bad_files_are_skipped_and_reported_by_stats(make_engine: Any) -> None:
    engine = make_engine(
        {
            "good.txt": article("Good", "Indexed."),
            "bad.txt": b"\x00\x00binary",
            "empty.md": "",
            "image.jpg": b"\xff\xd8",
        }
    )
    stats = engine.reindex()
    assert stats.articles == 1
    assert {s.path for s in stats.skipped} == {"bad.txt", "empty.md"}
    assert stats.ignored == 1
    reported = engine.stats()
    assert {s.path for s in reported.skipped} == {"bad.txt", "empty.md"}
    assert reported.last_reindex is not None


def test_duplicate_ids_keep_the_first_file(make_engine: Any) -> None:
    engine = make_engine(
        {"a.md": article("From md", "md body"), "a.txt": article("From txt", "txt body")}
    )
    stats = engine.reindex()
    assert stats.articles == 1
    assert "duplicate article id 'a'" in stats.skipped[0].reason


def test_changing_the_stemmer_rebuilds(newsroom: SearchEngine) -> None:
    newsroom.reindex()
    porter = SearchEngine(
        IndexConfig(
            source_dir=newsroom.config.source_dir,
            index_dir=newsroom.config.index_dir,
            stemmer="none",
        )
    )
    stats = porter.reindex()
    assert stats.full
    assert ids(porter, "protesters") == {"world/kazakh"}
    assert ids(porter, "protester") == set()  # no stemming any more
    porter.close()


def test_a_new_vector_table_rebuilds_instead_of_mixing_vectors(
    newsroom: SearchEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After ``manage.py distill`` replaces the table, no segment keeps the old one's vectors."""
    import numpy as np

    from indexer import distill, semantic

    newsroom.reindex()
    assert not newsroom.reindex().full  # same table: nothing to do
    words = ["protesters", "fuel", "prices", "beijing", "unrest", "cup", "final", "mayor"]
    rows = np.random.default_rng(3).standard_normal((len(words), 16)).astype(np.float32)
    path = tmp_path / "other.npz"
    distill.write_table(path, words, np.linspace(1e-3, 1e-5, len(words)), rows)
    monkeypatch.setattr(semantic, "TABLE_FILE", path)
    assert semantic.table_digest() != semantic.table_digest(distill.TABLE_FILE)
    again = SearchEngine(newsroom.config)
    stale = again.search("unrest")  # before the reindex: by words, and it says why
    assert stale.notice is not None and "another vector table" in stale.notice
    assert {h.article_id for h in stale.hits} == {"world/kazakh", "world/china"}
    stats = again.reindex()
    assert stats.full and stats.unchanged == 0
    page = again.search("unrest", mode="semantic")  # the new table's 16 dimensions, read back
    assert page.notice is None
    assert {h.article_id for h in page.hits} >= {"world/kazakh", "world/china"}
    assert not again.reindex().full  # recorded: the next reindex is incremental again
    again.close()


def test_a_second_reindex_fails_at_once_with_index_locked(newsroom: SearchEngine) -> None:
    newsroom.reindex()
    with storage.reindex_lock(newsroom.config.index_dir, "full rebuild"):
        started = time.perf_counter()
        with pytest.raises(
            IndexLocked, match=r"another reindex is running .*full rebuild, pid \d+"
        ):
            newsroom.reindex()
        assert time.perf_counter() - started < 2
    assert newsroom.reindex().unchanged == 3  # released: the next run works


def test_a_damaged_pointer_is_reported_and_repaired_by_a_full_reindex(
    newsroom: SearchEngine,
) -> None:
    newsroom.reindex()
    (newsroom.config.index_dir / storage.POINTER).write_text("garbage")
    fresh = SearchEngine(newsroom.config)
    with pytest.raises(IndexCorrupt, match="reindex --full"):
        fresh.search("cup")
    fresh.reindex(full=True)
    assert ids(fresh, "cup") == {"sport/final"}
    fresh.close()


def test_truncated_index_files_are_reported_and_repaired(newsroom: SearchEngine) -> None:
    newsroom.reindex()
    for f in newsroom.config.index_dir.glob("_g*"):
        f.write_bytes(b"")
    fresh = SearchEngine(newsroom.config)
    with pytest.raises(IndexCorrupt, match="reindex --full"):
        fresh.search("cup")
    assert fresh.reindex().full  # an unreadable index is rebuilt, not patched
    assert ids(fresh, "cup") == {"sport/final"}
    fresh.close()


@pytest.mark.parametrize(
    ("point", "full"),
    [("reading@3", True), ("publish", True), ("commit", False), ("manifest", False)],
)
def test_a_reindex_paused_then_killed_leaves_the_old_index_searchable(
    newsroom: SearchEngine, point: str, full: bool
) -> None:
    newsroom.reindex()
    before = newsroom.search("cup final").hits
    source = newsroom.config.source_dir
    for n in range(20):
        (source / f"extra/{n:03d}.txt").parent.mkdir(exist_ok=True)
        (source / f"extra/{n:03d}.txt").write_text(
            article(f"Extra {n}", "The cup final was replayed.")
        )
    child = reindex_child(newsroom.config, full, f"{point}:pause")
    assert child.stderr is not None
    with child.stderr:
        assert child.stderr.readline().startswith("failpoint ")  # paused exactly there
        # While the child holds the lock, another reindex is refused at once.
        with pytest.raises(IndexLocked):
            newsroom.reindex()
        child.kill()
    child.communicate(timeout=30)
    survivor = SearchEngine(newsroom.config)
    hits = survivor.search("cup final").hits
    if point == "manifest":  # the commit happened before the manifest: the new index, whole
        assert survivor.search("cup final").total >= 21
    else:
        assert hits == before  # the old index, intact
    stats = survivor.reindex()  # no stale lock, no manual cleanup
    assert stats.articles == 23
    assert survivor.search("cup final").total >= 21
    survivor.close()


def test_incremental_reindex_does_not_reread_unchanged_files(
    newsroom: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    newsroom.reindex()
    from indexer import build

    reads: list[str] = []
    real = build.read_file

    def counting(path: Path, *args: Any) -> Any:
        reads.append(path.name)
        return real(path, *args)

    monkeypatch.setattr(build, "read_file", counting)
    source = newsroom.config.source_dir
    (source / "world/china.txt").write_text(article("China watches", "Beijing urged calm."))
    stats = newsroom.reindex()
    assert reads == ["china.txt"]
    assert (stats.updated, stats.unchanged) == (1, 2)
    assert ids(newsroom, "calm") == {"world/china"}
    reads.clear()
    assert newsroom.reindex().unchanged == 3 and reads == []


def test_a_same_size_edit_with_the_old_mtime_is_still_seen(newsroom: SearchEngine) -> None:
    newsroom.reindex()
    path = newsroom.config.source_dir / "sport/final.txt"
    before = path.stat()
    path.write_text(path.read_text().replace("home", "away"))  # same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert newsroom.reindex().updated == 1  # the change time still differs
    assert ids(newsroom, "away") == {"sport/final"}


def test_a_stale_manifest_cannot_hide_a_change(newsroom: SearchEngine) -> None:
    """A manifest of another generation (a crash between a commit and its manifest) is not trusted."""
    newsroom.reindex()
    index_dir = newsroom.config.index_dir
    path = newsroom.config.source_dir / "sport/final.txt"
    path.write_text(article("Cup final", "Rain stopped play."))
    manifest = json.loads((index_dir / storage.MANIFEST).read_text())
    st = path.stat()
    manifest["files"]["sport/final.txt"] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    manifest["generation"] += 1  # vouches for the edited file, but for no generation the index has
    (index_dir / storage.MANIFEST).write_text(json.dumps(manifest))
    stats = newsroom.reindex()
    assert stats.updated == 1 and ids(newsroom, "rain") == {"sport/final"}


def test_small_segments_of_many_incremental_runs_are_merged(make_engine: Any) -> None:
    engine = make_engine(
        {
            f"base/{n:02d}.txt": article(f"Story {n}", f"Harbour cargo report {n}.")
            for n in range(30)
        },
        segment_paragraphs=40,
    )
    engine.reindex()
    source = engine.config.source_dir
    counts = []
    for run in range(14):
        (source / f"new/{run:02d}.txt").parent.mkdir(exist_ok=True)
        (source / f"new/{run:02d}.txt").write_text(article(f"Late {run}", f"Harbour cargo {run}."))
        (source / f"base/{run:02d}.txt").write_text(article(f"Story {run}", f"Edited cargo {run}."))
        engine.reindex()
        with engine._searcher() as s:
            counts.append(len(s.reader().leaf_readers()))
    assert max(counts) <= 2 + 8 + 1  # the rebuild's, at most 8 small ones, the new one
    assert counts[-1] < counts[7] + 6  # merges happened
    every = {h.article_id for h in engine.search("cargo", per_page=100, per_article=1).hits}
    assert every == {f"base/{n:02d}" for n in range(30)} | {f"new/{n:02d}" for n in range(14)}
    assert ids(engine, "edited") == {f"base/{n:02d}" for n in range(14)}
    merged = engine.article("base/20")
    assert merged is not None and merged.title == "Story 20" and merged.content_hash
    assert engine.reindex().unchanged == 44  # the merged segments' hashes still match


def test_full_segments_are_never_merged_again(make_engine: Any) -> None:
    """A run after a small change must not cost time in proportion to the archive."""
    engine = make_engine(
        {
            f"base/{n:02d}.txt": article(f"Story {n}", f"Harbour cargo report {n}.")
            for n in range(60)
        },
        segment_paragraphs=40,
    )
    engine.reindex()

    def segments() -> dict[str, int]:
        with engine._searcher() as s:
            return {
                r.segment().segment_id(): r.doc_count_all() - r.segment().deleted_count()
                for r, _ in s.reader().leaf_readers()
            }

    full = {sid for sid, live in segments().items() if live >= 20}
    assert full
    source = engine.config.source_dir
    for run in range(14):
        (source / f"new/{run:02d}.txt").parent.mkdir(exist_ok=True)
        (source / f"new/{run:02d}.txt").write_text(article(f"Late {run}", f"Harbour cargo {run}."))
        engine.reindex()
        assert full <= set(segments())  # the rebuild's full segments are the same files
    assert len(segments()) <= len(full) + 2 * (8 + 1)  # small ones were merged
    assert engine.search("harbour", per_article=1).total == 74


def test_an_empty_folder_makes_an_empty_searchable_index(make_engine: Any) -> None:
    e = make_engine({})
    stats = e.reindex()
    assert (stats.articles, stats.paragraphs) == (0, 0)
    page = e.search("anything")
    assert page.total == 0 and page.hits == ()
