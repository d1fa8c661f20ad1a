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
#: The released exercises: hidden tests in solutions/tests and a student notebook in exercises/.
EXERCISES = tuple(
    sorted(
        p.stem
        for p in (SOLUTIONS / "tests").glob("*.py")
        if (ROOT / "exercises" / f"{p.stem}.ipynb").exists()
    )
)


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


# --- a second machine view for the modes this one does not offer directly ---------------------

NOBODY = 65534  # an unprivileged uid that exists on every Debian-like system


def harness_problem() -> str | None:
    """Why :func:`run_in_harness` cannot run here (None: it can)."""
    import os
    import shutil

    if os.geteuid() != 0 or shutil.which("bwrap") is None:
        return "needs root and bwrap to build a view where other uids can run this Python"
    blocked = _blocked_ancestor()
    if blocked is not None and (ROOT == Path(blocked) or Path(blocked) in ROOT.parents):
        return f"the repository is inside {blocked}, which other users cannot enter"
    return None


def run_in_harness(script: str, *, user: int | None = None, binds=(), timeout: float = 600):
    """Run ``script`` with this venv's Python in a bwrap view (started as root) of this machine.

    The view is the host's file system with the folders on the way to the Python installation
    made crossable by other users (a pyenv under a 0700 /root otherwise keeps every other uid
    out), and ``binds`` (``(source, target)`` pairs) mounted over it. With ``user`` the script
    first drops to that uid, so it runs as a normal user would (e.g. non-root bubblewrap).

    Returns:
        The finished ``subprocess.CompletedProcess`` (text output).
    """
    import os
    import subprocess
    import sys

    prefix = os.path.realpath(sys.base_prefix)
    argv = ["bwrap", "--dev-bind", "/", "/", "--die-with-parent"]
    blocked = _blocked_ancestor()
    if blocked is not None:
        argv += ["--perms", "0755", "--tmpfs", blocked]
        for folder in reversed(Path(prefix).parents):
            if len(folder.parts) > len(Path(blocked).parts):
                argv += ["--perms", "0755", "--dir", str(folder)]
        argv += ["--ro-bind", prefix, prefix]
    for source, target in binds:
        argv += ["--bind", str(source), str(target)]
    if user is not None:
        script = (
            f"import os\nos.setgroups([])\nos.setresgid({user}, {user}, {user})\n"
            f"os.setresuid({user}, {user}, {user})\n" + script
        )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "LANG": "C.UTF-8"}
    python = str(ROOT / ".venv" / "bin" / "python")
    python = python if os.path.exists(python) else sys.executable
    argv += ["--", python, "-c", script]
    return subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _blocked_ancestor() -> str | None:
    """The first folder on the way to the Python installation that other users cannot cross."""
    import os
    import stat
    import sys

    prefix = Path(os.path.realpath(sys.base_prefix))
    for folder in [*reversed(prefix.parents), prefix]:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return str(folder)
    return None
