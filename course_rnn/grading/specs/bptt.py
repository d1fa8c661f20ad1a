"""Public spec of the exercise "bptt": step and sequence backward, clipping, a gradient checker.

The backward functions take the forward's saved values explicitly (no opaque cache) and return
the gradients in the order of the forward's inputs, then the parameters' (STYLE.md §3.3).
``rnn_backward`` takes the gradient of the final state ``dh_n`` as well: the gradient carried into
this chunk from the future, as truncated BPTT hands it over. Clipping equals
``torch.nn.utils.clip_grad_norm_`` (one global norm over all gradients, modified in place).

Book: "Backpropagation through time". References: the package's NumPy backward passes.
"""

import numpy as np

from course_rnn.grading.harness import clip_grad_norm_harness, numerical_gradient_harness
from course_rnn.grading.specs.hidden_state import _sequence_inputs, _step_inputs
from course_rnn.grading.tasks import Edge, Output, Task


def _step_backward_inputs(fill, B, D, H, scale=1.0):
    """dh_t and the forward's values: (dh_t, x_t, h_prev, h_t, W_ih, W_hh)."""
    from course_rnn.numpy_nn.rnn import rnn_step_forward

    x_t, h_prev, W_ih, W_hh, b_ih, b_hh = _step_inputs(fill, B, D, H)
    h_t, _ = rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    dh_t = fill((B, H), -1.0, 0.8) * scale
    return dh_t, x_t, h_prev, h_t, W_ih, W_hh


def _step_backward_reference(dh_t, x_t, h_prev, h_t, W_ih, W_hh):
    """The step's gradients from its equations (tests/grading pin it to numpy_nn's backward)."""
    da = dh_t * (1 - h_t * h_t)  # (B, H) gradient at the pre-activation
    db = da.sum(axis=0)  # (H,)
    return da @ W_ih, da @ W_hh, da.T @ x_t, da.T @ h_prev, db, db.copy()


def _sequence_backward_inputs(fill, T, B, D, H, upstream=1.0, carried=1.0):
    """(dh, dh_n, x, h0, h, W_ih, W_hh); ``upstream``/``carried`` scale dh and dh_n (0 = none)."""
    from course_rnn.numpy_nn.rnn import rnn_forward

    x, h0, W_ih, W_hh, b_ih, b_hh = _sequence_inputs(fill, T, B, D, H)
    params = {"weight_ih_l0": W_ih, "weight_hh_l0": W_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}
    h, _, _ = rnn_forward(x, params, h0[None])
    dh = fill((T, B, H), -0.9, 1.1) * upstream
    dh_n = fill((B, H), 0.7, -0.5) * carried
    return dh, dh_n, x, h0, h, W_ih, W_hh


def _sequence_backward_reference(dh, dh_n, x, h0, h, W_ih, W_hh):
    T = x.shape[0]
    grads = [np.zeros_like(a) for a in (x[0], h0, W_ih, W_hh, W_hh[0], W_hh[0])]
    dx = np.zeros_like(x)
    dh_next = dh_n
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[t - 1]
        step = _step_backward_reference(dh[t] + dh_next, x[t], h_prev, h[t], W_ih, W_hh)
        dx[t], dh_next = step[0], step[1]
        for g, d in zip(grads[2:], step[2:], strict=True):
            g += d
    return (dx, dh_next, *grads[2:])


def _clip_inputs(fill, H, D, max_norm, scale=1.0):
    grads = [fill(shape, -1.2, 1.0) * scale for shape in ((H, D), (H, H), (H,), (H,))]
    return (float(max_norm), *grads)


def _clip_reference(max_norm, *grads):
    from course_rnn.numpy_nn.optim import clip_grad_norm

    grads = {str(i): np.array(g) for i, g in enumerate(grads)}
    total = clip_grad_norm(grads, max_norm)
    return (total, *grads.values())


def _numgrad_inputs(fill, N, D, M):
    x = fill((N, D), -0.9, 1.2)
    dout = fill((N, M), 1.0, -0.6)
    A = fill((D, M), -0.7, 0.8)
    return x, dout, A


def _numgrad_reference(x, dout, A):
    """Analytic gradient of sum(f(x) * dout) for the harness's f(z) = tanh(z A) + z³ A / 3."""
    y = np.tanh(x @ A)  # (N, M)
    dx = (dout * (1 - y * y)) @ A.T + x**2 * (dout @ A.T)  # (N, D)
    return x.copy(), dx


_DA = "da = dh_t * (1 - h_t**2) is the gradient at the pre-activation"
_STEP_OUTPUTS = (
    Output("dx_t", "B D", "gradient", f"dx_t = da @ W_ih, where {_DA}."),
    Output("dh_prev", "B H", "gradient", "dh_prev = da @ W_hh (not W_hh.T)."),
    Output("dW_ih", "H D", "gradient", "dW_ih = da.T @ x_t, shaped like W_ih."),
    Output(
        "dW_hh",
        "H H",
        "gradient",
        "dW_hh = da.T @ h_prev: the state that went *into* the step, not h_t.",
    ),
    Output("db_ih", "H", "gradient", "db_ih = da summed over the batch axis."),
    Output("db_hh", "H", "gradient", "db_hh equals db_ih: both biases are added to a."),
)
_CARRY = (
    "at step t the gradient reaching h[t] is dh[t] plus the gradient carried back from step "
    "t + 1 (dh_n at the last step)"
)

TASKS = (
    Task(
        name="rnn_step_backward",
        params=("dh_t", "x_t", "h_prev", "h_t", "W_ih", "W_hh"),
        outputs=_STEP_OUTPUTS,
        build=_step_backward_inputs,
        reference=_step_backward_reference,
        public={"B": 3, "D": 2, "H": 4},
        edges=(Edge("B = 1 and H = 1", {"B": 1, "D": 3, "H": 1}),),
    ),
    Task(
        name="rnn_backward",
        params=("dh", "dh_n", "x", "h0", "h", "W_ih", "W_hh"),
        outputs=(
            Output("dx", "T B D", "gradient", f"dx[t] = da_t @ W_ih; {_CARRY}."),
            Output("dh0", "B H", "gradient", f"dh0 is what flows out of step 0; {_CARRY}."),
            Output("dW_ih", "H D", "gradient", "accumulate (+=) dW_ih over every step."),
            Output("dW_hh", "H H", "gradient", "accumulate da_t.T @ h[t - 1] (h0 at t = 0)."),
            Output("db_ih", "H", "gradient", "accumulate db_ih over every step."),
            Output("db_hh", "H", "gradient", "accumulate db_hh over every step."),
        ),
        build=_sequence_backward_inputs,
        reference=_sequence_backward_reference,
        public={"T": 4, "B": 2, "D": 3, "H": 5},
        edges=(
            Edge("T = 1 (a single step)", {"T": 1, "B": 2, "D": 3, "H": 4}),
            Edge(
                "no loss on the outputs (dh = 0, only dh_n)",
                {"T": 3, "B": 2, "D": 2, "H": 3, "upstream": 0.0},
            ),
        ),
    ),
    Task(
        name="clip_grad_norm",
        params=("grads", "max_norm"),
        outputs=(
            Output(
                "total_norm",
                "",
                hint="the norm of all entries of all gradients together, before clipping.",
            ),
            *(
                Output(
                    f'grads["{name}"]',
                    shape,
                    hint="scale every gradient by the same factor max_norm / (total_norm + 1e-6) "
                    "when that factor is below 1, in place; leave them unchanged otherwise.",
                )
                for name, shape in (
                    ("weight_ih", "H D"),
                    ("weight_hh", "H H"),
                    ("bias_ih", "H"),
                    ("bias_hh", "H"),
                )
            ),
        ),
        build=_clip_inputs,
        reference=_clip_reference,
        public={"H": 3, "D": 2, "max_norm": 1.0},
        edges=(
            Edge("a total norm below max_norm", {"H": 2, "D": 3, "max_norm": 100.0}),
            Edge("all gradients zero", {"H": 2, "D": 2, "max_norm": 1.0, "scale": 0.0}),
        ),
        harness=clip_grad_norm_harness,
        rtol=1e-5,
    ),
    Task(
        name="numerical_gradient",
        params=("f", "x", "dout"),
        outputs=(
            Output(
                "x after the call",
                "N D",
                hint="restore x[i] after each perturbation (or perturb a copy).",
            ),
            Output(
                "dx",
                "N D",
                "gradient",
                "dx[i] = sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2 h), central differences "
                "with a small h such as 1e-5.",
            ),
        ),
        build=_numgrad_inputs,
        reference=_numgrad_reference,
        public={"N": 2, "D": 3, "M": 4},
        edges=(Edge("x of shape (1, 1)", {"N": 1, "D": 1, "M": 3}),),
        harness=numerical_gradient_harness,
        timeout=5.0,
        rtol=1e-6,
        atol=1e-8,
    ),
)
