"""The newsroom's routes: feeds of a search, trends, exports of everything, suggestions, batch.

Registered on the same blueprint as :mod:`webui.views` (and using its request
parsing), kept apart so the page routes stay readable. As there, no business
logic lives here: the library searches, counts and writes the formats.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Response, request, url_for

from indexer import feeds
from indexer.models import Hit

from .views import SearchArgs, bp, engine, search_args

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
