"""Known-wrong versions of the exercise "bidirectional" (see mutants.py for the Mutant type).

The classic mistakes of padded batches: reversing the padding with the sequence, not reversing
the backward direction's states back, reading a final state at step T - 1 instead of the last
real step, leaving the padding in the outputs, masking after the softmax, a softmax over the
wrong axis, a missing 1/sqrt(HS), a softmax that overflows or takes its maximum over padded keys;
and in the backward pass, a softmax Jacobian without its row term or a missing scale.
(A mask of -1e9 instead of -inf is not a mistake here: no row of weights is all padding, since
every length is at least 1, and exp(-1e9 - max) is exactly 0.)
"""

from mutants import Mutant

REVERSE = """def reverse_padded(x, lengths):
    x_rev = {start}
    for b, length in enumerate(lengths):
        x_rev[:length, b] = x[length - 1 :: -1, b]
    return x_rev
"""
BIDIRECTIONAL_FORWARD = """def bidirectional_rnn_forward(x, lengths, h0, params_fwd, params_bwd):
    T, B, _ = x.shape
    h_fwd, _ = rnn_forward(x, h0[0], *params_fwd)
    h_read, _ = rnn_forward({read}, h0[1], *params_bwd)
    h_bwd = {back}
    real = np.arange(T)[:, None] < lengths[None, :]
    out = np.concatenate([h_fwd, h_bwd], axis=2){mask}
    last, batch = lengths - 1, np.arange(B)
    h_n = np.stack([h_fwd[{last_fwd}, batch], h_read[{last_bwd}, batch]])
    return out, h_n
"""
GOOD_BIDIRECTIONAL_FORWARD = {
    "read": "reverse_padded(x, lengths)",
    "back": "reverse_padded(h_read, lengths)",
    "mask": " * real[:, :, None]",
    "last_fwd": "last",
    "last_bwd": "last",
}
ATTENTION = """def masked_attention_forward(q, k, v, lengths):
    B, S, HS = k.shape
    scores = q @ k.transpose(0, 2, 1){scale}
    real = np.arange(S)[None, :] < lengths[:, None]
    {mask}
    {shift}
    {exp}
    weights = e / e.sum(axis={axis}, keepdims=True)
    {after}
    return weights @ v, weights
"""
GOOD_ATTENTION = {
    "scale": " / HS**0.5",
    "mask": "scores = np.where(real[:, None, :], scores, -np.inf)",
    "shift": "scores = scores - scores.max(axis=2, keepdims=True)",
    "exp": "e = np.exp(scores)",
    "axis": "2",
    "after": "",
}
ATTENTION_BACK = """def masked_attention_backward(dcontext, q, k, v, weights):
    HS = q.shape[2]
    dv = weights.transpose(0, 2, 1) @ dcontext
    dweights = dcontext @ v.transpose(0, 2, 1)
    row = {row}
    dscores = weights * (dweights - row){scale}
    return dscores @ k, {dk}, dv
"""
GOOD_ATTENTION_BACK = {
    "row": "np.sum(weights * dweights, axis=2, keepdims=True)",
    "scale": " / HS**0.5",
    "dk": "dscores.transpose(0, 2, 1) @ q",
}


def _mutant(name, function, source, stage, says, hidden_fails=True):
    return Mutant(name, "bidirectional", function, source, stage, says, hidden_fails)


BIDIRECTIONAL = (
    _mutant(
        "reverse_with_the_padding",
        "reverse_padded",
        "def reverse_padded(x, lengths):\n    return x[::-1].copy()\n",
        "values",
        "x_rev is wrong at",
    ),
    _mutant(
        "reverse_zeroes_the_padding",
        "reverse_padded",
        REVERSE.format(start="np.zeros_like(x)"),
        "values",
        "x_rev is wrong at [1, 1, 0]: yours 0, expected 4.6359 (16 of 40 entries differ)",
    ),
    _mutant(
        "reverse_loses_float32",
        "reverse_padded",
        REVERSE.format(start="np.array(x, dtype=float)"),
        "edge cases",
        "with inputs of dtype float32 (keep the dtype): reverse_padded: output 1 has dtype "
        "float64, but the inputs are float32",
    ),
    _mutant(
        "bi_padding_reversed_with_the_sequence",
        "bidirectional_rnn_forward",
        BIDIRECTIONAL_FORWARD.format(
            **GOOD_BIDIRECTIONAL_FORWARD | {"read": "x[::-1]", "back": "h_read[::-1]"}
        ),
        "values",
        "wrong: out, h_n (right: none). out is wrong at",
    ),
    _mutant(
        "bi_backward_states_not_re_reversed",
        "bidirectional_rnn_forward",
        BIDIRECTIONAL_FORWARD.format(**GOOD_BIDIRECTIONAL_FORWARD | {"back": "h_read"}),
        "values",
        "wrong: out (right: h_n). out is wrong at",
    ),
    _mutant(
        "bi_backward_h_n_at_step_T",
        "bidirectional_rnn_forward",
        BIDIRECTIONAL_FORWARD.format(**GOOD_BIDIRECTIONAL_FORWARD | {"last_bwd": "-1"}),
        "values",
        "wrong: h_n (right: out). h_n is wrong at [1, ",
    ),
    _mutant(
        "bi_forward_h_n_at_step_T",
        "bidirectional_rnn_forward",
        BIDIRECTIONAL_FORWARD.format(**GOOD_BIDIRECTIONAL_FORWARD | {"last_fwd": "-1"}),
        "values",
        "wrong: h_n (right: out). h_n is wrong at [0, ",
    ),
    _mutant(
        "bi_padding_left_in_the_outputs",
        "bidirectional_rnn_forward",
        BIDIRECTIONAL_FORWARD.format(**GOOD_BIDIRECTIONAL_FORWARD | {"mask": ""}),
        "shapes",
        "out must be exactly 0 at padded steps: out[1, 1] is not, but lengths[1] = 1",
    ),
    _mutant(
        "att_mask_after_the_softmax",
        "masked_attention_forward",
        ATTENTION.format(
            **GOOD_ATTENTION | {"mask": "", "after": "weights = weights * real[:, None, :]"}
        ),
        "values",
        "wrong: context, weights (right: none). context is wrong at",
    ),
    _mutant(
        "att_padded_scores_set_to_zero",
        "masked_attention_forward",
        ATTENTION.format(**GOOD_ATTENTION | {"mask": "scores = scores * real[:, None, :]"}),
        "shapes",
        "weights must be exactly 0 on padded keys: weights[1, :, 1] is not, but lengths[1] = 1",
    ),
    _mutant(
        "att_softmax_over_the_queries",
        "masked_attention_forward",
        ATTENTION.format(**GOOD_ATTENTION | {"axis": "1"}),
        "shapes",
        "masked_attention_forward raised FloatingPointError: invalid value encountered in divide",
    ),
    _mutant(
        "att_missing_scale",
        "masked_attention_forward",
        ATTENTION.format(**GOOD_ATTENTION | {"scale": ""}),
        "values",
        "wrong: context, weights (right: none). context is wrong at [0, 0, 0]",
    ),
    _mutant(
        "att_softmax_overflows",
        "masked_attention_forward",
        ATTENTION.format(**GOOD_ATTENTION | {"shift": ""}),
        "edge cases",
        "with large scores, highest on the padded keys (no overflow allowed): "
        "masked_attention_forward raised FloatingPointError: overflow",
    ),
    _mutant(
        "att_max_over_the_padded_keys",
        "masked_attention_forward",
        ATTENTION.format(
            **GOOD_ATTENTION | {"mask": "", "exp": "e = np.exp(scores) * real[:, None, :]"}
        ),
        "edge cases",
        "with large scores, highest on the padded keys (no overflow allowed): "
        "masked_attention_forward raised FloatingPointError: invalid value",
    ),
    _mutant(
        "attb_softmax_jacobian_without_the_row_term",
        "masked_attention_backward",
        ATTENTION_BACK.format(**GOOD_ATTENTION_BACK | {"row": "0"}),
        "gradient check",
        "wrong: dq, dk (right: dv). dq is wrong at",
    ),
    _mutant(
        "attb_missing_scale",
        "masked_attention_backward",
        ATTENTION_BACK.format(**GOOD_ATTENTION_BACK | {"scale": ""}),
        "gradient check",
        "yours is 2 times the expected values",
    ),
    _mutant(
        "attb_row_term_over_the_queries",
        "masked_attention_backward",
        ATTENTION_BACK.format(
            **GOOD_ATTENTION_BACK | {"row": "np.sum(weights * dweights, axis=1, keepdims=True)"}
        ),
        "gradient check",
        "wrong: dq, dk (right: dv)",
    ),
    _mutant(
        "attb_dk_not_transposed",
        "masked_attention_backward",
        ATTENTION_BACK.format(**GOOD_ATTENTION_BACK | {"dk": "dscores @ q"}),
        "shapes",
        "masked_attention_backward raised ValueError: matmul: inner dimensions",
    ),
)
