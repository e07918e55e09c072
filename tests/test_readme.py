"""The README's library example runs, as written, against a copy of the seeds."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT, SEEDS


def readme_python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_readme_library_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    [example] = readme_python_blocks()
    assert len(example.strip().splitlines()) <= 12
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "paragraphs in 1 articles" in out
    assert "<mark>fuel</mark>" in out
    assert (tmp_path / "var" / "index" / "CURRENT").exists()


def test_readme_commands_match_ci() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    test_command = next(b.strip() for b in blocks if "pytest" in b)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert any("manage.py serve" in b for b in blocks)


def test_the_docs_name_every_registered_filter_sort_and_format() -> None:
    from indexer.filters import PUBLIC_FILTERS
    from indexer.formats import FORMATS
    from indexer.request import MODES, SORTS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    formats_doc = (ROOT / "docs" / "FORMATS.md").read_text(encoding="utf-8")
    for f in PUBLIC_FILTERS:
        assert f"`{f.name}:" in readme, f"README's query syntax lacks the {f.name} filter"
    for s in SORTS:
        assert s.name in readme, f"README lacks the {s.name} sort"
    for m in MODES:
        assert f'mode="{m.name}"' in readme, f"README lacks the {m.name} mode"
    for fmt in FORMATS:
        for suffix in fmt.suffixes:
            assert f"`{suffix}`" in readme or f"{suffix}`" in readme, suffix
            assert suffix in formats_doc, f"docs/FORMATS.md lacks {suffix}"
