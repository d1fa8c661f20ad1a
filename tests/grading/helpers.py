"""Building student submissions for the grading tests: from the instructor notebooks, mutated.

A "correct" submission is the instructor notebook itself (its solutions are the reference). A
mutant replaces one function's cell; a hostile submission inserts cells after the set-up cell.
"""

import json
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ("bptt", "hidden_state")


def solution_notebook(exercise: str):
    """The instructor notebook with outputs cleared (what a perfect student would submit)."""
    nb = nbformat.read(SOLUTIONS / f"{exercise}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def function_source(exercise: str, name: str) -> str:
    """The source of the cell that defines ``name`` in the instructor notebook."""
    for cell in solution_notebook(exercise).cells:
        if re.search(rf"^def {name}\(", cell.source, re.MULTILINE):
            return cell.source
    raise KeyError(f"{exercise}: no cell defines {name}")


def reference_functions(exercise: str) -> dict:
    """The instructor notebook's functions, defined in a fresh namespace (in this process)."""
    namespace: dict = {}
    for cell in solution_notebook(exercise).cells:
        if cell.cell_type == "code" and cell.source.lstrip().startswith(("import", "def")):
            exec(cell.source, namespace)
    return namespace


def mutate(exercise: str, replace: dict | None = None, insert: list | None = None):
    """An instructor notebook with function cells replaced and extra cells inserted.

    Args:
        exercise: the notebook's name
        replace:  function name -> the new source of the cell that defines it
        insert:   sources of code cells to put right after the set-up cell

    Returns:
        The nbformat notebook.
    """
    nb = solution_notebook(exercise)
    for name, source in (replace or {}).items():
        cells = [c for c in nb.cells if re.search(rf"^def {name}\(", c.source, re.MULTILINE)]
        if not cells:
            raise KeyError(f"{exercise}: no cell defines {name}")
        cells[0].source = source
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    for k, source in enumerate(insert or []):
        nb.cells.insert(setup + 1 + k, nbformat.v4.new_code_cell(source))
    return nb


def write_student(root: Path, name: str, notebooks: dict) -> Path:
    """Write a student folder: exercise -> notebook (nbformat node, bytes or str)."""
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    for exercise, nb in notebooks.items():
        path = folder / f"{exercise}.ipynb"
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        elif isinstance(nb, str):
            path.write_text(nb, encoding="utf-8")
        else:
            path.write_text(nbformat.writes(nb), encoding="utf-8")
    return folder


def perfect(root: Path, name: str = "perfect") -> Path:
    """A student who submits the instructor notebooks."""
    return write_student(root, name, {e: solution_notebook(e) for e in EXERCISES})


def scores(out: Path, student: str) -> dict:
    """test id -> score, from the student's Gradescope results.json."""
    data = json.loads((Path(out) / "results" / student / "results.json").read_text())
    return {t["name"]: t["score"] for t in data["tests"]} | {"total": data["score"]}
