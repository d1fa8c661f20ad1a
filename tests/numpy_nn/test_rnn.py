"""numpy_nn.rnn against torch.nn.RNN (tanh, relu), fixed values and numerical gradients."""

import numpy as np
import pytest
import torch

from course_rnn.gradcheck import check_gradients
from course_rnn.numpy_nn.rnn import (
    init_rnn_params,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

from ._recurrent_ref import (
    TOL64,
    TORCH_CONFIGS,
    assert_matches_torch,
    check_sequence_gradients,
    linspace_case,
)

STEP_ARGS = ("x_t", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh")
WEIGHT_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize(("T", "B", "D", "H", "num_layers", "bidirectional"), TORCH_CONFIGS)
def test_rnn_forward_backward_match_torch_rnn(nonlinearity, T, B, D, H, num_layers, bidirectional):
    assert_matches_torch(f"rnn_{nonlinearity}", T, B, D, H, num_layers, bidirectional)


def test_rnn_default_state_and_gradients_match_torch(rng):
    """h0=None means zeros, dh_n=None means no loss on h_n, as in torch."""
    module = torch.nn.RNN(3, 4, num_layers=2, bidirectional=True).double()
    params = {k: v.numpy() for k, v in module.state_dict().items()}
    x = rng.standard_normal((5, 2, 3))
    doutput = rng.standard_normal((5, 2, 8))
    out, h_n, cache = rnn_forward(x, params)
    dx, dh0, dparams = rnn_backward(doutput, None, cache)
    xt = torch.from_numpy(x).requires_grad_()
    ref_out, ref_h_n = module(xt)
    ref_out.backward(torch.from_numpy(doutput))
    np.testing.assert_allclose(out, ref_out.detach().numpy(), **TOL64)
    np.testing.assert_allclose(h_n, ref_h_n.detach().numpy(), **TOL64)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **TOL64)
    for key, p in module.named_parameters():
        np.testing.assert_allclose(dparams[key], p.grad.numpy(), **TOL64, err_msg=key)
    assert dh0.shape == (4, 2, 4)


def test_rnn_forward_accepts_a_float32_torch_state_dict_as_is(rng):
    module = torch.nn.RNN(3, 5, num_layers=2, nonlinearity="relu")
    params = {k: v.numpy() for k, v in module.state_dict().items()}
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    out, h_n, _ = rnn_forward(x, params, nonlinearity="relu")
    ref_out, ref_h_n = module(torch.from_numpy(x))
    assert out.dtype == h_n.dtype == np.float32
    torch.testing.assert_close(torch.from_numpy(out), ref_out.detach(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(torch.from_numpy(h_n), ref_h_n.detach(), rtol=1e-5, atol=1e-6)


# Expected values produced once with torch.nn.RNN(3, 4, nonlinearity=...).double() loaded with
# the np.linspace parameters of _recurrent_ref.linspace_case (see torch_reference there).
EXPECTED_OUTPUT = {
    "tanh": [
        [
            [0.600320033435, 0.292693533182, -0.09038078846, -0.448455943226],
            [0.100022551149, 0.221815487089, 0.337059439532, 0.443016719482],
        ],
        [
            [-0.297395688422, -0.0831371899, 0.139093535939, 0.348145347668],
            [-0.591586967923, -0.098200481238, 0.448697291416, 0.787438575419],
        ],
    ],
    "relu": [
        [
            [0.69364738292, 0.301509641873, 0.0, 0.0],
            [0.100358126722, 0.225564738292, 0.350771349862, 0.475977961433],
        ],
        [[0.0, 0.0, 0.32273513315, 0.665715408632], [0.0, 0.0, 0.497935353535, 1.088996143251]],
    ],
}
# One step from the same h0 with dh_t = doutput[0]: torch's x.grad and h0.grad.
EXPECTED_STEP_DX = {
    "tanh": [
        [0.245130503326, 0.125341707696, 0.005552912066],
        [0.182877262083, 0.129555700359, 0.076234138635],
    ],
    "relu": [
        [0.408242424242, 0.324666666667, 0.241090909091],
        [0.184242424242, 0.127393939394, 0.070545454545],
    ],
}
EXPECTED_STEP_DH_PREV = {
    "tanh": [
        [-0.120063509974, -0.207908626769, -0.295753743565, -0.38359886036],
        [0.018679362954, -0.020423115644, -0.059525594242, -0.098628072839],
    ],
    "relu": [
        [0.148177777778, 0.086888888889, 0.0256, -0.035688888889],
        [0.009422222222, -0.032266666667, -0.073955555556, -0.115644444444],
    ],
}


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_forward_fixed_values(nonlinearity):
    params, x, (h0,), _ = linspace_case(f"rnn_{nonlinearity}")
    out, h_n, _ = rnn_forward(x, params, h0, nonlinearity=nonlinearity)
    np.testing.assert_allclose(out, EXPECTED_OUTPUT[nonlinearity], **TOL64)
    np.testing.assert_allclose(h_n[0], EXPECTED_OUTPUT[nonlinearity][-1], **TOL64)


def test_rnn_step_forward_backward_fixed_values():
    params, x, (h0,), doutput = linspace_case("rnn_tanh")
    weights = [params[key] for key in WEIGHT_KEYS]
    h_t, cache = rnn_step_forward(x[0], h0[0], *weights)
    dx_t, dh_prev, *_ = rnn_step_backward(doutput[0], cache)
    np.testing.assert_allclose(h_t, EXPECTED_OUTPUT["tanh"][0], **TOL64)
    np.testing.assert_allclose(dx_t, EXPECTED_STEP_DX["tanh"], **TOL64)
    np.testing.assert_allclose(dh_prev, EXPECTED_STEP_DH_PREV["tanh"], **TOL64)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_one_step_sequence_fixed_values(nonlinearity):
    """The sequence functions on T = 1 give the one-step values (relu lives only here)."""
    params, x, (h0,), doutput = linspace_case(f"rnn_{nonlinearity}")
    out, _, cache = rnn_forward(x[:1], params, h0, nonlinearity=nonlinearity)
    dx, dh0, _ = rnn_backward(doutput[:1], None, cache)
    np.testing.assert_allclose(out[0], EXPECTED_OUTPUT[nonlinearity][0], **TOL64)
    np.testing.assert_allclose(dx[0], EXPECTED_STEP_DX[nonlinearity], **TOL64)
    np.testing.assert_allclose(dh0[0], EXPECTED_STEP_DH_PREV[nonlinearity], **TOL64)


def test_rnn_step_backward_numerical_gradient(rng):
    B, D, H = 3, 4, 5
    shapes = [(B, D), (B, H), (H, D), (H, H), (H,), (H,)]
    inputs = {n: 0.5 * rng.standard_normal(s) for n, s in zip(STEP_ARGS, shapes, strict=True)}
    dh_t = rng.standard_normal((B, H))
    _, cache = rnn_step_forward(**inputs)
    grads = rnn_step_backward(dh_t, cache)

    def f(inp):
        return rnn_step_forward(**inp)[0]

    check_gradients(f, inputs, dict(zip(STEP_ARGS, grads, strict=True)), dh_t, h=1e-5)


def test_rnn_step_functions_match_torch_rnn_cell(rng):
    """The readable step against torch.nn.RNNCell (float64), forward and every gradient."""
    B, D, H = 3, 4, 5
    cell = torch.nn.RNNCell(D, H).double()
    weights = [p.detach().numpy() for p in cell.parameters()]  # W_ih, W_hh, b_ih, b_hh
    x_t, h_prev, dh_t = (rng.standard_normal(s) for s in [(B, D), (B, H), (B, H)])
    h_t, cache = rnn_step_forward(x_t, h_prev, *weights)
    grads = rnn_step_backward(dh_t, cache)
    xt, hp = (torch.tensor(a, requires_grad=True) for a in (x_t, h_prev))
    ref = cell(xt, hp)
    ref.backward(torch.from_numpy(dh_t))
    np.testing.assert_allclose(h_t, ref.detach().numpy(), **TOL64)
    expected = [xt.grad, hp.grad, *(p.grad for p in cell.parameters())]
    for name, ours, theirs in zip(STEP_ARGS, grads, expected, strict=True):
        np.testing.assert_allclose(ours, theirs.numpy(), **TOL64, err_msg=name)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize(
    ("T", "B", "D", "H", "num_layers", "bidirectional"),
    [(3, 2, 3, 2, 2, False), (3, 1, 2, 2, 2, True)],
)
def test_rnn_backward_numerical_gradient(nonlinearity, T, B, D, H, num_layers, bidirectional):
    check_sequence_gradients(f"rnn_{nonlinearity}", T, B, D, H, num_layers, bidirectional)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_init_rnn_params_keys_shapes_and_range_match_torch(rng, bidirectional):
    params = init_rnn_params(3, 5, num_layers=2, bidirectional=bidirectional, rng=rng)
    reference = torch.nn.RNN(3, 5, num_layers=2, bidirectional=bidirectional).state_dict()
    assert list(params) == list(reference)
    for key, value in params.items():
        assert value.shape == tuple(reference[key].shape), key
        assert value.dtype == np.float64
        assert np.all(np.abs(value) <= 1 / np.sqrt(5))
