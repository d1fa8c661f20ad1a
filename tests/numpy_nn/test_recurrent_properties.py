"""Invariants of the NumPy RNN, LSTM and GRU: steps, state passing, truncated BPTT, batches,
directions, causality, gates and dtypes (numpy_nn.rnn, lstm, gru and recurrent)."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_rnn.numpy_nn.gru import gru_step_backward, gru_step_forward
from course_rnn.numpy_nn.lstm import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from course_rnn.numpy_nn.recurrent import truncated_bptt
from course_rnn.numpy_nn.rnn import init_rnn_params, rnn_step_backward, rnn_step_forward

from ._recurrent_ref import KINDS, TOL64, assert_matches_torch, backward, forward, make_case

ALL_KINDS = list(KINDS)
STEP_KINDS = ["rnn_tanh", "lstm", "gru"]  # the kinds with readable step functions (tanh only)
#: The fast sequence loops and the readable steps do the same arithmetic, up to the order of a
#: few additions: they must agree far beyond TOL64.
PINNED = {"rtol": 1e-12, "atol": 1e-13}
WEIGHTS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _step_forward(kind, x_t, states, weights):
    """The kind's public step function, returning (states_t, cache)."""
    if kind == "lstm":
        h_t, c_t, cache = lstm_step_forward(x_t, *states, *weights)
        return (h_t, c_t), cache
    if kind == "gru":
        h_t, cache = gru_step_forward(x_t, *states, *weights)
    else:
        h_t, cache = rnn_step_forward(x_t, *states, *weights)  # tanh
    return (h_t,), cache


def _step_backward(kind, dstates, cache):
    """The kind's public step backward, returning (dx_t, dstates_prev, weight gradients)."""
    if kind == "lstm":
        dx_t, dh_prev, dc_prev, *grads = lstm_step_backward(*dstates, cache)
        return dx_t, (dh_prev, dc_prev), grads
    step_backward = gru_step_backward if kind == "gru" else rnn_step_backward
    dx_t, dh_prev, *grads = step_backward(*dstates, cache)
    return dx_t, (dh_prev,), grads


@pytest.mark.parametrize("kind", STEP_KINDS)
def test_sequence_equals_repeated_steps_forward_and_backward(kind):
    """rnn/lstm/gru_forward and _backward compute what T calls of the step functions compute."""
    params, x, state0, doutput, dstates_n = make_case(kind, 5, 3, 4, 6, 1, False, seed=1)
    weights = [params[k] for k in WEIGHTS]
    states, caches, outs = tuple(s[0] for s in state0), [], []
    for t in range(x.shape[0]):
        states, cache = _step_forward(kind, x[t], states, weights)
        outs.append(states[0])
        caches.append(cache)
    out, states_n, seq_cache = forward(kind, x, params, state0)
    np.testing.assert_allclose(out, np.stack(outs), **PINNED)
    for s_n, s in zip(states_n, states, strict=True):
        np.testing.assert_allclose(s_n[0], s, **PINNED)
    # BPTT by hand: the carried gradient plus the output's gradient at every step.
    dstates, dxs, dweights = tuple(d[0] for d in dstates_n), [], [0, 0, 0, 0]
    for t in reversed(range(x.shape[0])):
        dstates = (dstates[0] + doutput[t], *dstates[1:])
        dx_t, dstates, grads = _step_backward(kind, dstates, caches[t])
        dxs.append(dx_t)
        dweights = [a + g for a, g in zip(dweights, grads, strict=True)]
    dx, dstates0, dparams = backward(kind, doutput, dstates_n, seq_cache)
    np.testing.assert_allclose(dx, np.stack(dxs[::-1]), **PINNED)
    for d0, d in zip(dstates0, dstates, strict=True):
        np.testing.assert_allclose(d0[0], d, **PINNED)
    for key, grad in zip(WEIGHTS, dweights, strict=True):
        np.testing.assert_allclose(dparams[key], grad, **PINNED, err_msg=key)


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("k", [1, 3])
def test_state_passing_equals_one_run(kind, k):
    """Running on x[:k], then on x[k:] from the state reached, is one run on x (2 layers)."""
    params, x, state0, _, _ = make_case(kind, 6, 2, 3, 4, 2, False, seed=2)
    out_a, states_a, _ = forward(kind, x[:k], params, state0)
    out_b, states_b, _ = forward(kind, x[k:], params, states_a)
    out, states_n, _ = forward(kind, x, params, state0)
    np.testing.assert_allclose(np.concatenate([out_a, out_b]), out, **TOL64)
    for s_b, s_n in zip(states_b, states_n, strict=True):
        np.testing.assert_allclose(s_b, s_n, **TOL64)


def _tbptt(kind, x, params, doutput, window, state0):
    fwd, bwd = KINDS[kind][2:4]
    if kind.startswith("rnn"):
        fwd = functools.partial(fwd, nonlinearity=kind[4:])
    return truncated_bptt(fwd, bwd, x, params, doutput, window=window, state0=state0)


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("window", [5, 7, 100])
def test_truncated_bptt_with_window_at_least_t_is_full_bptt(kind, window):
    params, x, state0, doutput, _ = make_case(kind, 5, 2, 3, 4, 2, False, seed=3)
    state0 = state0 if kind == "lstm" else state0[0]
    out, state_n, dx, dparams = _tbptt(kind, x, params, doutput, window, state0)
    ref_out, ref_states, cache = forward(kind, x, params, state0 if kind == "lstm" else (state0,))
    ref_dx, _, ref_dparams = backward(kind, doutput, None, cache)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(dx, ref_dx)
    for s, ref in zip(state_n if kind == "lstm" else (state_n,), ref_states, strict=True):
        np.testing.assert_array_equal(s, ref)
    for key, grad in ref_dparams.items():
        np.testing.assert_array_equal(dparams[key], grad)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_truncated_bptt_carries_the_state_and_cuts_the_gradient(kind):
    """Windows of K < T: forward as one run; gradients = the windows' own backward passes."""
    params, x, state0, doutput, _ = make_case(kind, 7, 2, 3, 4, 1, False, seed=4)
    s0 = state0 if kind == "lstm" else state0[0]
    out, state_n, dx, dparams = _tbptt(kind, x, params, doutput, 3, s0)
    ref_out, ref_states, _ = forward(kind, x, params, state0)
    np.testing.assert_allclose(out, ref_out, **TOL64)
    for s, ref in zip(state_n if kind == "lstm" else (state_n,), ref_states, strict=True):
        np.testing.assert_allclose(s, ref, **TOL64)
    states, expected = state0, dict.fromkeys(params, 0)
    for start in (0, 3, 6):  # windows [0, 3), [3, 6), [6, 7), each from the carried state
        _, states, cache = forward(kind, x[start : start + 3], params, states)
        dx_w, _, grads = backward(kind, doutput[start : start + 3], None, cache)
        np.testing.assert_allclose(dx[start : start + 3], dx_w, **TOL64)
        expected = {k: expected[k] + grads[k] for k in params}
    for key, grad in expected.items():
        np.testing.assert_allclose(dparams[key], grad, **TOL64, err_msg=key)
    _, _, full_dx, _ = _tbptt(kind, x, params, doutput, 7, s0)
    assert not np.allclose(dx[:3], full_dx[:3])  # the cut gradient differs from full BPTT


def test_truncated_bptt_takes_a_function_for_doutput(rng):
    """doutput(start, output_window) sees each window's output as it is produced."""
    params, x, _, doutput, _ = make_case("lstm", 7, 2, 3, 4, 1, False, seed=5)
    seen = []

    def dout_of(start, out):
        seen.append((start, out.shape[0]))
        return doutput[start : start + out.shape[0]]

    result = truncated_bptt(lstm_forward, lstm_backward, x, params, dout_of, window=3)
    expected = truncated_bptt(lstm_forward, lstm_backward, x, params, doutput, window=3)
    assert seen == [(0, 3), (3, 3), (6, 1)]
    np.testing.assert_array_equal(result[2], expected[2])
    for key in params:
        np.testing.assert_array_equal(result[3][key], expected[3][key])


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_batch_rows_are_independent(kind, bidirectional):
    params, x, state0, _, _ = make_case(kind, 4, 3, 2, 3, 2, bidirectional, seed=6)
    out, states_n, _ = forward(kind, x, params, state0)
    for b in range(3):
        out_b, states_b, _ = forward(
            kind, x[:, b : b + 1], params, tuple(s[:, b : b + 1] for s in state0)
        )
        np.testing.assert_allclose(out_b[:, 0], out[:, b], **TOL64)
        for s_b, s_n in zip(states_b, states_n, strict=True):
            np.testing.assert_allclose(s_b[:, 0], s_n[:, b], **TOL64)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_reverse_direction_is_the_forward_model_on_the_flipped_input(kind):
    params, x, state0, _, _ = make_case(kind, 5, 2, 3, 4, 1, True, seed=7)
    H = 4
    out, states_n, _ = forward(kind, x, params, state0)
    reverse = {k.removesuffix("_reverse"): v for k, v in params.items() if k.endswith("_reverse")}
    out_r, states_r, _ = forward(kind, x[::-1].copy(), reverse, tuple(s[1:] for s in state0))
    np.testing.assert_allclose(out[:, :, H:], out_r[::-1], **TOL64)
    for s_n, s_r in zip(states_n, states_r, strict=True):
        np.testing.assert_allclose(s_n[1], s_r[0], **TOL64)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_unidirectional_models_are_causal_and_bidirectional_ones_are_not(kind):
    """Changing x[t+1:] leaves out[:t+1] unchanged; the same check fails for a bidirectional one."""
    t = 2
    for bidirectional in (False, True):
        params, x, state0, _, _ = make_case(kind, 6, 2, 3, 4, 2, bidirectional, seed=8)
        changed = x.copy()
        changed[t + 1 :] += 1.0
        out, _, _ = forward(kind, x, params, state0)
        out_changed, _, _ = forward(kind, changed, params, state0)
        if bidirectional:
            assert not np.allclose(out[: t + 1], out_changed[: t + 1])
        else:
            np.testing.assert_array_equal(out[: t + 1], out_changed[: t + 1])
            assert not np.allclose(out[t + 1 :], out_changed[t + 1 :])


def test_gru_with_update_gate_forced_to_one_keeps_h(rng):
    """z = σ(50) = 1 in float64, so h_t = (1 − z) ⊙ n + z ⊙ h_{t-1} = h_{t-1} at every step."""
    params, x, (h0,), _, _ = make_case("gru", 6, 2, 3, 4, 1, False, seed=9)
    params["bias_ih_l0"][4:8] = 50.0  # the z block (gate order r, z, n)
    out, h_n, _ = forward("gru", x, params, (h0,))
    np.testing.assert_allclose(out, np.broadcast_to(h0, out.shape), rtol=0, atol=1e-15)
    np.testing.assert_allclose(h_n[0], h0, rtol=0, atol=1e-15)


def test_lstm_with_forget_gate_one_and_input_gate_zero_keeps_c_and_its_gradient(rng):
    """f ≈ 1 and i ≈ 0: c_t = c_{t-1}, and dc_n flows back to dc0 unchanged (the carousel)."""
    params, x, state0, _, _ = make_case("lstm", 6, 2, 3, 4, 1, False, seed=10)
    params["bias_ih_l0"][0:4] = -50.0  # i block (gate order i, f, g, o)
    params["bias_ih_l0"][4:8] = 50.0  # f block
    _, (_, c_n), cache = lstm_forward(x, params, state0)
    np.testing.assert_allclose(c_n, state0[1], rtol=0, atol=1e-15)
    dc_n = rng.standard_normal(c_n.shape)
    _, (_, dc0), _ = lstm_backward(None, (None, dc_n), cache)
    np.testing.assert_allclose(dc0, dc_n, rtol=0, atol=1e-15)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_float32_in_float32_out_close_to_float64(kind):
    params, x, state0, doutput, dstates_n = make_case(kind, 4, 2, 3, 5, 2, True, seed=11)
    f32 = [
        {k: v.astype(np.float32) for k, v in params.items()},
        x.astype(np.float32),
        tuple(s.astype(np.float32) for s in state0),
        doutput.astype(np.float32),
        tuple(d.astype(np.float32) for d in dstates_n),
    ]
    out, states_n, cache = forward(kind, f32[1], f32[0], f32[2])
    dx, dstates0, dparams = backward(kind, f32[3], f32[4], cache)
    ref_out, _, ref_cache = forward(kind, x, params, state0)
    ref_dx, _, ref_dparams = backward(kind, doutput, dstates_n, ref_cache)
    arrays = [out, dx, *states_n, *dstates0, *dparams.values()]
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-4, atol=1e-5)
    for key in params:
        np.testing.assert_allclose(dparams[key], ref_dparams[key], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_forward_and_backward_leave_their_inputs_unchanged(kind):
    params, x, state0, doutput, dstates_n = make_case(kind, 3, 2, 3, 4, 2, True, seed=12)
    copies = [
        {k: v.copy() for k, v in params.items()},
        x.copy(),
        [s.copy() for s in state0],
        doutput.copy(),
        [d.copy() for d in dstates_n],
    ]
    _, _, cache = forward(kind, x, params, state0)
    backward(kind, doutput, dstates_n, cache)
    for key in params:
        np.testing.assert_array_equal(params[key], copies[0][key])
    np.testing.assert_array_equal(x, copies[1])
    np.testing.assert_array_equal(doutput, copies[3])
    for a, b in zip([*state0, *dstates_n], [*copies[2], *copies[4]], strict=True):
        np.testing.assert_array_equal(a, b)


def test_init_params_are_reproducible_and_keep_the_dtype():
    a = init_rnn_params(3, 4, 2, True, rng=np.random.default_rng(5), dtype=np.float32)
    b = init_rnn_params(3, 4, 2, True, rng=np.random.default_rng(5), dtype=np.float32)
    assert all(a[k].dtype == np.float32 for k in a)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


@settings(derandomize=True, deadline=None, max_examples=12)
@given(
    kind=st.sampled_from(ALL_KINDS),
    T=st.integers(1, 4),
    B=st.integers(1, 3),
    D=st.integers(1, 4),
    H=st.integers(1, 4),
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
)
def test_random_shapes_match_torch(kind, T, B, D, H, num_layers, bidirectional):
    assert_matches_torch(kind, T, B, D, H, num_layers, bidirectional, seed=T * 100 + B * 10 + D)


@settings(derandomize=True, deadline=None, max_examples=10)
@given(kind=st.sampled_from(ALL_KINDS), T=st.integers(2, 8), window=st.integers(1, 9))
def test_truncated_bptt_output_never_depends_on_the_window(kind, T, window):
    params, x, state0, doutput, _ = make_case(kind, T, 2, 2, 3, 1, False, seed=T)
    s0 = state0 if kind == "lstm" else state0[0]
    out, _, _, _ = _tbptt(kind, x, params, doutput, window, s0)
    ref_out, _, _ = forward(kind, x, params, state0)
    np.testing.assert_allclose(out, ref_out, **TOL64)
