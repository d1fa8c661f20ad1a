"""Shared helpers of the parity tests: the NumPy twin and the torch twin on the same numbers.

The NumPy twin's forward must equal the torch twin's forward, and its hand-written backward
must equal torch's autograd through the torch twin, in float64 (rtol 1e-9).
"""

import numpy as np
import torch

from course_rnn import numpy_nn, torch_nn

#: float64 comparisons (tests/conftest.py's TOL64)
TOL64 = {"rtol": 1e-9, "atol": 1e-11}

#: kind -> (numpy_nn name, torch twin class, torch step function, number of states)
KINDS = {
    "rnn_tanh": ("rnn", torch_nn.RNN, torch_nn.rnn_step, 1),
    "rnn_relu": ("rnn", torch_nn.RNN, torch_nn.rnn_step, 1),
    "lstm": ("lstm", torch_nn.LSTM, torch_nn.lstm_step, 2),
    "gru": ("gru", torch_nn.GRU, torch_nn.gru_step, 1),
}


def _numpy(kind, what):
    """numpy_nn's function for a kind: _numpy("lstm", "forward") is numpy_nn.lstm_forward."""
    name = KINDS[kind][0]
    return getattr(numpy_nn, f"init_{name}_params" if what == "init" else f"{name}_{what}")


def _options(kind):
    return {"nonlinearity": kind[4:]} if kind.startswith("rnn") else {}


def _grads(outputs, upstream, inputs):
    """Autograd of sum(output · upstream) with respect to each input, as NumPy arrays."""
    loss = sum((o * torch.from_numpy(u)).sum() for o, u in zip(outputs, upstream, strict=True))
    return [g.numpy() for g in torch.autograd.grad(loss, inputs)]


def assert_step_parity(kind, B, D, H, seed=0):
    """*_step_forward/backward (NumPy) against *_step and autograd (torch); RNN: tanh only."""
    rng = np.random.default_rng(seed)
    _, _, step, n = KINDS[kind]
    params = _numpy(kind, "init")(D, H, rng=rng)
    weights = [params[f"{name}_l0"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    x_t = rng.standard_normal((B, D))
    state_prev = [rng.standard_normal((B, H)) for _ in range(n)]
    dstate_t = [rng.standard_normal((B, H)) for _ in range(n)]
    inputs = [x_t, *state_prev, *weights]
    *state_t, cache = _numpy(kind, "step_forward")(*inputs)  # NumPy's step: tanh only
    grads = _numpy(kind, "step_backward")(*dstate_t, cache)
    tensors = [torch.from_numpy(a).requires_grad_() for a in inputs]
    torch_state_t = step(*tensors, **_options(kind))
    torch_state_t = torch_state_t if n == 2 else (torch_state_t,)
    for ours, ref in zip(state_t, torch_state_t, strict=True):
        np.testing.assert_allclose(ours, ref.detach().numpy(), **TOL64)
    state_names = ["dh_prev", "dc_prev"][:n]
    names = ["dx_t", *state_names, "dW_ih", "dW_hh", "db_ih", "db_hh"]
    for name, ours, ref in zip(names, grads, _grads(torch_state_t, dstate_t, tensors), strict=True):
        np.testing.assert_allclose(ours, ref, **TOL64, err_msg=name)


def assert_sequence_parity(kind, T, B, D, H, num_layers, bidirectional, seed=0):
    """*_forward/backward (NumPy) against the torch twin's forward and autograd."""
    rng = np.random.default_rng(seed)
    _, cls, _, n = KINDS[kind]
    dirs = 2 if bidirectional else 1
    params = _numpy(kind, "init")(D, H, num_layers, bidirectional, rng=rng)
    x = rng.standard_normal((T, B, D))
    state0 = [rng.standard_normal((num_layers * dirs, B, H)) for _ in range(n)]
    doutput = rng.standard_normal((T, B, dirs * H))
    dstate_n = [rng.standard_normal((num_layers * dirs, B, H)) for _ in range(n)]

    state_arg = tuple(state0) if n == 2 else state0[0]
    if kind.startswith("rnn"):
        out, h_n, cache = _numpy(kind, "forward")(x, params, state_arg, **_options(kind))
        state_n = (h_n,)
    else:
        out, state_n, cache = _numpy(kind, "forward")(x, params, state_arg)
        state_n = state_n if n == 2 else (state_n,)
    dx, dstate0, dparams = _numpy(kind, "backward")(
        doutput, tuple(dstate_n) if n == 2 else dstate_n[0], cache
    )
    dstate0 = dstate0 if n == 2 else (dstate0,)

    module = cls.from_params(params, **_options(kind))
    xt = torch.from_numpy(x).requires_grad_()
    st = [torch.from_numpy(s).requires_grad_() for s in state0]
    torch_out, torch_state_n = module(xt, tuple(st) if n == 2 else st[0])
    torch_state_n = torch_state_n if n == 2 else (torch_state_n,)
    np.testing.assert_allclose(out, torch_out.detach().numpy(), **TOL64, err_msg="output")
    for i, (ours, ref) in enumerate(zip(state_n, torch_state_n, strict=True)):
        np.testing.assert_allclose(ours, ref.detach().numpy(), **TOL64, err_msg=f"state_n {i}")
    names = [k for k, _ in module.named_parameters()]
    assert names == list(dparams)  # the same keys, in torch's order
    ref_grads = _grads(
        (torch_out, *torch_state_n), (doutput, *dstate_n), [xt, *st, *module.parameters()]
    )
    ours_grads = [dx, *dstate0, *dparams.values()]
    grad_names = ["dx", *["dh0", "dc0"][:n], *names]
    for name, ours, ref in zip(grad_names, ours_grads, ref_grads, strict=True):
        np.testing.assert_allclose(ours, ref, **TOL64, err_msg=name)


def assert_module_runs_in_numpy(kind, seed=0):
    """A torch twin initialised in torch, converted with to_numpy_params, runs in numpy_nn."""
    _, cls, _, n = KINDS[kind]
    module = cls(3, 4, 2, bidirectional=True, **_options(kind), dtype=torch.float64,
                 generator=torch.Generator().manual_seed(seed))  # fmt: skip
    x = np.random.default_rng(seed).standard_normal((5, 2, 3))
    with torch.no_grad():
        ref_out, ref_state_n = module(torch.from_numpy(x))
    out, state_n, _ = _numpy(kind, "forward")(x, torch_nn.to_numpy_params(module), **_options(kind))
    np.testing.assert_allclose(out, ref_out.numpy(), **TOL64)
    ref_state_n = ref_state_n if n == 2 else (ref_state_n,)
    for ours, ref in zip(state_n if n == 2 else (state_n,), ref_state_n, strict=True):
        np.testing.assert_allclose(ours, ref.numpy(), **TOL64)
