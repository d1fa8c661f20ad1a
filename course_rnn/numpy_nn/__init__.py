"""NumPy twins of the course's models: explicit forward and backward passes. Never imports torch.

Each layer comes as ``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache) -> grads``
(CS231n's convention). The one-step functions (``rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih,
b_hh)`` and the LSTM and GRU ones) take the weights one by one, named as in the book; the
sequence functions take dicts keyed like the matching ``torch.nn`` module's ``state_dict()``.
Layout is time-major, ``(T, B, D)``.
Book: every chapter from "The hidden state" on.
"""

from course_rnn.numpy_nn.attention import (
    causal_mask,
    init_multi_head_attention_params,
    multi_head_attention_backward,
    multi_head_attention_forward,
    padding_mask,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)
from course_rnn.numpy_nn.bidirectional import (
    bidirectional_rnn_backward,
    bidirectional_rnn_forward,
    reverse_padded,
    split_bidirectional_params,
)
from course_rnn.numpy_nn.functional import (
    log_softmax,
    mse_backward,
    mse_forward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    tanh_backward,
)
from course_rnn.numpy_nn.gru import (
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    init_gru_params,
)
from course_rnn.numpy_nn.layers import (
    embedding_backward,
    embedding_forward,
    layer_norm_backward,
    layer_norm_forward,
    linear_backward,
    linear_forward,
    temporal_affine_backward,
    temporal_affine_forward,
)
from course_rnn.numpy_nn.lstm import (
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from course_rnn.numpy_nn.optim import SGD, Adam, clip_grad_norm
from course_rnn.numpy_nn.recurrent import truncated_bptt
from course_rnn.numpy_nn.rnn import (
    init_rnn_params,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from course_rnn.numpy_nn.scan import linear_recurrence_loop, linear_recurrence_scan

__all__ = [
    "SGD",
    "Adam",
    "bidirectional_rnn_backward",
    "bidirectional_rnn_forward",
    "causal_mask",
    "clip_grad_norm",
    "embedding_backward",
    "embedding_forward",
    "gru_backward",
    "gru_forward",
    "gru_step_backward",
    "gru_step_forward",
    "init_gru_params",
    "init_lstm_params",
    "init_multi_head_attention_params",
    "init_rnn_params",
    "layer_norm_backward",
    "layer_norm_forward",
    "linear_backward",
    "linear_forward",
    "linear_recurrence_loop",
    "linear_recurrence_scan",
    "log_softmax",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "mse_backward",
    "mse_forward",
    "multi_head_attention_backward",
    "multi_head_attention_forward",
    "padding_mask",
    "reverse_padded",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "scaled_dot_product_attention_backward",
    "scaled_dot_product_attention_forward",
    "sigmoid",
    "sigmoid_backward",
    "softmax",
    "softmax_backward",
    "softmax_cross_entropy",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward",
    "split_bidirectional_params",
    "tanh_backward",
    "temporal_affine_backward",
    "temporal_affine_forward",
    "truncated_bptt",
]
