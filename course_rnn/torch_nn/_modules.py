"""The nn.Module side of the recurrent twins: torch.nn's parameter names, torch's initialisation,
and the checks at the boundary (input, states), shared by RNN/LSTM/GRU and their cells.

Like ``torch.nn.RNNBase`` and ``torch.nn.RNNCellBase``, but the forward pass is the readable one
of ``recurrent.py``. The parameter layout (names, shapes, order) is read from the NumPy twin's
``Layout``, so both twins have one source for it. Every check runs once per call, never inside
the time loop, and every error names the module, the argument, what was expected and what came.
Book: "The hidden state", "Bidirectional RNNs".
"""

import math

import torch
from torch import nn

from course_rnn.numpy_nn._params import Layout
from course_rnn.shapes import ShapeError
from course_rnn.torch_nn.recurrent import stack_forward


def check_sizes(where: str, **sizes) -> None:
    """Every size must be a positive int (not a bool)."""
    for arg, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{where}: {arg} expected a positive int, got {value!r}")


def check_input(x, where: str, axes: tuple[str, ...], D: int, weight: torch.Tensor) -> bool:
    """x: a floating tensor like the parameters, shaped ``axes`` or unbatched; True if batched.

    ``axes`` is ("T", "B", "D") for a sequence and ("B", "D") for one step; the unbatched form
    leaves out B, as torch.nn does.
    """
    unbatched = tuple(a for a in axes if a != "B")
    expected = " or ".join(
        "(" + ", ".join(f"D={D}" if a == "D" else a for a in form) + ")"
        for form in (axes, unbatched)
    )
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{where}: x expected a torch.Tensor {expected}, got {type(x).__name__}")
    if not x.is_floating_point():
        hint = " (token ids need an embedding first)" if x.dtype != torch.bool else ""
        raise TypeError(f"{where}: x expected a floating dtype, got {x.dtype}{hint}")
    if x.dtype != weight.dtype:
        raise TypeError(
            f"{where}: x has dtype {x.dtype} but the parameters have {weight.dtype} "
            f"(convert x with x.to({weight.dtype}) or the module with .to({x.dtype}))"
        )
    if x.device != weight.device:
        raise ValueError(
            f"{where}: x is on {x.device} but the parameters are on {weight.device} "
            "(move one of them with .to(device))"
        )
    if x.dim() not in (len(axes), len(unbatched)) or x.shape[-1] != D:
        raise ShapeError(f"{where}: x expected {expected}, got {tuple(x.shape)}")
    if x.numel() == 0:
        raise ShapeError(f"{where}: x expected no empty axis, got {tuple(x.shape)}")
    return x.dim() == len(axes)


def check_state(state, names, shape, labels, x, where: str) -> tuple[torch.Tensor, ...]:
    """None (zeros), one tensor, or a pair (h, c) for the LSTM; each ``shape``, like x.

    ``labels`` name the axes of ``shape`` in the message: ("layers·dirs", "B", "H").
    """
    if state is None:
        return tuple(x.new_zeros(shape) for _ in names)
    if len(names) == 1:
        state = (state,)
    elif not (isinstance(state, tuple | list) and len(state) == len(names)):
        raise TypeError(
            f"{where}: expected None or a pair ({', '.join(names)}), got {type(state).__name__}"
        )
    expected = ", ".join(f"{label}={size}" for label, size in zip(labels, shape, strict=True))
    for name, value in zip(names, state, strict=True):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{where}: {name} expected a torch.Tensor, got {type(value).__name__}")
        if value.dtype != x.dtype or value.device != x.device:
            raise TypeError(
                f"{where}: {name} expected dtype {x.dtype} on {x.device} like x, "
                f"got {value.dtype} on {value.device}"
            )
        if tuple(value.shape) != tuple(shape):
            raise ShapeError(f"{where}: {name} expected ({expected}), got {tuple(value.shape)}")
    return tuple(state)


def _register(module: nn.Module, key: str, shape, bias: bool, device, dtype) -> None:
    """A parameter named like torch's; with bias=False the biases are zeros outside state_dict()."""
    tensor = torch.empty(shape, device=device, dtype=dtype)
    if bias or key.startswith("weight"):
        module.register_parameter(key, nn.Parameter(tensor))
    else:  # the step math stays the same, and state_dict() has torch's bias=False keys
        module.register_buffer(key, tensor.zero_(), persistent=False)


def _reset(module: nn.Module, generator: torch.Generator | None) -> None:
    """torch's initialisation: every parameter from U(−1/√H, 1/√H), in registration order.

    With ``generator=None`` the draws come from torch's global generator in torch.nn's order,
    so after the same ``torch.manual_seed`` our modules start with torch.nn's values.
    """
    bound = 1.0 / math.sqrt(module.hidden_size)
    for weight in module.parameters():
        nn.init.uniform_(weight, -bound, bound, generator=generator)


class RecurrentBase(nn.Module):
    """What RNN, LSTM and GRU share (torch's RNNBase): parameters, initialisation, checks."""

    def __init__(
        self,
        cell,
        input_size,
        hidden_size,
        num_layers,
        bias,
        bidirectional,
        device,
        dtype,
        generator,
    ):
        super().__init__()
        check_sizes(
            type(self).__name__,
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
        )
        self.cell = cell  # the equations (a Cell from recurrent.py)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.bidirectional = bool(bias), bool(bidirectional)
        self.layout = Layout(num_layers, 2 if bidirectional else 1, hidden_size, input_size)
        for key in self.layout.keys():  # torch's names and order: weight_ih_l0, weight_hh_l0, ...
            shape = tuple(size for _, size in self.layout.shape(key, cell.gates))
            _register(self, key, shape, self.bias, device, dtype)
        self.reset_parameters(generator=generator)

    def reset_parameters(self, *, generator: torch.Generator | None = None) -> None:
        """Draw every parameter again from U(−1/√H, 1/√H) (torch.nn's initialisation)."""
        _reset(self, generator)

    def _run(self, x, state0) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Check x and the initial states, run stack_forward; returns (output, states_n)."""
        where = f"{type(self).__name__}.forward"
        batched = check_input(x, where, ("T", "B", "D"), self.input_size, self.weight_ih_l0)
        x = x if batched else x.unsqueeze(1)  # (T, B=1, D)
        B, K, H = x.shape[1], self.num_layers * self.layout.num_directions, self.hidden_size
        shape, labels = (K, B, H), ("layers·dirs", "B", "H")
        if not batched:  # torch.nn wants (layers·dirs, H) states with unbatched input
            shape, labels = (K, H), ("layers·dirs", "H")
        state0 = check_state(state0, [f"{s}0" for s in self.cell.states], shape, labels, x, where)
        state0 = state0 if batched else tuple(s.unsqueeze(1) for s in state0)  # (K, 1, H)
        params = {key: getattr(self, key) for key in self.layout.keys()}
        output, states_n = stack_forward(self.cell, x, params, self.layout, state0)
        if not batched:
            output, states_n = output.squeeze(1), tuple(s.squeeze(1) for s in states_n)
        return output, states_n

    def extra_repr(self) -> str:
        parts = [str(self.input_size), str(self.hidden_size)]
        parts += [f"num_layers={self.num_layers}"] if self.num_layers != 1 else []
        parts += ["nonlinearity='relu'"] if getattr(self, "nonlinearity", "tanh") == "relu" else []
        parts += ["bias=False"] if not self.bias else []
        parts += ["bidirectional=True"] if self.bidirectional else []
        return ", ".join(parts)


class CellBase(nn.Module):
    """What RNNCell, LSTMCell and GRUCell share (torch's RNNCellBase)."""

    def __init__(self, cell, input_size, hidden_size, bias, device, dtype, generator):
        super().__init__()
        check_sizes(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.cell = cell
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bool(bias)
        GH, D, H = cell.gates * hidden_size, input_size, hidden_size
        for key, shape in (
            ("weight_ih", (GH, D)),
            ("weight_hh", (GH, H)),
            ("bias_ih", (GH,)),
            ("bias_hh", (GH,)),
        ):
            _register(self, key, shape, self.bias, device, dtype)
        self.reset_parameters(generator=generator)

    def reset_parameters(self, *, generator: torch.Generator | None = None) -> None:
        """Draw every parameter again from U(−1/√H, 1/√H) (torch.nn's initialisation)."""
        _reset(self, generator)

    def _check(self, x_t, state_prev):
        """Returns (x_t (B, D), state_prev as a tuple of (B, H), batched)."""
        where = f"{type(self).__name__}.forward"
        batched = check_input(x_t, where, ("B", "D"), self.input_size, self.weight_ih)
        x_t = x_t if batched else x_t.unsqueeze(0)  # (B=1, D)
        B, H = x_t.shape[0], self.hidden_size
        shape, labels = ((B, H), ("B", "H")) if batched else ((H,), ("H",))
        names = [f"{s}_prev" for s in self.cell.states]
        state_prev = check_state(state_prev, names, shape, labels, x_t, where)
        return x_t, tuple(s if batched else s.unsqueeze(0) for s in state_prev), batched

    def _weights(self) -> tuple[torch.Tensor, ...]:
        """(weight_ih, weight_hh, bias_ih, bias_hh), the step functions' last arguments."""
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self) -> str:
        parts = [str(self.input_size), str(self.hidden_size)]
        parts += ["nonlinearity='relu'"] if getattr(self, "nonlinearity", "tanh") == "relu" else []
        parts += ["bias=False"] if not self.bias else []
        return ", ".join(parts)
