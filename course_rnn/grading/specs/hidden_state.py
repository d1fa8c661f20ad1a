"""Public spec of the exercise "hidden_state": an RNN step, a sequence, sampling with temperature.

The functions follow torch.nn.RNN (tanh): h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),
time-major (T, B, D) inputs. Sampling is split into a deterministic softmax with temperature and
inverse-CDF sampling from given uniforms, so the same uniforms always pick the same tokens.

Book: "The hidden state" (the cell; sampling from a character model). The references are the
package's NumPy twins, called in the trusted process (or in the student's own, for self-checks).
"""

import numpy as np

from course_rnn.grading.tasks import Edge, Output, Task


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


def _sequence_reference(x, h0, W_ih, W_hh, b_ih, b_hh):
    from course_rnn.numpy_nn.rnn import rnn_forward

    params = {"weight_ih_l0": W_ih, "weight_hh_l0": W_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}
    h, h_n, _ = rnn_forward(x, params, h0[None])
    return h, h_n[0]


def _softmax_inputs(fill, B, V, temperature, scale=1.0):
    return fill((B, V), -2.0, 1.5) * scale, float(temperature)


def _softmax_reference(logits, temperature):
    from course_rnn.numpy_nn.functional import softmax

    return (softmax(logits / temperature, axis=-1),)


def _sample_inputs(fill, B, V, temperature, scale=1.0):
    logits, temperature = _softmax_inputs(fill, B, V, temperature, scale)
    u = fill((B,), 0.03, 0.97)
    return logits, temperature, u


def _sample_reference(logits, temperature, u):
    (probs,) = _softmax_reference(logits, temperature)
    cdf = np.cumsum(probs, axis=-1)  # (B, V)
    ids = (cdf <= u[:, None]).sum(axis=-1)  # (B,) the smallest i with u < cdf[i]
    return (np.minimum(ids, cdf.shape[-1] - 1).astype(np.int64),)  # rounding: cdf[-1] may be < 1


_H_T_HINT = "h_t = tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh): both weights transposed"

TASKS = (
    Task(
        name="rnn_step_forward",
        params=("x_t", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh"),
        outputs=(Output("h_t", "B H", hint=_H_T_HINT + ", both biases added."),),
        build=_step_inputs,
        reference=_step_reference,
        public={"B": 3, "D": 2, "H": 4},
        edges=(
            Edge("B = 1 (a single sequence)", {"B": 1, "D": 3, "H": 2}),
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
        name="softmax_with_temperature",
        params=("logits", "temperature"),
        outputs=(
            Output(
                "probs",
                "B V",
                hint="softmax(logits / temperature) over the last axis (the vocabulary); "
                "subtract each row's maximum before np.exp so large logits cannot overflow.",
            ),
        ),
        build=_softmax_inputs,
        reference=_softmax_reference,
        public={"B": 2, "V": 5, "temperature": 0.5},
        edges=(
            Edge("temperature = 1 (the plain softmax)", {"B": 3, "V": 4, "temperature": 1.0}),
            Edge("logits near ±1000", {"B": 2, "V": 6, "temperature": 0.7, "scale": 600}),
        ),
    ),
    Task(
        name="sample_tokens",
        params=("logits", "temperature", "u"),
        outputs=(
            Output(
                "ids",
                "B",
                kind="index",
                hint="ids[b] is the smallest i with u[b] < cumsum(probs[b])[i], where probs is "
                "softmax_with_temperature(logits, temperature); return integers.",
            ),
        ),
        build=_sample_inputs,
        reference=_sample_reference,
        public={"B": 5, "V": 6, "temperature": 0.8},
        edges=(
            Edge(
                "a low temperature (0.01) picks the argmax", {"B": 4, "V": 5, "temperature": 0.01}
            ),
            Edge("a high temperature (100)", {"B": 6, "V": 3, "temperature": 100.0}),
        ),
    ),
)
