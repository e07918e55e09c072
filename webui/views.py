"""Routes: read the request, call the engine, render a template or JSON.

No business logic lives here: searching, highlighting and escaping document
text are the library's job. The only HTML marked safe in templates is what
``indexer.highlighting`` produced (``snippet_html`` and ``highlight_article``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException, InternalServerError, abort

from indexer.errors import (
    BylineError,
    IndexCorrupt,
    IndexLocked,
    IndexMissing,
    QueryError,
)
from indexer.models import Article, SearchPage

if TYPE_CHECKING:
    from indexer.engine import SearchEngine

log = logging.getLogger("byline.webui")
bp = Blueprint("byline", __name__)

GROUPS = ("article", "paragraph")
MAX_PAGE = 1_000_000
KIND_LABELS = {
    "headline": "Headline",
    "heading": "Section heading",
    "body": "Body text",
    "caption": "Photo caption",
    "boilerplate": "Boilerplate",
}

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


@dataclass(frozen=True)
class SearchArgs:
    q: str
    page: int
    per_page: int
    group: str

    def params(self, **changes: Any) -> dict[str, Any]:
        """Query-string parameters for a link that keeps every setting of this search."""
        out: dict[str, Any] = {"q": self.q}
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
        return out


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} must be a whole number, not {raw[:30]!r}.")
    return max(low, min(value, high))


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


def search_args() -> SearchArgs:
    q = _query_arg()
    page = _int_arg("page", 1, 1, MAX_PAGE)
    per_page = _int_arg(
        "per_page", current_app.config["BYLINE_PER_PAGE"], 1, engine().config.max_per_page
    )
    group = request.args.get("group", "article").strip() or "article"
    if group not in GROUPS:
        abort(400, description=f"group must be 'article' or 'paragraph', not {group[:30]!r}.")
    return SearchArgs(q, page, per_page, group)


def run_search(args: SearchArgs) -> SearchPage:
    """One page of results; a page past the last one shows the last page."""
    per_article = 1 if args.group == "article" else None
    result = engine().search(args.q, page=args.page, per_page=args.per_page, per_article=per_article)
    if result.pages and result.page > result.pages:
        result = engine().search(
            args.q, page=result.pages, per_page=args.per_page, per_article=per_article
        )
    return result


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
    if not args.q:
        return render_template(
            "index.html",
            stats=engine().stats(),
            examples=current_app.config["BYLINE_EXAMPLES"],
            q="",
        )
    result = run_search(args)
    args = replace(args, page=max(1, result.page))
    first = (result.page - 1) * result.per_page + 1
    return render_template(
        "search.html",
        q=args.q,
        args=args,
        result=result,
        first=first,
        window=page_window(result.page, result.pages),
        drops=drop_one_word(args.q) if not result.total else [],
        kinds=KIND_LABELS,
    )


@bp.get("/articles/<path:article_id>")
def article(article_id: str) -> str:
    check_article_id(article_id)
    q = _query_arg()
    found = engine().article(article_id)
    if found is None:
        abort(404, description="There is no article with that id. It may have been removed "
                               "from the archive since the link was made.")
    html = engine().highlight_article(found, q)
    paragraphs = list(zip(found.paragraphs, html, strict=True))
    matched = [p.no for p, h in paragraphs if q and "<mark>" in h]
    return render_template(
        "article.html",
        article=found,
        paragraphs=paragraphs,
        matched=matched,
        q=q,
        kinds=KIND_LABELS,
        source_url=found.url if _is_web_url(found.url) else None,
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
    return jsonify(run_search(args).to_dict())


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
    found = engine().article(article_id)
    if found is None:
        abort(404, description=f"no article with id {article_id[:200]!r}")
    return jsonify(article_dict(found, engine().highlight_article(found, q) if q else None))


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


def error_response(status: int, title: str, message: str, template: str = "error.html",
                   hint: str | None = None) -> Response:
    if wants_json():
        body: dict[str, Any] = {"error": {"status": status, "title": title, "message": message}}
        if hint:
            body["error"]["hint"] = hint
        response = jsonify(body)
        response.status_code = status
        return response
    return make_response(
        render_template(template, status=status, title=title, message=message, hint=hint,
                        q=request.args.get("q", "")[:1000]),
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
            503, "No index yet", str(exc), "no_index.html",
            hint="Run `python manage.py reindex` (or `python manage.py serve`, which indexes first), "
                 "then reload this page.",
        )

    @app.errorhandler(IndexCorrupt)
    def index_corrupt(exc: IndexCorrupt) -> Response:
        return error_response(503, "The index cannot be read", str(exc), "no_index.html",
                              hint="Run `python manage.py reindex --full` to rebuild it.")

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
            500, InternalServerError.name,
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


@bp.app_template_global()
def search_url(args: SearchArgs, **changes: Any) -> str:
    return url_for("byline.search", **args.params(**changes))
