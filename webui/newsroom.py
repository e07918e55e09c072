"""The newsroom's routes: feeds of a search, trends, exports of everything, suggestions, batch.

Registered on the same blueprint as :mod:`webui.views` (and using its request
parsing), kept apart so the page routes stay readable. As there, no business
logic lives here: the library searches, counts and writes the formats.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from flask import (
    Response,
    jsonify,
    make_response,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge, abort

from indexer import export, feeds
from indexer.models import Hit, TrendPoint, Trends
from indexer.request import INTERVAL_NAMES, INTERVALS, parse_since

from .views import (
    FILTERS,
    SearchArgs,
    _choice_arg,
    _int_arg,
    _since_arg,
    _text_arg,
    bp,
    engine,
    error_response,
    search_args,
)

#: Articles in a feed: the newest matching ones (``since=`` narrows to what is new).
FEED_ENTRIES = 50
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _last_reindex() -> datetime:
    """When the index last changed (the last reindex), to the second; now if unknown."""
    stamp = engine().stats().last_reindex
    try:
        found = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        found = None
    if found is None:
        return datetime.now(UTC).replace(microsecond=0)
    return (found if found.tzinfo else found.replace(tzinfo=UTC)).replace(microsecond=0)


def feed_title(args: SearchArgs) -> str:
    parts = [args.q] if args.q else []
    parts += [f"{name}:{value}" for name, value in args.filters]
    return "Byline: " + (" ".join(parts) or "every article")


@bp.get("/search.atom")
def search_feed() -> Response:
    """The search as an Atom feed: every filter and sort of /search, newest first by default.

    ``ETag`` (the index generation and the parameters) and ``Last-Modified``
    (the last reindex) let feed readers poll with a conditional GET and get a
    304 without a search being run.
    """
    args = search_args(default_sort="newest")
    args = replace(args, page=1, per_page=FEED_ENTRIES, group="article")
    canonical = "&".join(f"{k}={v}" for k, v in sorted(args.params().items()))
    etag = hashlib.sha256(f"{engine().generation()}\n{canonical}".encode()).hexdigest()[:32]
    modified = _last_reindex()
    if etag in request.if_none_match or (
        not request.if_none_match
        and request.if_modified_since is not None
        and modified <= request.if_modified_since
    ):
        response = Response(status=304)
    else:
        result = engine().search(args.request(facets=False))

        def link(hit: Hit) -> str:
            url = url_for("byline.article", article_id=hit.article_id, q=args.q, _external=True)
            return f"{url}#p-{hit.paragraph_no}"

        seen = engine().first_seen(h.article_id for h in result.hits)
        body = feeds.atom(
            id=feeds.feed_id(canonical),
            title=feed_title(args),
            subtitle=result.notice,
            self_url=request.url,
            alternate_url=url_for("byline.search", _external=True, **args.params(per_page=None)),
            items=feeds.entries(result.hits, link, seen, modified),
            updated=modified,
        )
        response = Response(body, content_type=ATOM_TYPE)
    response.set_etag(etag)
    response.last_modified = modified
    response.headers["Cache-Control"] = "max-age=300"
    return response


@bp.app_template_global()
def feed_url(args: SearchArgs, **changes: Any) -> str:
    return url_for("byline.search_feed", **args.params(page=None, per_page=None, **changes))


# -- trends -----------------------------------------------------------------------------------

MAX_TREND_QUERIES = 10
TREND_W, TREND_H = 720, 300
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 64, 16, 12, 44


@dataclass(frozen=True)
class TrendArgs:
    queries: tuple[str, ...]
    interval: str
    counts: bool  # show matching articles, not their share
    filters: tuple[tuple[str, str], ...] = ()
    since: str = ""

    def params(self, **changes: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"q": list(self.queries), **dict(self.filters)}
        if self.interval != "month":
            out["interval"] = self.interval
        if self.counts:
            out["counts"] = 1
        if self.since:
            out["since"] = self.since
        out.update(changes)
        return {k: v for k, v in out.items() if v not in (None, "", False, [])}


def trend_args() -> TrendArgs:
    limit = engine().config.max_query_length
    queries: list[str] = []
    for raw in request.args.getlist("q"):
        if "\x00" in raw:
            abort(400, description="A query contains a NUL character: remove it.")
        if len(raw) > limit:
            abort(400, description=f"A query is longer than {limit:,} characters: shorten it.")
        raw = feeds.xml_chars(raw).strip()  # drawn into the chart's SVG
        if raw and raw not in queries:
            queries.append(raw)
    if len(queries) > MAX_TREND_QUERIES:
        abort(
            400,
            description=f"Compare at most {MAX_TREND_QUERIES} queries at once "
            f"(this asks for {len(queries)}): drop some.",
        )
    interval = _choice_arg("interval", INTERVAL_NAMES, "month")
    counts = request.args.get("counts", "").strip()
    if counts not in ("", "0", "1"):
        abort(400, description=f"counts must be 1 (or left out), not {counts[:30]!r}.")
    filters = tuple(
        (name, value)
        for name in FILTERS
        if (value := _text_arg(name, 200 if name != "date" else 50))
    )
    return TrendArgs(tuple(queries), interval, counts == "1", filters, _since_arg())


def run_trends(args: TrendArgs) -> Trends:
    return engine().trends(
        list(args.queries),
        interval=args.interval,
        normalize=not args.counts,
        filters=args.filters,
        since=parse_since(args.since) if args.since else None,
    )


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Line:
    """One query's line: path segments (broken at gaps) and the points drawn as dots."""

    index: int
    query: str
    paths: tuple[str, ...]
    dots: tuple[tuple[float, float, str], ...]
    matches: int


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    top: int
    right: float
    bottom: float
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    y_title: str
    x_title: str
    summary: str


def _value(point: TrendPoint, counts: bool) -> float | None:
    if not point.total:
        return None  # no article at all in the period: a gap
    return float(point.matches) if counts else (point.share or 0.0) * 100


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 2.5, 5, 10):
        magnitude = 10.0 ** math.floor(math.log10(value))
        if step * magnitude >= value:
            return step * magnitude
    return value


def _number(value: float, counts: bool) -> str:
    if counts:
        return f"{value:,.0f}"
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"


def line_chart(trends: Trends, counts: bool) -> LineChart | None:
    periods = trends.periods
    if not periods:
        return None
    right, bottom = TREND_W - TREND_RIGHT, TREND_H - TREND_BOTTOM
    plot_w, plot_h = right - TREND_LEFT, bottom - TREND_TOP
    values = [
        [_value(p, counts) for p in series.points] for series in trends.series if series.points
    ]
    top = _nice_top(max((v for row in values for v in row if v is not None), default=0.0))
    n = len(periods)

    def x(i: int) -> float:
        return round(TREND_LEFT + (i * plot_w / (n - 1) if n > 1 else plot_w / 2), 2)

    def y(v: float) -> float:
        return round(bottom - v / top * plot_h, 2)

    lines = []
    for index, series in enumerate(trends.series):
        paths: list[str] = []
        current: list[str] = []
        dots = []
        for i, point in enumerate(series.points):
            v = _value(point, counts)
            if v is None:
                if current:
                    paths.append(" ".join(current))
                current = []
                continue
            current.append(f"{'M' if not current else 'L'}{x(i)},{y(v)}")
            dots.append((x(i), y(v), f"{point.period}: {_number(v, counts)}"))
        if current:
            paths.append(" ".join(current))
        lines.append(Line(index, series.query, tuple(paths), tuple(dots), series.matches))
    every = max(1, math.ceil(n / 8))
    x_ticks = tuple(Tick(x(i), periods[i]) for i in range(0, n, every))
    y_ticks = tuple(Tick(y(top * k / 4), _number(top * k / 4, counts)) for k in range(5))
    y_title = "Matching articles" if counts else "Share of all articles (%)"
    summary = (
        "; ".join(f"{line.query}: {line.matches:,} matching articles" for line in lines)
        + f", by {trends.interval} from {periods[0]} to {periods[-1]}."
    )
    return LineChart(
        TREND_W,
        TREND_H,
        TREND_LEFT,
        TREND_TOP,
        right,
        bottom,
        tuple(lines),
        x_ticks,
        y_ticks,
        y_title,
        trends.interval.capitalize(),
        summary,
    )


@bp.get("/trends")
def trends_page() -> Any:
    args = trend_args()
    result = run_trends(args) if args.queries else None
    return render_template(
        "trends.html",
        q="",
        args=args,
        result=result,
        chart=line_chart(result, args.counts) if result else None,
        intervals=INTERVALS,
        fields=list(args.queries) + [""] * max(1, 3 - len(args.queries)),
    )


@bp.get("/api/trends")
def api_trends() -> Response:
    args = trend_args()
    if not args.queries:
        abort(400, description="Give one or more queries: /api/trends?q=oil&q=wheat.")
    return jsonify(run_trends(args).to_dict())


@bp.get("/trends.csv")
def trends_csv() -> Response:
    args = trend_args()
    if not args.queries:
        abort(400, description="Give one or more queries: /trends.csv?q=oil&q=wheat.")
    response = make_response(export.trends_csv(run_trends(args)))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    words = re.findall(r"[a-z0-9]+", " ".join(args.queries).lower())
    name = "-".join(["byline-trends", *words])[:80].rstrip("-")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@bp.app_template_global()
def trends_url(**params: Any) -> str:
    return url_for("byline.trends_page", **params)


@bp.app_template_global()
def search_trends_url(args: SearchArgs) -> str:
    """Compare this search over time (its words and filters, by month)."""
    params: dict[str, Any] = {"q": args.q, **args.filter}
    return url_for("byline.trends_page", **params)


# -- batch ------------------------------------------------------------------------------------

MAX_BATCH_LINES = 200
BATCH_HELP = (
    f"Paste at most {MAX_BATCH_LINES} queries, one a line; for longer lists use "
    "`python manage.py batch FILE`, which has no limit."
)


def batch_lines(raw: str) -> list[str]:
    """The pasted queries (blank lines dropped); a 400 that says the limit beyond it."""
    if "\x00" in raw:
        abort(400, description="The list contains a NUL character: remove it.")
    lines = [feeds.xml_chars(line).strip() for line in raw.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > MAX_BATCH_LINES:
        abort(400, description=f"The list has {len(lines):,} queries. {BATCH_HELP}")
    return lines


def _batch_text() -> str:
    return request.form.get("queries", "") if request.method == "POST" else ""


@bp.route("/batch", methods=["GET", "POST"])
def batch_page() -> Any:
    raw = _batch_text()
    lines = batch_lines(raw)
    rows = list(engine().batch(lines)) if lines else []
    return render_template(
        "batch.html",
        q="",
        raw=raw,
        rows=rows,
        limit=MAX_BATCH_LINES,
        submitted=request.method == "POST",
    )


@bp.post("/batch.csv")
def batch_csv() -> Response:
    lines = batch_lines(_batch_text())
    if not lines:
        abort(400, description="Paste one or more queries, one a line.")
    response = Response(stream_with_context(export.batch_csv(engine().batch(lines))))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="byline-batch.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/batch")
def api_batch() -> Response:
    body = request.get_json(silent=True)
    queries = body.get("queries") if isinstance(body, dict) else None
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        abort(400, description='Send JSON: {"queries": ["oil", "wheat", ...]}.')
    lines = batch_lines("\n".join(q.replace("\n", " ") for q in queries))
    return jsonify({"rows": [row.to_dict() for row in engine().batch(lines)]})


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> Response:
    message = "The request is larger than this server accepts (64 KB)."
    if request.path.startswith(("/batch", "/api/batch")):
        message += " " + BATCH_HELP
    return error_response(413, "Too large", message)


# -- suggestions and OpenSearch ---------------------------------------------------------------

SUGGEST_TYPE = "application/x-suggestions+json"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"


@bp.get("/api/suggest")
def api_suggest() -> Response:
    """OpenSearch suggestions: ``["kaz", ["kazakhstan", "kazakh", ...]]``."""
    prefix = request.args.get("q", "")
    if len(prefix) > 200 or "\x00" in prefix:
        found: tuple[str, ...] = ()  # nothing to offer; never an error while typing
    else:
        found = engine().suggest(prefix, limit=_int_arg("limit", 10, 1, 20))
    response = make_response(json.dumps([prefix, list(found)], ensure_ascii=False))
    response.headers["Content-Type"] = f"{SUGGEST_TYPE}; charset=utf-8"
    response.headers["Cache-Control"] = "max-age=60"
    return response


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    """The OpenSearch description: browsers offer to add Byline as a search engine."""
    root = request.url_root.rstrip("/")
    body = "\n".join(
        (
            '<?xml version="1.0" encoding="utf-8"?>',
            '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">',
            "  <ShortName>Byline</ShortName>",
            "  <Description>Paragraph-level search of this news archive</Description>",
            "  <InputEncoding>UTF-8</InputEncoding>",
            '  <Url type="text/html" method="get" template="'
            + feeds.xml_text(root + "/search?q={searchTerms}")
            + '"/>',
            f'  <Url type="{SUGGEST_TYPE}" method="get" template="'
            + feeds.xml_text(root + "/api/suggest?q={searchTerms}")
            + '"/>',
            '  <Url type="application/atom+xml" method="get" template="'
            + feeds.xml_text(root + "/search.atom?q={searchTerms}")
            + '"/>',
            '  <Url type="application/opensearchdescription+xml" rel="self" template="'
            + feeds.xml_text(root + "/opensearch.xml")
            + '"/>',
            "</OpenSearchDescription>",
            "",
        )
    )
    response = make_response(body)
    response.headers["Content-Type"] = f"{OPENSEARCH_TYPE}; charset=utf-8"
    response.headers["Cache-Control"] = "max-age=86400"
    return response
