"""Reindex: incremental by content hash in one commit, or a full rebuild published atomically."""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.writing import MERGE_SMALL, IndexWriter

from . import duplicates, failpoints, segment_writer, storage
from .analysis import encode_counts, words
from .config import IndexConfig
from .duplicates import paragraph_key
from .errors import BylineError, IndexCorrupt, IndexMissing
from .formats import Scan, read_file
from .formats import walk as iter_files
from .models import Article, IndexStats, Paragraph, Skip
from .paragraphs import split_paragraphs
from .schema import FIELD_NAMES, VOCABULARY, build_schema, schema_stemmer

log = logging.getLogger("byline")

Progress = Callable[[int, int], None]

#: Below this many articles a single-process writer is faster than forking workers.
PARALLEL_MIN_ARTICLES = 2000


def paragraph_documents(article: Article, dup: str | None = None) -> Iterator[dict[str, Any]]:
    """The Whoosh documents for one article: one per paragraph, headline first."""
    paragraphs = article.paragraphs or split_paragraphs(article)
    count = len(paragraphs)
    meta: dict[str, Any] = {"dup": dup or article.id}
    for name, value in (
        ("date", article.date),
        ("source", article.source),
        ("section", article.section),
        ("author", article.author),
        ("place", ",".join(article.places)),
        ("topic", ",".join(article.topics)),
        ("tag", ",".join(article.tags)),
    ):
        if value:
            meta[name] = value
    for p in paragraphs:
        doc: dict[str, Any] = {
            "article_id": article.id,
            "paragraph_no": p.no,
            "paragraph_count": count,
            "kind": p.kind,
            "heading": p.heading,
        }
        if p.searchable:
            doc.update(
                title=article.title, text=p.text, phash=paragraph_key(p.text).encode("ascii")
            )
            doc.update(meta)
        else:  # kept for the article view, invisible to search
            doc.update(title="", _stored_title=article.title, text="", _stored_text=p.text)
        if p.no == 1:
            doc["hash"] = article.content_hash.encode("ascii")
            doc["article"] = article.meta()
        yield doc


#: What a file looked like when it was last read, and the articles it gave.
FileEntry = list[Any]  # [size, mtime_ns, ctime_ns, [[article_id, content_hash], ...]]
Unchanged = Callable[[str, os.stat_result], "list[str] | None"]


def _source_articles(
    config: IndexConfig,
    scan: Scan,
    progress: Progress | None,
    unchanged: Unchanged | None = None,
    files_out: dict[str, FileEntry] | None = None,
    reused: set[str] | None = None,
) -> Iterator[Article]:
    """Articles from the source folder, duplicates of an earlier id skipped with a reason.

    Paragraphs are not split yet (:func:`_with_paragraphs`): an incremental
    run splits only the articles whose content hash changed.
    ``unchanged(relpath, stat)`` may vouch that a file is as it was at the
    last reindex (returning its article ids): such a file is not read, and
    its ids go to ``reused``. ``files_out`` receives the manifest of this run.
    """
    if not config.source_dir.is_dir():
        raise BylineError(
            f"source folder {config.source_dir} does not exist; "
            "pass --source DIR or set BYLINE_SOURCE_DIR"
        )
    root = config.source_dir.resolve()
    files = list(iter_files(root, scan))
    seen: dict[str, str] = {}
    for n, path in enumerate(files, start=1):
        rel = path.relative_to(root).as_posix()
        try:
            st = path.stat()
        except OSError:
            st = None
        ids = unchanged(rel, st) if unchanged is not None and st is not None else None
        if ids is not None and not any(i in seen for i in ids):
            for aid in ids:
                seen[aid] = rel
            if reused is not None:
                reused.update(ids)
            if files_out is not None and st is not None:
                files_out[rel] = list(_file_entry(st, [(i, "") for i in ids]))
        else:
            kept: list[tuple[str, str]] = []
            for article in read_file(path, root, scan, config.max_file_mb * 2**20):
                if article.id in seen:
                    scan.skipped.append(
                        Skip(
                            article.path,
                            f"duplicate article id {article.id!r} (also {seen[article.id]})",
                        )
                    )
                    continue
                seen[article.id] = article.path
                kept.append((article.id, article.content_hash))
                yield article
            if files_out is not None and st is not None and kept:
                files_out[rel] = _file_entry(st, kept)
        failpoints.reached("reading")
        if progress is not None:
            progress(n, len(files))


def _with_paragraphs(article: Article) -> Article:
    return article if article.paragraphs else replace(article, paragraphs=split_paragraphs(article))


def _file_entry(st: os.stat_result, articles: list[tuple[str, str]]) -> FileEntry:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, [list(a) for a in articles]]


def _unchanged_files(previous: dict[str, FileEntry], known: dict[str, str]) -> Unchanged:
    """Vouch for files whose size and times match the manifest and whose articles the index holds.

    The index's own content hashes are checked too, so a manifest from a run
    that crashed before its commit can never hide a change.
    """

    def unchanged(rel: str, st: os.stat_result) -> list[str] | None:
        entry = previous.get(rel)
        if not entry or entry[:3] != [st.st_size, st.st_mtime_ns, st.st_ctime_ns]:
            return None
        pairs = entry[3]
        if not pairs or any(not h or known.get(aid) != h for aid, h in pairs):
            return None
        return [aid for aid, _ in pairs]

    return unchanged


def _existing_hashes(ix: FileIndex) -> dict[str, str]:
    """article id -> content hash for every live article, from the ``hash`` column."""
    import numpy as np

    from .columns import doc_table

    with ix.searcher() as s:
        table = doc_table(s)
        hashes, hash_values = table.codes("hash")
        ids, id_values = table.codes("article_id")
        docs = np.flatnonzero((hashes != 0) & table.live)
        return {
            id_values[i]: hash_values[h]
            for i, h in zip(ids[docs].tolist(), hashes[docs].tolist(), strict=True)
        }


def _existing_clusters(
    searcher: Any, skip: set[str]
) -> Callable[[str], Iterator[tuple[str, str, frozenset[str]]]]:
    """Look up indexed articles holding a paragraph fingerprint (for incremental dedup)."""
    import numpy as np

    from .columns import doc_table

    table = doc_table(searcher)
    codes, values = table.codes("phash")
    code_of = {v: c for c, v in enumerate(values) if c}
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(values) + 1))
    article_codes, article_values = table.codes("article_id")
    dup_codes, dup_values = table.codes("dup")
    cache: dict[str, tuple[str, frozenset[str]]] = {}

    def lookup(fingerprint: str) -> Iterator[tuple[str, str, frozenset[str]]]:
        code = code_of.get(fingerprint)
        if code is None:
            return
        for docnum in order[starts[code] : starts[code + 1]].tolist():
            if not table.live[docnum]:
                continue
            aid = article_values[article_codes[docnum]]
            if aid in skip:
                continue
            if aid not in cache:
                paragraphs = [
                    Paragraph(aid, f["paragraph_no"], f["kind"], f.get("text", ""))
                    for f in searcher.documents(article_id=aid)
                ]
                cache[aid] = (
                    dup_values[dup_codes[docnum]] or aid,
                    duplicates.article_fingerprints(paragraphs),
                )
            label, fps = cache[aid]
            yield aid, label, fps

    return lookup


def _documents(
    articles: Iterable[Article], labels: dict[str, str], added_words: set[str] | None = None
) -> Iterator[dict[str, Any]]:
    """The articles' paragraph documents, then one vocabulary document.

    The vocabulary counts, for each word, the paragraphs holding it: what
    did-you-mean and prefix expansion rank by (see :class:`~indexer.analysis.CountsTokenizer`).
    """
    vocabulary: Counter[str] = Counter()
    for article in articles:
        for doc in paragraph_documents(article, labels.get(article.id)):
            yield doc
            if doc.get("text"):
                vocabulary.update(set(words(doc["text"])))
    if vocabulary:
        yield {"kind": VOCABULARY, "spell": encode_counts(vocabulary)}
    if added_words is not None:
        added_words.update(vocabulary)


def _split(articles: list[Article], parts: int) -> list[list[Article]]:
    """Contiguous runs of articles with about the same number of paragraphs each."""
    total = sum(len(a.paragraphs) for a in articles) or 1
    out: list[list[Article]] = [[] for _ in range(parts)]
    done = 0
    for article in articles:
        out[min(parts - 1, done * parts // total)].append(article)
        done += len(article.paragraphs)
    return [part for part in out if part]


def reindex(
    config: IndexConfig, full: bool = False, progress: Progress | None = None
) -> IndexStats:
    """Bring the index in line with the source folder; see the module docstring."""
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
            elif set(ix.schema.names()) != FIELD_NAMES:
                log.warning("the index was built by another version of Byline: rebuilding it")
                full = True
        except IndexMissing:
            full = True
        except IndexCorrupt as exc:
            log.warning("%s; rebuilding", exc)
            full = True
        scan = Scan()
        if full:
            counts = _full(config, scan, progress)
        else:
            assert ix is not None
            counts = _incremental(ix, config, scan, progress)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        final = storage.open_index(index_dir)
        with final.searcher() as s:
            articles, paragraphs = storage.count(s)
        generation = f"{storage.current_name(index_dir)}.{final.latest_generation()}"
        if full:
            storage.save_stems(index_dir, config.stemmer, ix=final)
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


def _write(writer: IndexWriter, index_dir: Path, work: Callable[[], None], **commit: Any) -> None:
    """Run ``work`` and commit; on any failure cancel, so the live index stays as it was."""
    try:
        work()
        writer.commit(**commit)
    except BaseException as exc:
        try:
            writer.cancel()
        except Exception:  # a writer that failed mid-way may not cancel cleanly
            pass
        if isinstance(exc, OSError):
            raise _write_failed(index_dir, exc) from None
        raise


def _write_failed(index_dir: Path, exc: OSError) -> BylineError:
    return BylineError(
        f"could not write the index in {index_dir}: {exc.strerror or exc}; "
        "the previous index is unchanged. Free some disk space and run reindex again"
    )


def _full(config: IndexConfig, scan: Scan, progress: Progress | None) -> dict[str, int]:
    index_dir = config.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    keep = storage.current_name_or_none(index_dir)
    storage.remove_stale(index_dir, keep=keep)  # leftovers of a killed rebuild
    name = storage.next_name(index_dir)
    ix = FileIndex.create(FileStorage(str(index_dir)), build_schema(config.stemmer), name)
    files: dict[str, FileEntry] = {}
    articles = [
        _with_paragraphs(a) for a in _source_articles(config, scan, progress, files_out=files)
    ]
    storage.load_stems(
        index_dir, config.stemmer
    )  # the last index's stems, inherited by the workers
    procs = config.writer_procs or min(os.cpu_count() or 1, 4)
    if len(articles) < PARALLEL_MIN_ARTICLES:
        procs = 1
    try:
        labels = duplicates.labels_for(articles)
        parts = [partial(_documents, part, labels) for part in _split(articles, procs)]
        try:
            segment_writer.write_index(ix, parts)
        except OSError as exc:
            raise _write_failed(index_dir, exc) from None
    except BaseException:
        storage.remove_stale(index_dir, keep=keep)  # drop the half-written new index
        raise
    storage.publish(index_dir, name)
    failpoints.reached("published")
    storage.write_manifest(index_dir, name, files)
    return {"added": len(articles), "updated": 0, "removed": 0, "unchanged": 0}


def _incremental(
    ix: FileIndex, config: IndexConfig, scan: Scan, progress: Progress | None
) -> dict[str, int]:
    known = _existing_hashes(ix)
    scan.known = known
    name = storage.current_name(config.index_dir)
    storage.load_stems(config.index_dir, config.stemmer)  # words the index knows need no NLTK
    previous = storage.read_manifest(config.index_dir, name)
    files: dict[str, FileEntry] = {}
    reused: set[str] = set()
    added: list[Article] = []
    updated: list[Article] = []
    seen: set[str] = set()
    articles = _source_articles(
        config, scan, progress, _unchanged_files(previous, known), files, reused
    )
    for article in articles:
        seen.add(article.id)
        old = known.get(article.id)
        if old is None:
            added.append(_with_paragraphs(article))
        elif old != article.content_hash:
            updated.append(_with_paragraphs(article))
    seen |= reused
    for entry in files.values():  # vouched-for files keep their recorded hashes
        entry[3] = [[aid, h or known.get(aid, "")] for aid, h in entry[3]]
    removed = [aid for aid in known if aid not in seen]
    counts = {
        "added": len(added),
        "updated": len(updated),
        "removed": len(removed),
        "unchanged": len(seen) - len(added) - len(updated),
    }
    if not (added or updated or removed):
        storage.write_manifest(config.index_dir, name, files)
        return counts
    changed = updated + added
    with ix.searcher() as s:
        labels = duplicates.cluster_labels(
            {a.id: duplicates.article_fingerprints(a.paragraphs) for a in changed},
            _existing_clusters(s, skip={a.id for a in updated} | set(removed)),
        )
    # Whoosh's writer records the deletions and merges small segments; the
    # new paragraphs go in as one bulk-written segment added to the same commit.
    # compound=False: see segment_writer's docstring (separate files are read in place).
    writer = ix.writer(limitmb=config.writer_limitmb, compound=False)
    added_words: set[str] = set()
    new: list[Any] = []

    def work() -> None:
        for aid in removed:
            writer.delete_by_term("article_id", aid)
        for article in updated:
            writer.delete_by_term("article_id", article.id)
        new.append(segment_writer.write_segment(ix, _documents(changed, labels, added_words)))
        failpoints.reached("segment-written")
        failpoints.reached("commit")

    def merge(w: IndexWriter, segments: list[Any]) -> list[Any]:
        return [*MERGE_SMALL(w, segments), *new]

    _write(writer, config.index_dir, work, mergetype=merge)
    storage.write_manifest(config.index_dir, name, files)
    storage.save_stems(config.index_dir, config.stemmer, words=added_words)
    return counts
