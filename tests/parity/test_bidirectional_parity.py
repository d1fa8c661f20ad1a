"""numpy_nn.bidirectional against torch.nn.RNN(bidirectional=True) on packed sequences, float64.

torch reads a padded batch with lengths through pack_padded_sequence(enforce_sorted=False) and
gives it back with pad_packed_sequence: outputs are 0 at padded steps and h_n holds each
sequence's last real state. The NumPy layer must equal it, every gradient included (TOL64).
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_rnn.numpy_nn.bidirectional import (
    bidirectional_rnn_backward,
    bidirectional_rnn_forward,
    split_bidirectional_params,
)

TOL64 = {"rtol": 1e-9, "atol": 1e-11}


def _torch_reference(module, x, lengths, h0, dout, dh_n):
    """torch's out, h_n and the gradients of sum(out · dout) + sum(h_n · dh_n)."""
    T = x.shape[0]
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    packed = pack_padded_sequence(xt, torch.tensor(lengths), enforce_sorted=False)
    packed_out, h_n = module(packed, h0t)
    out, _ = pad_packed_sequence(packed_out, total_length=T)  # (T, B, 2H), 0 at padded steps
    loss = (out * torch.tensor(dout)).sum() + (h_n * torch.tensor(dh_n)).sum()
    names = [name for name, _ in module.named_parameters()]
    grads = torch.autograd.grad(loss, [xt, h0t, *module.parameters()])
    numpy = [g.numpy() for g in grads]
    return (
        out.detach().numpy(),
        h_n.detach().numpy(),
        numpy[0],
        numpy[1],
        dict(zip(names, numpy[2:], strict=True)),
    )


def assert_bidirectional_parity(T, B, D, H, lengths, seed=0, merge="concat"):
    """Forward, h_n and every gradient of the NumPy layer equal torch's, to TOL64."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    module = torch.nn.RNN(D, H, bidirectional=True).double()
    params = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
    params_fwd, params_bwd = split_bidirectional_params(params)
    lengths = np.asarray(lengths, dtype=np.int64)
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((2, B, H))
    dout = rng.standard_normal((T, B, 2 * H if merge == "concat" else H))
    dh_n = rng.standard_normal((2, B, H))

    out, h_n, cache = bidirectional_rnn_forward(x, lengths, h0, params_fwd, params_bwd, merge)
    dx, dh0, grads_fwd, grads_bwd = bidirectional_rnn_backward(dout, dh_n, cache)

    # torch has no "sum": its concat output, and the same upstream gradient on both halves.
    dout_torch = dout if merge == "concat" else np.concatenate([dout, dout], axis=2)
    ref_out, ref_h_n, ref_dx, ref_dh0, ref_grads = _torch_reference(
        module, x, lengths, h0, dout_torch, dh_n
    )
    if merge == "sum":
        ref_out = ref_out[:, :, :H] + ref_out[:, :, H:]
    np.testing.assert_allclose(out, ref_out, **TOL64, err_msg="out")
    np.testing.assert_allclose(h_n, ref_h_n, **TOL64, err_msg="h_n")
    np.testing.assert_allclose(dx, ref_dx, **TOL64, err_msg="dx")
    np.testing.assert_allclose(dh0, ref_dh0, **TOL64, err_msg="dh0")
    for key in params_fwd:
        np.testing.assert_allclose(grads_fwd[key], ref_grads[key], **TOL64, err_msg=key)
        np.testing.assert_allclose(
            grads_bwd[key], ref_grads[f"{key}_reverse"], **TOL64, err_msg=f"{key}_reverse"
        )
    return max(
        float(np.max(np.abs(a - b)))
        for a, b in [(out, ref_out), (h_n, ref_h_n), (dx, ref_dx), (dh0, ref_dh0)]
        + [(grads_fwd[k], ref_grads[k]) for k in params_fwd]
        + [(grads_bwd[k], ref_grads[f"{k}_reverse"]) for k in params_bwd]
    )


@pytest.mark.parametrize(
    ("T", "B", "D", "H", "lengths"),
    [
        (6, 4, 3, 5, [3, 6, 1, 4]),  # unsorted lengths, one of length 1, one of length T
        (5, 3, 2, 4, [5, 5, 5]),  # no padding: equal to the plain bidirectional RNN
        (4, 1, 3, 2, [2]),  # a batch with one sequence
        (3, 2, 1, 3, [1, 1]),  # only length-1 sequences
        (1, 2, 2, 2, [1, 1]),  # T = 1
    ],
)
@pytest.mark.parametrize("merge", ["concat", "sum"])
def test_bidirectional_rnn_matches_torch_packed_sequence(T, B, D, H, lengths, merge):
    assert assert_bidirectional_parity(T, B, D, H, lengths, merge=merge) <= 1e-9


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    T=st.integers(1, 6),
    B=st.integers(1, 4),
    D=st.integers(1, 3),
    H=st.integers(1, 4),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
def test_bidirectional_rnn_matches_torch_for_any_lengths(T, B, D, H, data, seed):
    lengths = data.draw(st.lists(st.integers(1, T), min_size=B, max_size=B))
    assert_bidirectional_parity(T, B, D, H, lengths, seed)


def test_bidirectional_rnn_without_padding_equals_torch_on_the_padded_tensor(rng):
    """All lengths T: no packing needed, torch's plain bidirectional RNN gives the same."""
    module = torch.nn.RNN(3, 4, bidirectional=True).double()
    params = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
    x = rng.standard_normal((5, 2, 3))
    out, h_n, _ = bidirectional_rnn_forward(
        x, np.array([5, 5]), None, *split_bidirectional_params(params)
    )
    ref_out, ref_h_n = module(torch.from_numpy(x))
    np.testing.assert_allclose(out, ref_out.detach().numpy(), **TOL64)
    np.testing.assert_allclose(h_n, ref_h_n.detach().numpy(), **TOL64)


def test_bidirectional_rnn_keeps_float32_close_to_torch(rng):
    module = torch.nn.RNN(3, 4, bidirectional=True)
    params = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
    x = rng.standard_normal((5, 3, 3)).astype(np.float32)
    lengths = np.array([2, 5, 3])
    out, h_n, _ = bidirectional_rnn_forward(x, lengths, None, *split_bidirectional_params(params))
    packed = pack_padded_sequence(torch.from_numpy(x), torch.tensor(lengths), enforce_sorted=False)
    ref_packed, ref_h_n = module(packed)
    ref_out, _ = pad_packed_sequence(ref_packed, total_length=5)
    assert out.dtype == h_n.dtype == np.float32
    np.testing.assert_allclose(out, ref_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_n, ref_h_n.detach().numpy(), rtol=1e-5, atol=1e-6)
