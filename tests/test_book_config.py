"""The book's configuration keeps the decisions measured in CONTRIBUTING.md."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
REQUIRED_CITATIONS = {
    "Elman": "1990",
    "Werbos": "1990",
    "Bengio": "1994",
    "Hochreiter": "1997",
    "Schuster": "1997",
    "Gers": "2000",
    "Pascanu": "2013",
    "Cho": "2014",
    "Chung": "2014",
    "Jozefowicz": "2015",
    "Le": "2015",
    "Vaswani": "2017",
}


def test_book_shows_stored_outputs_and_builds_only_the_toc():
    assert CONFIG["execute"]["execute_notebooks"] == "off"
    assert CONFIG["only_build_toc_files"] is True
    # plain names: '**/.venv' would not match a top-level .venv
    assert {
        ".venv",
        "venv",
        "exercises",
        "solutions",
        "tests",
        "README.md",
        "_extra",
        "benchmarks",
    } <= set(CONFIG["exclude_patterns"])


def test_maths_is_served_offline_from_extra_path():
    sphinx = CONFIG["sphinx"]["config"]
    assert sphinx["html_extra_path"] == ["_extra"]
    assert not sphinx["mathjax_path"].startswith(("http", "//"))
    assert "_static" not in sphinx["mathjax_path"].replace("../", "")
    assert sphinx["bibtex_reference_style"] == "author_year"  # only honoured under sphinx.config


def test_every_toc_entry_exists():
    files = [TOC["root"]] + [c["file"] for c in TOC["chapters"]]
    for name in files:
        assert any((ROOT / f"{name}{ext}").is_file() for ext in (".md", ".ipynb")), name


def test_references_hold_the_papers_the_course_cites():
    bib = (ROOT / "references.bib").read_text()
    entries = re.findall(r"@\w+\{[^@]*", bib)
    for author, year in REQUIRED_CITATIONS.items():
        assert any(
            re.search(rf"author\s*=\s*\{{[^}}]*\b{author}\b", e) and f"{{{year}}}" in e
            for e in entries
        ), f"references.bib lacks {author} {year}"
