"""Writer processes: read source files, split and analyse them, write segments of bounded size.

A full rebuild hands the files of the source folder to the writers a few at a
time (a task); each writer reads its files (so parsing runs on every core),
splits the articles into paragraphs, adds them to a segment and writes the
segment out once it holds ``segment_paragraphs`` paragraphs, then starts
another. Nothing holds the archive: the parent keeps the list of files and a
few bytes per article, a writer at most one segment. Small sources are
written in this process (forking costs more than it saves).

Each writer reports every file it read (for the manifest and the skip
reports) and every segment it wrote (for the table of contents, duplicate
ids and near-duplicate detection). A writer is killed with the rebuild
(``PR_SET_PDEATHSIG``) and a failed one fails the rebuild, which then
publishes nothing.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from whoosh.index import FileIndex

from . import failpoints, semantic
from .analysis import STEM_CACHE
from .formats import Scan, read_file
from .models import Skip
from .paragraphs import split_paragraphs
from .schema import schema_stemmer
from .segment_writer import BuiltSegment, SegmentBuilder

#: Below this many bytes of source files one process writes everything.
PARALLEL_MIN_BYTES = 2 * 2**20
#: Source bytes per task handed to a writer (one Reuters file, or about 500 small articles).
TASK_BYTES = 1 * 2**20


@dataclass(frozen=True)
class FileDone:
    """One source file as a writer read it."""

    rel: str
    #: (size, mtime_ns, ctime_ns) when it gave articles, else None.
    stat: tuple[int, int, int] | None
    articles: int


@dataclass
class TaskDone:
    """What a writer reports for one task: its files, and the scan's findings."""

    number: int
    files: list[FileDone]
    skipped: list[Skip]
    warnings: list[Skip]
    ignored: int


@dataclass
class Job:
    """One rebuild's settings, as the writers need them."""

    root: Path
    ix: FileIndex
    max_bytes: int
    segment_paragraphs: int
    known: dict[str, dict[str, str]] = field(default_factory=dict)


def tasks(root: Path, paths: list[Path]) -> Iterator[tuple[int, list[Path]]]:
    """The files in walk order, in numbered groups of about :data:`TASK_BYTES`."""
    group: list[Path] = []
    size = 0
    number = 0
    for path in paths:
        try:
            size += path.stat().st_size
        except OSError:
            pass
        group.append(path)
        if size >= TASK_BYTES:
            yield number, group
            number += 1
            group, size = [], 0
    if group:
        yield number, group


class Writer:
    """The work of one writer: read tasks, fill segments, report both."""

    def __init__(self, job: Job, report: Callable[[str, Any], None]) -> None:
        self.job = job
        self.report = report
        self.builder: SegmentBuilder | None = None

    def task(self, number: int, paths: list[Path]) -> None:
        scan = Scan()
        done: list[FileDone] = []
        for path in paths:
            rel = path.relative_to(self.job.root).as_posix()
            try:
                st = path.stat()
                stat: tuple[int, int, int] | None = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            except OSError:
                stat = None
            scan.known = self.job.known.get(rel, {})
            articles = read_file(path, self.job.root, scan, self.job.max_bytes)
            failpoints.reached("reading")
            for article in articles:
                self.add(replace(article, paragraphs=split_paragraphs(article)))
            done.append(FileDone(rel, stat if articles else None, len(articles)))
        self.report("task", TaskDone(number, done, scan.skipped, scan.warnings, scan.ignored))

    def add(self, article: Any) -> None:
        if self.builder is None:
            self.builder = SegmentBuilder(self.job.ix)
        self.builder.add(article)
        if self.builder.docs >= self.job.segment_paragraphs:
            self.flush()

    def flush(self) -> None:
        if self.builder is not None and self.builder.docs:
            built = self.builder.finish()
            failpoints.reached("segment-written")
            self.report("segment", built)
        self.builder = None
        gc.collect()


#: What writes a rebuild's files into segments: :func:`write`, or the cluster's writers.
Write = Callable[
    [Job, list[Path], int, Callable[[int, int], None] | None],
    tuple[list[BuiltSegment], list[TaskDone]],
]


def write(
    job: Job, paths: list[Path], procs: int, progress: Callable[[int, int], None] | None = None
) -> tuple[list[BuiltSegment], list[TaskDone]]:
    """Write every file of ``paths`` into segments of ``job.ix``; returns segments and task reports.

    The segments are in no particular order; nothing is listed in a TOC.
    """
    total_bytes = 0
    for path in paths:
        try:
            total_bytes += path.stat().st_size
        except OSError:
            pass
    groups = list(tasks(job.root, paths))
    if (
        procs <= 1
        or total_bytes < PARALLEL_MIN_BYTES
        or "fork" not in (multiprocessing.get_all_start_methods())
    ):
        return _in_process(job, groups, len(paths), progress)
    return _in_children(job, groups, procs, len(paths), progress)


def _in_process(
    job: Job,
    groups: list[tuple[int, list[Path]]],
    files: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[BuiltSegment], list[TaskDone]]:
    segments: list[BuiltSegment] = []
    reports: list[TaskDone] = []
    seen = 0

    def report(kind: str, payload: Any) -> None:
        nonlocal seen
        if kind == "segment":
            segments.append(payload)
        else:
            reports.append(payload)
            seen += len(payload.files)
            if progress is not None:
                progress(seen, files)

    writer = Writer(job, report)
    for number, paths in groups:
        writer.task(number, paths)
    writer.flush()
    return segments, reports


def _in_children(
    job: Job,
    groups: list[tuple[int, list[Path]]],
    procs: int,
    files: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[BuiltSegment], list[TaskDone]]:
    ctx = multiprocessing.get_context("fork")
    # the vector table, read once here: the forked writers share its pages instead of each
    # reading it (about 100 MB apiece while it is grouped by stem)
    semantic.term_vectors(schema_stemmer(job.ix.schema))
    todo: Any = ctx.Queue(maxsize=procs * 2)  # a few tasks ahead: file names, not text
    results: Any = ctx.Queue()
    parent = os.getpid()
    children = [
        ctx.Process(target=_child, args=(job, todo, results, parent), daemon=True)
        for _ in range(procs)
    ]
    for child in children:
        child.start()
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                todo.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def feed() -> None:
        for item in groups:
            if not put(item):
                return
        for _ in range(procs):
            if not put(_STOP):
                return

    feeder = threading.Thread(target=feed, name="byline-feeder", daemon=True)
    feeder.start()
    segments: list[BuiltSegment] = []
    reports: list[TaskDone] = []
    finished = 0
    failure: BaseException | None = None
    seen = 0
    try:
        while finished < procs:
            try:
                kind, payload = pickle.loads(results.get(timeout=0.5))
            except queue.Empty:
                dead = [c for c in children if c.exitcode not in (None, 0)]
                if dead:
                    failure = OSError(f"an indexing process died (exit code {dead[0].exitcode})")
                    break
                continue
            if kind == "segment":
                segments.append(payload)
            elif kind == "task":
                reports.append(payload)
                seen += len(payload.files)
                if progress is not None:
                    progress(seen, files)
            elif kind == "done":
                finished += 1
                for stemmer, table in payload.items():
                    STEM_CACHE[stemmer].update(table)
            else:  # "error"
                failure = payload
                break
    finally:
        stop.set()
        for child in children:
            if failure is not None and child.is_alive():
                child.kill()
            child.join(30)
        feeder.join(5)
        todo.close()
        todo.cancel_join_thread()
        results.close()
        results.cancel_join_thread()
    if failure is not None:
        raise failure
    return segments, reports


_STOP = None


def _die_with(parent: int) -> None:
    """Have the kernel kill this writer if the reindex process dies (Linux), so a killed
    rebuild leaves no writer behind it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's next run cleans up instead
        pass
    if os.getppid() != parent:  # died before the request took effect
        os._exit(1)


def _child(job: Job, todo: Any, results: Any, parent: int) -> None:
    _die_with(parent)
    # Nothing here makes reference cycles worth collecting while a segment grows, and
    # collecting would walk every posting list held (garbage collection over millions of
    # live objects is what bends indexing time as segments grow): collect between segments.
    gc.disable()
    gc.freeze()
    known = {name: set(cache) for name, cache in STEM_CACHE.items()}

    def report(kind: str, payload: Any) -> None:
        results.put(pickle.dumps((kind, payload)))

    try:
        writer = Writer(job, report)
        while True:
            item = todo.get()
            if item is _STOP:
                break
            writer.task(*item)
        writer.flush()
        stems = {
            name: {w: s for w, s in cache.items() if w not in known[name]}
            for name, cache in STEM_CACHE.items()
        }
        report("done", stems)
    except BaseException as exc:  # sent to the parent, which raises it
        try:
            pickle.dumps(exc)
            payload: BaseException = exc
        except Exception:
            payload = RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        report("error", payload)
    finally:
        results.close()
        results.join_thread()
        os._exit(0)
