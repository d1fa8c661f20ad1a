"""How many parameters a model of the comparison has, and the hidden size that matches a count.

A recurrent layer with G gate blocks (tanh RNN 1, GRU 3, LSTM 4) holds G(DH + H² + 2H)
parameters: W_ih (GH, D), W_hh (GH, H) and the two biases b_ih, b_hh (GH,) that torch keeps.
The comparison's models put an optional embedding E (V, D) before it and a linear head
W_hy (C, H), b_y (C,) after it, so the whole model holds

    V·D  +  G(DH + H² + 2H)  +  (H·C + C).

"Equal parameter count" means: the LSTM at its hidden size is the reference, and the GRU and the
tanh RNN get the hidden size whose *whole-model* count is closest to it
(:func:`hidden_size_for`); the embedding and the head grow with H too, and are counted.

Book: "Gated recurrent units", sections "Parameters" and "The comparison".
"""

from __future__ import annotations

from collections.abc import Callable

#: gate blocks G of each cell (rows of W_ih are G·H); the comparison's cells, in this order
CELLS = {"rnn": 1, "lstm": 4, "gru": 3}


def recurrent_parameters(cell: str, input_size: int, hidden_size: int) -> int:
    """G(DH + H² + 2H): the parameters of one torch.nn.RNN/LSTM/GRU layer with both biases."""
    where = "recurrent_parameters"
    G = _gates(where, cell)
    D, H = _positive(where, "input_size", input_size), _positive(where, "hidden_size", hidden_size)
    return G * (D * H + H * H + 2 * H)


def model_parameters(
    cell: str, hidden_size: int, *, input_size: int, outputs: int, vocab_size: int | None = None
) -> int:
    """All trainable parameters of embedding (if any) + one recurrent layer + linear head.

    Args:
        cell:        "rnn", "lstm" or "gru"
        hidden_size: H
        input_size:  D, the features the recurrent layer reads (the embedding width for tokens)
        outputs:     C, the head's outputs (V for a language model, 2 classes, 1 for a sum)
        vocab_size:  V of an embedding (V, D) before the layer, or None for float inputs

    Returns:
        int: V·D + G(DH + H² + 2H) + H·C + C
    """
    where = "model_parameters"
    C = _positive(where, "outputs", outputs)
    embedding = 0 if vocab_size is None else _positive(where, "vocab_size", vocab_size) * input_size
    H = _positive(where, "hidden_size", hidden_size)
    return embedding + recurrent_parameters(cell, input_size, H) + H * C + C


def hidden_size_for(target: int, count: Callable[[int], int], *, largest: int = 4096) -> int:
    """The hidden size H in [1, largest] whose parameter count ``count(H)`` is closest to target.

    Args:
        target:  the parameter count to match (e.g. the reference LSTM's)
        count:   H -> parameters, strictly increasing in H (e.g. a ``model_parameters`` partial)
        largest: the largest H considered

    Returns:
        int: argmin over H of |count(H) − target|; the smaller H on a tie

    Raises:
        ValueError: target is not a positive int, or above count(largest).
    """
    where = "hidden_size_for"
    target = _positive(where, "target", target)
    if count(largest) < target:
        raise ValueError(
            f"{where}: target={target} exceeds count(largest={largest}) = {count(largest)}; "
            "raise largest"
        )
    low, high = 1, largest  # the smallest H with count(H) >= target lies in [low, high]
    while low < high:
        mid = (low + high) // 2
        if count(mid) >= target:
            high = mid
        else:
            low = mid + 1
    if low > 1 and target - count(low - 1) <= count(low) - target:
        return low - 1
    return low


def _gates(where: str, cell: str) -> int:
    if cell not in CELLS:
        raise ValueError(f"{where}: cell must be one of {list(CELLS)}, got {cell!r}")
    return CELLS[cell]


def _positive(where: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
    return value
