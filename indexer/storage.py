"""Where the live index is, and the lock that lets one reindex run at a time.

An index folder holds one or more named Whoosh indexes (``g000001``, ...) and
a ``CURRENT`` file naming the live one. A full rebuild writes a new name and
switches ``CURRENT`` with one atomic rename, so searchers never see a half
built index, and a rebuild killed midway leaves the live index untouched.
"""

from __future__ import annotations

import errno
import fcntl
import gc
import json
import logging
import os
import re
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, EmptyIndexError, FileIndex

from . import failpoints
from .analysis import load_stem_table, stem_table
from .errors import IndexCorrupt, IndexLocked, IndexMissing

log = logging.getLogger("byline")

POINTER = "CURRENT"
META = "meta.json"
LOCK = "reindex.lock"
_NAME = re.compile(r"^g(\d{6})$")


def _reindex_hint(index_dir: Path) -> str:
    return f"run `python manage.py reindex --index {index_dir}` to build it"


def current_name(index_dir: Path) -> str | None:
    try:
        name = (index_dir / POINTER).read_text(encoding="ascii").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(
            f"cannot read {index_dir / POINTER} ({exc}); run `python manage.py reindex --full`"
        ) from None
    if not _NAME.match(name):
        raise IndexCorrupt(
            f"{index_dir / POINTER} names no index ({name[:40]!r}); "
            "run `python manage.py reindex --full`"
        )
    return name


def current_name_or_none(index_dir: Path) -> str | None:
    """Like current_name, but a damaged pointer counts as no index (for rebuilds)."""
    try:
        return current_name(index_dir)
    except IndexCorrupt:
        return None


def next_name(index_dir: Path) -> str:
    numbers = [int(m.group(1)) for m in (_NAME.match(n) for n in _index_names(index_dir)) if m]
    return f"g{max(numbers, default=0) + 1:06d}"


def _index_names(index_dir: Path) -> set[str]:
    names = set()
    if index_dir.is_dir():
        for filename in os.listdir(index_dir):
            m = re.match(r"^_(g\d{6})_", filename)
            if m:
                names.add(m.group(1))
    return names


def open_index(index_dir: Path) -> FileIndex:
    """The live index, or IndexMissing / IndexCorrupt with what to run."""
    name = current_name(index_dir)
    if name is None:
        raise IndexMissing(f"no index in {index_dir}; {_reindex_hint(index_dir)}")
    try:
        return FileIndex(FileStorage(str(index_dir)), indexname=name)
    except EmptyIndexError:
        raise IndexCorrupt(
            f"the index in {index_dir} is incomplete (its table of contents is missing); "
            "run `python manage.py reindex --full` to rebuild it"
        ) from None
    except Exception as exc:  # whoosh raises many kinds for damaged files
        raise corrupt(index_dir, exc) from None


def corrupt(index_dir: Path, exc: BaseException) -> IndexCorrupt:
    """The error for an unreadable index, after releasing what whoosh left open.

    Whoosh leaks the file it was reading when a damaged file makes it fail;
    dropping the traceback and collecting closes it quietly.
    """
    name = type(exc).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        exc.__traceback__ = None
        exc.__context__ = None
        gc.collect()
    return IndexCorrupt(
        f"the index in {index_dir} cannot be read ({name}); "
        "run `python manage.py reindex --full` to rebuild it"
    )


def count(searcher: Any) -> tuple[int, int]:
    """(articles, paragraphs) in the live index, not counting deleted documents."""
    from .columns import doc_table
    from .models import KIND_NAMES

    table = doc_table(searcher)
    live = table.live
    kinds = table.kind
    articles = int(np.count_nonzero(live & (kinds == KIND_NAMES.index("headline"))))
    return articles, int(np.count_nonzero(live & (kinds < len(KIND_NAMES))))


def write_toc(ix: FileIndex, segments: list[Any], generation: int) -> None:
    """Commit: the index's next table of contents lists ``segments`` (written, then renamed)."""
    TOC(ix.schema, segments, generation).write(ix.storage, ix.indexname)


def clean(index_dir: Path, name: str, keep: int = 2) -> None:
    """Delete files of index ``name`` that its last ``keep`` generations do not use.

    A searcher opened on the previous generation keeps working: its files stay
    until the generation after the next.
    """
    storage = FileStorage(str(index_dir))
    toc = re.compile(rf"^_{name}_(\d+)\.toc$")
    generations = sorted(
        (int(m.group(1)) for m in (toc.match(f) for f in os.listdir(index_dir)) if m), reverse=True
    )
    kept = generations[:keep]
    used: set[str] = set()
    for gen in kept:
        try:
            used.update(seg.segment_id() for seg in TOC.read(storage, name, gen).segments)
        except Exception:  # an unreadable old TOC: keep every file rather than guess
            return
    segment_file = re.compile(rf"^({name}_[0-9a-z]+)\.")  # segment_id() is <name>_<random id>
    for filename in os.listdir(index_dir):
        m = toc.match(filename)
        if m and int(m.group(1)) not in kept:
            _remove(index_dir / filename)
            continue
        m = segment_file.match(filename)
        if m and m.group(1) not in used:
            _remove(index_dir / filename)


def _remove(path: Path) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def publish(index_dir: Path, name: str) -> None:
    """Make ``name`` the live index with one atomic rename, then drop older indexes."""
    tmp = index_dir / f"{POINTER}.tmp"
    tmp.write_text(name + "\n", encoding="ascii")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    failpoints.reached("publish")
    os.replace(tmp, index_dir / POINTER)
    remove_stale(index_dir, keep=name)


def remove_stale(index_dir: Path, keep: str | None) -> None:
    """Delete files of every index but ``keep`` (leftovers of killed rebuilds too)."""
    for filename in os.listdir(index_dir):
        m = re.match(r"^_?(g\d{6})_", filename)  # _gNNNNNN_1.toc and gNNNNNN_*.seg/.col/...
        if m and m.group(1) != keep:
            try:
                os.remove(index_dir / filename)
            except OSError:
                pass


MANIFEST = "files.json"


def read_manifest(index_dir: Path, name: str | None, generation: int) -> dict[str, Any]:
    """What each source file looked like when generation ``generation`` of ``name`` was written.

    {} for any other index or generation: a manifest left by a run that died
    between its commit and the manifest can never vouch for files it did not see.
    """
    try:
        data = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or [data.get("index"), data.get("generation")] != [
        name,
        generation,
    ]:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def write_manifest(
    index_dir: Path, name: str | None, generation: int, files: dict[str, Any]
) -> None:
    """Record each source file's size and times as of generation ``generation`` of ``name``."""
    failpoints.reached("manifest")
    tmp = index_dir / f"{MANIFEST}.tmp"
    body = {"index": name, "generation": generation, "files": files}
    tmp.write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, index_dir / MANIFEST)


def read_meta(index_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((index_dir / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_meta(index_dir: Path, meta: dict[str, Any]) -> None:
    tmp = index_dir / f"{META}.tmp"
    tmp.write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, index_dir / META)


@contextmanager
def reindex_lock(index_dir: Path, what: str) -> Iterator[None]:
    """Hold the reindex lock; fail at once with IndexLocked if another process has it.

    ``flock`` is released by the kernel when its holder dies, so a reindex
    killed with SIGKILL never leaves a stale lock behind.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "another process"
            raise IndexLocked(
                f"another reindex is running on {index_dir} ({holder}); "
                "wait for it to finish, then try again"
            ) from None
        info = f"{what}, pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# --- the stem table: word -> stem for the live index's vocabulary ---------------------------


def _stems_path(index_dir: Path, name: str | None) -> Path:
    return index_dir / f"stems-{name}.tsv"


def load_stems(index_dir: Path, stemmer: str) -> int:
    """Seed the stem cache from the live index's stem table; returns entries loaded.

    With the table a search whose words occur in the index never needs NLTK,
    so a cold ``manage.py search`` does not pay for importing it.
    """
    if stemmer == "none":
        return 0
    path = _stems_path(index_dir, current_name_or_none(index_dir))
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if _LOADED.get(stemmer) == key:
            return 0
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return 0
    if not lines or lines[0] != f"# byline stems {stemmer}":
        return 0
    table = dict(line.split("\t", 1) for line in lines[1:] if "\t" in line)
    load_stem_table(stemmer, table)
    _LOADED[stemmer] = key
    return len(table)


_LOADED: dict[str, tuple[str, int, int]] = {}


def save_stems(
    index_dir: Path, stemmer: str, ix: FileIndex | None = None, words: Iterable[str] | None = None
) -> None:
    """Write word -> stem for the index's vocabulary beside it (see :func:`load_stems`).

    With ``words`` (an incremental run) only words missing from the table are
    stemmed and added; words of deleted articles stay, which is harmless since
    every entry is still what the stemmer returns.
    """
    name = current_name_or_none(index_dir)
    if stemmer == "none" or name is None:
        return
    path = _stems_path(index_dir, name)
    header = f"# byline stems {stemmer}"
    lines: list[str] = []
    if words is not None:
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            lines = []
    if lines and lines[0] == header:
        have = {line.split("\t", 1)[0] for line in lines[1:] if "\t" in line}
        assert words is not None
        new = sorted({w for w in words if w not in have and "\t" not in w and "\n" not in w})
        if not new:
            return
        body = "\n".join(line for line in lines[1:] if line) + "\n"
    else:
        load_stems(index_dir, stemmer)  # words known from the last run are not stemmed again
        with (ix or open_index(index_dir)).reader() as reader:
            new = [w for w in reader.field_terms("spell") if "\t" not in w and "\n" not in w]
        body = ""
    table = stem_table(stemmer, new)
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(
            header + "\n" + body + "".join(f"{w}\t{s}\n" for w, s in table.items()),
            encoding="utf-8",
        )
        os.replace(tmp, path)  # readers see the old table or the new one, never half
        for old in index_dir.glob("stems-*.tsv"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:  # only an optimisation: searching works without it
        log.warning("could not write the stem table %s: %s", path, exc)


# --- first seen: when Byline first indexed each article --------------------------------------

FIRST_SEEN = "first_seen.json"
_seen_cache: dict[Path, tuple[tuple[int, int], dict[str, int]]] = {}


def read_first_seen(index_dir: Path) -> dict[str, int]:
    """article id -> when a reindex first saw it (seconds since the epoch, UTC); {} if none.

    The table lives in the index folder beside ``CURRENT``, not inside a
    generation, so full rebuilds and incremental runs keep it; ids are never
    removed, so an article deleted and restored keeps its first time. Read
    once per change of the file (by size and modification time).
    """
    path = index_dir / FIRST_SEEN
    try:
        st = path.stat()
    except OSError:
        return {}
    stamp = (st.st_mtime_ns, st.st_size)
    found = _seen_cache.get(path)
    if found is not None and found[0] == stamp:
        return found[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("%s cannot be read: articles count as never seen before", path)
        return {}
    seen = data.get("seen") if isinstance(data, dict) else None
    table = (
        {str(k): int(v) for k, v in seen.items() if isinstance(v, int | float)}
        if isinstance(seen, dict)
        else {}
    )
    _seen_cache[path] = (stamp, table)
    return table


def first_seen_version(index_dir: Path) -> tuple[int, int]:
    """Changes whenever the first-seen table does (its modification time and size)."""
    try:
        st = (index_dir / FIRST_SEEN).stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def record_first_seen(index_dir: Path, article_ids: Iterable[str], when: int) -> int:
    """Give every id not seen before the time ``when``; returns how many were new.

    Called by a reindex while it holds the reindex lock, so one writer at a time.
    """
    known = dict(read_first_seen(index_dir))
    new = 0
    for aid in article_ids:
        if aid and aid not in known:
            known[aid] = when
            new += 1
    if new or not (index_dir / FIRST_SEEN).exists():
        tmp = index_dir / f"{FIRST_SEEN}.tmp"
        tmp.write_text(json.dumps({"version": 1, "seen": known}, separators=(",", ":")), "utf-8")
        os.replace(tmp, index_dir / FIRST_SEEN)
    return new
