"""``course-rnn release``: write the student notebooks of exercises/ from the instructor notebooks.

For every ``solutions/<exercise>.ipynb``: each solution region becomes a stub raising
``NotImplementedError`` (indentation, signature and docstring kept); cells with a stub, and cells
that call a stubbed function, are tagged ``raises-exception`` (so nbval and "Run All" carry on past
them); outputs and execution counts are cleared; cells tagged ``instructor`` and all metadata but
the tags and the kernel are dropped. The hidden tests (solutions/tests/) are never copied.

The output is a pure function of the input, so a test can regenerate it in memory and compare
(:func:`stale_exercises`). Files are written atomically (temporary file, then ``os.replace``).
"""

import re
from pathlib import Path

import nbformat

from course_rnn.grading.files import atomic_write_text
from course_rnn.grading.notebook import (
    BEGIN,
    CODE_STUB,
    MARKDOWN_STUB,
    stub_solutions,
    stubbed_functions,
)

INSTRUCTOR_TAG = "instructor"  # cells only instructors see (removed on release)
RAISES = "raises-exception"
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")


def render_exercise(solution_path: Path) -> str:
    """The student notebook for one instructor notebook, as the text to write.

    Args:
        solution_path: ``solutions/<exercise>.ipynb``

    Returns:
        The notebook as nbformat 4 JSON text.

    Raises:
        ValueError: a solution region is malformed (the message names the notebook and cell).
    """
    nb = nbformat.read(solution_path, as_version=4)
    cells, stubbed = [], []
    for i, cell in enumerate(nb.cells):
        tags = list(cell.metadata.get("tags", []))
        if INSTRUCTOR_TAG in tags:
            continue
        source = cell.source
        if BEGIN in source:
            stubbed += stubbed_functions(source)
            stub = CODE_STUB if cell.cell_type == "code" else MARKDOWN_STUB
            try:
                source, _ = stub_solutions(source, stub)
            except ValueError as err:
                raise ValueError(f"{solution_path.name}, cell {i}: {err}") from err
        calls_stub = any(re.search(rf"\b{re.escape(n)}\b", source) for n in stubbed)
        if cell.cell_type == "code" and (calls_stub or BEGIN in cell.source) and RAISES not in tags:
            tags.append(RAISES)
        cells.append(_clean_cell(cell, source, tags, cell.get("id") or f"cell-{i}"))
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {k: nb.metadata[k] for k in _KEPT_NOTEBOOK_METADATA if k in nb.metadata}
    return nbformat.writes(out) + "\n"


def _clean_cell(cell, source: str, tags: list[str], cell_id: str):
    """A fresh cell with the source, the tags and a stable id: no outputs or other metadata."""
    if cell.cell_type == "code":
        new = nbformat.v4.new_code_cell(source)
    elif cell.cell_type == "markdown":
        new = nbformat.v4.new_markdown_cell(source)
    else:
        new = nbformat.v4.new_raw_cell(source)
    new["id"] = cell_id  # the instructor cell's id: releases are reproducible
    if tags:
        new.metadata["tags"] = tags
    return new


def exercise_names(solutions: Path) -> list[str]:
    """The exercises: every ``*.ipynb`` directly in ``solutions`` (by stem)."""
    return sorted(p.stem for p in Path(solutions).glob("*.ipynb"))


def release(solutions: Path, out: Path) -> list[Path]:
    """Write ``out/<exercise>.ipynb`` for every instructor notebook; return the paths written.

    Raises:
        ValueError: ``solutions`` holds no notebook, or a solution region is malformed.
    """
    names = exercise_names(solutions)
    if not names:
        raise ValueError(f"release: no notebooks in {solutions}")
    texts = {name: render_exercise(Path(solutions) / f"{name}.ipynb") for name in names}
    Path(out).mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        written.append(atomic_write_text(Path(out) / f"{name}.ipynb", text))
    return written


def stale_exercises(solutions: Path, out: Path) -> list[str]:
    """Exercise notebooks in ``out`` that differ from a fresh release (or are missing/extra)."""
    names = exercise_names(solutions)
    stale = [
        f"{name}.ipynb"
        for name in names
        if not (Path(out) / f"{name}.ipynb").is_file()
        or (Path(out) / f"{name}.ipynb").read_text(encoding="utf-8")
        != render_exercise(Path(solutions) / f"{name}.ipynb")
    ]
    extra = [p.name for p in Path(out).glob("*.ipynb") if p.stem not in names]
    return sorted(stale + extra)
