"""Bad files, hostile queries, crashes and a full disk: nothing is lost, nothing raises wildly."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import IndexConfig, QueryError
from indexer.engine import SearchEngine

from .conftest import ROOT, reindex_child
from .data import write_edition


def test_a_folder_of_bad_files_indexes_what_it_can(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text("Good\n\nA normal paragraph about tankers.\n")
    (src / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (src / "nul.md").write_bytes(b"Title\n\nText with a \x00 NUL byte")
    (src / "invalid-utf8.txt").write_bytes(
        b"Caf\xe9 prices\n\nThe caf\xe9 raised prices \x81 again."
    )
    (src / "control.txt").write_text(
        "Wire\x02 copy\n\nBody\x05 with\x1f control\x7f codes about tankers.\x03"
    )
    (src / "empty.txt").write_bytes(b"")
    with open(src / "huge.txt", "wb") as fh:  # 50 MB: over the default 32 MB limit
        fh.write(b"Huge\n\n" + b"word " * (10 * 2**20))
    (src / "long-paragraph.txt").write_text("Long\n\n" + ("tanker " * 142_858)[:1_000_000])
    deep = src.joinpath(*[f"d{n}" for n in range(60)])
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("Deep\n\nFound at the bottom about tankers.\n")
    (src / "with space é.txt").write_text(
        "Ünïcode name\n\nA file name with spaces about tankers.\n"
    )
    (src / "loop").symlink_to(src, target_is_directory=True)
    (src / "vanishes.txt").write_text("Vanishes\n\ngone")
    (src / "locked.txt").write_text("Locked\n\nno access")
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "vanishes.txt":
            raise FileNotFoundError(2, "gone")
        if self.name == "locked.txt":
            raise PermissionError(13, "denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    engine = SearchEngine(IndexConfig(source_dir=src, index_dir=tmp_path / "ix"))
    stats = engine.reindex()
    reasons = {s.path: s.reason for s in stats.skipped}
    assert set(reasons) == {
        "binary.txt",
        "nul.md",
        "empty.txt",
        "huge.txt",
        "loop",
        "vanishes.txt",
        "locked.txt",
    }
    assert "too large (50 MB" in reasons["huge.txt"]
    indexed = {
        h.article_id
        for h in engine.search("tankers OR tanker OR prices", per_page=100, per_article=1).hits
    }
    assert indexed == {
        "good",
        "control",
        "long-paragraph",
        "/".join(f"d{n}" for n in range(60)) + "/deep",
        "with space é",
        "invalid-utf8",
    }
    long_article = engine.article("long-paragraph")
    assert long_article is not None
    pieces = long_article.paragraphs[1:]  # cut at spaces into pieces of at most 10,000 characters
    assert 100 <= len(pieces) <= 102 and max(len(p.text) for p in pieces) <= 10_000
    assert sum(len(p.text) for p in pieces) >= 1_000_000 - len(pieces)
    assert {s.path for s in engine.stats().skipped} == set(reasons)
    engine.close()


QUERY_PIECES = st.sampled_from(
    [
        '"',
        "(",
        ")",
        "*",
        "?",
        "~",
        "~2",
        ":",
        "-",
        "+",
        "^",
        "AND",
        "OR",
        "NOT",
        "ANDNOT",
        "title:",
        "text:",
        "date:",
        "[",
        "]",
        "TO",
        "{",
        "}",
        "\\",
        "'",
        "fuel",
        "prices",
        "kazakh",
        "a",
        " ",
        "  ",
        "\u00a0",
        "\u202e",
        "\x00",
    ]
)
QUERIES = st.one_of(
    st.text(max_size=60),
    st.lists(QUERY_PIECES, max_size=25).map("".join),
    st.lists(st.one_of(QUERY_PIECES, st.text(max_size=5)), max_size=15).map(" ".join),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=QUERIES)
def test_lenient_search_never_raises(engine: SearchEngine, query: str) -> None:
    page = engine.search(query)
    assert page.total >= 0 and len(page.hits) <= page.per_page


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=QUERIES)
def test_strict_search_raises_only_query_error(engine: SearchEngine, query: str) -> None:
    try:
        engine.search(query, strict=True)
    except QueryError as exc:
        assert str(exc)  # always says something


HOSTILE = [
    "*",
    "a*",
    "?*?",
    "*a*",
    " OR ".join(f"w{n}" for n in range(150)),
    "(" * 19 + "fuel" + ")" * 19,
    "(" * 200 + "fuel" + ")" * 200,
    " ".join(["fuel"] * 1000),
    "a~",
    "ab~2",
    "kazakstan~9",
    'title:"' + "a " * 300 + '"',
    "x" * 5000,
]


@pytest.mark.parametrize("query", HOSTILE, ids=lambda q: q[:20])
def test_expensive_query_shapes_are_bounded(engine: SearchEngine, query: str) -> None:
    started = time.perf_counter()
    page = engine.search(query, page=100_000)
    assert (
        time.perf_counter() - started < 10
    )  # a hang guard, not a speed goal (see docs/RELIABILITY.md)
    assert page.page <= 1000


def editions(engine: SearchEngine) -> set[str]:
    return {h.text.split()[0] for h in engine.search("cargo", per_page=100).hits}


#: The failpoints each kind of run passes through (the rest it never reaches).
FULL_POINTS = (
    "locked",
    "reading",
    "segment-written",
    "segments-written",
    "publish",
    "published",
    "manifest",
)
INCREMENTAL_POINTS = ("locked", "reading", "segment-written", "commit", "manifest")


def test_every_failpoint_is_exercised() -> None:
    from indexer.failpoints import POINTS

    assert set(FULL_POINTS) | set(INCREMENTAL_POINTS) == set(POINTS)


@pytest.mark.parametrize(
    ("full", "point"), [(True, p) for p in FULL_POINTS] + [(False, p) for p in INCREMENTAL_POINTS]
)
def test_a_reindex_killed_at_any_point_leaves_one_whole_index(
    tmp_path: Path, full: bool, point: str
) -> None:
    """Killed (SIGKILL, by itself, at a named point): the index opens and holds one whole edition."""
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_edition(src, 0, n=60)
    engine = SearchEngine(IndexConfig(source_dir=src, index_dir=ix))
    engine.reindex()
    write_edition(src, 1, n=61)
    child = reindex_child(engine.config, full, point)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL and "done" not in out  # it died there
    found = editions(engine)
    assert len(found) == 1, found  # never a mix of the two
    if point in ("locked", "reading", "segment-written", "segments-written", "commit", "publish"):
        assert found == {"Edition0"} and engine.search("cargo").total == 60
    stats = engine.reindex()  # no stale lock, no manual cleanup
    assert stats.articles == 61 and editions(engine) == {"Edition1"}
    engine.close()


@pytest.mark.slow
def test_random_sigkills_never_damage_the_index(tmp_path: Path) -> None:
    """Reindexes killed at random moments: extra coverage around the named failpoints.

    How many die before finishing depends on the machine's speed, so only the
    index is checked, never the count.
    """
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_edition(src, 0)
    engine = SearchEngine(IndexConfig(source_dir=src, index_dir=ix))
    engine.reindex()
    rng = random.Random(20261125)
    version = 0
    for trial in range(12):
        version += 1
        write_edition(src, version, n=150 + trial)
        child = reindex_child(engine.config, bool(trial % 2), None)
        time.sleep(rng.uniform(0.0, 1.0))
        child.kill()
        child.communicate(timeout=30)
        # Whatever moment it died at, the index opens and holds one whole edition.
        assert len(editions(engine)) == 1
        assert engine.search("cargo").total >= 150
    stats = engine.reindex()
    assert stats.articles == 150 + 11
    assert editions(engine) == {f"Edition{version}"}
    engine.close()


FULL_DISK = """
import resource, signal, sys
sys.path.insert(0, {root!r})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from indexer import IndexConfig, BylineError
from indexer.engine import SearchEngine
engine = SearchEngine(IndexConfig(source_dir=sys.argv[1], index_dir=sys.argv[2]))
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))  # every file the index writes is capped
try:
    engine.reindex(full=True)
except BylineError as exc:
    print("error:", exc)
    sys.exit(1)
"""


def test_a_full_disk_is_a_clear_error_and_the_old_index_survives(tmp_path: Path) -> None:
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_edition(src, 0, n=40)
    engine = SearchEngine(IndexConfig(source_dir=src, index_dir=ix))
    engine.reindex()
    before = engine.search("cargo", per_page=100).hits
    write_edition(src, 1, n=400)
    run = subprocess.run(
        [sys.executable, "-c", FULL_DISK.format(root=str(ROOT)), str(src), str(ix)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert "could not write the index" in run.stdout and "previous index is unchanged" in run.stdout
    assert "Traceback" not in run.stderr
    assert engine.search("cargo", per_page=100).hits == before
    assert engine.reindex().articles == 400  # and with room again, the next run works
    engine.close()


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_killing_a_parallel_rebuild_kills_its_workers_and_keeps_the_index(tmp_path: Path) -> None:
    """A full rebuild forks one writer per core; killed while they work, no worker may live on."""
    from indexer.writers import PARALLEL_MIN_BYTES

    src, ix = tmp_path / "src", tmp_path / "ix"
    n = 600  # of about 5 KB each: enough bytes to fork the writers
    write_edition(src, 0, n=n, filler=700)
    assert sum(p.stat().st_size for p in src.rglob("*.txt")) > PARALLEL_MIN_BYTES
    engine = SearchEngine(IndexConfig(source_dir=src, index_dir=ix, writer_procs=2))
    engine.reindex()
    write_edition(src, 1, n=n, filler=700)
    # Each writer stops after writing its segment: alive, holding files, until killed.
    child = reindex_child(engine.config, True, "segment-written:pause", writer_procs=2)
    assert child.stderr is not None
    with child.stderr:
        assert child.stderr.readline().startswith("failpoint segment-written")
        workers = _children(child.pid)
        assert workers, "the rebuild did not fork its writers"
        child.kill()
    child.communicate(timeout=30)
    # The kernel kills them with their parent (PR_SET_PDEATHSIG); paused, they
    # would otherwise live forever, so any bound on the wait proves it.
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{w}").exists() and "Z" not in _state(w) for w in workers):
        assert time.monotonic() < deadline, "a writer outlived the killed rebuild"
        time.sleep(0.05)
    assert editions(engine) == {"Edition0"}
    assert engine.reindex(full=True).articles == n  # no lock left, leftovers cleaned
    assert editions(engine) == {"Edition1"}
    engine.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
