"""Named points where a test can stop a reindex, so crash tests pick the moment, not the clock.

A test sets ``BYLINE_FAILPOINT`` before starting a reindex in a child process:

* ``NAME`` or ``NAME:kill``: the process kills itself with SIGKILL at that point;
* ``NAME:pause``: it prints ``failpoint NAME`` on stderr and waits there, for the
  test to check the index while it holds the lock, then kill it;
* ``NAME@N...``: only the N-th time the point is reached (default: the first).

Unset (always, outside tests), :func:`reached` is one dictionary lookup. Every
point is declared in :data:`POINTS`, and the crash tests kill a reindex at
each of them.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter

ENV = "BYLINE_FAILPOINT"

#: Every failpoint, with where it is.
POINTS: dict[str, str] = {
    "locked": "the reindex lock is held, nothing read yet",
    "reading": "some source files have been read",
    "segment-written": "a writer process has written its segment files (in that process)",
    "segments-written": "every segment of a rebuild is written, none published",
    "commit": "an incremental run is about to write its table of contents",
    "publish": "a rebuild is about to switch CURRENT to the new index",
    "published": "CURRENT names the new index; the manifest and stem table are not written",
    "manifest": "the manifest of source files is about to be written",
}

_counts: Counter[str] = Counter()


def reached(name: str) -> None:
    """Do what ``BYLINE_FAILPOINT`` asks at point ``name`` (nothing when it names another)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    point, _, action = spec.partition(":")
    point, _, nth = point.partition("@")
    if point != name:
        return
    if name not in POINTS:  # pragma: no cover - a typo in a test
        raise ValueError(f"unknown failpoint {name!r}")
    _counts[name] += 1
    if _counts[name] != (int(nth) if nth else 1):
        return
    if action in ("", "kill"):
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "pause":
        sys.stderr.write(f"failpoint {name}\n")
        sys.stderr.flush()
        while True:  # until the test kills this process
            time.sleep(60)
    else:  # pragma: no cover - a typo in a test
        raise ValueError(f"unknown failpoint action {action!r}")
