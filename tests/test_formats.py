"""The walk and the registry: stable ids, sorted order, bad files skipped with reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.formats import FORMATS, Scan, format_for
from indexer.models import Article

from .conftest import read_folder, write


def read_all(root: Path) -> tuple[list[Article], Scan]:
    by_id, scan = read_folder(root)
    return list(by_id.values()), scan


def test_text_article_ids_are_relative_posix_paths_without_suffix(tmp_path: Path) -> None:
    write(tmp_path, "business/001.txt", "Oil rises\n\nOil rose on Monday.\n")
    write(
        tmp_path,
        "a/b/note.md",
        "---\ntitle: From front matter\ndate: 6 January 2022\nsource: CBC\n---\nBody text here.\n",
    )
    articles, scan = read_all(tmp_path)
    by_id = {a.id: a for a in articles}
    assert sorted(by_id) == ["a/b/note", "business/001"]
    assert by_id["business/001"].title == "Oil rises"
    assert by_id["business/001"].body == "Oil rose on Monday."
    note = by_id["a/b/note"]
    assert (note.title, note.date, note.source) == ("From front matter", "2022-01-06", "CBC")
    assert note.body == "Body text here."
    assert scan.skipped == []


def test_walk_is_sorted_and_stable(tmp_path: Path) -> None:
    for name in ("c.txt", "a.txt", "b/z.txt", "b/a.txt"):
        write(tmp_path, name, f"{name}\n\nbody")
    first = [a.id for a in read_all(tmp_path)[0]]
    assert first == ["a", "b/a", "b/z", "c"]
    assert [a.content_hash for a in read_all(tmp_path)[0]] == [
        a.content_hash for a in read_all(tmp_path)[0]
    ]


def test_other_suffixes_are_ignored_and_counted(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "Title\n\nBody")
    write(tmp_path, "picture.png", b"\x89PNG....")
    write(tmp_path, "notes.docx", b"PK..")
    articles, scan = read_all(tmp_path)
    assert [a.id for a in articles] == ["a"]
    assert scan.ignored == 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\n \n", "empty file"),
        ("binary.txt", b"\x00\x01\x02binary\x00", "binary file"),
        ("broken.json", b"{not json", "cannot parse"),
    ],
)
def test_bad_files_are_skipped_with_a_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    write(tmp_path, "good.txt", "Good\n\nStill indexed.")
    write(tmp_path, name, content)
    articles, scan = read_all(tmp_path)
    assert [a.id for a in articles] == ["good"]
    assert [(s.path, reason in s.reason) for s in scan.skipped] == [(name, True)]


def test_unreadable_and_vanished_files_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulated, because CI runs as root, which can read a chmod 0 file.
    write(tmp_path, "secret.txt", "Secret\n\nbody")
    write(tmp_path, "gone.txt", "Gone\n\nbody")
    write(tmp_path, "fine.txt", "Fine\n\nbody")
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied")
        if self.name == "gone.txt":
            raise FileNotFoundError(2, "No such file")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    articles, scan = read_all(tmp_path)
    assert [a.id for a in articles] == ["fine"]
    assert {s.path: s.reason for s in scan.skipped} == {
        "gone.txt": "vanished while reading",
        "secret.txt": "permission denied",
    }


def test_symlinks_leaving_the_source_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "private.txt", "Private\n\nnot for the index")
    source = tmp_path / "source"
    write(source, "inside.txt", "Inside\n\nindexed")
    (source / "escape").symlink_to(outside, target_is_directory=True)
    (source / "loop").symlink_to(source, target_is_directory=True)
    articles, scan = read_all(source)
    assert [a.id for a in articles] == ["inside"]
    reasons = {s.path: s.reason for s in scan.skipped}
    assert "leaves the source folder" in reasons["escape"]
    assert "symlink loop" in reasons["loop"]


def test_control_characters_are_removed(tmp_path: Path) -> None:
    write(tmp_path, "ctl.txt", "Title\x07\n\nBody\x03 text\r\nmore")
    [article], _ = read_all(tmp_path)
    assert article.title == "Title" and article.body == "Body text\nmore"


def test_every_suffix_belongs_to_one_format() -> None:
    suffixes = [s for f in FORMATS for s in f.suffixes]
    assert len(suffixes) == len(set(suffixes))
    assert all(s.startswith(".") and s == s.lower() for s in suffixes)
    assert format_for(Path("A/B.HTML")) is format_for(Path("x.html"))
    assert format_for(Path("notes.docx")) is None
