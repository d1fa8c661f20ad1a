"""Fixtures of the browser tests: one headless Chromium, and every page of the book opened once."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # built_book.py

from built_book import (
    CHROMIUM_FLAGS,
    HTML,
    SHOTS,
    PageVisit,
    built_pages,
    chromium_path,
)


@pytest.fixture(scope="session")
def browser():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML / 'index.html'} is missing: run 'make book' first")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def visits(browser):
    """Every page of the built book, opened and typeset once; a screenshot of each is saved."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    opened = {}
    for page in built_pages():
        visit = PageVisit(browser, (HTML / f"{page}.html").as_uri())
        visit.wait_for_maths()
        visit.page.screenshot(path=str(SHOTS / f"{page.replace('/', '_')}.png"), full_page=True)
        opened[page] = visit
    yield opened
    for visit in opened.values():
        visit.close()
