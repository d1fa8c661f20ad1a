import numpy as np
import pytest

from course_rnn.data import ADDING_BASELINE_MSE, adding_problem, counting, counting_baseline, parity


def test_adding_problem_shapes_dtypes_and_markers(rng):
    x, y, mask = adding_problem(10, 7, rng=rng)
    assert x.shape == (10, 7, 2)
    assert x.dtype == np.float32
    assert y.shape == (7,)
    assert y.dtype == np.float32
    assert mask is None
    markers = x[:, :, 1]
    np.testing.assert_array_equal(markers.sum(axis=0), 2)  # exactly two markers per sequence
    np.testing.assert_array_equal(markers[:5].sum(axis=0), 1)  # one in each half
    np.testing.assert_allclose(y, (x[:, :, 0] * markers).sum(axis=0), rtol=1e-6)


def test_adding_problem_predicting_one_gives_mse_one_sixth(rng):
    _, y, _ = adding_problem(20, 200_000, rng=rng)
    mse = np.mean((y.astype(np.float64) - 1.0) ** 2)
    assert ADDING_BASELINE_MSE == pytest.approx(1 / 6)
    assert mse == pytest.approx(1 / 6, abs=2e-3)  # std of the estimate ≈ 0.0004


def test_parity_final_and_running(rng):
    x, y, _ = parity(9, 50, rng=rng)
    assert x.shape == (9, 50, 1)
    assert y.shape == (50,)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, x[:, :, 0].sum(axis=0) % 2)
    x, y_run, _ = parity(9, 50, rng=rng, running=True)
    assert y_run.shape == (9, 50)
    np.testing.assert_array_equal(y_run[4], x[:5, :, 0].sum(axis=0) % 2)


def test_counting_targets_and_majority_baseline(rng):
    x, y, _ = counting(20, 100_000, rng=rng)
    assert x.shape == (20, 100_000, 1)
    np.testing.assert_array_equal(y, x[:, :, 0].sum(axis=0))
    assert y.min() >= 0
    assert y.max() <= 20
    majority = np.mean(y == np.bincount(y).argmax())
    assert majority == pytest.approx(counting_baseline(20), abs=5e-3)
    assert counting_baseline(20) == pytest.approx(0.1762, abs=1e-4)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: adding_problem(12, 4, rng=rng),
        lambda rng: parity(12, 4, rng=rng, running=True),
        lambda rng: counting(12, 4, rng=rng),
    ],
)
def test_toy_tasks_are_deterministic_given_the_seed(make):
    a, b, c = (make(np.random.default_rng(s)) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert not np.array_equal(a.inputs, c.inputs)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda r: adding_problem(1, 4, rng=r),
            ValueError,
            "adding_problem: T must be an int >= 2",
        ),
        (lambda r: adding_problem(8, 0, rng=r), ValueError, "adding_problem: batch_size must be"),
        (lambda r: adding_problem(8.0, 2, rng=r), ValueError, r"T must be an int >= 2, got 8\.0"),
        (lambda r: adding_problem(8, 2, rng=0), TypeError, "rng must be a np.random.Generator"),
        (lambda r: parity(0, 2, rng=r), ValueError, "parity: T must be an int >= 1, got 0"),
        (
            lambda r: counting(5, 2, rng=r, p=1.5),
            ValueError,
            r"counting: p must be in \[0.0, 1.0\]",
        ),
    ],
)
def test_toy_task_errors(rng, call, error, match):
    with pytest.raises(error, match=match):
        call(rng)
