"""A GRU tagger on the named-entity set, one direction or two, and the baselines it must beat.

The data are fixed for every run: :data:`N_TRAIN` training sentences and :data:`N_TEST` test
sentences of ``course_rnn.data.ner.make_ner``, the test ones filled with held-out names. The
model is ``SequenceTagger`` with a GRU encoder (``bidirectional`` picks one or two directions, H
units each), a word embedding of width :data:`EMBED_DIM` over the training words plus four
unknown-word shapes (``word_shape``). Training: Adam, the global gradient norm clipped at 1,
``epochs`` passes over the training sentences in batches of 32 in an order drawn from ``seed``,
and *word dropout*: each training word is replaced by its shape with probability ``unk_rate``, so
that the shape embeddings are trained, in the spirit of Lample et al. (2016), who replace
some training words seen only once by the unknown word. Everything random comes from
``seed`` (the initial weights, drawn inside ``torch.random.fork_rng``; the batch order and the
word dropout); one torch thread while a run lasts, so the numbers repeat bit for bit.

Scores (:func:`evaluate_tagger`): span precision, recall and F1 on the test set, overall and per
type (``course_rnn.training.spans``, CoNLL-2003), word accuracy, and the accuracy on the marked
right-context words (a sentence-initial name whose type only the next word tells).

Book: chapter "A named-entity tagger".
References: Huang et al. (2015); Lample et al. (2016); Tjong Kim Sang & De Meulder (2003).
"""

from __future__ import annotations

import functools
from collections import Counter

import numpy as np
import torch
from torch import nn

from course_rnn.data.ner import TAGS, NerData, build_vocab, make_ner
from course_rnn.data.text import Vocab
from course_rnn.torch_nn.models import EncoderConfig, SequenceTagger
from course_rnn.training.spans import span_scores

N_TRAIN, N_TEST = 3_000, 1_000  #: fixed training and test sentences
TRAIN_SEED, SEEN_SEED, TEST_SEED = 0, 1, 2  #: their generators (0 train, 1 seen names, 2 test)
EMBED_DIM = 32  #: D, the width of the word embedding
BATCH_SIZE = 32  #: B, sentences per update


@functools.cache
def ner_sets() -> tuple[NerData, NerData, Vocab]:
    """The fixed training set, the held-out-name test set and the training vocabulary."""
    train = make_ner(N_TRAIN, rng=np.random.default_rng(TRAIN_SEED), split="train")
    test = make_ner(N_TEST, rng=np.random.default_rng(TEST_SEED), split="test")
    return train, test, build_vocab(train)


@functools.cache
def seen_names_set() -> NerData:
    """N_TEST new sentences filled with the *training* names (seed 1): known names, new lines."""
    return make_ner(N_TEST, rng=np.random.default_rng(SEEN_SEED), split="train")


def make_tagger(vocab_size: int, *, bidirectional: bool, hidden_size: int) -> SequenceTagger:
    """The GRU tagger: embedding (V, EMBED_DIM), GRU (H per direction), linear head to C = 7."""
    config = EncoderConfig(cell="gru", hidden_size=hidden_size, bidirectional=bidirectional)
    return SequenceTagger(len(TAGS), vocab_size=vocab_size, embed_dim=EMBED_DIM, config=config)


def fit_tagger(
    *,
    bidirectional: bool,
    seed: int,
    epochs: int = 6,
    hidden_size: int = 32,
    lr: float = 3e-3,
    unk_rate: float = 0.15,
) -> SequenceTagger:
    """Train one tagger on the fixed training set (see the module docstring).

    Args:
        bidirectional: two directions (True) or left to right only (False)
        seed:          int >= 0: initial weights, batch order, word dropout
        epochs:        passes over the N_TRAIN training sentences
        hidden_size:   H per direction
        lr:            Adam's learning rate
        unk_rate:      word dropout: the chance that a training word is read as its shape

    Returns:
        the trained SequenceTagger, in eval mode
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"fit_tagger: seed must be an int >= 0, got {seed!r}")
    train, _, vocab = ner_sets()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = make_tagger(len(vocab), bidirectional=bidirectional, hidden_size=hidden_size)
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model.train()
        for _ in range(epochs):
            order = rng.permutation(len(train))
            for start in range(0, len(order), BATCH_SIZE):
                batch = train.batch(vocab, order[start : start + BATCH_SIZE], unk_rate=unk_rate,
                                    rng=rng)  # fmt: skip
                inputs = (torch.from_numpy(batch.inputs), torch.from_numpy(batch.lengths))
                loss = model(inputs, torch.from_numpy(batch.targets)).loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


@torch.no_grad()
def predict_tags(model: SequenceTagger, data: NerData, vocab: Vocab) -> list[tuple[str, ...]]:
    """The most likely tag of every word (each word on its own: no CRF), as tag names."""
    batch = data.batch(vocab)
    inputs = (torch.from_numpy(batch.inputs), torch.from_numpy(batch.lengths))
    best = model(inputs).logits.argmax(-1).numpy()  # (T, N)
    return [tuple(TAGS[k] for k in best[:n, i]) for i, n in enumerate(batch.lengths)]


def evaluate_tags(data: NerData, predicted: list[tuple[str, ...]]) -> dict:
    """Span scores (overall and per type), word accuracy and right-context accuracy.

    Returns:
        dict: ``spans`` (span_scores' dict), ``word_accuracy``, ``right_context_accuracy``
        (on the marked words), ``right_context_words`` (how many are marked)
    """
    gold = [t for s in data.tags for t in s]
    pred = [t for s in predicted for t in s]
    marked = np.concatenate(data.right_context)  # (N_words,) bool
    hits = np.array([g == p for g, p in zip(gold, pred, strict=True)])  # (N_words,)
    return {
        "spans": span_scores(data.tags, predicted),
        "word_accuracy": float(hits.mean()),
        "right_context_accuracy": float(hits[marked].mean()),
        "right_context_words": int(marked.sum()),
    }


def train_tagger(*, bidirectional: bool, seed: int, epochs: int = 6, hidden_size: int = 32) -> dict:
    """Train one tagger (:func:`fit_tagger`) and score it on the held-out-name test set.

    Returns:
        dict of plain Python types: ``bidirectional``, ``seed``, ``epochs``, ``hidden_size``,
        ``parameters``, :func:`evaluate_tags`'s keys on the test set, and ``seen_names``: the
        same on :func:`seen_names_set`
    """
    model = fit_tagger(bidirectional=bidirectional, seed=seed, epochs=epochs,
                       hidden_size=hidden_size)  # fmt: skip
    _, test, vocab = ner_sets()
    seen = seen_names_set()
    scores = evaluate_tags(test, predict_tags(model, test, vocab))
    seen_scores = evaluate_tags(seen, predict_tags(model, seen, vocab))
    return {"bidirectional": bidirectional, "seed": seed, "epochs": epochs,
            "hidden_size": hidden_size, "parameters": sum(p.numel() for p in model.parameters()),
            **scores, "seen_names": seen_scores}  # fmt: skip


def majority_tags(data: NerData) -> list[tuple[str, ...]]:
    """The majority baseline: every word "O" (finds no entity, so its span F1 is 0)."""
    return [("O",) * len(s) for s in data.sentences]


def dictionary_tags(train: NerData, data: NerData) -> list[tuple[str, ...]]:
    """The dictionary baseline: each word gets the tag it had most often in ``train`` (ties: the
    first in TAGS order); a word never seen in training gets "O"."""
    counts: dict[str, Counter] = {}
    for words, tags in zip(train.sentences, train.tags, strict=True):
        for w, t in zip(words, tags, strict=True):
            counts.setdefault(w, Counter())[t] += 1
    best = {w: max(TAGS, key=lambda t, c=c: (c[t], -TAGS.index(t))) for w, c in counts.items()}
    return [tuple(best.get(w, "O") for w in s) for s in data.sentences]


def baselines() -> dict:
    """Both baselines on the test set, and the dictionary on a fresh sample of training names.

    Returns:
        dict: ``majority`` and ``dictionary`` (evaluate_tags on the test set) and
        ``dictionary_seen_names`` (the dictionary on :func:`seen_names_set`: what it scores when
        the names are known)
    """
    train, test, _ = ner_sets()
    seen = seen_names_set()
    return {
        "majority": evaluate_tags(test, majority_tags(test)),
        "dictionary": evaluate_tags(test, dictionary_tags(train, test)),
        "dictionary_seen_names": evaluate_tags(seen, dictionary_tags(train, seen)),
    }
