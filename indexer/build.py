"""Reindex: a full rebuild in bounded memory published atomically, or an incremental commit.

**Full rebuild.** A new Whoosh index is written beside the live one. Writer
processes read the source files and write segments of at most
``segment_paragraphs`` paragraphs each (:mod:`indexer.writers`), so memory is
set by configuration, not by the archive. Then, in this process: an article
id given by two files keeps the first (the later copies are deleted);
near-duplicate articles are clustered over all segments
(:func:`~indexer.duplicates.clusters`) and each segment gets its cluster
labels; one table of contents lists the segments; ``CURRENT`` switches to the
new index with one atomic rename.

**Incremental run.** Files whose size and times match the manifest of the
live generation are not read. Articles of changed files are compared by
content hash with the index's own (from the sidecars); the paragraphs of
updated and removed articles are marked deleted, new and updated articles go
into one new segment, and one new table of contents commits both. Files of
generations no searcher needs any more are deleted afterwards.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex

from . import duplicates, failpoints, semantic, storage, whoosh_internals, writers
from .columns import DUP_SUFFIX, DocTable, doc_table
from .config import IndexConfig
from .errors import BylineError, IndexCorrupt, IndexMissing
from .formats import Scan, read_file, walk
from .models import Article, IndexStats, Skip
from .paragraphs import split_paragraphs
from .schema import FIELD_NAMES, build_schema, schema_stemmer
from .segment_writer import BuiltSegment, SegmentBuilder, id_hash
from .sidecar import SidecarError

log = logging.getLogger("byline")

Progress = Callable[[int, int], None]


def reindex(
    config: IndexConfig,
    full: bool = False,
    progress: Progress | None = None,
    write: writers.Write | None = None,
) -> IndexStats:
    """Bring the index in line with the source folder; see the module docstring.

    ``write`` replaces :func:`writers.write` for a full rebuild's writing (the
    cluster's writers); the rest (publishing, the manifest) happens here.
    """
    started = time.perf_counter()
    index_dir = config.index_dir
    with storage.reindex_lock(index_dir, "full rebuild" if full else "incremental reindex"):
        failpoints.reached("locked")
        ix: FileIndex | None = None
        try:
            ix = storage.open_index(index_dir)
            if schema_stemmer(ix.schema) != config.stemmer:
                log.warning("stemmer changed to %s: rebuilding the whole index", config.stemmer)
                full = True
            elif set(ix.schema.names()) != FIELD_NAMES or (made := _vector_tables(ix)) is None:
                log.warning("the index was built by another version of Byline: rebuilding it")
                full = True
            elif made - {semantic.table_digest()}:
                log.warning("the word-vector table changed: rebuilding the whole index")
                full = True
        except IndexMissing:
            full = True
        except IndexCorrupt as exc:
            log.warning("%s; rebuilding", exc)
            full = True
        scan = Scan()
        if not config.source_dir.is_dir():
            raise BylineError(
                f"source folder {config.source_dir} does not exist; "
                "pass --source DIR or set BYLINE_SOURCE_DIR"
            )
        if full:
            counts = _full(config, scan, progress, write or writers.write)
        else:
            assert ix is not None
            counts = _incremental(ix, config, scan, progress)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        final = storage.open_index(index_dir)
        with final.searcher() as s:
            articles, paragraphs = storage.count(s)
            storage.record_first_seen(index_dir, doc_table(s).article_ids(), int(time.time()))
        generation = f"{storage.current_name(index_dir)}.{final.latest_generation()}"
        stats = IndexStats(
            articles=articles,
            paragraphs=paragraphs,
            skipped=tuple(scan.skipped),
            warnings=tuple(scan.warnings),
            ignored=scan.ignored,
            seconds=time.perf_counter() - started,
            generation=generation,
            last_reindex=now,
            full=full,
            **counts,
        )
        storage.write_meta(index_dir, stats.to_dict())
        return stats


def _vector_tables(ix: FileIndex) -> frozenset[str] | None:
    """The tables the segments' vectors came from, or None if a sidecar does not open
    (an index of an older Byline has none)."""
    with ix.searcher() as s:
        try:
            return doc_table(s).vector_tables
        except SidecarError:
            return None


def _procs(config: IndexConfig) -> int:
    return config.writer_procs or min(os.cpu_count() or 1, 4)


def _write_failed(index_dir: Path, exc: OSError) -> BylineError:
    return BylineError(
        f"could not write the index in {index_dir}: {exc.strerror or exc}; "
        "the previous index is unchanged. Free some disk space and run reindex again"
    )


# --- full rebuild ------------------------------------------------------------------------------


def _full(
    config: IndexConfig, scan: Scan, progress: Progress | None, write: writers.Write
) -> dict[str, int]:
    index_dir = config.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    keep = storage.current_name_or_none(index_dir)
    storage.remove_stale(index_dir, keep=keep)  # leftovers of a killed rebuild
    name = storage.next_name(index_dir)
    ix = FileIndex.create(FileStorage(str(index_dir)), build_schema(config.stemmer), name)
    root = config.source_dir.resolve()
    storage.load_stems(index_dir, config.stemmer)  # the last index's stems, inherited by writers
    try:
        paths = list(walk(root, scan))
        job = writers.Job(root, ix, config.max_file_mb * 2**20, config.segment_paragraphs)
        try:
            built, reports = write(job, paths, _procs(config), progress)
        except OSError as exc:
            raise _write_failed(index_dir, exc) from None
        files = _collect(reports, scan)
        built.sort(key=lambda b: b.segment.segment_id())  # a stable order for the TOC
        articles = _drop_duplicate_ids(ix, built, reports, scan)
        _label_clusters(ix, built)
        failpoints.reached("segments-written")
        storage.write_toc(ix, [b.segment for b in built if b.docs], 1)
    except BaseException:
        storage.remove_stale(index_dir, keep=keep)  # drop the half-written new index
        raise
    storage.publish(index_dir, name)
    failpoints.reached("published")
    storage.write_manifest(index_dir, name, 1, files)
    storage.save_stems(index_dir, config.stemmer, ix=storage.open_index(index_dir))
    return {"added": articles, "updated": 0, "removed": 0, "unchanged": 0}


def _collect(reports: list[writers.TaskDone], scan: Scan) -> dict[str, list[int]]:
    """The writers' findings into ``scan`` (in walk order), and the manifest of files read."""
    files: dict[str, list[int]] = {}
    for report in sorted(reports, key=lambda r: r.number):
        scan.skipped.extend(report.skipped)
        scan.warnings.extend(report.warnings)
        scan.ignored += report.ignored
        for done in report.files:
            if done.stat is not None:
                files[done.rel] = list(done.stat)
    return files


def _drop_duplicate_ids(
    ix: FileIndex, built: list[BuiltSegment], reports: list[writers.TaskDone], scan: Scan
) -> int:
    """Keep the first file's article when two files give one id; returns the articles kept."""
    hashes = np.concatenate([b.id_hashes for b in built]) if built else np.zeros(0, np.uint64)
    distinct, counts = np.unique(hashes, return_counts=True)
    repeated = set(distinct[counts > 1].tolist())
    if not repeated:
        return len(hashes)
    from .sidecar import Sidecar, path_for

    order = {d.rel: (r.number, n) for r in reports for n, d in enumerate(r.files)}
    seen: dict[str, list[tuple[tuple[int, int, int], int, int, str]]] = {}
    for si, b in enumerate(built):
        numbers = np.flatnonzero(np.isin(b.id_hashes, list(repeated))).tolist()
        if not numbers:
            continue
        side = Sidecar(path_for(ix.storage.folder, b.segment.segment_id()))
        ids = side.strings("article.id")
        path_codes = side.array("article.path")
        paths = side.strings("values.path")
        for n in numbers:
            path = paths[int(path_codes[n])]
            seen.setdefault(ids[n], []).append(((*order.get(path, (1 << 30, 0)), n), si, n, path))
        side.close()
    dropped = 0
    for aid, places in seen.items():
        places.sort()
        first_path = places[0][3]
        for _, si, n, path in places[1:]:
            scan.skipped.append(Skip(path, f"duplicate article id {aid!r} (also {first_path})"))
            _delete_article(ix, built[si].segment, n)
            dropped += 1
    return len(hashes) - dropped


def _delete_article(ix: FileIndex, segment: Any, number: int) -> None:
    from .sidecar import Sidecar, path_for

    side = Sidecar(path_for(ix.storage.folder, segment.segment_id()))
    docs = np.flatnonzero(side.array("doc.article") == number).tolist()
    side.close()
    for d in docs:
        segment.delete_document(d)


def _label_clusters(ix: FileIndex, built: list[BuiltSegment]) -> None:
    """Cluster near-duplicate articles over every segment; write each segment's labels."""
    from .sidecar import Sidecar, path_for

    firsts = np.concatenate(([0], np.cumsum([b.articles for b in built], dtype=np.int64)))
    parts = [(b.fp_articles.astype(np.int64) + firsts[i], b.fp_values) for i, b in enumerate(built)]
    if not parts:
        return
    arts = np.concatenate([p[0] for p in parts])
    fps = np.concatenate([p[1] for p in parts])
    sides: dict[int, list[str]] = {}

    def ids_of(numbers: list[int]) -> list[str]:
        out = []
        for n in numbers:
            si = int(np.searchsorted(firsts, n, side="right")) - 1
            if si not in sides:
                side = Sidecar(path_for(ix.storage.folder, built[si].segment.segment_id()))
                sides[si] = side.strings("article.id")
                side.close()
            out.append(sides[si][n - int(firsts[si])])
        return out

    found = duplicates.clusters(arts, fps, ids_of)
    if not found:
        return
    labels = dict(zip(found, ids_of(list(found.values())), strict=True))
    per_segment: dict[int, dict[str, str]] = {}
    member_ids = dict(zip(found, ids_of(list(found)), strict=True))
    for number, label in labels.items():
        si = int(np.searchsorted(firsts, number, side="right")) - 1
        per_segment.setdefault(si, {})[member_ids[number]] = label
    for si, mapping in per_segment.items():
        write_labels(ix, built[si].segment, mapping)


def write_labels(ix: FileIndex, segment: Any, mapping: dict[str, str]) -> None:
    """A segment's near-duplicate labels (article id -> cluster label), beside its sidecar."""
    import json

    from .sidecar import path_for

    path = path_for(ix.storage.folder, segment.segment_id()).with_suffix(DUP_SUFFIX)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(mapping, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


# --- incremental ------------------------------------------------------------------------------


@dataclass
class _Known:
    """The live index's articles: by id hash, with their ids and content hashes."""

    table: DocTable
    idhash: np.ndarray  # sorted
    code: np.ndarray  # global article code, in idhash order
    live_articles: np.ndarray  # bool per global article code
    ids: list[str]  # per global article code
    hashes: np.ndarray  # (codes, 16) bytes per global article code; zeros: none

    def find(self, article_id: str) -> int:
        """The live global article code of an id, or 0."""
        h = np.uint64(id_hash(article_id))
        at = int(np.searchsorted(self.idhash, h))
        while at < len(self.idhash) and self.idhash[at] == h:
            code = int(self.code[at])
            if self.live_articles[code] and self.ids[code] == article_id:
                return code
            at += 1
        return 0

    def content_hash(self, code: int) -> str:
        digest = self.hashes[code].tobytes()
        return digest.hex() if digest.strip(b"\0") else ""


def _known(searcher: Any) -> _Known:
    table = doc_table(searcher)
    hashes = [s.array("article.idhash") for s in table.segments]
    idhash = np.concatenate([np.zeros(1, np.uint64), *hashes])
    live = np.zeros(table.articles + 1, dtype=bool)
    live[table.article[table.live & (table.article > 0)]] = True
    order = np.argsort(idhash, kind="stable")
    digests = np.concatenate(
        [np.zeros((1, 16), np.uint8), *(s.array("article.hash") for s in table.segments)]
    )
    return _Known(table, idhash[order], order, live, table.article_ids(), digests)


def _incremental(
    ix: FileIndex, config: IndexConfig, scan: Scan, progress: Progress | None
) -> dict[str, int]:
    index_dir = config.index_dir
    name = storage.current_name(index_dir)
    assert name is not None
    generation = ix.latest_generation()
    storage.load_stems(index_dir, config.stemmer)  # words the index knows need no NLTK
    previous = storage.read_manifest(index_dir, name, generation)
    root = config.source_dir.resolve()
    paths = list(walk(root, scan))
    files: dict[str, list[int]] = {}
    with ix.searcher() as searcher:
        try:
            known = _known(searcher)
        except SidecarError as exc:
            raise IndexCorrupt(
                f"the index in {index_dir} cannot be read ({exc}); "
                "run `python manage.py reindex --full`"
            ) from None
        table = known.table
        path_codes, path_values = table.article_codes("path")
        by_path: dict[str, list[int]] = {}
        for code in np.flatnonzero(known.live_articles).tolist():
            by_path.setdefault(path_values[path_codes[code]], []).append(code)
        seen: set[int] = set()
        added: list[Article] = []
        updated: list[tuple[Article, int]] = []
        unchanged = 0
        for n, path in enumerate(paths, start=1):
            rel = path.relative_to(root).as_posix()
            try:
                st = path.stat()
                stat = [st.st_size, st.st_mtime_ns, st.st_ctime_ns]
            except OSError:
                stat = None
            old = by_path.get(rel, [])
            if stat is not None and previous.get(rel) == stat and old:
                files[rel] = stat
                seen.update(old)
                unchanged += len(old)
            else:
                here = {known.ids[c]: c for c in old}
                scan.known = {aid: known.content_hash(c) for aid, c in here.items()}
                articles = read_file(path, root, scan, config.max_file_mb * 2**20)
                for article in articles:
                    code = here.get(article.id) or known.find(article.id)
                    if code in seen and code:
                        scan.skipped.append(
                            Skip(article.path, f"duplicate article id {article.id!r}")
                        )
                        continue
                    if not code:
                        if any(a.id == article.id for a in added):
                            scan.skipped.append(
                                Skip(article.path, f"duplicate article id {article.id!r}")
                            )
                            continue
                        added.append(replace(article, paragraphs=split_paragraphs(article)))
                        continue
                    seen.add(code)
                    if scan.known.get(article.id, known.content_hash(code)) == article.content_hash:
                        unchanged += 1
                    else:
                        updated.append(
                            (replace(article, paragraphs=split_paragraphs(article)), code)
                        )
                if articles and stat is not None:
                    files[rel] = stat
            failpoints.reached("reading")
            if progress is not None:
                progress(n, len(paths))
        removed = [c for c in np.flatnonzero(known.live_articles).tolist() if c not in seen]
        counts = {
            "added": len(added),
            "updated": len(updated),
            "removed": len(removed),
            "unchanged": unchanged,
        }
        if not (added or updated or removed):
            storage.write_manifest(index_dir, name, generation, files)
            return counts
        changed = [a for a, _ in updated] + added
        labels = _incremental_labels(table, changed, {c for _, c in updated} | set(removed))
        gone = [c for _, c in updated] + removed
    segments = whoosh_internals.segments(ix)
    _mark_deleted(table, segments, gone)
    new: list[Any] = []
    added_words: set[str] = set()
    if changed:
        builder = SegmentBuilder(ix)
        try:
            for article in changed:
                builder.add(article)
                added_words.update(_words(article))
            built = builder.finish()
        except OSError as exc:
            builder.abort()
            raise _write_failed(index_dir, exc) from None
        failpoints.reached("segment-written")
        mapping = {a.id: labels[a.id] for a in changed if labels.get(a.id, a.id) != a.id}
        mapping.update(
            {label: label for label in set(mapping.values()) if label in {a.id for a in changed}}
        )
        if mapping:
            write_labels(ix, built.segment, mapping)
        new.append(built.segment)
    segments = [s for s in segments if _live(s)] + new
    try:
        segments = _merge_small(ix, segments, config.segment_paragraphs)
    except OSError as exc:
        raise _write_failed(index_dir, exc) from None
    failpoints.reached("commit")
    try:
        storage.write_toc(ix, segments, generation + 1)
    except OSError as exc:
        raise _write_failed(index_dir, exc) from None
    storage.write_manifest(index_dir, name, generation + 1, files)
    storage.save_stems(index_dir, config.stemmer, words=added_words)
    storage.clean(index_dir, name)
    return counts


#: An incremental run merges small segments once there are more than this many of a size.
MAX_SMALL_SEGMENTS = 8


def _live(segment: Any) -> int:
    return int(segment.doc_count_all() - segment.deleted_count())


def _merge_small(ix: FileIndex, segments: list[Any], limit: int) -> list[Any]:
    """Merge the smallest segments when incremental runs have left too many of them.

    Every run adds a segment. Segments of at least half of ``limit`` (what a
    full rebuild writes) are never merged: rewriting them would cost a run
    time in proportion to the archive. Smaller ones are merged a tier at a
    time (below 1/16 of ``limit``, then below 1/2) once a tier holds more than
    :data:`MAX_SMALL_SEGMENTS`, the smallest first, at most one merge a run,
    the live paragraphs re-read from the segments themselves. Since a query
    reads one list per word for the whole index (:mod:`indexer.topk`), a few
    more segments cost it little.
    """
    for tier in (max(1, limit // 16), max(1, limit // 2)):
        small = sorted((s for s in segments if _live(s) < tier), key=_live)
        if len(small) <= MAX_SMALL_SEGMENTS:
            continue
        chosen: list[Any] = []
        total = 0
        for segment in small:
            if len(chosen) >= 2 and total + _live(segment) > tier:
                break
            chosen.append(segment)
            total += _live(segment)
        merged = _rewrite(ix, chosen)
        ids = {s.segment_id() for s in chosen}
        return [s for s in segments if s.segment_id() not in ids] + [merged]
    return segments


def _rewrite(ix: FileIndex, segments: list[Any]) -> Any:
    """One new segment holding the live articles of ``segments`` (their labels kept)."""
    from whoosh.reading import SegmentReader

    from .columns import DUP_SUFFIX
    from .models import Paragraph, paragraph_kind
    from .sidecar import Sidecar, path_for

    builder = SegmentBuilder(ix)
    labels: dict[str, str] = {}
    try:
        for segment in segments:
            side_path = path_for(ix.storage.folder, segment.segment_id())
            try:
                import json

                labels.update(json.loads(side_path.with_suffix(DUP_SUFFIX).read_text("utf-8")))
            except FileNotFoundError:
                pass
            side = Sidecar(side_path)
            articles = side.array("doc.article")
            ids = side.strings("article.id")
            side.close()
            reader = SegmentReader(ix.storage, ix.schema, segment)
            try:
                current: list[tuple[dict[str, Any], int]] = []
                for docnum in range(segment.doc_count_all()):
                    if reader.is_deleted(docnum) or articles[docnum] >= len(ids):
                        continue
                    if current and articles[docnum] != articles[current[0][1]]:
                        builder.add(
                            _article(
                                ids[int(articles[current[0][1]])],
                                current,
                                Paragraph,
                                paragraph_kind,
                            )
                        )
                        current = []
                    current.append((reader.stored_fields(docnum), docnum))
                if current:
                    builder.add(
                        _article(
                            ids[int(articles[current[0][1]])], current, Paragraph, paragraph_kind
                        )
                    )
            finally:
                reader.close()
        built = builder.finish()
    except BaseException:
        builder.abort()
        raise
    kept = {aid: label for aid, label in labels.items()}
    if kept:
        write_labels(ix, built.segment, kept)
    return built.segment


def _article(
    article_id: str, docs: list[tuple[dict[str, Any], int]], paragraph: Any, kind: Any
) -> Article:
    paragraphs = tuple(
        paragraph(
            article_id, f["paragraph_no"], kind(f["kind"]), f.get("text", ""), f.get("heading")
        )
        for f, _ in docs
    )
    meta = docs[0][0].get("article") or {"title": docs[0][0].get("title", "")}
    return Article.from_meta(article_id, meta, paragraphs)


def _words(article: Article) -> set[str]:
    from .analysis import words

    out: set[str] = set()
    for p in article.paragraphs:
        if p.searchable:
            out.update(words(p.text))
    return out


def _mark_deleted(table: DocTable, segments: list[Any], codes: list[int]) -> None:
    """Mark every paragraph of the articles ``codes`` deleted in the segment objects."""
    by_id = {s.segment_id(): s for s in segments}
    for code in codes:
        for docnum in table.docs_of_article(code).tolist():
            si, local = table.segment_of(docnum)
            segment = by_id.get(table.readers[si].segment().segment_id())
            if segment is not None:
                segment.delete_document(local)


def _incremental_labels(table: DocTable, changed: list[Article], skip: set[int]) -> dict[str, str]:
    """Cluster labels for changed articles, joining the clusters the index already has.

    The changed articles cluster among themselves as a rebuild would; then
    every live article (but ``skip``) sharing a fingerprint with one is found
    with array joins, not one lookup per fingerprint (a boilerplate paragraph
    can be shared by thousands), and a changed cluster joins the existing one
    with the smallest label among those it overlaps enough.
    """
    if not changed:
        return {}
    batch = {a.id: duplicates.article_fingerprints(a.paragraphs) for a in changed}
    labels = duplicates.batch_labels(batch)
    ids = sorted(aid for aid in batch if batch[aid])
    if not ids:
        return labels
    new_art = np.repeat(np.arange(len(ids)), [len(batch[aid]) for aid in ids])
    new_fp = np.fromiter(
        (int(fp, 16) for aid in ids for fp in batch[aid]), dtype=np.uint64, count=len(new_art)
    )
    eligible = np.flatnonzero((table.flags & 1).astype(bool) & table.live)
    fps, arts = table.phash[eligible], table.article[eligible].astype(np.int64)
    near = np.unique(arts[np.isin(fps, new_fp)])
    near = near[~np.isin(near, np.fromiter(skip, dtype=np.int64, count=len(skip)))]
    if not len(near):
        return labels
    mine = np.isin(arts, near)
    # each candidate's distinct fingerprints, in fingerprint order for the join
    m_fp, m_art = fps[mine], arts[mine]
    order = np.lexsort((m_art, m_fp))
    m_fp, m_art = m_fp[order], m_art[order]
    first = np.ones(len(m_fp), dtype=bool)
    first[1:] = (m_fp[1:] != m_fp[:-1]) | (m_art[1:] != m_art[:-1])
    old_fp, old_art = m_fp[first], m_art[first]
    codes, sizes = np.unique(old_art, return_counts=True)
    lo = np.searchsorted(old_fp, new_fp, side="left")
    width = np.searchsorted(old_fp, new_fp, side="right") - lo
    starts = np.repeat(lo - (np.cumsum(width) - width), width)
    right = old_art[starts + np.arange(int(width.sum()))]
    if not len(right):
        return labels
    span = int(table.articles) + 1
    both, common = np.unique(np.repeat(new_art, width) * span + right, return_counts=True)
    a, b = both // span, both % span
    new_sizes = np.array([len(batch[aid]) for aid in ids])
    old_sizes = sizes[np.searchsorted(codes, b)]
    ok = common / (new_sizes[a] + old_sizes - common) >= duplicates.NEAR_DUPLICATE
    outside: dict[str, str] = {}
    for i, code in zip(a[ok].tolist(), b[ok].tolist(), strict=True):
        label = table.dup_label(int(table.docs_of_article(code)[0])) or table.article_id(code)
        root = labels[ids[i]]
        if root not in outside or label < outside[root]:
            outside[root] = label
    return {aid: outside.get(root, root) for aid, root in labels.items()}
