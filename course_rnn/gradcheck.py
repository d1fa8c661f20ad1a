"""Numerical gradients by central differences, and a checker with a readable report.

Every hand-written backward pass in ``course_rnn.numpy_nn`` is checked against these numbers
(book: chapter "Backpropagation through time", section "Checking a backward pass").

Convention (CS231n's ``eval_numerical_gradient_array``): for a function ``f(x) -> y`` and an
upstream gradient ``dy`` of the same shape as ``y``, the gradient of the scalar ``sum(f(x) * dy)``
with respect to ``x`` is ``dx``; that is exactly what a backward pass returns when handed ``dy``.

Changes from CS231n: ``f`` is called on a *copy* of ``x`` each time (no aliasing lambdas), large
arrays may be checked on sampled entries, and the checker raises instead of printing.
"""

from collections.abc import Callable, Mapping

import numpy as np


def rel_error(a, b, *, eps: float = 1e-12) -> float:
    """Largest entrywise relative error ``|a - b| / max(|a| + |b|, eps)`` (0 for equal arrays)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def numerical_gradient(f: Callable, x, dout=None, *, h: float = 1e-6, indices=None) -> np.ndarray:
    """Central-difference gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    Args:
        f:       function of one array returning an array (or a scalar when ``dout`` is None)
        x:       (any shape) float64 array; never modified
        dout:    upstream gradient with ``f(x)``'s shape; None means ``f`` returns a scalar loss
        h:       step size
        indices: optional iterable of index tuples to evaluate; other entries are left at 0

    Returns:
        dx: array of ``x``'s shape and dtype.
    """
    x = np.array(x, copy=True)
    if x.dtype != np.float64:
        raise TypeError(
            f"numerical_gradient: x must be float64 for a meaningful check, got {x.dtype}"
        )
    grad = np.zeros_like(x)

    def objective(z):
        y = f(z.copy())
        return float(np.sum(y)) if dout is None else float(np.sum(np.asarray(y) * dout))

    for ix in np.ndindex(x.shape) if indices is None else indices:
        old = x[ix]
        x[ix] = old + h
        plus = objective(x)
        x[ix] = old - h
        minus = objective(x)
        x[ix] = old
        grad[ix] = (plus - minus) / (2 * h)
    return grad


class GradientCheckError(AssertionError):
    """Analytic and numerical gradients disagree; the message says where and by how much."""


def check_gradients(
    f: Callable[[Mapping[str, np.ndarray]], np.ndarray],
    inputs: Mapping[str, np.ndarray],
    analytic: Mapping[str, np.ndarray],
    dout=None,
    *,
    tol: float = 1e-7,
    h: float = 1e-6,
    max_entries: int | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, float]:
    """Compare analytic gradients with central differences, input by input.

    Args:
        f:           function of a dict of named arrays (the ``inputs``) returning the output array
        inputs:      name -> float64 array, e.g. ``{"x": x, "weight_hh_l0": W_hh}``
        analytic:    name -> gradient computed by the backward pass; every key must be in ``inputs``
        dout:        upstream gradient with ``f(inputs)``'s shape (None: ``f`` returns a scalar)
        tol:         largest relative error accepted
        max_entries: check at most this many randomly chosen entries per input (needs ``rng``)
        rng:         generator for choosing the entries

    Returns:
        name -> relative error, for every name in ``analytic``.

    Raises:
        GradientCheckError: naming the worst input, its worst entry and both values.
    """
    missing = set(analytic) - set(inputs)
    if missing:
        raise KeyError(f"check_gradients: gradients given for unknown inputs {sorted(missing)}")
    errors, failures = {}, []
    for name, grad in analytic.items():
        x = np.asarray(inputs[name])
        if np.shape(grad) != x.shape:
            raise GradientCheckError(
                f"gradient of {name!r} has shape {np.shape(grad)}; expected {x.shape} like {name}"
            )

        def f_of(value, name=name):
            return f({**inputs, name: value})

        indices = None
        if max_entries is not None and x.size > max_entries:
            if rng is None:
                raise ValueError("check_gradients: max_entries needs rng= to choose entries")
            flat = rng.choice(x.size, size=max_entries, replace=False)
            indices = [np.unravel_index(i, x.shape) for i in flat]
        numeric = numerical_gradient(f_of, x, dout, h=h, indices=indices)
        analytic_vals = np.asarray(grad, dtype=np.float64)
        if indices is not None:
            numeric = np.array([numeric[i] for i in indices])
            analytic_vals = np.array([analytic_vals[i] for i in indices])
        errors[name] = rel_error(analytic_vals, numeric)
        if errors[name] > tol:
            scale = np.maximum(np.abs(analytic_vals) + np.abs(numeric), 1e-12)
            worst = np.unravel_index(
                np.argmax(np.abs(analytic_vals - numeric) / scale), numeric.shape
            )
            where = indices[worst[0]] if indices is not None else worst
            failures.append(
                f"  {name}{list(map(int, where))}: analytic {analytic_vals[worst]:.6g}, "
                f"numerical {numeric[worst]:.6g}, relative error {errors[name]:.2e} > {tol:.0e}"
            )
    if failures:
        raise GradientCheckError("gradient check failed for:\n" + "\n".join(failures))
    return errors
