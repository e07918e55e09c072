"""Relevance evaluation on public test collections (TIME, CACM, CISI).

Reads a collection in its native format, writes it as plain ``.txt`` articles,
indexes them with Byline's own pipeline into a temporary folder, runs every
query through the public :meth:`SearchEngine.search` path and scores the
article ranking with trec_eval's definitions of MAP, nDCG@10, P@10 and
Recall@100.

The collection readers live here on purpose: they are test fixtures for the
ranking, not document formats a user indexes.

How queries are sent: a test query is natural language (``WHAT ARTICLES EXIST
WHICH DEAL WITH TSS (TIME SHARING SYSTEM), ...``), not Byline query syntax. It
is reduced to its plain words and lowercased (:func:`query_text`), so brackets,
quotes, colons, hyphens and upper-case ``AND``/``OR``/``NOT`` are never read as
operators; the engine then ORs the words as it does for any typed query.

How articles are ranked: ``search(..., per_article=1)``, the best paragraph of
each article, which is exactly what the web UI and the CLI's ``--per-article``
show.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .analysis import TOKEN_PATTERN
from .config import IndexConfig
from .request import DEFAULT_MODE

#: Articles retrieved per query (trec_eval's usual depth).
DEPTH = 1000
METRICS = ("map", "ndcg@10", "p@10", "recall@100")
GRANULARITIES = ("paragraph", "article")
#: Longest test query (CISI's is 2,047 characters, 344 words) fits under this.
EVAL_MAX_QUERY_CHARS = 5000
#: TIME has no paragraphs: consecutive sentences are grouped into windows of this many.
TIME_SENTENCES_PER_PARAGRAPH = 10


@dataclass
class Document:
    id: str
    title: str
    paragraphs: list[str]


@dataclass
class Collection:
    name: str
    documents: list[Document]
    queries: dict[str, str]
    qrels: dict[str, set[str]] = field(default_factory=dict)

    @property
    def judged(self) -> list[str]:
        """Ids of the queries with at least one relevant document, in query order."""
        return [q for q in self.queries if self.qrels.get(q)]


# --- readers ---------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=\S)")


def sentences(text: str) -> list[str]:
    """Split on sentence-ending punctuation followed by space (TIME writes ``WEEK . THE``)."""
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def sentence_windows(text: str, size: int) -> list[str]:
    """Groups of ``size`` consecutive sentences: the pseudo-paragraphs of a TIME article."""
    sents = sentences(text)
    return [" ".join(sents[i : i + size]) for i in range(0, len(sents), size)]


def time_rel_id(record: int) -> str:
    """TIME.REL id of the ``record``-th (1-based) article of TIME.ALL.

    TIME.REL counts 425 articles; two between ordinals 370 and 378 are missing
    from TIME.ALL, so records after 370 are shifted by two (see the corpora README).
    """
    return str(record if record <= 370 else record + 2)


def read_time(
    folder: Path, sentences_per_paragraph: int = TIME_SENTENCES_PER_PARAGRAPH
) -> Collection:
    """TIME.ALL / TIME.QUE / TIME.REL. Titles are the first text line (section label + headline)."""
    all_text = (folder / "TIME.ALL").read_text(encoding="latin-1")
    documents: list[Document] = []
    for record, chunk in enumerate(re.split(r"^\*TEXT\b[^\n]*\n", all_text, flags=re.M)[1:], 1):
        chunk = re.split(r"^\*STOP\b", chunk, flags=re.M)[0]
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        body = " ".join(lines)
        documents.append(
            Document(time_rel_id(record), lines[0], sentence_windows(body, sentences_per_paragraph))
        )
    queries = _starred((folder / "TIME.QUE").read_text(encoding="latin-1"), r"^\*FIND\s+(\d+)\s*$")
    qrels: dict[str, set[str]] = {}
    for line in (folder / "TIME.REL").read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            qrels.setdefault(str(int(parts[0])), set()).update(str(int(p)) for p in parts[1:])
    return Collection("TIME", documents, queries, qrels)


def _starred(text: str, header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    pieces = re.split(header, re.split(r"^\*STOP\b", text, flags=re.M)[0], flags=re.M)
    for qid, body in zip(pieces[1::2], pieces[2::2], strict=False):
        out[str(int(qid))] = " ".join(body.split())
    return out


def smart_records(text: str) -> list[tuple[str, dict[str, str]]]:
    """SMART tagged records: ``.I id`` then ``.T``/``.W``/``.A``/... fields."""
    records: list[tuple[str, dict[str, str]]] = []
    for chunk in re.split(r"^\.I\s+", text, flags=re.M)[1:]:
        first, _, rest = chunk.partition("\n")
        fields: dict[str, list[str]] = {}
        tag = None
        for line in rest.splitlines():
            m = re.match(r"^\.([A-Z])\s*$", line) or re.match(r"^\.([A-Z])\s", line)
            if m and len(line.split()[0]) == 2:
                tag = m.group(1)
                fields.setdefault(tag, [])
                tail = line[2:].strip()
                if tail:
                    fields[tag].append(tail)
            elif tag is not None:
                fields[tag].append(line)
        records.append((str(int(first.split()[0])), {k: "\n".join(v) for k, v in fields.items()}))
    return records


def _smart_documents(text: str) -> list[Document]:
    """Title from ``.T``; paragraphs: the ``.W`` abstract, then the authors (``.A``)."""
    documents = []
    for did, f in smart_records(text):
        title = " ".join(f.get("T", "").split())
        paragraphs = []
        abstract = " ".join(f.get("W", "").split())
        if abstract:
            paragraphs.append(abstract)
        authors = "; ".join(a.strip() for a in f.get("A", "").splitlines() if a.strip())
        if authors:
            paragraphs.append(authors)
        documents.append(Document(did, title or did, paragraphs))
    return documents


def _smart_queries(text: str) -> dict[str, str]:
    out = {}
    for qid, f in smart_records(text):
        words = " ".join(" ".join(f.get(tag, "").split()) for tag in ("T", "W") if f.get(tag))
        if words and qid != "0":
            out[qid] = words
    return out


def _pair_qrels(text: str) -> dict[str, set[str]]:
    qrels: dict[str, set[str]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            qrels.setdefault(str(int(parts[0])), set()).add(str(int(parts[1])))
    return qrels


def read_cacm(folder: Path) -> Collection:
    """cacm.all / query.text / qrels.text (SMART format)."""
    return Collection(
        "CACM",
        _smart_documents((folder / "cacm.all").read_text(encoding="latin-1")),
        _smart_queries((folder / "query.text").read_text(encoding="latin-1")),
        _pair_qrels((folder / "qrels.text").read_text(encoding="latin-1")),
    )


def read_cisi(folder: Path) -> Collection:
    """CISI.ALL / CISI.QRY / CISI.REL (SMART format)."""
    return Collection(
        "CISI",
        _smart_documents((folder / "CISI.ALL").read_text(encoding="latin-1")),
        _smart_queries((folder / "CISI.QRY").read_text(encoding="latin-1")),
        _pair_qrels((folder / "CISI.REL").read_text(encoding="latin-1")),
    )


READERS = {"TIME.ALL": read_time, "cacm.all": read_cacm, "CISI.ALL": read_cisi}


def read_collection(folder: Path | str) -> Collection:
    """Whichever of TIME, CACM or CISI ``folder`` holds (found by its document file)."""
    folder = Path(folder)
    for name, reader in READERS.items():
        if (folder / name).is_file():
            return reader(folder)
    from .errors import BylineError

    raise BylineError(f"{folder} holds no test collection: expected TIME.ALL, cacm.all or CISI.ALL")


# --- metrics (trec_eval's definitions) --------------------------------------

Ranking = Sequence[str]


def average_precision(ranking: Ranking, relevant: set[str]) -> float:
    """trec_eval ``map``: mean over relevant documents of precision at their rank (0 if missed)."""
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranking, 1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def precision_at(ranking: Ranking, relevant: set[str], k: int) -> float:
    """trec_eval ``P_k``: relevant in the top k, divided by k (even if fewer were retrieved)."""
    return sum(1 for doc in ranking[:k] if doc in relevant) / k


def recall_at(ranking: Ranking, relevant: set[str], k: int) -> float:
    """trec_eval ``recall_k``: relevant in the top k over all relevant."""
    if not relevant:
        return 0.0
    return sum(1 for doc in ranking[:k] if doc in relevant) / len(relevant)


def ndcg_at(ranking: Ranking, relevant: set[str], k: int) -> float:
    """trec_eval ``ndcg_cut_k`` with binary gains and a log2(rank + 1) discount."""
    dcg = sum(1 / math.log2(rank + 1) for rank, doc in enumerate(ranking[:k], 1) if doc in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def query_metrics(ranking: Ranking, relevant: set[str]) -> dict[str, float]:
    return {
        "map": average_precision(ranking, relevant),
        "ndcg@10": ndcg_at(ranking, relevant, 10),
        "p@10": precision_at(ranking, relevant, 10),
        "recall@100": recall_at(ranking, relevant, 100),
    }


def mean_metrics(
    run: Mapping[str, Ranking], qrels: Mapping[str, set[str]], queries: Iterable[str] | None = None
) -> dict[str, float]:
    """Metrics averaged over the judged queries (no results scores 0, like ``trec_eval -c``)."""
    ids = [q for q in (queries if queries is not None else qrels) if qrels.get(q)]
    if not ids:
        return {m: 0.0 for m in METRICS}
    per = [query_metrics(run.get(q, ()), qrels[q]) for q in ids]
    return {m: sum(p[m] for p in per) / len(per) for m in METRICS}


# --- running ---------------------------------------------------------------


def query_text(text: str) -> str:
    """A natural-language test query as plain lowercase words (no operators, no syntax)."""
    return " ".join(m.group(0) for m in TOKEN_PATTERN.finditer(text)).lower()


def write_documents(collection: Collection, folder: Path, granularity: str = "paragraph") -> None:
    """One ``<id>.txt`` per document: title line, blank line, blank-line separated paragraphs.

    At ``article`` granularity the whole text is one paragraph.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
    folder.mkdir(parents=True, exist_ok=True)
    for doc in collection.documents:
        paragraphs = doc.paragraphs
        if granularity == "article" and paragraphs:
            paragraphs = [" ".join(paragraphs)]
        text = doc.title + "\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"{doc.id}.txt").write_text(text, encoding="utf-8")


def run_queries(
    engine: Any,
    queries: Mapping[str, str],
    depth: int = DEPTH,
    expand: bool = False,
    mode: str = DEFAULT_MODE,
) -> dict[str, list[tuple[str, float]]]:
    """Each query's articles, best first, through ``engine.search(..., per_article=1)``.

    Snippets are not built (``snippets=False``): they do not change the ranking.
    ``expand`` turns on pseudo-relevance feedback (``search(..., expand=True)``);
    ``mode`` is the search's (words, words and meaning, or meaning).
    """
    run: dict[str, list[tuple[str, float]]] = {}
    for qid, text in queries.items():
        page = engine.search(
            query_text(text),
            per_page=depth,
            per_article=1,
            snippets=False,
            expand=expand,
            mode=mode,
        )
        # Equal scores are ordered by article id (the index's own docnum order depends on
        # how many processes built it), so a run is reproducible to the last digit.
        run[qid] = sorted(
            ((hit.article_id, hit.score) for hit in page.hits), key=lambda pair: (-pair[1], pair[0])
        )
    return run


def trec_run_lines(
    run: Mapping[str, Sequence[tuple[str, float]]], tag: str = "byline"
) -> list[str]:
    """A TREC run file: ``qid Q0 docid rank score tag``."""
    lines = []
    for qid, ranked in run.items():
        for rank, (doc, score) in enumerate(ranked, 1):
            lines.append(f"{qid} Q0 {doc} {rank} {score:.6f} {tag}")
    return lines


@dataclass
class Result:
    collection: str
    granularity: str
    expand: bool
    queries: int
    documents: int
    paragraphs: int
    metrics: dict[str, float]
    seconds: float
    run: dict[str, list[tuple[str, float]]] = field(repr=False, default_factory=dict)
    mode: str = DEFAULT_MODE

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "granularity": self.granularity,
            "expand": self.expand,
            "mode": self.mode,
            "queries": self.queries,
            "documents": self.documents,
            "paragraphs": self.paragraphs,
            "seconds": round(self.seconds, 2),
            **{m: round(v, 4) for m, v in self.metrics.items()},
        }


def evaluate_collection(
    collection: Collection,
    granularity: str = "paragraph",
    config: IndexConfig | None = None,
    depth: int = DEPTH,
    workdir: Path | None = None,
    expand: bool = False,
    mode: str = DEFAULT_MODE,
) -> Result:
    """Index ``collection`` with Byline into a temporary folder, run its judged queries, score them.

    ``config`` supplies ranking settings (its folders are replaced by temporary ones).
    """
    from .engine import SearchEngine

    started = time.perf_counter()
    base = config or IndexConfig()
    with tempfile.TemporaryDirectory(prefix="byline-eval-", dir=workdir) as tmp:
        source, index = Path(tmp) / "source", Path(tmp) / "index"
        write_documents(collection, source, granularity)
        # Only the guards against oversized input are widened: 7 CISI queries are
        # longer than the 1,000 characters a typed query may have. Ranking is untouched.
        cfg = replace(
            base,
            source_dir=source,
            index_dir=index,
            max_per_page=max(base.max_per_page, depth),
            max_query_length=max(base.max_query_length, EVAL_MAX_QUERY_CHARS),
            max_query_terms=max(base.max_query_terms, EVAL_MAX_QUERY_CHARS // 2),
        )
        with SearchEngine(cfg) as engine:
            stats = engine.reindex(full=True)
            queries = {q: collection.queries[q] for q in collection.judged}
            run = run_queries(engine, queries, depth, expand, mode)
    rankings = {q: [doc for doc, _ in ranked] for q, ranked in run.items()}
    return Result(
        collection=collection.name,
        granularity=granularity,
        expand=expand,
        mode=mode,
        queries=len(queries),
        documents=stats.articles,
        paragraphs=stats.paragraphs,
        metrics=mean_metrics(rankings, collection.qrels, queries),
        seconds=time.perf_counter() - started,
        run=run,
    )


def evaluate(
    folder: Path | str,
    granularity: str = "paragraph",
    config: IndexConfig | None = None,
    depth: int = DEPTH,
    expand: bool = False,
    mode: str = DEFAULT_MODE,
) -> Result:
    """Read the collection in ``folder`` and evaluate Byline on it."""
    return evaluate_collection(
        read_collection(folder), granularity, config, depth, expand=expand, mode=mode
    )


# --- known items (a paraphrase set) -------------------------------------------------


@dataclass(frozen=True)
class KnownItem:
    """A query with one right answer: a paragraph (``article``, ``paragraph`` number)."""

    id: str
    query: str
    article: str
    paragraph: int


def read_known_items(path: Path | str) -> list[KnownItem]:
    """A known-item set in JSON Lines (``bench/paraphrase/bbc.jsonl``)."""
    import json

    items = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            items.append(KnownItem(row["id"], row["query"], row["article"], int(row["paragraph"])))
    return items


@dataclass
class KnownItemResult:
    mode: str
    queries: int
    ranks: dict[str, int | None]  # the target's rank (1 = first), None beyond the depth

    def success_at(self, k: int) -> float:
        """Share of queries whose target is in the first ``k`` paragraphs."""
        found = sum(1 for r in self.ranks.values() if r is not None and r <= k)
        return found / self.queries if self.queries else 0.0

    @property
    def mrr(self) -> float:
        """Mean reciprocal rank (0 for a target beyond the depth)."""
        total = sum(1 / r for r in self.ranks.values() if r)
        return total / self.queries if self.queries else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "queries": self.queries,
            "success@1": round(self.success_at(1), 4),
            "success@10": round(self.success_at(10), 4),
            "mrr": round(self.mrr, 4),
        }


def run_known_items(
    engine: Any, items: Sequence[KnownItem], mode: str = DEFAULT_MODE, depth: int = 100
) -> KnownItemResult:
    """Each item's query as typed (paragraphs, not grouped): where its target paragraph ranks."""
    ranks: dict[str, int | None] = {}
    for item in items:
        page = engine.search(item.query, per_page=depth, snippets=False, mode=mode)
        found = [(h.article_id, h.paragraph_no) for h in page.hits]
        target = (item.article, item.paragraph)
        ranks[item.id] = found.index(target) + 1 if target in found else None
    return KnownItemResult(mode, len(items), ranks)


def evaluate_known_items(
    items_file: Path | str,
    folder: Path | str,
    modes: Sequence[str] = (DEFAULT_MODE,),
    config: IndexConfig | None = None,
    workdir: Path | None = None,
) -> list[KnownItemResult]:
    """Index ``folder`` (the set's corpus) into a temporary folder and run the set in each mode."""
    from .engine import SearchEngine

    items = read_known_items(items_file)
    base = config or IndexConfig()
    with tempfile.TemporaryDirectory(prefix="byline-known-", dir=workdir) as tmp:
        cfg = replace(base, source_dir=Path(folder), index_dir=Path(tmp) / "index")
        with SearchEngine(cfg) as engine:
            engine.reindex(full=True)
            return [run_known_items(engine, items, mode) for mode in modes]
