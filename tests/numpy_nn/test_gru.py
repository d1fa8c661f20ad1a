"""numpy_nn.gru against torch.nn.GRU, fixed values and numerical gradients."""

import numpy as np
import pytest
import torch

from course_rnn.gradcheck import check_gradients
from course_rnn.numpy_nn.gru import (
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    init_gru_params,
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


@pytest.mark.parametrize(("T", "B", "D", "H", "num_layers", "bidirectional"), TORCH_CONFIGS)
def test_gru_forward_backward_match_torch_gru(T, B, D, H, num_layers, bidirectional):
    assert_matches_torch("gru", T, B, D, H, num_layers, bidirectional)


def test_gru_default_state_and_gradients_match_torch(rng):
    """h0=None means zeros, dh_n=None means no loss on h_n, as in torch."""
    module = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True).double()
    params = {k: v.numpy() for k, v in module.state_dict().items()}
    x = rng.standard_normal((5, 2, 3))
    doutput = rng.standard_normal((5, 2, 8))
    out, h_n, cache = gru_forward(x, params)
    dx, dh0, dparams = gru_backward(doutput, None, cache)
    xt = torch.from_numpy(x).requires_grad_()
    ref_out, ref_h_n = module(xt)
    ref_out.backward(torch.from_numpy(doutput))
    np.testing.assert_allclose(out, ref_out.detach().numpy(), **TOL64)
    np.testing.assert_allclose(h_n, ref_h_n.detach().numpy(), **TOL64)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **TOL64)
    for key, p in module.named_parameters():
        np.testing.assert_allclose(dparams[key], p.grad.numpy(), **TOL64, err_msg=key)
    assert dh0.shape == (4, 2, 4)


def test_gru_forward_accepts_a_float32_torch_state_dict_as_is(rng):
    module = torch.nn.GRU(3, 5, num_layers=2, bidirectional=True)
    params = {k: v.numpy() for k, v in module.state_dict().items()}
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    out, h_n, _ = gru_forward(x, params)
    ref_out, ref_h_n = module(torch.from_numpy(x))
    assert out.dtype == h_n.dtype == np.float32
    torch.testing.assert_close(torch.from_numpy(out), ref_out.detach(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(torch.from_numpy(h_n), ref_h_n.detach(), rtol=1e-5, atol=1e-6)


# Expected values produced once with torch.nn.GRU(3, 4).double() loaded with the np.linspace
# parameters of _recurrent_ref.linspace_case (see torch_reference there).
EXPECTED_OUTPUT = [
    [
        [-0.233451363231, -0.214113318105, -0.20205414711, -0.196449634034],
        [0.164875299229, 0.235228019198, 0.30672101961, 0.379316658888],
    ],
    [
        [-0.065327599206, -0.029682050586, 0.002015044889, 0.030026665996],
        [0.294177310573, 0.387279408029, 0.46399117439, 0.528053253616],
    ],
]
# One step from the same h0 with dh_t = doutput[0]: torch's x.grad and h0.grad.
EXPECTED_STEP_DX = [
    [-0.188223590214, -0.207634133023, -0.227044675831],
    [-0.044735391926, -0.052092235929, -0.059449079932],
]
EXPECTED_STEP_DH_PREV = [
    [-0.643120577744, -0.584906323586, -0.531750011705, -0.483813726095],
    [-0.25263597007, -0.210761904558, -0.167035532848, -0.121470131891],
]


def test_gru_forward_fixed_values():
    params, x, (h0,), _ = linspace_case("gru")
    out, h_n, _ = gru_forward(x, params, h0)
    np.testing.assert_allclose(out, EXPECTED_OUTPUT, **TOL64)
    np.testing.assert_allclose(h_n[0], EXPECTED_OUTPUT[-1], **TOL64)


def test_gru_step_forward_backward_fixed_values():
    params, x, (h0,), doutput = linspace_case("gru")
    weights = [params[key] for key in WEIGHT_KEYS]
    h_t, cache = gru_step_forward(x[0], h0[0], *weights)
    dx_t, dh_prev, *_ = gru_step_backward(doutput[0], cache)
    np.testing.assert_allclose(h_t, EXPECTED_OUTPUT[0], **TOL64)
    np.testing.assert_allclose(dx_t, EXPECTED_STEP_DX, **TOL64)
    np.testing.assert_allclose(dh_prev, EXPECTED_STEP_DH_PREV, **TOL64)


def test_gru_step_backward_numerical_gradient(rng):
    B, D, H = 3, 4, 5
    shapes = [(B, D), (B, H), (3 * H, D), (3 * H, H), (3 * H,), (3 * H,)]
    inputs = {n: 0.5 * rng.standard_normal(s) for n, s in zip(STEP_ARGS, shapes, strict=True)}
    dh_t = rng.standard_normal((B, H))
    _, cache = gru_step_forward(**inputs)
    grads = gru_step_backward(dh_t, cache)

    def f(inp):
        return gru_step_forward(**inp)[0]

    check_gradients(f, inputs, dict(zip(STEP_ARGS, grads, strict=True)), dh_t, h=1e-5)


@pytest.mark.parametrize(
    ("T", "B", "D", "H", "num_layers", "bidirectional", "seed"),
    [(4, 2, 3, 2, 1, False, 0), (3, 2, 3, 2, 2, False, 0), (3, 1, 2, 2, 2, True, 0)],
)
def test_gru_backward_numerical_gradient(T, B, D, H, num_layers, bidirectional, seed):
    check_sequence_gradients("gru", T, B, D, H, num_layers, bidirectional, seed)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_init_gru_params_keys_shapes_and_range_match_torch(rng, bidirectional):
    params = init_gru_params(3, 5, num_layers=2, bidirectional=bidirectional, rng=rng)
    reference = torch.nn.GRU(3, 5, num_layers=2, bidirectional=bidirectional).state_dict()
    assert list(params) == list(reference)
    for key, value in params.items():
        assert value.shape == tuple(reference[key].shape), key
        assert np.all(np.abs(value) <= 1 / np.sqrt(5))
