"""A segment writes exactly the files Whoosh's own writer writes, and a sidecar that agrees with them."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex

from indexer import segment_writer
from indexer.columns import LENGTHS
from indexer.models import Article
from indexer.paragraphs import split_paragraphs
from indexer.schema import build_schema, documents
from indexer.sidecar import Sidecar, path_for, term_key

from .conftest import SEEDS, read_folder, write
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
    for n in range(200):  # some terms get several posting blocks
        body = "\n\n".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30)))
            for _ in range(rng.randint(1, 5))
        )
        write(source, f"gen/{n:03}.txt", f"Story {n} {rng.choice(WORDS)}\n\n{body}\n")
    articles, _ = read_folder(source)
    return [replace(a, paragraphs=split_paragraphs(a)) for a in articles.values()]


def _segment_files(ix: FileIndex) -> dict[str, bytes]:
    """Every Whoosh file of the index's one segment, by extension (names carry random ids)."""
    (segment,) = ix._segments()
    prefix = segment.segment_id()
    out = {}
    for name in ix.storage.list():
        if name.startswith(prefix) and not name.endswith(".byl"):
            f = ix.storage.open_file(name)
            out[name[len(prefix) :]] = f.read()
            f.close()
    return out


def _build(folder: Path, articles: list[Article]) -> FileIndex:
    folder.mkdir()
    ix = FileIndex.create(FileStorage(str(folder)), build_schema(), "x")
    builder = segment_writer.SegmentBuilder(ix)
    for article in articles:
        builder.add(article)
    built = builder.finish()
    from whoosh.index import TOC

    TOC(ix.schema, [built.segment], 1).write(ix.storage, ix.indexname)
    return FileIndex(FileStorage(str(folder)), indexname="x")


def test_segment_files_are_byte_identical_to_whooshs(tmp_path: Path) -> None:
    articles = _articles(tmp_path)
    docs = [doc for a in articles for doc in documents(a)]
    assert len(docs) > 600
    assert set(segment_writer._fast_fields(build_schema())) == {"title", "text"}  # covered too

    (tmp_path / "ours").mkdir()
    ours = FileIndex.create(FileStorage(str(tmp_path / "ours")), build_schema(), "x")
    segment = segment_writer.write_documents(ours, iter(docs))
    from whoosh.index import TOC

    TOC(ours.schema, [segment], 1).write(ours.storage, ours.indexname)
    ours = FileIndex(FileStorage(str(tmp_path / "ours")), indexname="x")

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
        assert list(s1.reader().all_terms()) == list(s2.reader().all_terms())


def test_the_sidecar_holds_whooshs_postings_as_arrays(tmp_path: Path) -> None:
    articles = _articles(tmp_path)
    ix = _build(tmp_path / "ix", articles)
    (segment,) = ix._segments()
    side = Sidecar(path_for(ix.storage.folder, segment.segment_id()))
    with ix.searcher() as s:
        reader = s.reader()
        for field in ("title", "text"):
            keys = side.array(f"{field}.keys")
            info = side.array(f"{field}.info")
            ids_all, tf_all = side.array(f"{field}.ids"), side.array(f"{field}.tf")
            positions = side.array(f"{field}.positions")
            terms = list(reader.lexicon(field))
            assert len(terms) == len(keys) and np.all(keys[:-1] <= keys[1:])
            for term in terms:
                at = int(np.searchsorted(keys, np.uint64(term_key(term))))
                df, post, pos = (int(v) for v in info[at])
                ids, tf = ids_all[post : post + df], tf_all[post : post + df]
                m = reader.postings(field, term)
                expected = []
                while m.is_active():
                    expected.append((m.id(), m.weight(), list(m.value_as("positions"))))
                    m.next()
                assert [(int(i), float(t)) for i, t in zip(ids, tf, strict=True)] == [
                    (i, w) for i, w, _ in expected
                ]
                flat = positions[pos : pos + int(tf.sum())].tolist()
                assert flat == [p for _, _, ps in expected for p in ps]
        # lengths as BM25 sees them
        for docnum in range(s.doc_count_all()):
            code = side.array("doc.len.text")[docnum]
            assert LENGTHS[code] == (reader.doc_field_length(docnum, "text") or 0)
    side.close()


def test_columns_and_fingerprints_of_a_segment(tmp_path: Path) -> None:
    articles = _articles(tmp_path)
    (tmp_path / "ix").mkdir()
    ix = FileIndex.create(FileStorage(str(tmp_path / "ix")), build_schema(), "x")
    builder = segment_writer.SegmentBuilder(ix)
    for article in articles:
        builder.add(article)
    built = builder.finish()
    assert built.articles == len(articles)
    assert built.docs == sum(len(a.paragraphs) for a in articles) + 1  # and the vocabulary
    side = Sidecar(path_for(ix.storage.folder, built.segment.segment_id()))
    assert side.strings("article.id") == [a.id for a in articles]
    meta = next(a for a in articles if a.id == "meta")
    number = [a.id for a in articles].index("meta")
    codes = side.array("article.source")
    assert side.strings("values.source")[codes[number]] == "CBC"
    assert bytes(side.array("article.hash")[number]).hex() == meta.content_hash
    # every substantial body paragraph gives a fingerprint, once per article
    fp = set(zip(built.fp_articles.tolist(), built.fp_values.tolist(), strict=True))
    assert len(fp) == len(built.fp_values)
    assert {n for n, _ in fp} <= set(range(len(articles)))
    side.close()


def test_writers_split_a_source_into_bounded_segments(tmp_path: Path) -> None:
    from indexer import writers

    articles = _articles(tmp_path)
    (tmp_path / "ix").mkdir()
    ix = FileIndex.create(FileStorage(str(tmp_path / "ix")), build_schema(), "x")
    root = (tmp_path / "source").resolve()
    paths = sorted(p for p in root.rglob("*") if p.is_file())
    job = writers.Job(root, ix, 2**25, segment_paragraphs=200)
    built, reports = writers.write(job, paths, procs=1)
    assert len(built) >= 3 and all(b.docs <= 200 + 80 for b in built)  # an article is never split
    assert sum(b.articles for b in built) == len(articles)
    assert sum(len(r.files) for r in reports) == len(paths)
