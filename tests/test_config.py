"""Settings are declared once; unknown keys are refused with the list of known ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import ConfigError, IndexConfig


def test_default_folders_are_in_the_working_folder_never_the_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import indexer

    monkeypatch.chdir(tmp_path)
    config = IndexConfig()
    assert config.source_dir == tmp_path / "seeds"
    assert config.index_dir == tmp_path / "var" / "index"
    install = Path(indexer.__file__).resolve().parent.parent
    assert install not in config.index_dir.parents or install == tmp_path
    relative = IndexConfig(index_dir="ix")
    monkeypatch.chdir(tmp_path.parent)
    assert relative.index_dir == tmp_path / "ix"  # fixed when the config was made


def test_environment_then_overrides() -> None:
    env = {
        "BYLINE_INDEX_DIR": "/tmp/x",
        "BYLINE_STEMMER": "porter",
        "BYLINE_MAX_PER_PAGE": "50",
        "BYLINE_HOST": "ignored: not an index setting",
    }
    config = IndexConfig.from_env(env, stemmer="none", source_dir=None)
    assert config.index_dir == Path("/tmp/x")
    assert config.stemmer == "none"
    assert config.max_per_page == 50
    assert config.source_dir == Path.cwd() / "seeds"


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'colour'.*known settings"):
        IndexConfig.from_mapping({"colour": "blue"})


def test_bad_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="max_per_page"):
        IndexConfig.from_mapping({"max_per_page": "lots"})


def test_every_setting_has_help() -> None:
    assert all(help_text for help_text in IndexConfig.settings().values())
