"""Associative recall at equal parameters: a Transformer, an LSTM and a GRU trained the same way.

Each model reads ``k_1 v_1 … k_n v_n ? q`` (``course_rnn.data.associative_recall``) and classifies
its summary vector (the last step's output) into the C values. The three share everything but the
encoder: the same token embedding width as their hidden size, the same linear head, Adam, the
clipped gradient norm, the batch stream and the test set of each seed. The recurrent cells get the
hidden size whose model has the parameter count closest to the Transformer's
(``matched_hidden_size``). Training speed is measured as tokens per second of per-thread CPU time
(``time.thread_time_ns``), so that other programs on the machine slow it as little as possible.

Book: chapter "RNNs and Transformers", section "Where each wins, at equal parameters".
References: Ba et al. (2016); Arora et al. (2023), "Zoology" (associative recall as the gap
between attention and fixed-size recurrent states).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from course_rnn.data.memory import associative_recall, recall_vocab_size
from course_rnn.studies.compare_recipe import check_int, check_number
from course_rnn.studies.compare_sizing import hidden_size_for
from course_rnn.torch_nn.models.classifier import SequenceClassifier
from course_rnn.torch_nn.models.config import EncoderConfig

#: the encoders compared, in the order of the book's table
RECALL_CELLS = ("transformer", "lstm", "gru")


def recall_model(
    cell: str,
    hidden_size: int,
    *,
    num_keys: int = 32,
    num_values: int = 32,
    num_layers: int = 2,
    num_heads: int = 4,
) -> SequenceClassifier:
    """The classifier of one cell: embedding (width H), encoder, linear head to the C values.

    Args:
        cell:        "transformer", "lstm" or "gru"
        hidden_size: H (recurrent) or the model width E (Transformer)
        num_keys:    K of the task
        num_values:  C of the task, the classes
        num_layers:  Transformer blocks (the recurrent cells always have one layer)
        num_heads:   NH of the Transformer

    Returns:
        SequenceClassifier with ``pooling="last"``; for the Transformer, causal self-attention
        with sinusoidal positions, so the last step is the only one that sees the query.
    """
    if cell not in RECALL_CELLS:
        raise ValueError(f"recall_model: cell must be one of {list(RECALL_CELLS)}, got {cell!r}")
    transformer = cell == "transformer"
    config = EncoderConfig(
        cell=cell,
        hidden_size=hidden_size,
        num_layers=num_layers if transformer else 1,
        num_heads=num_heads if transformer else EncoderConfig().num_heads,
        max_len=128,
    )
    return SequenceClassifier(
        num_values, vocab_size=recall_vocab_size(num_keys, num_values), config=config
    )


def parameter_count(model: nn.Module) -> int:
    """Trainable parameters of a model, each shared tensor once."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def matched_hidden_size(cell: str, target: int, **task) -> int:
    """The hidden size whose ``recall_model(cell, H, **task)`` has the parameter count closest to
    ``target`` (by building the models, so every bias and embedding counts)."""
    return hidden_size_for(
        target, lambda H: parameter_count(recall_model(cell, H, **task)), largest=1024
    )


def _batch(rng, num_pairs, batch_size, num_keys, num_values):
    inputs, targets, _ = associative_recall(
        num_pairs, batch_size, rng=rng, num_keys=num_keys, num_values=num_values
    )
    return torch.from_numpy(inputs), torch.from_numpy(targets)  # (T, B), (B,)


@torch.no_grad()
def _accuracy(model, inputs, targets) -> float:
    model.eval()
    logits = model(inputs).logits  # (B, C)
    model.train()
    return float((logits.argmax(-1) == targets).double().mean())


def train_recall(
    cell: str,
    hidden_size: int,
    *,
    seed: int = 0,
    steps: int = 1_500,
    num_pairs: int = 8,
    batch_size: int = 64,
    lr: float = 1e-3,
    clip: float = 1.0,
    eval_every: int = 100,
    n_test: int = 1_000,
    num_keys: int = 32,
    num_values: int = 32,
) -> dict:
    """Train one model on associative recall and report its test-accuracy curve and speed.

    The seed fixes the initial weights (torch's generator, restored afterwards), the stream of
    training batches and the test set (two NumPy generators), so a run repeats exactly on one
    thread. Training batches are fresh every update: the task cannot be memorised.

    Args:
        cell:        "transformer", "lstm" or "gru"
        hidden_size: H or E
        seed:        int >= 0
        steps:       Adam updates
        num_pairs:   n, key-value pairs per sequence (T = 2n + 2)
        batch_size:  B
        lr:          Adam's learning rate
        clip:        global gradient-norm threshold
        eval_every:  updates between two test evaluations
        n_test:      test sequences (the same for every cell of a seed)
        num_keys, num_values: K and C of the task

    Returns:
        dict with cell, hidden_size, seed, steps, parameters, curve [[step, accuracy], ...],
        final (test accuracy at the end), chance (1 / C), train_cpu_seconds (thread CPU time of
        the updates, evaluations excluded), tokens_per_second (B·T·steps / train_cpu_seconds).
    """
    where = "train_recall"
    seed = check_int(where, "seed", seed, minimum=0)
    steps = check_int(where, "steps", steps)
    eval_every = check_int(where, "eval_every", eval_every)
    lr = check_number(where, "lr", lr, positive=True)
    task = {"num_keys": num_keys, "num_values": num_values}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = recall_model(cell, hidden_size, **task)
    batches = np.random.default_rng([seed, 1])
    test_x, test_y = _batch(np.random.default_rng([seed, 2]), num_pairs, n_test, **task)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    curve = [[0, _accuracy(model, test_x, test_y)]]
    cpu_ns = 0
    for step in range(1, steps + 1):
        x, y = _batch(batches, num_pairs, batch_size, **task)
        started = time.thread_time_ns()
        loss = model(x, y).loss
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        cpu_ns += time.thread_time_ns() - started
        if step % eval_every == 0 or step == steps:
            curve.append([step, _accuracy(model, test_x, test_y)])
    seconds = cpu_ns / 1e9
    T = 2 * num_pairs + 2
    return {
        "cell": cell,
        "hidden_size": hidden_size,
        "seed": seed,
        "steps": steps,
        "num_pairs": num_pairs,
        "parameters": parameter_count(model),
        "curve": curve,
        "final": curve[-1][1],
        "chance": 1 / num_values,
        "train_cpu_seconds": round(seconds, 3),
        "tokens_per_second": round(batch_size * T * steps / seconds, 1),
    }
