"""Public spec of the exercise "gru": the GRU cell forward and backward, a step and a sequence.

Four tasks, with the names and argument orders of the package's readable step functions
(``course_rnn.numpy_nn.gru``) and, for the sequence, the conventions of the exercises "hidden
state" and "bptt":

- ``gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh) -> (h_t, cache)``, where
  ``cache = (x_t, h_prev, W_ih, W_hh, r, z, n, hn)`` and ``hn = h_prev @ W_hn.T + b_hn``, the
  package's layout;
- ``gru_step_backward(dh_t, cache) -> (dx_t, dh_prev, dW_ih, dW_hh, db_ih, db_hh)``;
- ``gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh) -> (h, h_n)``;
- ``gru_backward(dout, dh_n, x, h0, W_ih, W_hh, b_ih, b_hh) -> (dx, dh0, dW_ih, dW_hh, db_ih,
  db_hh)``.

torch.nn.GRU's equations: gate blocks r, z, n (G = 3H rows), the reset gate applied to
``h_prev @ W_hn.T + b_hn`` (the hidden bias inside the product), and ``h_t = (1 - z) * n + z *
h_prev``. The harness, the tolerance and the float64 references are those of the exercise
"lstm" (:mod:`course_rnn.grading.specs.lstm`).

Book: "Gated recurrent units". References: the package's NumPy GRU.
"""

from course_rnn.grading.specs.lstm import (
    ACCUMULATED,
    F32,
    as_float64,
    float_dtype,
    forward_edges,
    gated_task,
    step_edges,
    torch_keys,
)
from course_rnn.grading.tasks import Edge, Output

GATES = 3  # r, z, n
STEP_LAYOUT = (2, 8)  # gru_step_forward returns 2 values, the last a cache of 8 entries


def sizes(**dims):
    """The dims of a case plus G = 3H, the rows of the weights (the letter messages use)."""
    return {**dims, "G": GATES * dims["H"]}


def _params(fill, D, H, G):
    """W_ih (G, D), W_hh (G, H), b_ih (G,), b_hh (G,); G = 3H rows in the blocks r, z, n."""
    assert G == GATES * H, "dims must come from sizes()"
    return (
        fill((G, D), -0.5, 0.4),
        fill((G, H), 0.6, -0.3),
        fill((G,), -0.2, 0.3),
        fill((G,), 0.5, -0.4),
    )


def _step_inputs(fill, B, D, H, G, scale=1.0, f32=0):
    """(layout, x_t, h_prev, W_ih, W_hh, b_ih, b_hh); ``scale`` multiplies x_t."""
    x_t = fill((B, D), -0.4, 0.7) * scale
    h_prev = fill((B, H), -0.6, 0.5)
    arrays = (x_t, h_prev, *_params(fill, D, H, G))
    return (STEP_LAYOUT, *(a.astype(float_dtype(f32)) for a in arrays))


def _step_reference(layout, x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """(h_t, r, z, n, hn): the state and the cache's computed entries."""
    from course_rnn.numpy_nn.gru import gru_step_forward

    h_t, cache = gru_step_forward(*as_float64((x_t, h_prev, W_ih, W_hh, b_ih, b_hh)))
    return (h_t, *cache[4:])


def _step_backward_inputs(fill, B, D, H, G, f32=0):
    """((), dh_t, cache): the cache made by the package's step forward, in the case's dtype."""
    from course_rnn.numpy_nn.gru import gru_step_forward

    _, *inputs = _step_inputs(fill, B, D, H, G, f32=f32)
    _, cache = gru_step_forward(*inputs)
    dh_t = fill((B, H), -1.0, 0.8).astype(float_dtype(f32))
    return (), dh_t, tuple(cache)


def _step_backward_reference(layout, dh_t, cache):
    from course_rnn.numpy_nn.gru import gru_step_backward

    return gru_step_backward(*as_float64((dh_t, cache)))


def _sequence_inputs(fill, T, B, D, H, G, scale=1.0, zero=0, f32=0):
    """((), x, h0, W_ih, W_hh, b_ih, b_hh); ``zero`` = 1 starts from h0 = 0."""
    x = fill((T, B, D), -0.8, 0.9) * scale
    h0 = fill((B, H), -0.6, 0.5) * (1 - zero)
    arrays = (x, h0, *_params(fill, D, H, G))
    return ((), *(a.astype(float_dtype(f32)) for a in arrays))


def _sequence_reference(layout, x, h0, W_ih, W_hh, b_ih, b_hh):
    """(h, h_n), from the package's gru_forward."""
    from course_rnn.numpy_nn.gru import gru_forward

    x, h0, *params = as_float64((x, h0, W_ih, W_hh, b_ih, b_hh))
    h, h_n, _ = gru_forward(x, torch_keys(*params), h0[None])
    return h, h_n[0]


def _sequence_backward_inputs(fill, T, B, D, H, G, upstream=1.0, carried=1.0, f32=0):
    """((), dout, dh_n, x, h0, W_ih, W_hh, b_ih, b_hh); the factors scale dout and dh_n."""
    _, *forward = _sequence_inputs(fill, T, B, D, H, G)
    dout = fill((T, B, H), -0.9, 1.1) * upstream
    dh_n = fill((B, H), 0.7, -0.5) * carried
    return ((), *(a.astype(float_dtype(f32)) for a in (dout, dh_n, *forward)))


def _sequence_backward_reference(layout, dout, dh_n, x, h0, W_ih, W_hh, b_ih, b_hh):
    """The package's gru_backward: (dx, dh0, dW_ih, dW_hh, db_ih, db_hh)."""
    from course_rnn.numpy_nn.gru import gru_backward, gru_forward

    dout, dh_n, x, h0, *params = as_float64((dout, dh_n, x, h0, W_ih, W_hh, b_ih, b_hh))
    _, _, cache = gru_forward(x, torch_keys(*params), h0[None])
    dx, dh0, grads = gru_backward(dout, dh_n[None], cache)
    keys = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    return (dx, dh0[0], *(grads[k] for k in keys))


_DA = "with da_ih and da_hh the (B, 3H) gradients of the two pre-activations"
_CARRY = "step t receives dout[t] plus the dh_prev of step t + 1 (dh_n at the last step)"

TASKS = (
    gated_task(
        name="gru_step_forward",
        params=("x_t", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh"),
        outputs=(
            Output(
                "h_t",
                "B H",
                hint="h_t = (1 - z) * n + z * h_prev: z is the share of the old state kept.",
            ),
            Output(
                "r",
                "B H",
                hint="r = sigmoid of the first block of x_t @ W_ih.T + b_ih plus the first "
                "block of h_prev @ W_hh.T + b_hh (blocks r, z, n in this order).",
            ),
            Output("z", "B H", hint="z = sigmoid of the second blocks of the two products."),
            Output(
                "n",
                "B H",
                hint="n = tanh(third block of x_t @ W_ih.T + b_ih + r * hn): the reset gate "
                "multiplies hn, bias included.",
            ),
            Output(
                "hn",
                "B H",
                hint="hn = h_prev @ W_hn.T + b_hn, the third block of h_prev @ W_hh.T + b_hh.",
            ),
        ),
        build=_step_inputs,
        reference=_step_reference,
        public=sizes(B=3, D=2, H=4),
        edges=step_edges(sizes, saturate=True),
    ),
    gated_task(
        name="gru_step_backward",
        params=("dh_t", "cache"),
        outputs=(
            Output("dx_t", "B D", "gradient", f"dx_t = da_ih @ W_ih, {_DA}."),
            Output(
                "dh_prev",
                "B H",
                "gradient",
                f"dh_prev = da_hh @ W_hh + dh_t * z: through the products and directly "
                f"through z * h_prev, {_DA}.",
            ),
            Output("dW_ih", "G D", "gradient", f"dW_ih = da_ih.T @ x_t, {_DA}."),
            Output(
                "dW_hh",
                "G H",
                "gradient",
                "dW_hh = da_hh.T @ h_prev; in block n, da_hh is r times n's gradient.",
            ),
            Output("db_ih", "G", "gradient", "db_ih sums da_ih over the batch axis."),
            Output(
                "db_hh",
                "G",
                "gradient",
                "db_hh sums da_hh over the batch; it differs from db_ih in block n, where the "
                "reset gate multiplies b_hn.",
            ),
        ),
        build=_step_backward_inputs,
        reference=_step_backward_reference,
        public=sizes(B=3, D=2, H=4),
        edges=step_edges(sizes, saturate=False),
    ),
    gated_task(
        name="gru_forward",
        params=("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh"),
        outputs=(
            Output(
                "h",
                "T B H",
                hint="h[t] is the state after reading x[t]; start from h0, not zeros.",
            ),
            Output("h_n", "B H", hint="h_n is the last state, h[T - 1]."),
        ),
        build=_sequence_inputs,
        reference=_sequence_reference,
        public=sizes(T=4, B=2, D=3, H=5),
        edges=forward_edges(sizes, "h0 = 0"),
    ),
    gated_task(
        name="gru_backward",
        params=("dout", "dh_n", "x", "h0", "W_ih", "W_hh", "b_ih", "b_hh"),
        outputs=(
            Output("dx", "T B D", "gradient", f"dx[t] is step t's dx_t; {_CARRY}."),
            Output("dh0", "B H", "gradient", f"dh0 is the dh_prev of step 0; {_CARRY}."),
            *ACCUMULATED,
        ),
        build=_sequence_backward_inputs,
        reference=_sequence_backward_reference,
        public=sizes(T=4, B=2, D=3, H=5),
        edges=(
            Edge("T = 1 (a single step)", sizes(T=1, B=2, D=3, H=4)),
            Edge(
                "a loss on the final state only (dout = 0, only dh_n)",
                sizes(T=3, B=2, D=2, H=3, upstream=0.0),
            ),
            Edge("nothing carried in (dh_n = 0)", sizes(T=3, B=1, D=2, H=3, carried=0.0)),
            Edge(F32, sizes(T=3, B=2, D=3, H=2, f32=1)),
        ),
    ),
)
