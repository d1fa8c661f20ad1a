"""The Elman RNN in NumPy, forward and backward: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

Equal to ``torch.nn.RNN`` (tanh or relu; any ``num_layers``; ``bidirectional``): same equations,
same ``state_dict()`` keys and shapes, same (T, B, ·) layout and return structure. The time loop,
the stacked layers and the two directions live in ``recurrent.py``; this module holds the cell's
equations and its public functions.

Book: "The hidden state" (the cell, stacking), "Backpropagation through time" (the backward pass).
References: Elman (1990), Finding structure in time; Werbos (1990), Backpropagation through time:
what it does and how to do it.

Differences from torch.nn.RNN: parameters are a dict (no module); no ``dropout``, ``bias=False``
or ``batch_first``; the backward pass is written out instead of autograd.
"""

import numpy as np

from course_rnn.numpy_nn._params import init_params
from course_rnn.numpy_nn.recurrent import (
    Cell,
    stack_backward,
    stack_forward,
    step_backward,
    step_forward,
)


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
    "tanh": Cell("rnn", 1, ("h",), _tanh_cell_forward, _tanh_cell_backward, summed=True),
    "relu": Cell("rnn", 1, ("h",), _relu_cell_forward, _relu_cell_backward, summed=True),
}


def _cell(nonlinearity, where):
    """The Cell for "tanh" or "relu"."""
    if not (isinstance(nonlinearity, str) and nonlinearity in _CELLS):
        raise ValueError(f"{where}: nonlinearity expected 'tanh' or 'relu', got {nonlinearity!r}")
    return _CELLS[nonlinearity]


def rnn_step_forward(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity="tanh"):
    """One RNN step: h_t = tanh(x_t W_ih^T + b_ih + h_prev W_hh^T + b_hh) (or relu).

    The two matrix products happen here; the cell's equation is in _tanh_cell_forward (or
    _relu_cell_forward), which rnn_forward runs too. The inputs are not checked here
    (rnn_forward checks its own): pass arrays of one float dtype.

    Args:
        x_t:          (B, D) float   input at step t
        h_prev:       (B, H) float   hidden state h_{t-1}
        weight_ih:    (H, D)         torch's weight_ih_l0
        weight_hh:    (H, H)         torch's weight_hh_l0
        bias_ih:      (H,)
        bias_hh:      (H,)
        nonlinearity: "tanh" or "relu"

    Returns:
        h_t:   (B, H) same dtype as x_t
        cache: opaque; pass to rnn_step_backward

    Book: "The hidden state", eq. (rnn-cell).
    """
    cell = _cell(nonlinearity, "rnn_step_forward")
    (h_t,), cache = step_forward(cell, x_t, (h_prev,), weight_ih, weight_hh, bias_ih, bias_hh)
    return h_t, cache


def rnn_step_backward(dh_t, cache):
    """Backward of one RNN step.

    Args:
        dh_t:  (B, H) float   gradient of the loss with respect to h_t
        cache: from rnn_step_forward

    Returns:
        dx_t:       (B, D) x_t's dtype, like every gradient here
        dh_prev:    (B, H)
        dweight_ih: (H, D)
        dweight_hh: (H, H)
        dbias_ih:   (H,)
        dbias_hh:   (H,)

    Book: "Backpropagation through time", eq. (rnn-step-backward).
    """
    dx_t, (dh_prev,), grads = step_backward((dh_t,), cache)
    return (dx_t, dh_prev, *grads)


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
