"""Public spec of the exercise "hidden_state": the recurrence, and the layers around it.

Four tasks: one step of the tanh RNN, the RNN over a sequence, the embedding lookup that turns
token ids into input vectors, and the temporal affine (output) layer that turns every state into
logits. The functions follow torch.nn.RNN (tanh), time-major:
h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh); x_t = E[token_t]; o_t = h_t W_hy^T + b_y.

Book: "The hidden state" (the cell, a sequence) and "Backpropagation through time", section
"Through the output layer" (embedding and output layer). The references are the package's NumPy
functions, called in the trusted process (or in the student's own, for self-checks).
"""

import numpy as np

from course_rnn.grading.tasks import Edge, Output, Task


def tokens_from(fill, shape, V):
    """Integer token ids in [0, V) from a fill: linspace gives sorted ids with repeats."""
    return np.minimum(np.floor(fill(shape, 0.0, float(V))), V - 1).astype(np.int64)


def _step_inputs(fill, B, D, H, scale=1.0):
    """x_t, h_prev and the four parameters, in the argument order of rnn_step_forward."""
    x_t = fill((B, D), -0.4, 0.7) * scale
    h_prev = fill((B, H), -0.6, 0.2)
    W_ih = fill((H, D), -0.5, 0.4)
    W_hh = fill((H, H), -0.3, 0.6)
    b_ih = fill((H,), -0.2, 0.3)
    b_hh = fill((H,), -0.1, 0.5)
    return x_t, h_prev, W_ih, W_hh, b_ih, b_hh


def _step_reference(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    from course_rnn.numpy_nn.rnn import rnn_step_forward

    return (rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)[0],)


def _sequence_inputs(fill, T, B, D, H, scale=1.0):
    """x (T, B, D), h0 and the four parameters, in the argument order of rnn_forward."""
    x = fill((T, B, D), -0.8, 0.9) * scale
    _, h0, *params = _step_inputs(fill, B, D, H)
    return (x, h0, *params)


def torch_keys(W_ih, W_hh, b_ih, b_hh):
    """The four RNN parameters keyed as torch.nn.RNN's state_dict (the package's sequence API)."""
    return {"weight_ih_l0": W_ih, "weight_hh_l0": W_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}


def _sequence_reference(x, h0, W_ih, W_hh, b_ih, b_hh):
    from course_rnn.numpy_nn.rnn import rnn_forward

    h, h_n, _ = rnn_forward(x, torch_keys(W_ih, W_hh, b_ih, b_hh), h0[None])
    return h, h_n[0]


def _embedding_inputs(fill, T, B, V, D, same=0, int32=0):
    """(tokens, E); ``same`` = 1 puts one token at every position, ``int32`` narrows the ids."""
    E = fill((V, D), -1.0, 1.2)
    tokens = tokens_from(fill, (T, B), V)
    if same:
        tokens[:] = V // 2
    return tokens.astype(np.int32) if int32 else tokens, E


def _embedding_reference(tokens, E):
    from course_rnn.numpy_nn.layers import embedding_forward

    return (embedding_forward(tokens, E)[0],)


def _affine_inputs(fill, T, B, H, V, scale=1.0):
    """(h, W_hy, b_y): states in (-1, 1) as a tanh RNN makes them, and the head's parameters."""
    h = fill((T, B, H), -0.9, 0.9)
    W_hy = fill((V, H), -0.6, 0.5) * scale
    b_y = fill((V,), -0.3, 0.4)
    return h, W_hy, b_y


def _affine_reference(h, W_hy, b_y):
    from course_rnn.numpy_nn.layers import temporal_affine_forward

    return (temporal_affine_forward(h, W_hy, b_y)[0],)


TASKS = (
    Task(
        name="rnn_step_forward",
        params=("x_t", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh"),
        outputs=(
            Output(
                "h_t",
                "B H",
                hint="h_t = tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh): both weights "
                "transposed, both biases added.",
            ),
        ),
        build=_step_inputs,
        reference=_step_reference,
        public={"B": 3, "D": 2, "H": 4},
        edges=(
            Edge("B = 1 (a single sequence)", {"B": 1, "D": 3, "H": 2}),
            Edge("H = 1 (a single unit)", {"B": 2, "D": 3, "H": 1}),
            Edge("large inputs (tanh saturates at ±1)", {"B": 2, "D": 3, "H": 4, "scale": 2000}),
        ),
    ),
    Task(
        name="rnn_forward",
        params=("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh"),
        outputs=(
            Output(
                "h",
                "T B H",
                hint="h[t] is the state *after* reading x[t]; start the loop from h0, not zeros.",
            ),
            Output("h_n", "B H", hint="h_n is the last state, h[T - 1]."),
        ),
        build=_sequence_inputs,
        reference=_sequence_reference,
        public={"T": 4, "B": 2, "D": 3, "H": 5},
        edges=(
            Edge("T = 1 (a single step)", {"T": 1, "B": 2, "D": 3, "H": 4}),
            Edge("B = 1 and D = 1", {"T": 3, "B": 1, "D": 1, "H": 2}),
        ),
    ),
    Task(
        name="embedding_forward",
        params=("tokens", "E"),
        outputs=(
            Output(
                "x",
                "T B D",
                hint="x[t, b] is row tokens[t, b] of E: integer-array indexing, E[tokens], does "
                "it for every position at once.",
            ),
        ),
        build=_embedding_inputs,
        reference=_embedding_reference,
        public={"T": 4, "B": 3, "V": 5, "D": 2},
        edges=(
            Edge("one token at every position", {"T": 3, "B": 2, "V": 4, "D": 3, "same": 1}),
            Edge("V = 1 (a single token)", {"T": 2, "B": 3, "V": 1, "D": 4}),
            Edge("tokens of dtype int32", {"T": 2, "B": 2, "V": 6, "D": 3, "int32": 1}),
        ),
    ),
    Task(
        name="temporal_affine_forward",
        params=("h", "W_hy", "b_y"),
        outputs=(
            Output(
                "o",
                "T B V",
                hint="o[t] = h[t] @ W_hy.T + b_y at every step; one product over the whole "
                "(T, B, H) array does all steps at once.",
            ),
        ),
        build=_affine_inputs,
        reference=_affine_reference,
        public={"T": 3, "B": 2, "H": 4, "V": 5},
        edges=(
            Edge("T = 1 and B = 1", {"T": 1, "B": 1, "H": 3, "V": 4}),
            Edge("V = 1 (a single output)", {"T": 2, "B": 3, "H": 2, "V": 1}),
            Edge("V = H (a square W_hy)", {"T": 2, "B": 2, "H": 3, "V": 3}),
        ),
    ),
)
