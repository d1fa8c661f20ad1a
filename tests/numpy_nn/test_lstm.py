"""numpy_nn.lstm against torch.nn.LSTM, fixed values and numerical gradients."""

import numpy as np
import pytest
import torch

from course_rnn.gradcheck import check_gradients
from course_rnn.numpy_nn.lstm import (
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

from ._recurrent_ref import (
    TOL64,
    TORCH_CONFIGS,
    assert_matches_torch,
    check_sequence_gradients,
    linspace_case,
)

STEP_ARGS = ("x_t", "h_prev", "c_prev", "W_ih", "W_hh", "b_ih", "b_hh")
WEIGHT_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


@pytest.mark.parametrize(("T", "B", "D", "H", "num_layers", "bidirectional"), TORCH_CONFIGS)
def test_lstm_forward_backward_match_torch_lstm(T, B, D, H, num_layers, bidirectional):
    assert_matches_torch("lstm", T, B, D, H, num_layers, bidirectional)


def test_lstm_default_state_and_gradients_match_torch(rng):
    """state0=None means zeros and dstate_n=None no loss on (h_n, c_n), as in torch."""
    module = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    params = {k: v.numpy() for k, v in module.state_dict().items()}
    x = rng.standard_normal((5, 2, 3))
    doutput = rng.standard_normal((5, 2, 8))
    out, (h_n, c_n), cache = lstm_forward(x, params)
    dx, (dh0, dc0), dparams = lstm_backward(doutput, None, cache)
    xt = torch.from_numpy(x).requires_grad_()
    ref_out, (ref_h_n, ref_c_n) = module(xt)
    ref_out.backward(torch.from_numpy(doutput))
    np.testing.assert_allclose(out, ref_out.detach().numpy(), **TOL64)
    np.testing.assert_allclose(h_n, ref_h_n.detach().numpy(), **TOL64)
    np.testing.assert_allclose(c_n, ref_c_n.detach().numpy(), **TOL64)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **TOL64)
    for key, p in module.named_parameters():
        np.testing.assert_allclose(dparams[key], p.grad.numpy(), **TOL64, err_msg=key)
    assert dh0.shape == dc0.shape == (4, 2, 4)


def test_lstm_backward_accepts_a_partial_dstate_n(rng):
    """(dh_n, None) means no loss on c_n: the same as passing zeros for it."""
    params = init_lstm_params(3, 4, rng=rng)
    x = rng.standard_normal((3, 2, 3))
    dh_n = rng.standard_normal((1, 2, 4))
    _, _, cache = lstm_forward(x, params)
    dx, (_, dc0), dparams = lstm_backward(None, (dh_n, None), cache)
    ref_dx, (_, ref_dc0), ref_dparams = lstm_backward(
        np.zeros((3, 2, 4)), (dh_n, np.zeros_like(dh_n)), cache
    )
    np.testing.assert_array_equal(dx, ref_dx)
    np.testing.assert_array_equal(dc0, ref_dc0)
    for key in params:
        np.testing.assert_array_equal(dparams[key], ref_dparams[key])


def test_lstm_forward_accepts_a_float32_torch_state_dict_as_is(rng):
    module = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    params = {k: v.numpy() for k, v in module.state_dict().items()}
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    out, (h_n, c_n), _ = lstm_forward(x, params)
    ref_out, (ref_h_n, ref_c_n) = module(torch.from_numpy(x))
    assert out.dtype == h_n.dtype == c_n.dtype == np.float32
    for ours, ref in ((out, ref_out), (h_n, ref_h_n), (c_n, ref_c_n)):
        torch.testing.assert_close(torch.from_numpy(ours), ref.detach(), rtol=1e-5, atol=1e-6)


# Expected values produced once with torch.nn.LSTM(3, 4).double() loaded with the np.linspace
# parameters of _recurrent_ref.linspace_case (see torch_reference there).
EXPECTED_OUTPUT = [
    [
        [0.058114001907, 0.003942004597, -0.041365303918, -0.077076785069],
        [-0.001851537997, -0.030309137711, -0.060350736001, -0.091857074591],
    ],
    [
        [0.049167920426, 0.024964241515, 0.001421725416, -0.02087310212],
        [-0.000833683994, 0.004460997833, 0.010139954677, 0.01586673514],
    ],
]
EXPECTED_C_N = [
    [0.089715189981, 0.044724774897, 0.002505066812, -0.036222994749],
    [-0.001434367088, 0.007422151908, 0.016341681852, 0.024809572299],
]
# One step from the same (h0, c0) with dh_t = doutput[0], dc_t = 0: torch's x.grad, h0.grad.
EXPECTED_STEP_DX = [
    [-0.001548538862, -0.009724080344, -0.017899621825],
    [0.007644109635, 0.004204782484, 0.000765455334],
]
EXPECTED_STEP_DH_PREV = [
    [-0.110164433333, -0.116263646819, -0.122362860305, -0.128462073791],
    [-0.038092852894, -0.040658700134, -0.043224547374, -0.045790394613],
]


def test_lstm_forward_fixed_values():
    params, x, state0, _ = linspace_case("lstm")
    out, (h_n, c_n), _ = lstm_forward(x, params, state0)
    np.testing.assert_allclose(out, EXPECTED_OUTPUT, **TOL64)
    np.testing.assert_allclose(h_n[0], EXPECTED_OUTPUT[-1], **TOL64)
    np.testing.assert_allclose(c_n[0], EXPECTED_C_N, **TOL64)


def test_lstm_step_forward_backward_fixed_values():
    params, x, (h0, c0), doutput = linspace_case("lstm")
    weights = [params[key] for key in WEIGHT_KEYS]
    h_t, _, cache = lstm_step_forward(x[0], h0[0], c0[0], *weights)
    dx_t, dh_prev, *_ = lstm_step_backward(doutput[0], np.zeros_like(c0[0]), cache)
    np.testing.assert_allclose(h_t, EXPECTED_OUTPUT[0], **TOL64)
    np.testing.assert_allclose(dx_t, EXPECTED_STEP_DX, **TOL64)
    np.testing.assert_allclose(dh_prev, EXPECTED_STEP_DH_PREV, **TOL64)


def test_lstm_step_backward_numerical_gradient(rng):
    B, D, H = 3, 4, 5
    shapes = [(B, D), (B, H), (B, H), (4 * H, D), (4 * H, H), (4 * H,), (4 * H,)]
    inputs = {n: 0.5 * rng.standard_normal(s) for n, s in zip(STEP_ARGS, shapes, strict=True)}
    dh_t, dc_t = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    _, _, cache = lstm_step_forward(**inputs)
    grads = lstm_step_backward(dh_t, dc_t, cache)

    def f(inp):
        h_t, c_t, _ = lstm_step_forward(**inp)
        return np.stack([h_t, c_t])  # (2, B, H)

    analytic = dict(zip(STEP_ARGS, grads, strict=True))
    check_gradients(f, inputs, analytic, np.stack([dh_t, dc_t]), h=1e-5)


@pytest.mark.parametrize(
    ("T", "B", "D", "H", "num_layers", "bidirectional", "seed"),
    [(4, 2, 3, 2, 1, False, 0), (3, 2, 3, 2, 2, False, 1), (3, 2, 2, 2, 2, True, 2)],
)
def test_lstm_backward_numerical_gradient(T, B, D, H, num_layers, bidirectional, seed):
    check_sequence_gradients("lstm", T, B, D, H, num_layers, bidirectional, seed)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_init_lstm_params_keys_shapes_and_range_match_torch(rng, bidirectional):
    params = init_lstm_params(3, 5, num_layers=3, bidirectional=bidirectional, rng=rng)
    reference = torch.nn.LSTM(3, 5, num_layers=3, bidirectional=bidirectional).state_dict()
    assert list(params) == list(reference)
    for key, value in params.items():
        assert value.shape == tuple(reference[key].shape), key
        assert np.all(np.abs(value) <= 1 / np.sqrt(5))
