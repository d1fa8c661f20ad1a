"""The tanh RNN, the LSTM and the GRU under one budget: the training runs of the comparison.

The comparison trains the three cells on the same data with the same optimiser and the same
number of updates, at equal hidden size and at equal parameter count (sizes from
:mod:`course_rnn.studies.compare_sizing`). Its three tasks:

- :func:`train_char_lm`: a character language model on the pydoc corpus (embedding E of width
  32, one recurrent layer, head W_hy), trained on random windows; the metric is bits per
  character on the whole held-out tenth, every 100-step chunk starting from h_0 = 0.
  ``train_fraction`` keeps only the first part of the training text (the data-size study).
- :func:`train_sentiment`: the generated sentiment set of ``course_rnn.data.make_sentiment``
  (labels that depend on word order), classified from the state at the last real word; the
  metric is the accuracy on a fixed test set of 2,000 sentences. ``n_train`` sentences are the
  first of one fixed pool, so a smaller training set is a part of a larger one.
- :func:`train_adding_compared`: the adding problem of ``course_rnn.studies.adding.train_adding``
  (T = 50 by default), its result given the keys the other two tasks have.

One recipe for all (:class:`course_rnn.studies.compare_recipe.Recipe`): Adam, the global
gradient norm clipped at 1, one fresh batch per update, an evaluation every ``eval_every``
updates (and at step 0 and at the end). Everything random comes
from ``seed``: the initial weights (torch's default initialisation, drawn inside
``torch.random.fork_rng``, so torch's global generator is left as it was) and the batches. The
evaluation data are fixed, the same for every seed and cell. One torch thread while a run lasts:
the numbers then repeat bit for bit on one machine.

Book: "Gated recurrent units", section "The comparison".
References: Chung et al. (2014), Empirical evaluation of gated recurrent neural networks on
sequence modeling; Greff et al. (2017), LSTM: a search space odyssey.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from course_rnn.data import adding_problem, char_corpus, make_sentiment, sequential_batches
from course_rnn.studies.adding import make_adding_model, train_adding
from course_rnn.studies.compare_recipe import Recipe, check_int, check_number
from course_rnn.torch_nn.models import CharLM, EncoderConfig, SequenceClassifier

EMBED_DIM = 32  #: D, the width of the embedding of both token tasks
LM_T = 64  #: steps per training window of the language model
SENTIMENT_POOL = 4_000  #: sentences in the fixed training pool; n_train takes its first ones
SENTIMENT_TEST = 2_000  #: sentences in the fixed test set
_POOL_SEED, _TEST_SEED = 31_000, 32_000  # the sentiment pool and test set, fixed forever


@functools.cache
def _corpus():
    return char_corpus()


@functools.cache
def _sentiment_sets():
    pool = make_sentiment(SENTIMENT_POOL, rng=np.random.default_rng(_POOL_SEED))
    test = make_sentiment(SENTIMENT_TEST, rng=np.random.default_rng(_TEST_SEED))
    return pool, test


def char_vocab_size() -> int:
    """V of the character language model (the pydoc corpus's vocabulary, 104)."""
    return len(_corpus().vocab)


def sentiment_vocab_size() -> int:
    """V of the sentiment classifier's word embedding (the grammar's words and two specials)."""
    return len(_sentiment_sets()[0].vocab)


def train_char_lm(
    cell: str,
    *,
    hidden_size: int,
    seed: int,
    steps: int,
    train_fraction: float = 1.0,
    batch_size: int = 32,
    lr: float = 3e-3,
    clip: float = 1.0,
    eval_every: int = 100,
    threshold: float = 2.5,
) -> dict:
    """Train one character language model and report held-out bits per character.

    Args:
        cell:           "rnn" (tanh), "lstm" or "gru"
        hidden_size:    H
        seed:           int >= 0; fixes the initial weights and the training windows
        steps:          Adam updates, each on B fresh random windows of LM_T = 64 characters
        train_fraction: the share of the training text used, its first part, in (0, 1]
        batch_size:     B
        lr:             Adam's learning rate
        clip:           the threshold of the global gradient norm
        eval_every:     updates between two evaluations on the held-out text
        threshold:      the bits per character that count as reached

    Returns:
        dict of plain Python types: ``task`` ("char_lm"), ``cell``, ``hidden_size``, ``seed``,
        ``steps``, ``train_fraction``, ``train_size`` (characters), ``parameters``, ``metric``
        ("bpc"), ``curve`` ([[step, bpc], ...] from step 0), ``final``, ``best`` (lowest on the
        curve), ``threshold``, ``steps_to_threshold`` (first evaluated step at or below it, or
        None)
    """
    where = "train_char_lm"
    fraction = check_number(where, "train_fraction", train_fraction)
    if not 0 < fraction <= 1:
        raise ValueError(f"{where}: train_fraction must be in (0, 1], got {train_fraction}")
    run = Recipe(where, cell, hidden_size, seed, steps, batch_size, lr, clip, eval_every)
    corpus = _corpus()
    train_ids = corpus.train[: int(fraction * len(corpus.train))]  # (N,) the first part
    if len(train_ids) < LM_T + 1:
        raise ValueError(f"{where}: train_fraction={fraction} leaves fewer than {LM_T + 1} ids")
    model, next_batch = _char_lm_setup(run, train_ids)
    evaluate = functools.partial(_held_out_bpc, val_ids=corpus.val)
    result = run.train(model, next_batch, evaluate, threshold, lower_is_better=True)
    return {
        "task": "char_lm",
        **run.describe(),
        "train_fraction": fraction,
        "train_size": len(train_ids),
        **result,
    }


def train_sentiment(
    cell: str,
    *,
    hidden_size: int,
    seed: int,
    steps: int,
    n_train: int = 2_000,
    batch_size: int = 32,
    lr: float = 3e-3,
    clip: float = 1.0,
    eval_every: int = 50,
    threshold: float = 0.95,
) -> dict:
    """Train one sentence classifier on the generated sentiment set and report test accuracy.

    Args:
        cell:        "rnn" (tanh), "lstm" or "gru"
        hidden_size: H
        seed:        int >= 0; fixes the initial weights and the order of the training batches
        steps:       Adam updates, each on B sentences drawn with replacement from the n_train
        n_train:     training sentences, the first of the fixed pool, in [1, SENTIMENT_POOL]
        batch_size:  B
        lr:          Adam's learning rate
        clip:        the threshold of the global gradient norm
        eval_every:  updates between two evaluations on the test set
        threshold:   the test accuracy that counts as reached

    Returns:
        dict like :func:`train_char_lm`'s, with ``task`` "sentiment", ``n_train`` and ``metric``
        "accuracy" (higher is better; ``best`` is the highest on the curve)
    """
    where = "train_sentiment"
    n_train = check_int(where, "n_train", n_train)
    if n_train > SENTIMENT_POOL:
        raise ValueError(f"{where}: n_train must be <= {SENTIMENT_POOL} (the pool), got {n_train}")
    run = Recipe(where, cell, hidden_size, seed, steps, batch_size, lr, clip, eval_every)
    pool, test = _sentiment_sets()
    model, next_batch = _sentiment_setup(run, pool, n_train)
    evaluate = functools.partial(_accuracy, batch=_padded(test, np.arange(len(test))))
    result = run.train(model, next_batch, evaluate, threshold, lower_is_better=False)
    return {"task": "sentiment", **run.describe(), "n_train": n_train, **result}


def train_adding_compared(
    cell: str, *, hidden_size: int, seed: int, steps: int, T: int = 50, eval_every: int = 50
) -> dict:
    """:func:`course_rnn.studies.adding.train_adding` with its defaults (B = 64, Adam at 3e-3,
    clip 1, threshold 0.01) and the keys of the other tasks added: ``task`` "adding",
    ``metric`` "mse", ``final`` (= ``final_mse``), ``best`` (the lowest MSE on the curve)."""
    run = train_adding(
        cell, T=T, hidden_size=hidden_size, seed=seed, steps=steps, eval_every=eval_every
    )
    best = min(mse for _, mse in run["curve"])
    return {"task": "adding", **run, "metric": "mse", "final": run["final_mse"], "best": best}


def adding_stepper(cell: str, hidden_size: int, *, T: int = 50, seed: int = 0):
    """One training update of :func:`train_adding_compared`'s model on one fixed batch."""
    rng = np.random.default_rng(seed)
    model = make_adding_model(cell, hidden_size, rng=rng)
    batch = adding_problem(T, 64, rng=rng)  # train_adding's batch size
    inputs, targets = torch.from_numpy(batch.inputs), torch.from_numpy(batch.targets)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def step() -> None:
        loss = nn.functional.mse_loss(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    return step


def char_lm_stepper(cell: str, hidden_size: int, *, seed: int = 0) -> Callable[[], None]:
    """One training update of :func:`train_char_lm`'s model, on one fixed batch, as a function.

    For :func:`course_rnn.studies.compare_sizing.seconds_per_step`: the model, optimiser and
    batch are built once, and each call does forward, backward, clipping and the Adam step.
    """
    run = Recipe("char_lm_stepper", cell, hidden_size, seed, 1, 32, 3e-3, 1.0, 1)
    model, next_batch = _char_lm_setup(run, _corpus().train)
    return run.stepper(model, next_batch())


def sentiment_stepper(cell: str, hidden_size: int, *, seed: int = 0) -> Callable[[], None]:
    """One training update of :func:`train_sentiment`'s model on one fixed batch (see above)."""
    run = Recipe("sentiment_stepper", cell, hidden_size, seed, 1, 32, 3e-3, 1.0, 1)
    model, next_batch = _sentiment_setup(run, _sentiment_sets()[0], 2_000)
    return run.stepper(model, next_batch())


# --- the two tasks -------------------------------------------------------------------------------


def _char_lm_setup(run: Recipe, train_ids: np.ndarray):
    V = len(_corpus().vocab)
    config = EncoderConfig(cell=run.cell, hidden_size=run.hidden_size)
    model = run.build(lambda: CharLM(V, embed_dim=EMBED_DIM, config=config))
    T, B, rng = LM_T, run.batch_size, run.data_rng
    span = len(train_ids) - T  # window starts in [0, span)

    def next_batch():
        starts = rng.integers(0, span, size=B)  # (B,)
        window = train_ids[starts[None, :] + np.arange(T + 1)[:, None]]  # (T + 1, B)
        return torch.from_numpy(window[:-1]), torch.from_numpy(window[1:])  # x, y: (T, B)

    return model, next_batch


@torch.no_grad()
def _held_out_bpc(model, *, val_ids) -> float:
    """Bits per character on the whole held-out text: 64 lanes, 100-step chunks from h_0 = 0."""
    model.eval()
    nats, count = 0.0, 0
    for x, y in sequential_batches(val_ids, 100, 64):  # (T, 64) each
        loss = model(torch.from_numpy(x), torch.from_numpy(y)).loss  # mean nats over T·64
        nats, count = nats + loss.item() * y.size, count + y.size
    model.train()
    return nats / count / math.log(2)


def _sentiment_setup(run: Recipe, pool, n_train: int):
    config = EncoderConfig(cell=run.cell, hidden_size=run.hidden_size)
    V = len(pool.vocab)
    model = run.build(
        lambda: SequenceClassifier(2, vocab_size=V, embed_dim=EMBED_DIM, config=config)
    )
    B, rng = run.batch_size, run.data_rng

    def next_batch():
        return _padded(pool, rng.integers(0, n_train, size=B))  # with replacement

    return model, next_batch


def _padded(data, indices):
    """((ids (T, B), lengths (B,)), labels (B,)) as tensors: the classifier's inputs and targets."""
    batch = data.batch(indices)
    lengths = torch.from_numpy(batch.mask.sum(axis=0))  # (B,) real words per sentence
    return (torch.from_numpy(batch.inputs), lengths), torch.from_numpy(batch.targets)


@torch.no_grad()
def _accuracy(model, *, batch) -> float:
    model.eval()
    inputs, labels = batch
    predicted = model(inputs).logits.argmax(dim=-1)  # (B,)
    model.train()
    return float((predicted == labels).double().mean())
