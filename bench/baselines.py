"""The two baselines the benchmark runs beside Byline, on the same paragraphs.

* ``naive``: Whoosh used the way its tutorial does: the default writer
  (``ix.writer()``), ``RegexTokenizer | LowercaseFilter | StopFilter |
  StemFilter`` with NLTK's Snowball stemmer and no stem cache, title and text
  stored, an OR query over both fields, snippets with ``hit.highlights``.
* ``fts5``: SQLite FTS5 through Python's ``sqlite3``: porter tokenizer,
  ``bm25()`` ranking, ``snippet()``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def _snowball() -> Any:
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


def naive_stem(word: str) -> str:
    """Uncached NLTK Snowball (module level so Whoosh can pickle the schema)."""
    return str(_snowball().stem(word))


def naive_schema() -> Any:
    from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
    from whoosh.fields import ID, STORED, TEXT, Schema

    analyzer = (
        RegexTokenizer()
        | LowercaseFilter()
        | StopFilter()
        | StemFilter(stemfn=naive_stem, cachesize=None)
    )
    return Schema(
        article_id=ID(stored=True),
        paragraph_no=STORED(),
        title=TEXT(analyzer=analyzer, stored=True),
        text=TEXT(analyzer=analyzer, stored=True),
    )


def naive_index(docs: Iterable[dict[str, Any]], index_dir: Path) -> int:
    from whoosh.index import create_in

    index_dir.mkdir(parents=True, exist_ok=True)
    ix = create_in(str(index_dir), naive_schema())
    writer = ix.writer()
    n = 0
    for doc in docs:
        writer.add_document(**doc)
        n += 1
    writer.commit()
    return n


class NaiveSearcher:
    def __init__(self, index_dir: Path) -> None:
        from whoosh.index import open_dir
        from whoosh.qparser import MultifieldParser, OrGroup

        self.ix = open_dir(str(index_dir))
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "text"], self.ix.schema, group=OrGroup)

    def search(self, query: str, snippets: bool) -> int:
        q = self.parser.parse(query)
        results = self.searcher.search(q, limit=10)
        n = 0
        for hit in results:
            n += 1
            if snippets:
                hit.highlights("text")
        return n

    def close(self) -> None:
        self.searcher.close()


def fts5_index(docs: Iterable[dict[str, Any]], path: Path) -> int:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE VIRTUAL TABLE p USING fts5(article_id UNINDEXED, paragraph_no UNINDEXED, "
        "title, text, tokenize='porter unicode61')"
    )
    n = 0
    with db:
        for doc in docs:
            db.execute(
                "INSERT INTO p VALUES (?, ?, ?, ?)",
                (doc["article_id"], doc["paragraph_no"], doc["title"], doc["text"]),
            )
            n += 1
    db.close()
    return n


_WORD = re.compile(r"\w+")


def fts5_match(query: str) -> str:
    """The query as an FTS5 expression: each word or "phrase" quoted, joined by OR."""
    parts = []
    for m in re.finditer(r'"([^"]*)"|(\S+)', query):
        words = _WORD.findall(m.group(1) if m.group(1) is not None else m.group(2))
        if words:
            parts.append('"' + " ".join(words) + '"')
    return " OR ".join(parts)


class FtsSearcher:
    TOP = (
        "SELECT rowid, article_id, paragraph_no, bm25(p, 0, 0, 0.5, 1.0) AS s FROM p "
        "WHERE p MATCH ? ORDER BY s LIMIT 10"
    )
    SNIPPETS = (
        "SELECT rowid, article_id, paragraph_no, bm25(p, 0, 0, 0.5, 1.0) AS s, "
        "snippet(p, 3, '<mark>', '</mark>', '\u2026', 32) FROM p "
        "WHERE p MATCH ? ORDER BY s LIMIT 10"
    )

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)

    def search(self, query: str, snippets: bool) -> int:
        match = fts5_match(query)
        if not match:
            return 0
        return len(self.db.execute(self.SNIPPETS if snippets else self.TOP, (match,)).fetchall())

    def close(self) -> None:
        self.db.close()
