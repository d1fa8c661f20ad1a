"""Known-wrong versions of the exercise "transformers", each with the check it must fail.

Imported at the end of mutants.py into ``MUTANTS`` (see mutants.py for the fields): import
``mutants``, not this module, first (this module takes ``Mutant`` from there). Each is one
mistake a student makes, written as a student would: the heads split or merged in the wrong
order, the causal mask applied after the softmax, off by one (the diagonal blocked, or the next
key visible), the scale forgotten or taken from E, the softmax over the queries, an unstable
softmax; the scan shifted by a step, ignoring h0, dividing by a running product, leaving
float32, or looping over time.
"""

from mutants import Mutant

SPLIT = "def split_heads(x, num_heads):\n    T, B, E = x.shape\n    HS = E // num_heads\n{}\n"
SOFTMAX = """def causal_softmax(scores):
    T = scores.shape[-1]
{}
"""
STABLE = """    s = np.where(allowed, scores, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)"""
ATTENTION = """def causal_self_attention(
    x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads
):
    T, B, E = x.shape
    HS = E // num_heads
    qkv = x @ in_proj_weight.T + in_proj_bias
    q, k, v = (split_heads(p, num_heads) for p in np.split(qkv, 3, axis=-1))
    weights = {weights}
    heads = weights @ v
    y = {merge}
    return y @ out_proj_weight.T + out_proj_bias, weights
"""
GOOD_ATTENTION = {
    "weights": "causal_softmax(q @ k.swapaxes(-1, -2) * HS**-0.5)",
    "merge": "heads.transpose(2, 0, 1, 3).reshape(T, B, E)",
}
SCAN = """def linear_recurrence_scan(a, b, h0):
    A, Bc = {copies}
    Bc[0] = {first}
    A[0] = 0
    d = 1
    while d < a.shape[0]:
        Bc[d:] = A[d:] * Bc[:-d] + Bc[d:]
        A[d:] = A[d:] * A[:-d]
        d *= 2
    return {result}
"""
GOOD_SCAN = {"copies": "a.copy(), b.copy()", "first": "a[0] * h0 + b[0]", "result": "Bc"}

TRANSFORMERS = (
    Mutant(
        "heads_split_in_the_wrong_order",
        "transformers",
        "split_heads",
        SPLIT.format("    return x.reshape(T, B, HS, num_heads).transpose(1, 3, 0, 2)"),
        "values",
        "heads is wrong at",
    ),
    Mutant(
        "heads_not_moved_to_the_front",
        "transformers",
        "split_heads",
        SPLIT.format("    return x.reshape(T, B, num_heads, HS)"),
        "shapes",
        "heads has shape (4, 2, 3, 2); expected (B, NH, T, HS) = (2, 3, 4, 2)",
    ),
    Mutant(
        "mask_after_the_softmax",
        "transformers",
        "causal_softmax",
        SOFTMAX.format(
            "    allowed = np.tril(np.ones((T, T), dtype=bool))\n"
            "    e = np.exp(scores - scores.max(axis=-1, keepdims=True))\n"
            "    return e / e.sum(axis=-1, keepdims=True) * allowed"
        ),
        "values",
        "weights is wrong at",
    ),
    Mutant(
        "softmax_over_the_queries",
        "transformers",
        "causal_softmax",
        SOFTMAX.format(
            "    allowed = np.tril(np.ones((T, T), dtype=bool))\n"
            "    s = np.where(allowed, scores, -np.inf)\n"
            "    e = np.exp(s - s.max(axis=-2, keepdims=True))\n"
            "    return e / e.sum(axis=-2, keepdims=True)"
        ),
        "values",
        "weights is wrong at",
    ),
    Mutant(
        "causal_mask_blocks_the_diagonal",
        "transformers",
        "causal_softmax",
        SOFTMAX.format(
            "    allowed = np.tril(np.ones((T, T), dtype=bool), k=-1)\n"
            "    s = np.where(allowed, scores, -1e9)\n"
            "    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
            "    return e / e.sum(axis=-1, keepdims=True)"
        ),
        "values",
        "weights is wrong at",
    ),
    Mutant(
        "causal_mask_shows_the_next_key",
        "transformers",
        "causal_softmax",
        SOFTMAX.format("    allowed = np.tril(np.ones((T, T), dtype=bool), k=1)\n" + STABLE),
        "values",
        "weights is wrong at",
    ),
    Mutant(
        "softmax_without_the_max",
        "transformers",
        "causal_softmax",
        SOFTMAX.format(
            "    allowed = np.tril(np.ones((T, T), dtype=bool))\n"
            "    e = np.where(allowed, np.exp(scores), 0.0)\n"
            "    return e / e.sum(axis=-1, keepdims=True)"
        ),
        "edge cases",
        "with large scores, near ±2000 (no overflow): causal_softmax raised FloatingPointError",
    ),
    Mutant(
        "attention_without_the_scale",
        "transformers",
        "causal_self_attention",
        ATTENTION.format(**GOOD_ATTENTION | {"weights": "causal_softmax(q @ k.swapaxes(-1, -2))"}),
        "values",
        "wrong: out, weights (right: none)",
    ),
    Mutant(
        "attention_scaled_by_the_width",
        "transformers",
        "causal_self_attention",
        ATTENTION.format(
            **GOOD_ATTENTION | {"weights": "causal_softmax(q @ k.swapaxes(-1, -2) / np.sqrt(E))"}
        ),
        "values",
        "wrong: out, weights (right: none)",
    ),
    Mutant(
        "heads_concatenated_in_the_wrong_order",
        "transformers",
        "causal_self_attention",
        ATTENTION.format(
            **GOOD_ATTENTION | {"merge": "heads.transpose(2, 0, 3, 1).reshape(T, B, E)"}
        ),
        "values",
        "wrong: out (right: weights)",
    ),
    Mutant(
        "attention_masked_after_the_softmax",
        "transformers",
        "causal_self_attention",
        ATTENTION.format(
            **GOOD_ATTENTION
            | {
                "weights": "np.tril(np.ones((T, T))) * (lambda e: e / e.sum(-1, keepdims=True))("
                "np.exp(q @ k.swapaxes(-1, -2) * HS**-0.5))"
            }
        ),
        "values",
        "wrong: out, weights (right: none)",
    ),
    Mutant(
        "scan_shifted_by_a_step",
        "transformers",
        "linear_recurrence_scan",
        SCAN.format(**GOOD_SCAN | {"result": "np.concatenate([h0[None], Bc[:-1]])"}),
        "values",
        "yours is one step late: your h[t] is the expected h[t - 1]",
    ),
    Mutant(
        "scan_ignores_h0",
        "transformers",
        "linear_recurrence_scan",
        SCAN.format(**GOOD_SCAN | {"first": "b[0]"}),
        "values",
        "h: differs from the loop at",
    ),
    Mutant(
        "scan_leaves_float32",
        "transformers",
        "linear_recurrence_scan",
        SCAN.format(**GOOD_SCAN | {"copies": "a.astype(np.float64), b.astype(np.float64)"}),
        "edge cases",
        "with float32 inputs (keep the dtype): h has dtype float64, but the inputs are float32",
    ),
    Mutant(
        "scan_divides_by_the_running_product",
        "transformers",
        "linear_recurrence_scan",
        "def linear_recurrence_scan(a, b, h0):\n"
        "    P = np.cumprod(a, axis=0)\n"
        "    return P * (h0 + np.cumsum(b / P, axis=0))\n",
        "edge cases",
        "with a = 0 at step 5 (the state resets): linear_recurrence_scan raised "
        "FloatingPointError: divide by zero",
    ),
    Mutant(
        "scan_loops_over_time",
        "transformers",
        "linear_recurrence_scan",
        "def linear_recurrence_scan(a, b, h0):\n"
        "    h, h_t = np.empty_like(b), h0\n"
        "    for t in range(a.shape[0]):\n"
        "        h_t = a[t] * h_t + b[t]\n"
        "        h[t] = h_t\n"
        "    return h\n",
        "edge cases",
        "(no Python loop over time): linear_recurrence_scan runs a Python loop over the time steps",
    ),
    Mutant(
        "scan_overwrites_its_inputs",
        "transformers",
        "linear_recurrence_scan",
        SCAN.format(**GOOD_SCAN | {"copies": "a, b"}),
        "shapes",  # the harness checks the inputs after the call, before any value is compared
        "linear_recurrence_scan changed its input a: the caller's arrays must stay as they were",
    ),
)
