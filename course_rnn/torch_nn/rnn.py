"""The Elman RNN in PyTorch: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

The torch twin of ``numpy_nn/rnn.py``: the same equations, line for line, with autograd in place
of the hand-written backward pass. :class:`RNN` and :class:`RNNCell` take torch.nn's arguments,
have torch.nn's parameter names and shapes (``load_state_dict(torch.nn.RNN(...).state_dict())``
works as is) and return what torch.nn returns. The time loop, the stacked layers and the two
directions live in ``recurrent.py``; this module holds the cell's equations and its public names.

Book: "The hidden state"; "Bidirectional RNNs".
References: Elman (1990), Finding structure in time.
"""

import torch

from course_rnn.torch_nn._modules import CellBase, RecurrentBase
from course_rnn.torch_nn.recurrent import Cell, step
from course_rnn.torch_nn.reference import from_numpy_params


def _tanh_cell(a_ih, a_hh, state_prev):
    """h_t = tanh(a_ih + a_hh)."""
    h_t = torch.tanh(a_ih + a_hh)  # (B, H)
    return (h_t,)


def _relu_cell(a_ih, a_hh, state_prev):
    """h_t = max(0, a_ih + a_hh); its gradient at a = 0 is 0, as in torch and the NumPy twin."""
    h_t = torch.relu(a_ih + a_hh)  # (B, H)
    return (h_t,)


_CELLS = {
    "tanh": Cell("rnn", 1, ("h",), _tanh_cell, summed=True),
    "relu": Cell("rnn", 1, ("h",), _relu_cell, summed=True),
}


def _cell(nonlinearity, where):
    """The Cell for "tanh" or "relu"."""
    if not (isinstance(nonlinearity, str) and nonlinearity in _CELLS):
        raise ValueError(f"{where}: nonlinearity expected 'tanh' or 'relu', got {nonlinearity!r}")
    return _CELLS[nonlinearity]


def rnn_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity="tanh"):
    """One RNN step: h_t = tanh(x_t W_ih^T + b_ih + h_prev W_hh^T + b_hh) (or relu).

    The twin of ``numpy_nn.rnn_step_forward``; autograd gives its backward pass. The inputs are
    not checked here (RNNCell checks its own): pass tensors of one float dtype and device.

    Args:
        x_t:          (B, D) float   input at step t
        h_prev:       (B, H) float   hidden state h_{t-1}
        weight_ih:    (H, D)         torch's weight_ih_l0
        weight_hh:    (H, H)         torch's weight_hh_l0
        bias_ih:      (H,)
        bias_hh:      (H,)
        nonlinearity: "tanh" or "relu"

    Returns:
        h_t: (B, H) same dtype as x_t

    Book: "The hidden state", eq. (eq-rnn-batched).
    """
    cell = _cell(nonlinearity, "rnn_step")
    (h_t,) = step(cell, x_t, (h_prev,), weight_ih, weight_hh, bias_ih, bias_hh)
    return h_t


class RNNCell(CellBase):
    """One RNN step as a module, like torch.nn.RNNCell; its forward calls :func:`rnn_step`.

    Args:
        input_size:   D
        hidden_size:  H
        bias:         False: no biases (zeros that are not parameters), as in torch
        nonlinearity: "tanh" or "relu"
        device, dtype: where and in which float dtype to create the parameters (torch's default)
        generator:    torch.Generator for the initialisation U(−1/√H, 1/√H); None: torch's global
                      generator, drawing what torch.nn.RNNCell would draw

    Parameters (torch.nn.RNNCell's names): weight_ih (H, D), weight_hh (H, H), bias_ih (H,),
    bias_hh (H,).

    Differences from torch.nn.RNNCell: the arguments after hidden_size are keyword-only; the
    state argument is called h_prev (torch: hx); errors are ShapeError/TypeError/ValueError
    with the shapes in the message.

    Book: "The hidden state".
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
        generator: torch.Generator | None = None,
    ):
        cell = _cell(nonlinearity, "RNNCell")
        super().__init__(cell, input_size, hidden_size, bias, device, dtype, generator)
        self.nonlinearity = nonlinearity

    def forward(self, x_t: torch.Tensor, h_prev: torch.Tensor | None = None) -> torch.Tensor:
        """One step.

        Args:
            x_t:    (B, D) input, or unbatched (D,)
            h_prev: (B, H) previous hidden state (or (H,)); None: zeros

        Returns:
            h_t: (B, H) (or (H,)) x_t's dtype
        """
        x_t, (h_prev,), batched = self._check(x_t, h_prev)
        h_t = rnn_step(x_t, h_prev, *self._weights(), nonlinearity=self.nonlinearity)
        return h_t if batched else h_t.squeeze(0)

    @classmethod
    def from_params(cls, params, *, nonlinearity: str = "tanh", device=None) -> "RNNCell":
        """An RNNCell holding a NumPy dict keyed weight_ih, weight_hh, bias_ih, bias_hh."""
        return from_numpy_params(params, cls, nonlinearity=nonlinearity, device=device)


class RNN(RecurrentBase):
    """A (stacked, optionally bidirectional) Elman RNN over a sequence, like torch.nn.RNN.

    Args:
        input_size:    D
        hidden_size:   H
        num_layers:    stacked layers; layer k > 0 reads the dirs·H features of layer k − 1
        nonlinearity:  "tanh" or "relu"
        bias:          False: no biases (zeros that are not parameters), as in torch
        bidirectional: add a second direction that reads the sequence backwards in time
        device, dtype: where and in which float dtype to create the parameters (torch's default)
        generator:     torch.Generator for the initialisation U(−1/√H, 1/√H); None: torch's
                       global generator, drawing what torch.nn.RNN would draw

    Parameters (torch.nn.RNN's names and order): weight_ih_l{k} (H, D or dirs·H),
    weight_hh_l{k} (H, H), bias_ih_l{k} (H,), bias_hh_l{k} (H,), and ``*_reverse`` for the
    second direction.

    Differences from torch.nn.RNN: no ``batch_first`` (always time-major), no ``dropout``,
    no PackedSequence; the arguments after num_layers are keyword-only; the initial state is
    called h0 (torch: hx); errors are ShapeError/TypeError/ValueError with the shapes in the
    message; the loop is Python, so it is slower than torch's fused kernels (see
    ``reference.to_torch_nn`` for the fast path with the same weights).

    Book: "The hidden state"; "Bidirectional RNNs".
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        nonlinearity: str = "tanh",
        bias: bool = True,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        generator: torch.Generator | None = None,
    ):
        cell = _cell(nonlinearity, "RNN")
        super().__init__(
            cell, input_size, hidden_size, num_layers, bias, bidirectional, device, dtype, generator
        )
        self.nonlinearity = nonlinearity

    def forward(
        self, x: torch.Tensor, h0: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run over the whole sequence.

        Args:
            x:  (T, B, D) float, or unbatched (T, D)
            h0: (layers·dirs, B, H) initial states (or (layers·dirs, H)); None: zeros

        Returns:
            output: (T, B, dirs·H) the last layer's h_t at every t, both directions
            h_n:    (layers·dirs, B, H) final state of every layer and direction
        """
        output, (h_n,) = self._run(x, h0)
        return output, h_n

    @classmethod
    def from_params(cls, params, *, nonlinearity: str = "tanh", device=None) -> "RNN":
        """An RNN holding a NumPy parameter dict (e.g. ``numpy_nn.init_rnn_params``).

        Args:
            params:       dict keyed like torch.nn.RNN(...).state_dict(), float arrays
            nonlinearity: "tanh" or "relu" (the parameters do not say which)
            device:       where to put the parameters; the dtype is the arrays'

        Returns:
            RNN holding copies of the arrays
        """
        return from_numpy_params(params, cls, nonlinearity=nonlinearity, device=device)
