"""What RNN, LSTM and GRU share in PyTorch: a step, the time loop, stacked layers, both directions.

The torch twin of ``numpy_nn/recurrent.py``, without the backward pass (autograd runs it). Every
recurrent cell does the same two matrix products per step, ``a_ih = x_t W_ih^T + b_ih`` and
``a_hh = h_{t-1} W_hh^T + b_hh`` (each (B, G·H)), and then applies its own equations to them.
The cell modules (``rnn.py``, ``lstm.py``, ``gru.py``) supply only those equations, as a
:class:`Cell`; this module runs them over time, over ``num_layers`` stacked layers and over both
directions, exactly like ``torch.nn.RNN/LSTM/GRU`` (time-major, torch's order of states).

Book: "The hidden state" (stacked layers), "Bidirectional RNNs".
References: Elman (1990), Finding structure in time; Schuster & Paliwal (1997), Bidirectional
recurrent neural networks.

Nothing here is public: the modules and the ``*_step`` functions are. As in the NumPy twin, the
input products of all T steps are one matrix product before the loop; only ``h_{t-1} W_hh^T``
stays in it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

from course_rnn.numpy_nn._params import Layout


@dataclass(frozen=True)
class Cell:
    """The equations of one kind of recurrent cell, as the shared driver needs them."""

    name: str  # "rnn", "lstm" or "gru"
    gates: int  # G: gate blocks in weight_ih / weight_hh (1 RNN, 4 LSTM, 3 GRU)
    states: tuple[str, ...]  # ("h",), or ("h", "c") for the LSTM: names in messages (h0, c0)
    # (a_ih, a_hh, state_prev) -> state_t, a tuple of (B, H) tensors (h_t first)
    forward: Callable
    # The cell only uses a_ih + a_hh (RNN, LSTM): the sequence driver may then move b_hh from
    # a_hh into a_ih, one addition per sequence instead of one per step.
    summed: bool


def step(cell, x_t, state_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step of any cell: the two matrix products, then the cell's equations (private helper)."""
    a_ih = x_t @ weight_ih.T + bias_ih  # (B, G·H) input part of the pre-activations
    a_hh = state_prev[0] @ weight_hh.T + bias_hh  # (B, G·H) recurrent part
    return cell.forward(a_ih, a_hh, state_prev)


def _layer_forward(cell, x, state0, weight_ih, weight_hh, bias_ih, bias_hh):
    """One layer in one direction over all T steps; state0 is a tuple of (B, H) tensors."""
    T, B, D = x.shape
    GH = weight_hh.shape[0]
    # The input products of all T steps in one matrix product. A cell that only uses
    # a_ih + a_hh gets both biases here, which saves an addition per step.
    bias = bias_ih + bias_hh if cell.summed else bias_ih
    a_ih = (x.reshape(T * B, D) @ weight_ih.T + bias).reshape(T, B, GH)  # (T, B, G·H)
    # T views of (B, G·H) in one op: indexing a_ih[t] of the tensor would cost the backward
    # pass a (T, B, G·H) tensor of zeros per step, O(T²) work.
    a_ih = a_ih.unbind(0)
    state, h = state0, []
    for t in range(T):
        a_hh = state[0] @ weight_hh.T  # (B, G·H)
        if not cell.summed:
            a_hh = a_hh + bias_hh
        state = cell.forward(a_ih[t], a_hh, state)
        h.append(state[0])
    return torch.stack(h), state  # (T, B, H), the final state


def stack_forward(cell, x, params: Mapping, layout: Layout, state0):
    """All layers and directions, like torch.nn.RNN/LSTM/GRU.forward; returns (out, states_n).

    ``x`` is (T, B, D) and ``state0`` a tuple of (layers·dirs, B, H) tensors, both checked by
    the caller; ``params`` maps torch's state_dict() keys to tensors. The reverse direction
    reads its input backwards in time and its outputs are flipped back, so ``out[t]`` is
    ``[h_fwd_t, h_rev_t]``.
    """
    L, dirs = layout.num_layers, layout.num_directions
    states_n = []  # one tuple of (B, H) tensors per layer and direction, in torch's order
    layer_input = x
    for layer in range(L):
        outs = []
        for d, suffix in enumerate(layout.suffixes):
            k = layer * dirs + d  # torch's order of states: l0, l0_reverse, l1, ...
            weights = [params[f"{name}_l{layer}{suffix}"] for name in layout.names]
            seq = layer_input.flip(0) if d else layer_input  # reverse direction: time runs back
            h, state = _layer_forward(cell, seq, tuple(s[k] for s in state0), *weights)
            outs.append(h.flip(0) if d else h)
            states_n.append(state)
        layer_input = torch.cat(outs, dim=2)  # (T, B, dirs·H): the next layer reads both
    return layer_input, tuple(torch.stack(s) for s in zip(*states_n, strict=True))
