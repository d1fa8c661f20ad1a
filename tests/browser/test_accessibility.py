"""Accessibility of every page of the built book: an axe-core audit, and alt text on every image.

axe-core (Deque's accessibility engine, pinned in package-lock.json, installed by ``make
browser`` with ``npm ci``; nothing is downloaded here) is injected into each page once its maths
is typeset, and runs its default rules (WCAG 2 A and AA, and best practices). A violation of
impact "serious" or "critical" fails the test; every violation of every impact is written to
``_build/accessibility.json`` for people to look at. No rule is turned off. What the audit found
in the theme's markup is fixed in ``_static/accessibility.js`` and ``_static/accessibility.css``.
"""

import json

import pytest
from built_book import ROOT, toc_pages

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPORT = ROOT / "_build" / "accessibility.json"
FAILING_IMPACTS = ("serious", "critical")
#: preload: false, because axe would fetch the stylesheets again with XMLHttpRequest, which
#: Chromium refuses for file:// pages (console errors); the rules all run on the live DOM.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"], preload: false});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" ")),
  }));
}"""


@pytest.fixture(scope="module")
def violations(visits):
    """page -> the violations axe reports there (every impact)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run 'make browser' (npm ci installs axe-core)")
    found = {}
    for page, visit in visits.items():
        visit.page.add_script_tag(path=str(AXE))
        found[page] = visit.page.evaluate(AXE_RUN)
    REPORT.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")
    return found


def test_axe_finds_no_serious_or_critical_violation(violations):
    failing = {
        page: [v for v in found if v["impact"] in FAILING_IMPACTS]
        for page, found in violations.items()
    }
    lines = [
        f"{page}: {v['impact']} {v['id']} ({v['help']}) on {len(v['nodes'])} element(s), "
        f"first {v['nodes'][0]}"
        for page, found in failing.items()
        for v in found
    ]
    assert not lines, "axe-core violations (all of them in _build/accessibility.json):\n" + (
        "\n".join(lines)
    )


def test_the_audit_ran_on_every_page(violations):
    assert set(violations) >= set(toc_pages())
    assert {"search", "genindex"} <= set(violations)


def test_every_image_has_a_non_empty_alt(visits):
    for page, visit in visits.items():
        missing = visit.page.eval_on_selector_all(
            "img",
            "els => els.filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src)",
        )
        assert not missing, f"{page}: images without alt text: {missing}"


def test_the_notebooks_alt_texts_reach_their_pages(visits):
    checked = 0
    for page in toc_pages():
        notebook = ROOT / f"{page}.ipynb"
        if not notebook.is_file() or page not in visits:
            continue
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        wanted = [
            alt
            for cell in cells
            if (alt := cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt"))
        ]
        shown = visits[page].page.eval_on_selector_all(
            "img", "els => els.map(i => i.getAttribute('alt'))"
        )
        assert [alt for alt in wanted if alt not in shown] == [], f"{page}: alt text not in HTML"
        checked += len(wanted)
    assert checked, "no figure with alt text in any chapter"
