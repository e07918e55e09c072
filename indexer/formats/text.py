"""Plain text and Markdown: ``---`` front matter (optional), a title line, blank-line paragraphs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..models import Article
from .common import Source, clean_text, date_value, meta_list, meta_text, section_from_path

_FM_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(?:\s*(.*?))?\s*$")
_FM_ITEM = re.compile(r"^\s*-\s*(.*?)\s*$")
_FM_ALIASES = {
    "headline": "title",
    "published": "date",
    "pubdate": "date",
    "date_published": "date",
    "authors": "author",
    "byline": "author",
    "keywords": "tags",
    "categories": "tags",
    "category": "section",
    "link": "url",
    "outlet": "source",
    "publisher": "source",
}

FrontValue = str | list[str]


def _yaml_scalar(text: str) -> str:
    """A plain, 'single' or "double" quoted YAML scalar; an unquoted ' #' starts a comment."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        inner = text[1:-1]
        return re.sub(r'\\(["\\/])', r"\1", inner).replace("\\n", " ").replace("\\t", " ")
    return re.sub(r"\s+#.*$", "", text).strip()


def _yaml_flow_list(text: str) -> list[str]:
    """``[a, "b, c", 'd']``: items split at commas outside quotes."""
    items = re.findall(r'\s*("(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'|[^,]*)\s*(?:,|$)', text[1:-1])
    return [v for v in (_yaml_scalar(i) for i in items) if v]


def front_matter(text: str) -> tuple[dict[str, FrontValue], str]:
    """A leading ``---`` YAML block and the rest of the text.

    The subset news notes use: ``key: value`` (plain or quoted), ``key: [a, b]``,
    ``key:`` followed by ``- item`` lines, ``key: |`` or ``>`` followed by
    indented lines, and ``#`` comments. Keys are case-insensitive; a few
    common synonyms (``published``, ``authors``, ``keywords``, ``category``) map
    to the fields Byline knows. A block that never closes is not front matter.
    """
    first, nl, _ = text.partition("\n")
    if first.rstrip() != "---" or not nl:
        return {}, text
    m = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[len(first) + 1 :], re.M)
    if m is None:
        return {}, text
    block = text[len(first) + 1 : len(first) + 1 + m.start()]
    rest = text[len(first) + 1 + m.end() :]
    rest = rest[1:] if rest.startswith("\n") else rest
    meta: dict[str, FrontValue] = {}
    key: str | None = None  # the key whose value continues on the following lines
    folded: list[str] = []
    for line in block.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        km = _FM_KEY.match(line) if not line[0].isspace() else None
        if km:
            if key is not None and folded:
                meta[key] = " ".join(folded)
            key, folded = None, []
            name = km.group(1).lower().replace("-", "_")
            name = _FM_ALIASES.get(name, name)
            value = km.group(2) or ""
            if not value or value in ("|", ">", "|-", ">-", "|+", ">+"):
                key = name  # a list or a block scalar follows
                meta.setdefault(name, "")
            elif value.startswith("[") and value.endswith("]"):
                meta[name] = _yaml_flow_list(value)
            else:
                meta[name] = _yaml_scalar(value)
            continue
        if key is None:
            continue  # a line we do not understand: ignore it, as YAML tools would not
        item = _FM_ITEM.match(line)
        current = meta.get(key)
        if item and not folded:
            items = current if isinstance(current, list) else []
            value = _yaml_scalar(item.group(1))
            if value:
                items.append(value)
            meta[key] = items
        elif line[0].isspace() and not isinstance(current, list):
            folded.append(line.strip())
    if key is not None and folded:
        meta[key] = " ".join(folded)
    return meta, rest


def read(source: Source) -> Iterator[Article]:
    """The seed format: front matter (optional), then the title line, then paragraphs.

    A file in a subfolder gets that folder's name as its section unless the
    front matter names one (the BBC corpus: ``business/001.txt``).
    """
    meta, text = front_matter(clean_text(source.text()))
    lines = text.strip("\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    fm_title = meta_text(meta.get("title"))
    if not lines and not fm_title:
        return
    title = fm_title or lines[0].strip().lstrip("# ").strip()
    body = "\n".join(lines if fm_title else lines[1:]).strip("\n")
    if not title and not body.strip():
        return
    yield Article(
        id=source.id,
        title=title,
        body=body,
        date=date_value(meta.get("date"), source.id, source.warn),
        source=meta_text(meta.get("source")),
        url=meta_text(meta.get("url")),
        author=meta_text(meta.get("author")),
        section=meta_text(meta.get("section")) or section_from_path(source.id),
        tags=meta_list(meta.get("tags")),
        places=meta_list(meta.get("places")),
        topics=meta_list(meta.get("topics")),
        dateline=meta_text(meta.get("dateline")),
    )
