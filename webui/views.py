"""Routes: read the request, call the engine, render a template or JSON.

No business logic lives here: searching, highlighting and escaping document
text are the library's job. The only HTML marked safe in templates is what
``indexer.highlighting`` produced (``snippet_html`` and ``highlight_article``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    make_response,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.exceptions import HTTPException, abort

from indexer import filters as filter_registry
from indexer.errors import (
    BylineError,
    IndexCorrupt,
    IndexLocked,
    IndexMissing,
    QueryError,
)
from indexer.models import KINDS, Article, SearchPage
from indexer.request import (
    DEFAULT_MODE,
    MODE_NAMES,
    MODES,
    SORT_NAMES,
    SORTS,
    SearchRequest,
    parse_since,
)

if TYPE_CHECKING:
    from indexer.engine import SearchEngine

log = logging.getLogger("byline.webui")
bp = Blueprint("byline", __name__)

GROUPS = ("article", "paragraph")
MAX_PAGE = 1_000_000
KIND_LABELS = {kind.name: kind.label for kind in KINDS}

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def engine() -> SearchEngine:
    return current_app.extensions["byline"]  # type: ignore[no-any-return]


# -- request parsing -----------------------------------------------------------


#: Metadata filters the UI and the API take as parameters: the library's registry.
FILTERS = tuple(f.name for f in filter_registry.PUBLIC_FILTERS)
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
}
EXPORT_LIMIT = 1000


@dataclass(frozen=True)
class SearchArgs:
    q: str
    page: int
    per_page: int
    group: str
    sort: str = "relevance"
    filters: tuple[tuple[str, str], ...] = ()
    similar: bool = False  # True: show every copy (collapse_similar=False)
    exact: bool = False  # count every match (exact_counts=True)
    since: str = ""  # only articles first indexed after this date-time (as given)
    mode: str = DEFAULT_MODE  # how the query is matched (words, meaning, or both)

    @property
    def filter(self) -> dict[str, str]:
        return dict(self.filters)

    def params(self, **changes: Any) -> dict[str, Any]:
        """Query-string parameters for a link that keeps every setting of this search.

        ``changes`` override; a change to None drops the parameter.
        """
        out: dict[str, Any] = {"q": self.q}
        out.update(self.filter)
        if self.sort != "relevance":
            out["sort"] = self.sort
        if self.similar:
            out["similar"] = "show"
        if self.exact:
            out["exact"] = 1
        if self.since:
            out["since"] = self.since
        if self.mode != DEFAULT_MODE:
            out["mode"] = self.mode
        if self.group != "article":
            out["group"] = self.group
        if self.per_page != current_app.config["BYLINE_PER_PAGE"]:
            out["per_page"] = self.per_page
        if self.page != 1:
            out["page"] = self.page
        out.update(changes)
        if out.get("page") == 1:
            del out["page"]
        if out.get("group") == "article":
            del out["group"]
        if out.get("sort") == "relevance":
            del out["sort"]
        if out.get("mode") == DEFAULT_MODE:
            del out["mode"]
        return {k: v for k, v in out.items() if v not in (None, "", False)}

    def request(self, **changes: Any) -> SearchRequest:
        """The library's request for this search (the web page always shows facets)."""
        # A dup: filter asks for one cluster's copies: list them rather than collapse them again.
        collapse = not self.similar and not filter_registry.in_query(self.q, "dup")
        request = SearchRequest(
            self.q,
            page=self.page,
            per_page=self.per_page,
            per_article=1 if self.group == "article" else None,
            sort=self.sort,
            facets=True,
            collapse_similar=collapse,
            exact_counts=self.exact,
            filters=self.filters,
            since=parse_since(self.since) if self.since else None,
            mode=self.mode,
        )
        return replace(request, **changes) if changes else request


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} must be a whole number, not {raw[:30]!r}.")
    return max(low, min(value, high))


def _choice_arg(name: str, names: tuple[str, ...], default: str) -> str:
    """A parameter that must be one of a registry's names (a 400 naming them otherwise)."""
    value = request.args.get(name, "").strip() or default
    if value not in names:
        abort(400, description=f"{name} must be one of {', '.join(names)}, not {value[:30]!r}.")
    return value


def _query_arg() -> str:
    q = request.args.get("q", "")
    if "\x00" in q:
        abort(400, description="The query contains a NUL character: remove it.")
    limit = engine().config.max_query_length
    if len(q) > limit:
        abort(
            400,
            description=f"The query is {len(q):,} characters long; the limit is {limit:,}. "
            "Shorten it to the words that matter.",
        )
    return q.strip()


def _text_arg(name: str, limit: int = 200) -> str:
    value = request.args.get(name, "")
    if "\x00" in value:
        abort(400, description=f"{name} contains a NUL character: remove it.")
    if len(value) > limit:
        abort(400, description=f"{name} is longer than {limit} characters: shorten it.")
    return value.strip()


def _date_arg() -> str:
    """``date`` as given, or ``from``/``to`` (the filter bar's two boxes) joined as a range."""
    start, end = _text_arg("from", 20), _text_arg("to", 20)
    if start or end:
        if start and end and start == end:
            return start
        return f"{start}..{end}"
    return _text_arg("date", 50)


def _since_arg() -> str:
    """``since`` as given, checked (a 400 that says how to write it otherwise)."""
    value = _text_arg("since", 40)
    if value:
        try:
            parse_since(value)
        except QueryError as exc:
            abort(400, description=f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
    return value


def search_args(default_sort: str = "relevance") -> SearchArgs:
    q = _query_arg()
    page = _int_arg("page", 1, 1, MAX_PAGE)
    per_page = _int_arg(
        "per_page", current_app.config["BYLINE_PER_PAGE"], 1, engine().config.max_per_page
    )
    group = request.args.get("group", "article").strip() or "article"
    if group not in GROUPS:
        abort(400, description=f"group must be 'article' or 'paragraph', not {group[:30]!r}.")
    sort = _choice_arg("sort", SORT_NAMES, default_sort)
    similar = request.args.get("similar", "").strip()
    if similar not in ("", "show"):
        abort(400, description=f"similar must be 'show' (or left out), not {similar[:30]!r}.")
    filters = {name: _text_arg(name) for name in FILTERS if name != "date"}
    filters["date"] = _date_arg()
    ordered = tuple((name, filters[name]) for name in FILTERS if filters[name])
    exact = request.args.get("exact", "").strip()
    if exact not in ("", "0", "1"):
        abort(400, description=f"exact must be 1 (or left out), not {exact[:30]!r}.")
    mode = _choice_arg("mode", MODE_NAMES, DEFAULT_MODE)
    return SearchArgs(
        q, page, per_page, group, sort, ordered, similar == "show", exact == "1", _since_arg(), mode
    )


def run_search(args: SearchArgs) -> SearchPage:
    """One page of results; a page past the last one shows the last page."""
    result = engine().search(args.request())
    if result.pages and result.page > result.pages:
        result = engine().search(args.request(page=result.pages))
    return result


def without_filter(args: SearchArgs, name: str) -> dict[str, Any]:
    """Link parameters for this search without one filter (in the parameters or the query)."""
    return args.params(q=filter_registry.remove(args.q, name), page=1, **{name: None})


def with_filter(args: SearchArgs, name: str, value: str) -> dict[str, Any]:
    """Link parameters for this search narrowed by one more filter (replacing the same one)."""
    return args.params(q=filter_registry.remove(args.q, name), page=1, **{name: value})


def dup_query(q: str, label: str) -> str:
    """``q`` with ``dup:<label>`` added (quoted when the label needs it): lists one cluster."""
    return filter_registry.with_value(q, "dup", label)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int
    start: str
    end: str


@dataclass(frozen=True)
class Chart:
    """The coverage histogram's geometry, drawn by the template as an inline SVG."""

    bars: tuple[Bar, ...]
    width: int
    height: int
    unit: str
    first: str
    last: str
    peak: Bar
    total: int


CHART_WIDTH, CHART_HEIGHT = 600, 120


def coverage_chart(result: SearchPage) -> Chart | None:
    buckets = result.coverage
    if not buckets:
        return None
    top = max(b.count for b in buckets) or 1
    step = CHART_WIDTH / len(buckets)
    gap = min(step * 0.18, 6.0) if len(buckets) > 1 else 0.0
    bars = []
    for i, b in enumerate(buckets):
        height = 0.0 if not b.count else max(2.0, b.count / top * (CHART_HEIGHT - 4))
        bars.append(
            Bar(
                round(i * step + gap / 2, 2),
                round(CHART_HEIGHT - height, 2),
                round(step - gap, 2),
                round(height, 2),
                b.label,
                b.count,
                b.start,
                b.end,
            )
        )
    peak = max(bars, key=lambda bar: bar.count)
    return Chart(
        tuple(bars),
        CHART_WIDTH,
        CHART_HEIGHT,
        buckets[0].unit,
        buckets[0].label,
        buckets[-1].label,
        peak,
        sum(b.count for b in buckets),
    )


def period(start: str, end: str) -> str:
    """A date filter for one bar: ``1987-03-01..1987-03-31``, or one day."""
    return start if start == end else f"{start}..{end}"


def check_article_id(article_id: str) -> None:
    """Ids are looked up in the index only; refuse shapes that look like file paths."""
    parts = article_id.replace("\\", "/").split("/")
    if (
        not article_id
        or "\x00" in article_id
        or article_id.startswith(("/", "\\"))
        or ".." in parts
        or (len(article_id) > 1 and article_id[1] == ":")
        or len(article_id) > 1000
    ):
        abort(404, description="There is no article with that id.")


def find_article(article_id: str, missing: str) -> Article:
    """The article, or a 404 with ``missing`` as the message (after check_article_id)."""
    found = engine().article(article_id)
    if found is None:
        abort(404, description=missing)
    return found


def drop_one_word(q: str) -> list[str]:
    words = q.split()
    if not 2 <= len(words) <= 6:
        return []
    return [" ".join(words[:i] + words[i + 1 :]) for i in range(len(words))]


def page_window(page: int, pages: int) -> list[int | None]:
    """Page numbers to link, with None for a gap: 1 … 4 5 [6] 7 8 … 20."""
    wanted = {1, pages, *range(page - 2, page + 3)}
    out: list[int | None] = []
    last = 0
    for n in sorted(p for p in wanted if 1 <= p <= pages):
        if n - last > 1:
            out.append(None)
        out.append(n)
        last = n
    return out


# -- pages -------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    stats = engine().stats()
    return render_template(
        "index.html", stats=stats, examples=current_app.config["BYLINE_EXAMPLES"], q=""
    )


@bp.get("/search")
def search() -> Any:
    args = search_args()
    if not args.q and not args.filters and not args.since:
        return render_template(
            "index.html",
            stats=engine().stats(),
            examples=current_app.config["BYLINE_EXAMPLES"],
            q="",
        )
    result = run_search(args)
    args = replace(args, page=max(1, result.page))
    first = (result.page - 1) * result.per_page + 1
    start, end, hidden_date = date_inputs(args.filter.get("date", ""))
    return render_template(
        "search.html",
        q=args.q,
        args=args,
        result=result,
        first=first,
        window=page_window(result.page, result.pages),
        drops=drop_one_word(args.q) if not result.total else [],
        kinds=KIND_LABELS,
        chart=coverage_chart(result),
        date_from=start,
        date_to=end,
        hidden_date=hidden_date,
        facet_names=FACET_LABELS,
        options={name: facet_options(result, args, name) for name in ("source", "section")},
        filter_labels=FILTER_LABELS,
        sorts=SORTS,
        modes=MODES,
    )


FACET_LABELS = {"source": "Source", "section": "Section", "place": "Place", "year": "Year"}
FILTER_LABELS = {f.name: f.label for f in filter_registry.FILTERS}


def date_inputs(spec: str) -> tuple[str, str, str]:
    """The filter bar's from/to boxes for a date filter, or a hidden ``date`` they cannot show."""
    if ".." in spec:
        start, _, end = spec.partition("..")
        return start, end, ""
    if spec.startswith(">="):
        return spec[2:], "", ""
    if spec.startswith("<="):
        return "", spec[2:], ""
    if spec.startswith((">", "<")):
        return "", "", spec
    return spec, spec, ""


def facet_options(result: SearchPage, args: SearchArgs, name: str) -> list[tuple[str, str]]:
    """(value, label) choices for a filter-bar select: the facet's values, the current one kept."""
    current = args.filter.get(name, "")
    options = [(v.value, f"{v.value} ({v.count:,})") for v in result.facet(name)]
    if current and current.lower() not in {v.lower() for v, _ in options}:
        options.insert(0, (current, current))
    return options


def facet_value_filter(name: str, value: str) -> tuple[str, str]:
    """The filter a facet link adds: a year becomes a date filter."""
    return ("date", value) if name == "year" else (name, value)


def is_active(result: SearchPage, name: str, value: str) -> bool:
    filter_name, filter_value = facet_value_filter(name, value)
    return dict(result.filters).get(filter_name, "").lower() == filter_value.lower()


@bp.get("/articles/<path:article_id>")
def article(article_id: str) -> str:
    check_article_id(article_id)
    q = _query_arg()
    found = find_article(
        article_id,
        "There is no article with that id. It may have been "
        "removed from the archive since the link was made.",
    )
    html = engine().highlight_article(found, q)
    paragraphs = list(zip(found.paragraphs, html, strict=True))
    matched = [p.no for p, h in paragraphs if q and "<mark>" in h]
    return render_template(
        "article.html",
        article=found,
        related=engine().related(found.id, limit=5),
        paragraphs=paragraphs,
        matched=matched,
        q=q,
        kinds=KIND_LABELS,
        source_url=found.url if _is_web_url(found.url) else None,
        source_host=urlsplit(found.url).hostname or "" if _is_web_url(found.url) else "",
    )


def _is_web_url(url: str | None) -> bool:
    return bool(url) and url.lower().startswith(("http://", "https://"))  # type: ignore[union-attr]


@bp.get("/help")
def help_page() -> str:
    return render_template("help.html", q="")


# -- JSON ----------------------------------------------------------------------------


@bp.get("/api/search")
def api_search() -> Response:
    args = search_args()
    result = run_search(args)
    if result.notice and result.notice.startswith("Filters were ignored"):
        # The web page searches without the filter and says so; a program gets a clear 400.
        abort(400, description=result.notice)
    return jsonify(result.to_dict())


@bp.get("/export.<fmt>")
def export(fmt: str) -> Response:
    """The current result set as a file: the same parameters as /search, at most 1,000 rows.

    With ``all=1``, every row, streamed (CSV or JSON Lines; a JSON document is refused).
    """
    if fmt not in EXPORT_FORMATS:
        abort(404, description="Exports are /export.csv, /export.json and /export.jsonl.")
    args = search_args()
    everything = request.args.get("all", "").strip()
    if everything not in ("", "0", "1"):
        abort(400, description=f"all must be 1 (or left out), not {everything[:30]!r}.")
    if everything == "1":
        if fmt == "json":
            abort(
                400,
                description="A whole result set is not sent as one JSON document (a program "
                "would have to hold all of it to read it): use /export.jsonl?…&all=1, one "
                "result a line, or /export.csv.",
            )
        body: Any = stream_with_context(engine().export_all(args.request(facets=False), fmt=fmt))
        name = export_name(args) + "-all"
    else:
        body = engine().export(args.request(facets=False), fmt=fmt, limit=EXPORT_LIMIT)
        name = export_name(args)
    response = Response(body) if everything == "1" else make_response(body)
    response.headers["Content-Type"] = EXPORT_FORMATS[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def export_name(args: SearchArgs) -> str:
    words = re.findall(r"[a-z0-9]+", " ".join([args.q, *args.filter.values()]).lower())
    return "-".join(["byline", *words])[:80].rstrip("-")


def article_dict(article: Article, highlighted: tuple[str, ...] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "date": article.date,
        "source": article.source,
        "url": article.url,
        "author": article.author,
        "path": article.path,
        "paragraph_count": len(article.paragraphs),
        "paragraphs": [
            {"no": p.no, "kind": p.kind, "heading": p.heading, "text": p.text}
            for p in article.paragraphs
        ],
    }
    if highlighted is not None:
        for para, html in zip(out["paragraphs"], highlighted, strict=True):
            para["html"] = html
    return out


@bp.get("/api/articles/<path:article_id>")
def api_article(article_id: str) -> Response:
    check_article_id(article_id)
    q = _query_arg()
    found = find_article(article_id, f"no article with id {article_id[:200]!r}")
    return jsonify(article_dict(found, engine().highlight_article(found, q) if q else None))


@bp.get("/api/articles/<path:article_id>/related")
def api_related(article_id: str) -> Response:
    check_article_id(article_id)
    limit = _int_arg("limit", 5, 1, 50)
    find_article(article_id, f"no article with id {article_id[:200]!r}")
    hits = engine().related(article_id, limit=limit)
    return jsonify({"article_id": article_id, "related": [h.to_dict() for h in hits]})


@bp.get("/healthz")
def healthz() -> Response:
    stats = engine().stats()
    return jsonify(
        {
            "status": "ok",
            "generation": stats.generation,
            "articles": stats.articles,
            "paragraphs": stats.paragraphs,
            "last_reindex": stats.last_reindex,
        }
    )


# -- errors and headers -----------------------------------------------------------


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(
    status: int, title: str, message: str, template: str = "error.html", hint: str | None = None
) -> Response:
    if wants_json():
        body: dict[str, Any] = {"error": {"status": status, "title": title, "message": message}}
        if hint:
            body["error"]["hint"] = hint
        response = jsonify(body)
        response.status_code = status
        return response
    return make_response(
        render_template(
            template,
            status=status,
            title=title,
            message=message,
            hint=hint,
            q=request.args.get("q", "")[:1000],
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        response = error_response(status, exc.name, exc.description or exc.name)
        if status == 405 and exc.get_headers():
            allow = dict(exc.get_headers()).get("Allow")
            if allow:
                response.headers["Allow"] = allow
        return response

    @app.errorhandler(IndexMissing)
    def index_missing(exc: IndexMissing) -> Response:
        return error_response(
            503,
            "No index yet",
            str(exc),
            "no_index.html",
            hint="Run `python manage.py reindex` (or `python manage.py serve`, which indexes "
            "first), then reload this page.",
        )

    @app.errorhandler(IndexCorrupt)
    def index_corrupt(exc: IndexCorrupt) -> Response:
        return error_response(
            503,
            "The index cannot be read",
            str(exc),
            "no_index.html",
            hint="Run `python manage.py reindex --full` to rebuild it.",
        )

    @app.errorhandler(IndexLocked)
    def index_locked(exc: IndexLocked) -> Response:
        return error_response(503, "The index is busy", str(exc))

    @app.errorhandler(QueryError)
    def query_error(exc: QueryError) -> Response:
        return error_response(400, "The query cannot be read", str(exc))

    @app.errorhandler(BylineError)
    def byline_error(exc: BylineError) -> Response:
        log.error("byline error on %s: %s", request.path, exc)
        return error_response(500, "Something went wrong", str(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.path)
        return error_response(
            500,
            "Internal Server Error",
            "Something went wrong on our side. The error was logged; please try again.",
        )


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


_URL_SAFE = "!$'()*,/:;?@"  # werkzeug.urls._urlencode's: the WHATWG percent-encode set


def _search_link(params: dict[str, Any]) -> str:
    """``url_for("byline.search", **params)``, without the router for each link.

    A results page has eighty links to itself (facets, chart bars, pages); the
    router's build was a third of its rendering. Same encoding as Werkzeug's.
    """
    path = g.get("_byline_search_path")
    if path is None:
        path = g._byline_search_path = url_for("byline.search")
    items = [(k, v) for k, v in params.items() if v is not None]
    return f"{path}?{urlencode(items, doseq=True, safe=_URL_SAFE)}" if items else path


@bp.app_template_global()
def search_url(args: SearchArgs, **changes: Any) -> str:
    return _search_link(args.params(**changes))


@bp.app_template_global()
def filter_url(args: SearchArgs, name: str, value: str | None = None) -> str:
    """This search with a filter added (or, with no value, removed)."""
    if value is None:
        return _search_link(without_filter(args, name))
    name, value = facet_value_filter(name, value)
    return _search_link(with_filter(args, name, value))


@bp.app_template_global()
def clear_url(args: SearchArgs) -> str:
    """This query with every filter removed (from the parameters and the query text)."""
    q = args.q
    for name in FILTER_LABELS:
        q = filter_registry.remove(q, name)
    params = args.params(q=q, page=1, **dict.fromkeys(FILTERS))
    return _search_link(params)


@bp.app_template_global()
def dup_url(args: SearchArgs, label: str) -> str:
    return _search_link(args.params(q=dup_query(args.q, label), page=1))


@bp.app_template_global()
def export_url(args: SearchArgs, fmt: str, everything: bool = False) -> str:
    return url_for(
        "byline.export", fmt=fmt, **args.params(page=None, all=1 if everything else None)
    )


bp.add_app_template_global(period, "period")
bp.add_app_template_global(is_active, "facet_active")
