"""News search in a real browser: click a facet and a coverage bar, screenshot the results page.

`BYLINE_SCREENSHOTS=docs/screenshots pytest tests/test_browser_news.py` refreshes
docs/screenshots/news-search*.png.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import BROWSER, SHOTS, make_app
from .data import NEWS

pytestmark = BROWSER


@pytest.fixture()
def news_site(make_engine: Any, serve_app: Any) -> str:
    engine = make_engine(NEWS)
    engine.reindex()
    return serve_app(make_app(engine))  # type: ignore[no-any-return]


def count(pg: Any) -> int:
    return pg.locator(".hit").count()


def test_click_a_facet_then_a_coverage_bar(page: Any, news_site: str) -> None:
    page.goto(news_site + "/search?q=oil&group=paragraph&similar=show")
    before = count(page)
    assert page.locator(".coverage svg[role=group] a").count() == 4
    page.screenshot(path=str(SHOTS / "news-search.png"), full_page=True)

    page.click(".facets a:has-text('business')")
    page.wait_for_url(re.compile(r"section=business"))
    assert "group=paragraph" in page.url and "similar=show" in page.url
    after_facet = count(page)
    assert 0 < after_facet < before
    assert page.locator(".chips").inner_text().lower().count("business") == 1
    assert set(page.locator(".hit .meta .source").all_inner_texts()) <= {
        "CBC",
        "Reuters",
        "AP",
        "Guardian",
    }

    # within business the dates span under two months: one bar per day
    bar = page.locator(".coverage svg a[aria-label^='2022-01-04']")
    assert bar.count() == 1
    bar.locator(".bar").click()
    page.wait_for_url(re.compile(r"date=2022-01-04"))
    assert "section=business" in page.url
    dates = page.locator(".hit .meta .date").all_inner_texts()
    assert dates and set(dates) == {"2022-01-04"}
    assert count(page) < after_facet
    assert page.input_value("#f-from") == page.input_value("#f-to") == "2022-01-04"
    # removing the date chip widens again
    page.click(".chips a:has-text('2022-01-04')")
    page.wait_for_url(lambda url: "date=" not in url)
    assert count(page) == after_facet


def test_filter_bar_without_javascript(browser: Any, news_site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(news_site + "/search?q=oil")
        pg.select_option("#f-source", "CBC")
        pg.select_option("#f-sort", "newest")
        pg.click(".filters button[type=submit]")
        pg.wait_for_url(re.compile(r"source=CBC"))
        assert set(pg.locator(".hit .meta .source").all_inner_texts()) == {"CBC"}
        assert "sort=newest" in pg.url
    finally:
        context.close()


def test_select_applies_at_once_with_javascript(page: Any, news_site: str) -> None:
    page.goto(news_site + "/search?q=oil")
    page.select_option("#f-section", "politics")
    page.wait_for_url(re.compile(r"section=politics"))
    assert page.locator(".hit").count() == 1


@pytest.mark.parametrize("width", [1280, 390])
def test_results_page_is_calm_at_desktop_and_phone_width(
    browser: Any,
    news_site: str,
    width: int,
) -> None:
    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
    )
    pg = context.new_page()
    try:
        pg.goto(news_site + "/search?q=oil+prices")
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        box = pg.locator(".coverage svg").bounding_box()
        assert box and box["width"] > 200 and 40 < box["height"] < 120
        facets = pg.locator(".facets").bounding_box()
        hits = pg.locator(".hits").bounding_box()
        assert facets and hits
        if phone:
            assert facets["y"] > hits["y"]  # below the results
        else:
            assert facets["x"] > hits["x"] + hits["width"] - 1  # beside them
        name = "news-search-phone.png" if phone else "news-search-desktop.png"
        pg.screenshot(path=str(SHOTS / name), full_page=not phone)
    finally:
        context.close()
