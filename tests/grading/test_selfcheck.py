"""The student's ``check(...)``: the reference solutions pass, each mutant fails where intended."""

import numpy as np
import pytest
from helpers import EXERCISES, reference_functions
from mutants import MUTANTS

from course_rnn.grading import CheckResult, check
from course_rnn.grading.tasks import all_tasks, spec_tasks

TASKS = [(e, t.name) for e in EXERCISES for t in spec_tasks(e)]


@pytest.mark.parametrize(("exercise", "task"), TASKS, ids=[t for _, t in TASKS])
def test_reference_solution_passes_every_check(exercise, task):
    result = check(task, reference_functions(exercise)[task])
    assert result.passed, repr(result)
    assert repr(result).startswith(f"✓ {task}: all checks passed: signature, shapes")


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_fails_on_the_intended_check(mutant):
    namespace = reference_functions(mutant.exercise)
    exec(mutant.source, namespace)
    result = check(mutant.function, namespace[mutant.function])
    assert not result
    assert result.stage == mutant.stage, repr(result)
    assert mutant.says in result.message, repr(result)


def test_stub_says_not_implemented():
    def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
        raise NotImplementedError("replace this line with your code")

    result = check("rnn_forward", rnn_forward)
    assert repr(result) == (
        "✗ rnn_forward (shapes): rnn_forward is not implemented yet "
        "(it raises NotImplementedError)."
    )


def test_wrong_count_of_outputs_is_named():
    def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
        return np.zeros((4, 2, 5))

    result = check("rnn_forward", rnn_forward)
    assert result.stage == "shapes"
    assert "rnn_forward returned a ndarray; expected a tuple (h, h_n)" in result.message


def test_nan_output_is_reported_with_its_position():
    def softmax_with_temperature(logits, temperature):
        return np.full(logits.shape, np.nan)

    result = check("softmax_with_temperature", softmax_with_temperature)
    assert result.stage == "shapes"
    assert "probs has 10 NaN or infinite entries (first at [0, 0])" in result.message


def test_a_list_instead_of_an_array_is_named():
    def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        return [[0.0] * 4] * 3

    result = check("rnn_step_forward", rnn_step_forward)
    assert "h_t is a list; expected a NumPy array of shape (B, H) = (3, 4)" in result.message


def test_not_a_function_fails_the_signature_check():
    result = check("rnn_step_forward", 42)
    assert (result.stage, result.message) == (
        "signature",
        "rnn_step_forward is a int, not a function",
    )


def test_extra_parameters_with_defaults_are_accepted():
    namespace = reference_functions("bptt")

    def numerical_gradient(f, x, dout, h=1e-5, *, verbose=False):
        return namespace["numerical_gradient"](f, x, dout, h)

    assert check("numerical_gradient", numerical_gradient)


def test_unknown_task_is_an_error_listing_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown task 'rnn_step'; expected one of \["):
        check("rnn_step", print)


def test_check_result_is_truthy_only_when_passed():
    assert CheckResult("t", True, "", "ok")
    assert not CheckResult("t", False, "values", "no")


def test_task_names_are_unique_across_exercises():
    assert set(all_tasks()) == {t for _, t in TASKS}
