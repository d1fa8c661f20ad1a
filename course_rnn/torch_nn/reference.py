"""Conversions between the twins and torch.nn: NumPy parameter dicts ↔ our modules ↔ torch.nn.

The three share one parameter layout (torch's ``state_dict()`` keys and shapes), so each
conversion is a copy:

- :func:`to_numpy_params` turns any module or state_dict (ours or torch.nn's) into the dict of
  NumPy arrays that ``numpy_nn.lstm_forward`` and friends take;
- :func:`from_numpy_params` builds one of our modules from such a dict (``LSTM.from_params``,
  which also takes ``numpy_nn.init_lstm_params(...)``, the one source of initialisation);
- :func:`to_torch_nn` and :func:`from_torch_nn` swap our readable modules for torch.nn's fused
  ones with the same weights, e.g. to train fast and then inspect with the readable twin.

None of them draws from torch's global random generator. Book: "The hidden state" (the twins).
"""

import re
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from course_rnn.shapes import ShapeError
from course_rnn.torch_nn._modules import CellBase, RecurrentBase

_LAYER = re.compile(r"(?:weight|bias)_(?:ih|hh)_l(\d+)(_reverse)?")
_NUMPY_DTYPES = (torch.float16, torch.float32, torch.float64)
#: (cell name, is a cell) -> the torch.nn class with the same parameters
_TORCH_NN = {
    ("rnn", False): nn.RNN,
    ("lstm", False): nn.LSTM,
    ("gru", False): nn.GRU,
    ("rnn", True): nn.RNNCell,
    ("lstm", True): nn.LSTMCell,
    ("gru", True): nn.GRUCell,
}


def to_numpy_params(source) -> dict[str, np.ndarray]:
    """Copy a module's state_dict (or a state_dict) into NumPy arrays, keys and order unchanged.

    Args:
        source: an nn.Module (ours or torch.nn's RNN/LSTM/GRU, their cells, ...) or a mapping
                of names to floating tensors, on any device

    Returns:
        params: dict of np.ndarray keyed like ``source.state_dict()``, same dtype, detached copies

    Book: "The hidden state".
    """
    where = "to_numpy_params"
    state = source.state_dict() if isinstance(source, nn.Module) else source
    if not isinstance(state, Mapping):
        raise TypeError(
            f"{where}: source expected an nn.Module or a state_dict, got {type(source).__name__}"
        )
    params = {}
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"{where}: source['{key}'] expected a tensor, got {type(value).__name__}"
            )
        if value.dtype not in _NUMPY_DTYPES:
            raise TypeError(
                f"{where}: source['{key}'] expected float16, float32 or float64 (NumPy has no "
                f"{value.dtype}); convert the module first, e.g. with .double()"
            )
        params[key] = value.detach().cpu().numpy().copy()
    return params


def from_numpy_params(params, cls, *, nonlinearity: str | None = None, device=None):
    """One of our modules holding copies of a NumPy parameter dict.

    The sizes are read from the arrays (D from weight_ih_l0, H from weight_hh_l0, the number of
    layers and directions from the keys), the dtype is theirs; every key and shape is then
    checked against the module that ``cls`` builds.

    Args:
        params:       dict keyed like the matching torch.nn module's state_dict(): for RNN/LSTM/
                      GRU weight_ih_l0 ..., for the cells weight_ih, weight_hh (bias_ih and
                      bias_hh both left out: bias=False)
        cls:          RNN, LSTM, GRU, RNNCell, LSTMCell or GRUCell (ours)
        nonlinearity: "tanh" or "relu" for RNN and RNNCell (None: tanh); not for the others
        device:       where to put the parameters

    Returns:
        module: a ``cls`` whose state_dict() equals ``params``

    Book: "The hidden state".
    """
    where = "from_numpy_params"
    if not (isinstance(cls, type) and issubclass(cls, RecurrentBase | CellBase)):
        raise TypeError(
            f"{where}: cls expected RNN, LSTM, GRU or one of their cells from "
            f"course_rnn.torch_nn, got {cls!r}"
        )
    if not isinstance(params, Mapping) or not params:
        raise TypeError(
            f"{where}: params expected a non-empty dict of NumPy arrays, got {params!r}"
        )
    first = next(iter(params.values()))
    for key, value in params.items():
        if not (isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating)):
            raise TypeError(f"{where}: params['{key}'] expected a float ndarray, got {value!r}")
        if value.dtype != first.dtype:
            raise TypeError(
                f"{where}: params['{key}'] expected one dtype for all arrays ({first.dtype}), "
                f"got {value.dtype}"
            )
    sequence = issubclass(cls, RecurrentBase)
    suffix = "_l0" if sequence else ""
    for key in (f"weight_ih{suffix}", f"weight_hh{suffix}"):  # they fix D and H
        if getattr(params.get(key), "ndim", 0) != 2:
            raise ShapeError(
                f"{where}: params['{key}'] expected a 2-D array for {cls.__name__}, "
                f"got {getattr(params.get(key), 'shape', 'no such key')}"
            )
    sizes = [params[f"weight_ih{suffix}"].shape[1], params[f"weight_hh{suffix}"].shape[1]]
    options = {"bias": "bias_ih" + suffix in params}
    if sequence:
        layers = [_LAYER.fullmatch(k) for k in params]
        sizes.append(1 + max(int(m.group(1)) for m in layers if m))
        options["bidirectional"] = any(m and m.group(2) for m in layers)
    if nonlinearity is not None:
        options["nonlinearity"] = nonlinearity
    dtype = torch.from_numpy(first[:0]).dtype
    # A throwaway generator: the draws are overwritten, and torch's global one stays untouched.
    module = cls(*sizes, **options, dtype=dtype, generator=torch.Generator())
    expected = module.state_dict()
    missing, extra = sorted(set(expected) - set(params)), sorted(set(params) - set(expected))
    if missing or extra:
        raise ValueError(
            f"{where}: params keys do not fit {module!r}: missing {missing}, unexpected {extra}"
        )
    for key, value in params.items():
        if value.shape != expected[key].shape:
            raise ShapeError(
                f"{where}: params['{key}'] expected {tuple(expected[key].shape)} for "
                f"{module!r}, got {value.shape}"
            )
    module.load_state_dict({key: torch.from_numpy(value) for key, value in params.items()})
    return module.to(device)


def to_torch_nn(module):
    """The torch.nn twin of one of our modules, with copies of its weights (same device, dtype).

    Args:
        module: our RNN, LSTM, GRU, RNNCell, LSTMCell or GRUCell

    Returns:
        torch.nn.RNN/LSTM/GRU/RNNCell/LSTMCell/GRUCell with the same configuration and weights;
        it computes the same function with torch's fused kernels (cuDNN on a GPU)

    Book: "The hidden state".
    """
    if not isinstance(module, RecurrentBase | CellBase):
        raise TypeError(
            "to_torch_nn: module expected RNN, LSTM, GRU or one of their cells from "
            f"course_rnn.torch_nn, got {type(module).__name__}"
        )
    is_cell = isinstance(module, CellBase)
    options = {"bias": module.bias}
    if not is_cell:
        options.update(num_layers=module.num_layers, bidirectional=module.bidirectional)
    if module.cell.name == "rnn":
        options["nonlinearity"] = module.nonlinearity
    weight = next(module.parameters())
    cls = _TORCH_NN[module.cell.name, is_cell]
    # Built on the meta device, so torch.nn's initialisation draws nothing; then every
    # parameter is allocated and overwritten.
    twin = cls(module.input_size, module.hidden_size, **options, device="meta", dtype=weight.dtype)
    twin = twin.to_empty(device=weight.device)
    twin.load_state_dict(module.state_dict())
    return twin


def from_torch_nn(module):
    """One of our modules with copies of a torch.nn RNN/LSTM/GRU (or cell)'s weights.

    Args:
        module: torch.nn.RNN, LSTM, GRU, RNNCell, LSTMCell or GRUCell, time-major, without
                dropout or proj_size (which our modules do not have)

    Returns:
        our module of the same kind, configuration, device, dtype and weights

    Book: "The hidden state".
    """
    from course_rnn.torch_nn import gru, lstm, rnn  # they import this module

    where = "from_torch_nn"
    twins = {
        nn.RNN: rnn.RNN,
        nn.LSTM: lstm.LSTM,
        nn.GRU: gru.GRU,
        nn.RNNCell: rnn.RNNCell,
        nn.LSTMCell: lstm.LSTMCell,
        nn.GRUCell: gru.GRUCell,
    }
    if type(module) not in twins:
        raise TypeError(
            f"{where}: module expected torch.nn.RNN, LSTM, GRU or one of their cells, "
            f"got {type(module).__name__}"
        )
    cls = twins[type(module)]
    options = {"bias": module.bias}
    if isinstance(module, nn.RNNBase):
        for name, unsupported in (
            ("batch_first", module.batch_first),
            ("dropout", module.dropout),
            ("proj_size", module.proj_size),
        ):
            if unsupported:
                raise ValueError(
                    f"{where}: {type(module).__name__} has {name}={unsupported!r}, which our "
                    f"{cls.__name__} does not support"
                )
        options.update(num_layers=module.num_layers, bidirectional=module.bidirectional)
    if isinstance(module, nn.RNN | nn.RNNCell):
        options["nonlinearity"] = module.nonlinearity
    weight = next(module.parameters())
    twin = cls(
        module.input_size,
        module.hidden_size,
        **options,
        device=weight.device,
        dtype=weight.dtype,
        generator=torch.Generator(device=weight.device),  # throwaway draws, overwritten below
    )
    twin.load_state_dict(module.state_dict())
    return twin
