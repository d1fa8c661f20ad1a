"""Reading notebooks that may be broken, and the solution regions of instructor notebooks.

The grader reads student notebooks with :func:`read_code_cells`, which never raises on bad
input: a missing file, something that is not a regular file, a file too large (checked before a
byte is read, so a sparse 40 GiB file costs nothing), too many code cells, a file that is not
UTF-8, not JSON (nested too deeply, numbers too long) or not a notebook each come back as one
readable :class:`NotebookError`. IPython syntax (``%magic``, ``!shell``, cell magics) is
neutralised by the sandbox worker's own handler, once, here: a ``%%time`` cell runs its body.

Instructor notebooks mark reference solutions with nbgrader's markers, ``### BEGIN SOLUTION`` and
``### END SOLUTION``; :func:`stub_solutions` replaces each region with a stub that raises
``NotImplementedError``, keeping the region's indentation.
"""

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from course_rnn.grading.inert import display_name
from course_rnn.grading.sandbox.worker import neutralise_magics

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ("# YOUR CODE HERE", 'raise NotImplementedError("replace this line with your code")')
MARKDOWN_STUB = ("*Your answer here.*",)
MAX_NOTEBOOK_BYTES = 20_000_000
MAX_CODE_CELLS = 1000  # an honest notebook has tens; each cell costs grading time


class NotebookError(ValueError):
    """A notebook cannot be read; the message says why in words a student understands."""


@dataclass(frozen=True)
class CodeCell:
    """One code cell of a notebook: its position among all cells, and its Python source."""

    index: int  # position among all cells (0-based), for messages
    source: str


def read_code_cells(path: Path) -> list[CodeCell]:
    """The code cells of the notebook at ``path``, as plain Python.

    Args:
        path: a ``.ipynb`` file (nbformat 4, or 3 with worksheets)

    Returns:
        The code cells in order; empty cells included.

    Raises:
        NotebookError: the file is missing, too large, not UTF-8, not JSON or not a notebook.
    """
    name = display_name(Path(path).name)
    raw = _read_bounded(Path(path), name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise NotebookError(
            f"{name} is not UTF-8 text (bad byte at offset {err.start}): save it again from Jupyter"
        ) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookError(
            f"{name} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}): "
            "it may be truncated or edited outside Jupyter"
        ) from err
    except RecursionError as err:
        raise NotebookError(
            f"{name} is JSON nested too deeply to be a notebook: save it again from Jupyter"
        ) from err
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise NotebookError(f"{name} holds JSON that Python refuses to read ({err})") from err
    sources = _code_sources(data, name)
    if len(sources) > MAX_CODE_CELLS:
        raise NotebookError(
            f"{name} has {len(sources):,} code cells; the limit is {MAX_CODE_CELLS:,}: "
            "delete the scratch cells"
        )
    return [CodeCell(i, python_source(src)) for i, src in sources]


def _read_bounded(path: Path, name: str) -> bytes:
    """The bytes of a regular file of at most MAX_NOTEBOOK_BYTES, checked before reading.

    The file is opened without following a link and without blocking (a FIFO), then its type
    and size are read from the open descriptor, so what is checked is what is read.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise NotebookError(f"{name} cannot be read: {err.strerror or err}") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotebookError(f"{name} is not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(
                f"{name} is {info.st_size:,} bytes; the limit is {MAX_NOTEBOOK_BYTES:,}"
            )
        with os.fdopen(os.dup(fd), "rb") as f:
            raw = f.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as err:
        raise NotebookError(f"{name} cannot be read: {err.strerror or err}") from err
    finally:
        os.close(fd)
    if len(raw) > MAX_NOTEBOOK_BYTES:  # it grew after the check
        raise NotebookError(f"{name} is larger than the limit of {MAX_NOTEBOOK_BYTES:,} bytes")
    return raw


def _code_sources(data, name: str) -> list[tuple[int, str]]:
    """(index, source) of each code cell in nbformat 4 or 3 JSON."""
    if not isinstance(data, dict):
        raise NotebookError(f"{name} is JSON but not a notebook (no cells)")
    cells = data.get("cells")
    if cells is None and isinstance(data.get("worksheets"), list):  # nbformat 3
        cells = [
            c for ws in data["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])
        ]
    if not isinstance(cells, list):
        raise NotebookError(f"{name} is JSON but not a notebook (no cells)")
    found = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        found.append((i, source if isinstance(source, str) else ""))
    return found


def python_source(source: str) -> str:
    """The cell as plain Python: the sandbox worker's magic handler (one, applied once).

    ``%magic`` and ``!shell`` lines become ``pass``; a cell magic whose body is Python
    (``%%time``, ``%%capture``...) loses only its first line; any other cell magic (``%%bash``)
    makes the cell a no-op.
    """
    return neutralise_magics(source)


def stub_solutions(source: str, stub: tuple[str, ...] = CODE_STUB) -> tuple[str, int]:
    """Replace every solution region with a stub (by default one raising NotImplementedError).

    Args:
        source: a cell's source
        stub:   the lines that replace a region, indented like its BEGIN marker

    Returns:
        (the new source, the number of regions replaced)

    Raises:
        ValueError: a region is opened and not closed, or closed without being opened.
    """
    out, inside, regions = [], False, 0
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"line {number}: {BEGIN} inside another solution region")
            inside, regions = True, regions + 1
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}{line}" for line in stub]
        elif marker == END:
            if not inside:
                raise ValueError(f"line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN} without {END}")
    return "\n".join(out), regions


def stubbed_functions(source: str) -> list[str]:
    """Names of the functions whose body holds a solution region (``def name(`` above it)."""
    names, current = [], None
    for line in source.splitlines():
        if m := re.match(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", line):
            current = m.group(1)
        if line.strip() == BEGIN and current and current not in names:
            names.append(current)
    return names
