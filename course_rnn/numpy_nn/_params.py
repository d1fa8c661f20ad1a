"""Torch-style parameter dicts of the recurrent layers: their layout, their initialisation, and
the checks at the boundary of the public functions (inputs, parameters, states).

A parameter set is a plain dict keyed like ``torch.nn.RNN/LSTM/GRU.state_dict()``; the number of
layers and directions is read from its keys. Every check here runs once per call of a public
sequence-level function, never inside the time loop, and every error names the function, the
argument, what was expected and what came. Book: "The hidden state", "Bidirectional RNNs".
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from course_rnn.shapes import ShapeError, check_shape

_KEY = re.compile(r"(weight|bias)_(ih|hh)_l(\d+)(_reverse)?")


@dataclass(frozen=True)
class Layout:
    """Sizes of a stacked, possibly bidirectional recurrent layer, as read from its parameters."""

    num_layers: int  # layers stacked on each other (torch's num_layers)
    num_directions: int  # 1, or 2 when bidirectional (keys ending in _reverse)
    hidden_size: int  # H
    input_size: int  # D of the first layer; later layers read dirs·H features

    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

    @property
    def suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse")[: self.num_directions]

    def keys(self) -> list[str]:
        """The keys of torch's state_dict(), in its order."""
        return [
            f"{name}_l{layer}{suffix}"
            for layer in range(self.num_layers)
            for suffix in self.suffixes
            for name in self.names
        ]

    def shape(self, key: str, gates: int) -> list[tuple[str, int]]:
        """torch's shape of one parameter as (axis label, size) pairs: [("4H", 512), ("D", 8)]."""
        name, layer = key.split("_l")[0], int(_KEY.fullmatch(key).group(3))
        H, dirs = self.hidden_size, self.num_directions
        rows = (_label(gates, "H"), gates * H)  # G·H: the gate blocks, stacked
        if name == "weight_hh":
            return [rows, ("H", H)]
        if name == "weight_ih":  # layer 0 reads x; later layers read both directions of the last
            return [rows, ("D", self.input_size) if layer == 0 else (_label(dirs, "H"), dirs * H)]
        return [rows]


def _label(factor: int, letter: str) -> str:
    """Axis label for check_shape: "H", "4H", "2H"."""
    return letter if factor == 1 else f"{factor}{letter}"


def check_x(x, where: str, D: int | None = None) -> tuple[int, int]:
    """x must be a floating (T, B, D) array with T, B ≥ 1; returns (T, B) once D is known."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where}: x expected a NumPy array (T, B, D), got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{where}: x expected a floating dtype (float32 or float64), got {x.dtype}"
            + (" (token ids need an embedding first)" if np.issubdtype(x.dtype, np.integer) else "")
        )
    if D is None:
        return 0, 0
    dims = check_shape(x, "T B D", name="x", where=where, D=D)
    if dims["T"] == 0 or dims["B"] == 0:
        raise ShapeError(f"{where}: x expected at least one step and one sequence, got {x.shape}")
    return dims["T"], dims["B"]


def _check_array(value, dtype, where: str, name: str) -> None:
    """An ndarray of exactly x's dtype: no silent upcast from float32 to float64."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{where}: {name} expected a NumPy array, got {type(value).__name__}")
    if value.dtype != dtype:
        raise TypeError(
            f"{where}: {name} expected dtype {dtype} like x, got {value.dtype} "
            f"(convert with .astype(np.{dtype}))"
        )


def check_params(params, gates: int, dtype, where: str) -> Layout:
    """Read the layout from the keys of a torch-style params dict and check every entry."""
    if not isinstance(params, Mapping):
        raise TypeError(
            f"{where}: params expected a dict keyed like torch's state_dict(), "
            f"got {type(params).__name__}"
        )
    unknown = sorted(str(k) for k in params if not (isinstance(k, str) and _KEY.fullmatch(k)))
    if unknown or not params:
        raise ValueError(
            f"{where}: params expected keys like 'weight_ih_l0' or 'bias_hh_l1_reverse', "
            f"got {unknown or 'no keys'} (proj_size and bias=False are not supported)"
        )
    matches = [_KEY.fullmatch(k) for k in params]
    num_layers = 1 + max(int(m.group(3)) for m in matches)
    dirs = 2 if any(m.group(4) for m in matches) else 1
    expected = Layout(num_layers, dirs, 0, 0).keys()
    missing = [k for k in expected if k not in params]
    extra = sorted(set(params) - set(expected))
    if missing or extra:
        found = f"{num_layers} layer(s), " + ("bidirectional" if dirs == 2 else "unidirectional")
        raise ValueError(
            f"{where}: params keys are inconsistent with {found}: "
            + "; ".join(
                ([f"missing {missing}"] if missing else [])
                + ([f"unexpected {extra}"] if extra else [])
            )
        )
    for key in expected:
        _check_array(params[key], dtype, where, f"params['{key}']")
    for key in ("weight_hh_l0", "weight_ih_l0"):  # they fix H and D
        if params[key].ndim != 2:
            raise ShapeError(
                f"{where}: params['{key}'] expected a 2-D array, got {params[key].shape}"
            )
    H, D = params["weight_hh_l0"].shape[1], params["weight_ih_l0"].shape[1]
    layout = Layout(num_layers, dirs, H, D)
    for key in expected:
        axes = layout.shape(key, gates)
        pattern = " ".join(label for label, _ in axes)
        check_shape(params[key], pattern, name=f"params['{key}']", where=where, **dict(axes))
    return layout


def check_state(state, state_names, layout: Layout, B: int, dtype, where: str, *, grad=False):
    """h0, (h0, c0), dh_n or (dh_n, dc_n): None means zeros; returns a tuple of arrays.

    Each array must be (layers·dirs, B, H) of x's dtype, as in torch.
    """
    names = [f"d{s}_n" if grad else f"{s}0" for s in state_names]
    arg = names[0] if len(names) == 1 else ("dstate_n" if grad else "state0")
    K, H = layout.num_layers * layout.num_directions, layout.hidden_size
    if state is None:
        return tuple(np.zeros((K, B, H), dtype=dtype) for _ in names)
    if len(names) == 1:
        state = (state,)
    elif not (isinstance(state, tuple | list) and len(state) == len(names)):
        raise TypeError(
            f"{where}: {arg} expected None or a pair ({', '.join(names)}), "
            f"got {type(state).__name__}"
        )
    checked = []
    for name, value in zip(names, state, strict=True):
        if value is None and grad:
            value = np.zeros((K, B, H), dtype=dtype)
        _check_array(value, dtype, where, name)
        check_shape(value, f"{K} B H", name=name, where=where, B=B, H=H)
        checked.append(value)
    return tuple(checked)


def check_doutput(doutput, layout: Layout, T: int, B: int, dtype, where: str) -> np.ndarray:
    """doutput: None (zeros) or (T, B, dirs·H) of the forward's dtype."""
    H2 = layout.num_directions * layout.hidden_size
    if doutput is None:
        return np.zeros((T, B, H2), dtype=dtype)
    _check_array(doutput, dtype, where, "doutput")
    label = _label(layout.num_directions, "H")
    check_shape(doutput, f"T B {label}", name="doutput", where=where, T=T, B=B, **{label: H2})
    return doutput


def init_params(gates, input_size, hidden_size, num_layers, bidirectional, rng, dtype, where):
    """torch's initialisation U(−1/√H, 1/√H) for every weight and bias, in state_dict order."""
    for arg, value in (
        ("input_size", input_size),
        ("hidden_size", hidden_size),
        ("num_layers", num_layers),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{where}: {arg} expected a positive int, got {value!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{where}: rng expected a np.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise TypeError(f"{where}: dtype expected a floating dtype, got {np.dtype(dtype)}")
    dirs, H = 2 if bidirectional else 1, hidden_size
    layout = Layout(num_layers, dirs, H, input_size)
    bound = 1.0 / np.sqrt(H)
    params = {}
    for key in layout.keys():
        shape = tuple(size for _, size in layout.shape(key, gates))
        params[key] = rng.uniform(-bound, bound, size=shape).astype(dtype)
    return params
