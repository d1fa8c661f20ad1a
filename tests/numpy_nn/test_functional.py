"""numpy_nn.functional against torch.nn.functional; numerical gradients; properties."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.gradcheck import check_gradients
from course_rnn.numpy_nn.functional import (
    log_softmax,
    mse_backward,
    mse_forward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    tanh_backward,
)
from course_rnn.shapes import ShapeError

TOL64 = {"rtol": 1e-9, "atol": 1e-11}


def _ce_torch(logits, targets, ignore_index=-100):
    """torch cross-entropy of (T, B, V) or (N, V) logits, and its gradient."""
    V = logits.shape[-1]
    z = torch.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(
        z.reshape(-1, V), torch.tensor(targets).reshape(-1), ignore_index=ignore_index
    )
    loss.backward()
    return loss.detach().numpy(), z.grad.numpy()


# ---- softmax and log_softmax ---------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_match_torch(rng, axis):
    x = rng.normal(size=(4, 3, 5)) * 3
    np.testing.assert_allclose(softmax(x, axis), torch.softmax(torch.tensor(x), axis), **TOL64)
    np.testing.assert_allclose(
        log_softmax(x, axis), torch.log_softmax(torch.tensor(x), axis), **TOL64
    )


@pytest.mark.parametrize("shift", [-1e3, 1e3, 5e3])
def test_softmax_is_shift_invariant_and_finite_for_large_logits(rng, shift):
    x = rng.normal(size=(3, 7))
    np.testing.assert_allclose(softmax(x + shift), softmax(x), **TOL64)
    np.testing.assert_allclose(log_softmax(x + shift), log_softmax(x), rtol=1e-9, atol=1e-9)
    big = x * 1e3  # entries around ±1e3: exp would overflow without the max shift
    assert np.all(np.isfinite(log_softmax(big)))
    np.testing.assert_allclose(softmax(big).sum(-1), 1.0, **TOL64)


def test_sigmoid_is_stable_and_matches_torch():
    x = np.linspace(-1e3, 1e3, 101)
    np.testing.assert_allclose(sigmoid(x), torch.sigmoid(torch.tensor(x)), **TOL64)
    assert sigmoid(x.astype(np.float32)).dtype == np.float32


def test_activation_backwards_numerical_gradient(rng):
    x, dy = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    for fn, back in ((np.tanh, tanh_backward), (sigmoid, sigmoid_backward)):
        check_gradients(lambda p, fn=fn: fn(p["x"]), {"x": x}, {"x": back(dy, fn(x))}, dy)
    for axis in (0, -1):
        y = softmax(x, axis)
        check_gradients(
            lambda p, axis=axis: softmax(p["x"], axis),
            {"x": x},
            {"x": softmax_backward(dy, y, axis)},
            dy,
        )


# ---- cross-entropy -------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 6), (1, 1, 2)])
def test_cross_entropy_matches_torch(rng, shape):
    logits = rng.normal(size=shape) * 2
    targets = rng.integers(0, shape[-1], size=shape[:-1])
    loss, cache = softmax_cross_entropy_forward(logits, targets)
    ref_loss, ref_grad = _ce_torch(logits, targets)
    np.testing.assert_allclose(loss, ref_loss, **TOL64)
    np.testing.assert_allclose(softmax_cross_entropy_backward(1.0, cache), ref_grad, **TOL64)


def test_cross_entropy_mask_matches_torch_ignore_index(rng):
    T, B, V = 5, 3, 4
    logits = rng.normal(size=(T, B, V))
    targets = rng.integers(0, V, size=(T, B))
    mask = rng.random((T, B)) < 0.6
    padded = np.where(mask, targets, -100)  # torch's default ignore_index at padded positions
    loss, cache = softmax_cross_entropy_forward(logits, padded, mask)
    ref_loss, ref_grad = _ce_torch(logits, padded)
    np.testing.assert_allclose(loss, ref_loss, **TOL64)
    dlogits = softmax_cross_entropy_backward(2.5, cache)
    np.testing.assert_allclose(dlogits, 2.5 * ref_grad, **TOL64)
    np.testing.assert_array_equal(dlogits[~mask], 0.0)


def test_cross_entropy_fully_masked_is_zero_where_torch_gives_nan(rng):
    """Differences from torch: M = 0 unmasked positions gives loss 0 and no gradient, not NaN."""
    logits, targets = rng.normal(size=(3, 2, 4)), np.zeros((3, 2), dtype=np.int64)
    mask = np.zeros((3, 2), dtype=bool)
    loss, cache = softmax_cross_entropy_forward(logits, targets, mask)
    assert loss == 0.0
    np.testing.assert_array_equal(softmax_cross_entropy_backward(1.0, cache), 0.0)
    ref = F.cross_entropy(torch.tensor(logits).reshape(6, 4), torch.full((6,), -100))
    assert torch.isnan(ref)


def test_cross_entropy_backward_numerical_gradient(rng):
    logits = rng.normal(size=(4, 3, 5))
    targets = rng.integers(0, 5, size=(4, 3))
    mask = rng.random((4, 3)) < 0.7

    def f(p):
        return softmax_cross_entropy_forward(p["logits"], targets, mask)[0]

    _, cache = softmax_cross_entropy_forward(logits, targets, mask)
    check_gradients(f, {"logits": logits}, {"logits": softmax_cross_entropy_backward(1.0, cache)})


@pytest.mark.parametrize("shift", [-1e3, 1e3])
def test_cross_entropy_is_shift_invariant_and_finite_for_large_logits(rng, shift):
    logits = rng.normal(size=(6, 4)) * 1e3  # entries around ±1e3
    targets = rng.integers(0, 4, size=6)
    loss, cache = softmax_cross_entropy_forward(logits, targets)
    shifted, cache_s = softmax_cross_entropy_forward(logits + shift, targets)
    assert np.isfinite(loss)
    np.testing.assert_allclose(shifted, loss, rtol=1e-9)
    dlogits = softmax_cross_entropy_backward(1.0, cache)
    assert np.all(np.isfinite(dlogits))
    np.testing.assert_allclose(softmax_cross_entropy_backward(1.0, cache_s), dlogits, atol=1e-12)


def test_cross_entropy_keeps_float32(rng):
    logits = rng.normal(size=(3, 2, 4)).astype(np.float32)
    loss, cache = softmax_cross_entropy_forward(logits, np.ones((3, 2), dtype=np.int64))
    assert loss.dtype == np.float32
    assert softmax_cross_entropy_backward(np.float32(1.0), cache).dtype == np.float32


@pytest.mark.parametrize(
    ("logits", "targets", "mask", "error", "match"),
    [
        (
            np.zeros(4),
            np.zeros((), int),
            None,
            ShapeError,
            r"logits expected \(T, B, V\) or \(N, V\)",
        ),
        (np.zeros((3, 4)), np.zeros(2, int), None, ShapeError, r"targets expected \(N\) = \(3,\)"),
        (
            np.zeros((2, 3, 4)),
            np.zeros((3, 2), int),
            None,
            ShapeError,
            r"targets expected \(T, B\)",
        ),
        (np.zeros((3, 4)), np.zeros(3), None, TypeError, "targets must be integer"),
        (np.zeros((3, 4), int), np.zeros(3, int), None, TypeError, "logits must be a float"),
        (
            np.zeros((3, 4)),
            np.array([0, 4, 1]),
            None,
            ValueError,
            r"targets must lie in \[0, V=4\).*got 4 \.\. 4",
        ),
        (
            np.zeros((3, 4)),
            np.array([0, -1, 1]),
            None,
            ValueError,
            r"targets must lie in \[0, V=4\).*got -1",
        ),
        (
            np.zeros((3, 4)),
            np.zeros(3, int),
            np.ones(2, bool),
            ShapeError,
            r"mask .* got bool \(2,\)",
        ),
    ],
)
@pytest.mark.parametrize("loss", [softmax_cross_entropy_forward, softmax_cross_entropy])
def test_cross_entropy_rejects_bad_input(loss, logits, targets, mask, error, match):
    """Both losses share the checks; each message names the function called."""
    with pytest.raises(error, match=rf"{loss.__name__}: {match}"):
        loss(logits, targets, mask)


def test_cross_entropy_forward_mask_must_be_bool():
    with pytest.raises(ShapeError, match="softmax_cross_entropy_forward: mask expected a bool"):
        softmax_cross_entropy_forward(np.zeros((3, 4)), np.zeros(3, int), np.ones(3))


def test_cross_entropy_ignores_out_of_range_targets_only_where_masked():
    loss, _ = softmax_cross_entropy_forward(
        np.zeros((2, 4)), np.array([1, -100]), np.array([True, False])
    )
    np.testing.assert_allclose(loss, np.log(4.0), **TOL64)


# ---- softmax_cross_entropy: loss and gradient in one call ------------------------------------


@pytest.mark.parametrize("shape", [(5, 3, 4), (7, 3), (1, 1, 2)])
def test_softmax_cross_entropy_matches_torch(rng, shape):
    o = rng.normal(size=shape) * 2
    y = rng.integers(0, shape[-1], size=shape[:-1])
    L, do = softmax_cross_entropy(o, y)
    ref_loss, ref_grad = _ce_torch(o, y)
    assert isinstance(L, float)
    np.testing.assert_allclose(L, ref_loss, **TOL64)
    np.testing.assert_allclose(do, ref_grad, **TOL64)


@pytest.mark.parametrize("mask_dtype", [bool, np.int64, np.float64])
def test_softmax_cross_entropy_mask_is_a_mean_over_the_unmasked_positions(rng, mask_dtype):
    """L = (1/N) Σ over the N unmasked positions, as torch's ignore_index; padding any id."""
    T, B, V = 6, 4, 5
    o = rng.normal(size=(T, B, V))
    y = rng.integers(0, V, size=(T, B))
    mask = rng.random((T, B)) < 0.6
    padded = np.where(mask, y, -100)  # torch's default ignore_index at padded positions
    L, do = softmax_cross_entropy(o, padded, mask.astype(mask_dtype))
    ref_loss, ref_grad = _ce_torch(o, padded)
    np.testing.assert_allclose(L, ref_loss, **TOL64)
    np.testing.assert_allclose(do, ref_grad, **TOL64)
    np.testing.assert_array_equal(do[~mask], 0.0)
    # the mean over N = mask.sum() positions, not over T·B
    N = mask.sum()
    per_position = -np.log(softmax(o))[mask, y[mask]]
    np.testing.assert_allclose(L, per_position.sum() / N, **TOL64)
    np.testing.assert_allclose(do.sum(axis=-1), 0.0, atol=1e-15)  # p - one_hot sums to 0


def test_softmax_cross_entropy_gradient_is_p_minus_one_hot_over_n():
    o = np.log(np.array([[[1.0, 2.0, 1.0]], [[1.0, 1.0, 2.0]]]))  # p = (1/4, 1/2, 1/4), ...
    y = np.array([[1], [0]])
    L, do = softmax_cross_entropy(o, y)
    np.testing.assert_allclose(L, (np.log(2) + np.log(4)) / 2, **TOL64)
    np.testing.assert_allclose(do[0, 0], np.array([0.25, -0.5, 0.25]) / 2, **TOL64)
    np.testing.assert_allclose(do[1, 0], np.array([-0.75, 0.25, 0.5]) / 2, **TOL64)


def test_softmax_cross_entropy_numerical_gradient(rng):
    o = rng.normal(size=(4, 3, 5))
    y = rng.integers(0, 5, size=(4, 3))
    mask = rng.random((4, 3)) < 0.7
    _, do = softmax_cross_entropy(o, y, mask)
    check_gradients(lambda p: softmax_cross_entropy(p["o"], y, mask)[0], {"o": o}, {"o": do})


@pytest.mark.parametrize("shift", [-1e3, 1e3])
def test_softmax_cross_entropy_is_stable_for_large_logits(rng, shift):
    o = rng.normal(size=(6, 4)) * 1e3  # entries around ±1e3: a naive exp overflows
    y = rng.integers(0, 4, size=6)
    L, do = softmax_cross_entropy(o, y)
    L_shifted, do_shifted = softmax_cross_entropy(o + shift, y)
    assert np.isfinite(L)
    assert np.all(np.isfinite(do))
    np.testing.assert_allclose(L_shifted, L, rtol=1e-9)
    np.testing.assert_allclose(do_shifted, do, atol=1e-12)
    ref_loss, _ = _ce_torch(o, y)
    np.testing.assert_allclose(L, ref_loss, rtol=1e-9)


def test_softmax_cross_entropy_keeps_float32(rng):
    o = rng.normal(size=(3, 2, 4)).astype(np.float32)
    _, do = softmax_cross_entropy(o, np.ones((3, 2), dtype=np.int64), np.ones((3, 2), bool))
    assert do.dtype == np.float32


@pytest.mark.parametrize(
    ("mask", "error", "match"),
    [
        (np.array([0, 2, 1]), ShapeError, "mask expected a bool or 0/1 array"),
        (np.zeros(3, bool), ValueError, r"mask has no unmasked position \(N = 0\)"),
        (np.zeros(3), ValueError, r"mask has no unmasked position \(N = 0\)"),
    ],
)
def test_softmax_cross_entropy_rejects_a_bad_mask(mask, error, match):
    with pytest.raises(error, match=rf"softmax_cross_entropy: {match}"):
        softmax_cross_entropy(np.zeros((3, 4)), np.zeros(3, int), mask)


# ---- mean squared error --------------------------------------------------------------------


def test_mse_matches_torch_and_numerical_gradient(rng):
    pred, target = rng.normal(size=(4, 3, 2)), rng.normal(size=(4, 3, 2))
    loss, cache = mse_forward(pred, target)
    p = torch.tensor(pred, requires_grad=True)
    ref = F.mse_loss(p, torch.tensor(target))
    (ref * 0.7).backward()
    np.testing.assert_allclose(loss, ref.detach(), **TOL64)
    np.testing.assert_allclose(mse_backward(0.7, cache), p.grad, **TOL64)
    check_gradients(
        lambda q: mse_forward(q["pred"], target)[0],
        {"pred": pred},
        {"pred": mse_backward(1.0, cache)},
    )


def test_mse_raises_on_shape_mismatch_where_torch_broadcasts(rng):
    """Differences from torch: torch broadcasts (B, 1) against (B,) to (B, B), with a warning."""
    pred, target = rng.normal(size=(3, 1)), rng.normal(size=3)
    with pytest.raises(
        ShapeError, match=r"mse_forward: target expected pred's shape \(3, 1\), got \(3,\)"
    ):
        mse_forward(pred, target)
    with pytest.warns(UserWarning, match="broadcast"):
        F.mse_loss(torch.tensor(pred), torch.tensor(target))


def test_mse_keeps_float32(rng):
    pred = rng.normal(size=(3, 2)).astype(np.float32)
    loss, cache = mse_forward(pred, np.zeros_like(pred))
    assert loss.dtype == np.float32
    assert mse_backward(1.0, cache).dtype == np.float32
