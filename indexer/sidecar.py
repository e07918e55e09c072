"""Byline's own file beside each Whoosh segment: numpy arrays a query reads without decoding.

Whoosh keeps postings as pickled, compressed blocks and per-document values
one lookup at a time; decoding them was most of a query's cost and grew with
the archive. Each segment Byline writes therefore gets one more file,
``<index>_<segment id>.byl``, holding what search needs as plain arrays:
per-document columns (article, kind, date, lengths, fingerprints), the title
and text posting lists (document numbers, term frequencies, positions) and
per-block maxima for skipping (see :mod:`indexer.postings`).

Layout: a 16-byte magic, the arrays (each aligned to 64 bytes, little-endian),
a JSON table ``{"arrays": {name: [offset, dtype, shape]}, "meta": {...}}``, its
offset as 8 bytes, and the magic again. A file is written under a temporary
name and renamed into place, so a reader sees all of it or none; it is read
with ``os.pread`` (no shared file position, so threads share one descriptor):
a whole array, or a slice of a one-dimensional one.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"BYLINE-SIDECAR2\n"
SUFFIX = ".byl"
_ALIGN = 64


def term_key(term: bytes) -> int:
    """The 8-byte hash a sidecar looks terms up by (the term bytes are kept to confirm)."""
    return int.from_bytes(hashlib.blake2b(term, digest_size=8).digest(), "little")


class SidecarError(Exception):
    """A sidecar file is missing, truncated or of another version."""


class SidecarWriter:
    """Collects arrays, then writes them as one sidecar file in :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tmp = path.with_name(path.name + ".tmp")
        self._fh = open(self._tmp, "wb")  # noqa: SIM115 - closed in close() or abort()
        self._fh.write(MAGIC)
        self._table: dict[str, list[Any]] = {}

    def add(self, name: str, array: np.ndarray) -> None:
        if name in self._table:
            raise ValueError(f"array {name!r} written twice")
        array = np.ascontiguousarray(array)
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        pad = -self._fh.tell() % _ALIGN
        self._fh.write(b"\0" * pad)
        self._table[name] = [self._fh.tell(), array.dtype.str, list(array.shape)]
        self._fh.write(array.tobytes())

    def add_strings(self, name: str, values: Sequence[str]) -> None:
        """A list of strings as UTF-8 bytes and their end offsets."""
        encoded = [v.encode("utf-8", "surrogatepass") for v in values]
        ends = np.cumsum(np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded)))
        self.add(f"{name}.ends", ends)
        self.add(f"{name}.bytes", np.frombuffer(b"".join(encoded), dtype=np.uint8))

    def close(self, meta: dict[str, Any] | None = None) -> None:
        table = json.dumps({"arrays": self._table, "meta": meta or {}}).encode("utf-8")
        at = self._fh.tell()
        self._fh.write(table)
        self._fh.write(at.to_bytes(8, "little"))
        self._fh.write(MAGIC)
        self._fh.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)


class Sidecar:
    """A sidecar file open for reading; arrays are read on demand with ``os.pread``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise SidecarError(f"cannot open {path.name}: {exc.strerror}") from None
        try:
            size = os.fstat(self._fd).st_size
            tail = os.pread(self._fd, 24, size - 24) if size >= 40 else b""
            if os.pread(self._fd, 16, 0) != MAGIC or tail[8:] != MAGIC:
                raise SidecarError(f"{path.name} is not a Byline sidecar of this version")
            at = int.from_bytes(tail[:8], "little")
            raw = os.pread(self._fd, size - 24 - at, at)
            data = json.loads(raw)
            self.meta: dict[str, Any] = data["meta"]
            self._arrays: dict[str, tuple[int, np.dtype[Any], tuple[int, ...]]] = {
                name: (int(offset), np.dtype(dtype), tuple(shape))
                for name, (offset, dtype, shape) in data["arrays"].items()
            }
        except (OSError, ValueError, KeyError, TypeError) as exc:
            os.close(self._fd)
            raise SidecarError(f"{path.name} cannot be read ({type(exc).__name__})") from None
        except SidecarError:
            os.close(self._fd)
            raise
        self._strings: dict[str, list[str]] = {}
        self._maps: dict[str, np.memmap[Any, Any]] = {}
        self._lock = threading.Lock()

    def __contains__(self, name: str) -> bool:
        return name in self._arrays

    def length(self, name: str) -> int:
        return self._arrays[name][2][0]

    def array(self, name: str) -> np.ndarray:
        """The whole array ``name`` (a fresh copy; callers may keep it)."""
        offset, dtype, shape = self._arrays[name]
        count = int(np.prod(shape)) if shape else 1
        return self._read(offset, dtype, count).reshape(shape)

    def slice(self, name: str, start: int, stop: int) -> np.ndarray:
        """Items (or rows) ``start:stop`` of an array, read alone."""
        offset, dtype, shape = self._arrays[name]
        row = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        start, stop = max(0, start), min(stop, shape[0])
        if stop <= start:
            return np.zeros((0, *shape[1:]), dtype=dtype)
        found = self._read(offset + start * row * dtype.itemsize, dtype, (stop - start) * row)
        return found.reshape((stop - start, *shape[1:])) if len(shape) > 1 else found

    def rows(self, name: str, index: np.ndarray) -> np.ndarray:
        """Rows ``index`` of a two-dimensional array, reading only their pages (a memory map)."""
        offset, dtype, shape = self._arrays[name]
        with self._lock:
            mapped = self._maps.get(name)
            if mapped is None:
                mapped = self._maps[name] = np.memmap(
                    self.path, dtype=dtype, mode="r", offset=offset, shape=shape
                )
        return np.asarray(mapped[index])

    def _read(self, offset: int, dtype: np.dtype[Any], count: int) -> np.ndarray:
        n = count * dtype.itemsize
        data = os.pread(self._fd, n, offset)
        if len(data) != n:
            raise SidecarError(f"{self.path.name} is truncated")
        return np.frombuffer(data, dtype=dtype)

    def strings(self, name: str) -> list[str]:
        """A list written by :meth:`SidecarWriter.add_strings`, decoded once and kept."""
        found = self._strings.get(name)
        if found is None:
            ends = self.array(f"{name}.ends").tolist()
            blob = self.array(f"{name}.bytes").tobytes()
            starts = [0, *ends[:-1]]
            found = [
                blob[s:e].decode("utf-8", "surrogatepass")
                for s, e in zip(starts, ends, strict=True)
            ]
            with self._lock:
                self._strings[name] = found
        return found

    def close(self) -> None:
        self._maps.clear()
        try:
            os.close(self._fd)
        except OSError:
            pass


def path_for(storage_folder: str | Path, segment_id: str) -> Path:
    """Where the sidecar of one segment lives: beside its Whoosh files, named like them.

    ``segment_id`` is Whoosh's ``segment.segment_id()``, ``<index name>_<random id>``.
    """
    return Path(storage_folder) / f"{segment_id}{SUFFIX}"
