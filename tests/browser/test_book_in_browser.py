"""The built book, opened from disk in headless Chromium with every network request refused.

Run by ``make browser`` (after ``make book``) with ``--run-browser``. Screenshots of each page are
saved under ``_build/screenshots/`` for people to look at.
"""

import os
import shutil
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",  # running as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def toc_pages() -> list[str]:
    """Every page named in _toc.yml, root first, as paths without suffix (e.g. 'book/intro')."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections", []))

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return [str(Path(p).with_suffix("")) for p in pages]


def chromium_path() -> str:
    names = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"]
    found = next((p for p in map(shutil.which, filter(None, names)) if p), None)
    if found is None:
        pytest.fail("no Chromium found: run 'make system-deps' (installs Debian's chromium)")
    return found


@pytest.fixture(scope="module")
def browser():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML / 'index.html'} is missing: run 'make book' first")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class PageVisit:
    """A page opened offline: console errors, uncaught errors and refused requests recorded."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.console_errors, self.outside_requests = [], []
        self.page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.route("**/*", self._only_files)
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def _only_files(self, route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.outside_requests.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def visits(browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    opened = {}
    for page in toc_pages():
        path = HTML / f"{page}.html"
        if path.is_file():
            visit = PageVisit(browser, path.as_uri())
            # MathJax typesets asynchronously; wait until it says it is done.
            visit.page.wait_for_function(
                "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise"
                " && MathJax.startup.promise.then(() => true))",
                timeout=20_000,
            )
            visit.page.screenshot(path=str(SHOTS / f"{page.replace('/', '_')}.png"), full_page=True)
            opened[page] = visit
    yield opened
    for visit in opened.values():
        visit.close()


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
    for page, visit in visits.items():
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
