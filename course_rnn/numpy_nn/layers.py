"""Linear, embedding and layer-norm layers in NumPy, each a ``*_forward`` / ``*_backward`` pair.

The signatures mirror ``torch.nn.functional`` (``F.linear(x, weight, bias)``,
``F.embedding(ids, weight)``, ``F.layer_norm(x, (E,), weight, bias, eps)``) and the parameters
have torch's names and shapes, so ``nn.Linear(D, H).state_dict()`` converted with ``.numpy()``
plugs straight in. A forward pass returns ``(out, cache)``; a backward pass takes
``(dout, cache)`` and returns the gradients of the inputs, then of the parameters, in the order of
the forward arguments.

Book: chapter "Sequences and recurrent models" (sections "Embeddings" and "Output layers") and
chapter "RNNs vs Transformers" (section "Layer normalization"). Layer norm: Ba, Kiros & Hinton,
"Layer Normalization", 2016, with torch's conventions (biased variance, eps inside the square root).
"""

import numpy as np

from course_rnn.shapes import ShapeError, check_shape


def _check_float(x, name: str, where: str) -> None:
    """Raise TypeError unless x is a floating-point NumPy array."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        kind = getattr(x, "dtype", type(x).__name__)
        raise TypeError(f"{where}: {name} must be a float NumPy array, got {kind}")


def linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None):
    """Affine map ``x @ weight.T + bias`` on the last axis, like ``nn.Linear``.

    On a (T, B, D) input this is the "temporal linear" layer (CS231n's ``temporal_affine``):
    the same weights at every time step, applied as one matrix product.

    Args:
        x:      (N, D) or (T, B, D) float  inputs
        weight: (H, D) float                torch layout (out_features, in_features)
        bias:   (H,) float or None

    Returns:
        out:   (N, H) or (T, B, H), x's dtype
        cache: opaque; pass to linear_backward

    Book: chapter "Sequences and recurrent models", section "Output layers".
    """
    where = "linear_forward"
    _check_float(x, "x", where)
    H, D = check_shape(weight, "H D", name="weight", where=where).values()
    if x.ndim not in (2, 3):
        raise ShapeError(f"{where}: x expected (N, D={D}) or (T, B, D={D}), got {x.shape}")
    check_shape(x, "N D" if x.ndim == 2 else "T B D", name="x", where=where, D=D)
    if bias is not None:
        check_shape(bias, "H", name="bias", where=where, H=H)
    out = x @ weight.T  # (T, B, H)
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias is not None)


def linear_backward(dout: np.ndarray, cache):
    """Gradients of ``linear_forward``.

    Args:
        dout:  (N, H) or (T, B, H) float  upstream gradient
        cache: from linear_forward

    Returns:
        dx:      (N, D) or (T, B, D)
        dweight: (H, D)  summed over every leading axis (all time steps and batch rows)
        dbias:   (H,), or None when the forward had no bias

    Book: chapter "Sequences and recurrent models", section "Output layers".
    """
    x, weight, has_bias = cache
    D, H = x.shape[-1], dout.shape[-1]
    dx = dout @ weight  # (T, B, D)
    dweight = dout.reshape(-1, H).T @ x.reshape(-1, D)  # (H, N) @ (N, D) -> (H, D)
    dbias = dout.reshape(-1, H).sum(axis=0) if has_bias else None  # (H,)
    return dx, dweight, dbias


def embedding_forward(ids: np.ndarray, weight: np.ndarray):
    """Look up rows of an embedding table, like ``nn.Embedding`` / ``F.embedding``.

    Args:
        ids:    (T, B) integer (any shape works)  token ids in [0, V)
        weight: (V, E) float                      the table; row v is token v's vector

    Returns:
        out:   (T, B, E), weight's dtype
        cache: opaque; pass to embedding_backward

    No ``padding_idx``, ``max_norm`` or sparse gradients (nn.Embedding's options).

    Book: chapter "Sequences and recurrent models", section "Embeddings".
    """
    where = "embedding_forward"
    _check_float(weight, "weight", where)
    V, _ = check_shape(weight, "V E", name="weight", where=where).values()
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"{where}: ids must be integer token ids, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(
            f"{where}: ids must lie in [0, V={V}), got values {ids.min()} .. {ids.max()}"
        )
    return weight[ids], (ids, weight.shape)  # (T, B, E)


def embedding_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Gradient of ``embedding_forward`` with respect to the table (ids get no gradient).

    Args:
        dout:  (T, B, E) float  upstream gradient
        cache: from embedding_forward

    Returns:
        dweight: (V, E); row v sums dout over every position where token v occurs.

    Book: chapter "Sequences and recurrent models", section "Embeddings".
    """
    ids, (V, E) = cache
    dweight = np.zeros((V, E), dtype=dout.dtype)
    # Scatter-add: a token that occurs twice must collect both gradients; dweight[ids] += dout
    # would keep only one of them.
    np.add.at(dweight, ids.reshape(-1), dout.reshape(-1, E))  # (T*B,) ids, (T*B, E) rows
    return dweight


def layer_norm_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-5):
    """Layer normalisation over the last axis, exactly ``nn.LayerNorm(E, eps=eps)``.

    y = (x - mean) / sqrt(var + eps) * weight + bias, with mean and the *biased* variance (divide by
    E, not E - 1) taken over the last axis of each position separately. Only the last axis is
    normalised (torch's ``normalized_shape = (E,)``, the Transformer case).

    Args:
        x:      (T, B, E) float (any rank >= 1 with last axis E)
        weight: (E,) float  gain (torch's ``weight``; starts at ones)
        bias:   (E,) float  shift (starts at zeros)
        eps:    added to the variance inside the square root

    Returns:
        out:   (T, B, E), x's dtype
        cache: opaque; pass to layer_norm_backward

    Book: chapter "RNNs vs Transformers", section "Layer normalization".
    """
    where = "layer_norm_forward"
    _check_float(x, "x", where)
    if x.ndim == 0:
        raise ShapeError(f"{where}: x expected (..., E), got a 0-d array")
    E = x.shape[-1]
    check_shape(weight, "E", name="weight", where=where, E=E)
    check_shape(bias, "E", name="bias", where=where, E=E)
    mu = x.mean(axis=-1, keepdims=True)  # (T, B, 1)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (T, B, 1) biased, as torch
    rstd = 1.0 / np.sqrt(var + eps)  # (T, B, 1)
    xhat = (x - mu) * rstd  # (T, B, E)
    return xhat * weight + bias, (xhat, rstd, weight)


def layer_norm_backward(dout: np.ndarray, cache):
    """Gradients of ``layer_norm_forward``.

    Args:
        dout:  (T, B, E) float  upstream gradient
        cache: from layer_norm_forward

    Returns:
        dx:      (T, B, E)
        dweight: (E,)  summed over every leading axis
        dbias:   (E,)

    Book: chapter "RNNs vs Transformers", section "Layer normalization".
    """
    xhat, rstd, weight = cache
    E = xhat.shape[-1]
    dweight = (dout * xhat).reshape(-1, E).sum(axis=0)  # (E,)
    dbias = dout.reshape(-1, E).sum(axis=0)  # (E,)
    dxhat = dout * weight  # (T, B, E)
    # xhat depends on x directly and through the mean and the variance; projecting out those two
    # directions gives the compact form below.
    dx = rstd * (
        dxhat
        - dxhat.mean(axis=-1, keepdims=True)
        - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)
    )  # (T, B, E)
    return dx, dweight, dbias
