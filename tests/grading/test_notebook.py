"""Reading notebooks robustly, and the solution regions of instructor notebooks."""

import json

import nbformat
import pytest

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
    assert [(c.index, c.source) for c in cells] == [
        (1, "x = 1"),
        (2, "pass  # %matplotlib inline\ny = 2"),
    ]


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


def test_cell_magics_and_shell_lines_become_comments():
    assert python_source("%%time\nx = 1") == "# %%time\n# x = 1"
    assert python_source("if True:\n    !ls") == "if True:\n    pass  # !ls"


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
