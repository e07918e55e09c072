"""Result sets as CSV or JSON files a researcher can keep: query and time included."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .errors import QueryError
from .models import BatchRow, Hit, Trends

FORMATS = ("csv", "json", "jsonl")
#: What a whole result set streams as: one row (or line) per hit, never one document of all.
STREAM_FORMATS = ("csv", "jsonl")
COLUMNS = (
    "rank",
    "article_id",
    "title",
    "paragraph_no",
    "kind",
    "heading",
    "date",
    "source",
    "section",
    "score",
    "similar",
    "text",
)


def render(query: str, hits: Sequence[Hit], fmt: str, options: Mapping[str, Any]) -> str:
    if fmt not in FORMATS:
        raise QueryError(f"export format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    exported = datetime.now(UTC).isoformat(timespec="seconds")
    used = {k: v for k, v in options.items() if v not in (None, False, "")}
    if fmt == "jsonl":
        return "".join(stream(query, hits, fmt, options))
    if fmt == "json":
        return json.dumps(
            {
                "query": query,
                "options": used,
                "exported": exported,
                "count": len(hits),
                "hits": [{"rank": n, **h.to_dict()} for n, h in enumerate(hits, 1)],
            },
            ensure_ascii=False,
            indent=1,
        )
    out = io.StringIO()
    out.write(f"# query: {_safe(query)}\n# exported: {exported}\n")
    if used:
        out.write(f"# options: {_safe(json.dumps(used, ensure_ascii=False))}\n")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n, h in enumerate(hits, 1):
        row = {"rank": n, **h.to_dict()}
        writer.writerow([_cell(row.get(c)) for c in COLUMNS])
    return out.getvalue()


def stream(query: str, hits: Iterable[Hit], fmt: str, options: Mapping[str, Any]) -> Iterator[str]:
    """The export as pieces of text, one per row, read from ``hits`` as they come.

    CSV: the same header and columns as :func:`render`. JSON Lines: a first
    line ``{"query", "options", "exported"}``, then one hit a line with its rank.
    A single JSON document of a whole result set could not be read without
    holding all of it, so it is refused here: use JSON Lines.
    """
    if fmt not in STREAM_FORMATS:
        raise QueryError(
            f"a whole result set streams as {' or '.join(STREAM_FORMATS)}, not {fmt!r}: "
            "use jsonl for JSON (one hit a line)"
        )
    exported = datetime.now(UTC).isoformat(timespec="seconds")
    used = {k: v for k, v in options.items() if v not in (None, False, "")}
    if fmt == "jsonl":
        head = {"query": query, "options": used, "exported": exported}
        yield json.dumps(head, ensure_ascii=False) + "\n"
        for n, h in enumerate(hits, 1):
            yield json.dumps({"rank": n, **h.to_dict()}, ensure_ascii=False) + "\n"
        return
    out = io.StringIO()
    writer = csv.writer(out)
    out.write(f"# query: {_safe(query)}\n# exported: {exported}\n")
    if used:
        out.write(f"# options: {_safe(json.dumps(used, ensure_ascii=False))}\n")
    writer.writerow(COLUMNS)
    yield out.getvalue()
    for n, h in enumerate(hits, 1):
        out.seek(0)
        out.truncate()
        row = {"rank": n, **h.to_dict()}
        writer.writerow([_cell(row.get(c)) for c in COLUMNS])
        yield out.getvalue()


def _safe(text: str) -> str:
    return " ".join(text.split())


def _cell(value: object) -> object:
    # Spreadsheet apps run cells starting with = + - @ as formulas: defuse them.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


TREND_COLUMNS = ("query", "period", "start", "end", "matches", "total", "share")


def trends_csv(trends: Trends) -> str:
    """Trends as CSV, one row per query and period (an empty share: no article in the period)."""
    out = io.StringIO()
    out.write(f"# interval: {trends.interval}\n")
    out.write(f"# exported: {datetime.now(UTC).isoformat(timespec='seconds')}\n")
    writer = csv.writer(out)
    writer.writerow(TREND_COLUMNS)
    for series in trends.series:
        for p in series.points:
            share = "" if p.share is None else f"{p.share:.6f}"
            writer.writerow(
                [_cell(series.query), p.period, p.start, p.end, p.matches, p.total, share]
            )
    return out.getvalue()


BATCH_COLUMNS = (
    "query",
    "paragraphs",
    "articles",
    "first_date",
    "last_date",
    "best_article_id",
    "best_title",
    "error",
)


def batch_csv(rows: Iterable[BatchRow]) -> Iterator[str]:
    """A batch search as CSV, a row at a time (spreadsheet formulas defused)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(BATCH_COLUMNS)
    yield out.getvalue()
    for row in rows:
        out.seek(0)
        out.truncate()
        values = row.to_dict()
        writer.writerow([_cell(values[c]) for c in BATCH_COLUMNS])
        yield out.getvalue()
