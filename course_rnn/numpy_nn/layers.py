"""Linear, output, embedding and layer-norm layers in NumPy: ``*_forward`` / ``*_backward`` pairs.

The parameters have torch's shapes (weights (out_features, in_features)), so an
``nn.Linear(D, H).state_dict()`` converted with ``.numpy()`` plugs straight in. A forward pass
returns ``(out, cache)``; a backward pass takes ``(dout, cache)`` and returns the gradients of the
inputs, then of the parameters, in the order of the forward arguments. The language model's two
ends use the book's names: ``temporal_affine_*`` (logits o_t = h_t W_hy^T + b_y) and
``embedding_*`` (x_t = E[token_t]); ``linear_*`` is the general affine map, ``layer_norm_*``
the Transformer's normalisation.

Book: chapter "Backpropagation through time" (section "Through the output layer") and chapter
"RNNs and Transformers" (layer normalisation). Layer norm: Ba, Kiros & Hinton, "Layer
Normalization", 2016, with torch's conventions (biased variance, eps inside the square root).
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

    Book: chapter "Backpropagation through time", section "Through the output layer".
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

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    x, weight, has_bias = cache
    D, H = x.shape[-1], dout.shape[-1]
    dx = dout @ weight  # (T, B, D)
    dweight = dout.reshape(-1, H).T @ x.reshape(-1, D)  # (H, N) @ (N, D) -> (H, D)
    dbias = dout.reshape(-1, H).sum(axis=0) if has_bias else None  # (H,)
    return dx, dweight, dbias


def temporal_affine_forward(h: np.ndarray, W_hy: np.ndarray, b_y: np.ndarray):
    """The output layer of a sequence model: o_t = h_t W_hy^T + b_y at every step t.

    The same weights at every step, applied as one matrix product over all T·B positions
    (CS231n's ``temporal_affine``; ``nn.Linear(H, V)`` applied to a (T, B, H) tensor).

    Args:
        h:    (T, B, H) float   hidden states (the recurrent layer's output)
        W_hy: (V, H) float      output weights (nn.Linear's weight)
        b_y:  (V,) float        output bias

    Returns:
        o:     (T, B, V) h's dtype, the logits
        cache: (h, W_hy), for temporal_affine_backward

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    where = "temporal_affine_forward"
    _check_float(h, "h", where)
    _check_float(W_hy, "W_hy", where)
    _check_float(b_y, "b_y", where)
    V, H = check_shape(W_hy, "V H", name="W_hy", where=where).values()
    check_shape(h, "T B H", name="h", where=where, H=H)
    check_shape(b_y, "V", name="b_y", where=where, V=V)
    o = h @ W_hy.T + b_y  # (T, B, V)
    return o, (h, W_hy)


def temporal_affine_backward(do: np.ndarray, cache):
    """Gradients of ``temporal_affine_forward``.

    Args:
        do:    (T, B, V) float   gradient of the loss with respect to the logits o
        cache: from temporal_affine_forward

    Returns:
        dh:   (T, B, H) the gradient each h_t receives from its own output (dout[t] in the book)
        dW_hy: (V, H) summed over all T·B positions
        db_y:  (V,)   summed over all T·B positions

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    h, W_hy = cache
    T, B, H = h.shape
    V = W_hy.shape[0]
    check_shape(do, "T B V", name="do", where="temporal_affine_backward", T=T, B=B, V=V)
    dh = do @ W_hy  # (T, B, H)
    dW_hy = do.reshape(T * B, V).T @ h.reshape(T * B, H)  # (V, T·B) @ (T·B, H) -> (V, H)
    db_y = do.sum(axis=(0, 1))  # (V,)
    return dh, dW_hy, db_y


def embedding_forward(tokens: np.ndarray, E: np.ndarray):
    """Look up one row of the embedding matrix per token: x_t = E[token_t] (``F.embedding``).

    Args:
        tokens: (T, B) integer (any shape works)  token ids in [0, V)
        E:      (V, D) float                      the embedding matrix; row v is token v's vector

    Returns:
        x:     (T, B, D), E's dtype
        cache: (tokens, V), for embedding_backward

    No ``padding_idx``, ``max_norm`` or sparse gradients (nn.Embedding's options).

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    where = "embedding_forward"
    _check_float(E, "E", where)
    V, _ = check_shape(E, "V D", name="E", where=where).values()
    tokens = np.asarray(tokens)
    if not np.issubdtype(tokens.dtype, np.integer):
        raise TypeError(f"{where}: tokens must be integer token ids, got dtype {tokens.dtype}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= V):
        raise ValueError(
            f"{where}: tokens must lie in [0, V={V}), got values {tokens.min()} .. {tokens.max()}"
        )
    return E[tokens], (tokens, V)  # (T, B, D)


def embedding_backward(dx: np.ndarray, tokens, V: int | None = None) -> np.ndarray:
    """Gradient of ``embedding_forward`` with respect to E (the tokens get no gradient).

    Call it as ``embedding_backward(dx, cache)`` with the forward's cache, or as
    ``embedding_backward(dx, tokens, V)``: the cache is exactly ``(tokens, V)``.

    Args:
        dx:     (T, B, D) float   gradient of the loss with respect to the looked-up vectors
        tokens: (T, B) integer    the forward's token ids (or the forward's cache, with V None)
        V:      vocabulary size, the number of rows of E

    Returns:
        dE: (V, D), dx's dtype; row v sums dx over every position where token v occurs.

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    where = "embedding_backward"
    if V is None:
        if not (isinstance(tokens, tuple) and len(tokens) == 2):
            raise TypeError(f"{where}: expected (dx, cache) or (dx, tokens, V), got no V")
        tokens, V = tokens
    tokens = np.asarray(tokens)
    _check_float(dx, "dx", where)
    if dx.shape[:-1] != tokens.shape:
        raise ShapeError(
            f"{where}: dx expected tokens' shape {tokens.shape} plus (D,), got {dx.shape}"
        )
    D = dx.shape[-1]
    dE = np.zeros((V, D), dtype=dx.dtype)
    # Scatter-add: a token that occurs twice must collect both gradients; dE[tokens] += dx
    # would keep only one of them.
    np.add.at(dE, tokens.reshape(-1), dx.reshape(-1, D))  # (T·B,) ids, (T·B, D) rows
    return dE


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

    Book: chapter "RNNs and Transformers", section "Layer normalization".
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

    Book: chapter "RNNs and Transformers", section "Layer normalization".
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
