"""Public spec of the exercise "bidirectional": a padded batch read both ways, and masked attention.

Four tasks over batches of sequences of unequal length, padded after their end (``lengths[b]``
real steps, 1 ≤ lengths[b] ≤ T, in any order):

- ``reverse_padded(x, lengths) -> x_rev``: each sequence reversed within its length, the padding
  left in place;
- ``bidirectional_rnn_forward(x, lengths, h0, params_fwd, params_bwd) -> (out, h_n)``: a
  bidirectional tanh RNN layer, equal to ``torch.nn.RNN(bidirectional=True)`` on
  ``pack_padded_sequence(x, lengths, enforce_sorted=False)``: ``out`` (T, B, 2H) holds
  ``[h_fwd_t, h_bwd_t]`` and is exactly 0 at padded steps, ``h_n`` (2, B, H) torch's final
  states; each ``params_*`` is the tuple ``(W_ih, W_hh, b_ih, b_hh)``;
- ``masked_attention_forward(q, k, v, lengths) -> (context, weights)``: one head of scaled
  dot-product attention, q (B, T, HS), k and v (B, S, HS), the keys s ≥ lengths[b] padding
  (their weights exactly 0, each row of weights summing to 1);
- ``masked_attention_backward(dcontext, q, k, v, weights) -> (dq, dk, dv)``.

Every task runs through :func:`~course_rnn.grading.harness_padded.padded_batch_harness` (exact
zeros on the padding, no overflow, dtypes kept). The references are the package's
(``course_rnn.numpy_nn.bidirectional`` and ``course_rnn.numpy_nn.attention``), in float64, so a
float32 case is compared with the exact answer within the tasks' tolerance.

Book: "Bidirectional RNNs", section "Batches of unequal length"; "Encoder–decoders and attention".
"""

import numpy as np

from course_rnn.grading.harness_padded import padded_batch_harness
from course_rnn.grading.specs.lstm import as_float64, float_dtype
from course_rnn.grading.tasks import Edge, Output, Task

RTOL, ATOL = 1e-5, 1e-6  # float32 cases are compared with the float64 answer
F32 = "inputs of dtype float32 (keep the dtype)"


def sizes(**dims):
    """The dims of a case of the bidirectional layer plus the sizes its output shapes name: 2H,
    the width of ``out``, and 2, the directions of ``h_n``."""
    return {**dims, "2H": 2 * dims["H"], "2": 2}


def lengths_from(fill, B, T, top=None, full=0, ones=0):
    """(B,) int64 lengths in [1, top] (top defaults to T), in an order that is not sorted.

    ``full`` = 1 gives every sequence the length T (no padding), ``ones`` = 1 the length 1. The
    public fixture spans 1 to top; hidden cases draw them from the secret seed.
    """
    if full:
        return np.full(B, T, dtype=np.int64)
    if ones:
        return np.ones(B, dtype=np.int64)
    top = T if top is None else int(top)
    drawn = np.sort(np.clip(np.floor(fill((B,), top + 0.999, 1.0)), 1, top).astype(np.int64))
    order = np.empty(B, dtype=np.int64)  # the upper half and the lower half, interleaved
    order[0::2] = np.arange(B // 2, B)  # (1, 2, 4, 5) -> (4, 1, 5, 2)
    order[1::2] = np.arange(B // 2)
    return drawn[order]


def _padded(lengths, x):
    """x with large values at the padded steps of (T, B, ·) x: a pad read as data shows."""
    T = x.shape[0]
    is_pad = np.arange(T)[:, None] >= lengths[None, :]  # (T, B)
    return np.where(is_pad[:, :, None], 5.0 + x, x)


def _sequence(fill, T, B, D, top=None, full=0, ones=0):
    lengths = lengths_from(fill, B, T, top, full, ones)
    return _padded(lengths, fill((T, B, D), -0.8, 0.9)), lengths


# --- reverse_padded -------------------------------------------------------------------------------


def _reverse_inputs(fill, T, B, D, top=None, full=0, ones=0, f32=0, **_):
    """("", x, lengths)."""
    x, lengths = _sequence(fill, T, B, D, top, full, ones)
    return ("", x.astype(float_dtype(f32)), lengths)


def _reverse_reference(padded, x, lengths):
    from course_rnn.numpy_nn.bidirectional import reverse_padded

    return (reverse_padded(as_float64(x), lengths),)


# --- bidirectional_rnn_forward --------------------------------------------------------------------


def _direction(fill, D, H, sign):
    """(W_ih (H, D), W_hh (H, H), b_ih (H,), b_hh (H,)): sign flips the ranges per direction."""
    return (
        fill((H, D), -0.5 * sign, 0.6 * sign),
        fill((H, H), 0.4 * sign, -0.3 * sign),
        fill((H,), -0.2, 0.3 * sign),
        fill((H,), 0.1 * sign, -0.4),
    )


def _bidirectional_inputs(fill, T, B, D, H, top=None, full=0, ones=0, f32=0, **_):
    """("steps", x, lengths, h0, params_fwd, params_bwd)."""
    dtype = float_dtype(f32)
    x, lengths = _sequence(fill, T, B, D, top, full, ones)
    h0 = fill((2, B, H), 0.5, -0.6)
    fwd = tuple(a.astype(dtype) for a in _direction(fill, D, H, 1.0))
    bwd = tuple(a.astype(dtype) for a in _direction(fill, D, H, -1.0))
    return ("steps", x.astype(dtype), lengths, h0.astype(dtype), fwd, bwd)


def torch_keys(W_ih, W_hh, b_ih, b_hh):
    """One direction's parameters keyed like a one-layer torch.nn.RNN's state_dict."""
    return {"weight_ih_l0": W_ih, "weight_hh_l0": W_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}


def _bidirectional_reference(padded, x, lengths, h0, params_fwd, params_bwd):
    """(out, h_n) from the package's bidirectional_rnn_forward."""
    from course_rnn.numpy_nn.bidirectional import bidirectional_rnn_forward

    x, h0, fwd, bwd = as_float64((x, h0, params_fwd, params_bwd))
    out, h_n, _ = bidirectional_rnn_forward(x, lengths, h0, torch_keys(*fwd), torch_keys(*bwd))
    return out, h_n


# --- masked attention -----------------------------------------------------------------------------


def _attention_arrays(fill, B, T, S, HS, top=None, full=0, ones=0, big=0):
    """q (B, T, HS), k and v (B, S, HS), key lengths (B,).

    The padded keys differ from the real ones (k + 3), so that attending to them shows. ``big``
    = 1 makes every score positive and large (hundreds to thousands) and the padded keys' scores
    larger than every real one by more than 1000: a softmax must subtract the largest score of
    the *real* keys (np.exp overflows past about 709, and underflows to 0 below about -745).
    """
    lengths = lengths_from(fill, B, S, top, full, ones)
    q = fill((B, T, HS), -0.7, 1.0)
    k = fill((B, S, HS), 0.9, -0.6)
    v = fill((B, S, HS), -1.1, 0.8)
    is_pad = (np.arange(S)[None, :] >= lengths[:, None])[:, :, None]  # (B, S, 1)
    k = np.where(is_pad, k + 3.0, k)
    if big:
        q = 3000.0 * fill((B, T, HS), 0.5, 1.0)
        k = np.where(is_pad, fill((B, S, HS), 2.0, 2.5), fill((B, S, HS), 0.2, 0.6))
    return q, k, v, lengths


def _attention_inputs(fill, B, T, S, HS, top=None, full=0, ones=0, big=0, f32=0):
    """("keys", q, k, v, lengths)."""
    q, k, v, lengths = _attention_arrays(fill, B, T, S, HS, top, full, ones, big)
    dtype = float_dtype(f32)
    return ("keys", q.astype(dtype), k.astype(dtype), v.astype(dtype), lengths)


def _sdpa(q, k, v, lengths):
    """The package's kernel on one head: (context, weights, cache)."""
    from course_rnn.numpy_nn.attention import padding_mask, scaled_dot_product_attention_forward

    mask = padding_mask(lengths, k.shape[1])[:, None, None, :]  # (B, 1, 1, S)
    out, weights, cache = scaled_dot_product_attention_forward(
        q[:, None], k[:, None], v[:, None], mask
    )
    return out[:, 0], weights[:, 0], cache


def _attention_reference(padded, q, k, v, lengths):
    context, weights, _ = _sdpa(*as_float64((q, k, v)), lengths)
    return context, weights


def _attention_backward_inputs(fill, B, T, S, HS, top=None, full=0, ones=0, f32=0):
    """("", dcontext, q, k, v, weights): the weights made by the package's forward."""
    q, k, v, lengths = _attention_arrays(fill, B, T, S, HS, top, full, ones)
    _, weights, _ = _sdpa(q, k, v, lengths)
    dcontext = fill((B, T, HS), 1.2, -0.9)
    dtype = float_dtype(f32)
    return ("", *(a.astype(dtype) for a in (dcontext, q, k, v, weights)))


def _attention_backward_reference(padded, dcontext, q, k, v, weights):
    """(dq, dk, dv) from the package's scaled_dot_product_attention_backward."""
    from course_rnn.numpy_nn.attention import scaled_dot_product_attention_backward

    dcontext, q, k, v, weights = as_float64((dcontext, q, k, v, weights))
    scale = 1.0 / np.sqrt(q.shape[-1])
    cache = (q[:, None], k[:, None], v[:, None], weights[:, None], scale)
    dq, dk, dv = scaled_dot_product_attention_backward(dcontext[:, None], cache)
    return dq[:, 0], dk[:, 0], dv[:, 0]


def padded_task(**fields):
    """A Task of this exercise: through the padded-batch harness, float32's tolerance."""
    return Task(**fields, harness=padded_batch_harness, rtol=RTOL, atol=ATOL)


_SEQ_EDGES = (
    Edge("sequences of length 1 only", sizes(T=3, B=3, D=2, H=2, ones=1)),
    Edge("every length equal to T (no padding)", sizes(T=4, B=3, D=2, H=3, full=1)),
    Edge("a batch of one sequence (B = 1), length 3 of T = 5", sizes(T=5, B=1, D=3, H=2, top=3)),
    Edge(F32, sizes(T=4, B=3, D=2, H=3, f32=1)),
)
_KEY_EDGES = (
    Edge("a key length of 1 in every sequence", {"B": 2, "T": 3, "S": 4, "HS": 2, "ones": 1}),
    Edge("no padding (every key length S)", {"B": 2, "T": 2, "S": 3, "HS": 4, "full": 1}),
    Edge("a batch of one sequence (B = 1)", {"B": 1, "T": 4, "S": 5, "HS": 3, "top": 2}),
    Edge(F32, {"B": 2, "T": 3, "S": 4, "HS": 2, "f32": 1}),
)
_DSCORES = (
    "with dscores (B, T, S) the gradient with respect to the products q k^T, before the "
    "1/sqrt(HS) scale (so dscores already carries that factor)"
)

TASKS = (
    padded_task(
        name="reverse_padded",
        params=("x", "lengths"),
        outputs=(
            Output(
                "x_rev",
                "T B D",
                hint="x_rev[t, b] = x[lengths[b] - 1 - t, b] for t < lengths[b]; the padding "
                "(t >= lengths[b]) stays where it was.",
            ),
        ),
        build=_reverse_inputs,
        reference=_reverse_reference,
        public=sizes(T=5, B=4, D=2, H=1),
        edges=_SEQ_EDGES,
    ),
    padded_task(
        name="bidirectional_rnn_forward",
        params=("x", "lengths", "h0", "params_fwd", "params_bwd"),
        outputs=(
            Output(
                "out",
                "T B 2H",
                hint="out[t] = [h_fwd[t], h_bwd[t]]: run the backward direction on "
                "reverse_padded(x, lengths), reverse its states back the same way, then zero "
                "every padded step.",
            ),
            Output(
                "h_n",
                "2 B H",
                hint="h_n[0] is the forward state at step lengths[b] - 1, not T - 1; h_n[1] is the "
                "backward state after it read step 0, its own step lengths[b] - 1.",
            ),
        ),
        build=_bidirectional_inputs,
        reference=_bidirectional_reference,
        public=sizes(T=5, B=4, D=2, H=3),
        edges=_SEQ_EDGES,
    ),
    padded_task(
        name="masked_attention_forward",
        params=("q", "k", "v", "lengths"),
        outputs=(
            Output(
                "context",
                "B T HS",
                hint="look at the weights first: each row is a softmax over the real keys only "
                "(it sums to 1 and is exactly 0 on padded keys); then context = weights @ v.",
            ),
            Output(
                "weights",
                "B T S",
                hint="weights = softmax over the keys (last axis) of q @ k^T / sqrt(HS), with the "
                "padded keys' scores set to -inf before the softmax.",
            ),
        ),
        build=_attention_inputs,
        reference=_attention_reference,
        public={"B": 3, "T": 2, "S": 5, "HS": 4},
        edges=(
            *_KEY_EDGES,
            Edge(
                "large scores, highest on the padded keys (no overflow allowed)",
                {"B": 2, "T": 3, "S": 4, "HS": 2, "big": 1},
            ),
        ),
    ),
    padded_task(
        name="masked_attention_backward",
        params=("dcontext", "q", "k", "v", "weights"),
        outputs=(
            Output("dq", "B T HS", "gradient", f"dq = dscores @ k, {_DSCORES}."),
            Output("dk", "B S HS", "gradient", f"dk = dscores^T @ q (per batch), {_DSCORES}."),
            Output("dv", "B S HS", "gradient", "dv = weights^T @ dcontext, per batch element."),
        ),
        build=_attention_backward_inputs,
        reference=_attention_backward_reference,
        public={"B": 3, "T": 2, "S": 5, "HS": 4},
        edges=_KEY_EDGES,
    ),
)
