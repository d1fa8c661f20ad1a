"""The built book as the browser tests see it: where it is, its pages, and a page opened offline.

Every page is opened from disk (``file://``) in headless Chromium with every other request
refused, as a reader without network would see it.
"""

import os
import shutil
from pathlib import Path

import pytest
import yaml

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
#: Folders of _build/html that hold assets, not pages.
ASSET_FOLDERS = ("_static", "_sources", "_images", "mathjax")


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


def built_pages() -> list[str]:
    """Every HTML page of the built book (chapters, search, index...), as paths without suffix."""
    pages = [
        p.relative_to(HTML).with_suffix("").as_posix()
        for p in HTML.rglob("*.html")
        if not set(p.relative_to(HTML).parts) & set(ASSET_FOLDERS)
    ]
    return sorted(pages)


def chromium_path() -> str:
    names = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"]
    found = next((p for p in map(shutil.which, filter(None, names)) if p), None)
    if found is None:
        pytest.fail("no Chromium found: run 'make system-deps' (installs Debian's chromium)")
    return found


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

    def wait_for_maths(self) -> None:
        """MathJax typesets asynchronously; wait until it says it is done."""
        self.page.wait_for_function(
            "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise"
            " && MathJax.startup.promise.then(() => true))",
            timeout=20_000,
        )

    def close(self):
        self.context.close()
