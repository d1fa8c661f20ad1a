"""The exercise "forecasting": its cases mean what the notebook says, and its harnesses' rules.

The mutants (mutants_forecasting.py) run through the shared tests of the self-check and the
grader; here: for any draw of the secret values, the sMAPE cases hold the zeros and the signs
they are named for, the MASE refusal cases have a scale of exactly 0 and the others do not, the
number of pairs N agrees with T, W and H; every edge case the notebook names comes back among
the hidden cases; the harnesses refuse what they must and say so; and the notebook's reference
solutions equal the package's functions on random inputs.
"""

import importlib.util

import numpy as np
import pytest
from helpers import SOLUTIONS, reference_functions

from course_rnn.grading.harness_forecasting import (
    forecast_harness,
    mase_harness,
    recursive_harness,
)
from course_rnn.grading.rejection import CheckRejectedError
from course_rnn.grading.specs import forecasting as spec
from course_rnn.grading.tasks import linspace_fill, random_fill
from course_rnn.training import forecasting as package


def _hidden():
    path = SOLUTIONS / "tests" / "forecasting.py"
    module_spec = importlib.util.spec_from_file_location("_hidden_forecasting", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return {g.task: g for g in module.GRADED}


def _cases(task_name):
    task = next(t for t in spec.TASKS if t.name == task_name)
    return [task.public, *(e.dims for e in task.edges), *_hidden()[task_name].hidden]


FILLS = [linspace_fill] + [random_fill(np.random.default_rng(seed)) for seed in range(10)]


@pytest.mark.parametrize("fill", FILLS)
def test_smape_cases_hold_what_they_are_named_for(fill):
    for dims in _cases("smape"):
        _, actual, forecast = spec._smape_inputs(fill, **dims)
        if dims.get("zeros"):
            assert np.any((actual == 0) & (forecast == 0))  # 0/0
            assert np.any((actual == 0) & (forecast != 0))  # the term of 200
        if dims.get("neg"):
            total = actual + forecast
            assert np.any(np.abs(total) != np.abs(actual) + np.abs(forecast))
        assert actual.dtype == (np.float32 if dims.get("f32") else np.float64)


@pytest.mark.parametrize("fill", FILLS)
def test_mase_refusals_have_scale_zero_and_the_others_do_not(fill):
    for dims in _cases("mase"):
        refuse, _, _, history, m = spec._mase_inputs(fill, **dims)
        scale = np.mean(np.abs(history[m:] - history[:-m]))
        assert (scale == 0) == bool(refuse), dims
        if refuse == 2:
            assert np.ptp(history) > 0  # not constant: a check for constant histories misses it
        if not refuse and m > 1:
            naive_scale = np.mean(np.abs(np.diff(history)))
            assert abs(naive_scale / scale - 1) > 0.05  # the non-seasonal scale differs


def test_every_case_has_as_many_pairs_as_fit():
    for dims in _cases("direct_targets"):
        assert dims["N"] == dims["T"] - dims["W"] - dims["H"] + 1 >= 1


def test_every_named_edge_case_comes_back_hidden():
    def kinds(task_name, dims):
        found = {k for k in ("f32", "zeros", "neg") if dims.get(k)}
        found |= {f"refuse{dims['refuse']}"} if dims.get("refuse") else set()
        if "m" in dims:
            found |= {"m=1"} if dims["m"] == 1 else set()
            found |= {"m>H"} if dims["m"] > dims["H"] else set()
            found |= {"n=m"} if dims.get("n") == dims["m"] else set()
            found |= {"H%m=0"} if dims["m"] > 1 and dims["H"] % dims["m"] == 0 else set()
        if "W" in dims:
            found |= {"W=1"} if dims["W"] == 1 else set()
            found |= {"H<W"} if dims["H"] < dims["W"] else set()
        found |= {"H=1"} if dims.get("H") == 1 else set()
        found |= {"N=1"} if dims.get("N") == 1 else set()
        return found

    hidden = _hidden()
    for task in spec.TASKS:
        public = set().union(*(kinds(task.name, e.dims) for e in task.edges))
        secret = set().union(*(kinds(task.name, d) for d in hidden[task.name].hidden))
        assert public <= secret, (task.name, public - secret)


def test_points_and_tasks():
    hidden = _hidden()
    assert [t.name for t in spec.TASKS] == list(hidden)
    assert sum(g.public_points + g.hidden_points for g in hidden.values()) == 10


def test_mase_harness_turns_the_refusal_into_zero_and_a_value_into_an_error():
    history = np.full(6, 2.0)
    args = (np.ones(2), np.zeros(2), history, 1)
    assert mase_harness(package.mase, 1, *args) == 0.0

    def no_check(actual, forecast, history, period):
        return np.mean(np.abs(actual - forecast)) / np.mean(np.abs(np.diff(history)))

    with pytest.raises(
        CheckRejectedError, match=r"no_check returned inf for a constant history; it "
    ):
        mase_harness(no_check, 1, *args)
    with pytest.raises(CheckRejectedError, match="returned a str"):
        mase_harness(lambda *a: "none", 1, *args)
    assert mase_harness(package.mase, 0, np.ones(2), np.zeros(2), np.arange(6.0), 1) == 1.0


def test_recursive_harness_refuses_a_growing_window_and_an_overwritten_one():
    coef, window = np.array([0.5, -0.2, 0.3]), np.array([0.1, 0.2, 0.3])

    def grows(step, window, horizon):
        w = list(window)
        out = []
        for _ in range(horizon):
            out.append(step(np.array(w)))
            w.append(out[-1])
        return np.array(out)

    with pytest.raises(
        CheckRejectedError, match=r"window of shape \(4,\); the model reads the W = 3"
    ):
        recursive_harness(grows, coef, 0.1, window, 3)

    def in_place(step, window, horizon):
        out = np.empty(horizon)
        for k in range(horizon):
            out[k] = step(window)
            window[:-1], window[-1] = window[1:].copy(), out[k]
        return out

    with pytest.raises(CheckRejectedError, match="in_place changed its input window"):
        recursive_harness(in_place, coef, 0.1, window.copy(), 2)
    expected = spec._recursive_reference(coef, 0.1, window, 4)[0]
    got = recursive_harness(package.recursive_forecast, coef, 0.1, window, 4)
    np.testing.assert_allclose(got, expected, rtol=0, atol=0)


@pytest.mark.parametrize("seed", range(5))
def test_the_notebook_solutions_equal_the_package(seed):
    ours = reference_functions("forecasting")
    fill = random_fill(np.random.default_rng(seed))
    for dims in _cases("seasonal_naive_forecast"):
        _, *args = spec._seasonal_inputs(fill, **dims)
        np.testing.assert_allclose(
            ours["seasonal_naive_forecast"](*args), package.seasonal_naive_forecast(*args)
        )
    for dims in _cases("smape"):
        _, *args = spec._smape_inputs(fill, **dims)
        assert ours["smape"](*args) == pytest.approx(package.smape(*args), rel=1e-12)
    for dims in _cases("mase"):
        refuse, *args = spec._mase_inputs(fill, **dims)
        if refuse:
            with pytest.raises(ValueError, match="scale is 0"):
                ours["mase"](*args)
        else:
            assert ours["mase"](*args) == pytest.approx(package.mase(*args), rel=1e-12)
    for dims in _cases("recursive_forecast"):
        coef, bias, window, horizon = spec._recursive_inputs(fill, **dims)
        np.testing.assert_allclose(
            recursive_harness(ours["recursive_forecast"], coef, bias, window, horizon),
            spec._recursive_reference(coef, bias, window, horizon)[0],
            rtol=1e-12,
        )
    for dims in _cases("direct_targets"):
        names, *args = spec._direct_inputs(fill, **dims)
        for got, want in zip(
            ours["direct_targets"](*args), spec._direct_reference(names, *args), strict=True
        ):
            np.testing.assert_array_equal(got, want)


def test_mase_harness_names_a_wrong_exception_and_requires_a_message():
    args = (np.ones(2), np.zeros(2), np.full(6, 2.0), 1)

    def divides(actual, forecast, history, period):
        return 1.0 / 0.0  # ZeroDivisionError

    def silent(actual, forecast, history, period):
        raise ValueError

    with pytest.raises(
        CheckRejectedError,
        match=r"divides raised ZeroDivisionError for a constant "
        r"history; it must raise a ValueError that says why",
    ):
        mase_harness(divides, 1, *args)
    with pytest.raises(CheckRejectedError, match="silent raised a ValueError without a message"):
        mase_harness(silent, 1, *args)
    periodic = np.tile([1.0, 2.0, 3.0], 3)
    with pytest.raises(CheckRejectedError, match="a history that repeats every m = 3 steps"):
        mase_harness(silent, 2, np.ones(2), np.zeros(2), periodic, 3)


def _mutating(actual, forecast, history, period=1):
    history -= history.mean()  # in place: the caller's history changes
    return 1.0


def test_every_task_refuses_a_function_that_changes_its_arguments():
    def seasonal(history, horizon, period):
        history.sort()
        return history[-period:][np.arange(horizon) % period]

    args = spec._seasonal_inputs(linspace_fill, n=10, H=7, m=3)
    with pytest.raises(
        CheckRejectedError, match="seasonal changed its argument history: no function"
    ):
        forecast_harness(seasonal, *args)
    with pytest.raises(CheckRejectedError, match="_mutating changed its argument history"):
        mase_harness(_mutating, 0, np.ones(2), np.zeros(2), np.arange(6.0), 1)
    for task in spec.TASKS:
        assert task.harness is not None, task.name  # every task checks its arguments


def test_smape_that_divides_0_by_0_is_refused():
    def divides(actual, forecast):
        return float(
            np.mean(
                np.nan_to_num(200 * np.abs(actual - forecast) / (np.abs(actual) + np.abs(forecast)))
            )
        )

    args = spec._smape_inputs(linspace_fill, H=7, zeros=1)
    with pytest.raises(CheckRejectedError, match=r"divides asked NumPy to divide by 0"):
        forecast_harness(divides, *args)
    assert forecast_harness(package.smape, *args) == pytest.approx(package.smape(*args[1:]))
