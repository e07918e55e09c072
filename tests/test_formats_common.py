"""What every reader shares: decoding, dates, metadata values, content hashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from indexer.formats.common import Source, clean_text, decode, parse_date

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


# --- decoding: a BOM, then what the file declares, then UTF-8, then a guess that is reported ------


@pytest.mark.parametrize(
    ("data", "declared", "text", "warning"),
    [
        (b"\xef\xbb\xbfcaf\xc3\xa9", None, "café", None),
        (b"\xff\xfec\x00a\x00f\x00\xe9\x00", None, "café", None),
        (b"\xfe\xff\x00c\x00a\x00f\x00\xe9", "utf-8", "café", None),
        ("Žluťoučký".encode("cp1250"), "windows-1250", "Žluťoučký", None),
        ("北京".encode("gb2312"), "gb2312", "北京", None),
        ("Zażółć".encode("iso-8859-2"), "ISO-8859-2", "Zażółć", None),
        (b"caf\xe9 cr\xe8me", "iso-8859-1", "café crème", None),  # browsers read latin-1 as cp1252
        (b"\x93quoted\x94", "latin1", "\u201cquoted\u201d", None),
        ("für".encode(), "gb2312", "für", "declares gb2312 but is valid UTF-8; read as UTF-8"),
        (
            "für \x96 mehr".encode().replace(b"\xc2\x96", b"\x96"),
            "utf-8",
            "für – mehr",
            "declares UTF-8 but 1 of its bytes are not UTF-8; read them as cp1252",
        ),
        (
            "für \x96 mehr".encode().replace(b"\xc2\x96", b"\x96"),
            None,
            "für – mehr",
            "not UTF-8: 1 of its bytes are not UTF-8; read them as cp1252",
        ),
        (b"caf\xe9", None, "café", "not UTF-8, read as cp1252 (no charset declared: guessed)"),
        (
            b"caf\xe9 \x81",
            None,
            "café \x81",
            "not UTF-8, read as cp1252 (no charset declared: guessed)",
        ),
        (b"a+ADw-b", "utf-7", "a+ADw-b", "declares an unknown or refused charset 'utf-7'; ignored"),
        (b"plain", "base64", "plain", "declares an unknown or refused charset 'base64'; ignored"),
        (b"\xa4\xa4\xff", "big5", "中\ufffd", "declares big5 but 1 of its bytes are not; replaced"),
    ],
)
def test_decode(data: bytes, declared: str | None, text: str, warning: str | None) -> None:
    warnings: list[str] = []
    assert decode(data, warnings.append, declared=declared) == text
    assert warnings == ([warning] if warning else [])


def test_decode_keeps_its_old_call_for_every_reader() -> None:
    assert decode(b"plain") == "plain" and Source("x", b"\xef\xbb\xbfplain").text() == "plain"


def test_utf16_text_files_with_a_bom_are_not_binary(tmp_path: Path) -> None:
    write(tmp_path, "note.txt", "\ufeffTitle\n\nÉté à Montréal.".encode("utf-16"))
    articles, scan = read_folder(tmp_path)
    assert scan.skipped == [] and articles["note"].body == "Été à Montréal."


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Mit\u00adtel\u00adal\u00adter", "Mittelalter"),  # soft hyphens: "Mittelalter" must match
        ("Cafe\u0301", "Caf\u00e9"),  # NFC: one spelling of é
        ("a\ufeffb\u2060c", "abc"),  # a BOM inside text, a word joiner
        ("x\x85y\x9fz\x07", "xyz"),  # C1 and C0 controls
        ("line\r\nbreaks\rhere", "line\nbreaks\nhere"),
        ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_every_reader_stores_clean_text(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "Im Mit\u00adtel\u00adal\u00adter\n\nDas Cafe\u0301 am Markt.")
    write(
        tmp_path,
        "b.json",
        json.dumps({"title": "Cafe\u0301", "body": "Mit\u00adtel", "author": "Jose\u0301"}),
    )
    articles, _ = read_folder(tmp_path)
    assert (articles["a"].title, articles["a"].body) == (
        "Im Mittelalter",
        "Das Caf\u00e9 am Markt.",
    )
    assert (articles["b"].title, articles["b"].body, articles["b"].author) == (
        "Café",
        "Mittel",
        "José",
    )


def test_soft_hyphenated_words_are_found_and_highlighted(make_engine: Any) -> None:
    page = (
        "<html><head><title>Stadtgeschichte</title></head><body><article><h1>Stadtgeschichte</h1>"
        "<p>Im Mit&shy;tel&shy;al&shy;ter war die Stadt ein Zentrum des Handels, sagte der Historiker "
        "bei der Vorstellung seines neuen Buches im Rathaus am Dienstag.</p></article></body></html>"
    )
    engine = make_engine({"stadt.html": page})
    engine.reindex()
    hit = engine.search("Mittelalter").hits[0]
    assert "Im Mittelalter war" in hit.text and "<mark>Mittelalter</mark>" in hit.snippet_html


def test_guessed_encodings_are_reported_by_reindex_json_and_stats(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from manage import cli

    source = tmp_path / "src"
    write(source, "pound.txt", "Prices\n\nIt cost \xa315.8m.".encode("cp1252"))
    write(
        source,
        "page.html",
        b"<html><head><meta charset='utf-8'><title>T</title></head><body>"
        b"<p>Die Preise f\xc3\xbcr Heiz\xc3\xb6l sind gestiegen \x96 sagte der Sprecher.</p></body></html>",
    )
    args = ["--source", str(source), "--index", str(tmp_path / "ix")]
    runner = CliRunner()
    result = runner.invoke(cli, ["reindex", "--json", *args])
    assert result.exit_code == 0, result.output
    warnings = {w["path"]: w["reason"] for w in json.loads(result.output)["warnings"]}
    assert warnings == {
        "page.html": "declares UTF-8 but 1 of its bytes are not UTF-8; read them as cp1252",
        "pound.txt": "not UTF-8, read as cp1252 (no charset declared: guessed)",
    }
    stats = runner.invoke(cli, ["stats", *args]).output
    assert "warning pound.txt: not UTF-8, read as cp1252" in stats
    assert json.loads(runner.invoke(cli, ["stats", "--json", *args]).output)["warnings"]
