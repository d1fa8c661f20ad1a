"""The gradient checker itself: it passes on known gradients and FAILS on wrong ones (meta-test)."""

import numpy as np
import pytest

from course_rnn.gradcheck import (
    GradientCheckError,
    check_gradients,
    numerical_gradient,
    rel_error,
)


def _affine(p):
    return p["x"] @ p["w"] + p["b"]  # (N, H)


def _affine_case(rng):
    inputs = {"x": rng.normal(size=(3, 4)), "w": rng.normal(size=(4, 2)), "b": rng.normal(size=2)}
    dout = rng.normal(size=(3, 2))
    grads = {"x": dout @ inputs["w"].T, "w": inputs["x"].T @ dout, "b": dout.sum(0)}
    return inputs, grads, dout


# ---- rel_error -----------------------------------------------------------------------------


def test_rel_error_values():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0  # eps keeps 0/0 away
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 4.2)
    assert rel_error(np.array([1.0]), np.array([-1.0])) == 1.0  # opposite signs: the maximum
    assert rel_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0
    assert rel_error(np.array([1e-20]), np.array([0.0])) == pytest.approx(1e-8)  # eps floor


def test_rel_error_rejects_different_shapes():
    with pytest.raises(ValueError, match=r"rel_error: shapes differ, \(3,\) vs \(1, 3\)"):
        rel_error(np.ones(3), np.ones((1, 3)))


# ---- numerical_gradient --------------------------------------------------------------------


def test_numerical_gradient_of_known_functions(rng):
    x, dout = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    np.testing.assert_allclose(numerical_gradient(np.sin, x, dout), np.cos(x) * dout, rtol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda z: np.sum(z**2), x), 2 * x, rtol=1e-8)


def test_numerical_gradient_leaves_input_untouched_and_fills_only_given_indices(rng):
    x = rng.normal(size=(3, 3))
    before = x.copy()
    g = numerical_gradient(lambda z: np.sum(z**3), x, indices=[(0, 1), (2, 2)])
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(g[[0, 2], [1, 2]], 3 * x[[0, 2], [1, 2]] ** 2, rtol=1e-8)
    assert np.count_nonzero(g) == 2


def test_numerical_gradient_needs_float64():
    with pytest.raises(TypeError, match=r"numerical_gradient: x must be float64 .* got float32"):
        numerical_gradient(np.sin, np.ones(2, np.float32))


# ---- check_gradients -----------------------------------------------------------------------


def test_check_gradients_passes_on_correct_gradients(rng):
    inputs, grads, dout = _affine_case(rng)
    errors = check_gradients(_affine, inputs, grads, dout)
    assert set(errors) == {"x", "w", "b"}
    assert max(errors.values()) < 1e-7


def test_check_gradients_fails_on_a_perturbed_gradient_with_a_readable_report(rng):
    """The meta-test: one wrong entry is caught, and the report names the input and the entry."""
    inputs, grads, dout = _affine_case(rng)
    grads["w"] = grads["w"].copy()
    grads["w"][2, 1] += 1e-3
    with pytest.raises(GradientCheckError, match=r"gradient check failed for:") as info:
        check_gradients(_affine, inputs, grads, dout)
    message = str(info.value)
    assert "w[2, 1]: analytic" in message
    assert "numerical" in message
    assert "relative error" in message
    assert "x[" not in message  # the correct gradients are not blamed


def test_check_gradients_catches_a_transposed_gradient(rng):
    """A classic bug: the right numbers in the wrong layout."""
    x = rng.normal(size=(3, 3))
    dout = rng.normal(size=(3, 3))
    with pytest.raises(GradientCheckError, match=r"gradient check failed.*\n  w\["):
        check_gradients(lambda p: x @ p["w"], {"w": x.T.copy()}, {"w": (x.T @ dout).T}, dout)


def test_check_gradients_scalar_loss_and_sampled_entries(rng):
    w = rng.normal(size=(20, 10))
    errors = check_gradients(
        lambda p: np.sum(np.tanh(p["w"])), {"w": w}, {"w": 1 - np.tanh(w) ** 2},
        max_entries=15, rng=rng,
    )  # fmt: skip
    assert errors["w"] < 1e-7
    with pytest.raises(GradientCheckError, match=r"w\[\d+, \d+\]"):
        check_gradients(
            lambda p: np.sum(np.tanh(p["w"])), {"w": w}, {"w": 1.01 * (1 - np.tanh(w) ** 2)},
            max_entries=15, rng=rng,
        )  # fmt: skip


def test_check_gradients_rejects_misuse(rng):
    inputs, grads, dout = _affine_case(rng)
    with pytest.raises(
        KeyError, match=r"check_gradients: gradients given for unknown inputs \['z'\]"
    ):
        check_gradients(_affine, inputs, {"z": np.zeros(1)}, dout)
    with pytest.raises(
        GradientCheckError, match=r"gradient of 'b' has shape \(1, 2\); expected \(2,\)"
    ):
        check_gradients(_affine, inputs, {"b": grads["b"][None]}, dout)
    with pytest.raises(ValueError, match="check_gradients: max_entries needs rng="):
        check_gradients(_affine, inputs, grads, dout, max_entries=2)
