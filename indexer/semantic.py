"""Meaning as vectors: static word vectors, paragraph vectors, and their fusion with BM25.

A paragraph's vector is the SIF-weighted sum of the vectors of its index terms
(title included), each term's vector the frequency-weighted mean of the words
of the shipped table (``data/static-e5.npz``, made by :mod:`indexer.distill`
from multilingual-e5-small: words embedded alone, then fitted to the model's
vectors of whole paragraphs) that stem to it. SIF (Arora et al. 2017) weighs a
term ``a / (a + p)``, ``p`` its share of the postings, so frequent terms count
little; ``p`` is taken in the segment being written (its own postings), and for
a query in the whole index, so no pass over the archive is needed.

Vectors are int8 rows of unit length (x 127), one per document, in the
segment's sidecar (``doc.vec``); a search reads only its candidates' rows.
In ``hybrid`` mode the words' best candidates are ranked by ``(1 - alpha) *
bm25 / max(bm25) + alpha * cosine``; ``semantic`` adds the best matches of the
query's nearest index terms (neighbour words) and ranks them all by cosine.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import STEM_FUNCTIONS, STOPWORDS

TABLE_FILE = Path(__file__).with_name("data") / "static-e5.npz"
#: The SIF constant ``a`` (Arora et al.'s 1e-3).
SIF_A = 1e-3
#: Name of the sidecar array holding each document's vector.
VECTORS = "doc.vec"
#: Fields whose terms make a paragraph's vector (the title counts in every paragraph).
VECTOR_FIELDS = ("text", "title")
_UNIT = 127.0


@dataclass(frozen=True)
class TermVectors:
    """One vector per index term (stem) of the table's words, for one stemmer."""

    rows: dict[str, int]
    vectors: np.ndarray  # float32 (terms, dims)
    names: tuple[str, ...]  # the term of each row
    norms: np.ndarray  # each row's length (1 for an empty row)

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    def weighted_sum(self, weights: Mapping[str, float]) -> np.ndarray | None:
        """The unit vector of ``sum(weight * vector)`` over known terms, or None."""
        found = [(self.rows[t], w) for t, w in weights.items() if t in self.rows and w > 0]
        if not found:
            return None
        rows = np.fromiter((r for r, _ in found), dtype=np.int64, count=len(found))
        w = np.fromiter((w for _, w in found), dtype=np.float32, count=len(found))
        v = w @ self.vectors[rows]
        norm = float(np.linalg.norm(v))
        return (v / norm).astype(np.float32) if norm > 0 else None


@dataclass(frozen=True)
class Projection:
    """The words' mean and the principal directions kept: the model's space -> the table's.

    Made by :mod:`indexer.distill` and kept in the table's file, so a text the model
    embeds at search time (:mod:`indexer.query_model`) lands where the rows are.
    """

    mean: np.ndarray
    basis: np.ndarray  # (dims, model dims)

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        out: np.ndarray = ((vectors - self.mean) @ self.basis.T).astype(np.float32)
        return out


def table_projection(path: Path | None = None) -> Projection | None:
    """The projection the table at ``path`` was made in (None: no table, or an older one)."""
    path = path or TABLE_FILE
    if not path.exists():
        return None
    with np.load(path) as data:
        if "projection.basis" not in data.files:
            return None
        return Projection(
            data["projection.mean"].astype(np.float32), data["projection.basis"].astype(np.float32)
        )


_LOCK = threading.Lock()
_TABLES: dict[tuple[str, str], TermVectors | None] = {}


def term_vectors(stemmer: str, path: Path | None = None) -> TermVectors | None:
    """The table grouped by ``stemmer``'s stems (once per process), or None without a table."""
    path = path or TABLE_FILE
    table_digest(path)  # pinned with the table: segments record the table they were made from
    key = (stemmer, str(path))
    with _LOCK:
        if key in _TABLES:
            return _TABLES[key]
        found = _TABLES[key] = _load(stemmer, path) if path.exists() else None
        return found


_DIGESTS: dict[str, str] = {}


def table_digest(path: Path | None = None) -> str:
    """Which table makes the vectors (a digest of its file, ``"none"`` without one).

    Each segment records it, so an index whose vectors came from another table (after
    ``manage.py distill``, or an upgrade that ships a new one) is rebuilt, not mixed.
    Taken once per process, like the table itself (:func:`term_vectors`): a process
    that keeps the table it first read also keeps its digest, so what it writes and
    compares names the table it uses, and a search costs no look at the file.
    """
    path = path or TABLE_FILE
    with _LOCK:
        if str(path) not in _DIGESTS:
            _DIGESTS[str(path)] = _file_digest(path)
        return _DIGESTS[str(path)]


def _file_digest(path: Path) -> str:
    try:
        f = path.open("rb")
    except FileNotFoundError:
        return "none"
    h = hashlib.blake2b(digest_size=8)
    with f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: Words turned into float at a time while the table is grouped by stem (bounds the load's memory).
_LOAD_BLOCK = 4096


def _load(stemmer: str, path: Path) -> TermVectors:
    with np.load(path) as data:
        words = data["words"]
        rows = data["vectors"]  # int8: kept as read, turned into float a block at a time
        scale = data["scale"]
        freq = data["frequency"]
        # the table carries each word's stem by the shipped stemmers (stemming 60,000
        # words takes seconds); another stemmer is applied here
        key = f"stems.{stemmer}"
        stems = data[key] if key in data.files else None
    if stems is None:
        fn = STEM_FUNCTIONS[stemmer]
        stems = np.array([fn(w) for w in words.tolist()])
    return group(words, rows, scale, freq, stems)


def group(
    words: np.ndarray, rows: np.ndarray, scale: np.ndarray, freq: np.ndarray, stems: np.ndarray
) -> TermVectors:
    """One row per stem: the frequency-weighted mean of its words' rows (``rows * scale``).

    Stop words and words with an apostrophe get no row (the index has no such terms).
    """
    freq = freq.astype(np.float32) + np.float32(1e-12)
    scale = scale.astype(np.float32)
    keep = np.flatnonzero([("'" not in w and w not in STOPWORDS) for w in words.tolist()])
    terms, inverse = np.unique(stems[keep], return_inverse=True)
    weights = np.zeros(len(terms), dtype=np.float32)
    np.add.at(weights, inverse, freq[keep])
    out = np.zeros((len(terms), rows.shape[1]), dtype=np.float32)
    for start in range(0, len(keep), _LOAD_BLOCK):
        part = keep[start : start + _LOAD_BLOCK]
        block = rows[part].astype(np.float32) * (scale[part] * freq[part])[:, None]
        np.add.at(out, inverse[start : start + _LOAD_BLOCK], block)
    out /= weights[:, None]
    names = tuple(str(t) for t in terms.tolist())
    norms = np.linalg.norm(out, axis=1).astype(np.float32)
    norms[norms == 0] = 1.0
    return TermVectors({t: j for j, t in enumerate(names)}, out, names, norms)


def sif(share: float | np.ndarray) -> Any:
    """The SIF weight of a term making up ``share`` of the postings."""
    return SIF_A / (SIF_A + share)


# --- paragraphs (at indexing) ------------------------------------------------------------------


#: Documents whose vectors are summed at a time: bounds the work array (16 MB at 256 dimensions).
CHUNK_DOCS = 16_384


def paragraph_vectors(
    postings: Mapping[str, Mapping[bytes, tuple[Any, Any, Any]]], docs: int, table: TermVectors
) -> np.ndarray:
    """int8 unit vectors (docs, dims) from one segment's postings (docnums, term counts, ...).

    The SIF shares are the segment's own, so no pass over the whole archive is
    needed. Sums are made :data:`CHUNK_DOCS` documents at a time, so memory is
    the int8 result plus one chunk, whatever the segment's size.
    """
    text = postings.get("text", {})
    # the share of a term is its documents over the field's length (a query's is the same,
    # over the whole index: document frequency over Whoosh's field length)
    total = sum(int(np.frombuffer(entry[1], dtype=np.uint16).sum()) for entry in text.values())
    known: list[tuple[np.ndarray, np.ndarray, int]] = []  # docnums, weights, table row
    for field in VECTOR_FIELDS:
        for term, (docnums, counts, _) in postings.get(field, {}).items():
            row = table.rows.get(term.decode("utf-8", "replace"))
            if row is None:
                continue
            df = len(text[term][0]) if term in text else len(docnums)
            weight = np.float32(sif(df / (total or 1)))
            c = np.frombuffer(counts, dtype=np.uint16).astype(np.float32)
            known.append((np.frombuffer(docnums, dtype=np.uint32), c * weight, row))
    out = np.zeros((docs, table.dims), dtype=np.int8)
    if not known:
        return out
    first = np.fromiter((d[0] for d, _, _ in known), dtype=np.int64, count=len(known))
    last = np.fromiter((d[-1] for d, _, _ in known), dtype=np.int64, count=len(known))
    for start in range(0, docs, CHUNK_DOCS):
        end = min(docs, start + CHUNK_DOCS)
        acc = np.zeros((end - start, table.dims), dtype=np.float32)
        for i in np.flatnonzero((first < end) & (last >= start)).tolist():
            d, w, row = known[i]
            lo, hi = np.searchsorted(d, (start, end))
            acc[d[lo:hi] - start] += w[lo:hi, None] * table.vectors[row]
        out[start:end] = unit_int8(acc)
    return out


def unit_int8(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as int8 x 127 (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: np.ndarray = np.round(vectors / norms * _UNIT).astype(np.int8)
    return out


def cosines(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine of each stored int8 row with a unit float query vector.

    In float64: a float32 product's last bits depend on how many rows BLAS is
    given (its kernels and threads split the sums differently), and a page must
    not depend on how many shards its candidates came from.
    """
    out: np.ndarray = (rows.astype(np.float64) @ query.astype(np.float64)) / _UNIT
    return out


# --- queries ------------------------------------------------------------------------------------


def query_vector(
    terms: Iterable[str], df: Mapping[str, int], total: int, table: TermVectors
) -> np.ndarray | None:
    """A query's unit vector: its terms (repeats count) weighted by SIF over the whole index."""
    counts: dict[str, float] = {}
    for term in terms:
        counts[term] = counts.get(term, 0.0) + 1.0
    share = {t: df.get(t, 0) / (total or 1) for t in counts}
    return table.weighted_sum({t: n * float(sif(share[t])) for t, n in counts.items()})


def neighbours(
    vector: np.ndarray, table: TermVectors, present: Any, exclude: Iterable[str], count: int
) -> dict[str, float]:
    """The ``count`` index terms nearest ``vector`` (cosine > 0), not in ``exclude``.

    ``present(term) -> bool`` says whether the index holds a term.
    """
    if count <= 0:
        return {}
    sims = (table.vectors @ vector) / table.norms
    skip = set(exclude)
    names = table.names
    out: dict[str, float] = {}
    take = min(len(sims), count * 8 + len(skip))
    best = np.argpartition(-sims, take - 1)[:take] if take else np.zeros(0, dtype=np.int64)
    for j in best[np.argsort(-sims[best])].tolist():
        term = names[j]
        if sims[j] <= 0 or len(out) >= count:
            break
        if term in skip or not present(term):
            continue
        out[term] = float(sims[j])
    return out


def fuse(lexical: np.ndarray, cos: np.ndarray, mode: str, alpha: float) -> np.ndarray:
    """Candidates' final scores: cosine alone (``semantic``) or mixed with BM25 (``hybrid``)."""
    cos = np.maximum(cos, 0.0)
    if mode == "semantic":
        return cos
    top = float(lexical.max()) if len(lexical) else 0.0
    return (1.0 - alpha) * (lexical / top if top > 0 else lexical) + alpha * cos
