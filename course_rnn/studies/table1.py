"""Table 1 of Vaswani et al. (2017), measured: a recurrent layer against a self-attention layer.

The paper's Table 1 compares layer types by three columns: complexity per layer (O(n·d²) for a
recurrent layer, O(n²·d) for self-attention), the number of sequential operations (O(n) against
O(1)) and the maximum path length between two positions (O(n) against O(1)). This module measures
each column on this machine for an ``nn.LSTM(d, d)`` layer and a self-attention layer
(``course_rnn.torch_nn.MultiHeadAttention`` with x as query, key and value), at width d and
sequence length n:

- ``forward_seconds``: per-thread CPU time of a forward pass (the minimum over rounds, every round
  timing every configuration once, so that a busy machine slows all of them alike);
- ``layer_flops``: the multiply-adds of each layer, counted analytically, times two;
- ``graph_depth``: the longest chain of dependent operations from the input to the last output in
  the autograd graph, for the course's LSTM twin (its time loop is in Python, one node per
  operation) and for the attention layer;
- ``path_gradients``: ‖∂y_n/∂x_{n-k}‖ (Frobenius norm) against the distance k;
- ``saved_bytes``: the bytes that autograd keeps from the forward pass for the backward pass,
  the memory a training step needs for its activations.

Book: chapter "RNNs and Transformers", section "Vaswani Table 1, measured".
Reference: Vaswani et al. (2017), "Attention is all you need", Table 1 and section 4.
"""

from __future__ import annotations

import functools
import itertools
import math

import torch
from torch import nn

from course_rnn.studies import measure
from course_rnn.torch_nn.attention import MultiHeadAttention
from course_rnn.torch_nn.lstm import LSTM as LSTM_TWIN

LAYERS = ("lstm", "attention")


def make_layer(kind: str, d: int, *, num_heads: int = 4, seed: int = 0, twin: bool = False):
    """One layer of width d, initialised from ``seed`` (torch's generator restored afterwards).

    Args:
        kind:      "lstm" (``nn.LSTM(d, d)``, or the course twin with ``twin=True``) or
                   "attention" (``MultiHeadAttention(d, num_heads)``)
        d:         width: input and output features
        num_heads: NH of the attention layer
        seed:      seed of the initial weights
        twin:      the LSTM as the course's Python-loop twin (for ``graph_depth``)

    Returns:
        a function x (n, B, d) -> y (n, B, d); attention is causal when called with causal=True.
    """
    if kind not in LAYERS:
        raise ValueError(f"make_layer: kind must be one of {list(LAYERS)}, got {kind!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "lstm":
            module = (LSTM_TWIN if twin else nn.LSTM)(d, d)

            def run(x, causal=True):  # a recurrence is causal anyway
                return module(x)[0]  # (n, B, d)

        else:
            module = MultiHeadAttention(d, num_heads)

            def run(x, causal=False):
                return module(x, x, x, is_causal=causal, average_attn_weights=False)[0]

    run.module = module
    return run


def layer_flops(kind: str, n: int, d: int) -> int:
    """Floating-point operations of one forward pass (2 per multiply-add, matrix products only).

    LSTM: n steps of (4d × d) · x_t and (4d × d) · h_{t-1}: 16·n·d². Self-attention: the q, k, v
    and output projections, 8·n·d², plus the scores Q Kᵀ and the weighted sum, 4·n²·d (the number
    of heads does not change it). The paper's Table 1 keeps only the leading terms, n·d² and n²·d.
    """
    if kind == "lstm":
        return 16 * n * d * d
    if kind == "attention":
        return 8 * n * d * d + 4 * n * n * d
    raise ValueError(f"layer_flops: kind must be one of {list(LAYERS)}, got {kind!r}")


@torch.no_grad()
def forward_seconds(
    widths, lengths, *, rounds: int = 5, batch_size: int = 1, budget: float = 0.02, seed: int = 0
) -> list[dict]:
    """Per-thread CPU seconds of one forward pass of each layer, width and length.

    Every round times every configuration once (``number`` calls, chosen once so that one
    measurement takes about ``budget`` seconds), so slow phases of a shared machine hit all
    configurations alike; the minimum over the rounds is the estimate.

    Args:
        widths:     the d to measure
        lengths:    the n to measure
        rounds:     measurements per configuration
        batch_size: B (1: one sequence, the setting of the paper's per-layer count)
        budget:     seconds of one measurement
        seed:       seed of the weights and the inputs

    Returns:
        list of dicts (layer, d, n, number, seconds: min over rounds, all: every round, flops).
    """
    gen = torch.Generator().manual_seed(seed)
    configs = []
    for d in widths:
        layers = {kind: make_layer(kind, d, seed=seed) for kind in LAYERS}
        for n in lengths:
            x = torch.randn(n, batch_size, d, generator=gen)  # (n, B, d)
            for kind, layer in layers.items():
                fn = functools.partial(layer, x)
                once = measure.cpu_seconds(fn, 1)  # also a warm-up
                number = max(1, min(1000, round(budget / max(once, 1e-6))))
                configs.append({"layer": kind, "d": d, "n": n, "number": number, "fn": fn})
    for _ in range(rounds):
        for c in configs:
            c.setdefault("all", []).append(measure.cpu_seconds(c["fn"], c["number"]))
    return [
        {
            "layer": c["layer"],
            "d": c["d"],
            "n": c["n"],
            "number": c["number"],
            "seconds": min(c["all"]),
            "all": c["all"],
            "flops": layer_flops(c["layer"], c["n"], c["d"]),
        }
        for c in configs
    ]


def crossover(lengths, lstm_seconds, attention_seconds) -> float | None:
    """The n at which attention becomes slower than the LSTM, interpolated on log-log axes.

    Returns None when attention is slower everywhere or faster everywhere on the grid.
    """
    pairs = list(zip(lengths, lstm_seconds, attention_seconds, strict=True))
    for (n0, l0, a0), (n1, l1, a1) in itertools.pairwise(pairs):
        r0, r1 = math.log(a0 / l0), math.log(a1 / l1)
        if r0 <= 0 < r1:
            w = -r0 / (r1 - r0)  # where the log ratio crosses 0
            return math.exp(math.log(n0) + w * (math.log(n1) - math.log(n0)))
    return None


def graph_depth(kind: str, n: int, d: int = 8, *, seed: int = 0) -> int:
    """Dependent operations from the input to the last output: the longest path in autograd's graph.

    The LSTM is the course's twin (one autograd node per operation of each step); ``nn.LSTM``
    would be one fused node hiding its n steps. Every node on the path must wait for the one
    before it, so the depth bounds from below the time of any schedule, however many cores.
    """
    layer = make_layer(kind, d, seed=seed, twin=True)
    x = torch.randn(n, 1, d, generator=torch.Generator().manual_seed(seed), requires_grad=True)
    y = layer(x, causal=True)[-1].sum()  # the last output
    return measure.graph_depth(y)


def path_gradients(kind: str, n: int, d: int, *, seed: int = 0) -> list[float]:
    """‖∂y_n/∂x_{n-k}‖ for k = 0 … n-1: how strongly the last output depends on each input.

    The attention layer is causal, so that y_n, like the LSTM's last output, reads x_1 … x_n.
    Inputs are N(0, 1); weights as initialised by torch. The Jacobian ∂y_n/∂x is computed with one
    backward pass per output feature (d passes).

    Returns:
        list of n floats, index k = distance from the last step (k = 0 is x_n itself).
    """
    layer = make_layer(kind, d, seed=seed)
    x = torch.randn(n, 1, d, generator=torch.Generator().manual_seed(seed), requires_grad=True)
    y_last = layer(x, causal=True)[-1, 0]  # (d,)
    rows = [torch.autograd.grad(y_last[i], x, retain_graph=True)[0][:, 0] for i in range(d)]
    jac = torch.stack(rows)  # (d, n, d): ∂y_n[i] / ∂x_t[j]
    norms = jac.pow(2).sum(dim=(0, 2)).sqrt()  # (n,) by position t
    return norms.flip(0).tolist()  # by distance k = n - 1 - t


def saved_bytes(kind: str, n: int, d: int, *, batch_size: int = 1, seed: int = 0) -> int:
    """Bytes autograd saves in one forward pass for the backward pass (each storage counted once).

    This is the activation memory of a training step: O(n·d) for the LSTM, O(n²) per head for
    attention, whose weights (B, NH, n, n) must be kept. Parameters are excluded.
    """
    layer = make_layer(kind, d, seed=seed)
    params = {p.untyped_storage().data_ptr() for p in layer.module.parameters()}
    seen: dict[int, int] = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    x = torch.randn(n, batch_size, d, generator=torch.Generator().manual_seed(seed))
    x.requires_grad_(True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = layer(x)
    del y
    return sum(seen.values())
