"""What RNN, LSTM and GRU share: the time loop, stacked layers, both directions, truncated BPTT.

Every recurrent cell here does the same two matrix products per step, ``a_ih = x_t W_ih^T + b_ih``
and ``a_hh = h_{t-1} W_hh^T + b_hh`` (each (B, G·H)), and then applies its own equations to them.
The cell modules (``rnn.py``, ``lstm.py``, ``gru.py``) supply only those equations, as a
:class:`Cell`; this module runs them over time, over ``num_layers`` stacked layers and over both
directions, exactly like ``torch.nn.RNN/LSTM/GRU`` (time-major, ``state_dict()`` keys), and runs
backpropagation through time back through all of it.

Book: "The hidden state" (stacked layers), "Backpropagation through time", "Bidirectional RNNs".
References: Elman (1990), Finding structure in time; Werbos (1990), Backpropagation through time:
what it does and how to do it; Schuster & Paliwal (1997), Bidirectional recurrent neural networks.

Public here: :func:`truncated_bptt`. The rest is the machinery behind ``rnn_forward``,
``lstm_forward``, ``gru_forward`` and their backward passes. The one-step functions
(``rnn_step_forward`` and the like, in the cell modules) are written out separately, to be read.

Speed: the input products of all T steps are one matrix product before the loop, and the weight
gradients are one product each after it; only ``h_{t-1} W_hh^T`` and its backward stay in the loop.
The LSTM's sequence functions bring a time loop of their own (``Cell.layer``, in ``lstm.py``), the
same arrangement with fewer NumPy calls per step.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from course_rnn.numpy_nn._params import Layout, check_doutput, check_params, check_state, check_x
from course_rnn.shapes import ShapeError, check_shape

__all__ = ["truncated_bptt"]


@dataclass(frozen=True)
class Cell:
    """The equations of one kind of recurrent cell, as the shared sequence loop needs them.

    The readable one-step functions (``rnn_step_forward`` and the like) do not use this: they
    write each cell's equations out in full. Tests pin the two versions together.
    """

    name: str  # "rnn", "lstm" or "gru": names the public functions in error messages
    gates: int  # G: gate blocks in weight_ih / weight_hh (1 RNN, 4 LSTM, 3 GRU)
    states: tuple[str, ...]  # ("h",), or ("h", "c") for the LSTM: names in messages (h0, dc_n)
    # The cell only uses a_ih + a_hh (RNN, LSTM): then da_ih and da_hh are the same array, and
    # the sequence driver may move b_hh from a_hh into a_ih.
    summed: bool
    # (a_ih, a_hh, state_prev) -> (state_t, cache_t). It may overwrite a_ih and a_hh (fresh for
    # each step, except that a_hh's buffer is reused: copy what the cache keeps of it).
    forward: Callable | None = None
    # (dstate_t, cache_t) -> (da_ih, da_hh, dstate_prev); dstate_prev leaves out the path
    # through W_hh, which the driver adds (its first entry may be None: no other path).
    backward: Callable | None = None
    # Optional (layer_forward, layer_backward), called like _layer_forward and _layer_backward:
    # a cell-specific time loop that replaces the generic one (the LSTM's, written for speed).
    layer: tuple[Callable, Callable] | None = None


def sigmoid_inplace(a):
    """σ(a) = 1 / (1 + e^(−a)) written over a (float array), returned.

    Computed as (1 + tanh(a/2)) / 2, which is the same function: no exp, so it never overflows,
    and no temporaries (``functional.sigmoid`` is the general-purpose version).
    """
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _layer_forward(cell, x, state0, weight_ih, weight_hh, bias_ih, bias_hh):
    """One layer in one direction over all T steps; state0 is a tuple of (B, H) arrays."""
    T, B, D = x.shape
    GH, H = weight_hh.shape
    # The input products of all T steps in one matrix product. A cell that only uses
    # a_ih + a_hh gets both biases here, which saves an addition per step.
    bias = bias_ih + bias_hh if cell.summed else bias_ih
    a_ih = (x.reshape(T * B, D) @ weight_ih.T + bias).reshape(T, B, GH)  # (T, B, G·H)
    weight_hh_T = np.ascontiguousarray(weight_hh.T)  # (H, G·H), contiguous for the loop's product
    a_hh = np.empty((B, GH), dtype=x.dtype)  # (B, G·H), one buffer reused at every step
    h = np.empty((T, B, H), dtype=x.dtype)
    state, caches = state0, []
    for t in range(T):
        np.matmul(state[0], weight_hh_T, out=a_hh)
        if not cell.summed:
            a_hh += bias_hh
        state, cache_t = cell.forward(a_ih[t], a_hh, state)
        h[t] = state[0]
        caches.append(cache_t)
    return h, state, (x, state0[0], h, weight_ih, weight_hh, caches)


def _layer_backward(cell, dh, dstate_n, cache):
    """Backward of :func:`_layer_forward`: BPTT, then the weight gradients in one product each."""
    x, h0, h, weight_ih, weight_hh, caches = cache
    T, B, D = x.shape
    GH, H = weight_hh.shape
    da_ih = np.empty((T, B, GH), dtype=x.dtype)
    da_hh = da_ih if cell.summed else np.empty((T, B, GH), dtype=x.dtype)
    dstate = dstate_n
    for t in reversed(range(T)):
        # The loss reaches h_t twice: from the output at step t and from step t + 1.
        dstate = (dstate[0] + dh[t], *dstate[1:])
        da_ih[t], da_hh_t, dstate_prev = cell.backward(dstate, caches[t])
        if not cell.summed:
            da_hh[t] = da_hh_t
        dh_prev = da_hh[t] @ weight_hh  # (B, H)
        if dstate_prev[0] is not None:
            dh_prev += dstate_prev[0]
        dstate = (dh_prev, *dstate_prev[1:])
    h_prev = np.concatenate([h0[None], h[:-1]]).reshape(T * B, H)  # (T·B, H): h_{t-1} at each t
    da_ih, da_hh = da_ih.reshape(T * B, GH), da_hh.reshape(T * B, GH)  # (T·B, G·H)
    dbias_ih = da_ih.sum(axis=0)  # (G·H,)
    grads = (
        da_ih.T @ x.reshape(T * B, D),  # (G·H, D) summed over steps and batch
        da_hh.T @ h_prev,  # (G·H, H)
        dbias_ih,
        dbias_ih.copy() if cell.summed else da_hh.sum(axis=0),  # (G·H,)
    )
    dx = (da_ih @ weight_ih).reshape(T, B, D)  # (T, B, D)
    return dx, dstate, grads


@dataclass(frozen=True)
class StackCache:
    """What :func:`stack_backward` needs from :func:`stack_forward` (opaque to users)."""

    cell: Cell
    layout: Layout
    T: int
    B: int
    dtype: np.dtype
    layers: list  # layers[layer][direction] = the cache of _layer_forward


def stack_forward(cell, x, params, state0):
    """All layers and directions, like torch.nn.RNN/LSTM/GRU.forward; returns (out, states, cache).

    ``state0`` is the public form (None, h0, or the pair (h0, c0)); the returned states are a
    tuple of (layers·dirs, B, H) arrays. The reverse direction reads its input backwards in time
    and its outputs are flipped back, so ``out[t]`` is ``[h_fwd_t, h_rev_t]``.
    """
    where = f"{cell.name}_forward"
    check_x(x, where)
    layout = check_params(params, cell.gates, x.dtype, where)
    T, B = check_x(x, where, D=layout.input_size)
    L, dirs, H = layout.num_layers, layout.num_directions, layout.hidden_size
    state0 = check_state(state0, cell.states, layout, B, x.dtype, where)
    states_n = tuple(np.empty_like(s) for s in state0)  # (L·dirs, B, H) each
    layer_forward = cell.layer[0] if cell.layer else _layer_forward
    layer_input, layers = x, []
    for layer in range(L):
        out = np.empty((T, B, dirs * H), dtype=x.dtype)  # (T, B, dirs·H)
        layers.append([])
        for d, suffix in enumerate(layout.suffixes):
            k = layer * dirs + d  # torch's order of states: l0, l0_reverse, l1, ...
            weights = [params[f"{name}_l{layer}{suffix}"] for name in layout.names]
            seq = layer_input[::-1] if d else layer_input  # reverse direction: time runs backwards
            h, state, cache = layer_forward(cell, seq, tuple(s[k] for s in state0), *weights)
            out[:, :, d * H : (d + 1) * H] = h[::-1] if d else h
            for s_n, s in zip(states_n, state, strict=True):
                s_n[k] = s
            layers[layer].append(cache)
        layer_input = out  # the next layer reads both directions
    return layer_input, states_n, StackCache(cell, layout, T, B, x.dtype, layers)


def stack_backward(name, doutput, dstates_n, cache):
    """Backward of :func:`stack_forward`; returns (dx, dstates0, dparams) like the forward inputs.

    ``doutput`` may be None (no loss on the outputs); ``dstates_n`` is the public form (None,
    dh_n, or the pair (dh_n, dc_n) whose entries may be None); the returned dstates0 is a tuple.
    """
    where = f"{name}_backward"
    if not isinstance(cache, StackCache) or cache.cell.name != name:
        came = f"{cache.cell.name}_forward's" if isinstance(cache, StackCache) else "a"
        raise TypeError(
            f"{where}: cache expected the cache returned by {name}_forward, "
            f"got {came} {type(cache).__name__}"
        )
    layout, T, B, dtype = cache.layout, cache.T, cache.B, cache.dtype
    dirs, H = layout.num_directions, layout.hidden_size
    dlayer_out = check_doutput(doutput, layout, T, B, dtype, where)
    dstates_n = check_state(dstates_n, cache.cell.states, layout, B, dtype, where, grad=True)
    dstates0 = tuple(np.empty_like(s) for s in dstates_n)
    layer_backward = cache.cell.layer[1] if cache.cell.layer else _layer_backward
    dparams = {}
    for layer in reversed(range(layout.num_layers)):
        dinput = None
        for d, suffix in enumerate(layout.suffixes):
            k = layer * dirs + d
            dh = dlayer_out[:, :, d * H : (d + 1) * H]  # (T, B, H): this direction's outputs
            dh = dh[::-1] if d else dh
            dstate_n = tuple(s[k] for s in dstates_n)
            dx, dstate0, grads = layer_backward(cache.cell, dh, dstate_n, cache.layers[layer][d])
            dx = dx[::-1] if d else dx
            dinput = dx if dinput is None else dinput + dx  # both directions read the same input
            for s0, s in zip(dstates0, dstate0, strict=True):
                s0[k] = s
            for param, grad in zip(layout.names, grads, strict=True):
                dparams[f"{param}_l{layer}{suffix}"] = grad
        dlayer_out = dinput
    return dlayer_out, dstates0, {key: dparams[key] for key in layout.keys()}


def truncated_bptt(forward, backward, x, params, doutput, *, window, state0=None):
    """Truncated BPTT: carry the state through the whole sequence, cut the gradient every K steps.

    The forward pass runs window by window, each starting from the state the previous window
    ended in, so ``output`` and the final state equal one forward pass over all of ``x``. The
    backward pass of each window stops at the window's first step: the gradient that would flow
    into the carried state is dropped (torch's ``state.detach()`` between windows). With
    ``window >= T`` the result equals full BPTT exactly.

    To update the parameters after every window, the usual way to train on a long stream, loop
    yourself; the state a forward returns is what the next window starts from::

        for start in range(0, T, K):
            out, state, cache = lstm_forward(x[start:start + K], params, state)
            dx, _, dparams = lstm_backward(dout_of(out), None, cache)  # gradient cut here
            sgd(params, dparams)

    Args:
        forward:  rnn_forward, lstm_forward or gru_forward (e.g. ``functools.partial(rnn_forward,
                  nonlinearity="relu")``); called as ``forward(x_window, params, state)``
        backward: the matching rnn_backward, lstm_backward or gru_backward
        x:        (T, B, D) float input
        params:   dict keyed like torch's state_dict(); unidirectional only (the reverse
                  direction would need the future of a stream)
        doutput:  (T, B, H) upstream gradient of the output, or a function
                  ``doutput(start, output_window) -> (K', B, H)`` called once per window, e.g.
                  to compute a loss on each window as it is produced
        window:   K, steps per window (the last window may be shorter)
        state0:   initial state as ``forward`` takes it (None: zeros)

    Returns:
        output:  (T, B, H) like ``forward``
        state_n: final state like ``forward`` (h_n, or (h_n, c_n) for the LSTM)
        dx:      (T, B, D) gradient of x within each window
        dparams: dict keyed like params, summed over the windows

    Book: "Backpropagation through time", section "Truncated BPTT". Reference: Williams &
    Peng (1990), An efficient gradient-based algorithm for on-line training of recurrent
    network trajectories.
    """
    where = "truncated_bptt"
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        raise ValueError(
            f"{where}: window expected a positive int (steps per window), got {window!r}"
        )
    if isinstance(params, Mapping) and any(str(k).endswith("_reverse") for k in params):
        raise ValueError(
            f"{where}: params expected a unidirectional model, got keys ending in '_reverse' "
            "(the reverse direction reads the future, which a carried state cannot provide)"
        )
    check_x(x, where)
    T = check_shape(x, "T B D", name="x", where=where)["T"]
    if T == 0:
        raise ShapeError(f"{where}: x expected at least one time step, got {x.shape}")
    if not callable(doutput) and getattr(doutput, "shape", (None,))[:1] != (T,):
        raise ValueError(
            f"{where}: doutput expected (T={T}, B, H) or a function of (start, output_window), "
            f"got {getattr(doutput, 'shape', type(doutput).__name__)}"
        )
    outputs, dxs, dparams, state = [], [], {}, state0
    for start in range(0, T, window):
        out, state, cache = forward(x[start : start + window], params, state)
        dout = doutput(start, out) if callable(doutput) else doutput[start : start + window]
        dx, _, grads = backward(dout, None, cache)  # None: no gradient from the next window
        outputs.append(out)
        dxs.append(dx)
        for key, grad in grads.items():
            dparams[key] = grad if key not in dparams else dparams[key] + grad
    return np.concatenate(outputs), state, np.concatenate(dxs), dparams
