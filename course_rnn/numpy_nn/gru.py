"""The GRU in NumPy, forward and backward, equal to torch.nn.GRU (gate order r, z, n).

    r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)       z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))       h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}

This is torch's (and cuDNN's) variant: the reset gate multiplies ``W_hn h + b_hn`` after the
matrix product, so one product ``h_{t-1} W_hh^T`` serves all three gates. Same ``state_dict()``
keys and shapes as ``torch.nn.GRU``, same (T, B, ·) layout and return structure.
``gru_step_forward`` and ``gru_step_backward`` write one step out in full, to be read; the
sequence functions run the same equations in the shared time loop of ``recurrent.py`` (stacked
layers, both directions), and a test pins the two together.

Book: "Gated recurrent units"; "Bidirectional RNNs".
References: Cho et al. (2014), Learning phrase representations using RNN encoder-decoder for
statistical machine translation; Chung et al. (2014), Empirical evaluation of gated recurrent
neural networks on sequence modeling; Werbos (1990) for BPTT.

Differences from torch.nn.GRU: parameters are a dict (no module); no ``dropout``, ``bias=False``
or ``batch_first``; the backward pass is written out instead of autograd.

Conventions, checked against the papers:
    Update gate. z keeps the old state, h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n, as in Cho et al. (2014),
    eq. (7), and in torch. Chung et al. (2014) write the opposite, h_t = (1 − z) ⊙ h_{t-1} + z ⊙ n,
    where z lets the new candidate in; the two are the same model with z replaced by 1 − z.
    Reset gate. torch (and cuDNN) apply r after the product, r ⊙ (W_hn h_{t-1} + b_hn), the form of
    the first arXiv version of Cho et al. (1406.1078v1); the later versions of that paper and
    Chung et al. (2014) apply it before, W_hn (r ⊙ h_{t-1}), which is a different function.
"""

import numpy as np

from course_rnn.numpy_nn._params import init_params
from course_rnn.numpy_nn.functional import sigmoid
from course_rnn.numpy_nn.recurrent import Cell, sigmoid_inplace, stack_backward, stack_forward


def gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One GRU step (torch.nn.GRUCell's equations; gate order r, z, n).

    The whole step, self-contained; gru_forward runs the same equations in the shared sequence
    loop, and a test pins the two together. The inputs are not checked here (gru_forward checks
    its own): pass arrays of one float dtype.

    Args:
        x_t:    (B, D) float   input at step t
        h_prev: (B, H) float   hidden state h_{t-1}
        W_ih:   (3H, D)        torch's weight_ih_l0, gate blocks r, z, n
        W_hh:   (3H, H)        torch's weight_hh_l0
        b_ih:   (3H,)          torch's bias_ih_l0
        b_hh:   (3H,)          torch's bias_hh_l0

    Returns:
        h_t:   (B, H) same dtype as x_t
        cache: for gru_step_backward

    Book: "Gated recurrent units".
    """
    H = h_prev.shape[1]
    a_ih = x_t @ W_ih.T + b_ih  # (B, 3H) input part, blocks r, z, n
    a_hh = h_prev @ W_hh.T + b_hh  # (B, 3H) recurrent part
    r = sigmoid(a_ih[:, :H] + a_hh[:, :H])  # (B, H) reset gate
    z = sigmoid(a_ih[:, H : 2 * H] + a_hh[:, H : 2 * H])  # (B, H) update gate
    hn = a_hh[:, 2 * H :]  # (B, H) W_hn h_{t-1} + b_hn
    n = np.tanh(a_ih[:, 2 * H :] + r * hn)  # (B, H) candidate state
    h_t = (1 - z) * n + z * h_prev  # (B, H) z keeps the old state
    cache = (x_t, h_prev, W_ih, W_hh, r, z, n, hn)
    return h_t, cache


def gru_step_backward(dh_t, cache):
    """Backward of one GRU step, given the total gradient dL/dh_t.

    Args:
        dh_t:  (B, H) float   total gradient of the loss with respect to h_t
        cache: from gru_step_forward

    Returns:
        dx_t:    (B, D) x_t's dtype, like every gradient here
        dh_prev: (B, H)
        dW_ih:   (3H, D) this step's share (summed over the batch)
        dW_hh:   (3H, H)
        db_ih:   (3H,)
        db_hh:   (3H,)   differs from db_ih in block n: r scales only W_hn h + b_hn

    Book: "Gated recurrent units".
    """
    x_t, h_prev, W_ih, W_hh, r, z, n, hn = cache
    da_n = dh_t * (1 - z) * (1 - n * n)  # (B, H) gradient of n's pre-activation
    da_r = da_n * hn * r * (1 - r)  # (B, H)
    da_z = dh_t * (h_prev - n) * z * (1 - z)  # (B, H)
    da_ih = np.concatenate([da_r, da_z, da_n], axis=1)  # (B, 3H)
    da_hh = np.concatenate([da_r, da_z, da_n * r], axis=1)  # (B, 3H)
    dx_t = da_ih @ W_ih  # (B, D)
    dh_prev = da_hh @ W_hh + dh_t * z  # (B, H) through W_hh, and directly through z ⊙ h_prev
    dW_ih = da_ih.T @ x_t  # (3H, D)
    dW_hh = da_hh.T @ h_prev  # (3H, H)
    db_ih = da_ih.sum(axis=0)  # (3H,)
    db_hh = da_hh.sum(axis=0)  # (3H,)
    return dx_t, dh_prev, dW_ih, dW_hh, db_ih, db_hh


# The cell of the sequence loop (recurrent.py): the same equations after the two matrix
# products, arranged for speed.


def _gru_cell_forward(a_ih, a_hh, state_prev):
    """The GRU equations after the two matrix products (a_ih, a_hh: (B, 3H); h_prev: (B, H))."""
    (h_prev,) = state_prev
    H = h_prev.shape[1]
    rz = sigmoid_inplace(a_ih[:, : 2 * H] + a_hh[:, : 2 * H])  # (B, 2H) both gates in one call
    r = rz[:, :H]  # (B, H) reset gate: how much of the old state the candidate sees
    z = rz[:, H:]  # (B, H) update gate: how much of the old state to keep
    hn = a_hh[:, 2 * H : 3 * H].copy()  # (B, H) W_hn h_{t-1} + b_hn (a_hh is a reused buffer)
    n = np.tanh(a_ih[:, 2 * H : 3 * H] + r * hn)  # (B, H) candidate state
    h_t = (1 - z) * n + z * h_prev  # (B, H) eq. (gru-update)
    return (h_t,), (r, z, n, hn, h_prev)


def _gru_cell_backward(dstate_t, cache):
    """Backward of the GRU equations: (da_ih, da_hh, (dh_prev through z only,))."""
    (dh_t,) = dstate_t
    r, z, n, hn, h_prev = cache
    da_n = dh_t * (1 - z) * (1 - n * n)  # (B, H) gradient of n's pre-activation
    da_r = da_n * hn * r * (1 - r)  # (B, H)
    da_z = dh_t * (h_prev - n) * z * (1 - z)  # (B, H)
    da_ih = np.concatenate([da_r, da_z, da_n], axis=1)  # (B, 3H)
    da_hh = np.concatenate([da_r, da_z, da_n * r], axis=1)  # (B, 3H): r scales W_hn h + b_hn
    return da_ih, da_hh, (dh_t * z,)  # h_prev also reaches h_t directly, through z ⊙ h_prev


_GRU = Cell("gru", 3, ("h",), False, _gru_cell_forward, _gru_cell_backward)


def gru_forward(x, params, h0=None):
    """A (stacked, optionally bidirectional) GRU over a whole sequence, like torch.nn.GRU.

    Args:
        x:      (T, B, D) float32 or float64
        params: dict keyed like torch.nn.GRU(...).state_dict(): weight_ih_l{k} (3H, D or dirs·H),
                weight_hh_l{k} (3H, H), bias_ih_l{k} (3H,), bias_hh_l{k} (3H,), and the same
                with _reverse when bidirectional; x's dtype
        h0:     (layers·dirs, B, H) initial state, or None for zeros

    Returns:
        output: (T, B, dirs·H) x's dtype; the last layer's h_t at every t (both directions)
        h_n:    (layers·dirs, B, H) final state of every layer and direction
        cache:  opaque; pass to gru_backward

    Book: "Gated recurrent units"; "Bidirectional RNNs".
    """
    output, (h_n,), cache = stack_forward(_GRU, x, params, h0)
    return output, h_n, cache


def gru_backward(doutput, dh_n, cache):
    """Backpropagation through time for gru_forward.

    Args:
        doutput: (T, B, dirs·H) float, gradient of the loss with respect to output, or None
        dh_n:    (layers·dirs, B, H) gradient with respect to h_n, or None
        cache:   from gru_forward

    Returns:
        dx:      (T, B, D) the forward's dtype, like every gradient here
        dh0:     (layers·dirs, B, H)
        dparams: dict keyed like params, each gradient shaped like its parameter

    Book: "Gated recurrent units", section "Backward through one step";
    "Backpropagation through time".
    """
    dx, (dh0,), dparams = stack_backward("gru", doutput, dh_n, cache)
    return dx, dh0, dparams


def init_gru_params(
    input_size, hidden_size, num_layers=1, bidirectional=False, *, rng, dtype=np.float64
):
    """torch.nn.GRU's initialisation: every weight and bias drawn from U(−1/√H, 1/√H).

    Args:
        input_size:    D
        hidden_size:   H
        num_layers:    stacked layers (layer k > 0 reads dirs·H features)
        bidirectional: add the _reverse parameters
        rng:           np.random.Generator
        dtype:         float dtype of the arrays

    Returns:
        params: dict keyed and shaped like torch.nn.GRU(...).state_dict()

    Book: "Gated recurrent units".
    """
    return init_params(
        3, input_size, hidden_size, num_layers, bidirectional, rng, dtype, "init_gru_params"
    )
