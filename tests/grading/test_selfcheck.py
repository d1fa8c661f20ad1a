"""The student's ``check(...)``: the reference solutions pass, each mutant fails where intended,
and the messages diagnose first, name the failing line in shapes, and warn about course_rnn."""

import linecache
import textwrap

import numpy as np
import pytest
from helpers import EXERCISES, reference_functions
from mutants import MUTANTS

from course_rnn.grading import CheckResult, check, selfcheck
from course_rnn.grading.tasks import all_tasks, spec_tasks

TASKS = [(e, t.name) for e in EXERCISES for t in spec_tasks(e)]


@pytest.fixture(autouse=True)
def fresh_session():
    """Every test starts as a new kernel would: no failures seen yet (hints come later)."""
    selfcheck._FAILURES.clear()
    yield
    selfcheck._FAILURES.clear()


def student_cell(source: str, filename: str = "/tmp/ipykernel_1/2.py") -> dict:
    """Define functions as a notebook cell does: compiled under a name linecache can serve."""
    source = textwrap.dedent(source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


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
    assert "Hint:" not in result.message  # the first failure diagnoses; no formula yet


def test_every_task_has_at_least_two_mutants():
    counts = {t: sum(m.function == t for m in MUTANTS) for _, t in TASKS}
    assert {t: n for t, n in counts.items() if n < 2} == {}


def test_the_hint_comes_with_the_second_failure_of_the_same_check():
    def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T)  # b_hh forgotten

    first = check("rnn_step_forward", rnn_step_forward)
    second = check("rnn_step_forward", rnn_step_forward)
    assert (first.stage, second.stage) == ("values", "values")
    assert "Hint:" not in first.message
    assert "If this check fails again, it will show a hint" in first.message
    assert second.message.endswith("both biases added.")
    assert "Hint: h_t = tanh(" in second.message
    # another task's failures do not count for this one
    other = check("rnn_forward", lambda x, h0, W_ih, W_hh, b_ih, b_hh: (x, h0))
    assert "Hint:" not in other.message


def test_an_exception_names_the_line_and_the_operands_in_shapes():
    ns = student_cell(
        """
        def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
            a = x_t @ W_ih + b_ih + h_prev @ W_hh.T + b_hh
            return np.tanh(a)
        """
    )
    result = check("rnn_step_forward", ns["rnn_step_forward"])
    assert result.stage == "shapes"
    assert result.message == (
        "rnn_step_forward raised ValueError: x_t @ W_ih is (B, D) = (3, 2) @ (H, D) = (4, 2): "
        "inner dimensions 2 and 4 differ (A @ B needs the last axis of A to match the first "
        "axis of a matrix B). In rnn_step_forward, line 3 of its cell: "
        "`a = x_t @ W_ih + b_ih + h_prev @ W_hh.T + b_hh`."
    )


def test_a_broadcast_error_names_both_operands():
    ns = student_cell(
        """
        def temporal_affine_forward(h, W_hy, b_y):
            o = h @ W_hy.T
            return o + b_y[:, None]
        """
    )
    message = check("temporal_affine_forward", ns["temporal_affine_forward"]).message
    assert "shapes o (T, B, V) = (3, 2, 5) and b_y[:, None] (5, 1) do not broadcast" in message
    assert "In temporal_affine_forward, line 4 of its cell: `return o + b_y[:, None]`" in message


def test_an_error_inside_a_helper_names_the_helper_line():
    ns = student_cell(
        """
        def scores(h, W):
            return h @ W

        def temporal_affine_forward(h, W_hy, b_y):
            return scores(h, W_hy) + b_y
        """
    )
    message = check("temporal_affine_forward", ns["temporal_affine_forward"]).message
    assert "h @ W is (T, B, H) = (3, 2, 4) @ (V, H) = (5, 4)" in message
    assert "In scores, line 3 of its cell" in message


@pytest.mark.parametrize(
    ("fail", "says"),
    [
        (
            lambda: np.ones((3, 2)) @ np.ones((4, 4)),
            "matmul: inner dimensions 2 and 4 differ (A @ B needs the last axis of A",
        ),
        (
            lambda: np.ones((3, 4)) + np.ones((2, 4)),
            "shapes (3, 4) and (2, 4) do not broadcast: axis 0 has 3 against 2, and neither is 1",
        ),
        (
            lambda: np.ones((2, 3, 4)) * np.ones((5, 1)),
            "shapes (2, 3, 4) and (5, 1) do not broadcast: axis -2 has 3 against 5",
        ),
        (lambda: np.ones((3, 2)).dot(np.ones((4, 4))), "dot: (3, 2) · (4, 4): inner dimensions"),
        (
            lambda: np.ones(3)[np.array([5])],
            "index 5 is out of range on axis 0, whose length is 3 (valid indices: 0 .. 2)",
        ),
        (lambda: np.ones(3)[np.ones(2)], "an array used as an index must hold integers"),
        (lambda: np.ones(6).reshape(4, 2), "reshape: 6 entries cannot be laid out as (4, 2)"),
    ],
)
def test_numpy_errors_are_restated_in_shapes_for_the_grader_too(fail, says):
    """The grader gets only the exception's text: the restatement needs no traceback."""
    from course_rnn.grading.compare import call_error

    with pytest.raises((ValueError, IndexError)) as info:
        fail()
    message = call_error(all_tasks()["rnn_forward"], f"{info.type.__name__}: {info.value}")
    assert message.startswith(f"rnn_forward raised {info.type.__name__}: ")
    assert says in message


def test_an_error_that_is_not_about_shapes_is_shown_as_it_is():
    from course_rnn.grading.compare import call_error

    message = call_error(all_tasks()["rnn_forward"], "KeyError: 'W_hy'")
    assert message == "rnn_forward raised KeyError: 'W_hy'"


def test_calling_the_course_reference_fails_with_a_warning():
    ns = student_cell(
        """
        def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
            from course_rnn.numpy_nn.rnn import rnn_step_forward as reference
            return reference(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)[0]
        """
    )
    result = check("rnn_step_forward", ns["rnn_step_forward"])
    assert (result.passed, result.stage) == (False, selfcheck.USES_COURSE_RNN)
    assert "calls course_rnn.numpy_nn.rnn.rnn_step_forward" in result.message
    assert "would earn 0 points" in result.message


def test_calling_the_reference_through_another_function_is_found_too():
    from course_rnn.numpy_nn.functional import softmax

    def softmax_with_temperature(logits, temperature):
        return softmax(logits / temperature, axis=-1)

    result = check("softmax_with_temperature", softmax_with_temperature)
    assert result.stage == selfcheck.USES_COURSE_RNN
    assert "course_rnn.numpy_nn.functional.softmax" in result.message


def test_the_names_a_graded_notebook_may_use_are_not_flagged():
    from course_rnn import check_shape

    def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        check_shape(x_t, "B D", name="x_t")
        return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)

    assert check("rnn_step_forward", rnn_step_forward)


def test_a_judged_task_reports_the_form_of_what_came_back():
    def train_char_model(tokens, V, steps, seed):
        shapes = {"E": (V, 2), "W_ih": (3, 2), "W_hh": (3, 3), "b_ih": (3,), "b_hh": (3,)}
        return {k: np.full(s, np.nan) for k, s in (shapes | {"W_hy": (V, 3), "b_y": (V,)}).items()}

    result = check("train_char_model", train_char_model)
    assert (result.stage, result.message) == ("shapes", 'params["E"] has NaN or infinite entries')

    def untrained(tokens, V, steps, seed):  # a uniform prediction: log2(16) = 4 bits
        shapes = {"E": (V, 2), "W_ih": (3, 2), "W_hh": (3, 3), "b_ih": (3,), "b_hh": (3,)}
        return {k: np.zeros(s) for k, s in (shapes | {"W_hy": (V, 3), "b_y": (V,)}).items()}

    result = check("train_char_model", untrained)
    assert result.stage == "values"
    assert result.message.startswith("params: 4.00 bits per character on held-out text; at most")


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


def test_outputs_in_the_wrong_order_are_diagnosed():
    namespace = reference_functions("bptt")

    def temporal_affine_backward(do, h, W_hy):
        dh, dW_hy, db_y = namespace["temporal_affine_backward"](do, h, W_hy)
        return dh, dW_hy, db_y[::-1]

    result = check("temporal_affine_backward", temporal_affine_backward)
    assert result.stage == "gradient check"
    assert "wrong: db_y (right: dh, dW_hy)" in result.message


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


def test_the_sandbox_stub_check_is_a_no_op_for_every_name_the_notebooks_import():
    """Inside the grader ``course_rnn.grading`` is a stub: check(...) returns None, so the
    notebooks' cells guarded by ``if result:`` do nothing there."""
    import importlib.util
    from pathlib import Path

    import course_rnn.grading.sandbox as sandbox

    path = Path(sandbox.__file__).parent / "stub" / "course_rnn" / "grading" / "__init__.py"
    spec = importlib.util.spec_from_file_location("stub_grading", path)
    stub = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stub)
    assert stub.check("train_char_model", print) is None
    assert stub.check is stub.CheckResult
