"""Settings are declared once; unknown keys are refused with the list of known ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import ConfigError, IndexConfig
from indexer.config import PROJECT_DIR


def test_defaults_do_not_depend_on_the_working_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    config = IndexConfig()
    assert config.source_dir == PROJECT_DIR / "seeds"
    assert config.index_dir == PROJECT_DIR / "var" / "index"


def test_environment_then_overrides() -> None:
    env = {"BYLINE_INDEX_DIR": "/tmp/x", "BYLINE_STEMMER": "porter", "BYLINE_MAX_PER_PAGE": "50",
           "BYLINE_HOST": "ignored: not an index setting"}
    config = IndexConfig.from_env(env, stemmer="none", source_dir=None)
    assert config.index_dir == Path("/tmp/x")
    assert config.stemmer == "none"
    assert config.max_per_page == 50
    assert config.source_dir == PROJECT_DIR / "seeds"


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'colour'.*known settings"):
        IndexConfig.from_mapping({"colour": "blue"})


def test_bad_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="max_per_page"):
        IndexConfig.from_mapping({"max_per_page": "lots"})


def test_every_setting_has_help() -> None:
    assert all(help_text for help_text in IndexConfig.settings().values())
