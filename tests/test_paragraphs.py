"""Splitting and classifying paragraphs, on the seed article and real corpora samples."""

from __future__ import annotations

import pytest

from indexer.formats import Scan, read_file
from indexer.models import Article
from indexer.paragraphs import classify, split_paragraphs

from .conftest import SEEDS, corpora_dir


@pytest.fixture(scope="module")
def seed_paragraphs() -> tuple:
    scan = Scan()
    [article] = read_file(next(SEEDS.glob("*.txt")), SEEDS, scan)
    return split_paragraphs(article)


def test_seed_article_kinds(seed_paragraphs: tuple) -> None:
    kinds = [p.kind for p in seed_paragraphs]
    assert len(seed_paragraphs) == 56
    assert [p.no for p in seed_paragraphs] == list(range(1, 57))
    assert seed_paragraphs[0].kind == "headline"
    assert (
        seed_paragraphs[0].text == "Russian troops move to put down violent uprising in Kazakhstan"
    )
    by_text = {p.text: p.kind for p in seed_paragraphs}
    assert by_text["Troops, protesters clash"] == "heading"
    assert by_text["Protests expand beyond anger over fuel prices"] == "heading"
    assert by_text["1 year ago"] == "boilerplate"
    assert by_text["Duration 2:06"] == "boilerplate"
    assert by_text["With files from Reuters"] == "boilerplate"
    captions = [p.text for p in seed_paragraphs if p.kind == "caption"]
    assert len(captions) == 3
    assert all(c.endswith(")") and "/" in c for c in captions)
    assert kinds.count("heading") == 6
    assert kinds.count("body") == 43
    assert kinds.count("boilerplate") == 3


def test_body_paragraphs_know_their_section(seed_paragraphs: tuple) -> None:
    shal = next(p for p in seed_paragraphs if "Shal ket" in p.text)
    assert shal.kind == "body"
    assert shal.heading == "Anger directed at first president"
    assert seed_paragraphs[1].heading is None


def test_whitespace_is_normalised(seed_paragraphs: tuple) -> None:
    assert all("\u00a0" not in p.text and "  " not in p.text for p in seed_paragraphs)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("3 hours ago", "boilerplate"),
        ("Duration 12:45", "boilerplate"),
        ("Reporting by Jane Doe; Editing by John Roe", "boilerplate"),
        ("REUTER", "boilerplate"),
        ("A protester in Almaty. (Jane Doe/Getty Images)", "caption"),
        ("Photo: the square at dusk", "caption"),
        ("Oil prices fall", "heading"),
        ("Oil prices fell on Monday.", "body"),
        (
            "The minister said prices would rise, and the government fell within a week of the vote",
            "body",
        ),
    ],
)
def test_classify_rules(text: str, kind: str) -> None:
    assert classify(text) == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # A table row is a row: it must not become the heading of the paragraphs under it.
        ("Ticker | Security | Last | Change | Change %", "body"),
        ("Blue | 120", "body"),
        # Page furniture in the languages of the archives (they were headings).
        ("Werbung", "boilerplate"),
        ("Anzeige", "boilerplate"),
        ("Reklama", "boilerplate"),
        ("Mehr", "boilerplate"),
        ("Suchen", "boilerplate"),
        ("Publicité", "boilerplate"),
        ("Print Article", "boilerplate"),
        ("Order Reprints", "boilerplate"),
        ("Zum Vergrößern auf das Bild klicken", "boilerplate"),
        ("24 July 2015", "boilerplate"),
        ("Updated: Jan. 6, 2022 9:32 AM ET", "boilerplate"),
        ("941 comments", "boilerplate"),
        # A bracketed price or ratio with a slash is not a photo credit.
        ("Brent crude rose to a seven-year high (€78.10/bbl)", "body"),
        ("The shares closed higher on Friday (US$9.20/share)", "body"),
        ("Diesel was cheaper than a year ago (1.89/l)", "body"),
        ("Rescuers search the rubble in Antakya (Umit Bektas/Reuters)", "caption"),
        # Sentences end in CJK punctuation too.
        ("2020年の東京オリンピックの開催などを見据え、設置が促進されている。", "body"),
        ("Oil prices fall in Asia", "heading"),
        ("March 2022", "heading"),
    ],
)
def test_kind_rules_for_real_pages(text: str, kind: str) -> None:
    assert classify(text) == kind


def test_a_table_header_row_labels_no_paragraphs() -> None:
    body = "Prices rose on Friday.\n\nTicker | Last | Change\n\nXOM | 104.20 | +2.10\n\nMarkets closed."
    paragraphs = split_paragraphs(Article("t", "Oil", body))
    assert [p.kind for p in paragraphs[1:]] == ["body"] * 4
    assert all(p.heading is None for p in paragraphs)


def test_boilerplate_lines_inside_a_block_are_split_out() -> None:
    article = Article(
        "a", "Title", "2 days ago\nDuration 1:02\nTroops were sent in on Tuesday to restore order."
    )
    kinds = [(p.kind, p.text) for p in split_paragraphs(article)[1:]]
    assert kinds == [
        ("boilerplate", "2 days ago"),
        ("boilerplate", "Duration 1:02"),
        ("body", "Troops were sent in on Tuesday to restore order."),
    ]


def test_bbc_sample() -> None:
    root = corpora_dir("bbc")
    [article] = read_file(root / "business" / "001.txt", root, Scan())
    paragraphs = split_paragraphs(article)
    assert article.id == "business/001"
    assert paragraphs[0].kind == "headline" and paragraphs[0].text == article.title
    assert len(paragraphs) >= 4
    assert sum(p.kind == "body" for p in paragraphs) >= 3


def test_reuters_sample() -> None:
    root = corpora_dir("reuters21578")
    articles = read_file(root / "reut2-000.sgm", root, Scan())
    assert len(articles) > 900
    first = articles[0]
    assert first.id == "reut2-000#1"
    assert first.date == "1987-02-26"
    assert first.title == "BAHIA COCOA REVIEW"
    paragraphs = split_paragraphs(first)
    assert paragraphs[-1].kind == "boilerplate"  # the "Reuter" trailer
    body = [p for p in paragraphs if p.kind == "body"]
    assert len(body) >= 5
    assert all("&#" not in p.text and "\x03" not in p.text for p in paragraphs)
    assert body[0].text.startswith("Showers continued throughout the week in the Bahia cocoa zone")
