"""numpy_nn.bidirectional: reverse within lengths, padding, numerical gradients, bad input."""

import numpy as np
import pytest

from course_rnn.gradcheck import check_gradients
from course_rnn.numpy_nn.bidirectional import (
    bidirectional_rnn_backward,
    bidirectional_rnn_forward,
    reverse_padded,
    split_bidirectional_params,
)
from course_rnn.numpy_nn.rnn import init_rnn_params, rnn_forward
from course_rnn.shapes import ShapeError

TOL64 = {"rtol": 1e-9, "atol": 1e-11}
KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _case(rng, T=5, B=3, D=2, H=4, lengths=(3, 5, 1), dtype=np.float64):
    params_fwd, params_bwd = split_bidirectional_params(
        init_rnn_params(D, H, bidirectional=True, rng=rng, dtype=dtype)
    )
    x = rng.standard_normal((T, B, D)).astype(dtype)
    h0 = rng.standard_normal((2, B, H)).astype(dtype)
    return x, np.array(lengths), h0, params_fwd, params_bwd


def test_reverse_padded_reverses_each_column_within_its_length():
    x = np.arange(12).reshape(4, 3)  # (T, B) = (4, 3)
    out = reverse_padded(x, np.array([2, 4, 1]))
    np.testing.assert_array_equal(out[:, 0], [3, 0, 6, 9])  # first 2 reversed, padding in place
    np.testing.assert_array_equal(out[:, 1], [10, 7, 4, 1])  # length T: fully reversed
    np.testing.assert_array_equal(out[:, 2], [2, 5, 8, 11])  # length 1: unchanged


def test_reverse_padded_is_its_own_inverse_and_x_reversed_without_padding(rng):
    x = rng.standard_normal((6, 4, 3))
    lengths = np.array([6, 2, 1, 5])
    np.testing.assert_array_equal(reverse_padded(reverse_padded(x, lengths), lengths), x)
    np.testing.assert_array_equal(reverse_padded(x, np.full(4, 6)), x[::-1])


def test_outputs_are_exactly_zero_at_padded_steps_and_ignore_the_padding(rng):
    x, lengths, h0, pf, pb = _case(rng)
    out, h_n, _ = bidirectional_rnn_forward(x, lengths, h0, pf, pb)
    padded = np.arange(5)[:, None] >= lengths[None, :]  # (T, B)
    assert np.all(out[padded] == 0)
    assert np.all(out[~padded] != 0)
    x2 = x.copy()
    x2[padded] = 1e3  # whatever the padding holds, nothing changes
    out2, h_n2, _ = bidirectional_rnn_forward(x2, lengths, h0, pf, pb)
    np.testing.assert_array_equal(out2, out)
    np.testing.assert_array_equal(h_n2, h_n)


def test_each_sequence_alone_gives_the_plain_rnn_on_its_real_steps(rng):
    """Sequence b on its own, unpadded: forward rnn and reversed-input rnn, flipped back."""
    x, lengths, h0, pf, pb = _case(rng)
    out, h_n, _ = bidirectional_rnn_forward(x, lengths, h0, pf, pb)
    for b, L in enumerate(lengths):
        xb = x[:L, b : b + 1]  # (L, 1, D)
        fwd, fwd_n, _ = rnn_forward(xb, pf, h0[0:1, b : b + 1])
        bwd, bwd_n, _ = rnn_forward(xb[::-1], pb, h0[1:2, b : b + 1])
        np.testing.assert_allclose(out[:L, b], np.concatenate([fwd, bwd[::-1]], 2)[:, 0], **TOL64)
        np.testing.assert_allclose(h_n[:, b], [fwd_n[0, 0], bwd_n[0, 0]], **TOL64)


def test_merge_sum_adds_the_two_halves(rng):
    x, lengths, h0, pf, pb = _case(rng)
    cat, _, _ = bidirectional_rnn_forward(x, lengths, h0, pf, pb, merge="concat")
    total, _, _ = bidirectional_rnn_forward(x, lengths, h0, pf, pb, merge="sum")
    np.testing.assert_allclose(total, cat[:, :, :4] + cat[:, :, 4:], **TOL64)


@pytest.mark.parametrize("merge", ["concat", "sum"])
@pytest.mark.parametrize("lengths", [(3, 5, 1), (5, 5, 5)])
def test_bidirectional_rnn_numerical_gradients(rng, merge, lengths):
    x, lengths, h0, pf, pb = _case(rng, lengths=lengths)
    out, h_n, cache = bidirectional_rnn_forward(x, lengths, h0, pf, pb, merge)
    dout, dh_n = rng.standard_normal(out.shape), rng.standard_normal(h_n.shape)
    dx, dh0, grads_fwd, grads_bwd = bidirectional_rnn_backward(dout, dh_n, cache)
    inputs = {
        "x": x,
        "h0": h0,
        **{f"f_{k}": pf[k] for k in KEYS},
        **{f"b_{k}": pb[k] for k in KEYS},
    }

    def f(a):
        o, hn, _ = bidirectional_rnn_forward(
            a["x"],
            lengths,
            a["h0"],
            {k: a[f"f_{k}"] for k in KEYS},
            {k: a[f"b_{k}"] for k in KEYS},
            merge,
        )
        return np.concatenate([o.ravel(), hn.ravel()])

    analytic = {"x": dx, "h0": dh0, **{f"f_{k}": grads_fwd[k] for k in KEYS}}
    analytic |= {f"b_{k}": grads_bwd[k] for k in KEYS}
    check_gradients(f, inputs, analytic, np.concatenate([dout.ravel(), dh_n.ravel()]), tol=1e-6)


def test_backward_accepts_none_and_gives_zero_dx_at_padded_steps(rng):
    x, lengths, _h0, pf, pb = _case(rng)
    out, _h_n, cache = bidirectional_rnn_forward(x, lengths, None, pf, pb)
    dx, dh0, grads_fwd, _ = bidirectional_rnn_backward(None, None, cache)
    assert not dx.any()
    assert not dh0.any()
    assert not grads_fwd["weight_hh_l0"].any()
    dx, _, _, _ = bidirectional_rnn_backward(rng.standard_normal(out.shape), None, cache)
    padded = np.arange(5)[:, None] >= lengths[None, :]
    assert np.all(dx[padded] == 0)
    assert np.all(dx[~padded] != 0)


def test_float32_stays_float32(rng):
    x, lengths, h0, pf, pb = _case(rng, dtype=np.float32)
    out, h_n, cache = bidirectional_rnn_forward(x, lengths, h0, pf, pb)
    dx, dh0, grads_fwd, grads_bwd = bidirectional_rnn_backward(np.ones_like(out), None, cache)
    arrays = [out, h_n, dx, dh0, *grads_fwd.values(), *grads_bwd.values()]
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (
            {"lengths": np.array([3, 6, 1])},
            ValueError,
            r"1 ≤ lengths\[b\] ≤ T = 5, got lengths\[1\] = 6",
        ),
        ({"lengths": np.array([3, 0, 1])}, ValueError, r"got lengths\[1\] = 0"),
        (
            {"lengths": np.array([3.0, 5.0, 1.0])},
            TypeError,
            "lengths expected an integer dtype, got float64",
        ),
        ({"lengths": [3, 5, 1]}, TypeError, "lengths expected an integer NumPy array"),
        (
            {"lengths": np.array([3, 5])},
            ShapeError,
            r"lengths expected \(B=3,\) like x, got \(2,\)",
        ),
        ({"x": np.zeros((5, 3, 2), dtype=np.int64)}, TypeError, "x expected a floating dtype"),
        ({"x": np.zeros((5, 3, 7))}, ShapeError, r"x expected \(T, B, D=2\), got \(5, 3, 7\)"),
        ({"h0": np.zeros((1, 3, 4))}, ShapeError, r"h0 expected \(2, B=3, H=4\)"),
        ({"h0": np.zeros((2, 3, 4), dtype=np.float32)}, TypeError, "h0 expected dtype float64"),
        ({"merge": "mean"}, ValueError, r"merge expected one of \('concat', 'sum'\), got 'mean'"),
        ({"params_bwd": {}}, ValueError, "params_bwd: params expected keys"),
        ({"params_fwd": "rnn"}, TypeError, "params_fwd: params expected a dict"),
    ],
)
def test_bidirectional_rnn_forward_rejects_bad_input(rng, change, error, match):
    x, lengths, h0, pf, pb = _case(rng)
    args = {"x": x, "lengths": lengths, "h0": h0, "params_fwd": pf, "params_bwd": pb}
    with pytest.raises(error, match=f"bidirectional_rnn_forward: .*{match}"):
        bidirectional_rnn_forward(**(args | change))


def test_bidirectional_rnn_forward_rejects_mismatched_directions(rng):
    x, lengths, h0, pf, _ = _case(rng)
    pb = split_bidirectional_params(init_rnn_params(2, 3, bidirectional=True, rng=rng))[1]
    with pytest.raises(ShapeError, match="params_bwd expected H=4, D=2 like params_fwd, got H=3"):
        bidirectional_rnn_forward(x, lengths, h0, pf, pb)
    two_layers = init_rnn_params(2, 4, num_layers=2, rng=rng)
    with pytest.raises(ValueError, match="params_bwd expected exactly the keys"):
        bidirectional_rnn_forward(x, lengths, h0, pf, two_layers)


def test_bidirectional_rnn_backward_rejects_bad_input(rng):
    x, lengths, h0, pf, pb = _case(rng)
    out, _, cache = bidirectional_rnn_forward(x, lengths, h0, pf, pb)
    with pytest.raises(
        ShapeError, match=r"dout expected \(T=5, B=3, 8\) like out, got \(5, 3, 4\)"
    ):
        bidirectional_rnn_backward(np.zeros((5, 3, 4)), None, cache)
    with pytest.raises(TypeError, match="dout expected a float64 NumPy array"):
        bidirectional_rnn_backward(out.astype(np.float32), None, cache)
    with pytest.raises(ShapeError, match=r"dh_n expected \(2, B=3, H=4\)"):
        bidirectional_rnn_backward(out, np.zeros((2, 2, 4)), cache)
    with pytest.raises(TypeError, match="cache expected the cache returned by"):
        bidirectional_rnn_backward(out, None, (1, 2))


def test_reverse_padded_rejects_bad_lengths():
    with pytest.raises(ValueError, match=r"reverse_padded: .*got lengths\[0\] = 5"):
        reverse_padded(np.zeros((4, 2)), np.array([5, 1]))
    with pytest.raises(ShapeError, match=r"reverse_padded: x expected an array \(T, B, ...\)"):
        reverse_padded(np.zeros(4), np.array([1]))


def test_split_bidirectional_params_names_missing_keys(rng):
    with pytest.raises(ValueError, match=r"missing .*weight_ih_l0_reverse"):
        split_bidirectional_params(init_rnn_params(2, 3, rng=rng))
