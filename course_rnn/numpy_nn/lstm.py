"""The LSTM in NumPy, forward and backward, equal to torch.nn.LSTM (gate order i, f, g, o).

    a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        (4H: the blocks a_i, a_f, a_g, a_o)
    i = σ(a_i)    f = σ(a_f)    g = tanh(a_g)    o = σ(a_o)
    c_t = f ⊙ c_{t-1} + i ⊙ g                        h_t = o ⊙ tanh(c_t)

Same ``state_dict()`` keys and shapes as ``torch.nn.LSTM`` (the four gate blocks stacked in
weight_ih (4H, D) in the order i, f, g, o), same (T, B, ·) layout and return structure
``(output, (h_n, c_n))``. The time loop, the stacked layers and the two directions live in
``recurrent.py``; this module holds the cell's equations and its public functions.

Book: "LSTM"; "Backpropagation through time"; "Bidirectional RNNs".
References: Hochreiter & Schmidhuber (1997), Long short-term memory; Gers, Schmidhuber & Cummins
(2000), Learning to forget (the forget gate); Werbos (1990) for BPTT.

Differences from torch.nn.LSTM: parameters are a dict (no module); no ``dropout``, ``proj_size``,
``bias=False`` or ``batch_first``; the backward pass is written out instead of autograd.
Changes from CS231n's LSTM: torch's gate order (i, f, g, o, not i, f, o, g) and two biases.
"""

import numpy as np

from course_rnn.numpy_nn._params import init_params
from course_rnn.numpy_nn.recurrent import (
    Cell,
    sigmoid_inplace,
    stack_backward,
    stack_forward,
    step_backward,
    step_forward,
)


def _lstm_cell_forward(a_ih, a_hh, state_prev):
    """The LSTM equations after the two matrix products; overwrites a_ih with the gates.

    a_ih, a_hh: (B, 4H) blocks i, f, g, o; state_prev: (h_prev, c_prev), each (B, H).
    """
    _, c_prev = state_prev  # h_prev enters only through a_hh
    H = c_prev.shape[1]
    a = np.add(a_ih, a_hh, out=a_ih)  # (B, 4H) pre-activations, written in place
    g = np.tanh(a[:, 2 * H : 3 * H])  # (B, H) candidate values
    gates = sigmoid_inplace(a)  # (B, 4H) σ of every block: one call instead of three
    gates[:, 2 * H : 3 * H] = g  # ... and tanh in block g: gates = [i, f, g, o]
    i = gates[:, 0 * H : 1 * H]  # (B, H) input gate: how much of g to write
    f = gates[:, 1 * H : 2 * H]  # (B, H) forget gate: how much of c_{t-1} to keep
    o = gates[:, 3 * H : 4 * H]  # (B, H) output gate: how much of the cell to show
    c_t = f * c_prev + i * g  # (B, H) eq. (lstm-cell)
    tanh_c = np.tanh(c_t)
    h_t = o * tanh_c  # (B, H)
    return (h_t, c_t), (gates, c_prev, tanh_c)


def _lstm_cell_backward(dstate_t, cache):
    """Backward of the LSTM equations: (da, da, (None, dc_prev)), da (B, 4H) in order i, f, g, o."""
    dh_t, dc_t = dstate_t
    gates, c_prev, tanh_c = cache
    H = c_prev.shape[1]
    i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
    dc = dh_t * o * (1 - tanh_c * tanh_c)  # (B, H) c_t reaches the loss via h_t ...
    dc += dc_t  # ... and via c_{t+1}
    dgates = np.empty_like(gates)  # (B, 4H) gradient of each gate's value
    np.multiply(dc, g, out=dgates[:, 0 * H : 1 * H])  # di
    np.multiply(dc, c_prev, out=dgates[:, 1 * H : 2 * H])  # df
    np.multiply(dc, i, out=dgates[:, 2 * H : 3 * H])  # dg
    np.multiply(dh_t, tanh_c, out=dgates[:, 3 * H : 4 * H])  # do
    slope = gates * (1 - gates)  # (B, 4H) σ'(a) = σ(a)(1 − σ(a)) for i, f, o ...
    slope[:, 2 * H : 3 * H] = 1 - g * g  # ... and tanh'(a) = 1 − tanh(a)² for g
    da = np.multiply(dgates, slope, out=dgates)  # (B, 4H) gradient of the pre-activations
    return da, da, (None, dc * f)  # h_prev reaches h_t only through W_hh


_LSTM = Cell("lstm", 4, ("h", "c"), _lstm_cell_forward, _lstm_cell_backward, summed=True)


def lstm_step_forward(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step (torch.nn.LSTMCell's equations; gate order i, f, g, o).

    The two matrix products happen here; the cell's equations are in _lstm_cell_forward,
    which lstm_forward runs too. The inputs are not checked here (lstm_forward checks
    its own): pass arrays of one float dtype.

    Args:
        x_t:       (B, D) float   input at step t
        h_prev:    (B, H) float   hidden state h_{t-1}
        c_prev:    (B, H) float   cell state c_{t-1}
        weight_ih: (4H, D)        torch's weight_ih_l0, gate blocks i, f, g, o
        weight_hh: (4H, H)        torch's weight_hh_l0
        bias_ih:   (4H,)
        bias_hh:   (4H,)

    Returns:
        h_t:   (B, H) same dtype as x_t
        c_t:   (B, H)
        cache: opaque; pass to lstm_step_backward

    Book: "LSTM", eq. (lstm-cell).
    """
    (h_t, c_t), cache = step_forward(
        _LSTM, x_t, (h_prev, c_prev), weight_ih, weight_hh, bias_ih, bias_hh
    )
    return h_t, c_t, cache


def lstm_step_backward(dh_t, dc_t, cache):
    """Backward of one LSTM step.

    Args:
        dh_t:  (B, H) float   gradient of the loss with respect to h_t
        dc_t:  (B, H) float   gradient with respect to c_t (from step t + 1; zeros at the end)
        cache: from lstm_step_forward

    Returns:
        dx_t:       (B, D) x_t's dtype, like every gradient here
        dh_prev:    (B, H)
        dc_prev:    (B, H)
        dweight_ih: (4H, D)
        dweight_hh: (4H, H)
        dbias_ih:   (4H,)
        dbias_hh:   (4H,)

    Book: "LSTM", section "Backward pass".
    """
    dx_t, (dh_prev, dc_prev), grads = step_backward((dh_t, dc_t), cache)
    return (dx_t, dh_prev, dc_prev, *grads)


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

    Book: "LSTM"; "Bidirectional RNNs".
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

    Book: "LSTM", section "Backward pass"; "Backpropagation through time".
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

    Book: "LSTM".
    """
    return init_params(
        4, input_size, hidden_size, num_layers, bidirectional, rng, dtype, "init_lstm_params"
    )
