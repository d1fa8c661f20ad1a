"""course_rnn.studies.gradient_flow: the norms equal the NumPy backward pass, step by step."""

import numpy as np
import pytest
import torch

from course_rnn.numpy_nn import (
    lstm_step_backward,
    lstm_step_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from course_rnn.studies.adding import make_adding_model
from course_rnn.studies.gradient_flow import (
    MODELS,
    flow_summary,
    lag_ratio,
    probe_inputs,
    state_gradient_norms,
)

T, B, H = 7, 3, 5


def _weights(model):
    w = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    layer = [w[f"rnn.{name}_l0"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    head = w["head.weight"][0]  # (H,)
    return layer, head / np.linalg.norm(head)


def _inputs():
    return np.random.default_rng(1).random((T, B, 2)).astype(np.float32)


def test_lstm_norms_are_the_total_derivatives_of_the_numpy_backward_pass():
    model = make_adding_model("lstm", H, rng=np.random.default_rng(0), forget_bias=1.0)
    x = _inputs().astype(np.float64)
    layer, unit = _weights(model)
    h, c, caches = np.zeros((B, H)), np.zeros((B, H)), []
    for t in range(T):
        h, c, cache = lstm_step_forward(x[t], h, c, *layer)
        caches.append(cache)
    dh, dc_carried = np.tile(unit, (B, 1)), np.zeros((B, H))  # dL/dh_T, nothing after c_T
    h_norms, c_norms = [], []
    for t in reversed(range(T)):
        o, tanh_c = caches[t][8], caches[t][9]
        dc_total = dc_carried + dh * o * (1 - tanh_c**2)  # both paths into c_t
        h_norms.append(np.linalg.norm(dh, axis=1).mean())
        c_norms.append(np.linalg.norm(dc_total, axis=1).mean())
        _, dh, dc_carried, *_ = lstm_step_backward(dh, dc_carried, caches[t])
    h_norms.append(np.linalg.norm(dh, axis=1).mean())  # k = T: the initial state
    c_norms.append(np.linalg.norm(dc_carried, axis=1).mean())  # c_0 reaches L only via c_1
    flow = state_gradient_norms(model, x)
    np.testing.assert_allclose(flow["h"], h_norms, rtol=1e-9)
    np.testing.assert_allclose(flow["c"], c_norms, rtol=1e-9)
    forget = np.stack([cache[6] for cache in caches])  # (T, B, H) f_t
    np.testing.assert_allclose(flow["forget"], forget, rtol=1e-9)


def test_rnn_norms_follow_the_numpy_recursion():
    model = make_adding_model("rnn", H, rng=np.random.default_rng(0))
    x = _inputs().astype(np.float64)
    layer, unit = _weights(model)
    h, caches = np.zeros((B, H)), []
    for t in range(T):
        h, cache = rnn_step_forward(x[t], h, *layer)
        caches.append(cache)
    dh, norms = np.tile(unit, (B, 1)), []
    for t in reversed(range(T)):
        norms.append(np.linalg.norm(dh, axis=1).mean())
        dh = rnn_step_backward(dh, caches[t])[1]
    norms.append(np.linalg.norm(dh, axis=1).mean())
    flow = state_gradient_norms(model, x)
    np.testing.assert_allclose(flow["h"], norms, rtol=1e-9)
    assert flow["c"] is None
    assert flow["forget"] is None


@pytest.mark.parametrize(("cell", "bias"), list(MODELS.values()))
def test_the_gradient_starts_as_a_unit_vector_at_the_last_state(cell, bias):
    model = make_adding_model(cell, H, rng=np.random.default_rng(2), forget_bias=bias)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    flow = state_gradient_norms(model, _inputs())
    assert flow["h"].shape == (T + 1,)
    assert abs(flow["h"][0] - 1) < 1e-12
    assert lag_ratio(flow["h"], 3) == pytest.approx(flow["h"][3], rel=1e-12)
    for key, value in model.state_dict().items():  # the model itself is untouched
        assert value.dtype == torch.float32
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)


def test_a_forget_bias_of_one_carries_the_cell_gradient_further_at_initialisation():
    ratios = {}
    for bias in (0.0, 1.0):
        model = make_adding_model("lstm", 32, rng=np.random.default_rng(0), forget_bias=bias)
        flow = state_gradient_norms(model, probe_inputs(60, batch_size=16))
        ratios[bias] = lag_ratio(flow["c"], 50)
        assert abs(flow["forget"].mean() - 1 / (1 + np.exp(-bias))) < 0.02  # about σ(bias)
    assert ratios[1.0] > 1e3 * ratios[0.0]


def test_the_summary_is_json_ready():
    model = make_adding_model("lstm", H, rng=np.random.default_rng(0), forget_bias=1.0)
    summary = flow_summary(model, 6)
    assert len(summary["h"]) == len(summary["c"]) == 7
    assert isinstance(summary["forget_mean"], float)
    gru = flow_summary(make_adding_model("gru", H, rng=np.random.default_rng(0)), 6)
    assert gru["c"] is None
    assert gru["forget_mean"] is None
    assert probe_inputs(6).shape == (6, 64, 2)
    np.testing.assert_array_equal(probe_inputs(6), probe_inputs(6))


def test_bad_arguments_are_named():
    model = make_adding_model("gru", H, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="model must be an AddingModel, got Linear"):
        state_gradient_norms(torch.nn.Linear(2, 1), _inputs())
    with pytest.raises(ValueError, match=r"inputs expected shape \(T, B, 2\), got \(7, 3\)"):
        state_gradient_norms(model, np.zeros((7, 3)))
    with pytest.raises(ValueError, match=r"k must be in \[0, 7\], got 8"):
        lag_ratio(np.ones(8), 8)
