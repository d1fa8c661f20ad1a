"""Known-wrong versions of the exercise functions, each with the check it must fail.

Each mutant is one classic mistake (CONTRIBUTING.md, "Adding an exercise"), written as a student
would write it. The tests assert that the self-check and the grader stop at the intended stage with
a message that says what is wrong (the diagnosis, shown before any hint), and that the grader's
hidden cases fail too. Every graded task has at least two mutants.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str  # short id, also the student folder's name in grader tests
    exercise: str
    function: str
    source: str
    stage: str  # the stage the public checks must stop at
    says: str  # a fragment the message must contain (the self-check's and the grader's)
    hidden_fails: bool = True  # False where the mistake only shows on a public edge case


# --- hidden_state ---------------------------------------------------------------------------------

STEP = "def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):\n    return {}\n"
SEQ = """def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h, h_t = [], h0
    for t in range(x.shape[0]):
        {body}
    return np.stack(h), {h_n}
"""
EMBED = "def embedding_forward(tokens, E):\n    return {}\n"
AFFINE = "def temporal_affine_forward(h, W_hy, b_y):\n{}\n"
GOOD_TANH = "np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)"

HIDDEN_STATE = (
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
        "h_t is wrong at",
    ),
    Mutant(
        "step_w_ih_not_transposed",
        "hidden_state",
        "rnn_step_forward",
        STEP.format("np.tanh(x_t @ W_ih + b_ih + h_prev @ W_hh.T + b_hh)"),
        "shapes",
        "inner dimensions 2 and 4 differ",
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
        "h is wrong at [0,",
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
        "wrong: h (right: h_n)",
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
        "wrong: h_n (right: h)",
    ),
    Mutant(
        "embed_tokens_transposed",
        "hidden_state",
        "embedding_forward",
        EMBED.format("E[tokens.T]"),
        "shapes",
        "x has shape (3, 4, 2); expected (T, B, D) = (4, 3, 2) (the right sizes in another order",
    ),
    Mutant(
        "embed_take_without_axis",
        "hidden_state",
        "embedding_forward",
        EMBED.format("np.take(E, tokens)"),
        "shapes",
        "x has shape (4, 3); expected (T, B, D) = (4, 3, 2) (the last axis, of length 2, is "
        "missing)",
    ),
    Mutant(
        "embed_float_ids",
        "hidden_state",
        "embedding_forward",
        EMBED.format("E[tokens / 1]"),
        "shapes",
        "an array used as an index must hold integers",
    ),
    Mutant(
        "affine_not_transposed",
        "hidden_state",
        "temporal_affine_forward",
        AFFINE.format("    return h @ W_hy + b_y"),
        "shapes",
        "inner dimensions 4 and 5 differ",
    ),
    Mutant(
        "affine_missing_bias",
        "hidden_state",
        "temporal_affine_forward",
        AFFINE.format("    return h @ W_hy.T"),
        "values",
        "o is wrong at",
    ),
    Mutant(
        "affine_transposes_when_shapes_differ",
        "hidden_state",
        "temporal_affine_forward",
        AFFINE.format(
            "    W = W_hy if W_hy.shape[0] == h.shape[-1] else W_hy.T  # make the shapes fit\n"
            "    return h @ W + b_y"
        ),
        "edge cases",
        "with V = H (a square W_hy)",
    ),
)

# --- bptt -----------------------------------------------------------------------------------------

NUMGRAD = """def numerical_gradient(f, x, dout, h=1e-5):
    dx = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
{}
    return dx
"""
STEP_BACK = """def rnn_step_backward(dh_t, x_t, h_prev, h_t, W_ih, W_hh):
    da = dh_t * (1 - h_t**2)
    return {}
"""
SEQ_BACK = """def rnn_backward(dout, dh_n, x, h0, h, W_ih, W_hh):
    dx = np.zeros_like(x)
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = dh_n
    for t in reversed(range(x.shape[0])):
        h_prev = h0 if t == 0 else h[t - 1]
        {carry}
        da = dh_t * (1 - h[t] ** 2)
        dx[t] = da @ W_ih
        dW_ih {acc} da.T @ x[t]
        dW_hh += da.T @ h_prev
        db += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_ih, dW_hh, db, db.copy()
"""
AFFINE_BACK = """def temporal_affine_backward(do, h, W_hy):
    V, H = W_hy.shape
    dh = do @ W_hy
    {}
    return dh, dW_hy, db_y
"""
GOOD_DW_HY = "dW_hy = do.reshape(-1, V).T @ h.reshape(-1, H)"
CE = """def softmax_cross_entropy(o, y, mask):
    T, B, V = o.shape
    N = {n}
    y_safe = {y_safe}
    z = o - o.max(axis=-1, keepdims=True){shift}
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    p_y = np.take_along_axis(p, y_safe[..., None], axis=-1)[..., 0]
    L = -np.sum(np.log(p_y) * mask) / N
    one_hot = np.eye(V)[y_safe]
    return float(L), (p - one_hot) {mask_do} / N
"""
GOOD_CE = {
    "n": "mask.sum()",
    "y_safe": "np.where(mask, y, 0)",
    "shift": "",
    "mask_do": "* mask[..., None]",
}
EMBED_BACK = """def embedding_backward(dx, tokens, V):
    dE = np.zeros((V, dx.shape[-1]))
    {}
    return dE
"""
CLIP = """def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
{}
    return total
"""

BPTT = (
    Mutant(
        "numgrad_forward_difference",
        "bptt",
        "numerical_gradient",
        NUMGRAD.format(
            "        x[i] = old + h\n        plus = np.sum(f(x) * dout)\n"
            "        x[i] = old\n        dx[i] = (plus - np.sum(f(x) * dout)) / h"
        ),
        "gradient check",
        "dx is wrong at",
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
    Mutant(
        "numgrad_perturbs_a_flat_copy",
        "bptt",
        "numerical_gradient",
        """def numerical_gradient(f, x, dout, h=1e-5):
    flat, dx = x.reshape(-1), np.zeros(x.size)
    for i in range(x.size):
        old = flat[i]
        flat[i] = old + h
        plus = np.sum(f(x) * dout)
        flat[i] = old - h
        minus = np.sum(f(x) * dout)
        flat[i] = old
        dx[i] = (plus - minus) / (2 * h)
    return dx.reshape(x.shape)
""",
        "edge cases",
        "with x not contiguous (Fortran order, as a transposed array): wrong: dx (right: x after "
        "the call). dx is wrong at [0, 0]: yours 0,",
    ),
    Mutant(
        "numgrad_keeps_outputs_of_f",
        "bptt",
        "numerical_gradient",
        NUMGRAD.format(
            "        x[i] = old + h\n        plus = f(x)\n        x[i] = old - h\n"
            "        minus = f(x)\n        x[i] = old\n"
            "        dx[i] = np.sum((plus - minus) * dout) / (2 * h)"
        ),
        "edge cases",
        "with f returning a view of its input, f(z) = z.T: wrong: dx",
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
        "step_back_tanh_derivative",
        "bptt",
        "rnn_step_backward",
        """def rnn_step_backward(dh_t, x_t, h_prev, h_t, W_ih, W_hh):
    da = dh_t * (1 - np.tanh(h_t) ** 2)
    return da @ W_ih, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(0), da.sum(0)
""",
        "gradient check",
        "wrong: dx_t, dh_prev, dW_ih, dW_hh, db_ih, db_hh (right: none)",
    ),
    Mutant(
        "step_back_dW_ih_transposed",
        "bptt",
        "rnn_step_backward",
        STEP_BACK.format("da @ W_ih, da @ W_hh, x_t.T @ da, da.T @ h_prev, da.sum(0), da.sum(0)"),
        "shapes",
        "dW_ih has shape (2, 4); expected (H, D) = (4, 2)",
    ),
    Mutant(
        "seq_back_dW_not_accumulated",
        "bptt",
        "rnn_backward",
        SEQ_BACK.format(carry="dh_t = dout[t] + dh_next", acc="="),
        "gradient check",
        "wrong: dW_ih (right: dx, dh0, dW_hh, db_ih, db_hh)",
    ),
    Mutant(
        "seq_back_upstream_not_added",
        "bptt",
        "rnn_backward",
        SEQ_BACK.format(carry="dh_t = dh_next", acc="+="),
        "gradient check",
        "dx is wrong",
    ),
    Mutant(
        "seq_back_ignores_dh_n",
        "bptt",
        "rnn_backward",
        SEQ_BACK.format(carry="dh_t = dout[t] + (0 if t == x.shape[0] - 1 else dh_next)", acc="+="),
        "gradient check",
        "dx is wrong",
    ),
    Mutant(
        "affine_back_dW_hy_transposed",
        "bptt",
        "temporal_affine_backward",
        AFFINE_BACK.format(
            "dW_hy = h.reshape(-1, H).T @ do.reshape(-1, V)\n    db_y = do.sum(axis=(0, 1))"
        ),
        "shapes",
        "dW_hy has shape (4, 5); expected (V, H) = (5, 4)",
    ),
    Mutant(
        "affine_back_db_y_last_step_only",
        "bptt",
        "temporal_affine_backward",
        AFFINE_BACK.format(GOOD_DW_HY + "\n    db_y = do[-1].sum(axis=0)"),
        "gradient check",
        "wrong: db_y (right: dh, dW_hy)",
    ),
    Mutant(
        "affine_back_dW_hy_first_step_only",
        "bptt",
        "temporal_affine_backward",
        AFFINE_BACK.format("dW_hy = do[0].T @ h[0]\n    db_y = do.sum(axis=(0, 1))"),
        "gradient check",
        "wrong: dW_hy (right: dh, db_y)",
    ),
    Mutant(
        "ce_mean_over_all_positions",
        "bptt",
        "softmax_cross_entropy",
        CE.format(**(GOOD_CE | {"n": "T * B"})),
        "values",
        "(yours / expected = 0.75)",
    ),
    Mutant(
        "ce_gradient_not_masked",
        "bptt",
        "softmax_cross_entropy",
        CE.format(**(GOOD_CE | {"mask_do": ""})),
        "gradient check",
        "only rows 2, 3 (first axis) differ",
    ),
    Mutant(
        "ce_no_max_subtracted",
        "bptt",
        "softmax_cross_entropy",
        CE.format(**(GOOD_CE | {"shift": " + o.max(axis=-1, keepdims=True)"})),
        "edge cases",
        "with logits near ±1000",
    ),
    Mutant(
        "ce_padding_used_as_index",
        "bptt",
        "softmax_cross_entropy",
        CE.format(**(GOOD_CE | {"y_safe": "y"})),
        "edge cases",
        "with padded targets holding -100: softmax_cross_entropy raised IndexError",
    ),
    Mutant(
        "embed_back_fancy_index_add",
        "bptt",
        "embedding_backward",
        EMBED_BACK.format("dE[tokens] += dx"),
        "gradient check",
        "dE is wrong at",
    ),
    Mutant(
        "embed_back_assignment",
        "bptt",
        "embedding_backward",
        EMBED_BACK.format("dE[tokens] = dx"),
        "gradient check",
        "dE is wrong at",
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
)

# --- language_model -------------------------------------------------------------------------------

SOFTMAX = "def softmax_with_temperature(logits, temperature):\n{}\n"
SAMPLE = """def sample_tokens(logits, temperature, u):
    probs = softmax_with_temperature(logits, temperature)
    cdf = np.cumsum(probs, axis=-1)
    {}
"""
BIGRAM = """def bigram_bits(train, test, V, alpha):
    counts = np.full((V, V), float(alpha))
    {count}
    probs = counts / counts.sum(axis={axis}, keepdims=True)
    return float(-np.mean(np.{log}(probs[test[:-1], test[1:]])))
"""
GOOD_COUNT = "np.add.at(counts, (train[:-1], train[1:]), 1.0)"
LOSS = """def char_rnn_loss(params, tokens, targets, mask, h0):
    E, W_ih, W_hh = params["E"], params["W_ih"], params["W_hh"]
    x = embedding_forward(tokens, E)
    h, h_n = rnn_forward(x, h0, W_ih, W_hh, params["b_ih"], params["b_hh"])
    o = temporal_affine_forward(h, params["W_hy"], params["b_y"])
    L, do = softmax_cross_entropy(o, targets, mask)
    dout, dW_hy, db_y = temporal_affine_backward(do, h, params["W_hy"])
    dh_n = np.zeros_like(h0)
    dx, _, dW_ih, dW_hh, db_ih, db_hh = rnn_backward({upstream}, dh_n, x, h0, h, W_ih, W_hh)
    dE = {dE}
    grads = dict(E=dE, W_ih=dW_ih, W_hh=dW_hh, b_ih=db_ih, b_hh=db_hh, W_hy=dW_hy, b_y=db_y)
    return L, grads, {h_n}
"""
GOOD_LOSS = {"upstream": "dout", "dE": "embedding_backward(dx, tokens, E.shape[0])", "h_n": "h_n"}
SEQUENCE = """def sample_sequence(params, first, u, temperature):
    N, B = u.shape
    h = np.zeros((B, params["W_hh"].shape[0]))
    token = first
    ids = np.empty((N, B), dtype=np.int64)
    for t in range(N):
        {body}
        ids[t] = token
    return ids
"""
READ = (
    'h = rnn_step_forward(params["E"][{read}], {state}, params["W_ih"], params["W_hh"], '
    'params["b_ih"], params["b_hh"])'
)
DRAW = 'token = sample_tokens(h @ params["W_hy"].T + params["b_y"], temperature, u[t])'
TRAIN = """def train_char_model(tokens, V, steps, seed):
    H, D, T, B, lr = 64, 16, 32, 32, 1e-2
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(H)
    params = {{
        "E": rng.normal(size=(V, D)),
        "W_ih": rng.uniform(-bound, bound, (H, D)),
        "W_hh": rng.uniform(-bound, bound, (H, H)),
        "b_ih": np.zeros(H),
        "b_hh": np.zeros(H),
        "W_hy": rng.uniform(-bound, bound, (V, H)),
        "b_y": np.zeros(V),
    }}
    m = {{k: np.zeros_like(p) for k, p in params.items()}}
    v = {{k: np.zeros_like(p) for k, p in params.items()}}
    mask, h0 = np.ones((T, B), bool), np.zeros((B, H))
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(tokens) - T, size=B)
        window = tokens[starts[:, None] + np.arange(T + 1)].T
        _, grads, _ = char_rnn_loss(params, window[:-1], {targets}, mask, h0)
        clip_grad_norm(grads, 5.0)
        for k, p in params.items():
            m[k] = 0.9 * m[k] + 0.1 * grads[k]
            v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
            p -= lr * (m[k] / (1 - 0.9**step)) / (np.sqrt(v[k] / (1 - 0.999**step)) + 1e-8)
    return {returned}
"""

LANGUAGE_MODEL = (
    Mutant(
        "softmax_wrong_axis",
        "language_model",
        "softmax_with_temperature",
        SOFTMAX.format("    e = np.exp(logits / temperature)\n    return e / e.sum(axis=0)"),
        "values",
        "probs is wrong",
    ),
    Mutant(
        "softmax_unstable",
        "language_model",
        "softmax_with_temperature",
        SOFTMAX.format(
            "    e = np.exp(logits / temperature)\n    return e / e.sum(axis=-1, keepdims=True)"
        ),
        "edge cases",
        "with logits near ±1000",
    ),
    Mutant(
        "softmax_times_temperature",
        "language_model",
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
        "language_model",
        "sample_tokens",
        SAMPLE.format("return probs.argmax(axis=-1)"),
        "values",
        "ids is wrong",
    ),
    Mutant(
        "sample_float_ids",
        "language_model",
        "sample_tokens",
        SAMPLE.format("return (cdf <= u[:, None]).sum(-1).astype(float)"),
        "shapes",
        "ids has dtype float64; expected integers",
    ),
    Mutant(
        "sample_searchsorted_past_the_end",
        "language_model",
        "sample_tokens",
        SAMPLE.format(
            "return np.array([np.searchsorted(c, x, side='right') for c, x in zip(cdf, u)])"
        ),
        "edge cases",
        "with the cumulative sum ending a hair below u (27 equal logits, u = 1 - 2**-53): ids "
        "is wrong at [0]: yours 27, expected 26",
    ),
    Mutant(
        "sample_first_above_u",
        "language_model",
        "sample_tokens",
        SAMPLE.format("return np.argmax(cdf > u[:, None], axis=-1)"),
        "edge cases",
        "with the cumulative sum ending a hair below u",
    ),
    Mutant(
        "bigram_fancy_index_counts",
        "language_model",
        "bigram_bits",
        BIGRAM.format(count="counts[train[:-1], train[1:]] += 1", axis=1, log="log2"),
        "values",
        "bits is",
    ),
    Mutant(
        "bigram_natural_log",
        "language_model",
        "bigram_bits",
        BIGRAM.format(count=GOOD_COUNT, axis=1, log="log"),
        "values",
        "(yours / expected = 0.6931)",
    ),
    Mutant(
        "bigram_normalised_by_columns",
        "language_model",
        "bigram_bits",
        BIGRAM.format(count=GOOD_COUNT, axis=0, log="log2"),
        "values",
        "bits is",
    ),
    Mutant(
        "loss_logit_gradient_into_rnn",
        "language_model",
        "char_rnn_loss",
        LOSS.format(**(GOOD_LOSS | {"upstream": "do"})),
        "shapes",
        "char_rnn_loss raised ValueError",
    ),
    Mutant(
        "loss_no_embedding_gradient",
        "language_model",
        "char_rnn_loss",
        LOSS.format(**(GOOD_LOSS | {"dE": "np.zeros_like(E)"})),
        "gradient check",
        'wrong: grads["E"] (right:',
    ),
    Mutant(
        "loss_returns_h0",
        "language_model",
        "char_rnn_loss",
        LOSS.format(**(GOOD_LOSS | {"h_n": "h0"})),
        "values",
        "wrong: h_n (right: L)",
    ),
    Mutant(
        "sequence_never_feeds_back",
        "language_model",
        "sample_sequence",
        SEQUENCE.format(body=READ.format(read="first", state="h") + "\n        " + DRAW),
        "values",
        "ids is wrong",
    ),
    Mutant(
        "sequence_forgets_the_state",
        "language_model",
        "sample_sequence",
        SEQUENCE.format(body=READ.format(read="token", state="0 * h") + "\n        " + DRAW),
        "values",
        "ids is wrong",
    ),
    Mutant(
        "sequence_draws_before_reading",
        "language_model",
        "sample_sequence",
        SEQUENCE.format(body=DRAW + "\n        " + READ.format(read="token", state="h")),
        "values",
        "ids is wrong",
    ),
    Mutant(
        "train_predicts_the_current_token",
        "language_model",
        "train_char_model",
        TRAIN.format(targets="window[:-1]", returned="params"),
        "values",
        "bits per character on held-out text; at most",
    ),
    Mutant(
        "train_returns_W_hy_transposed",
        "language_model",
        "train_char_model",
        TRAIN.format(targets="window[1:]", returned='params | {"W_hy": params["W_hy"].T}'),
        "shapes",
        'params["W_hy"] has shape (64, 16); expected (16, 64)',
    ),
    Mutant(
        "train_never_steps",
        "language_model",
        "train_char_model",
        TRAIN.format(targets="window[1:]", returned="params").replace(
            "range(1, steps + 1)", "range(1, 1)"
        ),
        "values",
        "bits per character on held-out text; at most",
    ),
)

# --- lstm -----------------------------------------------------------------------------------------

LSTM_STEP = """def lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    {sigmoid}
    i, f, g, o = {gates}
    c_t = {cell}
    tanh_c = np.tanh(c_t)
    return {h_t}, c_t, (x_t, h_prev, c_prev, W_ih, W_hh, i, f, g, o, tanh_c)
"""
GOOD_LSTM_STEP = {
    "sigmoid": "e = np.exp(-np.abs(a))\n    s = np.where(a >= 0, 1 / (1 + e), e / (1 + e))",
    "gates": "s[:, :H], s[:, H : 2 * H], np.tanh(a[:, 2 * H : 3 * H]), s[:, 3 * H :]",
    "cell": "f * c_prev + i * g",
    "h_t": "o * tanh_c",
}
LSTM_STEP_BACK = """def lstm_step_backward(dh_t, dc_t, cache):
    x_t, h_prev, c_prev, W_ih, W_hh, i, f, g, o, tanh_c = cache
    dc = {dc}
    da = np.concatenate(
        [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
         dh_t * tanh_c * o * (1 - o)],
        axis=1,
    )
    {db}
    return da @ W_ih, da @ W_hh, {dc_prev}, da.T @ x_t, da.T @ h_prev, db_ih, db_hh
"""
GOOD_LSTM_STEP_BACK = {
    "dc": "dc_t + dh_t * o * (1 - tanh_c**2)",
    "db": "db_ih = da.sum(axis=0)\n    db_hh = da.sum(axis=0)",
    "dc_prev": "dc * f",
}
LSTM_SEQ = """def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    h = {buffer}
    h_t, c_t = {start}
    for t in range(x.shape[0]):
        h_t, c_t, _ = lstm_step_forward(x[t], h_t, c_t, W_ih, W_hh, b_ih, b_hh)
        h[t] = h_t
    return h, h_t, {c_n}
"""
GOOD_LSTM_SEQ = {
    "buffer": "np.empty((x.shape[0], *h0.shape), dtype=x.dtype)",
    "start": "h0, c0",
    "c_n": "c_t",
}
LSTM_CACHES = """    caches, h_t, c_t = [], h0, c0
    for x_t in x:
        h_t, c_t, cache = lstm_step_forward(x_t, h_t, c_t, W_ih, W_hh, b_ih, b_hh)
        caches.append(cache)
    dx = np.empty_like(x)
"""
LSTM_SEQ_BACK = (
    "def lstm_backward(dout, dh_n, dc_n, x, h0, c0, W_ih, W_hh, b_ih, b_hh):\n"
    + LSTM_CACHES
    + """    dW_ih, dW_hh, db_ih, db_hh = {zeros}
    dh_next, dc_next = dh_n, dc_n
    for t in reversed(range(x.shape[0])):
        dx[t], dh_next, {dc_prev}, *grads = lstm_step_backward({dh}, dc_next, caches[t])
        for total, step in zip((dW_ih, dW_hh, db_ih, db_hh), grads):
            total += step
    return dx, dh_next, {dc_prev}, dW_ih, dW_hh, db_ih, db_hh
"""
)
GOOD_LSTM_SEQ_BACK = {
    "zeros": "(np.zeros_like(p) for p in (W_ih, W_hh, b_ih, b_hh))",
    "dc_prev": "dc_next",
    "dh": "dout[t] + dh_next",
}
# The whole backward in one loop, with dc_next the gradient at c_{t+1} before its forget gate:
# the step before multiplies it by its own f_t, where f_{t+1} belongs.
LSTM_BPTT_WRONG_FORGET_GATE = (
    "def lstm_backward(dout, dh_n, dc_n, x, h0, c0, W_ih, W_hh, b_ih, b_hh):\n"
    + LSTM_CACHES
    + """    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b_ih)
    dh_next, dc_next = dh_n, dc_n
    for t in reversed(range(x.shape[0])):
        x_t, h_prev, c_prev, _, _, i, f, g, o, tanh_c = caches[t]
        dh = dout[t] + dh_next
        dc = dh * o * (1 - tanh_c**2) + f * dc_next
        da = np.concatenate(
            [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
             dh * tanh_c * o * (1 - o)],
            axis=1,
        )
        dx[t] = da @ W_ih
        dW_ih += da.T @ x_t
        dW_hh += da.T @ h_prev
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_hh, dc
    return dx, dh_next, caches[0][6] * dc_next, dW_ih, dW_hh, db, db.copy()
"""
)

LSTM = (
    Mutant(
        "lstm_gates_in_cs231n_order",
        "lstm",
        "lstm_step_forward",
        LSTM_STEP.format(
            **GOOD_LSTM_STEP
            | {"gates": "s[:, :H], s[:, H : 2 * H], np.tanh(a[:, 3 * H :]), s[:, 2 * H : 3 * H]"}
        ),
        "values",
        "wrong: h_t, c_t, g, o, tanh_c (right: i, f)",
    ),
    Mutant(
        "lstm_forget_gate_on_the_candidate",
        "lstm",
        "lstm_step_forward",
        LSTM_STEP.format(**GOOD_LSTM_STEP | {"cell": "f * g + i * c_prev"}),
        "values",
        "wrong: h_t, c_t, tanh_c (right: i, f, g, o)",
    ),
    Mutant(
        "lstm_h_without_tanh",
        "lstm",
        "lstm_step_forward",
        LSTM_STEP.format(**GOOD_LSTM_STEP | {"h_t": "o * c_t"}),
        "values",
        "wrong: h_t (right: c_t, i, f, g, o, tanh_c)",
    ),
    Mutant(
        "lstm_naive_sigmoid",
        "lstm",
        "lstm_step_forward",
        LSTM_STEP.format(**GOOD_LSTM_STEP | {"sigmoid": "s = 1 / (1 + np.exp(-a))"}),
        "edge cases",
        "with large pre-activations (the gates saturate; no overflow allowed): "
        "lstm_step_forward raised FloatingPointError: overflow",
    ),
    Mutant(
        "lstm_back_no_tanh_derivative",
        "lstm",
        "lstm_step_backward",
        LSTM_STEP_BACK.format(**GOOD_LSTM_STEP_BACK | {"dc": "dc_t + dh_t * o"}),
        "gradient check",
        "wrong: dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh (right: none)",
    ),
    Mutant(
        "lstm_back_dc_prev_skips_the_forget_gate",
        "lstm",
        "lstm_step_backward",
        LSTM_STEP_BACK.format(**GOOD_LSTM_STEP_BACK | {"dc_prev": "dc"}),
        "gradient check",
        "wrong: dc_prev (right: dx_t, dh_prev, dW_ih, dW_hh, db_ih, db_hh)",
    ),
    Mutant(
        "lstm_back_db_hh_missing",
        "lstm",
        "lstm_step_backward",
        LSTM_STEP_BACK.format(
            **GOOD_LSTM_STEP_BACK
            | {"db": "db_ih = da.sum(axis=0)\n    db_hh = np.zeros_like(db_ih)"}
        ),
        "gradient check",
        "wrong: db_hh (right: dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db_ih)",
    ),
    Mutant(
        "lstm_back_bias_not_summed_over_the_batch",
        "lstm",
        "lstm_step_backward",
        LSTM_STEP_BACK.format(**GOOD_LSTM_STEP_BACK | {"db": "db_ih = da\n    db_hh = da"}),
        "shapes",
        "db_ih has shape (3, 16); expected (G,) = (16,) (one axis too many: the leading axis, "
        "of length 3)",
    ),
    Mutant(
        "lstm_seq_cell_starts_at_zero",
        "lstm",
        "lstm_forward",
        LSTM_SEQ.format(**GOOD_LSTM_SEQ | {"start": "h0, np.zeros_like(c0)"}),
        "values",
        "wrong: h, h_n, c_n (right: none)",
    ),
    Mutant(
        "lstm_seq_returns_h_n_as_c_n",
        "lstm",
        "lstm_forward",
        LSTM_SEQ.format(**GOOD_LSTM_SEQ | {"c_n": "h_t"}),
        "values",
        "wrong: c_n (right: h, h_n)",
    ),
    Mutant(
        "lstm_seq_float64_buffer",
        "lstm",
        "lstm_forward",
        LSTM_SEQ.format(**GOOD_LSTM_SEQ | {"buffer": "np.zeros((x.shape[0], *h0.shape))"}),
        "edge cases",
        "with inputs of dtype float32 (keep the dtype): lstm_forward: the first value it "
        "returns has dtype float64, but the inputs are float32",
    ),
    Mutant(
        "lstm_bptt_dc_not_carried",
        "lstm",
        "lstm_backward",
        LSTM_SEQ_BACK.format(**GOOD_LSTM_SEQ_BACK | {"dc_prev": "dc_prev"}),
        "gradient check",
        "wrong: dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh (right: none)",
    ),
    Mutant(
        "lstm_bptt_forget_gate_of_the_wrong_step",
        "lstm",
        "lstm_backward",
        LSTM_BPTT_WRONG_FORGET_GATE,
        "gradient check",
        "dx is wrong",
    ),
    Mutant(
        "lstm_bptt_upstream_not_added",
        "lstm",
        "lstm_backward",
        LSTM_SEQ_BACK.format(**GOOD_LSTM_SEQ_BACK | {"dh": "dh_next"}),
        "gradient check",
        "dx is wrong",
    ),
    Mutant(
        "lstm_bptt_float64_accumulators",
        "lstm",
        "lstm_backward",
        LSTM_SEQ_BACK.format(
            **GOOD_LSTM_SEQ_BACK
            | {"zeros": "(np.zeros(p.shape) for p in (W_ih, W_hh, b_ih, b_hh))"}
        ),
        "edge cases",
        "with inputs of dtype float32 (keep the dtype): lstm_backward: the fourth value it "
        "returns has dtype float64, but the inputs are float32",
    ),
)

# --- gru ------------------------------------------------------------------------------------------

GRU_STEP = """def gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    a_ih = {a_ih}
    a_hh = {a_hh}
    a = a_ih[:, : 2 * H] + a_hh[:, : 2 * H]
    {sigmoid}
    r, z = s[:, :H], s[:, H:]
    hn = a_hh[:, 2 * H :]
    n = np.tanh({n})
    return {h_t}, (x_t, h_prev, W_ih, W_hh, r, z, n, hn)
"""
GOOD_GRU_STEP = {
    "a_ih": "x_t @ W_ih.T + b_ih",
    "a_hh": "h_prev @ W_hh.T + b_hh",
    "sigmoid": "e = np.exp(-np.abs(a))\n    s = np.where(a >= 0, 1 / (1 + e), e / (1 + e))",
    "n": "a_ih[:, 2 * H :] + r * hn",
    "h_t": "(1 - z) * n + z * h_prev",
}
GRU_STEP_BACK = """def gru_step_backward(dh_t, cache):
    x_t, h_prev, W_ih, W_hh, r, z, n, hn = cache
    da_n = dh_t * (1 - z) * (1 - n**2)
    da_r = da_n * hn * r * (1 - r)
    da_z = dh_t * (h_prev - n) * z * (1 - z)
    da_ih = np.concatenate([da_r, da_z, da_n], axis=1)
    da_hh = np.concatenate([da_r, da_z, {da_hh_n}], axis=1)
    db_ih = da_ih.sum(axis=0)
    return da_ih @ W_ih, {dh_prev}, da_ih.T @ x_t, da_hh.T @ h_prev, db_ih, {db_hh}
"""
GOOD_GRU_STEP_BACK = {
    "da_hh_n": "da_n * r",
    "dh_prev": "da_hh @ W_hh + dh_t * z",
    "db_hh": "da_hh.sum(axis=0)",
}
GRU_SEQ = """def gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h = {buffer}
    h_t = {start}
    for t in range(x.shape[0]):
        {body}
    return h, h_t
"""
GRU_READ = "h_t, _ = gru_step_forward(x[t], h_t, W_ih, W_hh, b_ih, b_hh)"
GOOD_GRU_SEQ = {
    "buffer": "np.empty((x.shape[0], *h0.shape), dtype=x.dtype)",
    "start": "h0",
    "body": GRU_READ + "\n        h[t] = h_t",
}
GRU_SEQ_BACK = """def gru_backward(dout, dh_n, x, h0, W_ih, W_hh, b_ih, b_hh):
    caches, h_t = [], h0
    for x_t in x:
        h_t, cache = gru_step_forward(x_t, h_t, W_ih, W_hh, b_ih, b_hh)
        caches.append(cache)
    dx = np.empty_like(x)
    dW_ih, dW_hh, db_ih, db_hh = {zeros}
    dh_next = {dh_n}
    for t in reversed(range(x.shape[0])):
        dx[t], dh_next, dW_ih_t, dW_hh_t, db_ih_t, db_hh_t = gru_step_backward({dh}, caches[t])
        dW_ih {acc} dW_ih_t
        dW_hh += dW_hh_t
        db_ih += db_ih_t
        db_hh += db_hh_t
    return dx, dh_next, dW_ih, dW_hh, db_ih, db_hh
"""
GOOD_GRU_SEQ_BACK = {
    "zeros": "(np.zeros_like(p) for p in (W_ih, W_hh, b_ih, b_hh))",
    "dh_n": "dh_n",
    "dh": "dout[t] + dh_next",
    "acc": "+=",
}

GRU = (
    Mutant(
        "gru_b_hn_outside_the_reset",
        "gru",
        "gru_step_forward",
        GRU_STEP.format(
            **GOOD_GRU_STEP | {"a_ih": "x_t @ W_ih.T + b_ih + b_hh", "a_hh": "h_prev @ W_hh.T"}
        ),
        "values",
        "wrong: h_t, n, hn (right: r, z)",
    ),
    Mutant(
        "gru_z_takes_the_candidate",
        "gru",
        "gru_step_forward",
        GRU_STEP.format(**GOOD_GRU_STEP | {"h_t": "z * n + (1 - z) * h_prev"}),
        "values",
        "wrong: h_t (right: r, z, n, hn)",
    ),
    Mutant(
        "gru_reset_before_the_product",
        "gru",
        "gru_step_forward",
        GRU_STEP.format(
            **GOOD_GRU_STEP
            | {"n": "a_ih[:, 2 * H :] + (r * h_prev) @ W_hh[2 * H :].T + b_hh[2 * H :]"}
        ),
        "values",
        "wrong: h_t, n (right: r, z, hn)",
    ),
    Mutant(
        "gru_naive_sigmoid",
        "gru",
        "gru_step_forward",
        GRU_STEP.format(**GOOD_GRU_STEP | {"sigmoid": "s = 1 / (1 + np.exp(-a))"}),
        "edge cases",
        "with large pre-activations (the gates saturate; no overflow allowed): "
        "gru_step_forward raised FloatingPointError: overflow",
    ),
    Mutant(
        "gru_back_no_direct_path",
        "gru",
        "gru_step_backward",
        GRU_STEP_BACK.format(**GOOD_GRU_STEP_BACK | {"dh_prev": "da_hh @ W_hh"}),
        "gradient check",
        "wrong: dh_prev (right: dx_t, dW_ih, dW_hh, db_ih, db_hh)",
    ),
    Mutant(
        "gru_back_db_hh_equals_db_ih",
        "gru",
        "gru_step_backward",
        GRU_STEP_BACK.format(**GOOD_GRU_STEP_BACK | {"db_hh": "db_ih.copy()"}),
        "gradient check",
        "wrong: db_hh (right: dx_t, dh_prev, dW_ih, dW_hh, db_ih)",
    ),
    Mutant(
        "gru_back_reset_missing_in_the_hidden_block",
        "gru",
        "gru_step_backward",
        GRU_STEP_BACK.format(**GOOD_GRU_STEP_BACK | {"da_hh_n": "da_n"}),
        "gradient check",
        "wrong: dh_prev, dW_hh, db_hh (right: dx_t, dW_ih, db_ih)",
    ),
    Mutant(
        "gru_back_bias_not_summed_over_the_batch",
        "gru",
        "gru_step_backward",
        GRU_STEP_BACK.format(**GOOD_GRU_STEP_BACK | {"db_hh": "da_hh"}),
        "shapes",
        "db_hh has shape (3, 12); expected (G,) = (12,)",
    ),
    Mutant(
        "gru_seq_ignores_h0",
        "gru",
        "gru_forward",
        GRU_SEQ.format(**GOOD_GRU_SEQ | {"start": "np.zeros_like(h0)"}),
        "values",
        "h is wrong at [0,",
    ),
    Mutant(
        "gru_seq_stores_h_prev",
        "gru",
        "gru_forward",
        GRU_SEQ.format(**GOOD_GRU_SEQ | {"body": "h[t] = h_t\n        " + GRU_READ}),
        "values",
        "wrong: h (right: h_n)",
    ),
    Mutant(
        "gru_seq_float64_buffer",
        "gru",
        "gru_forward",
        GRU_SEQ.format(**GOOD_GRU_SEQ | {"buffer": "np.zeros((x.shape[0], *h0.shape))"}),
        "edge cases",
        "with inputs of dtype float32 (keep the dtype): gru_forward: the first value it "
        "returns has dtype float64, but the inputs are float32",
    ),
    Mutant(
        "gru_bptt_upstream_not_added",
        "gru",
        "gru_backward",
        GRU_SEQ_BACK.format(**GOOD_GRU_SEQ_BACK | {"dh": "dh_next"}),
        "gradient check",
        "dx is wrong",
    ),
    Mutant(
        "gru_bptt_ignores_dh_n",
        "gru",
        "gru_backward",
        GRU_SEQ_BACK.format(**GOOD_GRU_SEQ_BACK | {"dh_n": "np.zeros_like(dh_n)"}),
        "gradient check",
        "dx is wrong",
    ),
    Mutant(
        "gru_bptt_dW_not_accumulated",
        "gru",
        "gru_backward",
        GRU_SEQ_BACK.format(**GOOD_GRU_SEQ_BACK | {"acc": "="}),
        "gradient check",
        "wrong: dW_ih (right: dx, dh0, dW_hh, db_ih, db_hh)",
    ),
    Mutant(
        "gru_bptt_float64_accumulators",
        "gru",
        "gru_backward",
        GRU_SEQ_BACK.format(
            **GOOD_GRU_SEQ_BACK | {"zeros": "(np.zeros(p.shape) for p in (W_ih, W_hh, b_ih, b_hh))"}
        ),
        "edge cases",
        "with inputs of dtype float32 (keep the dtype): gru_backward: the third value it "
        "returns has dtype float64, but the inputs are float32",
    ),
)

from mutants_bidirectional import BIDIRECTIONAL  # noqa: E402
from mutants_forecasting import FORECASTING  # noqa: E402
from mutants_sequences import SEQUENCES  # noqa: E402
from mutants_transformers import TRANSFORMERS  # noqa: E402

MUTANTS = (
    HIDDEN_STATE
    + BPTT
    + LANGUAGE_MODEL
    + LSTM
    + GRU
    + TRANSFORMERS
    + BIDIRECTIONAL
    + SEQUENCES
    + FORECASTING
)
