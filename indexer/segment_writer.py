"""Write whole Whoosh segments from memory, for full rebuilds.

Whoosh's ``SegmentWriter`` sends every posting through a pool of tuples that
it sorts (spilling to temporary files) and then through a per-posting writer
that looks each document's field length up again. A full rebuild knows all its
documents up front and numbers them in order, so here each term's postings are
gathered in document order as they are analysed, and written a block at a time
through Whoosh's own codec objects: the files are the ones Whoosh would write
(a test compares every posting, length, column and stored field), so searching,
incremental updates and merges use them as any other segment.

Segment files stay separate (never one compound file): Whoosh reads a
compound file by copying each part into a private buffer for every searcher,
so a web server with 8 threads held 8 copies of the index (2.9 GB of RSS on
the benchmark corpus); separate files are read in place.

The documents are split between worker processes (``fork``: they inherit the
parsed articles instead of receiving them pickled), each writing one segment.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import traceback
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from whoosh.codec import default_codec
from whoosh.index import TOC, FileIndex
from whoosh.util.numeric import byte_to_length, length_to_byte

from . import failpoints, whoosh_internals
from .analysis import STEM_CACHE, load_stem_table

Docs = Iterable[dict[str, Any]]


def write_segment(ix: FileIndex, docs: Docs) -> Any:
    """Write ``docs`` as one new segment of ``ix`` (not yet listed in its TOC); returns it.

    Postings are held compactly until written: docnums, and for positional
    fields the positions themselves (4 bytes each), encoded only when their
    block is written; other fields keep Whoosh's encoded value per posting.
    """
    schema = ix.schema
    storage = ix.storage
    codec = default_codec()
    segment = codec.new_segment(storage, ix.indexname)
    perdoc = codec.per_document_writer(storage, segment)
    postings: dict[str, dict[bytes, tuple[array, Any, Any]]] = {}
    lengths: dict[str, array] = {}
    last_value: dict[str, tuple[Any, Any]] = {}
    fast = _fast_fields(schema)
    docnum = 0
    for doc in docs:
        perdoc.start_doc(docnum)
        for fieldname in sorted(name for name in doc if not name.startswith("_")):
            value = doc[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                positional = fieldname in fast and isinstance(value, str)
                cached = last_value.get(fieldname)
                if cached is not None and cached[0] == value:
                    items = cached[1]  # the title, repeated on every paragraph of an article
                else:
                    items = fast[fieldname](value) if positional else list(field.index(value))
                    last_value[fieldname] = (value, items)
                per_term = postings.setdefault(fieldname, {})
                if positional:
                    for tbytes, poses in items:
                        length += len(poses)
                        entry = per_term.get(tbytes)
                        if entry is None:
                            entry = per_term[tbytes] = (array("I"), array("I"), array("I"))
                        entry[0].append(docnum)
                        entry[1].append(len(poses))
                        entry[2].extend(poses)
                else:
                    for tbytes, freq, weight, vbytes in items:
                        if field.scorable:
                            length += freq
                        entry = per_term.get(tbytes)
                        if entry is None:
                            entry = per_term[tbytes] = (array("I"), array("f"), [])
                        entry[0].append(docnum)
                        entry[1].append(weight)
                        entry[2].append(vbytes)
                if length:
                    # what Whoosh's writer reads back from the byte-coded length column
                    column_lengths = lengths.setdefault(fieldname, array("I"))
                    if len(column_lengths) <= docnum:
                        column_lengths.extend(bytes(4 * (docnum + 1 - len(column_lengths))))
                    column_lengths[docnum] = byte_to_length(length_to_byte(length))
            stored = doc.get(f"_stored_{fieldname}", value)
            perdoc.add_field(fieldname, field, stored if field.stored else None, length)
            column = field.column_type
            if column and stored is not None:
                perdoc.add_column_value(fieldname, column, field.to_column_value(stored))
        perdoc.finish_doc()
        docnum += 1
    perdoc.close()
    _write_postings(codec, storage, segment, schema, postings, lengths, set(fast))
    segment.set_doc_count(docnum)
    return segment


def _fast_fields(schema: Any) -> dict[str, Callable[[str], list[tuple[bytes, list[int]]]]]:
    """Fields the news analyzer cuts into positions: analysed without Token objects."""
    from whoosh.formats import Positions

    from .analysis import news_analyzer, term_positions
    from .schema import schema_stemmer

    stemmer = schema_stemmer(schema)
    out: dict[str, Callable[[str], list[tuple[bytes, list[int]]]]] = {}
    for name in schema.names():
        field = schema[name]
        if type(field.format) is Positions and field.analyzer == news_analyzer(stemmer):

            def items(value: str) -> list[tuple[bytes, list[int]]]:
                return [
                    (term.encode("utf-8"), poses)
                    for term, poses in term_positions(value, stemmer).items()
                ]

            out[name] = items
    return out


def _write_postings(
    codec: Any,
    storage: Any,
    segment: Any,
    schema: Any,
    postings: dict[str, dict[bytes, tuple[array, Any, Any]]],
    lengths: dict[str, array],
    positional: set[str],
) -> None:
    """Terms in order, each posting list in blocks, through Whoosh's own field writer."""
    fw = codec.field_writer(storage, segment)
    try:
        for fieldname in sorted(postings):
            field = schema[fieldname]
            fw.start_field(fieldname, field)
            blocks = whoosh_internals.BlockWriter(fw)
            limit = blocks.block_limit
            is_positional = fieldname in positional
            encode = field.format.encode if is_positional else None
            boost = field.format.field_boost
            field_lengths = lengths.get(fieldname)
            known = len(field_lengths) if field_lengths else 0
            per_term = postings[fieldname]
            for btext in sorted(per_term):
                ids, second, third = per_term[btext]
                fw.start_term(btext)
                n = len(ids)
                at = 0  # into the flat positions of a positional term
                for start in range(0, n, limit):
                    end = min(start + limit, n)
                    block_ids = ids[start:end]
                    if encode is not None:
                        counts = second[start:end]
                        block_weights = array("f", [c * boost for c in counts])
                        values = []
                        for c in counts:
                            values.append(encode(third[at : at + c]))
                            at += c
                    else:
                        block_weights = second[start:end]
                        values = [v for v in third[start:end] if v]
                    minlength, maxlength = None, 0
                    if field_lengths:
                        found = [field_lengths[d] if d < known else 0 for d in block_ids]
                        minlength = min((x for x in found if x), default=None)
                        maxlength = max(found)
                    blocks.block(
                        block_ids, block_weights, values, minlength, maxlength, last=end >= n
                    )
                fw.finish_term()  # writes the last block, marked as last
            fw.finish_field()
    finally:
        fw.close()


def write_index(ix: FileIndex, parts: Sequence[Callable[[], Docs]]) -> None:
    """Write each part's documents as a segment, in parallel, then publish them in one TOC.

    ``ix`` must be a fresh, empty index nobody else writes to (a full rebuild's
    new generation). Nothing is visible until the TOC is written. Words the
    workers stemmed join this process's stem cache (the stem table needs them).
    """
    if len(parts) > 1 and "fork" in multiprocessing.get_all_start_methods():
        segments = _in_children(ix, parts)
    else:
        segments = []
        for part in parts:
            segments.append(write_segment(ix, part()))
            failpoints.reached("segment-written")
    segments = [s for s in segments if s.doc_count_all()]
    failpoints.reached("segments-written")
    TOC(ix.schema, segments, ix.latest_generation() + 1).write(ix.storage, ix.indexname)


def _in_children(ix: FileIndex, parts: Sequence[Callable[[], Docs]]) -> list[Any]:
    ctx = multiprocessing.get_context("fork")
    children = []
    # Frozen objects are never visited by the collector, so the children do
    # not copy the parent's pages (the parsed articles) just by collecting.
    gc.freeze()
    try:
        for part in parts:
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(ix, part, writer, os.getpid()), daemon=True)
            proc.start()
            writer.close()
            children.append((proc, reader))
    finally:
        gc.unfreeze()
    segments: list[Any] = []
    failure: BaseException | None = None
    for proc, reader in children:
        try:
            status, payload = pickle.loads(reader.recv_bytes())
        except EOFError:
            died = OSError(f"an indexing process died (exit code {proc.exitcode})")
            status, payload = "error", died
        finally:
            reader.close()
        proc.join()
        if status == "ok":
            segment, stems = payload
            segments.append(segment)
            for stemmer, table in stems.items():
                load_stem_table(stemmer, table)
        elif failure is None:
            failure = payload
    if failure is not None:
        raise failure
    return segments


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker if the reindex process dies (Linux), so a killed
    rebuild leaves no worker writing files behind it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's next run cleans up instead
        pass
    if os.getppid() != parent:  # died before the request took effect
        os._exit(1)


def _child(ix: FileIndex, part: Callable[[], Docs], conn: Any, parent: int) -> None:
    _die_with(parent)
    gc.disable()  # everything allocated here lives until the segment is written
    known = {name: set(cache) for name, cache in STEM_CACHE.items()}
    try:
        segment = write_segment(ix, part())
        failpoints.reached("segment-written")
        stems = {
            name: {w: s for w, s in cache.items() if w not in known[name]}
            for name, cache in STEM_CACHE.items()
        }
        result: tuple[str, Any] = ("ok", (segment, stems))
    except BaseException as exc:  # sent to the parent, which raises it
        try:
            pickle.dumps(exc)
            result = ("error", exc)
        except Exception:
            message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            result = ("error", RuntimeError(message))
    try:
        conn.send_bytes(pickle.dumps(result))
    finally:
        conn.close()
        os._exit(0)
