"""Snippets and highlighting: escaped text, matches marked by stem, fragments around matches."""

from __future__ import annotations

from typing import Any

from indexer.highlighting import ELLIPSIS, highlight, mark, snippet

from .conftest import top


def test_snippet_escapes_document_text(make_engine: Any) -> None:
    e = make_engine(
        {"x.txt": 'Evil <b>title</b>\n\nA <script>alert("x")</script> payload about fuel.\n'}
    )
    e.reindex()
    hit = top(e, "fuel")
    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html
    assert "<mark>fuel</mark>" in hit.snippet_html
    assert (
        hit.text == 'A <script>alert("x")</script> payload about fuel.'
    )  # raw text, for callers to escape


def test_long_paragraphs_get_fragments_around_matches(make_engine: Any) -> None:
    filler = " ".join(f"word{n}" for n in range(200))
    e = make_engine(
        {"long.txt": f"Long\n\n{filler} the pipeline exploded near the border {filler}\n"}
    )
    e.reindex()
    html = top(e, "pipeline").snippet_html
    assert "<mark>pipeline</mark>" in html
    assert html.startswith("\u2026") and html.endswith("\u2026")
    assert len(html) < 500


def test_mark_escapes_everything_and_marks_only_spans() -> None:
    text = '<b>Oil</b> & "gas"'
    assert mark(text, [(3, 6)]) == "&lt;b&gt;<mark>Oil</mark>&lt;/b&gt; &amp; &quot;gas&quot;"
    assert mark(text, []) == "&lt;b&gt;Oil&lt;/b&gt; &amp; &quot;gas&quot;"


def test_highlight_marks_every_form_of_a_stem() -> None:
    html = highlight("Protesters protested; the protest grew.", {"protest"})
    assert html.count("<mark>") == 3


def test_snippet_is_the_whole_short_paragraph_or_fragments_of_a_long_one() -> None:
    short = "Fuel prices rose."
    assert snippet(short, {"fuel"}) == "<mark>Fuel</mark> prices rose."
    long = ("Filler words here. " * 40) + "The refinery closed. " + ("More filler text. " * 40)
    html = snippet(long, {"refineri"}, max_chars=120)
    assert "<mark>refinery</mark>" in html and html.startswith(ELLIPSIS) and html.endswith(ELLIPSIS)
    assert len(html) < 220
    assert snippet(long, set(), max_chars=120).endswith(ELLIPSIS)  # no match: the lead
