"""The LSTM in PyTorch, equal to torch.nn.LSTM (gate order i, f, g, o).

    a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        (4H: the blocks a_i, a_f, a_g, a_o)
    i = σ(a_i)    f = σ(a_f)    g = tanh(a_g)    o = σ(a_o)
    c_t = f ⊙ c_{t-1} + i ⊙ g                        h_t = o ⊙ tanh(c_t)

The torch twin of ``numpy_nn/lstm.py``: the same equations, line for line, with autograd in place
of the hand-written backward pass. :class:`LSTM` and :class:`LSTMCell` take torch.nn's arguments,
have torch.nn's parameter names and shapes (``load_state_dict(torch.nn.LSTM(...).state_dict())``
works as is) and return what torch.nn returns, ``(output, (h_n, c_n))``. The time loop, the
stacked layers and the two directions live in ``recurrent.py``.

Book: "Long short-term memory"; "Bidirectional RNNs".
References: Hochreiter & Schmidhuber (1997), Long short-term memory; Gers, Schmidhuber & Cummins
(2000), Learning to forget (the forget gate).
"""

import torch

from course_rnn.torch_nn._modules import CellBase, RecurrentBase
from course_rnn.torch_nn.recurrent import Cell, step
from course_rnn.torch_nn.reference import from_numpy_params


def _lstm_cell(a_ih, a_hh, state_prev):
    """The LSTM equations after the two matrix products.

    a_ih, a_hh: (B, 4H) blocks i, f, g, o; state_prev: (h_prev, c_prev), each (B, H).
    """
    _, c_prev = state_prev  # h_prev enters only through a_hh
    H = c_prev.shape[1]
    a = a_ih + a_hh  # (B, 4H) pre-activations
    g = torch.tanh(a[:, 2 * H : 3 * H])  # (B, H) candidate values
    gates = torch.sigmoid(a)  # (B, 4H) σ of every block: one call instead of three
    # (the NumPy twin now writes g into block g; autograd needs σ's output intact, so g stays apart)
    i = gates[:, 0 * H : 1 * H]  # (B, H) input gate: how much of g to write
    f = gates[:, 1 * H : 2 * H]  # (B, H) forget gate: how much of c_{t-1} to keep
    o = gates[:, 3 * H : 4 * H]  # (B, H) output gate: how much of the cell to show
    c_t = f * c_prev + i * g  # (B, H) eq. (lstm-cell)
    tanh_c = torch.tanh(c_t)
    h_t = o * tanh_c  # (B, H)
    return (h_t, c_t)


_LSTM = Cell("lstm", 4, ("h", "c"), _lstm_cell, summed=True)


def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step (torch.nn.LSTMCell's equations; gate order i, f, g, o).

    The twin of ``numpy_nn.lstm_step_forward``; autograd gives its backward pass. The inputs are
    not checked here (LSTMCell checks its own): pass tensors of one float dtype and device.

    Args:
        x_t:       (B, D) float   input at step t
        h_prev:    (B, H) float   hidden state h_{t-1}
        c_prev:    (B, H) float   cell state c_{t-1}
        weight_ih: (4H, D)        torch's weight_ih_l0, gate blocks i, f, g, o
        weight_hh: (4H, H)        torch's weight_hh_l0
        bias_ih:   (4H,)
        bias_hh:   (4H,)

    Returns:
        h_t: (B, H) same dtype as x_t
        c_t: (B, H)

    Book: "Long short-term memory", eq. (lstm-cell).
    """
    h_t, c_t = step(_LSTM, x_t, (h_prev, c_prev), weight_ih, weight_hh, bias_ih, bias_hh)
    return h_t, c_t


class LSTMCell(CellBase):
    """One LSTM step as a module, like torch.nn.LSTMCell; its forward calls :func:`lstm_step`.

    Args:
        input_size:    D
        hidden_size:   H
        bias:          False: no biases (zeros that are not parameters), as in torch
        device, dtype: where and in which float dtype to create the parameters (torch's default)
        generator:     torch.Generator for the initialisation U(−1/√H, 1/√H); None: torch's
                       global generator, drawing what torch.nn.LSTMCell would draw

    Parameters (torch.nn.LSTMCell's names): weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,),
    bias_hh (4H,), gate blocks in the order i, f, g, o.

    Differences from torch.nn.LSTMCell: the arguments after hidden_size are keyword-only; the
    state argument is called state_prev (torch: hx); errors are ShapeError/TypeError/ValueError
    with the shapes in the message.

    Book: "Long short-term memory".
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        bias: bool = True,
        device=None,
        dtype=None,
        generator: torch.Generator | None = None,
    ):
        super().__init__(_LSTM, input_size, hidden_size, bias, device, dtype, generator)

    def forward(self, x_t: torch.Tensor, state_prev=None) -> tuple[torch.Tensor, torch.Tensor]:
        """One step.

        Args:
            x_t:        (B, D) input, or unbatched (D,)
            state_prev: (h_prev, c_prev), each (B, H) (or (H,)); None: zeros

        Returns:
            h_t: (B, H) (or (H,)) x_t's dtype
            c_t: (B, H) (or (H,))
        """
        x_t, (h_prev, c_prev), batched = self._check(x_t, state_prev)
        h_t, c_t = lstm_step(x_t, h_prev, c_prev, *self._weights())
        return (h_t, c_t) if batched else (h_t.squeeze(0), c_t.squeeze(0))

    @classmethod
    def from_params(cls, params, *, device=None) -> "LSTMCell":
        """An LSTMCell holding a NumPy dict keyed weight_ih, weight_hh, bias_ih, bias_hh."""
        return from_numpy_params(params, cls, device=device)


class LSTM(RecurrentBase):
    """A (stacked, optionally bidirectional) LSTM over a sequence, like torch.nn.LSTM.

    Args:
        input_size:    D
        hidden_size:   H
        num_layers:    stacked layers; layer k > 0 reads the dirs·H features of layer k − 1
        bias:          False: no biases (zeros that are not parameters), as in torch
        bidirectional: add a second direction that reads the sequence backwards in time
        device, dtype: where and in which float dtype to create the parameters (torch's default)
        generator:     torch.Generator for the initialisation U(−1/√H, 1/√H); None: torch's
                       global generator, drawing what torch.nn.LSTM would draw

    Parameters (torch.nn.LSTM's names and order): weight_ih_l{k} (4H, D or dirs·H),
    weight_hh_l{k} (4H, H), bias_ih_l{k} (4H,), bias_hh_l{k} (4H,), and ``*_reverse`` for the
    second direction; gate blocks in the order i, f, g, o.

    Differences from torch.nn.LSTM: no ``batch_first`` (always time-major), no ``dropout``, no
    ``proj_size``, no PackedSequence; the arguments after num_layers are keyword-only; the
    initial state is called state0 (torch: hx); errors are ShapeError/TypeError/ValueError with
    the shapes in the message; the loop is Python, so it is slower than torch's fused kernels
    (``reference.to_torch_nn`` gives the fast path with the same weights).

    Book: "Long short-term memory"; "Bidirectional RNNs".
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        bias: bool = True,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        generator: torch.Generator | None = None,
    ):
        super().__init__(
            _LSTM,
            input_size,
            hidden_size,
            num_layers,
            bias,
            bidirectional,
            device,
            dtype,
            generator,
        )

    def forward(self, x: torch.Tensor, state0=None):
        """Run over the whole sequence.

        Args:
            x:      (T, B, D) float, or unbatched (T, D)
            state0: (h0, c0), each (layers·dirs, B, H) (or (layers·dirs, H)); None: zeros

        Returns:
            output:     (T, B, dirs·H) the last layer's h_t at every t, both directions
            (h_n, c_n): each (layers·dirs, B, H), final states of every layer and direction
        """
        output, (h_n, c_n) = self._run(x, state0)
        return output, (h_n, c_n)

    @classmethod
    def from_params(cls, params, *, device=None) -> "LSTM":
        """An LSTM holding a NumPy parameter dict (e.g. ``numpy_nn.init_lstm_params``).

        Args:
            params: dict keyed like torch.nn.LSTM(...).state_dict(), float arrays
            device: where to put the parameters; the dtype is the arrays'

        Returns:
            LSTM holding copies of the arrays
        """
        return from_numpy_params(params, cls, device=device)
