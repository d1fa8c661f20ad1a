"""numpy_nn.attention against F.scaled_dot_product_attention and nn.MultiheadAttention."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.gradcheck import check_gradients
from course_rnn.numpy_nn.attention import (
    MHA_PARAM_KEYS,
    causal_mask,
    init_multi_head_attention_params,
    multi_head_attention_backward,
    multi_head_attention_forward,
    padding_mask,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)
from course_rnn.shapes import ShapeError

TOL64 = {"rtol": 1e-9, "atol": 1e-11}
sdpa_forward, sdpa_backward = (
    scaled_dot_product_attention_forward,
    scaled_dot_product_attention_backward,
)
mha_forward, mha_backward = multi_head_attention_forward, multi_head_attention_backward


def _sdpa_torch(q, k, v, dout, mask=None, is_causal=False):
    """torch's output and (dq, dk, dv) for the same inputs and upstream gradient."""
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    m = None if mask is None else torch.tensor(mask)
    out = F.scaled_dot_product_attention(qt, kt, vt, attn_mask=m, is_causal=is_causal)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), qt.grad.numpy(), kt.grad.numpy(), vt.grad.numpy()


def _qkv(rng, B=2, NH=3, T=4, S=5, HS=6):
    return (
        rng.normal(size=(B, NH, T, HS)),
        rng.normal(size=(B, NH, S, HS)),
        rng.normal(size=(B, NH, S, HS)),
    )


# ---- masks ---------------------------------------------------------------------------------


def test_causal_mask_is_lower_triangular_top_left():
    np.testing.assert_array_equal(causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    np.testing.assert_array_equal(causal_mask(2, 3), torch.ones(2, 3, dtype=torch.bool).tril())
    assert causal_mask(2).dtype == np.bool_


def test_padding_mask_marks_real_positions():
    np.testing.assert_array_equal(padding_mask([2, 0, 3], 3), [[1, 1, 0], [0, 0, 0], [1, 1, 1]])


@pytest.mark.parametrize(
    ("lengths", "error", "match"),
    [
        ([1, 4], ValueError, r"lengths must lie in \[0, S=3\], got \[1, 4\]"),
        ([-1], ValueError, r"lengths must lie in \[0, S=3\]"),
        ([1.0, 2.0], ShapeError, r"lengths expected \(B,\) integer, got float64"),
        ([[1, 2]], ShapeError, r"lengths expected \(B,\) integer, got int64 \(1, 2\)"),
    ],
)
def test_padding_mask_rejects_bad_lengths(lengths, error, match):
    with pytest.raises(error, match=f"padding_mask: {match}"):
        padding_mask(np.asarray(lengths), 3)


# ---- scaled dot-product attention ----------------------------------------------------------


@pytest.mark.parametrize("mask_kind", ["none", "causal", "bool4d", "bool2d", "causal_T_ne_S"])
def test_sdpa_matches_torch(rng, mask_kind):
    q, k, v = _qkv(rng, S=4 if mask_kind != "causal_T_ne_S" else 6)
    mask, is_causal = None, mask_kind.startswith("causal")
    if mask_kind == "bool4d":
        mask = rng.random((2, 3, 4, 4)) < 0.6
        mask[..., 0] = True  # every row keeps a key (fully masked rows: own test)
    elif mask_kind == "bool2d":
        mask = causal_mask(4)[::-1].copy()  # anti-causal, broadcast over (B, NH)
    dout = rng.normal(size=q.shape)
    out, weights, cache = sdpa_forward(q, k, v, mask, is_causal=is_causal)
    ref_out, *ref_grads = _sdpa_torch(q, k, v, dout, mask, is_causal)
    np.testing.assert_allclose(out, ref_out, **TOL64)
    for grad, ref in zip(sdpa_backward(dout, cache), ref_grads, strict=True):
        np.testing.assert_allclose(grad, ref, **TOL64)
    # The weights torch does not return: softmax of the masked, scaled scores.
    scores = torch.tensor(q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1]))
    allowed = np.ones(scores.shape, bool) if mask is None else np.broadcast_to(mask, scores.shape)
    if is_causal:
        allowed = allowed & causal_mask(*scores.shape[-2:])
    ref_w = torch.softmax(scores.masked_fill(~torch.tensor(allowed), -torch.inf), -1)
    np.testing.assert_allclose(weights, ref_w, **TOL64)


def test_sdpa_combines_mask_and_is_causal(rng):
    q, k, v = _qkv(rng, S=4)
    mask = rng.random((2, 1, 4, 4)) < 0.7
    mask[..., 0] = True
    dout = rng.normal(size=q.shape)
    out, _, cache = sdpa_forward(q, k, v, mask, is_causal=True)
    ref_out, *ref_grads = _sdpa_torch(q, k, v, dout, mask & causal_mask(4))
    np.testing.assert_allclose(out, ref_out, **TOL64)
    for grad, ref in zip(sdpa_backward(dout, cache), ref_grads, strict=True):
        np.testing.assert_allclose(grad, ref, **TOL64)


def test_sdpa_weights_sum_to_one_and_masked_weights_are_exactly_zero(rng):
    q, k, v = _qkv(rng)
    mask = rng.random((2, 3, 4, 5)) < 0.5
    mask[..., 1] = True
    _, weights, _ = sdpa_forward(q * 30, k, v, mask)  # sharp scores stress the stable softmax
    assert np.all(weights >= 0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, **TOL64)
    np.testing.assert_array_equal(weights[~mask], 0.0)


@pytest.mark.parametrize("seed", range(40))
def test_sdpa_weight_rows_are_distributions_or_zero_under_any_mask(seed):
    """Random masks and sizes: weights >= 0, blocked ones exactly 0, rows sum to 1 or to 0."""
    rng = np.random.default_rng(seed)
    T, S = rng.integers(1, 6, size=2)
    sharp = 1e3 if seed % 2 else 1.0  # sharp scores stress the stable softmax
    q, k, v = _qkv(rng, B=1, NH=2, T=T, S=S, HS=3)
    mask = rng.random((1, 2, T, S)) < 0.5
    out, weights, _ = sdpa_forward(q * sharp, k, v, mask)
    assert np.all(np.isfinite(out))
    assert np.all(weights >= 0)
    np.testing.assert_array_equal(weights[~mask], 0.0)
    np.testing.assert_allclose(weights.sum(-1), mask.any(-1).astype(float), **TOL64)


def test_sdpa_backward_numerical_gradient(rng):
    q, k, v = _qkv(rng, B=1, NH=2, T=3, S=4, HS=2)
    mask = np.array([[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1]], bool)  # row 1 fully masked
    dout = rng.normal(size=q.shape)
    _, _, cache = sdpa_forward(q, k, v, mask, is_causal=True)
    dq, dk, dv = sdpa_backward(dout, cache)
    check_gradients(
        lambda p: sdpa_forward(p["q"], p["k"], p["v"], mask, is_causal=True)[0],
        {"q": q, "k": k, "v": v},
        {"q": dq, "k": dk, "v": dv},
        dout,
    )


def test_sdpa_fully_masked_row_gives_zeros_like_torch_sdpa(rng):
    """The stated policy: zero weights, zero output, zero gradients (torch 2.13's SDPA agrees)."""
    q, k, v = _qkv(rng, S=4)
    mask = np.ones((2, 3, 4, 4), bool)
    mask[1, 2, 3] = False  # batch 1, head 2, query 3 may attend to nothing
    dout = rng.normal(size=q.shape)
    out, weights, cache = sdpa_forward(q, k, v, mask)
    dq, dk, dv = sdpa_backward(dout, cache)
    np.testing.assert_array_equal(weights[1, 2, 3], 0.0)
    np.testing.assert_array_equal(out[1, 2, 3], 0.0)
    np.testing.assert_array_equal(dq[1, 2, 3], 0.0)
    ref_out, *ref_grads = _sdpa_torch(q, k, v, dout, mask)
    np.testing.assert_allclose(out, ref_out, **TOL64)
    for grad, ref in zip((dq, dk, dv), ref_grads, strict=True):
        np.testing.assert_allclose(grad, ref, **TOL64)


def test_sdpa_is_causal(rng):
    """Changing keys and values after position t leaves the outputs up to t unchanged."""
    q, k, v = _qkv(rng, S=4)
    out, _, _ = sdpa_forward(q, k, v, is_causal=True)
    t = 1
    k2, v2 = k.copy(), v.copy()
    k2[..., t + 1 :, :] += 10 * rng.normal(size=k2[..., t + 1 :, :].shape)
    v2[..., t + 1 :, :] -= 3.0
    out2, _, _ = sdpa_forward(q, k2, v2, is_causal=True)
    np.testing.assert_allclose(out2[..., : t + 1, :], out[..., : t + 1, :], rtol=1e-13, atol=0)
    assert not np.allclose(out2[..., t + 1 :, :], out[..., t + 1 :, :])


def test_sdpa_keeps_float32(rng):
    q, k, v = (a.astype(np.float32) for a in _qkv(rng))
    out, weights, cache = sdpa_forward(q, k, v, is_causal=True)
    assert out.dtype == weights.dtype == np.float32
    assert all(g.dtype == np.float32 for g in sdpa_backward(out, cache))


@pytest.mark.parametrize(
    ("shapes", "mask", "match"),
    [
        (
            ((2, 4, 3), (2, 5, 2), (2, 5, 3)),
            None,
            r"expected q \(\.\.\., T, HS\), k \(\.\.\., S, HS\)",
        ),
        (
            ((2, 4, 3), (2, 5, 3), (2, 4, 3)),
            None,
            r"got q \(2, 4, 3\), k \(2, 5, 3\), v \(2, 4, 3\)",
        ),
        (((2, 4, 3), (3, 5, 3), (3, 5, 3)), None, "with the same leading axes"),
        (((3,), (5, 3), (5, 3)), None, r"q expected a float array .* got float64 \(3,\)"),
        (
            ((4, 3), (5, 3), (5, 3)),
            np.ones((4, 4), bool),
            r"attn_mask expected a bool array broadcastable",
        ),
        (((4, 3), (5, 3), (5, 3)), np.ones((4, 5)), r"got float64 \(4, 5\)"),
        (((4, 3), (5, 3), (5, 3)), np.ones((2, 4, 5), bool), r"to \(\.\.\., T, S\) = \(4, 5\)"),
    ],
)
def test_sdpa_rejects_bad_input(shapes, mask, match):
    q, k, v = (np.zeros(s) for s in shapes)
    with pytest.raises(ShapeError, match=f"scaled_dot_product_attention_forward: .*{match}"):
        sdpa_forward(q, k, v, mask)


def test_sdpa_rejects_integer_input():
    q = np.zeros((4, 3), int)
    with pytest.raises(ShapeError, match=r"q expected a float array.*got int64"):
        sdpa_forward(q, q, q)


# ---- multi-head attention ------------------------------------------------------------------


def _mha_torch(E, NH, rng):
    mha = torch.nn.MultiheadAttention(E, NH, dtype=torch.float64)
    with torch.no_grad():  # torch starts both biases at zero: make them matter
        mha.in_proj_bias.copy_(torch.tensor(rng.normal(size=3 * E)))
        mha.out_proj.bias.copy_(torch.tensor(rng.normal(size=E)))
    return mha, {k: v.detach().numpy().copy() for k, v in mha.state_dict().items()}


@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("masks", ["none", "causal", "padding", "both"])
def test_mha_matches_torch_multihead_attention(rng, masks, average):
    T, S, B, E, NH = 4, 5, 3, 8, 2
    mha, params = _mha_torch(E, NH, rng)
    query, key, value = (
        rng.normal(size=(T, B, E)),
        rng.normal(size=(S, B, E)),
        rng.normal(size=(S, B, E)),
    )
    attn_mask = causal_mask(T, S) if masks in ("causal", "both") else None
    key_mask = padding_mask(np.array([5, 3, 1]), S) if masks in ("padding", "both") else None
    dout = rng.normal(size=(T, B, E))
    out, weights, cache = mha_forward(
        query,
        key,
        value,
        params,
        NH,
        attn_mask=attn_mask,
        key_mask=key_mask,
        average_attn_weights=average,
    )
    ts = [torch.tensor(a, requires_grad=True) for a in (query, key, value)]
    ref, ref_w = mha(
        *ts,
        attn_mask=None if attn_mask is None else torch.tensor(~attn_mask),  # torch: True = blocked
        key_padding_mask=None if key_mask is None else torch.tensor(~key_mask),
        average_attn_weights=average,
    )
    ref.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ref.detach(), **TOL64)
    np.testing.assert_allclose(weights, ref_w.detach(), **TOL64)
    dquery, dkey, dvalue, dparams = mha_backward(dout, cache)
    for grad, t in zip((dquery, dkey, dvalue), ts, strict=True):
        np.testing.assert_allclose(grad, t.grad, **TOL64)
    assert set(dparams) == set(params) == set(MHA_PARAM_KEYS)
    for name, p in mha.named_parameters():
        np.testing.assert_allclose(dparams[name], p.grad, **TOL64, err_msg=name)


def test_mha_self_attention_gradient_is_the_sum_of_the_three(rng):
    T, B, E, NH = 5, 2, 6, 3
    mha, params = _mha_torch(E, NH, rng)
    x, dout = rng.normal(size=(T, B, E)), rng.normal(size=(T, B, E))
    out, _, cache = mha_forward(x, x, x, params, NH, is_causal=True)
    xt = torch.tensor(x, requires_grad=True)
    ref, _ = mha(xt, xt, xt, attn_mask=torch.tensor(~causal_mask(T)))
    ref.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ref.detach(), **TOL64)
    dquery, dkey, dvalue, _ = mha_backward(dout, cache)
    np.testing.assert_allclose(dquery + dkey + dvalue, xt.grad, **TOL64)


def test_mha_backward_numerical_gradient(rng):
    """Every input and parameter; the key bias is checked apart, its true gradient being 0."""
    T, S, B, E, NH = 3, 4, 2, 4, 2
    params = init_multi_head_attention_params(E, NH, rng=rng)
    b_q, b_k, b_v = np.split(rng.normal(size=3 * E), 3)
    inputs = {
        "query": rng.normal(size=(T, B, E)),
        "key": rng.normal(size=(S, B, E)),
        "value": rng.normal(size=(S, B, E)),
        "in_proj_weight": params["in_proj_weight"],
        "b_q": b_q,
        "b_v": b_v,
        "out_proj.weight": params["out_proj.weight"],
        "out_proj.bias": rng.normal(size=E),
    }
    key_mask = padding_mask(np.array([4, 2]), S)
    dout = rng.normal(size=(T, B, E))

    def f(p):
        ps = {k: p[k] for k in ("in_proj_weight", "out_proj.weight", "out_proj.bias")}
        ps["in_proj_bias"] = np.concatenate([p["b_q"], b_k, p["b_v"]])
        return mha_forward(
            p["query"], p["key"], p["value"], ps, NH, key_mask=key_mask, is_causal=True
        )[0]

    _, _, cache = mha_forward(
        inputs["query"], inputs["key"], inputs["value"],
        {**params, "in_proj_bias": np.concatenate([b_q, b_k, b_v]),
         "out_proj.bias": inputs["out_proj.bias"]},
        NH, key_mask=key_mask, is_causal=True,
    )  # fmt: skip
    dquery, dkey, dvalue, dparams = mha_backward(dout, cache)
    db_q, db_k, db_v = np.split(dparams["in_proj_bias"], 3)
    analytic = {"query": dquery, "key": dkey, "value": dvalue, "b_q": db_q, "b_v": db_v}
    analytic.update({k: dparams[k] for k in ("in_proj_weight", "out_proj.weight", "out_proj.bias")})
    # h=1e-5: with h=1e-6 the round-off noise eps·|f|/h (~4e-10) is 1e-7 of the smallest entries.
    check_gradients(f, inputs, analytic, dout, h=1e-5)
    # Adding b_k shifts every score of a query row by the same q·b_k, which softmax ignores, so
    # its gradient is exactly 0 up to round-off (central differences only see their own noise).
    np.testing.assert_allclose(db_k, 0.0, atol=1e-12)


def test_mha_fully_masked_query_gives_out_proj_bias_where_torch_gives_nan(rng):
    """Differences from nn.MultiheadAttention: a batch row whose keys are all padding."""
    T, B, E, NH = 3, 2, 4, 2
    mha, params = _mha_torch(E, NH, rng)
    x = rng.normal(size=(T, B, E))
    key_mask = padding_mask(np.array([3, 0]), T)  # batch row 1: every key is padding
    out, weights, cache = mha_forward(x, x, x, params, NH, key_mask=key_mask)
    np.testing.assert_array_equal(weights[1], 0.0)
    np.testing.assert_allclose(out[:, 1], np.broadcast_to(params["out_proj.bias"], (T, E)), **TOL64)
    dquery, _, _, _ = mha_backward(np.ones_like(out), cache)
    assert np.all(np.isfinite(dquery))
    ref, ref_w = mha(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(~key_mask))
    assert torch.isnan(ref[:, 1]).all()
    assert torch.isnan(ref_w[1]).all()
    np.testing.assert_allclose(out[:, 0], ref[:, 0].detach(), **TOL64)  # the other row agrees


def test_mha_self_attention_is_permutation_equivariant(rng):
    """Without positional information, permuting the time steps permutes the outputs."""
    T, B, E, NH = 6, 2, 8, 4
    params = init_multi_head_attention_params(E, NH, rng=rng)
    x, perm = rng.normal(size=(T, B, E)), rng.permutation(T)
    out, weights, _ = mha_forward(x, x, x, params, NH)
    out_p, weights_p, _ = mha_forward(x[perm], x[perm], x[perm], params, NH)
    np.testing.assert_allclose(out_p, out[perm], **TOL64)
    np.testing.assert_allclose(weights_p, weights[:, perm][:, :, perm], **TOL64)


def test_mha_causal_outputs_ignore_the_future(rng):
    T, B, E, NH = 5, 2, 4, 2
    params = init_multi_head_attention_params(E, NH, rng=rng)
    x = rng.normal(size=(T, B, E))
    out, _, _ = mha_forward(x, x, x, params, NH, is_causal=True)
    x2 = x.copy()
    x2[3:] = rng.normal(size=x2[3:].shape)
    out2, _, _ = mha_forward(x2, x2, x2, params, NH, is_causal=True)
    np.testing.assert_allclose(out2[:3], out[:3], rtol=1e-13, atol=0)


def test_mha_keeps_float32(rng):
    params = init_multi_head_attention_params(4, 2, rng=rng, dtype=np.float32)
    x = rng.normal(size=(3, 2, 4)).astype(np.float32)
    out, weights, cache = mha_forward(x, x, x, params, 2, is_causal=True)
    assert out.dtype == weights.dtype == np.float32
    dquery, _, _, dparams = mha_backward(out, cache)
    assert dquery.dtype == np.float32
    assert all(g.dtype == np.float32 for g in dparams.values())


def test_init_mha_params_like_torch(rng):
    E = 16
    params = init_multi_head_attention_params(E, 4, rng=rng)
    ref = torch.nn.MultiheadAttention(E, 4).state_dict()
    assert {k: v.shape for k, v in params.items()} == {k: tuple(v.shape) for k, v in ref.items()}
    assert np.abs(params["in_proj_weight"]).max() <= np.sqrt(6 / (4 * E))
    assert np.abs(params["out_proj.weight"]).max() <= 1 / np.sqrt(E)
    np.testing.assert_array_equal(params["in_proj_bias"], 0.0)
    np.testing.assert_array_equal(params["out_proj.bias"], 0.0)


@pytest.mark.parametrize("NH", [3, 0, 2.0])
def test_mha_rejects_heads_that_do_not_divide_embed_dim(rng, NH):
    with pytest.raises(
        ValueError,
        match=rf"init_multi_head_attention_params: num_heads must divide E=4 .* got NH={NH}",
    ):
        init_multi_head_attention_params(4, NH, rng=rng)
    params = init_multi_head_attention_params(4, 2, rng=rng)
    x = np.zeros((3, 2, 4))
    with pytest.raises(
        ValueError, match=r"multi_head_attention_forward: num_heads must divide E=4 \(E % NH == 0\)"
    ):
        mha_forward(x, x, x, params, NH)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"query": np.zeros((3, 4))}, ShapeError, r"query expected \(T, B, E\), got \(3, 4\)"),
        (
            {"key": np.zeros((5, 2, 6))},
            ShapeError,
            r"key expected \(S, B=2, E=4\), got \(5, 2, 6\)",
        ),
        ({"key": np.zeros((5, 3, 4))}, ShapeError, r"key expected \(S, B=2, E=4\)"),
        ({"value": np.zeros((4, 2, 4))}, ShapeError, r"value expected \(S=5, B=2, E=4\)"),
        (
            {"attn_mask": np.ones((3, 3), bool)},
            ShapeError,
            r"attn_mask expected \(T=3, S=5\), got \(3, 3\)",
        ),
        (
            {"attn_mask": np.ones((3, 5))},
            ShapeError,
            r"attn_mask expected a bool array \(T S\), got float64",
        ),
        (
            {"key_mask": np.ones((5, 2), bool)},
            ShapeError,
            r"key_mask expected \(B=2, S=5\), got \(5, 2\)",
        ),
        ({"key_mask": [[True] * 5] * 2}, ShapeError, "key_mask expected a bool array"),
    ],
)
def test_mha_rejects_bad_inputs_and_masks(rng, change, error, match):
    params = init_multi_head_attention_params(4, 2, rng=rng)
    args = {"query": np.zeros((3, 2, 4)), "key": np.zeros((5, 2, 4)), "value": np.zeros((5, 2, 4))}
    args.update(change)
    with pytest.raises(error, match=f"multi_head_attention_forward: {match}"):
        mha_forward(
            args["query"], args["key"], args["value"], params, 2,
            attn_mask=args.get("attn_mask"), key_mask=args.get("key_mask"),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (lambda p: p.pop("in_proj_bias"), ValueError, r"params expected keys \['in_proj_weight'"),
        (lambda p: p.update(bias_k=np.zeros(4)), ValueError, r"params expected .*\['bias_k'"),
        (lambda p: p.update(in_proj_weight=np.zeros((4, 4))), ShapeError,
         r"params\['in_proj_weight'\] expected \(12, E=4\), got \(4, 4\)"),
        (lambda p: p.update({"out_proj.bias": np.zeros(5)}), ShapeError,
         r"params\['out_proj.bias'\] expected \(E=4\), got \(5,\)"),
    ],
)  # fmt: skip
def test_mha_rejects_bad_params(rng, edit, error, match):
    params = init_multi_head_attention_params(4, 2, rng=rng)
    edit(params)
    x = np.zeros((3, 2, 4))
    with pytest.raises(error, match=f"multi_head_attention_forward: {match}"):
        mha_forward(x, x, x, params, 2)
