"""Every ``Book:`` pointer in the package's docstrings leads to something the book has.

A pointer names chapters by title, sections by heading and equations by label, for example::

    Book: "Backpropagation through time", section "Through the output layer".
    Book: "The hidden state", eq. (eq-rnn-batched); "Backpropagation through time".
    Book: chapter "Applications", sections "Tagging" and "Forecasting".

Each quoted name is a chapter (the first heading of a page listed in ``_toc.yml``), unless the
word "section(s)" comes before it or it stands in parentheses after a chapter, which makes it a
heading of the chapter named last; ``eq. (label)`` is an equation label of that chapter
(``eq. (rnn-batched)`` may leave out the ``eq-`` prefix). The book's front page (intro.md) is a
chapter too, and its headings may be named on their own ("How to use this book"). A chapter that
is only announced in intro.md as coming (``PLANNED``) may be named, with sections, before it is
written; once it is in ``_toc.yml`` its sections and labels are checked like every other.
Everything is read from the live files, so a renamed heading or label fails here until the
pointers follow.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "course_rnn"
#: Chapters that book/intro.md announces as coming, named as the pointers name them.
PLANNED: tuple[str, ...] = ()

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
LABEL = re.compile(
    r"^\$\$\s*\(([\w-]+)\)\s*$"  # a MyST numbered equation: $$ ... $$ (eq-label)
    r"|^\(([\w-]+)\)=\s*$"  # a MyST target: (label)=
    r"|^:label:\s*([\w-]+)\s*$",  # a directive's label
    re.MULTILINE,
)
TOKEN = re.compile(
    r'"(?P<name>[^"]+)"'
    r"|(?P<keyword>\bsections?\b|\bchapters?\b|\bappendix\b)"
    r"|eq\.\s*\((?P<label>[\w-]+)\)"
    r"|(?P<stop>[;)])"
    r"|(?P<open>\()"
)


def _plain(text: str) -> str:
    """A heading or name without Markdown emphasis or code marks, spaces collapsed, casefolded."""
    return " ".join(re.sub(r"[*_`]", "", text).split()).casefold()


class Page:
    """One page of the book: its title, its headings and its labels, read from the file."""

    def __init__(self, path: Path):
        self.path = path
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            text = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        else:
            text = path.read_text(encoding="utf-8")
        text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)  # no code blocks
        headings = [(len(h), _plain(t)) for h, t in HEADING.findall(text)]
        titles = [t for level, t in headings if level == 1]
        self.title = titles[0] if titles else ""
        self.headings = {t for _, t in headings}
        self.labels = {next(g for g in groups if g) for groups in LABEL.findall(text)}


def book_pages(root: Path = ROOT) -> tuple[Page, dict[str, Page]]:
    """The front page and {casefolded title: page} of every page in _toc.yml."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]
    pages = []
    for name in files:
        path = next(p for ext in (".ipynb", ".md") if (p := root / f"{name}{ext}").is_file())
        pages.append(Page(path))
    return pages[0], {p.title: p for p in pages}


def pointer_texts(source: str) -> list[tuple[int, str]]:
    """(line number, text) of every ``Book:`` pointer in a Python source file.

    A pointer runs from ``Book:`` to the end of its sentence (a full stop outside quotes followed
    by a capital letter or the end), a blank line, or the end of the docstring.
    """
    found = []
    for match in re.finditer(r"Book:", source):
        line = source.count("\n", 0, match.start()) + 1
        rest = source[match.end() :]
        rest = re.split(r'"""|\n\s*\n', rest, maxsplit=1)[0]
        rest = " ".join(rest.split())
        in_quote, end = False, len(rest)
        for i, char in enumerate(rest):
            if char == '"':
                in_quote = not in_quote
            elif char == "." and not in_quote and re.match(r"(\s+[A-Z]|\s*$)", rest[i + 1 :]):
                end = i
                break
        found.append((line, rest[:end].strip()))
    return found


def problems_of(text: str, front: Page, pages: dict[str, Page], planned=PLANNED) -> list[str]:
    """What in one pointer does not resolve (empty when everything does)."""
    planned = {_plain(p) for p in planned}
    found, chapter, mode, named = [], None, "chapter", 0
    text = re.sub(r"``.*?``", "", text)  # code such as ``cell="transformer"`` names nothing
    for token in TOKEN.finditer(text):
        if token["keyword"]:
            mode = "section" if token["keyword"].startswith("section") else "chapter"
        elif token["stop"]:
            mode = "chapter"
        elif token["open"]:
            mode = "section" if chapter is not None else mode  # "Chapter" (... "Heading" ...)
        elif token["label"]:
            label = token["label"]
            if chapter is None:
                found.append(f"eq. ({label}) names no chapter before it")
            elif isinstance(chapter, Page) and not chapter.labels & {label, f"eq-{label}"}:
                found.append(f'no equation label "{label}" in "{chapter.title}"')
        elif mode == "section":
            heading = _plain(token["name"])
            if chapter is None:
                found.append(f'section "{token["name"]}" names no chapter before it')
            elif isinstance(chapter, Page) and heading not in chapter.headings:
                found.append(f'no section "{token["name"]}" in "{chapter.title}"')
        else:
            name = _plain(token["name"])
            named += 1
            if name in pages:
                chapter = pages[name]
            elif name in planned:
                chapter = name  # announced, not written: its sections cannot be checked yet
            elif name in front.headings:
                chapter = front  # a section of the front page, named on its own
            else:
                chapter = "unknown"  # reported once; its sections are not reported again
                found.append(f'no chapter "{token["name"]}" in _toc.yml or the plan')
    if not named:
        found.append("names no chapter")
    return found


def all_pointers(package: Path = PACKAGE) -> list[tuple[str, int, str]]:
    return [
        (str(path.relative_to(ROOT)), line, text)
        for path in sorted(package.rglob("*.py"))
        for line, text in pointer_texts(path.read_text(encoding="utf-8"))
    ]


def test_every_book_pointer_resolves():
    front, pages = book_pages()
    pointers = all_pointers()
    assert len(pointers) > 50, "the pointer search found too little: is it looking in course_rnn?"
    failures = [
        f"{path}:{line}: {problem}    [Book: {text}]"
        for path, line, text in pointers
        for problem in problems_of(text, front, pages)
    ]
    assert failures == [], "unresolved Book: pointers:\n" + "\n".join(failures)


def test_planned_chapters_are_announced_in_the_introduction():
    intro = _plain((ROOT / "book" / "intro.md").read_text(encoding="utf-8"))
    missing = [title for title in PLANNED if _plain(title) not in intro]
    assert missing == [], f"book/intro.md does not announce {missing}"


def test_the_book_pages_are_read():
    front, pages = book_pages()
    bptt = pages["backpropagation through time"]
    assert front.path.name == "intro.md"
    assert "how to use this book" in front.headings
    assert "eq-bptt-recursion" in bptt.labels
    assert "truncated bptt" in bptt.headings


# --- the check can fail ----------------------------------------------------------------------


@pytest.fixture
def book():
    return book_pages()


@pytest.mark.parametrize(
    ("pointer", "problem"),
    [
        ('"Backpropagation through time", section "Backward through one step"', "no section"),
        ('"Backpropagation through time", eq. (rnn-cell)', "no equation label"),
        ('chapter "Training recurrent networks"', "no chapter"),
        ('"The hidden state"; section "Truncated BPTT"', "no section"),
        ('section "Truncated BPTT"', "names no chapter"),
        ("every chapter", "names no chapter"),
        ('"Backpropagation through time" (the step, "No such heading")', "no section"),
    ],
)
def test_a_wrong_pointer_is_reported(book, pointer, problem):
    found = problems_of(pointer, *book)
    assert any(problem in p for p in found), found


@pytest.mark.parametrize(
    "pointer",
    [
        '"Backpropagation through time", section "Truncated BPTT"',
        '"Backpropagation through time", eq. (bptt-recursion); "The hidden state"',
        'chapter "Backpropagation through time" (sections "Truncated BPTT" and '
        '"Checking a backward pass")',
        '"How to use this book" (turning the bar on and off)',
        '"Backpropagation through time" (the step, "Truncated BPTT", clipping)',
    ],
)
def test_a_right_pointer_passes(book, pointer):
    assert problems_of(pointer, *book) == []


def test_a_planned_chapter_may_be_named_before_it_is_written(book):
    pointer = '"Exercises in the wild", section "A section of a chapter not yet written"'
    assert problems_of(pointer, *book, planned=("Exercises in the wild",)) == []
    assert any("no chapter" in p for p in problems_of(pointer, *book, planned=()))


def test_pointer_texts_end_with_their_sentence():
    source = '''"""Doc.

    Book: "A", section "B. C". Reference: Someone (1990).
    """
    # Book: chapter "D",
    # eq. (e)
    '''
    texts = [text for _, text in pointer_texts(source)]
    assert texts[0] == '"A", section "B. C"'
    assert texts[1].startswith('chapter "D", # eq. (e)')
