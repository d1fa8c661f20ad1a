"""Public spec of the exercise "lstm": the LSTM cell forward and backward, a step and a sequence.

Four tasks, with the names and argument orders of the package's readable step functions
(``course_rnn.numpy_nn.lstm``) and, for the sequence, the conventions of the exercises "hidden
state" and "bptt" (time-major, the initial state given, the backward taking the forward's inputs
and the gradients carried in from later):

- ``lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> (h_t, c_t, cache)``, where
  ``cache = (x_t, h_prev, c_prev, W_ih, W_hh, i, f, g, o, tanh_c)``, the package's layout;
- ``lstm_step_backward(dh_t, dc_t, cache) -> (dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db_ih,
  db_hh)``;
- ``lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh) -> (h, h_n, c_n)``;
- ``lstm_backward(dout, dh_n, dc_n, x, h0, c0, W_ih, W_hh, b_ih, b_hh) -> (dx, dh0, dc0, dW_ih,
  dW_hh, db_ih, db_hh)``.

Gate order i, f, g, o (torch.nn.LSTM's); the weights have G = 4H rows. Every task runs through
:func:`~course_rnn.grading.harness_gated.gated_cell_harness` (overflow raises, dtypes are kept;
the step forward's cache is unpacked and compared entry by entry). The references compute in
float64 whatever the inputs' dtype, so a float32 case is compared with the exact answer, within
the tasks' tolerance.

Book: "Long short-term memory". References: the package's NumPy LSTM.
"""

import numpy as np

from course_rnn.grading.harness_gated import gated_cell_harness
from course_rnn.grading.tasks import Edge, Output, Task

GATES = 4  # i, f, g, o
STEP_LAYOUT = (3, 10)  # lstm_step_forward returns 3 values, the last a cache of 10 entries
RTOL, ATOL = 1e-5, 1e-6  # float32 cases are compared with the float64 answer


def sizes(**dims):
    """The dims of a case plus G = 4H, the rows of the weights (the letter messages use)."""
    return {**dims, "G": GATES * dims["H"]}


def float_dtype(f32):
    """The dtype of a case: float32 when the dim ``f32`` is 1, float64 otherwise."""
    return np.float32 if f32 else np.float64


def as_float64(value):
    """Arrays (also inside a tuple) as float64, for the references."""
    if isinstance(value, tuple):
        return tuple(as_float64(v) for v in value)
    return np.asarray(value, dtype=np.float64)


def torch_keys(W_ih, W_hh, b_ih, b_hh):
    """The four parameters keyed as torch.nn.LSTM's state_dict (the package's sequence API)."""
    return {"weight_ih_l0": W_ih, "weight_hh_l0": W_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}


def _params(fill, D, H, G):
    """W_ih (G, D), W_hh (G, H), b_ih (G,), b_hh (G,); G = 4H rows in the blocks i, f, g, o."""
    assert G == GATES * H, "dims must come from sizes()"
    return (
        fill((G, D), -0.5, 0.4),
        fill((G, H), -0.3, 0.6),
        fill((G,), -0.2, 0.3),
        fill((G,), 0.4, -0.1),
    )


def _step_inputs(fill, B, D, H, G, scale=1.0, f32=0):
    """(layout, x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh); ``scale`` multiplies x_t."""
    x_t = fill((B, D), -0.4, 0.7) * scale
    h_prev = fill((B, H), -0.6, 0.2)
    c_prev = fill((B, H), 0.9, -1.1)
    arrays = (x_t, h_prev, c_prev, *_params(fill, D, H, G))
    return (STEP_LAYOUT, *(a.astype(float_dtype(f32)) for a in arrays))


def _step_reference(layout, x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """(h_t, c_t, i, f, g, o, tanh_c): the states and the cache's computed entries."""
    from course_rnn.numpy_nn.lstm import lstm_step_forward

    h_t, c_t, cache = lstm_step_forward(*as_float64((x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)))
    return (h_t, c_t, *cache[5:])


def _step_backward_inputs(fill, B, D, H, G, f32=0):
    """((), dh_t, dc_t, cache): the cache made by the package's step forward, in the dtype."""
    from course_rnn.numpy_nn.lstm import lstm_step_forward

    _, *inputs = _step_inputs(fill, B, D, H, G, f32=f32)
    _, _, cache = lstm_step_forward(*inputs)
    dh_t = fill((B, H), -1.0, 0.8).astype(float_dtype(f32))
    dc_t = fill((B, H), 0.6, -0.9).astype(float_dtype(f32))
    return (), dh_t, dc_t, tuple(cache)


def _step_backward_reference(layout, dh_t, dc_t, cache):
    from course_rnn.numpy_nn.lstm import lstm_step_backward

    return lstm_step_backward(*as_float64((dh_t, dc_t, cache)))


def _sequence_inputs(fill, T, B, D, H, G, scale=1.0, zero=0, f32=0):
    """((), x, h0, c0, W_ih, W_hh, b_ih, b_hh); ``zero`` = 1 starts from h0 = c0 = 0."""
    x = fill((T, B, D), -0.8, 0.9) * scale
    h0 = fill((B, H), -0.6, 0.2) * (1 - zero)
    c0 = fill((B, H), 0.9, -1.1) * (1 - zero)
    arrays = (x, h0, c0, *_params(fill, D, H, G))
    return ((), *(a.astype(float_dtype(f32)) for a in arrays))


def _sequence_reference(layout, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """(h, h_n, c_n), from the package's lstm_forward."""
    from course_rnn.numpy_nn.lstm import lstm_forward

    x, h0, c0, *params = as_float64((x, h0, c0, W_ih, W_hh, b_ih, b_hh))
    h, (h_n, c_n), _ = lstm_forward(x, torch_keys(*params), (h0[None], c0[None]))
    return h, h_n[0], c_n[0]


def _sequence_backward_inputs(fill, T, B, D, H, G, upstream=1.0, carried=1.0, cell=1.0, f32=0):
    """((), dout, dh_n, dc_n, x, h0, c0, W_ih, W_hh, b_ih, b_hh); the factors scale dout, dh_n
    and dc_n (0 switches one off)."""
    _, *forward = _sequence_inputs(fill, T, B, D, H, G)
    dout = fill((T, B, H), -0.9, 1.1) * upstream
    dh_n = fill((B, H), 0.7, -0.5) * carried
    dc_n = fill((B, H), -0.6, 0.8) * cell
    return ((), *(a.astype(float_dtype(f32)) for a in (dout, dh_n, dc_n, *forward)))


def _sequence_backward_reference(layout, dout, dh_n, dc_n, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """The package's lstm_backward: (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh)."""
    from course_rnn.numpy_nn.lstm import lstm_backward, lstm_forward

    dout, dh_n, dc_n, x, h0, c0, *params = as_float64(
        (dout, dh_n, dc_n, x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    )
    _, _, cache = lstm_forward(x, torch_keys(*params), (h0[None], c0[None]))
    dx, (dh0, dc0), grads = lstm_backward(dout, (dh_n[None], dc_n[None]), cache)
    keys = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    return (dx, dh0[0], dc0[0], *(grads[k] for k in keys))


def gated_task(**fields):
    """A Task of the exercises "lstm" and "gru": run through the gated-cell harness, compared
    within the tolerance that float32 cases need."""
    return Task(**fields, harness=gated_cell_harness, rtol=RTOL, atol=ATOL)


def step_edges(sizes, saturate):
    """The edge cases of a step task: B = H = 1, saturating gates (when ``saturate``), float32."""
    large = "large pre-activations (the gates saturate; no overflow allowed)"
    return (
        Edge("B = 1 and H = 1", sizes(B=1, D=3, H=1)),
        *((Edge(large, sizes(B=2, D=3, H=2, scale=2000.0)),) if saturate else ()),
        Edge(F32, sizes(B=2, D=3, H=3, f32=1)),
    )


def forward_edges(sizes, zero):
    """The edge cases of a sequence forward: T = 1, the zero state ``zero``, saturation, float32."""
    return (
        Edge("T = 1 (a single step)", sizes(T=1, B=2, D=3, H=4)),
        Edge(f"{zero}, B = 1 and D = 1", sizes(T=3, B=1, D=1, H=2, zero=1)),
        Edge("large inputs (the gates saturate)", sizes(T=3, B=2, D=2, H=3, scale=2000.0)),
        Edge(F32, sizes(T=3, B=2, D=3, H=2, f32=1)),
    )


#: The parameter gradients of a sequence backward: sums over the steps.
ACCUMULATED = tuple(
    Output(name, shape, "gradient", f"accumulate (+=) {name} over every step.")
    for name, shape in (("dW_ih", "G D"), ("dW_hh", "G H"), ("db_ih", "G"), ("db_hh", "G"))
)
F32 = "inputs of dtype float32 (keep the dtype)"
_GRADS = (
    Output("dW_ih", "G D", "gradient", "dW_ih = da.T @ x_t, da the (B, 4H) blocks i, f, g, o."),
    Output("dW_hh", "G H", "gradient", "dW_hh = da.T @ h_prev: the state that entered the step."),
    Output("db_ih", "G", "gradient", "db_ih sums da over the batch axis."),
    Output("db_hh", "G", "gradient", "db_hh equals db_ih: both biases enter a only through a sum."),
)
_CARRY = (
    "step t receives dout[t] plus the dh_prev of step t + 1, and the dc_prev of step t + 1 "
    "(dh_n and dc_n at the last step)"
)

TASKS = (
    gated_task(
        name="lstm_step_forward",
        params=("x_t", "h_prev", "c_prev", "W_ih", "W_hh", "b_ih", "b_hh"),
        outputs=(
            Output("h_t", "B H", hint="h_t = o * tanh(c_t)."),
            Output("c_t", "B H", hint="c_t = f * c_prev + i * g: f keeps c_prev, i writes g."),
            Output(
                "i",
                "B H",
                hint="a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh is (B, 4H); its blocks of "
                "H columns are i, f, g, o in this order (torch's, not CS231n's i, f, o, g).",
            ),
            Output("f", "B H", hint="f = sigmoid(a[:, H:2H]), the second block."),
            Output("g", "B H", hint="g = tanh(a[:, 2H:3H]), the third block: tanh, not sigmoid."),
            Output("o", "B H", hint="o = sigmoid(a[:, 3H:4H]), the last block."),
            Output("tanh_c", "B H", hint="the cache's last entry is tanh(c_t)."),
        ),
        build=_step_inputs,
        reference=_step_reference,
        public=sizes(B=3, D=2, H=4),
        edges=step_edges(sizes, saturate=True),
    ),
    gated_task(
        name="lstm_step_backward",
        params=("dh_t", "dc_t", "cache"),
        outputs=(
            Output(
                "dx_t",
                "B D",
                "gradient",
                "dx_t = da @ W_ih, with da the gradient of the (B, 4H) pre-activation.",
            ),
            Output("dh_prev", "B H", "gradient", "dh_prev = da @ W_hh (not W_hh.T)."),
            Output(
                "dc_prev",
                "B H",
                "gradient",
                "c_t reaches the loss through c_{t+1} (dc_t) and through h_t = o * tanh(c_t); "
                "the total dc at c_t then reaches c_prev through f alone.",
            ),
            *_GRADS,
        ),
        build=_step_backward_inputs,
        reference=_step_backward_reference,
        public=sizes(B=3, D=2, H=4),
        edges=step_edges(sizes, saturate=False),
    ),
    gated_task(
        name="lstm_forward",
        params=("x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh"),
        outputs=(
            Output(
                "h",
                "T B H",
                hint="h[t] is the state after reading x[t]; start from (h0, c0), not zeros.",
            ),
            Output("h_n", "B H", hint="h_n is the last state, h[T - 1]."),
            Output("c_n", "B H", hint="c_n is the cell state after the last step."),
        ),
        build=_sequence_inputs,
        reference=_sequence_reference,
        public=sizes(T=4, B=2, D=3, H=5),
        edges=forward_edges(sizes, "h0 = c0 = 0"),
    ),
    gated_task(
        name="lstm_backward",
        params=("dout", "dh_n", "dc_n", "x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh"),
        outputs=(
            Output("dx", "T B D", "gradient", f"dx[t] is step t's dx_t; {_CARRY}."),
            Output("dh0", "B H", "gradient", f"dh0 is the dh_prev of step 0; {_CARRY}."),
            Output("dc0", "B H", "gradient", f"dc0 is the dc_prev of step 0; {_CARRY}."),
            *ACCUMULATED,
        ),
        build=_sequence_backward_inputs,
        reference=_sequence_backward_reference,
        public=sizes(T=4, B=2, D=3, H=5),
        edges=(
            Edge("T = 1 (a single step)", sizes(T=1, B=2, D=3, H=4)),
            Edge(
                "a loss on the final cell state only (dout = 0, dh_n = 0, only dc_n)",
                sizes(T=3, B=2, D=2, H=3, upstream=0.0, carried=0.0),
            ),
            Edge(
                "nothing carried in (dh_n = dc_n = 0)",
                sizes(T=3, B=1, D=2, H=3, carried=0.0, cell=0.0),
            ),
            Edge(F32, sizes(T=3, B=2, D=3, H=2, f32=1)),
        ),
    ),
)
