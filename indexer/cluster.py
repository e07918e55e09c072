"""Byline on a Ray cluster: the index's segments searched by actors, as shards of one search.

Ray does what a cluster needs and Byline does not re-invent: it runs the
actors on the nodes Byline names (round robin over the live ones), restarts an
actor that dies, and finds named actors again after the coordinator restarts.
A call whose actor died is sent once more, to the restarted actor, or to one
started again on a live node when its node is gone. Byline cuts the index
into shards (a few segments each) and merges their answers exactly as it
merges one in-process shard (:mod:`indexer.search`), with statistics merged once per generation
(:mod:`indexer.stats`): the same pages, scores and counts as one machine.

The index folder is on a filesystem every node mounts at the same path (NFS
or the like): a shard's actor opens its segments where they are, and a
distributed rebuild's writers (:func:`write_on_ray`) write theirs there.

This module imports Ray; nothing else does, and only when ``IndexConfig.cluster``
is set (``pip install "byline[cluster]"``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

try:
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "clustered search needs Ray: pip install 'byline[cluster]' (or pip install ray)"
    ) from exc

from .columns import segment_readers
from .config import IndexConfig
from .errors import ClusterError
from .segment_writer import BuiltSegment
from .shards import FetchSpec, QuerySpec, ShardAnswer, ShardFetched
from .stats import GlobalStats, StatsPart, merge_stats
from .writers import Job, TaskDone, Write

log = logging.getLogger("byline")

NAMESPACE = "byline"
#: Seconds between two looks at the cluster's CPUs (for the number of shards).
RESOURCES_EVERY = 10.0
#: Errors that mean "this shard's actor is gone" (it died, or its node left).
_LOST: tuple[type[BaseException], ...] = (
    ray.exceptions.RayActorError,
    ray.exceptions.ObjectLostError,
    ray.exceptions.WorkerCrashedError,
    ray.exceptions.NodeDiedError,
    ray.exceptions.ActorUnschedulableError,  # its node died (the placement is hard)
)


def connect(setting: str) -> None:
    """Join (or, for ``ray:local``, start) the Ray cluster a setting names; once per process.

    The setting's shape was checked by :class:`IndexConfig`.
    """
    if ray.is_initialized():
        return
    options: dict[str, Any] = {"namespace": NAMESPACE, "log_to_driver": False}
    try:
        if setting == "ray:local":
            ray.init(include_dashboard=False, **options)
        elif setting.startswith("ray://"):
            ray.init(address=setting, **options)
        else:
            ray.init(address=setting[len("ray:") :], **options)
    except ConnectionError as exc:
        raise ClusterError(
            f"cannot reach the Ray cluster {setting!r} ({exc}); start it with "
            "`ray start --head` or check the address"
        ) from None


def _live_nodes() -> list[str]:
    """The ids of the cluster's live nodes, in a fixed order (so shard n's home is stable)."""
    return sorted(str(n["NodeID"]) for n in ray.nodes() if n.get("Alive"))


def _placement(nodes: list[str], n: int) -> Any:
    """Shard ``n``'s node: round robin over the live ones, so the shards are spread for certain.

    Ray's ``SPREAD`` (and a *soft* node affinity, measured with Ray 2.60) is a hint that
    actors reserving no CPU may all ignore for one node. The affinity is therefore hard: an
    actor killed on a live node restarts there, and one whose node died becomes
    unschedulable, which frees its name for :meth:`Coordinator.actor` to start it again on
    a live node.
    """
    if not nodes:
        return "SPREAD"
    return NodeAffinitySchedulingStrategy(nodes[n % len(nodes)], soft=False)


# --- the shard actors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """Which segments of which generation one shard serves, and where they start globally."""

    key: str  # the generation (index name, table of contents) and the split
    name: str
    generation: int
    segments: tuple[str, ...]
    offsets: tuple[int, ...]


@ray.remote(max_restarts=-1, max_task_retries=1, num_cpus=0)
class ShardActor:
    """Holds one shard open: the segments of its assignment, on the node Ray placed it.

    It reserves no CPU: searchers wait on requests most of the time, and a
    rebuild's writers (one CPU each) must find room beside them.
    """

    def __init__(self, index_dir: str, settings: dict[str, Any]) -> None:
        self.index_dir = Path(index_dir)
        self.config = IndexConfig.from_mapping({**settings, "cluster": ""})
        self.assignment: Assignment | None = None
        self.shard: Any = None
        self.stats: GlobalStats | None = None
        self.searcher: Any = None
        self.stats_key: str | None = None

    def _open(self, assignment: Assignment) -> None:
        if self.assignment is not None and self.assignment.key == assignment.key:
            return
        from whoosh.filedb.filestore import FileStorage
        from whoosh.index import TOC
        from whoosh.reading import MultiReader, SegmentReader
        from whoosh.searching import Searcher

        from .scoring import weighting
        from .shards import Shard

        storage = FileStorage(str(self.index_dir))
        toc = TOC.read(storage, assignment.name, assignment.generation)
        by_id = {s.segment_id(): s for s in toc.segments}
        readers = [SegmentReader(storage, toc.schema, by_id[sid]) for sid in assignment.segments]
        reader = readers[0] if len(readers) == 1 else MultiReader(readers)
        if self.searcher is not None:
            self.searcher.close()
        self.searcher = Searcher(reader, weighting=weighting(self.config))
        self.shard = Shard(self.searcher, self.config, list(assignment.offsets))
        self.assignment = assignment

    def stats_part(self, assignment: Assignment) -> StatsPart:
        self._open(assignment)
        part: StatsPart = self.shard.stats_part()
        return part

    def _stats(self, assignment: Assignment, stats: list[Any]) -> None:
        if self.stats is None or self.stats_key != assignment.key:
            self.stats = ray.get(stats[0])  # put once per generation, fetched once per actor
            self.stats_key = assignment.key
            self.searcher.weighting.collection = self.stats

    def query(self, assignment: Assignment, stats: list[Any], spec: QuerySpec) -> ShardAnswer:
        self._open(assignment)
        self._stats(assignment, stats)
        answer: ShardAnswer = self.shard.query(spec, self.stats)
        return answer

    def fetch(self, assignment: Assignment, spec: FetchSpec) -> ShardFetched:
        self._open(assignment)
        fetched: ShardFetched = self.shard.fetch(spec)
        return fetched

    def query_all(self, assignment: Assignment, stats: list[Any], spec: QuerySpec) -> ShardAnswer:
        self._open(assignment)
        self._stats(assignment, stats)
        answer: ShardAnswer = self.shard.query_all(spec, self.stats)
        return answer

    def fetch_stream(self, assignment: Assignment, spec: FetchSpec) -> ShardFetched:
        self._open(assignment)
        fetched: ShardFetched = self.shard.fetch_stream(spec)
        return fetched

    def forget(self, assignment: Assignment, qid: str) -> None:
        if self.shard is not None:
            self.shard.forget(qid)

    def warm(self, assignment: Assignment, stats: list[Any], budget: int) -> int:
        self._open(assignment)
        read: int = self.shard.warm(ray.get(stats[0]), budget)
        return read

    def where(self) -> str:
        """The node this actor runs on (for placement checks)."""
        return str(ray.get_runtime_context().get_node_id())

    def pid(self) -> int:
        return os.getpid()

    def ping(self) -> None:
        """Nothing: a round trip to this actor costs the fan-out floor of every search."""


class RayShards:
    """The shards of one generation on the cluster: the coordinator's side of the fan-out."""

    def __init__(
        self,
        actors: list[Any],
        assignments: list[Assignment],
        stats_ref: Any,
        starts: np.ndarray,
        shard_of_segment: np.ndarray,
        timeout: float,
        refind: Callable[[int], Any],
    ) -> None:
        self.actors = actors
        #: Shard n's actor found again by name, or started anew on a live node if it is dead.
        self.refind = refind
        self.assignments = assignments
        self.stats_ref = stats_ref
        self.starts = starts
        self.shard_of_segment = shard_of_segment
        self.timeout = timeout
        #: A shard did not answer even after Ray's restart and one retry: the coordinator
        #: makes the shards again before the next search (a dead actor's name is free).
        self.lost = False

    @property
    def size(self) -> int:
        return len(self.actors)

    def owners(self, docs: np.ndarray) -> np.ndarray:
        segment = np.searchsorted(self.starts, docs, side="right") - 1
        owners: np.ndarray = self.shard_of_segment[segment]
        return owners

    def _gather(
        self, refs: list[Any], again: Callable[[int], Any], shards: Sequence[int] | None = None
    ) -> list[Any]:
        """Each call's result; None where the shard did not answer.

        A call whose actor died is sent once more, to the actor Ray restarted
        (and, when its node is gone, once to one started again on a live node); a call
        still running at the timeout is not: sending it again would only queue
        a second copy behind the first. ``shards[i]`` is call i's shard (the
        i-th by default).
        """
        out: list[Any] = [None] * len(refs)
        deadline = time.monotonic() + self.timeout
        for i, ref in enumerate(refs):
            retried = refound = False
            while True:
                try:
                    out[i] = ray.get(ref, timeout=max(0.1, deadline - time.monotonic()))
                    break
                except ray.exceptions.GetTimeoutError:
                    log.warning("shard %d did not answer within %.1fs", i, self.timeout)
                    break
                except _LOST as exc:
                    # its node is gone (Ray cannot restart it there): start it on a live one
                    gone = isinstance(exc, ray.exceptions.ActorUnschedulableError)
                    if refound if gone else retried:
                        log.warning("shard %d did not answer: %s", i, type(exc).__name__)
                        self.lost = True
                        break
                    if gone:
                        n = shards[i] if shards is not None else i
                        self.actors[n] = self.refind(n)
                        refound = True
                    else:
                        retried = True
                    ref = again(i)
                    deadline = max(deadline, time.monotonic() + self.timeout)
                except LookupError:  # a restarted actor no longer knows the query
                    break
        return out

    def query(self, spec: QuerySpec) -> list[ShardAnswer | None]:
        def call(i: int) -> Any:
            return self.actors[i].query.remote(self.assignments[i], [self.stats_ref], spec)

        return self._gather([call(i) for i in range(self.size)], call)

    def fetch(self, specs: Sequence[FetchSpec | None]) -> list[ShardFetched | None]:
        return self._fetch("fetch", specs)

    def _fetch(self, method: str, specs: Sequence[FetchSpec | None]) -> list[ShardFetched | None]:
        """``method`` on the shards given a spec (in parallel); None for the others."""
        asked = [i for i, s in enumerate(specs) if s is not None]

        def call(n: int) -> Any:
            i = asked[n]
            return getattr(self.actors[i], method).remote(self.assignments[i], specs[i])

        found = self._gather([call(n) for n in range(len(asked))], call, asked)
        out: list[ShardFetched | None] = [None] * len(specs)
        for i, f in zip(asked, found, strict=True):
            out[i] = f
        return out

    def query_all(self, spec: QuerySpec) -> list[ShardAnswer | None]:
        def call(i: int) -> Any:
            return self.actors[i].query_all.remote(self.assignments[i], [self.stats_ref], spec)

        return self._gather([call(i) for i in range(self.size)], call)

    def fetch_stream(self, specs: Sequence[FetchSpec | None]) -> list[ShardFetched | None]:
        return self._fetch("fetch_stream", specs)

    def forget(self, qid: str) -> None:
        for actor, assignment in zip(self.actors, self.assignments, strict=True):
            actor.forget.remote(assignment, qid)  # nothing to wait for

    def warm(self, budget: int) -> int:
        """Every actor reads its shard's columns and frequent lists (``budget`` bytes each)."""

        def call(i: int) -> Any:
            return self.actors[i].warm.remote(self.assignments[i], [self.stats_ref], budget)

        return sum(r for r in self._gather([call(i) for i in range(self.size)], call) if r)


class Coordinator:
    """Finds (or starts) the shard actors of an index and keeps them on the live generation."""

    def __init__(self, config: IndexConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._shards: RayShards | None = None
        self._key: str | None = None
        self._cpus: tuple[float, int] | None = None  # (when asked, the cluster's CPUs)

    def actor(self, n: int, nodes: list[str] | None = None) -> Any:
        """The index's shard ``n`` actor, started if missing (detached: it outlives us)."""
        tag = hashlib.blake2b(str(self.config.index_dir).encode(), digest_size=6).hexdigest()
        settings = {k: v for k, v in _plain_settings(self.config).items() if k != "cluster"}
        return ShardActor.options(  # type: ignore[attr-defined]
            name=f"byline-{tag}-{n}",
            namespace=NAMESPACE,
            lifetime="detached",
            get_if_exists=True,
            scheduling_strategy=_placement(_live_nodes() if nodes is None else nodes, n),
        ).remote(str(self.config.index_dir), settings)

    def shards(self, searcher: Any, name: str) -> RayShards:
        """The shards for the generation ``searcher`` has open (re-split when it changed)."""
        connect(self.config.cluster)
        segments = [r.segment() for r, _ in segment_readers(searcher.reader())]
        generation = searcher.reader().generation()
        count = self.shard_count(len(segments))
        key = f"{name}.{generation}.{count}." + ",".join(s.segment_id() for s in segments)
        with self._lock:
            if self._shards is not None and self._key == key and not self._shards.lost:
                return self._shards
        starts = np.concatenate(([0], np.cumsum([s.doc_count_all() for s in segments])))[:-1]
        shard_of_segment = np.arange(len(segments)) % count
        assignments = []
        for n in range(count):
            mine = [i for i in range(len(segments)) if shard_of_segment[i] == n]
            assignments.append(
                Assignment(
                    key,
                    name,
                    generation,
                    tuple(segments[i].segment_id() for i in mine),
                    tuple(int(starts[i]) for i in mine),
                )
            )
        nodes = _live_nodes()
        actors = [self.actor(n, nodes) for n in range(count)]
        parts = ray.get(
            [a.stats_part.remote(asg) for a, asg in zip(actors, assignments, strict=True)],
            timeout=max(60.0, self.config.cluster_timeout * 6),
        )
        stats = merge_stats(parts, self.config.bm25_idf)
        shards = RayShards(
            actors,
            assignments,
            ray.put(stats),
            starts.astype(np.int64),
            shard_of_segment.astype(np.int64),
            self.config.cluster_timeout,
            self.actor,
        )
        with self._lock:
            self._shards, self._key = shards, key
        return shards

    def shard_count(self, segments: int) -> int:
        """Shards: the setting, else one per CPU of the cluster; never more than the segments.

        The cluster's CPUs are asked at most every :data:`RESOURCES_EVERY` seconds (a call
        to Ray's control store), so a node that joins takes its share soon, not per search.
        """
        wanted = self.config.cluster_shards
        if not wanted:
            now = time.monotonic()
            if self._cpus is None or now - self._cpus[0] > RESOURCES_EVERY:
                self._cpus = (now, int(ray.cluster_resources().get("CPU", 1)))
            wanted = self._cpus[1]
        return max(1, min(wanted, segments))


def _plain_settings(config: IndexConfig) -> dict[str, Any]:
    from dataclasses import fields

    out = {}
    for f in fields(config):
        value = getattr(config, f.name)
        out[f.name] = str(value) if isinstance(value, Path) else value
    return out


# --- the distributed rebuild ---------------------------------------------------------------------


@ray.remote(max_restarts=0, num_cpus=1)
class WriterActor:
    """A rebuild's writer on a cluster node: reads the files it is given, writes segments."""

    def __init__(self, job: Job) -> None:
        from .writers import Writer

        self.segments: list[Any] = []
        self.reports: list[Any] = []

        def report(kind: str, payload: Any) -> None:
            (self.segments if kind == "segment" else self.reports).append(payload)

        self.writer = Writer(job, report)

    def task(self, number: int, paths: list[str]) -> int:
        self.writer.task(number, [Path(p) for p in paths])
        return len(paths)

    def finish(self) -> tuple[list[Any], list[Any]]:
        self.writer.flush()
        return self.segments, self.reports


def writer_for(setting: str) -> Write:
    """A full rebuild's writing on the cluster named by ``setting`` (see :func:`write_on_ray`)."""

    def write(
        job: Job, paths: list[Path], procs: int, progress: Callable[[int, int], None] | None
    ) -> tuple[list[BuiltSegment], list[TaskDone]]:
        return write_on_ray(job, paths, setting, progress)

    return write


def write_on_ray(
    job: Job, paths: list[Path], setting: str, progress: Callable[[int, int], None] | None
) -> tuple[list[BuiltSegment], list[TaskDone]]:
    """Write a rebuild's files on the cluster: one writer actor per CPU, tasks handed out as
    writers finish. The writers write their segments into the index folder (every node mounts
    it); this process publishes them. The actors are owned by this process: a killed rebuild
    takes them with it, and leaves the live index as it was."""
    from .writers import tasks

    connect(setting)
    groups = list(tasks(job.root, paths))
    count = max(1, min(int(ray.cluster_resources().get("CPU", 1)), len(groups)))
    writers = [
        WriterActor.options(scheduling_strategy="SPREAD").remote(job)  # type: ignore[attr-defined]
        for _ in range(count)
    ]
    pending = list(groups)
    running: dict[Any, int] = {}
    seen = 0
    try:
        for n, writer in enumerate(writers):
            if pending:
                number, group = pending.pop(0)
                running[writer.task.remote(number, [str(p) for p in group])] = n
        while running:
            done, _ = ray.wait(list(running), num_returns=1)
            n = running.pop(done[0])
            try:
                seen += ray.get(done[0])  # raises what the writer raised
            except _LOST as exc:
                raise ClusterError(
                    f"a writer on the cluster was lost ({type(exc).__name__}); the live index "
                    "is unchanged: run the rebuild again"
                ) from None
            if progress is not None:
                progress(seen, len(paths))
            if pending:
                number, group = pending.pop(0)
                running[writers[n].task.remote(number, [str(p) for p in group])] = n
        finished = ray.get([w.finish.remote() for w in writers])
    finally:
        for writer in writers:
            ray.kill(writer)
    segments: list[BuiltSegment] = []
    reports: list[TaskDone] = []
    for segs, reps in finished:
        segments.extend(segs)
        reports.extend(reps)
    return segments, reports
