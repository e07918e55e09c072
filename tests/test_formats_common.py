"""What every reader shares: decoding, dates, metadata values, content hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.formats.common import parse_date

from .conftest import read_folder, write


def test_unparseable_date_is_a_warning_and_the_article_is_indexed(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: Undated\ndate: sometime last spring\n---\nBody text.")
    write(tmp_path, "b.json", json.dumps({"title": "J", "body": "B", "date": "the 40th of Never"}))
    articles, scan = read_folder(tmp_path)
    assert articles["a"].date is None and articles["b"].date is None
    assert scan.skipped == []
    reasons = {w.path: w.reason for w in scan.warnings}
    assert reasons["a.md"].startswith("unparseable date 'sometime last spring'")
    assert reasons["b.json"].startswith("unparseable date 'the 40th of Never'")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Thu, 06 Jan 2022 14:32:00 +0000", "2022-01-06"),
        ("Thursday, January 6, 2022", "2022-01-06"),
        ("2022/01/06", "2022-01-06"),
        ("20220106", "2022-01-06"),
        ("6th January 2022", "2022-01-06"),
        ("Jan. 6, 2022", "2022-01-06"),
    ],
)
def test_lenient_dates(tmp_path: Path, value: str, expected: str) -> None:
    write(tmp_path, "a.md", f"---\ntitle: T\ndate: {value}\n---\nBody")
    articles, scan = read_folder(tmp_path)
    assert articles["a"].date == expected and scan.warnings == []


def test_latin1_falls_back_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "pound.txt", "Prices\n\nIt cost \xa315.8m.".encode("latin-1"))
    articles, scan = read_folder(tmp_path)
    assert "\u00a315.8m" in articles["pound"].body
    assert scan.warnings and "not UTF-8" in scan.warnings[0].reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-01-06", "2022-01-06"),
        ("2022-01-06T10:00:00Z", "2022-01-06"),
        (" 26-FEB-1987 15:01:01.79", "1987-02-26"),
        ("January 6, 2022", "2022-01-06"),
        ("6 Jan 2022", "2022-01-06"),
        ("2022-13-45", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_date(value: object, expected: str | None) -> None:
    assert parse_date(value) == expected
