"""Data flows one way: files -> formats -> paragraphs -> analysis -> index -> search -> models -> UIs.

Every module of ``indexer`` has a layer; a module may import modules of its
own layer or below, never above (imports inside functions count too). The
web UI talks to the library's public modules only and never to Whoosh; the
library never imports Flask.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

#: Lower layers first. A module imports only from its own layer or below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "config", "models", "failpoints", "filters", "request", "text"),  # plain data
    ("formats",),  # files -> Article
    ("paragraphs",),  # Article -> Paragraphs
    ("analysis",),  # text -> terms
    ("semantic",),  # terms -> vectors
    ("query_model",),  # a query -> the transformer's vector (the semantic extra)
    (
        "schema",
        "whoosh_internals",
        "duplicates",
        "sidecar",
    ),  # a paragraph in the index; file formats
    ("storage", "columns", "postings", "segment_writer", "writers"),  # index files: write, read
    ("build",),  # reindex
    (
        "scoring",
        "stats",
        "matching",
        "parsing",
        "topk",
        "highlighting",
        "facets",
        "feedback",
        "export",
        "feeds",
        "suggest",
    ),
    ("shards",),  # one shard's part of a search
    ("search",),  # a request -> a page, over shards
    ("trends",),  # queries -> matching articles per period, over shards
    ("cluster",),  # shards on Ray actors (imported only when a cluster is configured)
    ("engine",),  # the one entry point
    ("evaluation", "distill"),  # relevance measured through the engine; the vector table made
)
LAYER = {name: n for n, names in enumerate(LAYERS) for name in names}
#: The writing side: never the query side, whatever the layers say.
WRITING = {"formats", "paragraphs", "duplicates", "segment_writer", "build"}
QUERYING = {
    "parsing",
    "matching",
    "stats",
    "topk",
    "shards",
    "scoring",
    "search",
    "trends",
    "highlighting",
    "facets",
    "feedback",
    "export",
    "feeds",
    "suggest",
    "query_model",
}
#: What webui may import from the library.
WEBUI_ALLOWED = {
    "indexer",
    "config",
    "errors",
    "models",
    "filters",
    "request",
    "engine",
    "feeds",
    "export",
}
WEB_FRAMEWORKS = {"flask", "werkzeug", "jinja2", "waitress", "click"}


def modules(package: str) -> dict[str, Path]:
    """Dotted name -> file, for every module of a package."""
    root = ROOT / package
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(path: Path, name: str) -> set[str]:
    """Every module ``path`` imports (absolute dotted names), at any depth of the code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def indexer_part(module: str) -> str | None:
    """``indexer.formats.html`` -> ``formats``; None outside the library."""
    parts = module.split(".")
    if parts[0] != "indexer":
        return None
    return parts[1] if len(parts) > 1 else "indexer"


LIBRARY = modules("indexer")


def test_every_library_module_has_a_layer() -> None:
    parts = {indexer_part(name) for name in LIBRARY} - {"indexer"}
    assert parts <= set(LAYER), f"give these modules a layer: {sorted(parts - set(LAYER))}"


@pytest.mark.parametrize("name", sorted(LIBRARY), ids=str)
def test_library_modules_import_only_downstream(name: str) -> None:
    own = indexer_part(name)
    found = imports(LIBRARY[name], name)
    assert not {m.split(".")[0] for m in found} & WEB_FRAMEWORKS, "indexer never imports Flask"
    if own == "indexer":  # the package itself re-exports the public API
        return
    assert own is not None
    for module in found:
        part = indexer_part(module)
        if part is None or part == "indexer" or part not in LAYER:
            continue
        assert LAYER[part] <= LAYER[own], f"{name} imports {module}, which is further downstream"
        if own in WRITING:
            assert part not in QUERYING, f"{name} (writing) imports {module} (querying)"


@pytest.mark.parametrize("name", sorted(modules("webui")), ids=str)
def test_webui_uses_the_public_library_and_never_whoosh(name: str) -> None:
    found = imports(modules("webui")[name], name)
    assert not any(m.split(".")[0] == "whoosh" for m in found), f"{name} imports whoosh"
    library = {indexer_part(m) for m in found} - {None}
    assert library <= WEBUI_ALLOWED, f"{name} reaches into {sorted(library - WEBUI_ALLOWED)}"


def test_the_check_catches_an_upstream_import(tmp_path: Path) -> None:
    bad = tmp_path / "formats.py"
    bad.write_text("from .search import run\n\ndef f():\n    from indexer import engine\n")
    found = imports(bad, "indexer.formats")
    assert {"indexer.search", "indexer.engine"} <= found
    assert LAYER["search"] > LAYER["formats"] and LAYER["engine"] > LAYER["formats"]
