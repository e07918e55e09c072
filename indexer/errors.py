"""The few errors Byline raises; each message tells the user what to do next."""

from __future__ import annotations


class BylineError(Exception):
    """Base class: catch this to handle every Byline failure in one place."""


class IndexMissing(BylineError):
    """There is no usable index at the configured folder."""


class IndexLocked(BylineError):
    """Another reindex holds the index's write lock."""


class IndexCorrupt(BylineError):
    """The index exists but cannot be read; a full rebuild repairs it."""


class QueryError(BylineError):
    """The query cannot be parsed or is too expensive to run."""


class DocumentError(BylineError):
    """A source file cannot be read: a reader raises it; reindex skips the file and reports why."""


class ConfigError(BylineError):
    """A setting is unknown or has an invalid value."""


class ClusterError(BylineError):
    """The configured cluster cannot be reached, or cannot run what was asked."""
