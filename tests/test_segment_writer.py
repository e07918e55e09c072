"""The bulk segment writer must write exactly the segment Whoosh's own writer writes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex

from indexer import IndexConfig, build, duplicates, segment_writer
from indexer.formats import Scan
from indexer.models import Article
from indexer.schema import build_schema

from .conftest import SEEDS, write
from .data import WORDS


def _articles(tmp_path: Path) -> list[Article]:
    rng = random.Random(3)
    source = tmp_path / "source"
    for path in SEEDS.iterdir():
        write(source, path.name, path.read_bytes())
    write(
        source,
        "meta.md",
        "---\ntitle: Meta\ndate: 2022-01-05\nsource: CBC\nsection: World\n"
        "tags: [energy, Asia]\nauthor: Jane Roe\n---\nFuel prices rose.\n\nWatch: video here\n",
    )
    for n in range(200):  # some terms get several 128-posting blocks
        body = "\n\n".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30)))
            for _ in range(rng.randint(1, 5))
        )
        write(source, f"gen/{n:03}.txt", f"Story {n} {rng.choice(WORDS)}\n\n{body}\n")
    config = IndexConfig(source_dir=source, index_dir=tmp_path / "unused")
    return [build._with_paragraphs(a) for a in build._source_articles(config, Scan(), None)]


def _segment_files(ix: FileIndex) -> dict[str, bytes]:
    """Every file of the index's one segment, by extension (names carry random ids)."""
    (segment,) = ix._segments()
    prefix = f"{ix.indexname}_{segment.segment_id()}"
    out = {}
    for name in ix.storage.list():
        if name.startswith(prefix):
            out[name[len(prefix) :]] = ix.storage.open_file(name).read()
    return out


def test_segment_files_are_byte_identical_to_whooshs(tmp_path: Path) -> None:
    articles = _articles(tmp_path)
    labels = duplicates.labels_for(articles)
    docs = list(build._documents(articles, labels))
    assert len(docs) > 600
    assert set(segment_writer._fast_fields(build_schema())) == {"title", "text"}  # covered too

    (tmp_path / "ours").mkdir()
    ours = FileIndex.create(FileStorage(str(tmp_path / "ours")), build_schema(), "x")
    segment_writer.write_index(ours, [lambda: iter(docs)])

    (tmp_path / "whoosh").mkdir()
    theirs = FileIndex.create(FileStorage(str(tmp_path / "whoosh")), build_schema(), "x")
    writer = theirs.writer(compound=False)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()

    a, b = _segment_files(ours), _segment_files(theirs)
    assert a.keys() == b.keys()
    for ext in a:
        assert a[ext] == b[ext], f"segment file {ext} differs"
    with ours.searcher() as s1, theirs.searcher() as s2:
        assert s1.doc_count_all() == s2.doc_count_all() == len(docs)
        lengths = [dict(s.reader().segment()._fieldlengths) for s in (s1, s2)]
        assert lengths[0] == lengths[1]
        assert list(s1.reader().all_terms()) == list(s2.reader().all_terms())


def test_parallel_parts_become_one_index_in_order(tmp_path: Path) -> None:
    articles = _articles(tmp_path)
    labels = duplicates.labels_for(articles)
    parts = build._split(articles, 2)
    assert len(parts) == 2 and sum(map(len, parts)) == len(articles)
    (tmp_path / "ix").mkdir()
    ix = FileIndex.create(FileStorage(str(tmp_path / "ix")), build_schema(), "x")
    segment_writer.write_index(ix, [lambda p=p: build._documents(p, labels) for p in parts])
    ix = FileIndex(FileStorage(str(tmp_path / "ix")), indexname="x")
    assert len(ix._segments()) == 2
    with ix.searcher() as s:
        ids = [f.get("article_id") for f in s.all_stored_fields() if f.get("article_id")]
    assert list(dict.fromkeys(ids)) == [a.id for a in articles]


def test_a_failing_worker_fails_the_write_and_publishes_nothing(tmp_path: Path) -> None:
    def broken() -> list[dict[str, object]]:
        raise OSError(28, "No space left on device")

    (tmp_path / "ix").mkdir()
    ix = FileIndex.create(FileStorage(str(tmp_path / "ix")), build_schema(), "x")
    with pytest.raises(OSError, match="No space"):
        segment_writer.write_index(ix, [lambda: iter([{"kind": "body"}]), broken])
    assert FileIndex(FileStorage(str(tmp_path / "ix")), indexname="x").doc_count_all() == 0
