"""Fixture chain: a seed index built once per session, then engine -> app -> client.

Every index lives under pytest's tmp folders; tests never touch var/ or each other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from indexer import IndexConfig
from indexer.engine import SearchEngine
from indexer.formats import Scan, read_file, walk
from indexer.models import Article, Hit

from .data import XSS_SCRIPT

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CORPORA = ROOT.parent / "shared" / "corpora"
SEED_ID = "000_c9551b90bc92890e"


def write(root: Path, name: str, content: str | bytes) -> Path:
    """Write one test document (text as UTF-8, bytes as they are), creating folders."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def read_folder(root: Path) -> tuple[dict[str, Article], Scan]:
    """Every article under ``root`` as the reindex reads them (in walk order), and the scan."""
    scan = Scan()
    articles: dict[str, Article] = {}
    for path in walk(root, scan):
        for article in read_file(path, root.resolve(), scan):
            articles[article.id] = article
    return articles, scan


def corpora_dir(name: str) -> Path:
    """A folder of ../shared/corpora, or skip the test with a clear reason."""
    path = CORPORA / name
    if not path.is_dir():
        pytest.skip(f"{path} is absent: these tests need the shared evaluation corpora")
    return path


@pytest.fixture(scope="session")
def seed_config(tmp_path_factory: pytest.TempPathFactory) -> IndexConfig:
    """A config whose index of the seed article is built once for the session."""
    base = tmp_path_factory.mktemp("seed-index")
    source = base / "source"
    shutil.copytree(SEEDS, source)
    config = IndexConfig(source_dir=source, index_dir=base / "index")
    with SearchEngine(config) as engine:
        engine.reindex()
    return config


@pytest.fixture()
def engine(seed_config: IndexConfig) -> Iterator[SearchEngine]:
    """A fresh engine on the shared, read-only seed index."""
    with SearchEngine(seed_config) as e:
        yield e


@pytest.fixture()
def make_engine(tmp_path: Path) -> Iterator[object]:
    """Build an engine over documents a test writes: make_engine({"a.txt": "Title\\n\\nBody"})."""
    engines: list[SearchEngine] = []

    def make(files: dict[str, str | bytes], **settings: object) -> SearchEngine:
        source = tmp_path / "source"
        source.mkdir(exist_ok=True)
        for name, content in files.items():
            write(source, name, content)
        config = IndexConfig(source_dir=source, index_dir=tmp_path / "index", **settings)  # type: ignore[arg-type]
        e = SearchEngine(config)
        engines.append(e)
        return e

    yield make
    for e in engines:
        e.close()


def top(engine: SearchEngine, query: str, **kw: Any) -> Hit:
    page = engine.search(query, **kw)
    assert page.hits, f"no hits for {query!r}"
    return page.hits[0]


def texts(engine: SearchEngine, query: str) -> list[str]:
    """The paragraphs the query's words match (search by meaning would add related ones)."""
    return [h.text for h in engine.search(query, per_page=100, mode="lexical").hits]


def dated_news_engine(make_engine: Any) -> SearchEngine:
    """Five dated articles from three sources, two of them copies of one wire story."""

    def story(title: str, date: str, source: str, section: str, body: str, places: str = "") -> str:
        return f"---\ntitle: {title}\ndate: {date}\nsource: {source}\nsection: {section}\n---\n{body}\n"

    wire = "Crude oil prices jumped on Monday after the pipeline shut, traders in London said."
    e = make_engine(
        {
            "a.md": story("Oil jumps", "2022-01-03", "Reuters", "business", wire),
            "b.md": story("Oil jumps again", "2022-01-03", "CBC", "business", wire),
            "c.md": story(
                "Oil slides",
                "2022-02-14",
                "CBC",
                "business",
                "Oil prices fell as the pipeline reopened and supply returned.",
            ),
            "d.md": story(
                "Cup final",
                "2021-06-20",
                "BBC",
                "sport",
                "The final was played in heavy rain; oil on the pitch.",
            ),
            "e.md": story("Undated oil", "", "BBC", "tech", "Oil-based plastics in phones."),
        }
    )
    e.reindex()
    return e


# -- a reindex in another process, stopped at a named failpoint (indexer/failpoints.py) ----------

REINDEX_CHILD = """
import sys
sys.path.insert(0, {root!r})
from indexer import IndexConfig
from indexer.engine import SearchEngine
config = IndexConfig(source_dir=sys.argv[1], index_dir=sys.argv[2], writer_procs=int(sys.argv[4]))
SearchEngine(config).reindex(full=sys.argv[3] == "full")
print("done", flush=True)
"""


def reindex_child(
    config: IndexConfig, full: bool, failpoint: str | None, writer_procs: int = 1
) -> subprocess.Popen[str]:
    """Start ``reindex`` of ``config`` in a child process with ``BYLINE_FAILPOINT=failpoint``.

    Its stdout says "done" when it finished; with a ``:pause`` failpoint its
    stderr's first line is ``failpoint NAME`` once it is waiting there.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_")}
    if failpoint:
        env["BYLINE_FAILPOINT"] = failpoint
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            REINDEX_CHILD.format(root=str(ROOT)),
            str(config.source_dir),
            str(config.index_dir),
            "full" if full else "incremental",
            str(writer_procs),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


# -- web UI: app -> client, and a real waitress server on a free loopback port ----------


@pytest.fixture()
def app(seed_config: IndexConfig) -> Iterator[object]:
    """The web app on the shared seed index (TESTING, never debug)."""
    from webui import create_app

    application = create_app({"TESTING": True, "BYLINE": seed_config})
    yield application
    application.extensions["byline"].close()


@pytest.fixture()
def client(app: object) -> object:
    return app.test_client()  # type: ignore[attr-defined]


@pytest.fixture()
def serve_app() -> Iterator[object]:
    """Serve apps with waitress in threads on free 127.0.0.1 ports: ``url = serve_app(app)``."""
    import threading

    import waitress
    from waitress import wasyncore

    running: list[tuple[object, threading.Thread]] = []
    stopping = threading.Event()

    def start(application: object, threads: int = 4) -> str:
        server = waitress.create_server(application, host="127.0.0.1", port=0, threads=threads)

        def run() -> None:
            try:
                server.run()  # type: ignore[union-attr]
            except (OSError, ValueError):
                # Closing the sockets below can wake select() on a closed
                # descriptor; only an error while serving is a failure.
                if not stopping.is_set():
                    raise

        thread = threading.Thread(target=run, name="waitress", daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]

    yield start
    stopping.set()
    for server, thread in running:
        server.task_dispatcher.shutdown()  # type: ignore[attr-defined]
        wasyncore.close_all(server._map)  # type: ignore[attr-defined]
        thread.join(10)


@pytest.fixture()
def live_server(app: object, serve_app: object) -> str:
    """The seed app served by waitress; the value is its base URL."""
    return serve_app(app)  # type: ignore[operator, no-any-return]


def make_app(engine: Any, **config: Any) -> Any:
    """The web app around an existing engine (TESTING, never debug)."""
    from webui import create_app

    return create_app({"TESTING": True, "BYLINE_ENGINE": engine, **config})


def text(response: Any) -> str:
    return response.get_data(as_text=True)  # type: ignore[no-any-return]


class _Elements(HTMLParser):
    """Every start tag and its attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(html: str) -> None:
    """No injected element, event handler, inline script or javascript: link."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag != "img", attrs
        if tag == "script":
            assert dict(attrs).get("src") == "/static/byline.js", attrs
        for name, value in attrs:
            assert not name.startswith("on"), (tag, attrs)
            if name in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith("javascript:"), (tag, attrs)
    assert XSS_SCRIPT not in html


# -- a real headless Chromium, driven by Playwright ------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
#: Screenshots go to a temporary folder, or to BYLINE_SCREENSHOTS:
#: ``BYLINE_SCREENSHOTS=docs/screenshots pytest -m browser`` refreshes the committed ones.
SHOTS = Path(
    os.environ.get("BYLINE_SCREENSHOTS") or Path(tempfile.gettempdir()) / "byline-screenshots"
)
SHOTS.mkdir(parents=True, exist_ok=True)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: ``pytestmark = BROWSER`` in a module of browser tests.
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: `apt-get install -y chromium` to run browser tests",
    ),
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 850})
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    yield pg
    context.close()
    assert not dialogs, f"a dialog opened: {dialogs}"
