"""Scaled dot-product and multi-head attention in NumPy, forward and backward, with masks.

Attention(Q, K, V) = softmax(Q Kᵀ / √HS) V  (Vaswani et al., "Attention Is All You Need", 2017,
eq. 1 and section 3.2.2). The kernels work on ``(B, NH, T, HS)``; the multi-head layer takes and
returns time-major ``(T, B, E)`` like ``nn.MultiheadAttention``'s default, and its parameters are
keyed like that module's ``state_dict()``. Every forward pass also returns the attention weights,
for the attention-map plots. Book: chapter "RNNs and Transformers", sections "Attention as a
soft lookup" and "Multi-head attention".

Masks are boolean and mean **True = may attend**, the convention of
``F.scaled_dot_product_attention``. (``nn.MultiheadAttention``'s boolean masks mean the opposite,
True = blocked: pass ``~mask`` there.) Blocked scores are set to ``-inf`` before the softmax, so
their weights are exactly 0.

Fully masked rows (a query that may attend to no key, e.g. a padded query with every key padded):
a plain softmax over a row of ``-inf`` is 0/0 = NaN. Our policy: such a row gets **all-zero
weights, a zero output and zero gradients**. This is what ``F.scaled_dot_product_attention``
returns in torch 2.13 (measured, CPU); ``nn.MultiheadAttention`` instead returns NaN outputs and
NaN weights for that query, which then spread to every gradient. Tests pin both facts.
"""

import math

import numpy as np

from course_rnn.numpy_nn.functional import softmax, softmax_backward
from course_rnn.numpy_nn.layers import linear_backward, linear_forward
from course_rnn.shapes import ShapeError, check_shape

#: Keys of a parameter set, as in ``nn.MultiheadAttention(E, NH).state_dict()``.
MHA_PARAM_KEYS = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")


def causal_mask(T: int, S: int | None = None) -> np.ndarray:
    """Boolean mask letting query t attend to keys s <= t (torch's ``is_causal``, top-left aligned).

    Args:
        T: number of queries
        S: number of keys (default T)

    Returns:
        (T, S) bool, True on and below the diagonal.

    Book: chapter "RNNs and Transformers", section "Causal attention".
    """
    return np.tri(T, T if S is None else S, dtype=bool)


def padding_mask(lengths, S: int) -> np.ndarray:
    """Boolean mask of the real (non-padding) key positions of each sequence in a batch.

    Args:
        lengths: (B,) integer  the true length of each sequence, in [0, S]
        S:       padded length

    Returns:
        (B, S) bool, True at positions s < lengths[b]. For the kernels broadcast it as
        ``mask[:, None, None, :]`` (B, 1, 1, S).

    Book: chapter "RNNs and Transformers", section "Padding and masks".
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or not np.issubdtype(lengths.dtype, np.integer):
        raise ShapeError(
            f"padding_mask: lengths expected (B,) integer, got {lengths.dtype} {lengths.shape}"
        )
    if lengths.size and (lengths.min() < 0 or lengths.max() > S):
        raise ValueError(f"padding_mask: lengths must lie in [0, S={S}], got {lengths.tolist()}")
    return np.arange(S) < lengths[:, None]  # (B, S)


def _masked_softmax(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Softmax over the last axis with blocked entries at -inf; fully blocked rows give zeros."""
    filled = np.where(allowed, scores, -np.inf)  # (B, NH, T, S)
    m = filled.max(axis=-1, keepdims=True)  # (B, NH, T, 1); -inf on a fully masked row
    e = np.exp(filled - np.where(m == -np.inf, 0, m))  # exp(-inf) = 0, never inf - inf
    denom = e.sum(axis=-1, keepdims=True)  # (B, NH, T, 1); 0 on a fully masked row
    return e / np.where(denom > 0, denom, 1)


def scaled_dot_product_attention_forward(q, k, v, attn_mask=None, *, is_causal: bool = False):
    """softmax(q kᵀ / √HS) v with optional boolean masks, like ``F.scaled_dot_product_attention``.

    Args:
        q:         (B, NH, T, HS) float  queries (any leading axes, shared by q, k and v)
        k:         (B, NH, S, HS) float  keys
        v:         (B, NH, S, HS) float  values
        attn_mask: bool array broadcastable to (B, NH, T, S), True = may attend; or None
        is_causal: also apply causal_mask(T, S); combined with ``attn_mask`` by logical and

    Returns:
        out:     (B, NH, T, HS), q's dtype
        weights: (B, NH, T, S) attention weights; rows sum to 1 (0 for fully masked rows)
        cache:   opaque; pass to scaled_dot_product_attention_backward

    Differences from torch.nn.functional.scaled_dot_product_attention:
        ``attn_mask`` together with ``is_causal=True`` is refused by torch's math backend and
        combined by its CPU kernel (torch 2.13); we always combine them by logical and (a causal
        decoder over a padded batch). Only boolean masks; no dropout, no ``scale``.

    Book: chapter "RNNs and Transformers", section "Attention as a soft lookup".
    """
    where = "scaled_dot_product_attention_forward"
    for name, a in (("q", q), ("k", k), ("v", v)):
        if not isinstance(a, np.ndarray) or not np.issubdtype(a.dtype, np.floating) or a.ndim < 2:
            raise ShapeError(
                f"{where}: {name} expected a float array (..., T or S, HS), "
                f"got {getattr(a, 'dtype', type(a).__name__)} {np.shape(a)}"
            )
    T, HS = q.shape[-2:]
    S = k.shape[-2]
    if k.shape != (*q.shape[:-2], S, HS) or v.shape[:-1] != k.shape[:-1]:
        raise ShapeError(
            f"{where}: expected q (..., T, HS), k (..., S, HS), v (..., S, HSv) with the same "
            f"leading axes, got q {q.shape}, k {k.shape}, v {v.shape}"
        )
    scores_shape = (*q.shape[:-1], S)  # (B, NH, T, S)
    allowed = None if attn_mask is None else np.asarray(attn_mask)
    if allowed is not None:
        try:
            fits = np.broadcast_shapes(allowed.shape, scores_shape) == scores_shape
        except ValueError:
            fits = False
        if allowed.dtype != np.bool_ or not fits:
            raise ShapeError(
                f"{where}: attn_mask expected a bool array broadcastable to (..., T, S) = "
                f"{scores_shape}, got {allowed.dtype} {allowed.shape}"
            )
    if is_causal:
        allowed = causal_mask(T, S) if allowed is None else allowed & causal_mask(T, S)

    scale = 1.0 / math.sqrt(HS)  # keeps the scores' variance near 1 (Vaswani et al., 3.2.1)
    scores = (q @ k.swapaxes(-1, -2)) * scale  # (B, NH, T, S)
    weights = softmax(scores) if allowed is None else _masked_softmax(scores, allowed)
    out = weights @ v  # (B, NH, T, HS)
    return out, weights, (q, k, v, weights, scale)


def scaled_dot_product_attention_backward(dout: np.ndarray, cache):
    """Gradients of ``scaled_dot_product_attention_forward``.

    Args:
        dout:  (B, NH, T, HS) float  upstream gradient of ``out``
        cache: from scaled_dot_product_attention_forward

    Returns:
        dq: (B, NH, T, HS)
        dk: (B, NH, S, HS)
        dv: (B, NH, S, HS)
        Masked entries and fully masked rows pass no gradient (their weights are 0).

    Book: chapter "RNNs and Transformers", section "Attention as a soft lookup".
    """
    q, k, v, weights, scale = cache
    dv = weights.swapaxes(-1, -2) @ dout  # (B, NH, S, HS)
    dweights = dout @ v.swapaxes(-1, -2)  # (B, NH, T, S)
    dscores = softmax_backward(dweights, weights) * scale  # (B, NH, T, S)
    dq = dscores @ k  # (B, NH, T, HS)
    dk = dscores.swapaxes(-1, -2) @ q  # (B, NH, S, HS)
    return dq, dk, dv


def init_multi_head_attention_params(embed_dim: int, num_heads: int, *, rng, dtype=np.float64):
    """Parameters initialised as ``nn.MultiheadAttention(E, NH)`` does.

    in_proj_weight ~ Xavier-uniform U(±√(6 / 4E)); out_proj.weight ~ U(±1/√E) (nn.Linear's
    default); both biases zero.

    Args:
        embed_dim: E
        num_heads: NH, must divide E
        rng:       np.random.Generator
        dtype:     float dtype of the arrays

    Returns:
        dict keyed like the module's state_dict: in_proj_weight (3E, E), in_proj_bias (3E,),
        out_proj.weight (E, E), out_proj.bias (E,).

    Book: chapter "RNNs and Transformers", section "Multi-head attention".
    """
    E = embed_dim
    _check_heads(E, num_heads, "init_multi_head_attention_params")
    bound_in, bound_out = np.sqrt(6.0 / (E + 3 * E)), 1.0 / np.sqrt(E)
    return {
        "in_proj_weight": rng.uniform(-bound_in, bound_in, (3 * E, E)).astype(dtype),
        "in_proj_bias": np.zeros(3 * E, dtype=dtype),
        "out_proj.weight": rng.uniform(-bound_out, bound_out, (E, E)).astype(dtype),
        "out_proj.bias": np.zeros(E, dtype=dtype),
    }


def _check_heads(E: int, NH: int, where: str) -> None:
    """Raise ValueError unless NH is a positive integer dividing E."""
    if not isinstance(NH, int | np.integer) or NH <= 0 or E % NH != 0:
        raise ValueError(f"{where}: num_heads must divide E={E} (E % NH == 0), got NH={NH!r}")


def multi_head_attention_forward(
    query,
    key,
    value,
    params,
    num_heads: int,
    *,
    attn_mask=None,
    key_mask=None,
    is_causal: bool = False,
    average_attn_weights: bool = True,
):
    """Multi-head attention with q/k/v and output projections, like ``nn.MultiheadAttention``.

    Each head h attends with its own slice of the projected q, k, v (head size HS = E / NH); the
    heads' outputs are concatenated and mixed by ``out_proj``. Self-attention: pass the same array
    as query, key and value.

    Args:
        query:     (T, B, E) float  time-major, as nn.MultiheadAttention's default
        key:       (S, B, E) float
        value:     (S, B, E) float
        params:    dict with in_proj_weight (3E, E), in_proj_bias (3E,), out_proj.weight (E, E),
                   out_proj.bias (E,): a converted ``nn.MultiheadAttention(E, NH).state_dict()``
        num_heads: NH, must divide E
        attn_mask: (T, S) bool, True = may attend (e.g. causal_mask(T)); or None
        key_mask:  (B, S) bool, True = real key, False = padding (see padding_mask); or None
        is_causal: also apply causal_mask(T, S)
        average_attn_weights: return weights averaged over heads (B, T, S), else (B, NH, T, S)

    Returns:
        out:     (T, B, E), query's dtype
        weights: (B, T, S) or (B, NH, T, S)
        cache:   opaque; pass to multi_head_attention_backward

    Differences from torch.nn.MultiheadAttention:
        - Boolean masks mean True = may attend; torch's ``attn_mask``/``key_padding_mask`` mean
          True = blocked, so ``attn_mask=~m`` there equals ``attn_mask=m`` here, and
          ``key_padding_mask=~key_mask``.
        - A fully masked query row gives zero weights and the output ``out_proj.bias``; torch
          gives NaN (see the module docstring).
        - Only boolean masks and packed projections (kdim = vdim = E); no dropout, bias_k/bias_v
          or add_zero_attn.

    Book: chapter "RNNs and Transformers", section "Multi-head attention".
    """
    where = "multi_head_attention_forward"
    T, B, E = check_shape(query, "T B E", name="query", where=where).values()
    S = check_shape(key, "S B E", name="key", where=where, B=B, E=E)["S"]
    check_shape(value, "S B E", name="value", where=where, S=S, B=B, E=E)
    _check_heads(E, num_heads, where)
    _check_params(params, E, where)
    NH, HS = num_heads, E // num_heads

    mask = _mha_mask(attn_mask, key_mask, T=T, S=S, B=B, where=where)  # (B, 1, T, S) or None

    W_q, W_k, W_v = np.split(params["in_proj_weight"], 3)  # each (E, E), rows q | k | v
    b_q, b_k, b_v = np.split(params["in_proj_bias"], 3)  # each (E,)
    q, q_cache = linear_forward(query, W_q, b_q)  # (T, B, E)
    k, k_cache = linear_forward(key, W_k, b_k)  # (S, B, E)
    v, v_cache = linear_forward(value, W_v, b_v)  # (S, B, E)
    # Split E into NH heads of HS features and move batch and heads to the front.
    q = q.reshape(T, B, NH, HS).transpose(1, 2, 0, 3)  # (B, NH, T, HS)
    k = k.reshape(S, B, NH, HS).transpose(1, 2, 0, 3)  # (B, NH, S, HS)
    v = v.reshape(S, B, NH, HS).transpose(1, 2, 0, 3)  # (B, NH, S, HS)
    y, weights, attn_cache = scaled_dot_product_attention_forward(
        q, k, v, mask, is_causal=is_causal
    )  # (B, NH, T, HS), (B, NH, T, S)
    y = y.transpose(2, 0, 1, 3).reshape(T, B, E)  # (T, B, E): heads side by side again
    out, out_cache = linear_forward(y, params["out_proj.weight"], params["out_proj.bias"])
    if average_attn_weights:
        weights = weights.mean(axis=1)  # (B, T, S)
    cache = (q_cache, k_cache, v_cache, attn_cache, out_cache, (T, S, B, E, NH, HS))
    return out, weights, cache


def multi_head_attention_backward(dout: np.ndarray, cache):
    """Gradients of ``multi_head_attention_forward``.

    Args:
        dout:  (T, B, E) float  upstream gradient of ``out``
        cache: from multi_head_attention_forward

    Returns:
        dquery:  (T, B, E)
        dkey:    (S, B, E)
        dvalue:  (S, B, E)   for self-attention the input's gradient is dquery + dkey + dvalue
        dparams: dict keyed like params

    Book: chapter "RNNs and Transformers", section "Multi-head attention".
    """
    q_cache, k_cache, v_cache, attn_cache, out_cache, (T, S, B, E, NH, HS) = cache
    dy, dW_o, db_o = linear_backward(dout, out_cache)  # (T, B, E)
    dy = dy.reshape(T, B, NH, HS).transpose(1, 2, 0, 3)  # (B, NH, T, HS)
    dq, dk, dv = scaled_dot_product_attention_backward(dy, attn_cache)
    dq = dq.transpose(2, 0, 1, 3).reshape(T, B, E)  # (T, B, E)
    dk = dk.transpose(2, 0, 1, 3).reshape(S, B, E)  # (S, B, E)
    dv = dv.transpose(2, 0, 1, 3).reshape(S, B, E)  # (S, B, E)
    dquery, dW_q, db_q = linear_backward(dq, q_cache)
    dkey, dW_k, db_k = linear_backward(dk, k_cache)
    dvalue, dW_v, db_v = linear_backward(dv, v_cache)
    dparams = {
        "in_proj_weight": np.concatenate([dW_q, dW_k, dW_v]),  # (3E, E)
        "in_proj_bias": np.concatenate([db_q, db_k, db_v]),  # (3E,)
        "out_proj.weight": dW_o,
        "out_proj.bias": db_o,
    }
    return dquery, dkey, dvalue, dparams


def _mha_mask(attn_mask, key_mask, *, T: int, S: int, B: int, where: str):
    """Validate the two boolean masks and combine them in the kernels' layout (B, 1, T, S)."""
    for name, m, pattern in (("attn_mask", attn_mask, "T S"), ("key_mask", key_mask, "B S")):
        if m is not None and getattr(m, "dtype", None) != np.bool_:
            raise ShapeError(
                f"{where}: {name} expected a bool array ({pattern}), "
                f"got {getattr(m, 'dtype', type(m).__name__)}"
            )
        if m is not None:
            check_shape(m, pattern, name=name, where=where, T=T, S=S, B=B)
    if attn_mask is None and key_mask is None:
        return None
    mask = np.ones((B, 1, T, S), dtype=bool)
    if attn_mask is not None:
        mask &= attn_mask  # (T, S) broadcast over batch and heads
    if key_mask is not None:
        mask &= key_mask[:, None, None, :]  # (B, 1, 1, S) broadcast over queries and heads
    return mask


def _check_params(params, E: int, where: str) -> None:
    """Raise ValueError for missing/unknown keys, ShapeError for misshapen parameters."""
    if set(params) != set(MHA_PARAM_KEYS):
        raise ValueError(
            f"{where}: params expected keys {list(MHA_PARAM_KEYS)}, got {sorted(params)}"
        )
    three_E = str(3 * E)  # an integer literal in a pattern fixes that size
    for name, pattern in zip(MHA_PARAM_KEYS, (f"{three_E} E", three_E, "E E", "E"), strict=True):
        check_shape(params[name], pattern, name=f"params[{name!r}]", where=where, E=E)
