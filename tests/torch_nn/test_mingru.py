"""course_rnn.torch_nn.mingru: the scan equals the loop (values, gradients); minGRU equations."""

import pytest
import torch

from course_rnn.shapes import ShapeError
from course_rnn.torch_nn.mingru import (
    MinGRU,
    combine,
    linear_recurrence_loop,
    linear_recurrence_scan,
)


def coefficients(T, B=3, H=4, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(T, B, H, generator=g, dtype=dtype)  # in (0, 1), like 1 - z
    b = torch.randn(T, B, H, generator=g, dtype=dtype)
    h0 = torch.randn(B, H, generator=g, dtype=dtype)
    return a, b, h0


def test_combine_is_associative():
    a, b, _ = coefficients(3)
    s1, s2, s3 = [(a[i], b[i]) for i in range(3)]
    left = combine(combine(s1, s2), s3)
    right = combine(s1, combine(s2, s3))
    for u, v in zip(left, right, strict=True):
        torch.testing.assert_close(u, v, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("T", [1, 2, 3, 7, 8, 33, 100])
def test_scan_equals_loop_float64(T):
    a, b, h0 = coefficients(T)
    for start in (None, h0):
        torch.testing.assert_close(
            linear_recurrence_scan(a, b, start), linear_recurrence_loop(a, b, start),
            rtol=1e-9, atol=1e-11,
        )  # fmt: skip


def test_loop_by_hand():
    a, b, h0 = coefficients(4)
    h = h0
    for t in range(4):
        h = a[t] * h + b[t]
    torch.testing.assert_close(linear_recurrence_loop(a, b, h0)[-1], h, rtol=0, atol=0)


def test_scan_gradients_equal_loop_gradients():
    a, b, h0 = coefficients(37)
    grads = []
    for run in (linear_recurrence_loop, linear_recurrence_scan):
        leaves = [t.clone().requires_grad_() for t in (a, b, h0)]
        out = run(*leaves)
        (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum().backward()
        grads.append([t.grad for t in leaves])
    for g_loop, g_scan in zip(*grads, strict=True):
        torch.testing.assert_close(g_scan, g_loop, rtol=1e-9, atol=1e-11)


def test_a_wrong_scan_is_caught():
    # meta-test: a scan that forgets h0 differs from the loop
    a, b, h0 = coefficients(9)
    assert (linear_recurrence_scan(a, b) - linear_recurrence_loop(a, b, h0)).abs().max() > 1e-3


def test_mingru_step_equations_float64():
    torch.manual_seed(0)
    layer = MinGRU(3, 5).double()
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    h0 = torch.randn(2, 5, dtype=torch.float64)
    h, states = h0, []
    for t in range(6):
        z = torch.sigmoid(x[t] @ layer.linear_z.weight.T + layer.linear_z.bias)
        h_tilde = x[t] @ layer.linear_h.weight.T + layer.linear_h.bias
        h = (1 - z) * h + z * h_tilde
        states.append(h)
    for mode in ("loop", "scan"):
        out, h_n = layer(x, h0, mode=mode)
        torch.testing.assert_close(out, torch.stack(states), rtol=1e-9, atol=1e-11)
        torch.testing.assert_close(h_n, states[-1], rtol=1e-9, atol=1e-11)


def test_mingru_float32_modes_agree_on_long_sequences():
    torch.manual_seed(1)
    layer = MinGRU(4, 8)
    x = torch.randn(1000, 2, 4)
    torch.testing.assert_close(
        layer(x, mode="scan")[0], layer(x, mode="loop")[0], rtol=1e-5, atol=1e-5
    )


def test_mingru_parameter_count():
    assert sum(p.numel() for p in MinGRU(16, 64).parameters()) == 2 * 64 * (16 + 1)


def test_errors():
    layer = MinGRU(3, 5)
    with pytest.raises(ShapeError, match=r"MinGRU: x must have shape \(T, B, D\) with D = 3"):
        layer(torch.randn(4, 2, 7))
    with pytest.raises(ValueError, match='MinGRU: mode must be "scan" or "loop"'):
        layer(torch.randn(4, 2, 3), mode="fast")
    a, b, _ = coefficients(5)
    with pytest.raises(ShapeError, match="linear_recurrence_scan: a and b must both have shape"):
        linear_recurrence_scan(a, b[:, :, :2])
    with pytest.raises(ShapeError, match=r"linear_recurrence_loop: h0 must have shape \(B, H\)"):
        linear_recurrence_loop(a, b, torch.zeros(2, 2, dtype=a.dtype))
