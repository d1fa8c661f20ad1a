"""The GRU in PyTorch, equal to torch.nn.GRU (gate order r, z, n).

    r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)       z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))       h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}

The torch twin of ``numpy_nn/gru.py``: the same equations, line for line, with autograd in place
of the hand-written backward pass. This is torch's (and cuDNN's) variant: the reset gate
multiplies ``W_hn h + b_hn`` after the matrix product. :class:`GRU` and :class:`GRUCell` take
torch.nn's arguments, have torch.nn's parameter names and shapes and return what torch.nn
returns. The time loop, the stacked layers and the two directions live in ``recurrent.py``.

Book: "Gated recurrent units"; "Bidirectional RNNs".
References: Cho et al. (2014), Learning phrase representations using RNN encoder-decoder for
statistical machine translation.
"""

import torch

from course_rnn.torch_nn._modules import CellBase, RecurrentBase
from course_rnn.torch_nn.recurrent import Cell, step
from course_rnn.torch_nn.reference import from_numpy_params


def _gru_cell(a_ih, a_hh, state_prev):
    """The GRU equations after the two matrix products (a_ih, a_hh: (B, 3H); h_prev: (B, H))."""
    (h_prev,) = state_prev
    H = h_prev.shape[1]
    rz = torch.sigmoid(a_ih[:, : 2 * H] + a_hh[:, : 2 * H])  # (B, 2H) both gates in one call
    r = rz[:, :H]  # (B, H) reset gate: how much of the old state the candidate sees
    z = rz[:, H:]  # (B, H) update gate: how much of the old state to keep
    hn = a_hh[:, 2 * H : 3 * H]  # (B, H) W_hn h_{t-1} + b_hn
    n = torch.tanh(a_ih[:, 2 * H : 3 * H] + r * hn)  # (B, H) candidate state
    h_t = (1 - z) * n + z * h_prev  # (B, H) eq. (gru-update)
    return (h_t,)


_GRU = Cell("gru", 3, ("h",), _gru_cell, summed=False)


def gru_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One GRU step (torch.nn.GRUCell's equations; gate order r, z, n).

    The twin of ``numpy_nn.gru_step_forward``; autograd gives its backward pass. The inputs are
    not checked here (GRUCell checks its own): pass tensors of one float dtype and device.

    Args:
        x_t:       (B, D) float   input at step t
        h_prev:    (B, H) float   hidden state h_{t-1}
        weight_ih: (3H, D)        torch's weight_ih_l0, gate blocks r, z, n
        weight_hh: (3H, H)        torch's weight_hh_l0
        bias_ih:   (3H,)
        bias_hh:   (3H,)

    Returns:
        h_t: (B, H) same dtype as x_t

    Book: "Gated recurrent units", eq. (gru).
    """
    (h_t,) = step(_GRU, x_t, (h_prev,), weight_ih, weight_hh, bias_ih, bias_hh)
    return h_t


class GRUCell(CellBase):
    """One GRU step as a module, like torch.nn.GRUCell; its forward calls :func:`gru_step`.

    Args:
        input_size:    D
        hidden_size:   H
        bias:          False: no biases (zeros that are not parameters), as in torch
        device, dtype: where and in which float dtype to create the parameters (torch's default)
        generator:     torch.Generator for the initialisation U(−1/√H, 1/√H); None: torch's
                       global generator, drawing what torch.nn.GRUCell would draw

    Parameters (torch.nn.GRUCell's names): weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,),
    bias_hh (3H,), gate blocks in the order r, z, n.

    Differences from torch.nn.GRUCell: the arguments after hidden_size are keyword-only; the
    state argument is called h_prev (torch: hx); errors are ShapeError/TypeError/ValueError
    with the shapes in the message.

    Book: "Gated recurrent units".
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
        super().__init__(_GRU, input_size, hidden_size, bias, device, dtype, generator)

    def forward(self, x_t: torch.Tensor, h_prev: torch.Tensor | None = None) -> torch.Tensor:
        """One step.

        Args:
            x_t:    (B, D) input, or unbatched (D,)
            h_prev: (B, H) previous hidden state (or (H,)); None: zeros

        Returns:
            h_t: (B, H) (or (H,)) x_t's dtype
        """
        x_t, (h_prev,), batched = self._check(x_t, h_prev)
        h_t = gru_step(x_t, h_prev, *self._weights())
        return h_t if batched else h_t.squeeze(0)

    @classmethod
    def from_params(cls, params, *, device=None) -> "GRUCell":
        """A GRUCell holding a NumPy dict keyed weight_ih, weight_hh, bias_ih, bias_hh."""
        return from_numpy_params(params, cls, device=device)


class GRU(RecurrentBase):
    """A (stacked, optionally bidirectional) GRU over a sequence, like torch.nn.GRU.

    Args:
        input_size:    D
        hidden_size:   H
        num_layers:    stacked layers; layer k > 0 reads the dirs·H features of layer k − 1
        bias:          False: no biases (zeros that are not parameters), as in torch
        bidirectional: add a second direction that reads the sequence backwards in time
        device, dtype: where and in which float dtype to create the parameters (torch's default)
        generator:     torch.Generator for the initialisation U(−1/√H, 1/√H); None: torch's
                       global generator, drawing what torch.nn.GRU would draw

    Parameters (torch.nn.GRU's names and order): weight_ih_l{k} (3H, D or dirs·H),
    weight_hh_l{k} (3H, H), bias_ih_l{k} (3H,), bias_hh_l{k} (3H,), and ``*_reverse`` for the
    second direction; gate blocks in the order r, z, n.

    Differences from torch.nn.GRU: no ``batch_first`` (always time-major), no ``dropout``, no
    PackedSequence; the arguments after num_layers are keyword-only; the initial state is
    called h0 (torch: hx); errors are ShapeError/TypeError/ValueError with the shapes in the
    message; the loop is Python, so it is slower than torch's fused kernels
    (``reference.to_torch_nn`` gives the fast path with the same weights).

    Book: "Gated recurrent units"; "Bidirectional RNNs".
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
            _GRU, input_size, hidden_size, num_layers, bias, bidirectional, device, dtype, generator
        )

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
    def from_params(cls, params, *, device=None) -> "GRU":
        """A GRU holding a NumPy parameter dict (e.g. ``numpy_nn.init_gru_params``).

        Args:
            params: dict keyed like torch.nn.GRU(...).state_dict(), float arrays
            device: where to put the parameters; the dtype is the arrays'

        Returns:
            GRU holding copies of the arrays
        """
        return from_numpy_params(params, cls, device=device)
