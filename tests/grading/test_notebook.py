"""Reading notebooks robustly, and the solution regions of instructor notebooks."""

import json
import os

import nbformat
import pytest

from course_rnn.grading import notebook
from course_rnn.grading.notebook import (
    NotebookError,
    python_source,
    read_code_cells,
    stub_solutions,
    stubbed_functions,
)


def write(tmp_path, data, name="hidden_state.ipynb"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_code_cells_are_read_with_their_positions(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("%matplotlib inline\ny = 2"),
    ]
    cells = read_code_cells(write(tmp_path, nbformat.writes(nb)))
    assert [(c.index, c.source) for c in cells] == [(1, "x = 1"), (2, "pass\ny = 2")]


def test_nbformat_3_worksheets_are_read(tmp_path):
    data = {"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": ["a = 1"]}]}]}
    assert read_code_cells(write(tmp_path, json.dumps(data)))[0].source == "a = 1"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b'{"cells": [', "is not valid JSON (line 1, column 12"),
        (b"\xff\xfe\x00garbage", "is not UTF-8 text (bad byte at offset 0)"),
        (b"[1, 2, 3]", "is JSON but not a notebook"),
        (b'{"cells": 5}', "is JSON but not a notebook"),
        (b"", "is not valid JSON"),
    ],
)
def test_broken_notebooks_raise_a_readable_problem(tmp_path, data, says):
    """Each way a notebook can be broken gives one sentence naming the file and the cause."""
    with pytest.raises(NotebookError) as info:
        read_code_cells(write(tmp_path, data))
    assert str(info.value).startswith("hidden_state.ipynb " + says)


def test_missing_notebook_is_a_problem(tmp_path):
    with pytest.raises(NotebookError, match="cannot be read"):
        read_code_cells(tmp_path / "nope.ipynb")


def test_odd_cells_are_skipped_not_fatal(tmp_path):
    data = {"cells": [7, {"cell_type": "code", "source": 3}, {"cell_type": "code"}]}
    assert [c.source for c in read_code_cells(write(tmp_path, json.dumps(data)))] == ["", ""]


def test_magics_are_neutralised_once_and_python_cell_magics_keep_their_body():
    assert python_source("%%time\nx = 1") == "pass\nx = 1"  # Jupyter runs the body
    assert python_source("%%capture\ndef f():\n    return 1") == "pass\ndef f():\n    return 1"
    assert python_source("%%bash\nrm -rf /") == "pass\n"  # not Python: not run
    assert python_source("if True:\n    !ls") == "if True:\n    pass\n"
    assert python_source(python_source("%%time\nx = 1")) == "pass\nx = 1"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, "is JSON nested too deeply to be a notebook"),
        ('{"cells": [], "n": ' + "9" * 5000 + "}", "holds JSON that Python refuses to read"),
    ],
)
def test_json_python_refuses_is_a_clear_problem(tmp_path, data, says):
    with pytest.raises(NotebookError, match=says):
        read_code_cells(write(tmp_path, data))


def test_too_many_code_cells_is_a_problem(tmp_path, monkeypatch):
    monkeypatch.setattr(notebook, "MAX_CODE_CELLS", 3)
    data = {"cells": [{"cell_type": "code", "source": "x = 1"}] * 4}
    with pytest.raises(NotebookError, match="has 4 code cells; the limit is 3"):
        read_code_cells(write(tmp_path, json.dumps(data)))


def test_sizes_are_checked_before_reading(tmp_path):
    path = write(tmp_path, b"")
    os.truncate(path, 40 << 30)  # sparse: a read would need 40 GiB
    with pytest.raises(NotebookError, match="is 42,949,672,960 bytes; the limit is 20,000,000"):
        read_code_cells(path)
    os.mkfifo(tmp_path / "fifo.ipynb")  # would block a plain open()
    with pytest.raises(NotebookError, match="is not a regular file"):
        read_code_cells(tmp_path / "fifo.ipynb")


def test_solution_region_becomes_an_indented_stub():
    source = (
        'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    )
    stubbed, regions = stub_solutions(source)
    assert regions == 1
    assert stubbed == (
        'def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n'
        '    raise NotImplementedError("replace this line with your code")'
    )
    assert stubbed_functions(source) == ["f"]


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("### BEGIN SOLUTION\nx = 1\n", "without ### END SOLUTION"),
        ("x = 1\n### END SOLUTION\n", "line 2: ### END SOLUTION without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "line 2: .* inside another"),
    ],
)
def test_malformed_regions_are_errors(source, match):
    with pytest.raises(ValueError, match=match):
        stub_solutions(source)
