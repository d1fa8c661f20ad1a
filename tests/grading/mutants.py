"""Known-wrong versions of the exercise functions, each with the check it must fail.

Each mutant is one classic mistake (STYLE.md §3.9), written as a student would write it. The
tests assert that the self-check and the grader stop at the intended stage with a message that
names the wrong output, and that the grader's hidden cases fail too.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str  # short id, also the student folder's name in grader tests
    exercise: str
    function: str
    source: str
    stage: str  # the stage the public checks must stop at
    says: str  # a fragment the message must contain
    hidden_fails: bool = True  # False where the mistake only shows on a public edge case


STEP = "def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):\n    return {}\n"
SEQ = """def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h, h_t = [], h0
    for t in range(x.shape[0]):
        {body}
    return np.stack(h), {h_n}
"""
SOFTMAX = "def softmax_with_temperature(logits, temperature):\n{}\n"
SAMPLE = """def sample_tokens(logits, temperature, u):
    probs = softmax_with_temperature(logits, temperature)
    {}
"""
STEP_BACK = """def rnn_step_backward(dh_t, x_t, h_prev, h_t, W_ih, W_hh):
    da = dh_t * (1 - h_t**2)
    return {}
"""
SEQ_BACK = """def rnn_backward(dh, dh_n, x, h0, h, W_ih, W_hh):
    dx = np.zeros_like(x)
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = dh_n
    for t in reversed(range(x.shape[0])):
        h_prev = h0 if t == 0 else h[t - 1]
        {carry}
        da = g * (1 - h[t] ** 2)
        dx[t] = da @ W_ih
        dW_ih {acc} da.T @ x[t]
        dW_hh += da.T @ h_prev
        db += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_ih, dW_hh, db, db.copy()
"""
CLIP = """def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
{}
    return total
"""
NUMGRAD = """def numerical_gradient(f, x, dout, h=1e-5):
    dx = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
{}
    return dx
"""
GOOD_TANH = "np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)"

MUTANTS = (
    Mutant(
        "step_w_hh_not_transposed",
        "hidden_state",
        "rnn_step_forward",
        STEP.format("np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh + b_hh)"),
        "values",
        "h_t is wrong",
    ),
    Mutant(
        "step_missing_b_hh",
        "hidden_state",
        "rnn_step_forward",
        STEP.format("np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T)"),
        "values",
        "both biases",
    ),
    Mutant(
        "step_transposed_output",
        "hidden_state",
        "rnn_step_forward",
        STEP.format(GOOD_TANH + ".T"),
        "shapes",
        "h_t has shape (4, 3); expected (B, H) = (3, 4)",
    ),
    Mutant(
        "step_naive_tanh",
        "hidden_state",
        "rnn_step_forward",
        STEP.format(
            "(lambda a: (np.exp(2 * a) - 1) / (np.exp(2 * a) + 1))"
            "(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)"
        ),
        "edge cases",
        "with large inputs",
        hidden_fails=False,
    ),
    Mutant(
        "step_missing_parameter",
        "hidden_state",
        "rnn_step_forward",
        "def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih):\n    return x_t\n",
        "signature",
        "keep the parameters",
    ),
    Mutant(
        "seq_ignores_h0",
        "hidden_state",
        "rnn_forward",
        SEQ.format(
            body="h_t = rnn_step_forward(x[t], h_t if t else 0 * h0, W_ih, W_hh, b_ih, "
            "b_hh)\n        h.append(h_t)",
            h_n="h_t",
        ),
        "values",
        "start the loop from h0",
    ),
    Mutant(
        "seq_stores_h_prev",
        "hidden_state",
        "rnn_forward",
        SEQ.format(
            body="h.append(h_t)\n        h_t = rnn_step_forward(x[t], h_t, W_ih, W_hh, b_ih, b_hh)",
            h_n="h_t",
        ),
        "values",
        "h is wrong",
    ),
    Mutant(
        "seq_h_n_is_first_state",
        "hidden_state",
        "rnn_forward",
        SEQ.format(
            body="h_t = rnn_step_forward(x[t], h_t, W_ih, W_hh, b_ih, b_hh)\n        h.append(h_t)",
            h_n="h[0]",
        ),
        "values",
        "h_n is wrong",
    ),
    Mutant(
        "softmax_wrong_axis",
        "hidden_state",
        "softmax_with_temperature",
        SOFTMAX.format("    e = np.exp(logits / temperature)\n    return e / e.sum(axis=0)"),
        "values",
        "probs is wrong",
    ),
    Mutant(
        "softmax_unstable",
        "hidden_state",
        "softmax_with_temperature",
        SOFTMAX.format(
            "    e = np.exp(logits / temperature)\n    return e / e.sum(axis=-1, keepdims=True)"
        ),
        "edge cases",
        "with logits near ±1000",
    ),
    Mutant(
        "softmax_times_temperature",
        "hidden_state",
        "softmax_with_temperature",
        SOFTMAX.format(
            "    z = logits * temperature\n    e = np.exp(z - z.max(-1, keepdims=True))\n"
            "    return e / e.sum(axis=-1, keepdims=True)"
        ),
        "values",
        "probs is wrong",
    ),
    Mutant(
        "sample_argmax",
        "hidden_state",
        "sample_tokens",
        SAMPLE.format("return probs.argmax(axis=-1)"),
        "values",
        "ids is wrong",
    ),
    Mutant(
        "sample_float_ids",
        "hidden_state",
        "sample_tokens",
        SAMPLE.format("return (np.cumsum(probs, -1) <= u[:, None]).sum(-1).astype(float)"),
        "shapes",
        "ids has dtype float64; expected integers",
    ),
    Mutant(
        "step_back_h_t_in_dW_hh",
        "bptt",
        "rnn_step_backward",
        STEP_BACK.format("da @ W_ih, da @ W_hh, da.T @ x_t, da.T @ h_t, da.sum(0), da.sum(0)"),
        "gradient check",
        "wrong: dW_hh (right: dx_t, dh_prev, dW_ih, db_ih, db_hh)",
    ),
    Mutant(
        "step_back_dh_prev_transposed",
        "bptt",
        "rnn_step_backward",
        STEP_BACK.format("da @ W_ih, da @ W_hh.T, da.T @ x_t, da.T @ h_prev, da.sum(0), da.sum(0)"),
        "gradient check",
        "dh_prev is wrong",
    ),
    Mutant(
        "seq_back_dW_not_accumulated",
        "bptt",
        "rnn_backward",
        SEQ_BACK.format(carry="g = dh[t] + dh_next", acc="="),
        "gradient check",
        "wrong: dW_ih (right: dx, dh0, dW_hh, db_ih, db_hh)",
    ),
    Mutant(
        "seq_back_upstream_not_added",
        "bptt",
        "rnn_backward",
        SEQ_BACK.format(carry="g = dh_next", acc="+="),
        "gradient check",
        "dx is wrong",
    ),
    Mutant(
        "seq_back_ignores_dh_n",
        "bptt",
        "rnn_backward",
        SEQ_BACK.format(carry="g = dh[t] + (0 if t == x.shape[0] - 1 else dh_next)", acc="+="),
        "gradient check",
        "dh_n at the last step",
    ),
    Mutant(
        "clip_per_tensor",
        "bptt",
        "clip_grad_norm",
        CLIP.format(
            "    for g in grads.values():\n        n = np.sqrt(np.sum(g * g))\n"
            "        if n > max_norm:\n            g *= max_norm / n"
        ),
        "values",
        'grads["weight_ih"] is wrong',
    ),
    Mutant(
        "clip_always_rescales",
        "bptt",
        "clip_grad_norm",
        CLIP.format("    for g in grads.values():\n        g *= max_norm / (total + 1e-6)"),
        "edge cases",
        "with a total norm below max_norm",
    ),
    Mutant(
        "numgrad_forward_difference",
        "bptt",
        "numerical_gradient",
        NUMGRAD.format(
            "        x[i] = old + h\n        plus = np.sum(f(x) * dout)\n"
            "        x[i] = old\n        dx[i] = (plus - np.sum(f(x) * dout)) / h"
        ),
        "gradient check",
        "central differences",
    ),
    Mutant(
        "numgrad_does_not_restore_x",
        "bptt",
        "numerical_gradient",
        NUMGRAD.format(
            "        x[i] = old + h\n        plus = np.sum(f(x) * dout)\n"
            "        x[i] = old - h\n        dx[i] = (plus - np.sum(f(x) * dout)) / (2 * h)"
        ),
        "values",
        "x after the call is wrong",
    ),
    Mutant(
        "numgrad_ignores_dout",
        "bptt",
        "numerical_gradient",
        NUMGRAD.format(
            "        x[i] = old + h\n        plus = np.sum(f(x))\n        x[i] = old - h\n"
            "        minus = np.sum(f(x))\n        x[i] = old\n"
            "        dx[i] = (plus - minus) / (2 * h)"
        ),
        "gradient check",
        "dx is wrong",
    ),
)
