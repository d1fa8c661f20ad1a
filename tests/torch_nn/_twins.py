"""Shared helpers of the recurrent torch-twin tests: torch.nn references, random cases, checks.

Every comparison runs the twin and torch.nn on the same weights, inputs, initial states and
upstream gradients, then compares the outputs, the final states and the autograd gradients of
the input, the initial states and every parameter.
"""

import contextlib

import pytest
import torch

from course_rnn.shapes import ShapeError
from course_rnn.torch_nn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

#: float64 comparisons (tests/conftest.py's TOL64) and float32 ones (TOL32).
TOL64 = {"rtol": 1e-9, "atol": 1e-11}
TOL32 = {"rtol": 1e-5, "atol": 1e-6}
F64 = torch.float64

#: kind -> (our sequence class, torch.nn's, our cell class, torch.nn's, options, states)
KINDS = {
    "rnn_tanh": (RNN, torch.nn.RNN, RNNCell, torch.nn.RNNCell, {"nonlinearity": "tanh"}, 1),
    "rnn_relu": (RNN, torch.nn.RNN, RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}, 1),
    "lstm": (LSTM, torch.nn.LSTM, LSTMCell, torch.nn.LSTMCell, {}, 2),
    "gru": (GRU, torch.nn.GRU, GRUCell, torch.nn.GRUCell, {}, 1),
}

#: (T, B, D, H, num_layers, bidirectional): T=1, B=1, H ≠ D, H = D, 1-3 layers, both directions.
CONFIGS = [
    (5, 3, 4, 6, 1, False),
    (1, 1, 3, 2, 1, True),
    (4, 2, 5, 3, 2, True),
    (3, 1, 2, 4, 3, False),
    (3, 2, 3, 3, 2, False),
]


def build(kind, D, H, num_layers=1, bidirectional=False, *, cell=False, bias=True, seed=0):
    """(ours, torch.nn's) in float64 with the same weights, loaded from torch.nn's state_dict()."""
    ours_cls, ref_cls, ours_cell, ref_cell, options, _ = KINDS[kind]
    options = {**options, "bias": bias}
    if not cell:
        options.update(num_layers=num_layers, bidirectional=bidirectional)
    with torch.random.fork_rng(devices=[]):  # torch.nn draws from the global generator
        torch.manual_seed(seed)
        ref = (ref_cell if cell else ref_cls)(D, H, **options).double()
    ours = (ours_cell if cell else ours_cls)(D, H, **options, dtype=F64)
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def random_case(kind, shape, state_shape, out_shape, seed=0, dtype=F64):
    """x, initial states, upstream gradients of output and final states (tensors)."""
    g = torch.Generator().manual_seed(seed)
    n = KINDS[kind][5]
    x = torch.randn(shape, generator=g, dtype=dtype)
    state0 = tuple(torch.randn(state_shape, generator=g, dtype=dtype) for _ in range(n))
    dout = torch.randn(out_shape, generator=g, dtype=dtype)
    dstates = tuple(torch.randn(state_shape, generator=g, dtype=dtype) for _ in range(n))
    return x, state0, dout, dstates


def run(module, x, state0, dout, dstates, *, cell=False):
    """Forward and backward of a module; returns values and gradients as a flat dict."""
    n = 2 if isinstance(module, LSTM | LSTMCell | torch.nn.LSTM | torch.nn.LSTMCell) else 1
    x = x.clone().requires_grad_()
    state0 = [s.clone().requires_grad_() for s in state0]
    state_arg = None if not state0 else (tuple(state0) if n == 2 else state0[0])
    if cell:  # h_t, or (h_t, c_t); the output is h_t
        states = module(x, state_arg)
        states = states if n == 2 else (states,)
        out = states[0]
    else:  # (output, h_n), or (output, (h_n, c_n))
        out, states = module(x, state_arg)
        states = states if n == 2 else (states,)
    loss = (out * dout).sum() + sum((s * ds).sum() for s, ds in zip(states, dstates, strict=True))
    loss.backward()
    result = {"output": out.detach(), "dx": x.grad}
    result.update({f"state_n{i}": s.detach() for i, s in enumerate(states)})
    result.update({f"dstate0_{i}": s.grad for i, s in enumerate(state0)})
    result.update({f"d{k}": p.grad for k, p in module.named_parameters()})
    return result


def assert_results_equal(ours, ref, tol):
    assert list(ours) == list(ref)  # same parameter names, in torch's order
    for key, value in ours.items():
        torch.testing.assert_close(value, ref[key], **tol, msg=lambda m, key=key: f"{key}: {m}")


def assert_sequence_matches_torch_nn(kind, T, B, D, H, num_layers, bidirectional, seed=0):
    ours, ref = build(kind, D, H, num_layers, bidirectional, seed=seed)
    dirs = 2 if bidirectional else 1
    case = random_case(kind, (T, B, D), (num_layers * dirs, B, H), (T, B, dirs * H), seed)
    assert_results_equal(run(ours, *case), run(ref, *case), TOL64)


def assert_cell_matches_torch_nn(kind, B, D, H, *, batched=True, bias=True, seed=0):
    ours, ref = build(kind, D, H, cell=True, bias=bias, seed=seed)
    case = random_case(kind, (B, D), (B, H), (B, H), seed)
    if not batched:
        case = tuple(t[0] if isinstance(t, torch.Tensor) else tuple(s[0] for s in t) for t in case)
    assert_results_equal(run(ours, *case, cell=True), run(ref, *case, cell=True), TOL64)


def assert_unbatched_matches_torch_nn(kind):
    """(T, D) input and (layers·dirs, H) states, as torch.nn accepts them."""
    ours, ref = build(kind, 3, 4, 2, True)
    case = random_case(kind, (5, 3), (4, 4), (5, 8))
    result = run(ours, *case)
    assert result["output"].shape == (5, 8)
    assert result["state_n0"].shape == (4, 4)
    assert_results_equal(result, run(ref, *case), TOL64)


def assert_default_state_is_zeros(kind):
    """state0=None gives torch.nn's result with None, and the same as explicit zeros."""
    ours, ref = build(kind, 3, 4, 2, True)
    x, state0, dout, dstates = random_case(kind, (4, 2, 3), (4, 2, 4), (4, 2, 8))
    zeros = tuple(torch.zeros_like(s) for s in state0)
    result = run(ours, x, (), dout, dstates)
    assert_results_equal(result, run(ref, x, (), dout, dstates), TOL64)
    with_zeros = run(ours, x, zeros, dout, dstates)
    for key, value in result.items():
        torch.testing.assert_close(value, with_zeros[key], rtol=0, atol=0)


def assert_float32_matches_torch_nn(kind):
    """The default dtype: parameters in float32, the same results as torch.nn's within TOL32."""
    ours, ref = build(kind, 3, 5, 2, True)
    ours, ref = ours.float(), ref.float()
    assert ours.weight_ih_l0.dtype == torch.float32
    case = random_case(kind, (6, 2, 3), (4, 2, 5), (6, 2, 10), dtype=torch.float32)
    assert_results_equal(run(ours, *case), run(ref, *case), TOL32)


def assert_init_equals_torch_nn(kind, *, cell=False):
    """After the same seed, our modules draw exactly torch.nn's initial values, in its order."""
    ours_cls, ref_cls, ours_cell, ref_cell, options, _ = KINDS[kind]
    if not cell:
        options = {**options, "num_layers": 2, "bidirectional": True}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        ref = (ref_cell if cell else ref_cls)(3, 4, **options)
    generator = torch.Generator().manual_seed(7)
    ours = (ours_cell if cell else ours_cls)(3, 4, **options, generator=generator)
    assert [(k, p.shape) for k, p in ours.named_parameters()] == [
        (k, p.shape) for k, p in ref.named_parameters()
    ]
    for (key, p), q in zip(ours.named_parameters(), ref.parameters(), strict=True):
        assert p.dtype == torch.float32
        torch.testing.assert_close(p, q, rtol=0, atol=0, msg=key)
        assert p.abs().max() <= 0.5  # U(−1/√H, 1/√H) with H = 4


def gradcheck_sequence(kind, bias=True):
    """torch.autograd.gradcheck over x, the initial states and every parameter (float64)."""
    ours, _ = build(kind, 2, 3, 2, True, bias=bias)
    x, state0, _, _ = random_case(kind, (3, 2, 2), (4, 2, 3), (3, 2, 6))
    names = [k for k, _ in ours.named_parameters()]

    def f(x, *rest):
        states, params = rest[: len(state0)], dict(zip(names, rest[len(state0) :], strict=True))
        state_arg = tuple(states) if len(states) == 2 else states[0]
        out, states_n = torch.func.functional_call(ours, params, (x, state_arg))
        return out, *(states_n if len(states) == 2 else (states_n,))

    inputs = (x, *state0, *(p.detach() for p in ours.parameters()))
    inputs = tuple(t.clone().requires_grad_() for t in inputs)
    # fast_mode: a random projection of the Jacobian instead of all of it, ten times quicker
    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-7, rtol=1e-6, fast_mode=True)


@contextlib.contextmanager
def tf32_off():
    """TF32 off for a reference comparison on a GPU; the previous settings come back after."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def assert_cuda_matches_cpu(kind):
    """The same module on CUDA and on the CPU, float64 and TF32 off: the same results."""
    ours, _ = build(kind, 3, 4, 2, True)
    case = random_case(kind, (5, 2, 3), (4, 2, 4), (5, 2, 8))
    cpu = run(ours, *case)
    with tf32_off():
        cuda_case = tuple(
            t.cuda() if isinstance(t, torch.Tensor) else tuple(s.cuda() for s in t) for t in case
        )
        on_cuda = run(ours.cuda(), *cuda_case)
    assert on_cuda["output"].device.type == "cuda"
    assert_results_equal({k: v.cpu() for k, v in on_cuda.items()}, cpu, TOL64)


def assert_bad_inputs_raise(kind):
    """Each wrong input gets an error naming the module, the argument and both shapes."""
    cls, _, cell_cls, _, options, n = KINDS[kind]
    name, cell_name = cls.__name__, cell_cls.__name__
    module = cls(3, 4, 2, **options, dtype=F64)
    x = torch.zeros(5, 2, 3, dtype=F64)
    for bad, error, match in [
        (
            x[..., None],
            ShapeError,
            rf"^{name}\.forward: x expected \(T, B, D=3\) or \(T, D=3\), "
            r"got \(5, 2, 3, 1\)$",
        ),
        (x[:, :, :2], ShapeError, r"x expected \(T, B, D=3\) or \(T, D=3\), got \(5, 2, 2\)"),
        (x.long(), TypeError, r"floating dtype, got torch.int64 \(token ids need an embedding"),
        (x.float(), TypeError, r"x has dtype torch.float32 but the parameters have torch.float64"),
        (x.numpy(), TypeError, r"x expected a torch.Tensor \(T, B, D=3\) .* got ndarray"),
        (x[:0], ShapeError, r"x expected no empty axis, got \(0, 2, 3\)"),
    ]:
        with pytest.raises(error, match=match):
            module(bad)

    def states(*shape, dtype=F64):
        h = torch.zeros(shape, dtype=dtype)
        return (h, torch.zeros(h.shape, dtype=dtype)) if n == 2 else h

    for x_, state, error, match in [
        (
            x,
            states(1, 2, 4),
            ShapeError,
            r"h0 expected \(layers·dirs=2, B=2, H=4\), got \(1, 2, 4\)",
        ),
        (
            x,
            states(2, 3, 4),
            ShapeError,
            r"h0 expected \(layers·dirs=2, B=2, H=4\), got \(2, 3, 4\)",
        ),
        (
            x[:, 0],
            states(2, 2, 4),
            ShapeError,
            r"h0 expected \(layers·dirs=2, H=4\), got \(2, 2, 4\)",
        ),
        (x, states(2, 2, 4, dtype=torch.float32), TypeError, r"h0 expected dtype torch.float64 "),
    ]:
        with pytest.raises(error, match=rf"^{name}\.forward: {match}"):
            module(x_, state)
    for args, match in [
        ((0, 4), r"input_size expected a positive int, got 0"),
        ((3, -1), r"hidden_size expected a positive int, got -1"),
        ((3, 4, 1.5), r"num_layers expected a positive int, got 1.5"),
        ((3, True), r"hidden_size expected a positive int, got True"),
    ]:
        with pytest.raises(ValueError, match=rf"^{name}: {match}"):
            cls(*args, **options)
    cell = cell_cls(3, 4, **options)
    with pytest.raises(
        ShapeError, match=rf"^{cell_name}\.forward: x expected \(B, D=3\) or \(D=3\)"
    ):
        cell(torch.zeros(2, 5, 3))
    with pytest.raises(ShapeError, match=rf"^{cell_name}\.forward: h_prev expected \(B=2, H=4\)"):
        cell(torch.zeros(2, 3), states(1, 4, dtype=torch.float32))
