"""Suggestions as you type in real Chromium, with the keyboard; and axe-core on every page.

axe-core comes from the npm registry (``npm install`` in the repository:
package.json pins it; .ci/run installs it) and is injected into each page;
every page, old and new, is checked at desktop and phone widths for WCAG 2.1
A/AA and best-practice rules.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import BROWSER, ROOT, SHOTS, make_app
from .data import NEWS

pytestmark = BROWSER

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture()
def news_site(make_engine: Any, serve_app: Any) -> str:
    engine = make_engine(NEWS)
    engine.reindex()
    return serve_app(make_app(engine))  # type: ignore[no-any-return]


def listbox(page: Any) -> Any:
    return page.locator("#q-suggestions")


def test_suggestions_open_as_you_type_and_follow_the_keyboard(page: Any, news_site: str) -> None:
    page.goto(news_site + "/")
    box = page.locator("#q")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "false"
    box.press_sequentially("oi", delay=40)
    options = listbox(page).locator("[role=option]")
    options.first.wait_for(state="visible")
    assert box.get_attribute("aria-expanded") == "true"
    offered = options.all_inner_texts()
    assert offered[0] == "oil"  # the word most paragraphs hold
    assert all(o.startswith("oi") for o in offered)
    assert "oilers win in overtime" in offered  # a title
    status = page.locator(".suggest-host [role=status]")
    assert re.match(r"\d+ suggestions", status.inner_text())
    page.screenshot(path=str(SHOTS / "suggestions-news.png"))

    page.keyboard.press("ArrowDown")
    first = options.nth(0)
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    page.keyboard.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    assert first.get_attribute("aria-selected") == "false"
    page.keyboard.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    page.keyboard.press("Escape")
    assert listbox(page).is_hidden() and box.get_attribute("aria-expanded") == "false"
    assert box.input_value() == "oi"  # Escape leaves what was typed

    page.keyboard.press("ArrowDown")  # opens the list again
    options.first.wait_for(state="visible")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    chosen = options.nth(1).inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    assert parse_qs(urlsplit(page.url).query)["q"] == [chosen]
    assert page.locator(".hit").count() > 0


def test_the_header_box_suggests_too_and_enter_without_a_choice_searches_the_text(
    page: Any, news_site: str
) -> None:
    page.goto(news_site + "/search?q=oil")
    box = page.locator("#q")
    box.fill("")
    box.press_sequentially("heat", delay=40)
    listbox(page).locator("[role=option]").first.wait_for(state="visible")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=heat(&|$)"))


def test_without_javascript_the_box_is_a_plain_search_box(browser: Any, news_site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.goto(news_site + "/")
    box = pg.locator("#q")
    assert box.get_attribute("role") is None and pg.locator("#q-suggestions").count() == 0
    box.fill("oil prices")
    box.press("Enter")
    pg.wait_for_url(re.compile(r"/search\?q=oil\+prices"))
    assert pg.locator(".hit").count() > 0
    context.close()


def test_hostile_titles_are_suggested_as_text(page: Any, news_site: str) -> None:
    page.goto(news_site + "/")
    page.locator("#q").press_sequentially("oil <scr", delay=30)
    option = listbox(page).locator("[role=option]").first
    option.wait_for(state="visible")
    assert "<script>" in option.inner_text()
    assert listbox(page).locator("script").count() == 0
    assert not page.dialogs  # type: ignore[attr-defined]


# -- axe-core ---------------------------------------------------------------------------------


def pages(site: str, article_id: str) -> list[str]:
    return [
        "/",
        "/search?q=oil",
        "/search?q=oil+prices&group=paragraph&similar=show",
        "/search?q=zebra",
        f"/articles/{article_id}?q=oil",
        "/help",
        "/trends",
        "/trends?q=oil&q=heating",
        "/trends?q=oil&q=heating&counts=1&interval=year",
        "/batch",
        "/articles/no-such-article",
    ]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    # evaluated through the DevTools protocol: the pages' CSP (script-src 'self') stays on
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_violation_on_any_page(browser: Any, news_site: str, width: int) -> None:
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm install` in {ROOT} (package.json pins axe-core)")
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    found: dict[str, Any] = {}
    for path in pages(news_site, "cbc-oil"):
        pg.goto(news_site + path)
        violations = axe_violations(pg)
        if violations:
            found[path] = violations
    # the batch table, after a search
    pg.goto(news_site + "/batch")
    pg.fill("#b-queries", 'oil\n"unclosed\nheating')
    pg.click(".batch-form button")
    pg.wait_for_selector(".batch-table table")
    if violations := axe_violations(pg):
        found["/batch (results)"] = violations
    # the suggestions open
    pg.goto(news_site + "/")
    pg.locator("#q").press_sequentially("oi", delay=30)
    pg.locator("#q-suggestions [role=option]").first.wait_for(state="visible")
    pg.keyboard.press("ArrowDown")
    if violations := axe_violations(pg):
        found["/ (suggestions open)"] = violations
    context.close()
    if found:
        (SHOTS / f"axe-{width}.json").write_text(json.dumps(found, indent=1))
    assert not found, "\n".join(f"{p}: {v}" for p, vs in found.items() for v in vs)


def test_axe_is_where_the_tests_look(tmp_path: Path) -> None:
    """The pinned axe-core is what package.json names (so .ci/run's npm install provides it)."""
    import json

    wanted = json.loads((ROOT / "package.json").read_text())["devDependencies"]["axe-core"]
    if AXE.exists():
        installed = json.loads((AXE.parent / "package.json").read_text())["version"]
        assert installed == wanted
