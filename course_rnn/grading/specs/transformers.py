"""Public spec of the exercise "transformers": causal multi-head self-attention and a parallel scan.

Four tasks:

- ``split_heads(x, num_heads) -> heads``: (T, B, E) to (B, NH, T, HS), head k holding the
  features k·HS .. (k + 1)·HS − 1 of every position (``nn.MultiheadAttention``'s layout);
- ``causal_softmax(scores) -> weights``: (B, NH, T, T) scores to attention weights, query t
  attending to the keys s ≤ t only; stable for large scores;
- ``causal_self_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
  num_heads) -> (out, weights)``: the whole layer, with the parameters of
  ``nn.MultiheadAttention(E, NH)`` (in_proj_weight (3E, E) in the blocks q, k, v); out (T, B, E),
  weights (B, NH, T, T) per head; the reference is the package's
  ``multi_head_attention_forward(x, x, x, params, NH, is_causal=True)``, which its parity tests
  hold equal to torch;
- ``linear_recurrence_scan(a, b, h0) -> h``: the states of h_t = a_t ⊙ h_{t−1} + b_t by a
  parallel scan, compared with the sequential loop (the package's ``linear_recurrence_loop``):
  to rtol 1e-10 in float64 and 1e-5 in float32 (its output is "judged" so that the tolerance can
  follow the case's dtype), and, on a case with T = 65,536, checked not to loop over the time
  steps in Python (:mod:`course_rnn.grading.harness_transformers` explains that check).

The attention tasks run through
:func:`~course_rnn.grading.harness_gated.gated_cell_harness` (an overflow is an error, so a
softmax must be stable; float32 inputs give float32 outputs, compared with the float64 answer at
``rtol`` = 1e-5, ``atol`` = 1e-6).

Book: chapter "RNNs and Transformers"; "Length generalisation and the recurrent comeback".
References: the package's NumPy attention and scan.
"""

import dataclasses

import numpy as np

from course_rnn.grading.compare import _form, _mismatch
from course_rnn.grading.harness_gated import gated_cell_harness
from course_rnn.grading.harness_transformers import scan_harness
from course_rnn.grading.specs.lstm import ATOL, RTOL, as_float64, float_dtype
from course_rnn.grading.tasks import Edge, Judge, Output, Task, Withheld

#: The scan's tolerances, by the case's dtype.
SCAN_TOL = {np.float64: (1e-10, 1e-12), np.float32: (1e-5, 1e-6)}
#: The length of the no-loop case (harness_transformers compares it with its first 64 steps).
LONG = 65536


def sizes(**dims):
    """The dims of an attention case plus E = NH · HS (the letters the messages use)."""
    return {**dims, "E": dims["NH"] * dims["HS"]}


# ---- attention -------------------------------------------------------------------------------


def _split_inputs(fill, T, B, NH, HS, E, f32=0):
    """((), x, num_heads); x (T, B, E)."""
    x = fill((T, B, E), -1.0, 1.3).astype(float_dtype(f32))
    return (), x, int(NH)


def _split_reference(layout, x, num_heads):
    T, B, E = x.shape
    return (as_float64(x).reshape(T, B, num_heads, E // num_heads).transpose(1, 2, 0, 3),)


def _softmax_inputs(fill, B, NH, T, scale=1.0, f32=0):
    """((), scores); scores (B, NH, T, T), times ``scale`` (1000: the large-scores case)."""
    scores = np.sin(7.0 * fill((B, NH, T, T), -1.0, 1.5)) * 2.0 * scale  # no order to exploit
    return (), scores.astype(float_dtype(f32))


def _softmax_reference(layout, scores):
    """The package's stable softmax over the keys with the package's causal mask."""
    from course_rnn.numpy_nn.attention import causal_mask
    from course_rnn.numpy_nn.functional import softmax

    T = scores.shape[-1]
    return (softmax(np.where(causal_mask(T), as_float64(scores), -np.inf)),)


def _attention_inputs(fill, T, B, NH, HS, E, scale=1.0, f32=0):
    """((), x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads)."""
    x = np.sin(5.0 * fill((T, B, E), -1.0, 1.2)) * scale  # (T, B, E)
    arrays = (
        x,
        np.sin(3.0 * fill((3 * E, E), -1.0, 1.1)) * 0.7,  # (3E, E) rows q | k | v
        fill((3 * E,), -0.2, 0.3),
        np.cos(4.0 * fill((E, E), -1.0, 0.9)) * 0.5,
        fill((E,), 0.1, -0.2),
    )
    return ((), *(a.astype(float_dtype(f32)) for a in arrays), int(NH))


def _attention_reference(layout, x, in_w, in_b, out_w, out_b, num_heads):
    """(out, weights per head), from the package's multi_head_attention_forward."""
    from course_rnn.numpy_nn.attention import multi_head_attention_forward

    x, in_w, in_b, out_w, out_b = as_float64((x, in_w, in_b, out_w, out_b))
    params = {
        "in_proj_weight": in_w,
        "in_proj_bias": in_b,
        "out_proj.weight": out_w,
        "out_proj.bias": out_b,
    }
    out, weights, _ = multi_head_attention_forward(
        x, x, x, params, num_heads, is_causal=True, average_attn_weights=False
    )
    return out, weights


# ---- the scan --------------------------------------------------------------------------------

_H = Output("h", "T B H")
#: A plain task whose checks (form, tolerance) the scan's judge reuses.
_PLAIN = Task(
    name="linear_recurrence_scan",
    params=("a", "b", "h0"),
    outputs=(_H,),
    build=lambda fill: (),
    reference=lambda: (),
    public={},
)


def _scan_inputs(fill, T, B, H, probe=0, reset=-1, grow=0, zero_b=0, f32=0):
    """Withheld((probe, a, b, h0), (h from the sequential loop in float64, dtype)).

    ``reset`` >= 0 sets a at that step to 0; ``grow`` draws |a| in [1.2, 2] with alternating
    signs; ``zero_b`` sets b = 0, so that only h_0 is carried.
    """
    from course_rnn.numpy_nn.scan import linear_recurrence_loop

    dtype = float_dtype(f32)
    if grow:
        signs = np.where(np.arange(T) % 2 == 0, 1.0, -1.0)[:, None, None]
        a = fill((T, B, H), 1.2, 2.0) * signs
    else:
        a = fill((T, B, H), -0.95, 0.97)  # (T, B, H)
    b = fill((T, B, H), 0.8, -1.0) * (1 - zero_b)
    h0 = fill((B, H), 0.6, -0.7)
    if reset >= 0:
        a[int(reset)] = 0.0
    a, b, h0 = (v.astype(dtype) for v in (a, b, h0))
    expected = linear_recurrence_loop(*as_float64((a, b, h0)))
    return Withheld((int(probe), a, b, h0), (expected, dtype))


def _scan_reference(probe, a, b, h0):
    """The Task's reference: never called to grade (the scan's build returns Withheld)."""
    from course_rnn.numpy_nn.scan import linear_recurrence_loop

    return (linear_recurrence_loop(*as_float64((a, b, h0))),)


def _scan_form(value, dims):
    """(h, None) or (None, what is wrong): an array, float, of shape (T, B, H), finite, and in
    the inputs' dtype."""
    value, problem = _form(_PLAIN, _H, dims, value)
    if problem:
        return None, problem
    dtype = np.dtype(float_dtype(dims.get("f32", 0)))
    if value.dtype != dtype:
        return None, f"h has dtype {value.dtype}, but the inputs are {dtype}: keep their dtype"
    return value, None


def _scan_grade(value, data):
    """(passed, message): h against the loop's states, within the tolerance of the dtype."""
    expected, dtype = data
    rtol, atol = SCAN_TOL[dtype]
    task = dataclasses.replace(_PLAIN, rtol=rtol, atol=atol)
    problem = _mismatch(task, _H, value, expected)
    if problem:
        T = expected.shape[0]
        if T > 1 and _mismatch(task, _H, value[1:], expected[:-1]) is None:
            problem += (
                "; yours is one step late: your h[t] is the expected h[t - 1] (h[0] is h_1, "
                "the state after the first step; h_0 is not returned)"
            )
        elif T > 1 and _mismatch(task, _H, value[:-1], expected[1:]) is None:
            problem += "; yours is one step early: your h[t] is the expected h[t + 1]"
        return False, "differs from the loop " + problem.removeprefix("h is wrong ")
    return True, f"h equals the sequential loop's states (rtol {rtol:g})"


# ---- the tasks -------------------------------------------------------------------------------

_F32 = "float32 inputs (keep the dtype)"

TASKS = (
    Task(
        name="split_heads",
        params=("x", "num_heads"),
        outputs=(
            Output(
                "heads",
                "B NH T HS",
                hint="reshape E into (NH, HS), head first, then move the axes to "
                "(B, NH, T, HS) with a transpose.",
            ),
        ),
        build=_split_inputs,
        reference=_split_reference,
        public=sizes(T=4, B=2, NH=3, HS=2),
        edges=(
            Edge("one head (NH = 1)", sizes(T=3, B=2, NH=1, HS=4)),
            Edge("head size 1 (HS = 1)", sizes(T=3, B=2, NH=5, HS=1)),
            Edge("a batch of 1 and T = 1", sizes(T=1, B=1, NH=2, HS=3)),
            Edge(_F32, sizes(T=3, B=2, NH=2, HS=2, f32=1)),
        ),
        harness=gated_cell_harness,
        rtol=RTOL,
        atol=ATOL,
    ),
    Task(
        name="causal_softmax",
        params=("scores",),
        outputs=(
            Output(
                "weights",
                "B NH T T",
                hint="block the keys s > t before the softmax over the last axis, so that "
                "each row sums to 1 over the keys it may see.",
            ),
        ),
        build=_softmax_inputs,
        reference=_softmax_reference,
        public={"B": 2, "NH": 2, "T": 5},
        edges=(
            Edge("T = 1 (a single position)", {"B": 2, "NH": 1, "T": 1}),
            Edge("large scores, near ±2000 (no overflow)", {"B": 1, "NH": 2, "T": 4, "scale": 1e3}),
            Edge(_F32, {"B": 2, "NH": 2, "T": 3, "f32": 1}),
        ),
        harness=gated_cell_harness,
        rtol=RTOL,
        atol=ATOL,
    ),
    Task(
        name="causal_self_attention",
        params=(
            "x",
            "in_proj_weight",
            "in_proj_bias",
            "out_proj_weight",
            "out_proj_bias",
            "num_heads",
        ),
        outputs=(
            Output(
                "out",
                "T B E",
                hint="out = concat(head_1, ..., head_NH) @ out_proj_weight.T + out_proj_bias, "
                "the heads side by side in order along E.",
            ),
            Output(
                "weights",
                "B NH T T",
                hint="weights = causal_softmax(q kᵀ / sqrt(HS)) per head, HS = E / NH.",
            ),
        ),
        build=_attention_inputs,
        reference=_attention_reference,
        public=sizes(T=5, B=2, NH=2, HS=3),
        edges=(
            Edge("T = 1 (a single position)", sizes(T=1, B=2, NH=2, HS=2)),
            Edge("one head (NH = 1)", sizes(T=4, B=2, NH=1, HS=4)),
            Edge("head size 1 (HS = 1)", sizes(T=4, B=2, NH=3, HS=1)),
            Edge("a batch of 1", sizes(T=3, B=1, NH=2, HS=2)),
            Edge("large scores (inputs × 30: no overflow)", sizes(T=4, B=2, NH=2, HS=2, scale=30)),
            Edge(_F32, sizes(T=3, B=2, NH=2, HS=2, f32=1)),
        ),
        harness=gated_cell_harness,
        rtol=RTOL,
        atol=ATOL,
    ),
    Task(
        name="linear_recurrence_scan",
        params=("a", "b", "h0"),
        outputs=(
            Output(
                "h",
                "T B H",
                kind="judged",
                hint="a round with offset d composes the map ending at t with the one ending at "
                "t - d; fold h_0 into the first step before the rounds.",
                judge=Judge(form=_scan_form, grade=_scan_grade),
            ),
        ),
        build=_scan_inputs,
        reference=_scan_reference,
        public={"T": 8, "B": 2, "H": 3},
        edges=(
            Edge("T = 1 (a single step)", {"T": 1, "B": 2, "H": 3}),
            Edge("T = 13 (not a power of two)", {"T": 13, "B": 2, "H": 2}),
            Edge("a = 0 at step 5 (the state resets)", {"T": 9, "B": 2, "H": 2, "reset": 4}),
            Edge("b = 0 (only h0 is carried)", {"T": 7, "B": 2, "H": 2, "zero_b": 1}),
            Edge("|a| > 1 (growing states)", {"T": 12, "B": 2, "H": 2, "grow": 1}),
            Edge("a batch of 1", {"T": 6, "B": 1, "H": 3}),
            Edge(_F32, {"T": 10, "B": 2, "H": 3, "f32": 1}),
            Edge(f"T = {LONG} (no Python loop over time)", {"T": LONG, "B": 1, "H": 2, "probe": 1}),
        ),
        harness=scan_harness,
        timeout=4.0,
    ),
)
