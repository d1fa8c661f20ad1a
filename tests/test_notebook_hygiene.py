"""Every committed notebook is clean: executed in order, no errors, no machine paths, small outputs.

nbval proves that stored outputs reproduce; these checks catch what nbval cannot see: a notebook
edited but never re-executed, an error left in the book, a path from the author's machine, a
missing set-up cell, or a bloated output. Each rule has a test that shows it can fail.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED_FOLDERS = ["book", "solutions"]  # must carry outputs (nbval compares them)
CLEAN_FOLDERS = ["exercises"]  # handed to students: may be unexecuted
MACHINE_PATH = re.compile(r"(/work/|/home/\w|/root/|/Users/\w|[A-Z]:\\\\Users|site-packages|/tmp/)")
MAX_NOTEBOOK_OUTPUT_BYTES = 1_500_000
MAX_TEXT_OUTPUT_CHARS = 20_000
SETUP_CALL = "seed_everything("
TORCH_IMPORT = re.compile(r"^\s*(import torch|from torch\b)", re.MULTILINE)
INSTALL_CELL_ID = "install-course-rnn"  # written by tools/install_cell.py, before the set-up cell


def all_notebooks(folders):
    return sorted(
        p for f in folders for p in (ROOT / f).rglob("*.ipynb") if "_build" not in p.parts
    )


def output_text(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join([output.ename, output.evalue, *output.traceback])
    data = output.get("data", {})
    return "\n".join(str(v) for k, v in data.items() if not k.startswith("image/"))


def problems(nb, *, executed: bool) -> list[str]:
    """Every rule the notebook breaks, as readable lines (empty when clean)."""
    found = []
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    install = code[0] if code and code[0].get("id") == INSTALL_CELL_ID else None
    if install:  # the generated install cell comes first; the rules below are about the others
        code = code[1:]
    start = (install.execution_count or 0) + 1 if install else 1
    if not code or SETUP_CALL not in code[0].source:
        found.append(f"first code cell must call {SETUP_CALL}...)")
    uses_torch = any(TORCH_IMPORT.search(c.source) for c in code)
    if code and uses_torch and "torch.set_num_threads(1)" not in code[0].source:
        found.append("first code cell must call torch.set_num_threads(1) (the notebook uses torch)")
    counts = [c.execution_count for c in code]
    expected = list(range(start, start + len(code)))
    if executed and counts != expected:
        found.append(
            f"execution counts {counts} are not {start}..{start + len(code) - 1}: "
            "re-run `make notebooks`"
        )
    if not executed and any(counts) and counts != expected:
        found.append(f"execution counts {counts} are out of order")
    size = 0
    for i, cell in enumerate(nb.cells):
        if "execution" in cell.metadata:
            found.append(
                f"cell {i}: per-cell timing metadata (execute with tools/execute_notebooks.py)"
            )
        for out in cell.get("outputs", []):
            text = output_text(out)
            size += len(nbformat.writes(nbformat.from_dict({"o": out})))
            tags = cell.metadata.get("tags", [])
            if out.output_type == "error" and "raises-exception" not in tags:
                found.append(f"cell {i}: stored error {out.ename} without the raises-exception tag")
            if match := MACHINE_PATH.search(text):
                found.append(f"cell {i}: machine path {match.group(0)!r} in an output")
            if len(text) > MAX_TEXT_OUTPUT_CHARS:
                found.append(
                    f"cell {i}: output of {len(text):,} characters (max {MAX_TEXT_OUTPUT_CHARS:,})"
                )
    if size > MAX_NOTEBOOK_OUTPUT_BYTES:
        found.append(f"outputs total {size:,} bytes (max {MAX_NOTEBOOK_OUTPUT_BYTES:,})")
    return found


CASES = [(p, True) for p in all_notebooks(EXECUTED_FOLDERS)]
CASES += [(p, False) for p in all_notebooks(CLEAN_FOLDERS)]


@pytest.mark.parametrize(
    ("path", "executed"), CASES, ids=[str(p.relative_to(ROOT)) for p, _ in CASES]
)
def test_notebook_is_clean(path, executed):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert problems(nb, executed=executed) == []


def test_the_book_has_notebooks():
    assert all_notebooks(["book"]), "no notebooks under book/: is the hygiene check looking there?"


# --- the checks can fail --------------------------------------------------------------------------
SETUP = "import torch\nfrom course_rnn import seed_everything\nseed_everything(0)\n"
SETUP += "torch.set_num_threads(1)"


def make_notebook(*sources, outputs=None, counts=None, tags=None):
    nb = nbformat.v4.new_notebook()
    for i, src in enumerate(sources):
        cell = nbformat.v4.new_code_cell(src)
        cell.execution_count = (counts or list(range(1, len(sources) + 1)))[i]
        cell.outputs = (outputs or {}).get(i, [])
        cell.metadata["tags"] = (tags or {}).get(i, [])
        nb.cells.append(cell)
    return nb


def stdout(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_clean_notebook_passes():
    assert (
        problems(make_notebook(SETUP, "print(1)", outputs={1: [stdout("1\n")]}), executed=True)
        == []
    )


def test_missing_setup_cell_is_reported():
    assert "first code cell" in problems(make_notebook("import numpy", SETUP), executed=True)[0]


def test_torch_notebook_must_fix_threads_in_first_cell():
    no_threads = "from course_rnn import seed_everything\nseed_everything(0)"
    found = problems(make_notebook(no_threads, "import torch"), executed=True)
    assert any("torch.set_num_threads(1)" in p for p in found)
    assert problems(make_notebook(no_threads, "import numpy"), executed=True) == []


def test_install_cell_may_come_before_the_setup_cell():
    for counts in ([None, 1, 2], [1, 2, 3]):  # as tools/install_cell.py writes it; as executed
        nb = make_notebook("%pip install x", SETUP, "a = 1", counts=counts)
        nb.cells[0]["id"] = INSTALL_CELL_ID
        assert problems(nb, executed=True) == []
    nb = make_notebook("%pip install x", "import numpy", SETUP)
    nb.cells[0]["id"] = INSTALL_CELL_ID
    assert "first code cell" in problems(nb, executed=True)[0]
    nb = make_notebook("%pip install x", SETUP, "a = 1", counts=[1, 1, 2])
    nb.cells[0]["id"] = INSTALL_CELL_ID
    assert any("execution counts [1, 2]" in p for p in problems(nb, executed=True))


def test_out_of_order_execution_is_reported():
    found = problems(make_notebook(SETUP, "a = 1", counts=[1, 5]), executed=True)
    assert any("execution counts [1, 5]" in p for p in found)
    found = problems(make_notebook(SETUP, "a = 1", counts=[None, None]), executed=True)
    assert any("re-run" in p for p in found)


def test_unexecuted_student_notebook_passes():
    assert problems(make_notebook(SETUP, "a = 1", counts=[None, None]), executed=False) == []


def test_stored_error_needs_raises_exception_tag():
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[])
    nb = make_notebook(SETUP, "raise ValueError('bad')", outputs={1: [error]})
    assert any("stored error ValueError" in p for p in problems(nb, executed=True))
    nb.cells[1].metadata["tags"] = ["raises-exception"]
    assert problems(nb, executed=True) == []


@pytest.mark.parametrize("path", ["/work/main/x.py", "/home/ana/x", "/tmp/abc", "C:\\\\Users\\\\x"])
def test_machine_path_is_reported(path):
    nb = make_notebook(SETUP, "print(p)", outputs={1: [stdout(f"see {path}\n")]})
    assert any("machine path" in p for p in problems(nb, executed=True))


def test_oversized_outputs_are_reported():
    nb = make_notebook(SETUP, "print('x' * 30000)", outputs={1: [stdout("x" * 30_000)]})
    assert any("30,000 characters" in p for p in problems(nb, executed=True))
    image = nbformat.v4.new_output("display_data", data={"image/png": "A" * 1_600_000})
    nb = make_notebook(SETUP, "plot()", outputs={1: [image]})
    assert any("outputs total" in p for p in problems(nb, executed=True))


def test_timing_metadata_is_reported():
    nb = make_notebook(SETUP)
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    assert any("timing metadata" in p for p in problems(nb, executed=True))
