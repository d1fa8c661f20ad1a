"""What a task's answer may legitimately share, and what it must not copy: per exercise, the
code handed out with it; per task, the package's source that holds its answer.

- **Handed out** (subtracted before any comparison): every code cell and every code span of the
  released student notebook (``solutions/<exercise>.ipynb`` as ``course-rnn release`` makes it: the
  stubs with their signatures and docstrings, the given lines, the demo cells), the task's
  signature as its spec declares it, and the formula-level hints the grader shows. Without the
  instructor notebook (the Gradescope bundle carries only ``solutions/tests``) the signatures and
  hints remain.
- **The package's answer**: the spec's reference callable and every function or class of
  ``course_rnn`` it reaches (``from course_rnn... import name`` in its body, or a name of its
  module), transitively, plus every package function named like the task and what it reaches.
  Found by reading the package's source files with ``ast`` (nothing is imported or run), so a new
  exercise is covered as soon as its spec's reference imports the package's function. The
  grader's own machinery (``course_rnn/grading`` outside ``specs``) is never an answer.

Book: "How to use this book" (exercises).
"""

import ast
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from course_rnn.grading import fingerprint
from course_rnn.grading.fingerprint import CodeError, all_kgrams, kgrams, normalise
from course_rnn.grading.notebook import python_source, stub_solutions

PACKAGE = Path(__file__).resolve().parents[1]  # course_rnn/
MAX_DEPTH = 4  # calls followed from the reference callable
MAX_FUNCTIONS = 60  # package functions per task, at most
INSTRUCTOR_TAG = "instructor"  # release.INSTRUCTOR_TAG: cells never handed out
_CODE_SPAN = re.compile(r"```[^\n]*\n(.*?)```|`([^`\n]+)`", re.DOTALL)


@dataclass(frozen=True)
class PackageCode:
    """The package's answer to one task: k-gram hash -> where it is, as (function, lines)."""

    where: dict[int, tuple[str, tuple[tuple[str, int], ...]]]  # hash -> (qualified name of the
    #  function, its token's (file, line)s), e.g. ("course_rnn.numpy_nn.rnn.rnn_step_forward",
    #  (("course_rnn/numpy_nn/rnn.py", 45), ...))
    functions: tuple[str, ...]  # every function compared with, for the report


# --- handed out -----------------------------------------------------------------------------------


def handed_out(solutions: Path, exercise: str, tasks) -> frozenset[int]:
    """Every k-gram hash of what the students of ``exercise`` were given.

    Args:
        solutions: the instructor folder (``<exercise>.ipynb`` is released in memory when there)
        exercise:  the exercise's name
        tasks:     its public Tasks (signatures and hints)
    """
    texts = []
    for task in tasks:
        texts.append(f"def {task.name}({', '.join(task.params)}):\n    pass\n")
        texts += [piece for output in task.outputs for piece in _pieces(output.hint)]
    notebook = Path(solutions) / f"{exercise}.ipynb"
    if notebook.is_file():
        texts += _released_code(notebook)
    found: set[int] = set()
    for text in texts:
        found |= all_kgrams(text)
    return frozenset(found)


def _released_code(notebook: Path) -> list[str]:
    """The code cells and the Markdown code spans and blocks of the instructor notebook with its
    solution regions stubbed and its instructor cells dropped: what ``course-rnn release`` hands
    out (done here without nbformat, whose import alone takes over a second)."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    texts = []
    for cell in cells:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if INSTRUCTOR_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        try:
            source, _ = stub_solutions(source)
        except ValueError:  # a malformed region: release refuses it; nothing of it is handed out
            continue
        if cell.get("cell_type") == "code":
            texts.append(python_source(source))  # magics as the student's cells have them
        elif cell.get("cell_type") == "markdown":
            for block, span in _CODE_SPAN.findall(source):
                texts += _pieces(block or span)
    return texts


def _pieces(text: str) -> list[str]:
    """Code within prose: the text itself and its clauses (a hint mixes formulas and words)."""
    return [text, *(p for p in re.split(r"[:;]\s+|,\s+(?=[a-z])|\.\s+", text) if p.strip())]


# --- the package's source -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Module:
    path: Path
    lines: list[str]
    defs: dict[str, ast.AST]  # top-level functions and classes
    imports: dict[str, tuple[str, str]]  # local name -> (module, name), course_rnn only


@functools.cache
def _modules() -> dict[str, _Module]:
    """Every module of the package except the grader's machinery, parsed once per process."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "grading" in parts and "specs" not in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        try:
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        defs = {
            node.name: node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        package = name if parts[-1] == "__init__" else name.rpartition(".")[0]
        found[name] = _Module(path, text.splitlines(), defs, _imports(tree.body, package))
    return found


def _imports(nodes, package: str) -> dict[str, tuple[str, str]]:
    """local name -> (module, name) of the ``from course_rnn... import`` statements in nodes."""
    found = {}
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            if module.startswith("course_rnn"):
                for alias in node.names:
                    found[alias.asname or alias.name] = (module, alias.name)
    return found


def _resolve(module: str, name: str, hops: int = 3) -> tuple[str, str] | None:
    """(module, name) where ``name`` is defined, following re-exports; None outside the index."""
    mod = _modules().get(module)
    if mod is None:
        return None
    if name in mod.defs:
        return module, name
    if name in mod.imports and hops:
        return _resolve(*mod.imports[name], hops - 1)
    return None


def _callees(module: str, name: str) -> list[tuple[str, str]]:
    """The package functions and classes that the definition ``module.name`` names."""
    mod = _modules()[module]
    node = mod.defs[name]
    local = _imports([n for n in ast.walk(node) if isinstance(n, ast.ImportFrom)], module)
    found = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id != name:
            target = local.get(sub.id) or (module, sub.id)
            hit = _resolve(*target)
            if hit is not None and hit not in found:
                found.append(hit)
    return found


@functools.cache
def package_code(task_name: str, reference_module: str, reference_name: str) -> PackageCode:
    """The package's source that answers a task (see the module docstring).

    Args:
        task_name:        the task's function name
        reference_module: ``task.reference.__module__``
        reference_name:   ``task.reference.__qualname__``
    """
    roots = [(reference_module, reference_name)]
    roots += [(m, task_name) for m, mod in sorted(_modules().items()) if task_name in mod.defs]
    seen: list[tuple[str, str]] = []
    frontier = [r for r in roots if _resolve(*r) is not None]
    for _ in range(MAX_DEPTH + 1):
        nxt = []
        for item in frontier:
            if item not in seen and len(seen) < MAX_FUNCTIONS:
                seen.append(item)
                nxt += _callees(*item)
        frontier = nxt
    where: dict = {}
    for module, name in seen:
        mod = _modules()[module]
        node = mod.defs[name]
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        text = "\n".join(mod.lines[first - 1 : node.end_lineno])
        path = mod.path.relative_to(PACKAGE.parent).as_posix()
        for h, lines in _kgram_lines(text).items():
            where.setdefault(h, (f"{module}.{name}", tuple((path, first + n - 1) for n in lines)))
    return PackageCode(where, tuple(f"{m}.{n}" for m, n in seen))


def _kgram_lines(text: str) -> dict[int, tuple[int, ...]]:
    """k-gram hash -> the lines of its tokens within ``text``; empty if it cannot be tokenized."""
    try:
        tokens = normalise(text)
    except CodeError:
        return {}
    found: dict[int, tuple[int, ...]] = {}
    k = fingerprint.K
    for i, h in enumerate(kgrams(tokens)):
        found.setdefault(h, tuple(sorted({line for _, line in tokens[i : i + k]})))
    return found
