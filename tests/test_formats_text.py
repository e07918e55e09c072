"""Text and Markdown files: front matter, titles, folders as sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.formats import Scan, read_file
from indexer.formats.text import front_matter

from .conftest import corpora_dir, read_folder, write


@pytest.mark.parametrize(
    ("block", "tags"),
    [
        ("tags: [energy, 'oil, gas', \"prices\"]", ("energy", "oil, gas", "prices")),
        ("tags: energy, prices", ("energy", "prices")),
        ("tags:\n  - energy\n  - prices", ("energy", "prices")),
        ("tags:\n- energy\n- 'prices'", ("energy", "prices")),
        ("keywords: energy", ("energy",)),
        ("tags: []", ()),
    ],
)
def test_front_matter_tag_forms(tmp_path: Path, block: str, tags: tuple[str, ...]) -> None:
    write(tmp_path, "note.md", f"---\ntitle: Oil\n{block}\n---\nBody.\n")
    articles, _ = read_folder(tmp_path)
    assert articles["note"].tags == tags


def test_front_matter_all_fields(tmp_path: Path) -> None:
    text = """---
# a comment line
Title: "Fuel: prices climb again"   
date: 2022-01-06T14:32:00Z
source: 'CBC News'
author: Pete Evans  # trailing comment
url: https://www.cbc.ca/news/business/fuel-1.6305112
section: business
dateline: TORONTO
places: [canada]
summary: >
  Folded text
  over two lines
---

First paragraph of the note.

Second paragraph.
"""
    write(tmp_path, "notes/fuel.md", text)
    articles, scan = read_folder(tmp_path)
    a = articles["notes/fuel"]
    assert a.title == "Fuel: prices climb again"
    assert (a.date, a.source, a.author) == ("2022-01-06", "CBC News", "Pete Evans")
    assert a.url == "https://www.cbc.ca/news/business/fuel-1.6305112"
    assert (a.section, a.dateline, a.places) == ("business", "TORONTO", ("canada",))
    assert a.body == "First paragraph of the note.\n\nSecond paragraph."
    assert scan.warnings == []


def test_front_matter_parser_edge_cases() -> None:
    assert front_matter("no front matter\n---\n") == ({}, "no front matter\n---\n")
    assert front_matter("---\ntitle: never closed\nbody") == ({}, "---\ntitle: never closed\nbody")
    meta, rest = front_matter("---\ntitle: x\n...\nrest")
    assert meta == {"title": "x"} and rest == "rest"
    meta, _ = front_matter(
        "---  \nauthors:\n  - A. One\n  - B. Two\nsummary: |\n  line one\n  line two\n---\n"
    )
    assert meta == {"author": ["A. One", "B. Two"], "summary": "line one line two"}


def test_front_matter_title_only_file_and_crlf(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\r\ntitle: Only a title\r\ndate: 6 January 2022\r\n---\r\n")
    articles, _ = read_folder(tmp_path)
    assert (articles["a"].title, articles["a"].date, articles["a"].body) == (
        "Only a title",
        "2022-01-06",
        "",
    )


def test_list_author_is_joined(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: T\nauthor: [A. One, B. Two]\n---\nBody")
    articles, _ = read_folder(tmp_path)
    assert articles["a"].author == "A. One, B. Two"


def test_bbc_folder_gives_the_section(tmp_path: Path) -> None:
    write(
        tmp_path,
        "business/001.txt",
        "Ad sales boost Time Warner profit\n\nQuarterly profits rose 76%.\n",
    )
    write(tmp_path, "sport/2005/q1/002.txt", "Cup tie\n\nA match report.\n")
    write(tmp_path, "archive/bbc/politics/004.txt", "Vote\n\nA corpus inside a larger archive.\n")
    write(tmp_path, "top.txt", "Top level\n\nNo folder.\n")
    write(tmp_path, "tech/003.md", "---\ntitle: Chips\nsection: science\n---\nFront matter wins.\n")
    articles, _ = read_folder(tmp_path)
    assert articles["business/001"].section == "business"
    assert articles["sport/2005/q1/002"].section == "sport"  # date folders are skipped
    assert articles["archive/bbc/politics/004"].section == "politics"  # the nearest folder
    assert articles["top"].section is None
    assert articles["tech/003"].section == "science"


@pytest.mark.corpora
def test_bbc_corpus_sections() -> None:
    root = corpora_dir("bbc")
    scan = Scan()
    sections = {}
    for name in ("business", "sport", "tech"):
        [article] = read_file(root / name / "001.txt", root, scan)
        sections[name] = article.section
    assert sections == {"business": "business", "sport": "sport", "tech": "tech"}
