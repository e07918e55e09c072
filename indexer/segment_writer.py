"""Write one segment from articles: Whoosh's own files, byte for byte, plus Byline's sidecar.

Whoosh's ``SegmentWriter`` sends every posting through a pool of tuples that
it sorts (spilling to temporary files) and then through a per-posting writer
that looks each document's field length up again. A segment built here knows
its documents as they come and numbers them in order, so each term's
postings are gathered in document order as they are analysed and written a
block at a time through Whoosh's own codec objects: the files are the ones
Whoosh would write (a test compares every byte), so Whoosh's readers,
searchers and tools use them as any other segment.

Beside them goes the segment's sidecar (:mod:`indexer.sidecar`): the columns
and posting lists search reads as arrays (:mod:`indexer.postings`,
:mod:`indexer.columns`). A builder holds at most one segment in memory; the
rebuild bounds its size (``IndexConfig.segment_paragraphs``), so memory does
not grow with the archive.

Segment files stay separate (never one compound file): Whoosh reads a
compound file by copying each part into a private buffer for every searcher,
so a web server with 8 threads held 8 copies of the index; separate files are
read in place.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from whoosh.codec import default_codec
from whoosh.index import FileIndex
from whoosh.util.numeric import byte_to_length, length_to_byte

from . import semantic, sidecar, whoosh_internals
from .analysis import encode_counts, words
from .duplicates import MIN_WORDS, paragraph_key
from .models import KIND_NAMES, Article
from .schema import POSTED_FIELDS, VOCABULARY, documents, schema_stemmer
from .sidecar import term_key

#: The ``kind`` code of the vocabulary document (the paragraph kinds are 0-4).
VOCABULARY_KIND = 255
#: Flags column: a body paragraph long enough to mark two articles as copies.
FLAG_FINGERPRINT = 1

Docs = Iterable[dict[str, Any]]


def date_ordinal(value: str | None) -> int:
    """An ISO date as a day number (0: none), for range filters and sorting in arrays."""
    if not value:
        return 0
    try:
        return date.fromisoformat(value[:10]).toordinal()
    except ValueError:
        return 0


class _Table:
    """Distinct strings of a column, code 0 being the empty string."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {"": 0}

    def code(self, value: str | None) -> int:
        if not value:
            return 0
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.index)
        return found

    def values(self) -> list[str]:
        return list(self.index)


#: Article metadata kept as columns: for filters, facets and the manifest.
ARTICLE_COLUMNS = ("source", "section", "author", "place", "topic", "tag", "path")


@dataclass(frozen=True)
class BuiltSegment:
    """What a finished segment tells the rebuild: the Whoosh segment and its articles."""

    segment: Any
    docs: int
    articles: int
    #: 8-byte hashes of the article ids, in the segment's article order (duplicate ids).
    id_hashes: np.ndarray
    #: (article number in the segment, paragraph fingerprint) for near-duplicate detection.
    fp_articles: np.ndarray
    fp_values: np.ndarray


def id_hash(article_id: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(article_id.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
        "little",
    )


class SegmentBuilder:
    """One new segment of ``ix`` (not listed in its TOC until the caller writes one)."""

    def __init__(self, ix: FileIndex) -> None:
        self.ix = ix
        self.schema = ix.schema
        self.codec = default_codec()
        self.segment = self.codec.new_segment(ix.storage, ix.indexname)
        self._perdoc = self.codec.per_document_writer(ix.storage, self.segment)
        self._fast = _fast_fields(self.schema)
        # field -> term -> (docnums, term frequencies or weights, positions or values)
        self._postings: dict[str, dict[bytes, tuple[array, Any, Any]]] = {}
        self._lengths: dict[str, array] = {}
        self._last: dict[str, tuple[Any, Any]] = {}
        self._vocabulary: Counter[str] = Counter()
        self.docs = 0
        # sidecar columns, one entry per document
        self._doc_article = array("I")
        self._doc_kind = array("B")
        self._doc_phash = array("Q")
        self._doc_flags = array("B")
        self._doc_date = array("i")
        self._doc_len = {name: array("B") for name in POSTED_FIELDS}
        # one entry per article
        self._article_ids: list[str] = []
        self._article_hash: list[bytes] = []
        self._article_cols: dict[str, array] = {n: array("I") for n in ARTICLE_COLUMNS}
        self._tables = {n: _Table() for n in ARTICLE_COLUMNS}
        self._id_hashes = array("Q")
        self._fp_articles = array("I")
        self._fp_values = array("Q")

    # -- adding ------------------------------------------------------------------------

    def add(self, article: Article) -> None:
        """Add one article (its paragraphs already split) as consecutive documents."""
        number = len(self._article_ids)
        self._article_ids.append(article.id)
        self._id_hashes.append(id_hash(article.id))
        self._article_hash.append(
            bytes.fromhex(article.content_hash) if article.content_hash else b""
        )
        metadata = {
            "source": article.source,
            "section": article.section,
            "author": article.author,
            "place": ",".join(article.places),
            "topic": ",".join(article.topics),
            "tag": ",".join(article.tags),
            "path": article.path,
        }
        for name, value in metadata.items():
            self._article_cols[name].append(self._tables[name].code(value))
        day = date_ordinal(article.date)
        fingerprints: set[int] = set()
        for paragraph, doc in zip(article.paragraphs, documents(article), strict=True):
            phash = 0
            flags = 0
            if paragraph.searchable:
                key = paragraph_key(paragraph.text)
                phash = int(key, 16)
                self._vocabulary.update(set(words(paragraph.text)))
                if paragraph.kind == "body" and len(paragraph.text.split()) >= MIN_WORDS:
                    flags |= FLAG_FINGERPRINT
                    fingerprints.add(phash)
            self._doc_article.append(number)
            self._doc_kind.append(KIND_NAMES.index(paragraph.kind))
            self._doc_phash.append(phash)
            self._doc_flags.append(flags)
            self._doc_date.append(day)
            self._add_doc(doc)
        for fp in sorted(fingerprints):
            self._fp_articles.append(number)
            self._fp_values.append(fp)

    def _add_doc(self, doc: dict[str, Any]) -> None:
        docnum = self.docs
        perdoc = self._perdoc
        schema = self.schema
        perdoc.start_doc(docnum)
        field_length = dict.fromkeys(POSTED_FIELDS, 0)
        for fieldname in sorted(name for name in doc if not name.startswith("_")):
            value = doc[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                length = self._index(docnum, fieldname, field, value)
                if length:
                    # what Whoosh's writer reads back from the byte-coded length column
                    lengths = self._lengths.setdefault(fieldname, array("I"))
                    if len(lengths) <= docnum:
                        lengths.extend(bytes(4 * (docnum + 1 - len(lengths))))
                    lengths[docnum] = byte_to_length(length_to_byte(length))
                if fieldname in field_length:
                    field_length[fieldname] = length
            stored = doc.get(f"_stored_{fieldname}", value)
            perdoc.add_field(fieldname, field, stored if field.stored else None, length)
        perdoc.finish_doc()
        for name, length in field_length.items():
            self._doc_len[name].append(length_to_byte(length) if length else 0)
        self.docs += 1

    def _index(self, docnum: int, fieldname: str, field: Any, value: Any) -> int:
        """Add one field value's postings; returns its length (Whoosh's count of terms)."""
        positional = fieldname in self._fast and isinstance(value, str)
        cached = self._last.get(fieldname)
        if cached is not None and cached[0] == value:
            items = cached[1]  # the title, repeated on every paragraph of an article
        else:
            items = self._fast[fieldname](value) if positional else list(field.index(value))
            self._last[fieldname] = (value, items)
        per_term = self._postings.setdefault(fieldname, {})
        length = 0
        if positional:
            for tbytes, poses in items:
                length += len(poses)
                entry = per_term.get(tbytes)
                if entry is None:
                    entry = per_term[tbytes] = (array("I"), array("H"), array("H"))
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
        return length

    # -- finishing ----------------------------------------------------------------------

    def finish(self) -> BuiltSegment:
        """Write the segment's files; the segment is complete but not yet in any TOC."""
        if self._vocabulary:
            vocabulary = {"kind": VOCABULARY, "spell": encode_counts(self._vocabulary)}
            self._doc_article.append(len(self._article_ids))  # past the last article: none
            self._doc_kind.append(VOCABULARY_KIND)
            self._doc_phash.append(0)
            self._doc_flags.append(0)
            self._doc_date.append(0)
            self._add_doc(vocabulary)
        self._perdoc.close()
        self._write_postings()
        self.segment.set_doc_count(self.docs)
        self._write_sidecar()
        return BuiltSegment(
            self.segment,
            self.docs,
            len(self._article_ids),
            np.frombuffer(self._id_hashes, dtype=np.uint64).copy(),
            np.frombuffer(self._fp_articles, dtype=np.uint32).copy(),
            np.frombuffer(self._fp_values, dtype=np.uint64).copy(),
        )

    def _write_postings(self) -> None:
        """Terms in order, each posting list in blocks, through Whoosh's own field writer."""
        fw = self.codec.field_writer(self.ix.storage, self.segment)
        try:
            for fieldname in sorted(self._postings):
                field = self.schema[fieldname]
                fw.start_field(fieldname, field)
                blocks = whoosh_internals.BlockWriter(fw)
                limit = blocks.block_limit
                encode = field.format.encode if fieldname in self._fast else None
                boost = field.format.field_boost
                field_lengths = self._lengths.get(fieldname)
                known = len(field_lengths) if field_lengths else 0
                per_term = self._postings[fieldname]
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

    def _write_sidecar(self) -> None:
        path = sidecar.path_for(self.ix.storage.folder, self.segment.segment_id())
        out = sidecar.SidecarWriter(path)
        try:
            out.add("doc.article", np.frombuffer(self._doc_article, dtype=np.uint32))
            out.add("doc.kind", np.frombuffer(self._doc_kind, dtype=np.uint8))
            out.add("doc.phash", np.frombuffer(self._doc_phash, dtype=np.uint64))
            out.add("doc.flags", np.frombuffer(self._doc_flags, dtype=np.uint8))
            out.add("doc.date", np.frombuffer(self._doc_date, dtype=np.int32))
            for name, values in self._doc_len.items():
                out.add(f"doc.len.{name}", np.frombuffer(values, dtype=np.uint8))
            out.add_strings("article.id", self._article_ids)
            out.add("article.idhash", np.frombuffer(self._id_hashes, dtype=np.uint64))
            hashes = np.zeros((len(self._article_hash), 16), dtype=np.uint8)
            for i, digest in enumerate(self._article_hash):
                hashes[i, : len(digest)] = np.frombuffer(digest[:16], dtype=np.uint8)
            out.add("article.hash", hashes)
            for name in ARTICLE_COLUMNS:
                out.add(f"article.{name}", np.frombuffer(self._article_cols[name], dtype=np.uint32))
                out.add_strings(f"values.{name}", self._tables[name].values())
            for fieldname in POSTED_FIELDS:
                _add_postings(out, fieldname, self._postings.get(fieldname, {}))
            table = semantic.term_vectors(schema_stemmer(self.schema))
            if table is not None:
                out.add(
                    semantic.VECTORS, semantic.paragraph_vectors(self._postings, self.docs, table)
                )
            out.close(
                {
                    "docs": self.docs,
                    "articles": len(self._article_ids),
                    "stemmer": schema_stemmer(self.schema),
                    "vectors": semantic.table_digest() if table is not None else "none",
                }
            )
        except BaseException:
            out.abort()
            raise

    def abort(self) -> None:
        """Drop what was written of this segment (its files are removed with the index)."""
        try:
            self._perdoc.close()
        except Exception:  # a half-written segment may not close cleanly
            pass


def _add_postings(
    out: sidecar.SidecarWriter,
    fieldname: str,
    per_term: dict[bytes, tuple[array, Any, Any]],
) -> None:
    """One field's posting lists as flat arrays, terms in hash order."""
    terms = sorted(per_term, key=term_key)
    n = len(terms)
    keys = np.fromiter((term_key(t) for t in terms), dtype=np.uint64, count=n)
    df = np.fromiter((len(per_term[t][0]) for t in terms), dtype=np.uint32, count=n)
    post_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(df, out=post_start[1:])
    total = int(post_start[-1])
    ids = np.empty(total, dtype=np.uint32)
    tf = np.empty(total, dtype=np.uint16)
    positions: list[np.ndarray] = []
    pos_start = np.zeros(n + 1, dtype=np.int64)
    for i, t in enumerate(terms):
        t_ids, t_tf, t_pos = per_term[t]
        a, b = post_start[i], post_start[i + 1]
        ids[a:b] = np.frombuffer(t_ids, dtype=np.uint32)
        tf[a:b] = np.frombuffer(t_tf, dtype=np.uint16)
        positions.append(np.frombuffer(t_pos, dtype=np.uint16))
        pos_start[i + 1] = pos_start[i] + len(t_pos)
    info = np.zeros((n, 3), dtype=np.int64)  # df, first posting, first position
    info[:, 0] = df
    info[:, 1] = post_start[:-1]
    info[:, 2] = pos_start[:-1]
    out.add(f"{fieldname}.keys", keys)
    out.add(f"{fieldname}.info", info)
    out.add_strings(f"{fieldname}.terms", [t.decode("utf-8", "surrogatepass") for t in terms])
    out.add(f"{fieldname}.ids", ids)
    out.add(f"{fieldname}.tf", tf)
    out.add(
        f"{fieldname}.positions",
        np.concatenate(positions) if positions else np.zeros(0, dtype=np.uint16),
    )


def _fast_fields(schema: Any) -> dict[str, Callable[[str], list[tuple[bytes, list[int]]]]]:
    """Fields the news analyzer cuts into positions: analysed without Token objects."""
    from whoosh.formats import Positions

    from .analysis import news_analyzer, term_positions

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


def write_documents(ix: FileIndex, docs: Docs) -> Any:
    """Plain Whoosh documents as one segment, without a sidecar (to compare with Whoosh)."""
    builder = SegmentBuilder(ix)
    for doc in docs:
        builder._add_doc(doc)
    builder._perdoc.close()
    builder._write_postings()
    builder.segment.set_doc_count(builder.docs)
    return builder.segment
