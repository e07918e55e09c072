"""JSON and JSON Lines: records with ``title``, ``body`` (or ``text``) and optional metadata.

Metadata: ``id``, ``date``, ``source``, ``author``, ``url``, ``section``,
``dateline``, and ``tags``, ``places``, ``topics`` as a list or a
comma-separated string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..errors import DocumentError
from ..models import Article
from .common import Source, Warn, clean_text, date_value, meta_list, meta_text


def _article(record: object, default_id: str, warn: Warn) -> Article | None:
    if not isinstance(record, dict):
        return None
    body = record.get("body", record.get("text"))
    title = record.get("title")
    if body is None and title is None:
        return None
    rid = record.get("id")
    article_id = str(rid) if rid not in (None, "") else default_id
    return Article(
        id=article_id,
        title=clean_text(str(title or "")).strip(),
        body=clean_text(str(body or "")),
        date=date_value(record.get("date"), article_id, warn),
        source=meta_text(record.get("source")),
        url=meta_text(record.get("url")),
        author=meta_text(record.get("author")),
        section=meta_text(record.get("section")),
        tags=meta_list(record.get("tags")),
        places=meta_list(record.get("places")),
        topics=meta_list(record.get("topics")),
        dateline=meta_text(record.get("dateline")),
    )


def read_json(source: Source) -> Iterator[Article]:
    """A JSON object, or a list of them (``id#1``, ``id#2``... unless a record has an ``id``)."""
    try:
        data = json.loads(source.text())
    except (ValueError, RecursionError) as exc:
        raise DocumentError(f"cannot parse: {exc}") from None
    records = data if isinstance(data, list) else [data]
    for n, record in enumerate(records, start=1):
        rid = f"{source.id}#{n}" if len(records) > 1 else source.id
        article = _article(record, rid, source.warn)
        if article is not None:
            yield article


def read_jsonl(source: Source) -> Iterator[Article]:
    """One JSON record per line; a bad line is reported and skipped, the rest still read."""
    for n, line in enumerate(source.text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:
            source.warn(f"line {n} is not JSON ({getattr(exc, 'msg', exc)}); line skipped")
            continue
        article = _article(record, f"{source.id}#{n}", source.warn)
        if article is not None:
            yield article
