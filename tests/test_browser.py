"""A real browser (Debian's Chromium via Playwright) against the app served by waitress.

Screenshots go to a temporary folder, or to the folder named by
BYLINE_SCREENSHOTS: `BYLINE_SCREENSHOTS=docs/screenshots pytest -m browser`
refreshes the committed ones a reviewer looks at.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from .conftest import BROWSER, SEEDS, SHOTS, make_app
from .data import XSS_FILES, XSS_IMG, XSS_SCRIPT, XSS_URL

pytestmark = BROWSER


@pytest.fixture()
def site(make_engine: Any, serve_app: Any) -> str:
    """The seed article plus hostile documents, served by waitress on 127.0.0.1."""
    files: dict[str, str | bytes] = {p.name: p.read_bytes() for p in SEEDS.iterdir()}
    files.update(XSS_FILES)
    engine = make_engine(files)
    engine.reindex()
    return serve_app(make_app(engine))  # type: ignore[no-any-return]


def in_viewport(pg: Any, selector: str) -> bool:
    return pg.evaluate(  # type: ignore[no-any-return]
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                      return r.top >= 0 && r.top < window.innerHeight && r.bottom > 0; }""",
        selector,
    )


def test_search_then_follow_a_result_to_its_paragraph(page: Any, site: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(site + "/")
    assert page.evaluate("document.activeElement.id") == "q"  # autofocus
    page.keyboard.type("fuel prices")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=fuel\+prices"))
    marks = page.locator(".hit .snippet mark")
    assert marks.count() >= 2
    assert {m.lower() for m in marks.all_inner_texts()} >= {"fuel", "prices"}
    assert page.input_value("#q") == "fuel prices"
    assert "7 paragraphs in 1 article" in page.inner_text(".counts")
    # the every-paragraph view makes the fuller screenshot
    page.click("text=every paragraph")
    page.wait_for_url(re.compile(r"group=paragraph"))
    assert page.locator(".hit").count() == 7
    page.screenshot(path=str(SHOTS / "search.png"), full_page=False)

    first = page.locator(".hit-title a").nth(1)
    href = first.get_attribute("href")
    n = re.search(r"#p-(\d+)$", href or "")
    assert n, href
    first.click()
    page.wait_for_url(re.compile(rf"/articles/.+#p-{n.group(1)}$"))
    target = f"#p-{n.group(1)}"
    assert page.evaluate("document.querySelector(':target').id") == f"p-{n.group(1)}"
    assert (
        page.evaluate("(sel) => getComputedStyle(document.querySelector(sel)).outlineStyle", target)
        != "none"
    )
    assert in_viewport(page, target)
    assert page.locator(f"{target} mark").count() >= 1
    page.screenshot(path=str(SHOTS / "article.png"), full_page=False)
    page.evaluate("window.scrollTo(0, 0)")
    assert page.locator(".matches a").count() == 7
    assert page.locator(".kind-boilerplate .label").first.inner_text().lower() == "boilerplate"
    page.screenshot(path=str(SHOTS / "article-top.png"), full_page=False)


def test_phone_width_is_usable(browser: Any, site: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    pg = context.new_page()
    try:
        pg.goto(site + "/search?q=fuel+prices&group=paragraph")
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert pg.locator(".hit mark").count() >= 2
        pg.screenshot(path=str(SHOTS / "search-phone.png"))
        pg.goto(site + "/articles/000_c9551b90bc92890e?q=fuel+prices#p-24")
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert in_viewport(pg, "#p-24")
        pg.screenshot(path=str(SHOTS / "article-phone.png"))
    finally:
        context.close()


def test_hostile_documents_and_queries_do_not_execute(page: Any, site: str) -> None:
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    urls = [
        "/search?q=zanzibar&group=paragraph",
        "/search?q=quokka",
        "/articles/xss?q=zanzibar#p-2",
        "/articles/meta-xss?q=quokka",
        "/search?q=" + quote(XSS_SCRIPT),
        "/search?q=" + quote(XSS_IMG),
        "/search?q=" + quote('"' + XSS_IMG),
        "/articles/" + quote(XSS_SCRIPT),
        "/api/search?q=zanzibar",
    ]
    for url in urls:
        page.goto(site + url)
        page.wait_for_load_state("load")
        assert page.locator("img").count() == 0, url
    page.goto(site + "/articles/xss?q=zanzibar")
    assert XSS_SCRIPT in page.inner_text("#p-2")
    assert XSS_URL in page.inner_text("#p-3")
    page.goto(site + "/search?q=" + quote(XSS_IMG))
    assert page.input_value("#q") == XSS_IMG
    assert not page.dialogs and not blocked, (page.dialogs, blocked)


def test_keyboard_slash_focuses_the_search_box(page: Any, site: str) -> None:
    page.goto(site + "/articles/000_c9551b90bc92890e")
    page.locator("body").click(position={"x": 5, "y": 300})
    assert page.evaluate("document.activeElement.id") != "q"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("kazakhstan")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=kazakhstan"))
    assert page.locator(".hit").count() >= 1


def test_everything_works_without_javascript(browser: Any, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(site + "/")
        pg.fill("#q", "fuel prices")
        pg.press("#q", "Enter")
        pg.wait_for_url(re.compile(r"/search\?q=fuel"))
        assert pg.locator(".hit mark").count() >= 2
        pg.locator(".hit-title a").first.click()
        pg.wait_for_url(re.compile(r"#p-\d+$"))
        fragment = pg.url.rsplit("#", 1)[1]
        assert pg.evaluate("document.querySelector(':target').id") == fragment
        assert in_viewport(pg, "#" + fragment)
    finally:
        context.close()


def test_the_match_control_switches_to_meaning(page: Any, site: str) -> None:
    """The select beside sort submits itself; a hit found by meaning says so, unhighlighted."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(site + "/search?q=rebellion")
    assert page.locator(".hit").count() == 0  # no paragraph holds the word
    assert page.input_value("#f-mode") == "hybrid"
    page.select_option("#f-mode", "semantic")
    page.wait_for_url(re.compile(r"mode=semantic"))
    hit = page.locator(".hit").first
    assert "related in meaning" in hit.inner_text()
    assert hit.locator(".snippet mark").count() == 0
    assert "uprising" in hit.inner_text().lower()
    page.screenshot(path=str(SHOTS / "meaning.png"), full_page=False)
