"""PyTorch twins of the course's models: the same math as ``course_rnn.numpy_nn``, with autograd.

Same file names as ``numpy_nn`` (``rnn.py`` ↔ ``rnn.py``), the same step equations line for
line, torch.nn's parameter names (``load_state_dict`` from torch.nn works) and torch.nn's return
values. Layout is time-major, ``(T, B, D)``. ``reference`` converts between NumPy parameter
dicts, these modules and torch.nn's. Book: every chapter from "The hidden state" on.
"""

from course_rnn.torch_nn.attention import (
    LearnedPositionalEncoding,
    MultiHeadAttention,
    SinusoidalPositionalEncoding,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_encoding,
)
from course_rnn.torch_nn.gru import GRU, GRUCell, gru_step
from course_rnn.torch_nn.lstm import LSTM, LSTMCell, lstm_step
from course_rnn.torch_nn.mingru import MinGRU, linear_recurrence_loop, linear_recurrence_scan
from course_rnn.torch_nn.models import (
    CELLS,
    BagOfWordsClassifier,
    CharLM,
    EncoderConfig,
    Forecaster,
    Seq2Seq,
    SequenceClassifier,
    SequenceEncoder,
    SequenceTagger,
)
from course_rnn.torch_nn.reference import (
    from_numpy_params,
    from_torch_nn,
    to_numpy_params,
    to_torch_nn,
)
from course_rnn.torch_nn.rnn import RNN, RNNCell, rnn_step
from course_rnn.torch_nn.sampling import sample_next
from course_rnn.torch_nn.transformer import (
    Block,
    TransformerConfig,
    TransformerLM,
    TransformerStack,
)

__all__ = [
    "CELLS",
    "GRU",
    "LSTM",
    "RNN",
    "BagOfWordsClassifier",
    "Block",
    "CharLM",
    "EncoderConfig",
    "Forecaster",
    "GRUCell",
    "LSTMCell",
    "LearnedPositionalEncoding",
    "MinGRU",
    "MultiHeadAttention",
    "RNNCell",
    "Seq2Seq",
    "SequenceClassifier",
    "SequenceEncoder",
    "SequenceTagger",
    "SinusoidalPositionalEncoding",
    "TransformerConfig",
    "TransformerLM",
    "TransformerStack",
    "causal_mask",
    "from_numpy_params",
    "from_torch_nn",
    "gru_step",
    "linear_recurrence_loop",
    "linear_recurrence_scan",
    "lstm_step",
    "padding_mask",
    "rnn_step",
    "sample_next",
    "scaled_dot_product_attention",
    "sinusoidal_encoding",
    "to_numpy_params",
    "to_torch_nn",
]
