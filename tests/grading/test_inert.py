"""Spreadsheet cells: formulas are neutralised, and nothing else is changed."""

import pytest

from course_rnn.grading.inert import spreadsheet_cell


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2", "@cmd", "  =x"])
def test_a_formula_start_is_prefixed(value):
    assert spreadsheet_cell(value).startswith("'")


@pytest.mark.parametrize("value", ["", "   ", "alice", "0.5", "bptt: 3/4"])
def test_plain_and_empty_cells_are_left_alone(value):
    assert spreadsheet_cell(value) == value
