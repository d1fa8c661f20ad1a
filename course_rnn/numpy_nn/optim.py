"""Optimisers (SGD, SGD with momentum, Adam) and gradient-norm clipping for dicts of NumPy arrays.

They follow ``torch.optim.SGD``, ``torch.optim.Adam`` and ``torch.nn.utils.clip_grad_norm_``
update for update (tested over several steps in float64). Parameters and gradients are dicts
keyed alike, e.g. the ``params`` and ``dparams`` of ``rnn_forward`` / ``rnn_backward``.
Like torch, every update is **in place**: the arrays in the ``params`` dict are modified (so any
other reference to them sees the new values) and ``clip_grad_norm`` scales the gradient arrays
it is given.

Book: chapter "Backpropagation through time", section "Exploding gradients and clipping" (the
clipping, and what it does under Adam); every chapter that trains a NumPy model. References:
Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2015; Pascanu, Mikolov & Bengio, "On
the difficulty of training recurrent neural networks", 2013 (gradient-norm clipping).
"""

import math

import numpy as np


def _check_grads(params, grads, where: str) -> None:
    """Raise ValueError unless grads has params' keys and each gradient its parameter's shape."""
    if set(grads) != set(params):
        missing, extra = sorted(set(params) - set(grads)), sorted(set(grads) - set(params))
        raise ValueError(
            f"{where}: grads must be keyed like params; missing {missing}, unknown {extra}"
        )
    for name, p in params.items():
        if np.shape(grads[name]) != p.shape:
            raise ValueError(
                f"{where}: grads[{name!r}] expected shape {p.shape} like the "
                f"parameter, got {np.shape(grads[name])}"
            )


class SGD:
    """Stochastic gradient descent, optionally with momentum, like ``torch.optim.SGD``.

    Each step, for every parameter p with gradient g (all in place):
        g = g + weight_decay * p                       (L2 penalty, when weight_decay > 0)
        buf = g on the first step, else momentum * buf + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf     (when momentum > 0)
        p = p - lr * g

    Args:
        params:       dict name -> float array; updated in place by ``step``
        lr:           learning rate
        momentum:     momentum factor (0: plain SGD)
        dampening:    dampening for momentum
        weight_decay: L2 penalty added to the gradient
        nesterov:     Nesterov momentum (needs momentum > 0 and dampening 0, as in torch)

    Differences from torch.optim.SGD:
        torch skips a parameter whose ``.grad`` is None; ``step`` here needs a gradient for every
        parameter and raises ValueError for a missing key, which is almost always a bug.

    Book: chapter "Backpropagation through time", section "Exploding gradients and clipping".
    """

    def __init__(
        self,
        params,
        *,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(
                f"SGD: lr, momentum and weight_decay must be >= 0, got lr={lr}, "
                f"momentum={momentum}, weight_decay={weight_decay}"
            )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum}, dampening={dampening}"
            )
        self.params = params
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self.state: dict[str, np.ndarray] = {}  # name -> momentum buffer

    def step(self, grads) -> None:
        """Update every parameter in place from ``grads`` (dict keyed like params)."""
        _check_grads(self.params, grads, "SGD.step")
        for name, p in self.params.items():
            g = grads[name]
            if self.weight_decay:
                g = g + self.weight_decay * p
            if self.momentum:
                buf = self.state.get(name)
                if buf is None:  # torch starts the buffer at the first gradient, undamped
                    buf = self.state[name] = np.array(g, dtype=p.dtype, copy=True)
                else:
                    buf *= self.momentum
                    buf += (1 - self.dampening) * g
                g = g + self.momentum * buf if self.nesterov else buf
            p -= self.lr * g


class Adam:
    """Adam with bias-corrected moment estimates, like ``torch.optim.Adam`` (amsgrad=False).

    Each step t = 1, 2, ... for every parameter p with gradient g (all in place):
        g = g + weight_decay * p                    (L2 penalty, not AdamW's decoupled decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g²
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Args:
        params:       dict name -> float array; updated in place by ``step``
        lr:           learning rate
        betas:        (beta1, beta2) decay rates of the first and second moments
        eps:          added to the denominator, outside the square root (as torch)
        weight_decay: L2 penalty added to the gradient

    Differences from torch.optim.Adam:
        As for SGD, ``step`` needs a gradient for every parameter. No amsgrad.

    Book: chapter "Backpropagation through time", section "Exploding gradients and clipping".
    """

    def __init__(
        self,
        params,
        *,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(
                f"Adam: need lr, eps, weight_decay >= 0 and betas in [0, 1), got "
                f"lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}"
            )
        self.params = params
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(betas), eps, weight_decay
        self.t = 0  # steps taken
        self.state: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> (m, v)

    def step(self, grads) -> None:
        """Update every parameter in place from ``grads`` (dict keyed like params)."""
        _check_grads(self.params, grads, "Adam.step")
        beta1, beta2 = self.betas
        self.t += 1
        step_size = self.lr / (1 - beta1**self.t)
        bias_correction2_sqrt = math.sqrt(1 - beta2**self.t)
        for name, p in self.params.items():
            g = grads[name]
            if self.weight_decay:
                g = g + self.weight_decay * p
            if name not in self.state:
                self.state[name] = (np.zeros_like(p), np.zeros_like(p))
            m, v = self.state[name]
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= step_size * m / (np.sqrt(v) / bias_correction2_sqrt + self.eps)


def clip_grad_norm(grads, max_norm: float, norm_type: float = 2.0) -> float:
    """Scale all gradients together so their joint norm is at most ``max_norm``, in place.

    total = ‖(all entries of all gradients)‖_p; if total > max_norm every gradient is multiplied
    by max_norm / (total + 1e-6), exactly as ``torch.nn.utils.clip_grad_norm_`` (the 1e-6 keeps
    the division safe; the factor is capped at 1, so small gradients are left as they are).

    Args:
        grads:     dict name -> float array (e.g. dparams); modified in place
        max_norm:  largest allowed total norm
        norm_type: p of the p-norm; ``math.inf`` for the largest absolute entry

    Returns:
        total_norm: float, the norm *before* clipping (worth logging: spikes show explosions).

    Book: chapter "Backpropagation through time", section "Exploding gradients and clipping".
    """
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm: max_norm must be >= 0, got {max_norm}")
    if not grads:
        return 0.0
    arrays = list(grads.values())
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g), initial=0.0)) for g in arrays)
    else:
        total = float(sum(np.sum(np.abs(g) ** norm_type) for g in arrays) ** (1.0 / norm_type))
    coef = min(max_norm / (total + 1e-6), 1.0)
    for g in arrays:
        g *= coef
    return total
