"""Failpoints: a test stops a reindex at a named point; unset, they do nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from indexer import failpoints

from .conftest import ROOT

CHILD = """
import sys
sys.path.insert(0, {root!r})
from indexer import failpoints
for n in range(3):
    print("before", n, flush=True)
    failpoints.reached("reading")
print("after", flush=True)
"""


def run(spec: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != failpoints.ENV}
    if spec:
        env[failpoints.ENV] = spec
    return subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT))],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unset_they_do_nothing() -> None:
    assert run(None).stdout.split("\n")[-2] == "after"
    assert run("manifest").stdout.split("\n")[-2] == "after"  # another point


@pytest.mark.parametrize(
    ("spec", "last"), [("reading", "before 0"), ("reading@3:kill", "before 2")]
)
def test_kill_stops_the_process_at_the_nth_time(spec: str, last: str) -> None:
    done = run(spec)
    assert done.returncode == -9 and done.stdout.strip().split("\n")[-1] == last


def test_pause_says_where_it_waits() -> None:
    env = {**os.environ, failpoints.ENV: "reading@2:pause"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(root=str(ROOT))],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None and child.stdout is not None
    assert child.stderr.readline() == "failpoint reading\n"
    child.kill()
    out, _ = child.communicate(timeout=30)
    assert out.split() == ["before", "0", "before", "1"]


def test_every_point_says_where_it_is() -> None:
    assert all(failpoints.POINTS.values())
