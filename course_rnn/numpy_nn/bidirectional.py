"""A bidirectional tanh RNN layer over a padded batch of sequences of unequal length, in NumPy.

A batch holds B sequences of lengths ``lengths[b]`` (1 ≤ lengths[b] ≤ T), each padded after its
end to T steps: ``x[t, b]`` is real for ``t < lengths[b]`` and padding after. The forward
direction reads each sequence from its first step, the backward direction from its *last real*
step, never from the padding. Both run the tanh cell of ``rnn.py`` (``rnn_forward`` and
``rnn_backward``), and the masking is written out here:

* forward direction: ``rnn_forward`` over the whole padded batch. Its states at t < lengths[b]
  never see the padding, which comes later; the states it computes over the padding are
  discarded (outputs set to 0), and its final state is read at step ``lengths[b] − 1``;
* backward direction: reverse each sequence *within its length* (``reverse_padded``), run
  ``rnn_forward`` on that, and reverse its outputs back the same way; its final state is the state
  after reading back to step 1, at reversed step ``lengths[b] − 1`` too.

Equal to ``torch.nn.RNN(bidirectional=True)`` fed with
``pack_padded_sequence(x, lengths, enforce_sorted=False)`` and unpacked with
``pad_packed_sequence`` (a float64 parity test pins them together to 1e-9, gradients included).

Book: "Bidirectional RNNs", section "Batches of unequal length".
References: Schuster & Paliwal (1997), Bidirectional recurrent neural networks.

Differences from torch.nn.RNN(bidirectional=True): one layer, tanh only; the two directions take
separate parameter dicts, each keyed like a one-layer ``torch.nn.RNN``'s ``state_dict()``
(``split_bidirectional_params`` makes them from torch's keys, where the backward direction's end
in ``_reverse``); lengths are an argument instead of a PackedSequence; ``merge="sum"`` is extra.
"""

import numpy as np

from course_rnn.numpy_nn._params import Layout, check_params, check_state, check_x
from course_rnn.numpy_nn.rnn import rnn_backward, rnn_forward
from course_rnn.shapes import ShapeError

MERGES = ("concat", "sum")
_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _check_lengths(lengths, T: int, B: int, where: str) -> np.ndarray:
    """lengths: an integer array (B,) with 1 ≤ lengths[b] ≤ T; returned as int64."""
    if not isinstance(lengths, np.ndarray):
        raise TypeError(
            f"{where}: lengths expected an integer NumPy array (B,), got {type(lengths).__name__}"
        )
    if not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"{where}: lengths expected an integer dtype, got {lengths.dtype}")
    if lengths.shape != (B,):
        raise ShapeError(f"{where}: lengths expected (B={B},) like x, got {lengths.shape}")
    bad = np.flatnonzero((lengths < 1) | (lengths > T))
    if bad.size:
        b = int(bad[0])
        raise ValueError(
            f"{where}: lengths expected 1 ≤ lengths[b] ≤ T = {T}, "
            f"got lengths[{b}] = {int(lengths[b])}"
        )
    return lengths.astype(np.int64)


def reverse_padded(x, lengths):
    """Reverse each sequence of a padded batch within its length; the padding stays in place.

    Column b becomes ``x[lengths[b]-1, b], ..., x[0, b], x[lengths[b], b], ..., x[T-1, b]``.
    Applying it twice gives x back. With every length equal to T it is ``x[::-1]``.

    Args:
        x:       (T, B, ...) any dtype; time-major, sequence b real for t < lengths[b]
        lengths: (B,) int, 1 ≤ lengths[b] ≤ T

    Returns:
        (T, B, ...) a new array, x's dtype

    Book: "Bidirectional RNNs", section "Batches of unequal length".
    """
    if not isinstance(x, np.ndarray) or x.ndim < 2:
        raise ShapeError(
            f"reverse_padded: x expected an array (T, B, ...), got {getattr(x, 'shape', type(x))}"
        )
    T, B = x.shape[:2]
    lengths = _check_lengths(lengths, T, B, "reverse_padded")
    t = np.arange(T)[:, None]  # (T, 1)
    # Where step t of column b comes from: lengths[b] - 1 - t inside the sequence, t in the padding.
    source = np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)  # (T, B)
    return x[source, np.arange(B)[None, :]]  # (T, B, ...)


def split_bidirectional_params(params):
    """torch.nn.RNN(bidirectional=True).state_dict() (one layer) -> (params_fwd, params_bwd).

    Args:
        params: dict with weight_ih_l0 (H, D), weight_hh_l0 (H, H), bias_ih_l0 (H,),
                bias_hh_l0 (H,) and the same four keys ending in _reverse

    Returns:
        params_fwd, params_bwd: two dicts keyed weight_ih_l0, ..., bias_hh_l0 (no _reverse)

    Book: "Bidirectional RNNs".
    """
    missing = [k + s for k in _KEYS for s in ("", "_reverse") if k + s not in params]
    if missing:
        raise ValueError(f"split_bidirectional_params: params is missing {missing}")
    return {k: params[k] for k in _KEYS}, {k: params[k + "_reverse"] for k in _KEYS}


def _check_direction(params, dtype, where: str, name: str):
    """One direction's params: a one-layer, unidirectional RNN dict; returns (H, D)."""
    layout = check_params(params, 1, dtype, f"{where}: {name}")
    if layout.num_layers != 1 or layout.num_directions != 1:
        raise ValueError(
            f"{where}: {name} expected exactly the keys {list(_KEYS)} (one layer, one direction), "
            f"got {sorted(params)}"
        )
    return layout.hidden_size, layout.input_size


def bidirectional_rnn_forward(x, lengths, h0, params_fwd, params_bwd, merge="concat"):
    """A bidirectional tanh RNN layer over a padded batch with lengths, like torch with packing.

    Args:
        x:          (T, B, D) float32 or float64; sequence b real for t < lengths[b], padded after
        lengths:    (B,) int, 1 ≤ lengths[b] ≤ T, any order
        h0:         (2, B, H) x's dtype: h0[0] starts the forward direction, h0[1] the backward
                    one (torch's layout); None for zeros
        params_fwd: forward direction, keyed like a one-layer torch.nn.RNN's state_dict():
                    weight_ih_l0 (H, D), weight_hh_l0 (H, H), bias_ih_l0 (H,), bias_hh_l0 (H,)
        params_bwd: backward direction, same keys and shapes
        merge:      "concat" (torch's: out[t] = [h_fwd_t, h_bwd_t]) or "sum" (h_fwd_t + h_bwd_t)

    Returns:
        out:   (T, B, 2H) for "concat", (T, B, H) for "sum"; x's dtype; exactly 0 at padded steps
        h_n:   (2, B, H) h_n[0] the forward state at step lengths[b] − 1 (the last real step),
               h_n[1] the backward state after reading back to step 0 (torch's h_n)
        cache: for bidirectional_rnn_backward

    Book: "Bidirectional RNNs", section "Batches of unequal length".
    """
    where = "bidirectional_rnn_forward"
    check_x(x, where)
    if not (isinstance(merge, str) and merge in MERGES):
        raise ValueError(f"{where}: merge expected one of {MERGES}, got {merge!r}")
    H, D = _check_direction(params_fwd, x.dtype, where, "params_fwd")
    if _check_direction(params_bwd, x.dtype, where, "params_bwd") != (H, D):
        raise ShapeError(
            f"{where}: params_bwd expected H={H}, D={D} like params_fwd, "
            f"got H={params_bwd['weight_hh_l0'].shape[1]}, D={params_bwd['weight_ih_l0'].shape[1]}"
        )
    T, B = check_x(x, where, D=D)
    lengths = _check_lengths(lengths, T, B, where)
    (h0,) = check_state(h0, ("h",), Layout(1, 2, H, D), B, x.dtype, where)  # (2, B, H)
    real = (np.arange(T)[:, None] < lengths[None, :])[:, :, None]  # (T, B, 1) True at real steps
    last, batch = lengths - 1, np.arange(B)  # (B,) each sequence's last real step

    # Forward direction: the padding comes after the real steps, so it cannot change them.
    h_fwd, _, cache_fwd = rnn_forward(x, params_fwd, h0[0:1])  # (T, B, H)
    # Backward direction: read each sequence from its last real step back to its first.
    h_bwd_rev, _, cache_bwd = rnn_forward(reverse_padded(x, lengths), params_bwd, h0[1:2])
    h_bwd = reverse_padded(h_bwd_rev, lengths)  # (T, B, H): h_bwd[t] is the state at step t

    h_n = np.stack([h_fwd[last, batch], h_bwd_rev[last, batch]])  # (2, B, H)
    h_fwd, h_bwd = h_fwd * real, h_bwd * real  # (T, B, H) each, 0 at padded steps
    out = np.concatenate([h_fwd, h_bwd], axis=2) if merge == "concat" else h_fwd + h_bwd
    cache = (lengths, merge, H, D, x.dtype, cache_fwd, cache_bwd)
    return out, h_n, cache


def bidirectional_rnn_backward(dout, dh_n, cache):
    """Backward of bidirectional_rnn_forward.

    Args:
        dout:  (T, B, 2H) or (T, B, H) like out, the forward's dtype, or None (no loss on out);
               its padded steps are ignored, since out is 0 there whatever the parameters
        dh_n:  (2, B, H) gradient with respect to h_n, or None
        cache: from bidirectional_rnn_forward

    Returns:
        dx:        (T, B, D) the forward's dtype, 0 at padded steps
        dh0:       (2, B, H)
        grads_fwd: dict keyed like params_fwd, each gradient shaped like its parameter
        grads_bwd: dict keyed like params_bwd

    Book: "Bidirectional RNNs", section "Batches of unequal length".
    """
    where = "bidirectional_rnn_backward"
    if not (isinstance(cache, tuple) and len(cache) == 7 and cache[1] in MERGES):
        raise TypeError(
            f"{where}: cache expected the cache returned by bidirectional_rnn_forward, "
            f"got {type(cache).__name__}"
        )
    lengths, merge, H, D, dtype, cache_fwd, cache_bwd = cache
    T, B = cache_fwd.T, cache_fwd.B
    width = 2 * H if merge == "concat" else H
    if dout is None:
        dout = np.zeros((T, B, width), dtype=dtype)
    if not isinstance(dout, np.ndarray) or dout.dtype != dtype:
        got = getattr(dout, "dtype", type(dout).__name__)
        raise TypeError(f"{where}: dout expected a {dtype} NumPy array like out, got {got}")
    if dout.shape != (T, B, width):
        raise ShapeError(
            f"{where}: dout expected (T={T}, B={B}, {width}) like out, got {dout.shape}"
        )
    (dh_n,) = check_state(dh_n, ("h",), Layout(1, 2, H, D), B, dtype, where, grad=True)
    real = (np.arange(T)[:, None] < lengths[None, :])[:, :, None]  # (T, B, 1)
    last, batch = lengths - 1, np.arange(B)

    # Split the merge; out is 0 at padded steps, so no gradient reaches the states there.
    dh_fwd = (dout[:, :, :H] if merge == "concat" else dout) * real  # (T, B, H)
    dh_bwd = (dout[:, :, H:] if merge == "concat" else dout) * real  # (T, B, H)
    # h_n is read from the outputs at step lengths[b] - 1 (in reversed time for the backward
    # direction): its gradient joins the output gradient there.
    dh_fwd[last, batch] += dh_n[0]
    dh_bwd_rev = reverse_padded(dh_bwd, lengths)  # (T, B, H) in the backward direction's time
    dh_bwd_rev[last, batch] += dh_n[1]

    dx_fwd, dh0_fwd, grads_fwd = rnn_backward(dh_fwd, None, cache_fwd)
    dx_bwd_rev, dh0_bwd, grads_bwd = rnn_backward(dh_bwd_rev, None, cache_bwd)
    dx = dx_fwd + reverse_padded(dx_bwd_rev, lengths)  # (T, B, D)
    dh0 = np.concatenate([dh0_fwd, dh0_bwd])  # (2, B, H)
    return dx, dh0, grads_fwd, grads_bwd
