"""SearchEngine: the one entry point of the library.

It owns every Whoosh resource: searchers are opened here, reused per thread
while the index generation is unchanged, and refreshed when a reindex (in this
or another process) publishes a new one. Callers only ever get dataclasses.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from whoosh.searching import Searcher

from . import build, feedback, search, storage, whoosh_internals
from .analysis import analyze
from .columns import doc_table, segment_readers
from .config import IndexConfig
from .errors import IndexCorrupt
from .highlighting import highlight
from .models import (
    Article,
    BatchRow,
    Hit,
    HitStream,
    IndexStats,
    Paragraph,
    SearchPage,
    Trends,
    paragraph_kind,
)
from .parsing import parse, plain_words
from .request import SearchRequest
from .schema import FIELD_NAMES
from .scoring import weighting
from .search import Shards
from .shards import LocalShards, local_shards
from .sidecar import SidecarError
from .text import clean_text

#: Result pages kept per engine (keyed by query, paging and index generation).
RESULT_CACHE_SIZE = 512


def _table_lengths(reader: Any) -> None:
    """Answer Whoosh's per-posting length lookups from the sidecar's length columns.

    Only query types that :mod:`indexer.matching` hands to Whoosh's own
    matchers (sloppy phrases, ranges) still ask.
    """
    from .columns import LENGTHS, segment_columns
    from .schema import POSTED_FIELDS

    columns = segment_columns(reader)

    def lookup(docnum: int, fieldname: str) -> int | None:
        if fieldname not in POSTED_FIELDS:
            return None
        lengths = columns.array(f"doc.len.{fieldname}")
        if docnum >= len(lengths) or not lengths[docnum]:
            return None
        return int(LENGTHS[lengths[docnum]])

    whoosh_internals.answer_lengths_from(reader, lookup)


def _trim_heap() -> None:
    """Give freed heap memory back to the system (glibc keeps it; measured: 80 MB at 10x)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to do


def _close_searchers(searchers: list[Searcher]) -> None:
    while searchers:
        try:
            searchers.pop().close()
        except Exception:  # already closed or half-open: nothing left to release
            pass


class SearchEngine:
    """Index a folder of news and search it by paragraph.

    >>> engine = SearchEngine(IndexConfig(source_dir="seeds", index_dir="var/index"))
    >>> stats = engine.reindex()                      # doctest: +SKIP
    >>> page = engine.search("fuel prices")           # doctest: +SKIP
    """

    def __init__(self, config: IndexConfig | None = None) -> None:
        self.config = config or IndexConfig()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[Searcher] = []
        # Searchers hold open files: close them when the engine is dropped
        # without close() (a CLI run, a test), not when the GC gets to them.
        self._finalizer = weakref.finalize(self, _close_searchers, self._open)
        self._results: OrderedDict[tuple[Any, ...], SearchPage] = OrderedDict()
        self._coordinator: Any = None  # cluster.Coordinator, made when a cluster is configured
        self._totals: OrderedDict[Any, Any] = OrderedDict()  # trends' articles per day
        self._suggesters: dict[Any, Any] = {}  # the live generation's suggestion tables

    # -- index lifecycle ----------------------------------------------------

    def reindex(self, full: bool = False, progress: build.Progress | None = None) -> IndexStats:
        """Bring the index up to date with ``source_dir`` (incremental unless ``full``).

        On a cluster a full rebuild's files are read and written by writers on
        its nodes; an incremental run is small and stays in this process.
        """
        write = None
        if self.config.cluster:
            from . import cluster

            write = cluster.writer_for(self.config.cluster)
        return build.reindex(self.config, full=full, progress=progress, write=write)

    def stats(self) -> IndexStats:
        """What the live index holds, and what its last reindex did."""
        with self._searcher() as s:
            articles, paragraphs = storage.count(s)
        meta = storage.read_meta(self.config.index_dir)
        return IndexStats.from_dict(
            meta, articles=articles, paragraphs=paragraphs, generation=self.generation()
        )

    def generation(self) -> str:
        """An opaque token that changes whenever a reindex publishes new data."""
        with self._searcher() as s:
            return f"{self._local.name}.{s.reader().generation()}"

    # -- searching ------------------------------------------------------------

    def search(self, query: str | SearchRequest = "", /, **options: Any) -> SearchPage:
        """One page of ranked paragraphs (or the best paragraph per article with ``per_article=1``).

        ``query`` is the query text or a whole :class:`SearchRequest`; ``options``
        are its fields and filters (``page=2``, ``sort="newest"``,
        ``date="1987-03"``, ``source="reuters"``). Lenient by default: a query
        that does not parse is searched as plain words and ``page.notice`` says
        so; ``strict=True`` raises QueryError. Filters restrict results without
        changing their order, the same as ``date:`` / ``source:`` in the query.
        """
        request = SearchRequest.of(query, **options).bounded(self.config)
        started = time.perf_counter()
        expansion = (
            self._feedback(request) if request.expand and request.sort == "relevance" else None
        )
        with self._searcher() as s:
            # Pages are immutable and depend only on the request and the index
            # generation, so a repeated query (the web UI's paging, a popular
            # search) is answered from a small LRU cache. The request is the key:
            # a parameter cannot be left out of it.
            key = (
                self._local.name,
                s.reader().generation(),
                request,
                tuple(sorted(expansion.items())) if expansion else None,
            )
            with self._lock:
                result = self._results.get(key)
                if result is not None:
                    self._results.move_to_end(key)
            if result is None:
                result = search.run(s, self._shards(s), request, self.config, expansion)
                if result.partial is None:  # a page missing a partition is asked again
                    with self._lock:
                        self._results[key] = result
                        while len(self._results) > RESULT_CACHE_SIZE:
                            self._results.popitem(last=False)
        return replace(result, took_ms=(time.perf_counter() - started) * 1000)

    def _feedback(self, request: SearchRequest) -> dict[str, float]:
        """RM3 expansion terms (index term -> boost) from the first pass's best paragraphs."""
        cfg = self.config
        first = self.search(
            replace(
                request,
                page=1,
                per_page=cfg.feedback_docs,
                per_article=1,
                snippets=False,
                expand=False,
                facets=False,
            )
        )
        docs = [
            (
                hit.score,
                analyze(
                    hit.text if hit.kind == "headline" else f"{hit.title}\n{hit.text}", cfg.stemmer
                ),
            )
            for hit in first.hits
        ]
        with self._searcher() as s:
            model = feedback.relevance_model(
                docs,
                cfg.feedback_terms,
                lambda t: s.doc_frequency("text", t),
                s.doc_count(),
                cfg.feedback_max_df,
            )
        return feedback.interpolate(
            model, analyze(plain_words(request.query), cfg.stemmer), cfg.feedback_weight
        )

    def warm(self) -> int:
        """Read the columns and the posting lists of the most frequent words ahead of queries.

        A query reads what it needs from the sidecars (one read per list), so
        this only spares the first queries those reads: ``manage.py serve``
        runs it in the background after it starts answering. Bounded by the
        postings cache (``postings_cache_mb``). Returns the lists read.
        """
        from .analysis import load_stemmer
        from .postings import CACHE

        load_stemmer(self.config.stemmer)  # the first word not in the stem table needs it
        if self.config.semantic_model_weight > 0:
            from .query_model import query_model

            model = query_model()
            if model is not None:
                model.vector("news")  # the first call reads the model's weights (0.4 s)
        with self._searcher() as s:
            shards = self._shards(s)
            if isinstance(shards, LocalShards):
                read: int = shards.shard.warm(shards.stats, CACHE.budget // 2)
            else:  # the cluster's actors warm their own shards
                read = shards.warm(CACHE.budget // 2)  # type: ignore[attr-defined]
        _trim_heap()  # warm-up's temporaries, freed, would otherwise stay in the process
        return read

    def article(self, article_id: str) -> Article | None:
        """The whole article with every paragraph (boilerplate included), or None."""
        with self._searcher() as s:
            docs = sorted(s.documents(article_id=article_id), key=lambda f: f["paragraph_no"])
        if not docs:
            return None
        meta: dict[str, Any] = docs[0].get("article") or {"title": docs[0].get("title", "")}
        paragraphs = tuple(
            Paragraph(
                article_id,
                f["paragraph_no"],
                paragraph_kind(f["kind"]),
                f.get("text", ""),
                f.get("heading"),
            )
            for f in docs
        )
        return Article.from_meta(article_id, meta, paragraphs)

    def related(self, article_id: str, limit: int = 5) -> tuple[Hit, ...]:
        """Other articles about the same thing: "more like this" from the article's key terms.

        Key terms come from Whoosh's Bo1 model over the article's own text;
        near-duplicates of the article (same cluster) are left out, since they
        are copies rather than related coverage.
        """
        article = self.article(article_id)
        if article is None:
            return ()
        text = " ".join(p.text for p in article.paragraphs if p.searchable)
        with self._searcher() as s:
            terms = [t for t, _ in s.key_terms_from_text("text", text, numterms=12)]
        if not terms:
            return ()
        page = self.search(" OR ".join(terms), per_page=limit + 10, per_article=1)
        own = next((h.dup for h in page.hits if h.article_id == article_id), None) or article_id
        return tuple(
            h for h in page.hits if h.article_id != article_id and (h.dup or h.article_id) != own
        )[:limit]

    def export(
        self, query: str | SearchRequest, fmt: str = "json", limit: int = 1000, **options: Any
    ) -> str:
        """The result set as CSV or JSON (bounded by ``limit``), with the query and a timestamp."""
        from . import export

        request = SearchRequest.of(query, **options)
        limit = max(1, min(limit, self.config.max_results))
        collected: list[Hit] = []
        page_no = 1
        per_page = self.config.max_per_page
        while len(collected) < limit:
            page = self.search(replace(request, page=page_no, per_page=per_page, facets=False))
            collected.extend(page.hits)
            if page_no >= page.pages or not page.hits:
                break
            page_no += 1
        return export.render(request.query, collected[:limit], fmt, request.options())

    def iter_hits(self, query: str | SearchRequest = "", /, **options: Any) -> HitStream:
        """Every hit of a search in page order, past ``max_results``, read as it is iterated.

        ``total`` says how many will come. Memory stays bounded whatever the
        size: the order is kept as arrays, hits are copied out a batch at a time
        (without snippets). Iterate it on this thread before it searches again.
        """
        request = SearchRequest.of(query, **options)
        with self._searcher() as s:
            total, hits = search.stream(s, local_shards(s, self.config), request, self.config)
        return HitStream(total, hits)

    def export_all(
        self, query: str | SearchRequest, fmt: str = "csv", **options: Any
    ) -> Iterator[str]:
        """Every hit as CSV or JSON Lines text, streamed (see :meth:`iter_hits`)."""
        from . import export

        request = SearchRequest.of(query, **options)
        return export.stream(request.query, self.iter_hits(request), fmt, request.options())

    def batch(self, queries: Iterable[str], **options: Any) -> Iterator[BatchRow]:
        """One row per query (blank lines skipped), read as it is iterated.

        Each row has the matching paragraphs and articles, the first and last
        date, and the best article; a query that does not parse gets its error
        in its row and the rest still run. ``options`` (filters, ``since``)
        apply to every query.
        """
        from .errors import QueryError

        for raw in queries:
            query = raw.strip()
            if not query:
                continue
            try:
                request = SearchRequest.of(
                    query, per_article=1, per_page=1, facets=True, strict=True, **options
                )
                page = self.search(replace(request, snippets=False))
            except QueryError as exc:
                yield BatchRow(query[:1000], error=str(exc))
                continue
            best = page.hits[0] if page.hits else None
            yield BatchRow(
                query,
                page.total,
                page.articles,
                page.first_date,
                page.last_date,
                best.article_id if best else None,
                (best.title or best.article_id) if best else None,
                page.notice,
                page.total_exact,
            )

    def trends(
        self,
        queries: Sequence[str | SearchRequest],
        interval: str = "month",
        normalize: bool = True,
        **options: Any,
    ) -> Trends:
        """Each query's matching articles per ``interval`` (day, week, month, year).

        Every point has the matching articles, all articles dated in the period
        (under the query's own filters) and their share (None where the period
        has no article: a gap). ``normalize`` says whether the share or the count
        is the value to show. ``options`` apply to every query (``source="reuters"``,
        ``since=...``). Counted from whole match sets, not by paging through results.
        """
        from . import trends

        requests = [SearchRequest.of(q, **options) for q in queries]
        with self._searcher() as s:
            return trends.run(
                s,
                local_shards(s, self.config),
                requests,
                interval,
                normalize,
                self.config,
                self._totals,
                (self._local.name, s.reader().generation()),
            )

    def suggest(self, prefix: str, limit: int = 10) -> tuple[str, ...]:
        """Completions of what is typed, from the index's words and article titles.

        Ranked by how many paragraphs hold them; the last word is completed
        after the others (``oil pr`` -> ``oil prices``). The tables are read
        once per index generation (the first call after a reindex pays for it;
        ``warm()`` does it ahead), then each call is a pair of binary searches.
        """
        from . import suggest

        with self._searcher() as s:
            key = (self._local.name, s.reader().generation())
            with self._lock:
                found = self._suggesters.get(key)
            if found is None:
                found = suggest.build(s)
                with self._lock:
                    self._suggesters = {key: found}
        return tuple(found.suggest(prefix, max(0, min(limit, 50))))

    def first_seen(self, article_ids: Iterable[str]) -> dict[str, datetime]:
        """When a reindex first saw each article (UTC), for the ids it has recorded.

        Kept in the index folder, so it survives incremental runs and full
        rebuilds of the same article; ``search(..., since=...)`` filters by it.
        """
        seen = storage.read_first_seen(self.config.index_dir)
        return {aid: datetime.fromtimestamp(seen[aid], UTC) for aid in article_ids if aid in seen}

    def highlight_article(self, article: Article, query: str) -> tuple[str, ...]:
        """Each paragraph as escaped HTML with the query's matches marked."""
        terms: frozenset[str] = frozenset()
        if query.strip():
            with self._searcher() as s:
                terms = parse(s, clean_text(query), self.config).terms
        return tuple(
            highlight(p.text, terms if p.searchable else (), self.config.stemmer)
            for p in article.paragraphs
        )

    # -- resources ------------------------------------------------------------

    def _cluster(self) -> Any:
        """The coordinator of the cluster's shard actors (Ray is imported here, and only here)."""
        with self._lock:
            if self._coordinator is None:
                from .cluster import Coordinator

                self._coordinator = Coordinator(self.config)
            return self._coordinator

    def _shards(self, s: Searcher) -> Shards:
        """Where this searcher's generation is searched: in this process, or on the cluster."""
        if self.config.cluster and segment_readers(s.reader()):  # an empty index: nothing to spread
            shards: Shards = self._cluster().shards(s, self._local.name)
            return shards
        return local_shards(s, self.config)

    @contextmanager
    def _searcher(self) -> Iterator[Searcher]:
        """This thread's searcher, reopened when the live index or its generation changed."""
        local = self._local
        name = storage.current_name(self.config.index_dir)
        s: Searcher | None = getattr(local, "searcher", None)
        if s is not None and (getattr(local, "name", None) != name or not s.up_to_date()):
            self._close(s)
            s = None
        if s is None:
            ix = storage.open_index(self.config.index_dir)
            missing = FIELD_NAMES - set(ix.schema.names())
            if missing:
                raise IndexCorrupt(
                    f"the index in {self.config.index_dir} was built by an older version of Byline "
                    f"(it lacks {', '.join(sorted(missing))}); "
                    "run `python manage.py reindex` to rebuild it"
                )
            storage.load_stems(self.config.index_dir, self.config.stemmer)
            try:
                s = ix.searcher(weighting=weighting(self.config))
            except Exception as exc:
                raise storage.corrupt(self.config.index_dir, exc) from None
            try:
                doc_table(s)  # every segment's sidecar opens, or the index is damaged
                for reader, _ in segment_readers(s.reader()):
                    _table_lengths(reader)  # phrases with slop are still scored by Whoosh
            except SidecarError as exc:
                s.close()
                raise IndexCorrupt(
                    f"the index in {self.config.index_dir} cannot be read ({exc}); "
                    "run `python manage.py reindex --full` to rebuild it"
                ) from None
            local.searcher, local.name = s, name
            with self._lock:
                self._open.append(s)
        yield s

    def _close(self, s: Searcher) -> None:
        with self._lock:
            if s in self._open:
                self._open.remove(s)
        s.close()
        self._local.searcher = None

    def release(self) -> None:
        """Close the calling thread's searcher, if it has one (other threads keep theirs)."""
        s: Searcher | None = getattr(self._local, "searcher", None)
        if s is not None:
            self._close(s)

    def close(self) -> None:
        """Close every searcher this engine opened (safe to call twice)."""
        with self._lock:
            searchers = list(self._open)
            self._open.clear()
            self._results.clear()
        for s in searchers:
            s.close()
        self._local = threading.local()

    def __enter__(self) -> SearchEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
