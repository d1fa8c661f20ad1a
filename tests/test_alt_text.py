"""Every figure in the book and the instructor notebooks carries alt text for screen readers.

The text sits in the figure cell's metadata, where myst-nb reads image options
(``{"mystnb": {"image": {"alt": "..."}}}``): one description per cell, so one figure per cell.
The browser test checks that it reaches the HTML (tests/browser).
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*ROOT.glob("book/*.ipynb"), *ROOT.glob("solutions/*.ipynb")])
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
#: A specific description (what is plotted, the axes, the finding) needs a sentence or two;
#: past a paragraph a screen reader's user loses the thread.
MIN_ALT, MAX_ALT = 60, 600


def alt_text(cell: dict):
    """The cell's alt text as myst-nb reads it, or None."""
    return cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")


def figure_cells(path: Path) -> list[tuple[str, dict, int]]:
    """(cell label, cell, number of image outputs) for each code cell with an image output."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for index, cell in enumerate(cells):
        images = sum(
            any(kind in output.get("data", {}) for kind in IMAGE_TYPES)
            for output in cell.get("outputs", [])
        )
        if cell["cell_type"] == "code" and images:
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            found.append((f"{shown} cell {index} ({cell.get('id')})", cell, images))
    return found


def figure_problems(path: Path) -> list[str]:
    """What is wrong with the alt text of one notebook's figures (empty when nothing)."""
    problems = []
    for label, cell, images in figure_cells(path):
        alt = alt_text(cell)
        if images > 1:
            problems.append(f"{label}: {images} figures in one cell; draw one figure per cell")
        if not isinstance(alt, str) or not alt.strip():
            problems.append(f'{label}: no alt text (metadata "mystnb": {{"image": {{"alt"}}}})')
        elif not MIN_ALT <= len(alt) <= MAX_ALT:
            problems.append(f"{label}: alt text of {len(alt)} characters, not {MIN_ALT}-{MAX_ALT}")
        elif alt.lstrip().startswith("<Figure"):
            problems.append(f"{label}: the alt text is matplotlib's repr, not a description")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_every_figure_has_alt_text(path):
    assert figure_problems(path) == []


def test_no_two_figures_share_a_description():
    seen: dict[str, str] = {}
    for path in NOTEBOOKS:
        for label, cell, _ in figure_cells(path):
            alt = alt_text(cell)
            if isinstance(alt, str) and alt.strip():
                assert alt not in seen, f"{label} repeats the alt text of {seen[alt]}"
                seen[alt] = label
    assert seen, "no figure with alt text found: did the notebooks move?"


def test_the_check_fails_on_a_figure_without_alt_text(tmp_path):
    cell = {
        "cell_type": "code",
        "id": "fig",
        "metadata": {},
        "outputs": [{"output_type": "display_data", "data": {"image/png": "iVBOR"}}],
        "source": "plt.show()",
    }
    path = tmp_path / "nb.ipynb"

    def problems(**metadata):
        path.write_text(json.dumps({"cells": [{**cell, "metadata": metadata}]}))
        return figure_problems(path)

    assert "no alt text" in problems()[0]
    assert "no alt text" in problems(mystnb={"image": {"alt": "  "}})[0]
    assert "alt text of 5 characters" in problems(mystnb={"image": {"alt": "chart"}})[0]
    described = {"image": {"alt": "Line plot of the loss against the step, falling from 4 to 2."}}
    assert problems(mystnb=described) == []
