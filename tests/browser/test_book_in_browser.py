"""The built book, opened from disk in headless Chromium with every network request refused.

Run by ``make browser`` (after ``make book``) with ``--run-browser``. Screenshots of each page are
saved under ``_build/screenshots/`` for people to look at. The accessibility audit and the
offline search have files of their own; the pages are opened once for all (conftest.py).
"""

from pathlib import Path

import pytest
from built_book import HTML, PageVisit, toc_pages

pytestmark = pytest.mark.browser


def test_index_opens_the_root_page(browser):
    visit = PageVisit(browser, (HTML / "index.html").as_uri())
    try:
        visit.page.wait_for_url("**/book/intro.html", timeout=10_000)
        assert visit.page.title().strip(), "index.html led to a page without a title"
    finally:
        visit.close()


def test_every_toc_page_is_built():
    missing = [p for p in toc_pages() if not (HTML / f"{p}.html").is_file()]
    assert not missing, f"pages listed in _toc.yml but not built: {missing}"


def test_sidebar_links_every_chapter(visits):
    for page in toc_pages():
        assert page in visits, f"{page} is in _toc.yml but was not built"
        visit = visits[page]
        hrefs = visit.page.eval_on_selector_all(
            "nav.bd-docs-nav a, .navbar-brand", "els => els.map(e => e.href)"
        )
        linked = {Path(h.split("#")[0].removeprefix("file://")).resolve() for h in hrefs}
        for other in toc_pages():
            if other != page:
                assert (HTML / f"{other}.html").resolve() in linked, f"{page}: no link to {other}"


def test_math_is_typeset(visits):
    for page, visit in visits.items():
        text = visit.page.inner_text("main")
        for raw in ("$$", "\\(", "\\["):
            assert raw not in text, f"{page}: raw {raw!r} in the page text: maths not typeset"
        has_math = visit.page.eval_on_selector_all(".math, .amsmath", "els => els.length")
        typeset = visit.page.eval_on_selector_all("mjx-container", "els => els.length")
        if has_math:
            assert typeset >= has_math, f"{page}: {has_math} formulas, {typeset} typeset"
    assert any(
        v.page.eval_on_selector_all("mjx-container", "els => els.length") for v in visits.values()
    ), "no page has typeset maths: is MathJax loaded?"


def test_every_image_loads(visits):
    for page, visit in visits.items():
        broken = visit.page.eval_on_selector_all(
            "img", "els => els.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        assert not broken, f"{page}: images that did not load: {broken}"


def test_no_console_errors_and_no_network(visits):
    for page, visit in visits.items():
        assert not visit.console_errors, f"{page}: console errors {visit.console_errors}"
        assert not visit.outside_requests, f"{page}: tried the network: {visit.outside_requests}"


def test_chapter_has_launch_and_download_buttons(visits):
    visit = visits["book/sequences"]
    html = visit.page.content()
    for needle in ("mybinder.org", "colab.research.google.com", "git-pull", ".ipynb"):
        assert needle in html, f"book/sequences: no {needle!r} (launch/download buttons)"
