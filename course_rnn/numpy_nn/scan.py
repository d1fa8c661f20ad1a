"""The linear recurrence h_t = a_t ⊙ h_{t−1} + b_t, by a loop over time and by a parallel scan.

This diagonal (element-wise) linear recurrence is the core of the recent recurrent models that
train in parallel over time (linear RNNs and state-space layers): nothing nonlinear stands between
h_{t−1} and h_t, so the whole sequence of states follows from an associative scan in O(log T)
vectorised steps instead of T sequential ones.

The maths indexes time t = 1..T with h_0 the initial state; the arrays are 0-based, so ``a[0]`` is
a_1 and ``h[t-1]`` is h_t.

Why a scan works: step t is the affine map h ↦ a_t ⊙ h + b_t. Two maps compose into another one,
first (a_1, b_1) then (a_2, b_2) gives (a_2 ⊙ a_1, a_2 ⊙ b_1 + b_2), and composition is
associative, so all prefix compositions can be computed in a tree. We fold h_0 into the first map
(b_1 ← a_1 ⊙ h_0 + b_1, a_1 ← 0); the prefix composition up to t then maps anything to h_t.

Book: chapter "Length generalisation and the recurrent comeback".
"""

import numpy as np

from course_rnn.shapes import ShapeError, check_shape


def _check(a, b, h0, where: str):
    """Validate (a, b, h0) and return them with the common float dtype; raise ShapeError if bad."""
    for name, x, pattern in (("a", a, "T B H"), ("b", b, "T B H"), ("h0", h0, "B H")):
        if not isinstance(x, np.ndarray):
            raise ShapeError(
                f"{where}: {name} expected a NumPy float array ({', '.join(pattern.split())}), "
                f"got {type(x).__name__}"
            )
        if not np.issubdtype(x.dtype, np.floating):
            raise ShapeError(
                f"{where}: {name} expected a float array, got dtype {x.dtype} "
                f"(convert with {name}.astype(np.float64))"
            )
    dims = check_shape(a, "T B H", name="a", where=where)
    check_shape(b, "T B H", name="b", where=where, **dims)
    check_shape(h0, "B H", name="h0", where=where, B=dims["B"], H=dims["H"])
    if dims["T"] == 0:
        raise ShapeError(f"{where}: a and b need at least one time step, got T = 0")
    dtype = np.result_type(a, b, h0)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False), h0.astype(dtype, copy=False)


def linear_recurrence_loop(a: np.ndarray, b: np.ndarray, h0: np.ndarray) -> np.ndarray:
    """All states of h_t = a_t ⊙ h_{t−1} + b_t, t = 1..T, one step after the other.

    Args:
        a:  (T, B, H) float  the per-step, per-unit decay (or gate) a_t; ``a[t-1]`` is a_t
        b:  (T, B, H) float  the per-step input b_t
        h0: (B, H) float     the initial state h_0

    Returns:
        h: (T, B, H), the common float dtype of the inputs; ``h[t-1]`` is h_t (h_0 is not
        included).

    Raises:
        ShapeError: an argument that is not a float array or has the wrong shape; the message
            names it.

    Book: chapter "Length generalisation and the recurrent comeback".
    """
    a, b, h0 = _check(a, b, h0, "linear_recurrence_loop")
    h = np.empty_like(b)  # (T, B, H)
    h_prev = h0  # (B, H)
    for t in range(a.shape[0]):
        h_prev = a[t] * h_prev + b[t]  # (B, H)
        h[t] = h_prev
    return h


def linear_recurrence_scan(a: np.ndarray, b: np.ndarray, h0: np.ndarray) -> np.ndarray:
    """The same states as ``linear_recurrence_loop``, by a parallel (Hillis–Steele) scan.

    ⌈log₂ T⌉ rounds; in the round with offset d = 1, 2, 4, ... every position t ≥ d composes the
    map it holds (covering steps t−d+1..t) with the one held at t−d, all positions at once. The
    Python loop runs over the rounds, never over time. Work is O(T log T) element operations;
    a sequential machine does better with the loop, a parallel one (a GPU) with the scan.

    Args:
        a:  (T, B, H) float  a_t, ``a[t-1]`` is a_t
        b:  (T, B, H) float  b_t
        h0: (B, H) float     h_0

    Returns:
        h: (T, B, H), the common float dtype of the inputs; ``h[t-1]`` is h_t.

    Equal to the loop up to rounding (the products are grouped differently). With |a| > 1 the
    states grow like the product of the a's; over long sequences both overflow, and where a
    product of a's overflows to inf while a later a_t is 0, the scan gives NaN (inf · 0) where the
    loop gives a finite value.

    Raises:
        ShapeError: an argument that is not a float array or has the wrong shape.

    Book: chapter "Length generalisation and the recurrent comeback".
    """
    a, b, h0 = _check(a, b, h0, "linear_recurrence_scan")
    A = a.copy()  # (T, B, H) decay of the composed map ending at each position
    Bc = b.copy()  # (T, B, H) offset of the composed map ending at each position
    Bc[0] = a[0] * h0 + b[0]  # fold h_0 into the first map, which then ignores its input
    A[0] = 0
    T = a.shape[0]
    d = 1
    while d < T:  # ⌈log₂ T⌉ rounds
        # compose (A, B)[t-d] (earlier) with (A, B)[t] (later): (A_t A_{t-d}, A_t B_{t-d} + B_t)
        # the right-hand sides are evaluated before assignment, so they read the old values
        Bc[d:] = A[d:] * Bc[:-d] + Bc[d:]
        A[d:] = A[d:] * A[:-d]
        d *= 2
    return Bc
