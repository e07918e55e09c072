"""Installed from a wheel (not ``-e``), ``byline`` works from any folder and writes only there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SEEDS

#: What the wheel is built from (copied, so building writes nothing into the repository).
PACKAGING = ("pyproject.toml", "README.md", "manage.py", "indexer", "webui")


def files_under(folder: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in folder.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_a_wheel_install_reindexes_and_searches_from_another_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in PACKAGING:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, project / name)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(project), "-w", str(wheels)],
        check=True,
        capture_output=True,
        timeout=300,
        cwd=tmp_path,
    )
    [wheel] = wheels.glob("byline-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    installed = files_under(site)
    work = tmp_path / "work"
    news = tmp_path / "news"
    shutil.copytree(SEEDS, news)
    work.mkdir()
    # The installed package comes first on the path: this repository's editable install is shadowed.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_")}
    env["PYTHONPATH"] = str(site)
    byline = [sys.executable, str(site / "bin" / "byline")]

    def run(*args: str) -> str:
        done = subprocess.run(
            [*byline, *args], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "1 articles, 56 paragraphs" in run("reindex", "--source", str(news))
    assert "paragraphs in 1 articles" in run("search", "fuel prices")
    # the vector table ships in the wheel: search by meaning works offline
    assert "related" not in run("search", "rebellion", "--mode", "lexical")
    meaning = run("search", "rebellion", "--mode", "semantic", "--per-article")
    assert "1 paragraphs in 1 articles" in meaning and "related in meaning" in meaning
    assert (work / "var" / "index" / "CURRENT").exists()  # the working folder's var/index
    where = subprocess.run(
        [sys.executable, "-c", "import indexer; print(indexer.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(site)
    assert files_under(site).keys() - installed.keys() <= {
        p for p in files_under(site) if "__pycache__" in p
    }, "the install location was written to"
    assert not (site / "var").exists() and not (site / "seeds").exists()
