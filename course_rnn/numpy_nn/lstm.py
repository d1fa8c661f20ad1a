"""The LSTM in NumPy, forward and backward, equal to torch.nn.LSTM (gate order i, f, g, o).

    a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        (4H: the blocks a_i, a_f, a_g, a_o)
    i = σ(a_i)    f = σ(a_f)    g = tanh(a_g)    o = σ(a_o)
    c_t = f ⊙ c_{t-1} + i ⊙ g                        h_t = o ⊙ tanh(c_t)

Same ``state_dict()`` keys and shapes as ``torch.nn.LSTM`` (the four gate blocks stacked in
weight_ih (4H, D) in the order i, f, g, o), same (T, B, ·) layout and return structure
``(output, (h_n, c_n))``. ``lstm_step_forward`` and ``lstm_step_backward`` write one step out in
full, to be read. ``lstm_forward`` and ``lstm_backward`` run the same equations in a time loop of
their own, arranged for speed (a test pins the two together); the stacked layers and the two
directions live in ``recurrent.py``.

Book: "Long short-term memory"; "Bidirectional RNNs".
References: Hochreiter & Schmidhuber (1997), Long short-term memory; Gers, Schmidhuber & Cummins
(2000), Learning to forget (the forget gate); Werbos (1990) for BPTT.

Differences from torch.nn.LSTM: parameters are a dict (no module); no ``dropout``, ``proj_size``,
``bias=False`` or ``batch_first``; the backward pass is written out instead of autograd.
Changes from CS231n's LSTM: torch's gate order (i, f, g, o, not i, f, o, g) and two biases.
"""

import numpy as np

from course_rnn.numpy_nn._params import init_params
from course_rnn.numpy_nn.functional import sigmoid
from course_rnn.numpy_nn.recurrent import Cell, stack_backward, stack_forward


def lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """One LSTM step (torch.nn.LSTMCell's equations; gate order i, f, g, o).

    The whole step, self-contained; lstm_forward runs the same equations in a loop arranged for
    speed, and a test pins the two together. The inputs are not checked here (lstm_forward
    checks its own): pass arrays of one float dtype.

    Args:
        x_t:    (B, D) float   input at step t
        h_prev: (B, H) float   hidden state h_{t-1}
        c_prev: (B, H) float   cell state c_{t-1}
        W_ih:   (4H, D)        torch's weight_ih_l0, gate blocks i, f, g, o
        W_hh:   (4H, H)        torch's weight_hh_l0
        b_ih:   (4H,)          torch's bias_ih_l0
        b_hh:   (4H,)          torch's bias_hh_l0

    Returns:
        h_t:   (B, H) same dtype as x_t
        c_t:   (B, H)
        cache: for lstm_step_backward

    Book: "Long short-term memory".
    """
    H = h_prev.shape[1]
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (B, 4H) blocks i, f, g, o
    i = sigmoid(a[:, 0 * H : 1 * H])  # (B, H) input gate: how much of g to write
    f = sigmoid(a[:, 1 * H : 2 * H])  # (B, H) forget gate: how much of c_{t-1} to keep
    g = np.tanh(a[:, 2 * H : 3 * H])  # (B, H) candidate values
    o = sigmoid(a[:, 3 * H : 4 * H])  # (B, H) output gate: how much of the cell to show
    c_t = f * c_prev + i * g  # (B, H)
    tanh_c = np.tanh(c_t)  # (B, H)
    h_t = o * tanh_c  # (B, H)
    cache = (x_t, h_prev, c_prev, W_ih, W_hh, i, f, g, o, tanh_c)
    return h_t, c_t, cache


def lstm_step_backward(dh_t, dc_t, cache):
    """Backward of one LSTM step, given the total gradients dL/dh_t and dL/dc_t.

    Args:
        dh_t:  (B, H) float   total gradient of the loss with respect to h_t
        dc_t:  (B, H) float   gradient with respect to c_t from step t + 1 (zeros at the end)
        cache: from lstm_step_forward

    Returns:
        dx_t:    (B, D) x_t's dtype, like every gradient here
        dh_prev: (B, H)
        dc_prev: (B, H)
        dW_ih:   (4H, D) this step's share (summed over the batch)
        dW_hh:   (4H, H)
        db_ih:   (4H,)
        db_hh:   (4H,)   equal to db_ih: both biases enter a only through their sum

    Book: "Long short-term memory".
    """
    x_t, h_prev, c_prev, W_ih, W_hh, i, f, g, o, tanh_c = cache
    dc = dc_t + dh_t * o * (1 - tanh_c * tanh_c)  # (B, H) c_t reaches the loss via h_t and c_{t+1}
    di = dc * g  # (B, H) gradients of the gate values ...
    df = dc * c_prev
    dg = dc * i
    d_o = dh_t * tanh_c
    da = np.concatenate(  # (B, 4H) ... times each gate's slope: dL/da
        [di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), d_o * o * (1 - o)], axis=1
    )
    dx_t = da @ W_ih  # (B, D)
    dh_prev = da @ W_hh  # (B, H)
    dc_prev = dc * f  # (B, H)
    dW_ih = da.T @ x_t  # (4H, D)
    dW_hh = da.T @ h_prev  # (4H, H)
    db_ih = da.sum(axis=0)  # (4H,)
    db_hh = db_ih.copy()  # (4H,)
    return dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh


# The sequence path: lstm_forward and lstm_backward run the step's equations in a time loop of
# their own instead of recurrent.py's generic one, arranged for speed (issue 3's benchmark,
# benchmarks/bench_numpy_recurrent.py). A NumPy call on a (B, 4H) array costs about as much in
# overhead as in arithmetic, so each step makes as few calls as it can, all writing with out= into
# arrays allocated once per layer. The matrix products are placed as in recurrent.py: x_t W_ih^T
# for all T steps in one product before the loop, the weight gradients and dx in one product each
# after it. A test pins this path to T calls of lstm_step_forward and lstm_step_backward.
#
#   forward   a' = s ⊙ a, where s is ½ on the rows of i, f, o and 1 on g's: the weights' rows
#                  are halved once per call (exact: a power of two), so a' costs nothing per step
#             [i, f, g, o] = s ⊙ tanh(a') + (1 − s)    one tanh for all four: σ(a) = ½ tanh(a/2) + ½
#             c_t = f ⊙ c_{t-1} + i ⊙ g                h_t = o ⊙ tanh(c_t)
#   backward  dh = dh_out[t] + da_{t+1} W_hh           the two paths into h_t, as in recurrent.py
#             dc = dh ⊙ (o − h_t ⊙ tanh(c_t)) + f_{t+1} ⊙ dc_{t+1}    since o ⊙ tanh c_t = h_t
#             da = [dc ⊙ g, dc ⊙ c_{t-1}, dc ⊙ i, dh ⊙ tanh(c_t)] ⊙ (gates + P) ⊙ (1 − gates)
#                  with P = 1 on block g and 0 elsewhere: σ' = σ(1 − σ) and tanh' = (1 + g)(1 − g)
#                  in one formula over all 4H columns


def _lstm_layer_forward(cell, x, state0, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM layer in one direction over all T steps (recurrent._layer_forward's contract)."""
    T, B, D = x.shape
    H = weight_hh.shape[1]
    s = np.repeat(np.array([0.5, 0.5, 1, 0.5], dtype=x.dtype), H)  # (4H,) blocks i, f, g, o
    scale = np.tile(s, (B, 1))  # (B, 4H): NumPy's loops are fastest on operands of one shape
    offset = 1 - scale  # (B, 4H): ½ on i, f, o, 0 on g
    weight_hh_T = np.ascontiguousarray(weight_hh.T * s)  # (H, 4H), contiguous for the loop
    gates = x.reshape(T * B, D) @ (weight_ih.T * s)  # (T·B, 4H) x_t's part of a' at every t ...
    gates += (bias_ih + bias_hh) * s  # ... plus both biases; the loop turns it into the gates
    gates = gates.reshape(T, B, 4 * H)
    i, f, g, o = (gates[..., k * H : (k + 1) * H] for k in range(4))  # (T, B, H) views
    h = np.empty((T + 1, B, H), dtype=x.dtype)  # h[t + 1] = h_t and h[0] = h0, so that the
    c = np.empty((T + 1, B, H), dtype=x.dtype)  # backward finds every h_{t-1} without copying
    tanh_c = np.empty((T, B, H), dtype=x.dtype)
    h[0], c[0] = state0
    a_hh = np.empty((B, 4 * H), dtype=x.dtype)  # step buffers
    i_g = np.empty((B, H), dtype=x.dtype)
    for t in range(T):
        a = gates[t]  # (B, 4H) view: the gates of step t are written in place
        a += np.matmul(h[t], weight_hh_T, out=a_hh)  # a' = s ⊙ a
        np.tanh(a, out=a)
        a *= scale
        a += offset  # [i, f, g, o]
        np.multiply(f[t], c[t], out=c[t + 1])
        c[t + 1] += np.multiply(i[t], g[t], out=i_g)  # c_t = f ⊙ c_{t-1} + i ⊙ g
        np.multiply(o[t], np.tanh(c[t + 1], out=tanh_c[t]), out=h[t + 1])  # h_t = o ⊙ tanh(c_t)
    return h[1:], (h[T], c[T]), (x, h, c, tanh_c, gates, weight_ih, weight_hh)


def _lstm_layer_backward(cell, dh, dstate_n, cache):
    """Backward of _lstm_layer_forward (recurrent._layer_backward's contract)."""
    x, h, c, tanh_c, gates, weight_ih, weight_hh = cache
    T, B, D = x.shape
    H = weight_hh.shape[1]
    i, f, g, o = (gates[..., k * H : (k + 1) * H] for k in range(4))  # (T, B, H) views
    da = np.empty_like(gates)  # (T, B, 4H) dL/da at every step
    da_i, da_f, da_g, da_o = (da[..., k * H : (k + 1) * H] for k in range(4))
    p = np.zeros_like(gates[0])  # (B, 4H) P
    p[:, 2 * H : 3 * H] = 1
    # What does not depend on the carried gradients (the slopes, o ⊙ (1 − tanh² c_t)) is computed
    # for K steps at once: one NumPy call per K steps instead of one per step, on arrays that
    # still fit in the cache (all T steps at once would not, and measured slower).
    K = 8
    slope, one_minus = np.empty((2, K, B, 4 * H), dtype=x.dtype)  # chunk buffers
    q = np.empty((K, B, H), dtype=x.dtype)
    dc = np.empty_like(c[0])  # (B, H)
    dh_t, dc_next = dstate_n[0].copy(), dstate_n[1].copy()  # (B, H) what step t + 1 sends back
    for start in reversed(range(0, T, K)):
        steps = slice(start, min(start + K, T))
        n = steps.stop - start
        np.add(gates[steps], p, out=slope[:n])
        slope[:n] *= np.subtract(1, gates[steps], out=one_minus[:n])  # σ' on i, f, o; tanh' on g
        np.multiply(h[start + 1 : steps.stop + 1], tanh_c[steps], out=q[:n])
        np.subtract(o[steps], q[:n], out=q[:n])  # o − h_t ⊙ tanh(c_t) = o ⊙ (1 − tanh² c_t)
        for t in reversed(range(start, steps.stop)):
            dh_t += dh[t]  # (B, H) dL/dh_t
            np.multiply(dh_t, q[t - start], out=dc)
            dc += dc_next  # (B, H) dL/dc_t
            np.multiply(dc, g[t], out=da_i[t])  # the gradients of the gate values ...
            np.multiply(dc, c[t], out=da_f[t])
            np.multiply(dc, i[t], out=da_g[t])
            np.multiply(dh_t, tanh_c[t], out=da_o[t])
            da[t] *= slope[t - start]  # ... times the slopes: (B, 4H) dL/da_t
            np.multiply(dc, f[t], out=dc_next)  # (B, H) dL/dc_{t-1}
            np.matmul(da[t], weight_hh, out=dh_t)  # (B, H) dL/dh_{t-1} through W_hh
    da = da.reshape(T * B, 4 * H)
    dbias = da.sum(axis=0)  # (4H,)
    grads = (da.T @ x.reshape(T * B, D), da.T @ h[:-1].reshape(T * B, H), dbias, dbias.copy())
    dx = (da @ weight_ih).reshape(T, B, D)  # (T, B, D)
    return dx, (dh_t, dc_next), grads  # dh_t, dc_next: now dL/dh0, dL/dc0


# The LSTM runs its own time loop (above) in place of the generic one's cell callbacks.
_LSTM = Cell("lstm", 4, ("h", "c"), True, layer=(_lstm_layer_forward, _lstm_layer_backward))


def lstm_forward(x, params, state0=None):
    """A (stacked, optionally bidirectional) LSTM over a whole sequence, like torch.nn.LSTM.

    Args:
        x:      (T, B, D) float32 or float64
        params: dict keyed like torch.nn.LSTM(...).state_dict(): weight_ih_l{k} (4H, D or
                dirs·H), weight_hh_l{k} (4H, H), bias_ih_l{k} (4H,), bias_hh_l{k} (4H,), and the
                same with _reverse when bidirectional; x's dtype
        state0: (h0, c0), each (layers·dirs, B, H), or None for zeros

    Returns:
        output:     (T, B, dirs·H) x's dtype; the last layer's h_t at every t (both directions)
        (h_n, c_n): each (layers·dirs, B, H), final states of every layer and direction
        cache:      opaque; pass to lstm_backward

    Book: "Long short-term memory"; "Bidirectional RNNs".
    """
    output, (h_n, c_n), cache = stack_forward(_LSTM, x, params, state0)
    return output, (h_n, c_n), cache


def lstm_backward(doutput, dstate_n, cache):
    """Backpropagation through time for lstm_forward.

    Args:
        doutput:  (T, B, dirs·H) float, gradient of the loss with respect to output, or None
        dstate_n: (dh_n, dc_n), each (layers·dirs, B, H) or None; or None for both
        cache:    from lstm_forward

    Returns:
        dx:         (T, B, D) the forward's dtype, like every gradient here
        (dh0, dc0): each (layers·dirs, B, H)
        dparams:    dict keyed like params, each gradient shaped like its parameter

    Book: "Long short-term memory", section "The backward pass"; "Backpropagation through time".
    """
    dx, (dh0, dc0), dparams = stack_backward("lstm", doutput, dstate_n, cache)
    return dx, (dh0, dc0), dparams


def init_lstm_params(
    input_size, hidden_size, num_layers=1, bidirectional=False, *, rng, dtype=np.float64
):
    """torch.nn.LSTM's initialisation: every weight and bias drawn from U(−1/√H, 1/√H).

    Args:
        input_size:    D
        hidden_size:   H
        num_layers:    stacked layers (layer k > 0 reads dirs·H features)
        bidirectional: add the _reverse parameters
        rng:           np.random.Generator
        dtype:         float dtype of the arrays

    Returns:
        params: dict keyed and shaped like torch.nn.LSTM(...).state_dict()

    Book: "Long short-term memory".
    """
    return init_params(
        4, input_size, hidden_size, num_layers, bidirectional, rng, dtype, "init_lstm_params"
    )
