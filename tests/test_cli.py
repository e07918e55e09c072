"""manage.py: every command, JSON output, and errors as one line without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import IndexConfig
from manage import cli

from .conftest import ROOT, SEED_ID


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def locate(config: IndexConfig) -> list[str]:
    return ["--source", str(config.source_dir), "--index", str(config.index_dir)]


def test_search_json_has_the_documented_shape(runner: CliRunner, seed_config: IndexConfig) -> None:
    result = runner.invoke(
        cli, ["search", "fuel prices", "--json", "--limit", "3", *locate(seed_config)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"query", "total", "page", "pages", "corrected_query", "notice", "hits"} <= set(data)
    assert data["query"] == "fuel prices" and len(data["hits"]) == 3
    hit = data["hits"][0]
    assert {
        "article_id",
        "title",
        "paragraph_no",
        "kind",
        "heading",
        "score",
        "text",
        "snippet_html",
    } <= set(hit)
    assert hit["article_id"] == SEED_ID and hit["kind"] == "body"


def test_search_text_output(runner: CliRunner, seed_config: IndexConfig) -> None:
    result = runner.invoke(cli, ["search", "kazakstan", "--per-article", *locate(seed_config)])
    assert result.exit_code == 0
    assert "did you mean: kazakhstan" in result.output


def test_reindex_and_stats(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_text("Title\n\nBody about oil.\n")
    (source / "b.txt").write_bytes(b"\x00binary")
    args = ["--source", str(source), "--index", str(tmp_path / "ix")]
    result = runner.invoke(cli, ["reindex", *args])
    assert result.exit_code == 0, result.output
    assert "1 articles, 2 paragraphs" in result.output
    assert "skipped b.txt: binary file" in result.output
    stats = json.loads(runner.invoke(cli, ["stats", "--json", *args]).output)
    assert stats["articles"] == 1 and stats["skipped"][0]["path"] == "b.txt"


def test_environment_variables_choose_the_folders(
    runner: CliRunner, seed_config: IndexConfig
) -> None:
    env = {
        "BYLINE_SOURCE_DIR": str(seed_config.source_dir),
        "BYLINE_INDEX_DIR": str(seed_config.index_dir),
    }
    result = runner.invoke(cli, ["stats", "--json"], env=env)
    assert json.loads(result.output)["articles"] == 1


@pytest.mark.parametrize("command", ["reindex", "search", "stats", "export", "related", "serve"])
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], capture_output=True, text=True, timeout=60
    )


def test_errors_are_one_line_without_a_traceback(tmp_path: Path) -> None:
    missing = run("search", "fuel", "--index", str(tmp_path / "nothing"))
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0
    assert "Traceback" not in missing.stderr
    assert "no index in" in missing.stderr and "manage.py reindex" in missing.stderr


def test_strict_query_error_is_one_line(seed_config: IndexConfig) -> None:
    bad = run("search", '"open', "--strict", *locate(seed_config))
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: unbalanced quote") and "Traceback" not in bad.stderr


def test_importing_the_library_does_not_import_flask_or_whoosh() -> None:
    code = "import sys, indexer; print('flask' in sys.modules, 'whoosh' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.split() == ["False", "False"]


def test_search_filters_sort_and_facets(runner: CliRunner, seed_config: IndexConfig) -> None:
    args = [
        "search",
        "protesters",
        "--json",
        "--facets",
        "--sort",
        "newest",
        "-f",
        "date=2022",
        *locate(seed_config),
    ]
    data = json.loads(runner.invoke(cli, args).output)
    assert data["filters"] == {"date": "2022"} and data["sort"] == "newest"
    assert data["total"] == 0  # the seed article has no date
    bad = runner.invoke(cli, ["search", "x", "-f", "colour=red", *locate(seed_config)])
    assert bad.exit_code == 2 and "NAME=VALUE" in bad.output


def test_export_and_related(runner: CliRunner, seed_config: IndexConfig) -> None:
    out = runner.invoke(cli, ["export", "fuel prices", "--limit", "3", *locate(seed_config)])
    assert out.exit_code == 0
    lines = out.output.splitlines()
    assert lines[0] == "# query: fuel prices" and lines[1].startswith("# exported: ")
    header = next(n for n, line in enumerate(lines) if line.startswith("rank,article_id"))
    assert len(lines) == header + 1 + 3
    related = runner.invoke(cli, ["related", SEED_ID, "--json", *locate(seed_config)])
    assert related.exit_code == 0 and json.loads(related.output) == []  # nothing else in the seeds


def test_distills_options_default_to_the_distillers_own_settings() -> None:
    """The CLI keeps indexer.distill unimported until the command runs (its defaults are
    literals there): they must stay the distiller's."""
    from indexer import distill

    params = {p.name: p.default for p in cli.commands["distill"].params}
    assert params["words"] == distill.VOCABULARY
    assert params["fit_paragraphs"] == distill.FIT_PARAGRAPHS


def test_distill_refuses_a_fitting_corpus_without_paragraphs(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Checked before the model runs (minutes), and nothing is written."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "short.txt").write_text("A headline\n\nToo short to fit.\n", encoding="utf-8")
    out = tmp_path / "table.npz"
    result = runner.invoke(cli, ["distill", "--out", str(out), "--fit-corpus", str(corpus)])
    assert result.exit_code == 1, result.output
    assert "no paragraph of at least 8 words" in result.output and "Traceback" not in result.output
    assert not out.exists()
