"""The Elman RNN in NumPy, forward and backward: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

Two layers of code. ``rnn_step_forward`` and ``rnn_step_backward`` are one step of the tanh RNN,
written out in full, to read next to the book's equations. ``rnn_forward`` and ``rnn_backward``
run whole sequences, equal to ``torch.nn.RNN`` (tanh or relu; any ``num_layers``;
``bidirectional``; same ``state_dict()`` keys and shapes, same (T, B, ·) layout and return
structure); their time loop, stacked layers and two directions live in ``recurrent.py``, arranged
for speed, and a test pins them to T calls of the step functions.

Book: "The hidden state" (the cell, stacking), "Backpropagation through time" (the backward pass).
References: Elman (1990), Finding structure in time; Werbos (1990), Backpropagation through time:
what it does and how to do it.

Differences from torch.nn.RNN: parameters are a dict (no module); no ``dropout``, ``bias=False``
or ``batch_first``; the backward pass is written out instead of autograd.
"""

import numpy as np

from course_rnn.numpy_nn._params import init_params
from course_rnn.numpy_nn.recurrent import Cell, stack_backward, stack_forward


def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One step of the tanh RNN: h_t = tanh(x_t W_ih^T + b_ih + h_prev W_hh^T + b_hh).

    The whole step, self-contained (rnn_forward runs the same equation in a faster loop, and a
    test pins the two together). The inputs are not checked here (rnn_forward checks its own):
    pass arrays of one float dtype. A ReLU RNN is rnn_forward(..., nonlinearity="relu").

    Args:
        x_t:    (B, D) float   input at step t
        h_prev: (B, H) float   hidden state h_{t-1}
        W_ih:   (H, D)         input weights (torch's weight_ih_l0)
        W_hh:   (H, H)         recurrent weights (torch's weight_hh_l0)
        b_ih:   (H,)           input bias (torch's bias_ih_l0)
        b_hh:   (H,)           recurrent bias (torch's bias_hh_l0)

    Returns:
        h_t:   (B, H) same dtype as x_t
        cache: (x_t, h_prev, W_ih, W_hh, h_t), for rnn_step_backward

    Book: "The hidden state", eq. (eq-rnn-batched).
    """
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (B, H) pre-activation a_t
    h_t = np.tanh(a)  # (B, H)
    cache = (x_t, h_prev, W_ih, W_hh, h_t)
    return h_t, cache


def rnn_step_backward(dh_t, cache):
    """Backward of one tanh RNN step, given the total gradient dL/dh_t.

    Args:
        dh_t:  (B, H) float   total gradient of the loss with respect to h_t (from the output
                              at step t plus what step t + 1 sent back)
        cache: from rnn_step_forward

    Returns:
        dx_t:    (B, D) x_t's dtype, like every gradient here
        dh_prev: (B, H) the gradient sent back to h_{t-1}
        dW_ih:   (H, D) this step's share (summed over the batch)
        dW_hh:   (H, H)
        db_ih:   (H,)
        db_hh:   (H,)   equal to db_ih: both biases enter a_t only through their sum

    Book: "Backpropagation through time", eq. (eq-rnn-step-backward).
    """
    x_t, h_prev, W_ih, W_hh, h_t = cache
    da = dh_t * (1 - h_t * h_t)  # (B, H) dL/da_t, since tanh'(a) = 1 - tanh(a)^2
    dx_t = da @ W_ih  # (B, D)
    dh_prev = da @ W_hh  # (B, H)
    dW_ih = da.T @ x_t  # (H, D)
    dW_hh = da.T @ h_prev  # (H, H)
    db_ih = da.sum(axis=0)  # (H,)
    db_hh = db_ih.copy()  # (H,)
    return dx_t, dh_prev, dW_ih, dW_hh, db_ih, db_hh


# The cells of the sequence loop (recurrent.py): the same equations after the two matrix
# products, which rnn_forward does for all steps at once.


def _tanh_cell_forward(a_ih, a_hh, state_prev):
    """h_t = tanh(a_ih + a_hh); the cache is h_t itself, since tanh'(a) = 1 − h_t²."""
    h_t = np.tanh(a_ih + a_hh)  # (B, H)
    return (h_t,), h_t


def _tanh_cell_backward(dstate_t, h_t):
    """da = dh_t ⊙ (1 − h_t²); with no direct path from h_{t-1} to h_t besides W_hh."""
    da = dstate_t[0] * (1 - h_t * h_t)  # (B, H)
    return da, da, (None,)


def _relu_cell_forward(a_ih, a_hh, state_prev):
    """h_t = max(0, a_ih + a_hh)."""
    h_t = np.maximum(a_ih + a_hh, 0)  # (B, H)
    return (h_t,), h_t


def _relu_cell_backward(dstate_t, h_t):
    """da = dh_t where h_t > 0, else 0 (torch's choice at a = 0 too)."""
    da = dstate_t[0] * (h_t > 0)  # (B, H)
    return da, da, (None,)


_CELLS = {
    "tanh": Cell("rnn", 1, ("h",), True, _tanh_cell_forward, _tanh_cell_backward),
    "relu": Cell("rnn", 1, ("h",), True, _relu_cell_forward, _relu_cell_backward),
}


def _cell(nonlinearity, where):
    """The Cell for "tanh" or "relu"."""
    if not (isinstance(nonlinearity, str) and nonlinearity in _CELLS):
        raise ValueError(f"{where}: nonlinearity expected 'tanh' or 'relu', got {nonlinearity!r}")
    return _CELLS[nonlinearity]


def rnn_forward(x, params, h0=None, nonlinearity="tanh"):
    """A (stacked, optionally bidirectional) RNN over a whole sequence, like torch.nn.RNN.

    Args:
        x:            (T, B, D) float32 or float64
        params:       dict keyed like torch.nn.RNN(...).state_dict(): weight_ih_l{k} (H, D or
                      dirs·H), weight_hh_l{k} (H, H), bias_ih_l{k} (H,), bias_hh_l{k} (H,), and
                      the same with _reverse when bidirectional; x's dtype
        h0:           (layers·dirs, B, H) initial state, or None for zeros
        nonlinearity: "tanh" or "relu"

    Returns:
        output: (T, B, dirs·H) x's dtype; the last layer's h_t at every t (both directions)
        h_n:    (layers·dirs, B, H) final state of every layer and direction
        cache:  opaque; pass to rnn_backward

    Book: "The hidden state"; "Bidirectional RNNs".
    """
    cell = _cell(nonlinearity, "rnn_forward")
    output, (h_n,), cache = stack_forward(cell, x, params, h0)
    return output, h_n, cache


def rnn_backward(doutput, dh_n, cache):
    """Backpropagation through time for rnn_forward.

    Args:
        doutput: (T, B, dirs·H) float, gradient of the loss with respect to output, or None
        dh_n:    (layers·dirs, B, H) gradient with respect to h_n, or None
        cache:   from rnn_forward

    Returns:
        dx:      (T, B, D) the forward's dtype, like every gradient here
        dh0:     (layers·dirs, B, H)
        dparams: dict keyed like params, each gradient shaped like its parameter

    Book: "Backpropagation through time".
    """
    dx, (dh0,), dparams = stack_backward("rnn", doutput, dh_n, cache)
    return dx, dh0, dparams


def init_rnn_params(
    input_size, hidden_size, num_layers=1, bidirectional=False, *, rng, dtype=np.float64
):
    """torch.nn.RNN's initialisation: every weight and bias drawn from U(−1/√H, 1/√H).

    Args:
        input_size:    D
        hidden_size:   H
        num_layers:    stacked layers (layer k > 0 reads dirs·H features)
        bidirectional: add the _reverse parameters
        rng:           np.random.Generator
        dtype:         float dtype of the arrays

    Returns:
        params: dict keyed and shaped like torch.nn.RNN(...).state_dict()

    Book: "The hidden state".
    """
    return init_params(
        1, input_size, hidden_size, num_layers, bidirectional, rng, dtype, "init_rnn_params"
    )
