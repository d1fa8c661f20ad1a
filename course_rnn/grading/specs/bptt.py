"""Public spec of the exercise "bptt": every backward pass of a character model, and two tools.

Seven tasks: a gradient checker by central differences; the backward pass of one RNN step and of
a sequence (with the gradient ``dh_n`` carried in from later, as truncated BPTT hands it over);
the backward passes of the output layer and of the embedding (a scatter-add); the masked
softmax cross-entropy with its gradient; gradient-norm clipping equal to
``torch.nn.utils.clip_grad_norm_`` (one global norm, in place).

The backward functions take the forward's arrays explicitly (no opaque cache) and return the
gradients in the order of the forward's inputs, then the parameters' (CONTRIBUTING.md, "Code
style"). The upstream gradient from the outputs is ``dout``; ``dh_t`` always means the total
dL/dh_t.

Book: "Backpropagation through time" (the step, the recursion, "Through the output layer",
clipping, "Checking a backward pass"). References: the package's NumPy backward passes.
"""

import numpy as np

from course_rnn.grading.harness import clip_grad_norm_harness, numerical_gradient_harness
from course_rnn.grading.specs.hidden_state import (
    _sequence_inputs,
    _step_inputs,
    tokens_from,
    torch_keys,
)
from course_rnn.grading.tasks import Edge, Output, Task


def padding_mask(T, B):
    """(T, B) bool: sequence b has length T - (b mod T) (the first full, the others padded)."""
    lengths = T - np.arange(B) % T  # (B,) each at least 1
    return np.arange(T)[:, None] < lengths[None, :]


def _numgrad_inputs(fill, N, D, M, layout=0, view=0):
    """(x, dout, A, layout, view) for numerical_gradient_harness; dout is shaped like f(x)."""
    x = fill((N, D), -0.9, 1.2)
    dout = fill((D, N) if view else (N, M), 1.0, -0.6)
    A = fill((D, M), -0.7, 0.8)
    return x, dout, A, int(layout), int(view)


def _numgrad_reference(x, dout, A, layout, view):
    """Analytic gradient of sum(f(x) * dout) for the harness's f; x is unchanged."""
    if view:  # f(z) = z.T
        return x.copy(), dout.T.copy()
    y = np.tanh(x @ A)  # (N, M), f(z) = tanh(z A) + z³ A / 3
    dx = (dout * (1 - y * y)) @ A.T + x**2 * (dout @ A.T)  # (N, D)
    return x.copy(), dx


def _step_backward_inputs(fill, B, D, H, scale=1.0):
    """dh_t and the forward's values: (dh_t, x_t, h_prev, h_t, W_ih, W_hh)."""
    from course_rnn.numpy_nn.rnn import rnn_step_forward

    x_t, h_prev, W_ih, W_hh, b_ih, b_hh = _step_inputs(fill, B, D, H, scale)
    h_t, _ = rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    dh_t = fill((B, H), -1.0, 0.8)
    return dh_t, x_t, h_prev, h_t, W_ih, W_hh


def _step_backward_reference(dh_t, x_t, h_prev, h_t, W_ih, W_hh):
    from course_rnn.numpy_nn.rnn import rnn_step_backward

    return rnn_step_backward(dh_t, (x_t, h_prev, W_ih, W_hh, h_t))


def _sequence_backward_inputs(fill, T, B, D, H, upstream=1.0, carried=1.0):
    """(dout, dh_n, x, h0, h, W_ih, W_hh); ``upstream``/``carried`` scale dout and dh_n."""
    from course_rnn.numpy_nn.rnn import rnn_forward

    x, h0, W_ih, W_hh, b_ih, b_hh = _sequence_inputs(fill, T, B, D, H)
    h, _, _ = rnn_forward(x, torch_keys(W_ih, W_hh, b_ih, b_hh), h0[None])
    dout = fill((T, B, H), -0.9, 1.1) * upstream
    dh_n = fill((B, H), 0.7, -0.5) * carried
    return dout, dh_n, x, h0, h, W_ih, W_hh


def _sequence_backward_reference(dout, dh_n, x, h0, h, W_ih, W_hh):
    """Steps backwards with the package's step backward, the total dh_t = dout[t] + carried."""
    grads = [np.zeros_like(a) for a in (W_ih, W_hh, W_hh[0], W_hh[0])]
    dx = np.zeros_like(x)
    dh_next = dh_n  # (B, H)
    for t in reversed(range(x.shape[0])):
        h_prev = h0 if t == 0 else h[t - 1]
        dx[t], dh_next, *step = _step_backward_reference(
            dout[t] + dh_next, x[t], h_prev, h[t], W_ih, W_hh
        )
        for g, d in zip(grads, step, strict=True):
            g += d
    return (dx, dh_next, *grads)


def _affine_backward_inputs(fill, T, B, H, V):
    """(do, h, W_hy)."""
    do = fill((T, B, V), 0.8, -0.7)
    h = fill((T, B, H), -0.9, 0.9)
    W_hy = fill((V, H), -0.6, 0.5)
    return do, h, W_hy


def _affine_backward_reference(do, h, W_hy):
    from course_rnn.numpy_nn.layers import temporal_affine_backward

    return temporal_affine_backward(do, (h, W_hy))


def _cross_entropy_inputs(fill, T, B, V, full=0, pad=0, scale=1.0):
    """(o, y, mask): sequence b padded after its length; ``pad`` != 0 puts ``pad`` in y there."""
    o = fill((T, B, V), -2.0, 1.5) * scale
    y = tokens_from(fill, (T, B), V)[::-1].copy()  # not sorted like o's rows
    mask = np.ones((T, B), bool) if full else padding_mask(T, B)
    if pad:
        y[~mask] = int(pad)
    return o, y, mask


def _cross_entropy_reference(o, y, mask):
    from course_rnn.numpy_nn.functional import softmax_cross_entropy

    return softmax_cross_entropy(o, y, mask)


def _embedding_backward_inputs(fill, T, B, V, D, same=0):
    """(dx, tokens, V); linspace tokens repeat, ``same`` = 1 puts one token everywhere."""
    dx = fill((T, B, D), -1.0, 0.9)
    tokens = tokens_from(fill, (T, B), min(V, T * B))  # with V > T*B, some tokens never occur
    if same:
        tokens[:] = V - 1
    return dx, tokens, int(V)


def _embedding_backward_reference(dx, tokens, V):
    from course_rnn.numpy_nn.layers import embedding_backward

    return (embedding_backward(dx, tokens, V),)


def _clip_inputs(fill, H, D, max_norm, scale=1.0):
    grads = [fill(shape, -1.2, 1.0) * scale for shape in ((H, D), (H, H), (H,), (H,))]
    return (float(max_norm), *grads)


def _clip_reference(max_norm, *grads):
    from course_rnn.numpy_nn.optim import clip_grad_norm

    grads = {str(i): np.array(g) for i, g in enumerate(grads)}
    total = clip_grad_norm(grads, max_norm)
    return (total, *grads.values())


_STEP_OUTPUTS = (
    Output("dx_t", "B D", "gradient", "dx_t = da @ W_ih, where da = dh_t * (1 - h_t**2)."),
    Output("dh_prev", "B H", "gradient", "dh_prev = da @ W_hh (not W_hh.T)."),
    Output("dW_ih", "H D", "gradient", "dW_ih = da.T @ x_t, shaped like W_ih."),
    Output(
        "dW_hh",
        "H H",
        "gradient",
        "dW_hh = da.T @ h_prev: the state that went *into* the step, not h_t.",
    ),
    Output("db_ih", "H", "gradient", "db_ih = da summed over the batch axis."),
    Output("db_hh", "H", "gradient", "db_hh equals db_ih: both biases are added to a_t."),
)
_CARRY = (
    "the total dh_t at step t is dout[t] plus the gradient carried back from step t + 1 "
    "(dh_n at the last step)"
)

TASKS = (
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
                "with a small h such as 1e-5; reduce f's output to a number before perturbing "
                "x again (f may return a view of x), and write through x itself, not a "
                "flattened copy (x may not be contiguous).",
            ),
        ),
        build=_numgrad_inputs,
        reference=_numgrad_reference,
        public={"N": 2, "D": 3, "M": 4},
        edges=(
            Edge("x of shape (1, 1)", {"N": 1, "D": 1, "M": 3}),
            Edge(
                "x not contiguous (Fortran order, as a transposed array)",
                {"N": 3, "D": 2, "M": 2, "layout": 1},
            ),
            Edge("x not contiguous (every other column)", {"N": 2, "D": 3, "M": 2, "layout": 2}),
            Edge(
                "f returning a view of its input, f(z) = z.T", {"N": 2, "D": 3, "M": 1, "view": 1}
            ),
        ),
        harness=numerical_gradient_harness,
        timeout=5.0,
        rtol=1e-6,
        atol=1e-8,
    ),
    Task(
        name="rnn_step_backward",
        params=("dh_t", "x_t", "h_prev", "h_t", "W_ih", "W_hh"),
        outputs=_STEP_OUTPUTS,
        build=_step_backward_inputs,
        reference=_step_backward_reference,
        public={"B": 3, "D": 2, "H": 4},
        edges=(
            Edge("B = 1 and H = 1", {"B": 1, "D": 3, "H": 1}),
            Edge("D = 1", {"B": 2, "D": 1, "H": 3}),
        ),
    ),
    Task(
        name="rnn_backward",
        params=("dout", "dh_n", "x", "h0", "h", "W_ih", "W_hh"),
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
                "no loss on the outputs (dout = 0, only dh_n)",
                {"T": 3, "B": 2, "D": 2, "H": 3, "upstream": 0.0},
            ),
            Edge("nothing carried in (dh_n = 0)", {"T": 3, "B": 1, "D": 2, "H": 3, "carried": 0.0}),
        ),
    ),
    Task(
        name="temporal_affine_backward",
        params=("do", "h", "W_hy"),
        outputs=(
            Output("dh", "T B H", "gradient", "dh[t] = do[t] @ W_hy, shaped like h."),
            Output(
                "dW_hy",
                "V H",
                "gradient",
                "dW_hy sums do[t, b] (outer) h[t, b] over every step and sequence: flatten "
                "(T, B) into one axis of T·B rows, then do_flat.T @ h_flat.",
            ),
            Output("db_y", "V", "gradient", "db_y sums do over the steps and the batch."),
        ),
        build=_affine_backward_inputs,
        reference=_affine_backward_reference,
        public={"T": 3, "B": 2, "H": 4, "V": 5},
        edges=(
            Edge("T = 1 and B = 1", {"T": 1, "B": 1, "H": 3, "V": 4}),
            Edge("V = 1 (a single output)", {"T": 2, "B": 3, "H": 2, "V": 1}),
        ),
    ),
    Task(
        name="softmax_cross_entropy",
        params=("o", "y", "mask"),
        outputs=(
            Output(
                "L",
                "",
                hint="L = -(1/N) sum over unmasked (t, b) of log softmax(o[t, b])[y[t, b]], with "
                "N = mask.sum(), the number of unmasked positions (not T·B).",
            ),
            Output(
                "do",
                "T B V",
                "gradient",
                "do = (softmax(o) - one_hot(y)) / N at unmasked positions and 0 at masked ones.",
            ),
        ),
        build=_cross_entropy_inputs,
        reference=_cross_entropy_reference,
        public={"T": 4, "B": 3, "V": 5},
        edges=(
            Edge("no padding (mask all True)", {"T": 3, "B": 2, "V": 4, "full": 1}),
            Edge("padded targets holding -100", {"T": 3, "B": 3, "V": 4, "pad": -100}),
            Edge("logits near ±1000", {"T": 2, "B": 2, "V": 6, "full": 1, "scale": 600}),
            Edge("T = 1 and B = 1", {"T": 1, "B": 1, "V": 3}),
            Edge("V = 1 (every target certain)", {"T": 2, "B": 2, "V": 1}),
        ),
    ),
    Task(
        name="embedding_backward",
        params=("dx", "tokens", "V"),
        outputs=(
            Output(
                "dE",
                "V D",
                "gradient",
                "row v of dE sums dx over every position holding token v: np.add.at(dE, "
                "tokens, dx) adds repeated tokens where dE[tokens] += dx keeps only one.",
            ),
        ),
        build=_embedding_backward_inputs,
        reference=_embedding_backward_reference,
        public={"T": 4, "B": 3, "V": 5, "D": 2},
        edges=(
            Edge("one token at every position", {"T": 3, "B": 2, "V": 4, "D": 3, "same": 1}),
            Edge("tokens that never occur (V > T·B)", {"T": 2, "B": 2, "V": 7, "D": 2}),
            Edge("V = 1", {"T": 2, "B": 3, "V": 1, "D": 2}),
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
)
