"""JSON and JSON Lines records: fields, ids, and bad lines skipped."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import read_folder, write


def test_json_and_jsonl_records(tmp_path: Path) -> None:
    write(
        tmp_path,
        "one.json",
        json.dumps(
            {
                "id": "cbc-1",
                "title": "T1",
                "body": "B1",
                "date": "2022-01-06T10:00:00Z",
                "source": "CBC",
                "url": "https://example.org/1",
                "author": "A. Writer",
            }
        ),
    )
    write(
        tmp_path,
        "many.jsonl",
        "\n".join(
            [
                json.dumps({"title": "T2", "text": "B2"}),
                "not json at all",
                json.dumps({"id": 7, "title": "T3", "body": "B3"}),
                json.dumps(["no", "record"]),
            ]
        ),
    )
    by_id, _ = read_folder(tmp_path)
    assert set(by_id) == {"cbc-1", "many#1", "7"}
    one = by_id["cbc-1"]
    assert (one.date, one.source, one.url, one.author) == (
        "2022-01-06",
        "CBC",
        "https://example.org/1",
        "A. Writer",
    )
    assert by_id["many#1"].body == "B2"


def test_json_tags_and_section(tmp_path: Path) -> None:
    write(
        tmp_path,
        "export.json",
        json.dumps(
            [
                {
                    "id": "a",
                    "title": "A",
                    "body": "x",
                    "tags": ["oil", " prices ", "oil", 3],
                    "section": "Business",
                },
                {
                    "id": "b",
                    "title": "B",
                    "body": "y",
                    "tags": "oil, prices;energy",
                    "section": None,
                },
                {
                    "id": "c",
                    "title": "C",
                    "body": "z",
                    "tags": None,
                    "places": ["canada"],
                    "topics": "crude",
                },
            ]
        ),
    )
    write(
        tmp_path,
        "feed.jsonl",
        json.dumps({"title": "D", "text": "w", "tags": "", "author": ["X", "Y"]}) + "\n",
    )
    articles, scan = read_folder(tmp_path)
    assert (articles["a"].tags, articles["a"].section) == (("oil", "prices", "3"), "Business")
    assert (articles["b"].tags, articles["b"].section) == (("oil", "prices", "energy"), None)
    assert (articles["c"].tags, articles["c"].places, articles["c"].topics) == (
        (),
        ("canada",),
        ("crude",),
    )
    assert (articles["feed#1"].tags, articles["feed#1"].author) == ((), "X, Y")
    assert scan.skipped == []
