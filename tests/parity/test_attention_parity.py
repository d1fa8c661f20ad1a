"""The NumPy and torch attention twins agree in float64: outputs, weights and gradients."""

import numpy as np
import pytest
import torch

from course_rnn.numpy_nn import attention as np_attn
from course_rnn.torch_nn import attention as th_attn

TOL64 = {"rtol": 1e-9, "atol": 1e-11}


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def test_masks_agree(rng):
    lengths = np.array([3, 0, 5])
    np.testing.assert_array_equal(th_attn.causal_mask(4, 6).numpy(), np_attn.causal_mask(4, 6))
    np.testing.assert_array_equal(
        th_attn.padding_mask(torch.tensor(lengths), 5).numpy(), np_attn.padding_mask(lengths, 5)
    )


@pytest.mark.parametrize("mask_kind", ["none", "causal", "random", "fully_masked_row"])
def test_sdpa_twins_agree(rng, mask_kind):
    B, NH, T, S, HS = 2, 3, 4, 5, 6
    q, k, v = (rng.normal(size=s) for s in ((B, NH, T, HS), (B, NH, S, HS), (B, NH, S, HS)))
    mask = None
    if mask_kind in ("random", "fully_masked_row"):
        mask = rng.random((B, NH, T, S)) < 0.5
        mask[..., 0] = True
        if mask_kind == "fully_masked_row":
            mask[1, 2, 3] = False
    is_causal = mask_kind == "causal"
    dout = rng.normal(size=(B, NH, T, HS))
    out, weights, cache = np_attn.scaled_dot_product_attention_forward(
        q, k, v, mask, is_causal=is_causal
    )
    grads = np_attn.scaled_dot_product_attention_backward(dout, cache)
    qt, kt, vt = _t(q, True), _t(k, True), _t(v, True)
    out_t, weights_t = th_attn.scaled_dot_product_attention(
        qt, kt, vt, None if mask is None else _t(mask), is_causal=is_causal
    )
    out_t.backward(_t(dout))
    np.testing.assert_allclose(out_t.detach().numpy(), out, **TOL64)
    np.testing.assert_allclose(weights_t.detach().numpy(), weights, **TOL64)
    for grad, t in zip(grads, (qt, kt, vt), strict=True):
        np.testing.assert_allclose(t.grad.numpy(), grad, **TOL64)


@pytest.mark.parametrize("average", [True, False])
def test_multi_head_attention_twins_agree(rng, average):
    T, S, B, E, NH = 4, 6, 3, 8, 2
    params = np_attn.init_multi_head_attention_params(E, NH, rng=rng)
    params["in_proj_bias"] = rng.normal(size=3 * E)
    query, memory = rng.normal(size=(T, B, E)), rng.normal(size=(S, B, E))
    attn_mask = np_attn.causal_mask(T, S)
    key_mask = np_attn.padding_mask(np.array([6, 2, 0]), S)  # the last row: fully masked
    dout = rng.normal(size=(T, B, E))
    out, weights, cache = np_attn.multi_head_attention_forward(
        query, memory, memory, params, NH, attn_mask=attn_mask, key_mask=key_mask,
        average_attn_weights=average,
    )  # fmt: skip
    dquery, dkey, dvalue, dparams = np_attn.multi_head_attention_backward(dout, cache)

    module = th_attn.MultiHeadAttention.from_params(params, NH)
    assert module.in_proj_weight.dtype == torch.float64
    qt, mt = _t(query, True), _t(memory, True)
    out_t, weights_t = module(
        qt, mt, mt, attn_mask=_t(attn_mask), key_mask=_t(key_mask), average_attn_weights=average
    )
    out_t.backward(_t(dout))
    np.testing.assert_allclose(out_t.detach().numpy(), out, **TOL64)
    np.testing.assert_allclose(weights_t.detach().numpy(), weights, **TOL64)
    np.testing.assert_allclose(qt.grad.numpy(), dquery, **TOL64)
    np.testing.assert_allclose(mt.grad.numpy(), dkey + dvalue, **TOL64)
    for name, p in module.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), dparams[name], **TOL64)
