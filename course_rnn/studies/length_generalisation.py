"""Train on short strings, test on long ones: an LSTM, a minGRU stack and a Transformer.

The three models read token ids (T, B) and give class logits at every step (T, B, C):

- ``"lstm"``: embedding, one ``torch.nn.LSTM`` layer, a linear head;
- ``"mingru"``: embedding, two :class:`~course_rnn.torch_nn.mingru.MinGRU` layers (scan mode), a
  linear head: a linear-recurrent model;
- ``"transformer"``: embedding, a causal :class:`~course_rnn.torch_nn.TransformerStack` with
  **sinusoidal** positions (learned positions have no trained vector for a position never seen in
  training, so they cannot even represent a longer string), a linear head.

:func:`train_formal` trains one of them on a task of :mod:`course_rnn.data.formal` with strings of
length <= ``train_len`` and measures, on fixed test batches, the accuracy of the label read at the
last step of strings of each test length. :func:`train_copy` trains one on the copy task of
:mod:`course_rnn.data.memory` at one string length and returns the per-symbol accuracy.
:func:`train_recall_mingru` trains a two-layer minGRU on associative recall with the recipe of
``course_rnn.studies.recall`` (chapter "RNNs and Transformers"), for the closing table.
Everything random comes from ``seed`` (weights drawn inside ``torch.random.fork_rng``, so torch's
global generator is left as it was; batches from ``np.random.default_rng(seed)``).

Book: chapter "Length generalisation and the recurrent comeback", sections "'Memorise but don't
generalise', examined" and "The recurrent comeback". References: Delétang et al. (2023), "Neural
networks and the Chomsky hierarchy"; Jelassi et al. (2024), "Repeat after me: Transformers are
better than state space models at copying".
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_rnn.data.formal import FORMAL_SIZES, FORMAL_TASKS
from course_rnn.data.memory import copy_task, copy_vocab_size
from course_rnn.torch_nn.mingru import MinGRU
from course_rnn.torch_nn.transformer import TransformerStack

KINDS = ("lstm", "mingru", "transformer")
#: sizes of the three models: about 9-10 k parameters each on the formal tasks (see parameters())
SIZES = {
    "lstm": {"embed_dim": 16, "hidden_size": 40},
    "mingru": {"embed_dim": 16, "hidden_size": 64},
    "transformer": {"embed_dim": 24, "num_heads": 4, "num_layers": 2, "ff_size": 48},
}
#: seed of the fixed test batches (plus the length), the same for every model and seed
TEST_SEED = 30_000


class TokenModel(nn.Module):
    """Embedding, a sequence model, a linear head: tokens (T, B) -> logits (T, B, C).

    Args:
        kind:        "lstm", "mingru" or "transformer"
        vocab_size:  V
        num_classes: C
        max_len:     longest sequence the Transformer's positions cover
    """

    def __init__(self, kind: str, vocab_size: int, num_classes: int, *, max_len: int = 1024):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"TokenModel: kind must be one of {KINDS}, got {kind!r}")
        size = SIZES[kind]
        self.kind = kind
        self.embed = nn.Embedding(vocab_size, size["embed_dim"])  # E (V, D)
        if kind == "lstm":
            self.body = nn.LSTM(size["embed_dim"], size["hidden_size"])
            width = size["hidden_size"]
        elif kind == "mingru":
            H = size["hidden_size"]
            self.body = nn.ModuleList([MinGRU(size["embed_dim"], H), MinGRU(H, H)])
            width = H
        else:
            self.body = TransformerStack(
                size["embed_dim"], size["num_heads"], size["num_layers"], max_len=max_len,
                positional="sinusoidal", ff_size=size["ff_size"],
            )  # fmt: skip
            width = size["embed_dim"]
        self.head = nn.Linear(width, num_classes)  # W_hy (C, width), b_y (C,)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits (T, B, C) from token ids (T, B); step t sees only steps <= t."""
        x = self.embed(tokens)  # (T, B, D)
        if self.kind == "lstm":
            h, _ = self.body(x)  # (T, B, H)
        elif self.kind == "mingru":
            h = x
            for layer in self.body:
                h, _ = layer(h)  # (T, B, H)
        else:
            h, _ = self.body(x, is_causal=True)  # (T, B, E)
        return self.head(h)  # (T, B, C)


def parameters(model: nn.Module) -> int:
    """The number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def make_model(kind: str, vocab_size: int, num_classes: int, *, seed: int, max_len: int = 1024):
    """A TokenModel whose weights come from ``seed`` (torch's global generator is untouched)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return TokenModel(kind, vocab_size, num_classes, max_len=max_len)


def _masked_loss(logits, targets, mask):
    return F.cross_entropy(logits[mask], targets[mask])  # mean over the scored steps


def _train(model, draw, steps, lr):
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    started = time.thread_time()
    for _ in range(steps):
        inputs, targets, mask = (torch.from_numpy(a) for a in draw())
        loss = _masked_loss(model(inputs), targets, mask)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
    return loss.item(), time.thread_time() - started


@torch.no_grad()
def last_step_accuracy(model: nn.Module, task: str, length: int, eval_size: int) -> float:
    """Accuracy of the label read at the last step of ``eval_size`` fixed strings of ``length``."""
    batch = FORMAL_TASKS[task](length, eval_size, rng=np.random.default_rng(TEST_SEED + length))
    logits = model(torch.from_numpy(batch.inputs))[-1]  # (B, C)
    return float((logits.argmax(-1) == torch.from_numpy(batch.targets[-1])).double().mean())


def train_formal(
    task: str,
    kind: str,
    *,
    seed: int,
    train_len: int = 20,
    test_lengths: tuple[int, ...] = (10, 20, 40, 80, 160),
    steps: int = 800,
    batch_size: int = 64,
    lr: float = 3e-3,
    eval_size: int = 512,
) -> dict:
    """Train on strings of length <= train_len; accuracy at each test length.

    Parity and the modular sum score every step, so strings of exactly ``train_len`` teach every
    length up to it; Dyck scores only the last step, so each batch draws its even length uniformly
    from 2 … train_len.

    Returns:
        dict: task, kind, seed, parameters, final training loss, CPU seconds, and
        ``accuracy``: {str(length): accuracy} for every test length.
    """
    if task not in FORMAL_TASKS:
        raise ValueError(f"train_formal: task must be one of {sorted(FORMAL_TASKS)}, got {task!r}")
    V, C = FORMAL_SIZES[task]
    model = make_model(kind, V, C, seed=seed, max_len=max(test_lengths))
    rng = np.random.default_rng(seed)
    generate = FORMAL_TASKS[task]

    def draw():
        T = 2 * int(rng.integers(1, train_len // 2 + 1)) if task == "dyck" else train_len
        return generate(T, batch_size, rng=rng)

    loss, seconds = _train(model, draw, steps, lr)
    model.eval()
    accuracy = {str(n): last_step_accuracy(model, task, n, eval_size) for n in test_lengths}
    return {
        "task": task, "kind": kind, "seed": seed, "parameters": parameters(model),
        "train_loss": round(loss, 6), "cpu_seconds": round(seconds, 2),
        "accuracy": {k: round(v, 6) for k, v in accuracy.items()},
    }  # fmt: skip


def train_copy(
    kind: str,
    length: int,
    *,
    seed: int,
    steps: int = 600,
    batch_size: int = 32,
    lr: float = 3e-3,
    num_symbols: int = 8,
    eval_size: int = 256,
) -> dict:
    """Train on the copy task with ``length`` symbols (delay 1) and measure the copy accuracy.

    Returns:
        dict: kind, length, seed, parameters, CPU seconds, ``accuracy`` (fraction of the scored
        symbols right on a fixed test batch; guessing scores 1 / num_symbols).
    """
    V = copy_vocab_size(num_symbols)
    model = make_model(kind, V, V, seed=seed, max_len=2 * length + 1)
    rng = np.random.default_rng(seed)
    _, seconds = _train(
        model, lambda: copy_task(length, 1, batch_size, rng=rng, num_symbols=num_symbols),
        steps, lr,
    )  # fmt: skip
    model.eval()
    test = copy_task(
        length, 1, eval_size, rng=np.random.default_rng(TEST_SEED + length),
        num_symbols=num_symbols,
    )  # fmt: skip
    with torch.no_grad():
        guess = model(torch.from_numpy(test.inputs)).argmax(-1)  # (T, B)
    right = (guess == torch.from_numpy(test.targets))[torch.from_numpy(test.mask)]
    return {
        "kind": kind, "length": length, "seed": seed, "parameters": parameters(model),
        "cpu_seconds": round(seconds, 2), "accuracy": round(float(right.double().mean()), 6),
    }  # fmt: skip


class RecallMinGRU(nn.Module):
    """Embedding (width H), two minGRU layers (scan), a linear head on the last step: (T, B) ->
    (B, C). The minGRU counterpart of the previous chapter's associative-recall classifiers."""

    def __init__(self, vocab_size: int, num_classes: int, hidden_size: int):
        super().__init__()
        H = hidden_size
        self.embed = nn.Embedding(vocab_size, H)  # E (V, H)
        self.layers = nn.ModuleList([MinGRU(H, H), MinGRU(H, H)])
        self.head = nn.Linear(H, num_classes)  # W_hy (C, H), b_y (C,)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Class logits (B, C) read from the last step of tokens (T, B)."""
        h = self.embed(tokens)  # (T, B, H)
        for layer in self.layers:
            h, _ = layer(h)  # (T, B, H)
        return self.head(h[-1])  # (B, C)


def train_recall_mingru(
    hidden_size: int,
    *,
    seed: int,
    steps: int = 2_000,
    num_pairs: int = 8,
    batch_size: int = 64,
    lr: float = 1e-3,
    n_test: int = 1_000,
    num_keys: int = 32,
    num_values: int = 32,
    eval_every: int = 100,
) -> dict:
    """Associative recall with the recipe of ``course_rnn.studies.recall.train_recall``.

    The same seeded batch stream and test set (``np.random.default_rng([seed, 1])`` and
    ``[seed, 2]``), Adam, gradient norm clipped at 1, a fresh batch every update; only the
    encoder differs: :class:`RecallMinGRU`.

    Returns:
        dict: hidden_size, seed, steps, parameters, curve [[step, test accuracy], ...] every
        ``eval_every`` updates, final (test accuracy), chance (1 / C), cpu_seconds.
    """
    from course_rnn.data.memory import associative_recall, recall_vocab_size

    def batch(rng, size):
        inputs, targets, _ = associative_recall(
            num_pairs, size, rng=rng, num_keys=num_keys, num_values=num_values
        )
        return torch.from_numpy(inputs), torch.from_numpy(targets)  # (T, B), (B,)

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = RecallMinGRU(recall_vocab_size(num_keys, num_values), num_values, hidden_size)
    batches = np.random.default_rng([seed, 1])
    test_x, test_y = batch(np.random.default_rng([seed, 2]), n_test)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)

    @torch.no_grad()
    def test_accuracy():
        return round(float((model(test_x).argmax(-1) == test_y).double().mean()), 6)

    curve, seconds = [[0, test_accuracy()]], 0.0
    for step in range(1, steps + 1):
        x, y = batch(batches, batch_size)
        started = time.thread_time()
        loss = F.cross_entropy(model(x), y)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        seconds += time.thread_time() - started
        if step % eval_every == 0 or step == steps:
            curve.append([step, test_accuracy()])
    return {
        "hidden_size": hidden_size, "seed": seed, "steps": steps, "parameters": parameters(model),
        "curve": curve, "final": curve[-1][1], "chance": 1 / num_values,
        "cpu_seconds": round(seconds, 2),
    }  # fmt: skip
