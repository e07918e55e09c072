"""Article formats: saved HTML news pages, front matter, JSON tags, Reuters SGML fields, BBC sections, dates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from indexer.documents import Scan, _front_matter, read_articles, read_file, read_html_article
from indexer.models import Article
from indexer.paragraphs import split_paragraphs

from .conftest import corpora_dir, write


def read_all(root: Path) -> tuple[dict[str, Article], Scan]:
    scan = Scan()
    return {a.id: a for a in read_articles(root, scan)}, scan


def kinds(article: Article) -> list[tuple[str, str]]:
    return [(p.kind, p.text) for p in split_paragraphs(article)]


# --- saved HTML news pages ----------------------------------------------------

CBC_PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Fuel prices climb again as winter storm hits refineries | CBC News</title>
<meta property="og:site_name" content="CBC">
<meta property="og:url" content="https://www.cbc.ca/news/business/fuel-prices-storm-1.6305112">
<meta property="article:published_time" content="2022-01-06T14:32:00.000Z">
<meta property="article:section" content="Business">
<meta property="article:tag" content="Gas prices">
<meta name="author" content="Pete Evans">
<script>window.__STATE__ = {"ads": true};</script>
</head><body>
<header><nav aria-label="Main"><ul><li><a href="/news">News</a></li><li><a href="/sports">Sports</a></li>
<li><a href="/radio">Radio</a></li><li><a href="/listen">Listen Live</a></li></ul></nav>
<a href="/account">Sign In</a></header>
<div class="ad-slot"><span>Advertisement</span></div>
<main><article class="story">
<h1 class="detailHeadline">Fuel prices climb again as winter storm hits refineries</h1>
<div class="bylineDetails"><span class="authorText">Pete Evans</span> · CBC News ·
<time datetime="2022-01-06T14:32:00.000Z">Posted: Jan 06, 2022 9:32 AM ET</time></div>
<div class="sharebar"><button>Share on Facebook</button><button>Share on Twitter</button><span>Share</span></div>
<figure class="leadmedia"><img src="/i/pump.jpg" alt="A man fills up his car">
<figcaption>A driver fills up at a gas station in Toronto on Wednesday. (Evan Mitsui/CBC)</figcaption></figure>
<div class="story-body">
<p>Gasoline prices across Canada rose for the third straight day on Thursday as a winter storm slowed
production at several refineries along the U.S. Gulf Coast, analysts said.</p>
<p>The average price of regular gasoline reached 154.9 cents a litre, according to data from Kalibrate,
up from 147.2 cents a week ago. Drivers in Vancouver paid more than two dollars a litre.</p>
<h2>Refineries slowed by cold</h2>
<p>Several refineries in Texas reduced output after freezing temperatures damaged equipment, said
Dan McTeague, a fuel price analyst who tracks pump prices across the country.</p>
<aside class="related"><h3>Related stories</h3><ul><li><a href="/a">Why gas costs more in B.C.</a></li>
<li><a href="/b">Carbon tax rises April 1</a></li></ul></aside>
<p>"We're looking at a tight market for at least the next six weeks," McTeague said in an interview.</p>
<figure><img src="/i/refinery.jpg" alt=""><figcaption>Steam rises from a refinery in Port Arthur, Texas.
<span class="credit">Adrees Latif/Reuters</span></figcaption></figure>
<p>The price of crude oil also edged higher, with West Texas Intermediate trading at about $79 US a
barrel on Thursday afternoon, its highest level since November.</p>
<p>With files from Reuters</p>
</div></article>
<section class="trending"><h3>Trending</h3><ol><li><a href="/t1">Storm closes highways across Ontario</a></li>
<li><a href="/t2">Leafs beat Canadiens in overtime</a></li></ol></section>
</main>
<footer><ul><li><a href="/about">About CBC News</a></li><li>©2022 CBC/Radio-Canada. All rights reserved.</li></ul></footer>
</body></html>
"""

BBC_PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Ukraine war: Grain ship leaves Odesa port - BBC News</title>
<meta property="og:site_name" content="BBC News">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"ReportageNewsArticle",
"url":"https://www.bbc.com/news/world-europe-62382323","headline":"Ukraine war: Grain ship leaves Odesa port",
"datePublished":"2022-08-01T08:10:00.000Z","author":{"@type":"Person","name":"Paul Kirby"},
"publisher":{"@type":"NewsMediaOrganization","name":"BBC News"}}</script>
</head><body>
<div id="orb-banner"><a href="https://www.bbc.co.uk">BBC Homepage</a><a href="#">Skip to content</a></div>
<nav><ul><li>Home</li><li>War in Ukraine</li><li>Climate</li><li>Video</li><li>World</li><li>Business</li></ul></nav>
<main id="main-content"><article>
<header><h1 id="main-heading">Ukraine war: Grain ship leaves Odesa port</h1>
<div data-component="byline-block"><div>By Paul Kirby</div><div>BBC News</div></div>
<time datetime="2022-08-01T08:10:00.000Z">1 August 2022</time></header>
<div data-component="share-tools"><a href="#">Share</a><span>Share this with Facebook</span></div>
<figure><img src="ship.jpg" alt="The Razoni"><span>Image source, Reuters</span>
<figcaption><span>Image caption, </span>The Razoni was loaded with 26,000 tonnes of maize</figcaption></figure>
<div data-component="text-block"><p>The first ship carrying Ukrainian grain since the Russian invasion has left
the port of Odesa, under a deal to ease a global food crisis.</p></div>
<div data-component="text-block"><p>The Sierra Leone-flagged Razoni is bound for Lebanon, carrying more than
26,000 tonnes of maize, Turkey's defence ministry said.</p></div>
<div data-component="crosshead-block"><h2>Millions facing hunger</h2></div>
<div data-component="text-block"><p>Ukraine is one of the world's largest grain exporters, and the blockade has
pushed up food prices around the world, with millions of people facing hunger in poorer countries.</p></div>
<div data-component="links-block"><h2>More on this story</h2><ul><li><a href="/1">Ukraine grain deal explained</a></li>
<li><a href="/2">Why is Ukraine's grain so important?</a></li></ul></div>
<div data-component="text-block"><p>The ship will be inspected in Istanbul before continuing to Tripoli,
officials said. Another 16 ships are waiting in Odesa to leave.</p></div>
</article>
<section><h2>Top Stories</h2><ul><li><a href="/x">US heatwave spreads east</a></li></ul></section></main>
<footer><p>Copyright 2022 BBC. All rights reserved.</p></footer>
</body></html>
"""

HOSTILE_PAGE = """<html><head><title>Hostile <b>page</b></title>
<script>alert('x')</script><style>p{color:red}</style>
<meta name="author" content="<script>alert(1)</script>Eve">
<meta property="og:url" content="javascript:alert(document.cookie)">
</head><body onload="evil()">
<h1>Council approves <i>new</i> budget<script>document.write('<p>injected</p>')</script></h1>
<p>The city council approved the budget on Tuesday <img src=x onerror="alert('xss')"> after a long
debate that lasted well into the night, with residents filling the public gallery.
<p>Residents can read the plan <a href="javascript:alert(document.cookie)">here</a> or at the library,
officials said in a statement released after the meeting.
<div><div><div><span><p>Mayor Jane Smith said the vote &lt;script&gt;alert(4)&lt;/script&gt; was a victory
for taxpayers and that spending would fall by three percent next year.
<iframe src="javascript:alert(2)">framed text</iframe><object data="x.swf">object text</object>
<svg onload="alert(3)"><text>svgtext</text></svg><noscript><p>noscript text</p></noscript>
<form><input value="formvalue"><textarea>textareatext</textarea></form>
<p>Roads and bridges will receive most of the new capital money over the coming decade, the
budget document says, with a third set aside for transit.
"""


def test_html_news_page_metadata_body_and_captions(tmp_path: Path) -> None:
    write(tmp_path, "web/cbc-fuel.html", CBC_PAGE)
    articles, scan = read_all(tmp_path)
    assert scan.skipped == [] and scan.warnings == []
    a = articles["web/cbc-fuel"]
    assert a.title == "Fuel prices climb again as winter storm hits refineries"
    assert (a.date, a.author, a.source) == ("2022-01-06", "Pete Evans", "CBC")
    assert a.url == "https://www.cbc.ca/news/business/fuel-prices-storm-1.6305112"
    assert a.section == "Business" and a.tags == ("Gas prices",)
    paragraphs = kinds(a)
    texts = [t for _, t in paragraphs]
    # Navigation, ads, share buttons, related links, trending and footer are gone.
    for furniture in ("Listen Live", "Sign In", "Advertisement", "Share on Facebook", "Related stories",
                      "Carbon tax rises", "Leafs beat Canadiens", "About CBC News", "All rights reserved"):
        assert not any(furniture in t for t in texts), furniture
    assert ("caption", "A driver fills up at a gas station in Toronto on Wednesday. (Evan Mitsui/CBC)") in paragraphs
    assert ("caption", "Steam rises from a refinery in Port Arthur, Texas. (Adrees Latif/Reuters)") in paragraphs
    assert ("heading", "Refineries slowed by cold") in paragraphs
    assert ("boilerplate", "With files from Reuters") in paragraphs
    assert paragraphs[0] == ("headline", a.title)
    body = [t for k, t in paragraphs if k == "body"]
    assert body[0].startswith("Gasoline prices across Canada rose") and len(body) == 5
    # Paragraph order follows the page.
    assert texts.index("Refineries slowed by cold") < texts.index(next(t for t in texts if t.startswith("Several")))


def test_html_json_ld_metadata_byline_dropped_and_labelled_caption(tmp_path: Path) -> None:
    write(tmp_path, "bbc.htm", BBC_PAGE)
    articles, _ = read_all(tmp_path)
    a = articles["bbc"]
    assert a.title == "Ukraine war: Grain ship leaves Odesa port"
    assert (a.date, a.author, a.source) == ("2022-08-01", "Paul Kirby", "BBC News")
    paragraphs = kinds(a)
    texts = [t for _, t in paragraphs]
    assert ("caption", "Photo: The Razoni was loaded with 26,000 tonnes of maize (Reuters)") in paragraphs
    assert not any(t in ("By Paul Kirby", "BBC News") for t in texts)
    assert not any("More on this story" in t or "grain deal explained" in t or "heatwave" in t for t in texts)
    assert not any("Share" in t or "Skip to content" in t for t in texts)
    assert texts[-1].startswith("The ship will be inspected in Istanbul")
    # An HTML file is not in a BBC-style section just because of its folder.
    assert a.section is None


def test_hostile_html_yields_plain_text_only(tmp_path: Path) -> None:
    write(tmp_path, "hostile.html", HOSTILE_PAGE)
    articles, scan = read_all(tmp_path)
    assert scan.skipped == []
    a = articles["hostile"]
    fields = [a.title, a.body, a.author or "", a.source or "", a.url or "", a.section or "", *a.tags]
    everything = "\n".join(fields)
    assert not re.search(r"<\s*/?\s*[a-z]", everything, re.I), everything
    # Escaped text ("&lt;script&gt;alert(4)...") is the page's words, kept as harmless text;
    # every real script, handler, link target, frame, embed and form control is gone.
    assert "alert(4)" in everything
    for bad in ("alert('x')", "alert(1)", "alert(2)", "alert(3)", "alert('xss')", "cookie", "javascript:", "onerror", "document.write", "injected", "svgtext", "noscript text",
                "framed text", "object text", "formvalue", "textareatext", "color:red"):
        assert bad not in everything, bad
    assert a.title == "Council approves new budget"
    assert a.url is None
    assert "Residents can read the plan here or at the library" in a.body
    assert "Mayor Jane Smith said the vote" in a.body
    assert "Roads and bridges" in a.body


def test_markup_in_json_ld_and_meta_never_reaches_a_field() -> None:
    page = """<html><head><title>Budget &lt;b&gt;vote&lt;/b&gt;</title>
    <meta property="og:site_name" content="&lt;em&gt;Evil&lt;/em&gt; Times">
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "<b>Bold</b> claim",
    "author": {"@type": "Person", "name": "<a href=javascript:x>Mallory</a> Doe"},
    "datePublished": "2021-05-04"}</script></head>
    <body><p>A plain paragraph of text that is long enough to count as the main content of the page.</p>
    </body></html>"""
    [a] = read_html_article("x", page)
    fields = [a.title, a.body, a.author or "", a.source or "", a.url or "", *a.tags]
    assert not any(re.search(r"<\s*/?\s*[a-z]", f, re.I) for f in fields), fields
    assert "javascript" not in " ".join(fields) and "@type" not in a.body
    assert a.date == "2021-05-04"


@pytest.mark.parametrize(
    "junk",
    [
        "<",
        "<html>",
        "<html><body></body></html>",
        "<<<>>><p<p<p>>>&&&&#;&#xZZZ;",
        "\x0b\x0c<p>\x1f</p>",
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>x</p></body></html>',
        "<p>" * 20_000,
        "<div>" * 5_000 + "deep" + "</div>" * 3,
        "<table>" + "<tr><td>1</td><td>2</td>" * 500,
        "<html><head><title></title></head><body><script>only script</script></body></html>",
        "plain text that is not html at all",
    ],
)
def test_junk_html_never_raises(junk: str) -> None:
    articles = list(read_html_article("junk", junk))
    for a in articles:
        assert not re.search(r"<\s*/?\s*[a-z]", a.title + a.body, re.I)
        assert "only script" not in a.body


def test_junk_html_is_reported_not_fatal(tmp_path: Path) -> None:
    write(tmp_path, "empty-page.html", "<html><body><div></div></body></html>")
    write(tmp_path, "ok.txt", "Fine\n\nStill indexed.")
    articles, scan = read_all(tmp_path)
    assert list(articles) == ["ok"]
    assert [(s.path, s.reason) for s in scan.skipped] == [("empty-page.html", "no title or text found")]


def test_html_table_and_list_become_paragraphs() -> None:
    page = """<html><head><title>Results</title></head><body><article><h1>Election results</h1>
    <p>Final results were published on Monday evening by the electoral commission in the capital city.</p>
    <ul><li>Turnout rose to 68 percent, the highest since 1992 in the northern districts.</li>
    <li>The governing party lost eleven seats to the opposition in the southern provinces.</li></ul>
    <table><tr><th>Party</th><th>Seats</th></tr><tr><td>Blue</td><td>120</td></tr></table>
    <p>Coalition talks are expected to begin next week, officials said on Monday night.</p></article></body></html>"""
    [a] = read_html_article("r", page)
    assert not re.search(r"<\s*/?\s*[a-z]", a.body, re.I)
    assert "Turnout rose to 68 percent" in a.body and "Coalition talks" in a.body
    assert all(p.strip() for p in a.body.split("\n\n"))


# --- front matter -------------------------------------------------------------


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
    articles, _ = read_all(tmp_path)
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
    articles, scan = read_all(tmp_path)
    a = articles["notes/fuel"]
    assert a.title == "Fuel: prices climb again"
    assert (a.date, a.source, a.author) == ("2022-01-06", "CBC News", "Pete Evans")
    assert a.url == "https://www.cbc.ca/news/business/fuel-1.6305112"
    assert (a.section, a.dateline, a.places) == ("business", "TORONTO", ("canada",))
    assert a.body == "First paragraph of the note.\n\nSecond paragraph."
    assert scan.warnings == []


def test_front_matter_parser_edge_cases() -> None:
    assert _front_matter("no front matter\n---\n") == ({}, "no front matter\n---\n")
    assert _front_matter("---\ntitle: never closed\nbody") == ({}, "---\ntitle: never closed\nbody")
    meta, rest = _front_matter("---\ntitle: x\n...\nrest")
    assert meta == {"title": "x"} and rest == "rest"
    meta, _ = _front_matter("---  \nauthors:\n  - A. One\n  - B. Two\nsummary: |\n  line one\n  line two\n---\n")
    assert meta == {"author": ["A. One", "B. Two"], "summary": "line one line two"}


def test_front_matter_title_only_file_and_crlf(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\r\ntitle: Only a title\r\ndate: 6 January 2022\r\n---\r\n")
    articles, _ = read_all(tmp_path)
    assert (articles["a"].title, articles["a"].date, articles["a"].body) == ("Only a title", "2022-01-06", "")


def test_list_author_is_joined(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: T\nauthor: [A. One, B. Two]\n---\nBody")
    articles, _ = read_all(tmp_path)
    assert articles["a"].author == "A. One, B. Two"


# --- dates ----------------------------------------------------------------------


def test_unparseable_date_is_a_warning_and_the_article_is_indexed(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: Undated\ndate: sometime last spring\n---\nBody text.")
    write(tmp_path, "b.json", json.dumps({"title": "J", "body": "B", "date": "the 40th of Never"}))
    articles, scan = read_all(tmp_path)
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
    articles, scan = read_all(tmp_path)
    assert articles["a"].date == expected and scan.warnings == []


# --- JSON / JSONL -----------------------------------------------------------------


def test_json_tags_and_section(tmp_path: Path) -> None:
    write(tmp_path, "export.json", json.dumps([
        {"id": "a", "title": "A", "body": "x", "tags": ["oil", " prices ", "oil", 3], "section": "Business"},
        {"id": "b", "title": "B", "body": "y", "tags": "oil, prices;energy", "section": None},
        {"id": "c", "title": "C", "body": "z", "tags": None, "places": ["canada"], "topics": "crude"},
    ]))
    write(tmp_path, "feed.jsonl", json.dumps({"title": "D", "text": "w", "tags": "", "author": ["X", "Y"]}) + "\n")
    articles, scan = read_all(tmp_path)
    assert (articles["a"].tags, articles["a"].section) == (("oil", "prices", "3"), "Business")
    assert (articles["b"].tags, articles["b"].section) == (("oil", "prices", "energy"), None)
    assert (articles["c"].tags, articles["c"].places, articles["c"].topics) == ((), ("canada",), ("crude",))
    assert (articles["feed#1"].tags, articles["feed#1"].author) == ((), "X, Y")
    assert scan.skipped == []


# --- Reuters-21578 SGML -------------------------------------------------------------

REUTERS_SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="1">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>cocoa</D></TOPICS>
<PLACES><D>el-salvador</D><D>usa</D><D>uruguay</D></PLACES>
<PEOPLE></PEOPLE>
<ORGS></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN> 
&#5;&#5;&#5;C T
&#22;&#22;&#1;f0704&#31;reute
u f BC-BAHIA-COCOA-REVIEW   02-26 0105</UNKNOWN>
<TEXT>&#2;
<TITLE>BAHIA COCOA REVIEW</TITLE>
<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers continued throughout the week in
the Bahia cocoa zone, alleviating the drought since early
January and improving prospects for the coming temporao.
    The dry period means the temporao will be late this year.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5545" NEWID="2">
<DATE> 2-MAR-1987 08:22:50.41&#5;&#5;&#5;RM</DATE>
<TOPICS></TOPICS>
<PLACES><D>turkey</D><D>iraq</D></PLACES>
<TEXT>&#2;
<TITLE>PIPELINE REPAIRED</TITLE>
<DATELINE>    ANKARA, March 8 - Engineers are working to repair the Iraq-</DATELINE><BODY>Turkey oil pipeline near
the southern town of Adana.
 REUTER
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="3">
<DATE>NOT-A-DATE</DATE>
<TEXT TYPE="BRIEF">&#2;
<TITLE>BRIEF ITEM</TITLE>
&#3;</TEXT>
</REUTERS>
"""


def test_reuters_fields_from_an_sgml_excerpt(tmp_path: Path) -> None:
    write(tmp_path, "reut2-000.sgm", REUTERS_SGML)
    articles, scan = read_all(tmp_path)
    first, second, brief = articles["reut2-000#1"], articles["reut2-000#2"], articles["reut2-000#3"]
    assert (first.title, first.date, first.source) == ("BAHIA COCOA REVIEW", "1987-02-26", "Reuters")
    assert first.dateline == "SALVADOR, Feb 26"
    assert first.topics == ("cocoa",)
    assert first.places == ("el-salvador", "usa", "uruguay")
    assert first.body.startswith("Showers continued")
    assert first.body.endswith("\n\nReuter")
    # A dateline that swallowed the story's first words gives them back to the body.
    assert second.dateline == "ANKARA, March 8"
    assert second.body.startswith("Engineers are working to repair the Iraq-Turkey oil pipeline")
    assert (second.date, second.topics, second.places) == ("1987-03-02", (), ("turkey", "iraq"))
    assert brief.date is None and brief.dateline is None
    assert [w.reason for w in scan.warnings] == [
        "unparseable date 'NOT-A-DATE' in reut2-000#3; indexed without a date"
    ]


@pytest.mark.corpora
def test_reuters_corpus_file_fields() -> None:
    root = corpora_dir("reuters21578")
    scan = Scan()
    articles = read_file(root / "reut2-000.sgm", root, scan)
    assert len(articles) > 900 and scan.skipped == [] and scan.warnings == []
    by_id = {a.id: a for a in articles}
    first = by_id["reut2-000#1"]
    assert (first.title, first.date, first.dateline) == ("BAHIA COCOA REVIEW", "1987-02-26", "SALVADOR, Feb 26")
    assert (first.topics, first.places) == (("cocoa",), ("el-salvador", "usa", "uruguay"))
    dated = [a.date for a in articles if a.date]
    assert len(dated) == len(articles)
    assert all("1987-02-01" <= d <= "1987-10-31" for d in dated)
    assert sum(1 for a in articles if a.dateline) > 900
    assert not any(a.dateline and a.dateline.endswith("-") for a in articles)
    assert sum(1 for a in articles if a.topics) > 500


# --- BBC layout -------------------------------------------------------------------------


def test_bbc_folder_gives_the_section(tmp_path: Path) -> None:
    write(tmp_path, "business/001.txt", "Ad sales boost Time Warner profit\n\nQuarterly profits rose 76%.\n")
    write(tmp_path, "sport/2005/q1/002.txt", "Cup tie\n\nA match report.\n")
    write(tmp_path, "archive/bbc/politics/004.txt", "Vote\n\nA corpus inside a larger archive.\n")
    write(tmp_path, "top.txt", "Top level\n\nNo folder.\n")
    write(tmp_path, "tech/003.md", "---\ntitle: Chips\nsection: science\n---\nFront matter wins.\n")
    articles, _ = read_all(tmp_path)
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
