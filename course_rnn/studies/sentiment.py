"""Sentiment classifiers scored phenomenon by phenomenon on the behavioural test sets.

Five models read the same sentences (``course_rnn.data.checklist``):

- ``logreg``: :class:`CountLogisticRegression`, a logistic regression on word counts (the bag of
  words, one linear layer, a two-way softmax): the classic linear baseline.
- ``bow_mlp``: :class:`~course_rnn.torch_nn.models.BagOfWordsClassifier`, the mean of the word
  embeddings (D = 32) then a small MLP (hidden width 64). Both are blind to word order by
  construction.
- ``gru`` and ``lstm``: :class:`~course_rnn.torch_nn.models.SequenceClassifier`, embedding
  D = 32, one recurrent layer with H = 64, classified from the state at the last real word.
- ``transformer``: the same classifier on a causal Transformer encoder (width 32, 2 pre-LN
  blocks, 4 heads, feed-forward 128, sinusoidal positions), read at the last real word; about
  the LSTM's parameter count.

One recipe for all (:func:`train_checklist_model`): Adam at learning rate 3e-3, the global
gradient norm clipped at 1, ``steps`` updates of B = 32 sentences drawn with replacement from a
fixed pool of 4,000 training sentences (``make_training_mix``, the same for every seed; pass
``pool`` to train on other sentences). The seed
fixes the initial weights (drawn inside ``torch.random.fork_rng``) and the batches. One torch
thread while it trains, so a run repeats bit for bit on one machine. :func:`evaluate_checklist`
scores a trained model on every test set of :data:`course_rnn.data.checklist.PHENOMENA` (fixed
sets of 400 sentences each, the same for every model and seed), on a fresh sample of the
training mix, and by the failure rates of the INV and DIR pair tests. Short constructions repeat:
:func:`pool_overlap` says which share of a test set occurs verbatim in the training pool.

Book: chapter "Sentiment, phenomenon by phenomenon".
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn

from course_rnn.data.checklist import (
    PHENOMENA,
    checklist_vocab,
    directional_pairs,
    invariance_pairs,
    make_test_set,
    make_training_mix,
)
from course_rnn.data.sentiment import SentimentConfig, SentimentData
from course_rnn.studies.compare_recipe import check_int, check_number
from course_rnn.torch_nn.models import BagOfWordsClassifier, EncoderConfig, SequenceClassifier
from course_rnn.torch_nn.models.encoder import real_steps, split_inputs
from course_rnn.training.batches import Output

MODELS = ("logreg", "bow_mlp", "gru", "lstm", "transformer")
EMBED_DIM = 32  #: D of every model's word embedding
TRAIN_POOL = 4_000  #: training sentences in the fixed pool
TEST_SIZE = 400  #: sentences per behavioural test set (and pairs per INV / DIR test)
_POOL_SEED, _TEST_SEED = 41_000, 42_000  # fixed forever: the pool and the test sets


@functools.cache
def training_pool():
    """The fixed training pool: 4,000 sentences of ``make_training_mix``."""
    return make_training_mix(TRAIN_POOL, rng=np.random.default_rng(_POOL_SEED))


@functools.cache
def evaluation_sets() -> dict:
    """The fixed evaluation data: ``{"mix": a fresh sample of the training mix (not all of it
    unseen: see :func:`pool_overlap`), <phenomenon>: set, ..., "inv": (originals, variants),
    "dir": (originals, negated)}``."""
    sets = {"mix": make_training_mix(TEST_SIZE, rng=np.random.default_rng(_TEST_SEED))}
    for k, name in enumerate(PHENOMENA, start=1):
        sets[name] = make_test_set(name, TEST_SIZE, rng=np.random.default_rng(_TEST_SEED + k))
    sets["inv"] = invariance_pairs(TEST_SIZE, rng=np.random.default_rng(_TEST_SEED + 100))
    sets["dir"] = directional_pairs(TEST_SIZE, rng=np.random.default_rng(_TEST_SEED + 101))
    return sets


def pool_overlap(data: SentimentData, pool: SentimentData | None = None) -> float:
    """The share of ``data``'s sentences that occur verbatim in ``pool`` (the training pool when
    None): how much of a test set a model could answer by recall alone."""
    seen = set((training_pool() if pool is None else pool).sentences)
    return float(np.mean([s in seen for s in data.sentences]))


class CountLogisticRegression(nn.Module):
    """Logistic regression on word counts: counts (B, V) -> one linear layer -> logits (B, C).

    With C = 2 and a softmax this is the usual logistic regression (the difference of the two
    logits is its linear score). Padding is not counted.

    Inputs: (x (T, B) int64, lengths (B,)) or x alone; targets (B,) int64.
    """

    def __init__(self, vocab_size: int, num_classes: int = 2):
        super().__init__()
        self.vocab_size = vocab_size
        self.linear = nn.Linear(vocab_size, num_classes)

    def forward(self, inputs, targets: torch.Tensor | None = None) -> Output:
        x, lengths = split_inputs(inputs, "CountLogisticRegression")
        T, B = x.shape
        real = torch.ones(T, B) if lengths is None else real_steps(lengths, T).float()  # (T, B)
        counts = torch.zeros(B, self.vocab_size).scatter_add_(1, x.T, real.T)  # (B, V)
        logits = self.linear(counts)  # (B, C)
        loss = None if targets is None else nn.functional.cross_entropy(logits, targets)
        return Output(logits, loss)


def build_model(name: str) -> nn.Module:
    """An untrained model of :data:`MODELS` over :func:`checklist_vocab` (drawn from torch's RNG).

    Raises:
        ValueError: an unknown model name.
    """
    V = len(checklist_vocab())
    if name == "logreg":
        return CountLogisticRegression(V, 2)
    if name == "bow_mlp":
        return BagOfWordsClassifier(V, 2, embed_dim=EMBED_DIM, hidden_size=64)
    if name in ("gru", "lstm"):
        config = EncoderConfig(cell=name, hidden_size=64)
    elif name == "transformer":
        config = EncoderConfig(cell="transformer", hidden_size=32, num_layers=2, max_len=64)
    else:
        raise ValueError(f"build_model: unknown model {name!r}; expected one of {list(MODELS)}")
    return SequenceClassifier(2, vocab_size=V, embed_dim=EMBED_DIM, config=config)


def _tensors(data, indices=None):
    """((ids (T, B), lengths (B,)), labels (B,)) as tensors."""
    batch = data.batch(indices)
    lengths = torch.from_numpy(batch.mask.sum(axis=0))  # (B,)
    return (torch.from_numpy(batch.inputs), lengths), torch.from_numpy(batch.targets)


def train_checklist_model(
    name: str,
    *,
    seed: int,
    steps: int = 800,
    batch_size: int = 32,
    lr: float = 3e-3,
    clip: float = 1.0,
    pool: SentimentData | None = None,
) -> nn.Module:
    """Train one model of :data:`MODELS` on the fixed pool (the recipe in the module docstring).

    Args:
        pool: the training sentences; :func:`training_pool` when None. Its vocabulary must be
              :func:`checklist_vocab` (``make_training_mix`` and ``make_test_set`` give it).

    Returns:
        the trained model, in eval mode
    """
    where = "train_checklist_model"
    seed = check_int(where, "seed", seed, minimum=0)
    steps = check_int(where, "steps", steps)
    batch_size = check_int(where, "batch_size", batch_size)
    lr = check_number(where, "lr", lr, positive=True)
    clip = check_number(where, "clip", clip, positive=True)
    init_seed, data_seed = np.random.SeedSequence(seed).spawn(2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(init_seed.generate_state(1)[0]))
        model = build_model(name)
    rng = np.random.default_rng(data_seed)
    if pool is None:
        pool = training_pool()
    elif not isinstance(pool, SentimentData) or pool.vocab.itos != checklist_vocab().itos:
        raise ValueError(
            f"{where}: pool must be a SentimentData over checklist_vocab() (from "
            f"make_training_mix / make_test_set), got {type(pool).__name__}"
        )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        model.train()
        for _ in range(steps):
            inputs, targets = _tensors(pool, rng.integers(0, len(pool), size=batch_size))
            loss = model(inputs, targets).loss
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, data) -> np.ndarray:
    """Predicted labels (N,) int64 of every sentence of a SentimentData."""
    inputs, _ = _tensors(data)
    return model(inputs).logits.argmax(dim=-1).numpy()


def evaluate_checklist(model: nn.Module) -> dict:
    """Accuracy on the mix sample and on every phenomenon; INV and DIR failure rates.

    Returns:
        dict ``{"mix": acc, <phenomenon>: acc, ..., "inv_failure": rate, "dir_failure": rate}``,
        floats rounded to 4 decimals
    """
    sets = evaluation_sets()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        scores = {}
        for name in ("mix", *PHENOMENA):
            scores[name] = float(np.mean(predict(model, sets[name]) == sets[name].labels))
        originals, variants = sets["inv"]  # the prediction should stay
        kept = predict(model, originals) == predict(model, variants)
        scores["inv_failure"] = float(np.mean(~kept))
        originals, negated = sets["dir"]  # the prediction should flip
        kept = predict(model, originals) == predict(model, negated)
        scores["dir_failure"] = float(np.mean(kept))
    finally:
        torch.set_num_threads(threads)
    return {k: round(v, 4) for k, v in scores.items()}


def run_checklist(
    name: str, *, seed: int, steps: int = 800, pool: SentimentData | None = None
) -> dict:
    """Train one model and score it: ``{"model", "seed", "steps", "parameters", "scores"}``;
    for the GRU also ``"embedding"``: :func:`adjective_split` of its word vectors."""
    model = train_checklist_model(name, seed=seed, steps=steps, pool=pool)
    run = {
        "model": name,
        "seed": seed,
        "steps": steps,
        "parameters": sum(p.numel() for p in model.parameters()),
        "scores": evaluate_checklist(model),
    }
    if name == "gru":
        run["embedding"] = adjective_split(model)
    return run


def embedding_projection(model: nn.Module, words) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the model's word embedding E (V, D) for ``words``, centred, projected on their
    first two principal directions (PCA by ``np.linalg.svd``).

    Returns:
        (coords (W, 2) float64, explained (2,) float64: the share of the variance of each axis)
    """
    vocab = checklist_vocab()
    E = model.inputs.embedding.weight.detach().double().numpy()  # (V, D)
    rows = E[[vocab.stoi[w] for w in words]]  # (W, D)
    centred = rows - rows.mean(axis=0)
    _, s, Vt = np.linalg.svd(centred, full_matrices=False)  # Vt (min(W, D), D)
    coords = centred @ Vt[:2].T  # (W, 2)
    return coords, (s[:2] ** 2) / (s**2).sum()


#: The words the chapter projects (its figure of the GRU's word vectors), by group.
PROJECTED = {
    "positive adjective": SentimentConfig().positive,
    "negative adjective": SentimentConfig().negative,
    "negator": SentimentConfig().negators,
    "intensifier": SentimentConfig().intensifiers,
    "comparative": ("better", "worse"),
    "subject": SentimentConfig().subjects,
}


def adjective_split(model: nn.Module) -> dict:
    """Does the first principal coordinate of the :data:`PROJECTED` words separate the positive
    from the negative adjectives by its sign?

    Returns:
        ``{"separates": bool, "explained": [2 floats], "side": {word: +1/-1/0}}``, the side
        of each word on the first axis, oriented so that the positive adjectives' mean is > 0
    """
    words = [w for group in PROJECTED.values() for w in group]
    coords, explained = embedding_projection(model, words)
    first = coords[:, 0] * np.sign(coords[: len(SentimentConfig().positive), 0].mean())
    side = dict(zip(words, np.sign(first).astype(int).tolist(), strict=True))
    separates = all(side[w] > 0 for w in PROJECTED["positive adjective"]) and all(
        side[w] < 0 for w in PROJECTED["negative adjective"]
    )
    return {
        "separates": bool(separates),
        "explained": [round(float(e), 4) for e in explained],
        "side": side,
    }
