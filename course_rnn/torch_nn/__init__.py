"""PyTorch twins of the course's models: the same math as ``course_rnn.numpy_nn``, with autograd.

Same file names as ``numpy_nn`` (``rnn.py`` ↔ ``rnn.py``), the same step equations line for
line, torch.nn's parameter names (``load_state_dict`` from torch.nn works) and torch.nn's return
values. Layout is time-major, ``(T, B, D)``. ``reference`` converts between NumPy parameter
dicts, these modules and torch.nn's. Book: every chapter from "The hidden state" on.
"""

# --- Recurrent layers: rnn.py, lstm.py, gru.py, reference.py ---
from course_rnn.torch_nn.gru import GRU, GRUCell, gru_step
from course_rnn.torch_nn.lstm import LSTM, LSTMCell, lstm_step
from course_rnn.torch_nn.reference import (
    from_numpy_params,
    from_torch_nn,
    to_numpy_params,
    to_torch_nn,
)
from course_rnn.torch_nn.rnn import RNN, RNNCell, rnn_step

# --- Attention, Transformer, task models: imports and names go here ---

__all__ = [
    # Recurrent layers
    "GRU",
    "LSTM",
    "RNN",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "from_numpy_params",
    "from_torch_nn",
    "gru_step",
    "lstm_step",
    "rnn_step",
    "to_numpy_params",
    "to_torch_nn",
    # Attention, Transformer, task models: names go here
]
