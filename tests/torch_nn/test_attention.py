"""torch_nn.attention against F.scaled_dot_product_attention and nn.MultiheadAttention (float64)."""

import math

import pytest
import torch
import torch.nn.functional as F

from course_rnn.shapes import ShapeError
from course_rnn.torch_nn.attention import (
    LearnedPositionalEncoding,
    MultiHeadAttention,
    SinusoidalPositionalEncoding,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_encoding,
)

TOL64 = {"rtol": 1e-9, "atol": 1e-11}


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _qkv(g, B=2, NH=3, T=4, S=5, HS=6):
    shapes = ((B, NH, T, HS), (B, NH, S, HS), (B, NH, S, HS))
    return [torch.randn(*s, generator=g, dtype=torch.float64, requires_grad=True) for s in shapes]


def _grads(out, inputs, dout):
    return torch.autograd.grad(out, inputs, dout)


# ---- masks ---------------------------------------------------------------------------------


def test_causal_mask_is_lower_triangular_top_left():
    assert causal_mask(3).tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert causal_mask(2, 3).tolist() == [[1, 0, 0], [1, 1, 0]]
    assert causal_mask(2).dtype == torch.bool


def test_padding_mask_marks_real_positions():
    assert padding_mask(torch.tensor([2, 0, 3]), 3).tolist() == [[1, 1, 0], [0, 0, 0], [1, 1, 1]]


@pytest.mark.parametrize(
    ("lengths", "error", "match"),
    [
        (torch.tensor([1, 4]), ValueError, r"lengths must lie in \[0, S=3\], got \[1, 4\]"),
        (torch.tensor([1.0]), ShapeError, r"lengths expected a \(B,\) integer tensor"),
        ([1, 2], ShapeError, r"lengths expected a \(B,\) integer tensor, got \[1, 2\]"),
    ],
)
def test_padding_mask_rejects_bad_lengths(lengths, error, match):
    with pytest.raises(error, match=f"padding_mask: {match}"):
        padding_mask(lengths, 3)


# ---- scaled dot-product attention ----------------------------------------------------------


@pytest.mark.parametrize("mask_kind", ["none", "causal", "bool4d", "bool2d", "causal_T_ne_S"])
def test_sdpa_matches_torch_outputs_and_gradients(mask_kind):
    g = _gen()
    q, k, v = _qkv(g, S=6 if mask_kind == "causal_T_ne_S" else 4)
    mask, is_causal = None, mask_kind.startswith("causal")
    if mask_kind == "bool4d":
        mask = torch.rand(2, 3, 4, 4, generator=g) < 0.6
        mask[..., 0] = True  # every row keeps a key (fully masked rows: own test)
    elif mask_kind == "bool2d":
        mask = causal_mask(4).flip(0)  # broadcast over (B, NH)
    dout = torch.randn(q.shape, generator=g, dtype=torch.float64)
    out, weights = scaled_dot_product_attention(q, k, v, mask, is_causal=is_causal)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal)
    torch.testing.assert_close(out, ref, **TOL64)
    for grad, ref_grad in zip(
        _grads(out, (q, k, v), dout), _grads(ref, (q, k, v), dout), strict=True
    ):
        torch.testing.assert_close(grad, ref_grad, **TOL64)
    # The weights torch does not return: softmax of the masked, scaled scores.
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    allowed = torch.ones(scores.shape, dtype=torch.bool) if mask is None else mask
    if is_causal:
        allowed = allowed & causal_mask(*scores.shape[-2:])
    torch.testing.assert_close(weights, scores.masked_fill(~allowed, -math.inf).softmax(-1))


def test_sdpa_combines_mask_and_is_causal():
    g = _gen(1)
    q, k, v = _qkv(g, S=4)
    mask = torch.rand(2, 1, 4, 4, generator=g) < 0.7
    mask[..., 0] = True
    out, _ = scaled_dot_product_attention(q, k, v, mask, is_causal=True)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask & causal_mask(4))
    torch.testing.assert_close(out, ref, **TOL64)


@pytest.mark.parametrize("seed", range(20))
def test_sdpa_rows_sum_to_one_and_masked_weights_are_exactly_zero(seed):
    g = _gen(seed)
    T, S = (int(n) for n in torch.randint(1, 6, (2,), generator=g))
    q, k, v = _qkv(g, B=1, NH=2, T=T, S=S, HS=3)
    sharp = 1e3 if seed % 2 else 1.0  # sharp scores stress the stable softmax
    mask = torch.rand(1, 2, T, S, generator=g) < 0.5
    out, weights = scaled_dot_product_attention(q * sharp, k, v, mask)
    assert torch.isfinite(out).all()
    assert (weights >= 0).all()
    assert (weights[~mask] == 0).all()
    torch.testing.assert_close(weights.sum(-1), mask.any(-1).double(), **TOL64)


def test_sdpa_fully_masked_row_gives_zeros_like_torch():
    g = _gen(2)
    q, k, v = _qkv(g, B=1, NH=1, T=3, S=4, HS=2)
    mask = torch.tensor([[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1]], dtype=torch.bool)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(out, ref, **TOL64)
    assert (weights[..., 1, :] == 0).all()
    assert (out[..., 1, :] == 0).all()
    dq, dk, dv = _grads(out, (q, k, v), torch.ones_like(out))
    assert torch.isfinite(torch.cat([dq.flatten(), dk.flatten(), dv.flatten()])).all()
    assert (dq[..., 1, :] == 0).all()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((torch.ones(2, 3, dtype=torch.int64),) * 3, r"q expected a float tensor"),
        ((torch.ones(2, 3), torch.ones(4, 2), torch.ones(4, 3)), r"expected q \(..., T, HS\)"),
        ((torch.ones(2, 3),) * 3 + (torch.ones(2, 2),), r"attn_mask expected a bool tensor"),
        (
            (torch.ones(2, 3),) * 3 + (torch.ones(3, 3, dtype=torch.bool),),
            r"attn_mask .* \(\.\.\., T, S\) = \(2, 2\), got torch.bool \(3, 3\)",
        ),
    ],
)
def test_sdpa_errors_name_the_argument(args, match):
    with pytest.raises(ShapeError, match=f"scaled_dot_product_attention: {match}"):
        scaled_dot_product_attention(*args)


# ---- multi-head attention --------------------------------------------------------------------


def _mha_pair(E=8, NH=2, seed=0):
    """nn.MultiheadAttention and ours holding the same float64 weights (non-zero biases)."""
    torch.manual_seed(seed)  # nn.MultiheadAttention has no generator argument
    ref = torch.nn.MultiheadAttention(E, NH, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_bias.normal_()
        ref.out_proj.bias.normal_()
    ours = MultiHeadAttention(E, NH).double()
    ours.load_state_dict(ref.state_dict())  # the same parameter names
    return ref, ours


@pytest.mark.parametrize("masks", ["none", "causal", "key", "both", "cross"])
def test_mha_matches_torch_outputs_weights_and_gradients(masks):
    T, B, E, NH = 5, 3, 8, 2
    ref, ours = _mha_pair(E, NH)
    g = _gen(3)
    S = 7 if masks == "cross" else T
    x = torch.randn(T, B, E, generator=g, dtype=torch.float64, requires_grad=True)
    mem = torch.randn(S, B, E, generator=g, dtype=torch.float64, requires_grad=True)
    kv = mem if masks == "cross" else x
    attn = causal_mask(T) if masks in ("causal", "both") else None
    key = padding_mask(torch.tensor([5, 3, 1]), S) if masks in ("key", "both") else None
    out, w = ours(x, kv, kv, attn_mask=attn, key_mask=key, average_attn_weights=False)
    out_ref, w_ref = ref(
        x, kv, kv, attn_mask=None if attn is None else ~attn,
        key_padding_mask=None if key is None else ~key, average_attn_weights=False,
    )  # fmt: skip
    torch.testing.assert_close(out, out_ref, **TOL64)
    torch.testing.assert_close(w, w_ref, **TOL64)
    dout = torch.randn(out.shape, generator=g, dtype=torch.float64)
    inputs = [x, mem] if masks == "cross" else [x]
    grads = _grads(out, [*inputs, *ours.parameters()], dout)
    grads_ref = _grads(out_ref, [*inputs, *ref.parameters()], dout)
    for grad, grad_ref in zip(grads, grads_ref, strict=True):
        torch.testing.assert_close(grad, grad_ref, **TOL64)
    _, w_mean = ours(x, kv, kv, attn_mask=attn, key_mask=key)
    torch.testing.assert_close(w_mean, w.mean(1), **TOL64)


def test_mha_parameters_are_named_and_initialised_like_torch():
    ref, ours = torch.nn.MultiheadAttention(8, 2), MultiHeadAttention(8, 2)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert all(a.shape == b.shape for a, b in zip(ours.parameters(), ref.parameters(), strict=True))
    assert (ours.in_proj_bias == 0).all()
    assert (ours.out_proj.bias == 0).all()
    assert ours.in_proj_weight.abs().max() <= math.sqrt(6 / (8 + 24))


def test_mha_fully_masked_query_gives_out_proj_bias_where_torch_gives_nan():
    """Differences from nn.MultiheadAttention: a batch row whose keys are all padding."""
    ref, ours = _mha_pair()
    x = torch.randn(3, 2, 8, generator=_gen(4), dtype=torch.float64, requires_grad=True)
    key = padding_mask(torch.tensor([3, 0]), 3)
    out, w = ours(x, x, x, key_mask=key)
    assert (w[1] == 0).all()
    torch.testing.assert_close(out[:, 1], ours.out_proj.bias.expand(3, 8), **TOL64)
    (dx,) = _grads(out, [x], torch.ones_like(out))
    assert torch.isfinite(dx).all()
    out_ref, w_ref = ref(x, x, x, key_padding_mask=~key)
    assert torch.isnan(out_ref[:, 1]).all()
    assert torch.isnan(w_ref[1]).all()
    torch.testing.assert_close(out[:, 0], out_ref[:, 0], **TOL64)


def test_mha_self_attention_is_permutation_equivariant():
    """Without positional information, permuting the time steps permutes the outputs."""
    _, mha = _mha_pair()
    g = _gen(5)
    x, perm = torch.randn(6, 2, 8, generator=g, dtype=torch.float64), torch.randperm(6, generator=g)
    out, w = mha(x, x, x)
    out_p, w_p = mha(x[perm], x[perm], x[perm])
    torch.testing.assert_close(out_p, out[perm], **TOL64)
    torch.testing.assert_close(w_p, w[:, perm][:, :, perm], **TOL64)
    pe = SinusoidalPositionalEncoding(8).double()  # with positions, the symmetry is gone
    assert not torch.allclose(mha(*(pe(x[perm]),) * 3)[0], mha(*(pe(x),) * 3)[0][perm])


def test_mha_causal_outputs_ignore_the_future():
    _, mha = _mha_pair()
    g = _gen(6)
    x = torch.randn(5, 2, 8, generator=g, dtype=torch.float64)
    y = x.clone()
    y[3:] = torch.randn(2, 2, 8, generator=g, dtype=torch.float64)  # change steps 3 and 4
    out_x, w = mha(x, x, x, is_causal=True)
    out_y, _ = mha(y, y, y, is_causal=True)
    torch.testing.assert_close(out_x[:3], out_y[:3], **TOL64)
    assert not torch.allclose(out_x[3:], out_y[3:])
    assert (w[:, ~causal_mask(5)] == 0).all()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda m: MultiHeadAttention(8, 3), ValueError, r"num_heads must divide E=8 .* NH=3"),
        (lambda m: m(*(torch.ones(3, 2, 6),) * 3), ShapeError, r"query expected \(T, B, E=8\)"),
        (
            lambda m: m(torch.ones(3, 2, 8), torch.ones(4, 1, 8), torch.ones(4, 1, 8)),
            ShapeError,
            r"key expected \(S, B=2, E=8\)",
        ),
        (
            lambda m: m(*(torch.ones(3, 2, 8),) * 3, key_mask=torch.ones(2, 3)),
            ShapeError,
            r"key_mask expected a bool tensor \(B S\), got torch.float32",
        ),
        (
            lambda m: m(*(torch.ones(3, 2, 8),) * 3, attn_mask=causal_mask(4)),
            ShapeError,
            r"attn_mask expected \(T=3, S=3\), got \(4, 4\)",
        ),
    ],
)
def test_mha_errors_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call(MultiHeadAttention(8, 2))


# ---- positional encodings ------------------------------------------------------------------


def test_sinusoidal_encoding_values():
    pe = sinusoidal_encoding(50, 6, dtype=torch.float64)
    torch.testing.assert_close(pe[0], torch.tensor([0.0, 1, 0, 1, 0, 1], dtype=torch.float64))
    t = torch.arange(50, dtype=torch.float64)
    torch.testing.assert_close(pe[:, 0], torch.sin(t), **TOL64)  # period 2π
    torch.testing.assert_close(pe[:, 3], torch.cos(t / 10000 ** (2 / 6)), **TOL64)
    torch.testing.assert_close(pe.pow(2)[:, 0::2] + pe.pow(2)[:, 1::2], torch.ones(50, 3).double())


def test_positional_encodings_add_per_position_and_check_length():
    x = torch.zeros(4, 3, 6)
    fixed, learned = SinusoidalPositionalEncoding(6, max_len=4), LearnedPositionalEncoding(6, 4)
    torch.testing.assert_close(fixed(x), sinusoidal_encoding(4, 6)[:, None].expand(4, 3, 6))
    torch.testing.assert_close(learned(x), learned.weight[:, None].expand(4, 3, 6))
    assert [n for n, _ in fixed.named_parameters()] == []
    assert [n for n, _ in learned.named_parameters()] == ["weight"]
    for module in (fixed, learned):
        with pytest.raises(ValueError, match="sequence length T=5 exceeds max_len=4"):
            module(torch.zeros(5, 3, 6))
    with pytest.raises(ValueError, match="sinusoidal_encoding: E must be a positive even width"):
        sinusoidal_encoding(4, 5)
