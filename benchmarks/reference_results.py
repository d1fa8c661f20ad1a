"""The reference results of issue 4: what the course's models reach in about a minute on a CPU.

Each row trains one model with ``course_rnn.train.fit`` on a data set of ``course_rnn.data`` for a
fixed number of steps or until its time budget (``--seconds``, default 60) is spent, whichever
comes first, on one thread (``torch.set_num_threads(1)``: on a busy 2-core machine two threads
ran many times fewer steps), then evaluates it on held-out data and prints the number with its
wall time (training and evaluation). A table with target, measured value, time and pass/fail
closes the run; the exit status is 1 if a row failed.

    adding     adding problem T=100: GRU and LSTM test MSE < 0.01, tanh RNN >= 0.15
    charlm     pydoc characters: 1-layer 256-unit LSTM <= 1.8 bits/char on the last 10 %
    recall     associative recall, equal parameter counts: 2-layer Transformer >= 95 %,
               LSTM and GRU < 50 % (chance 1/32)
    sentiment  word-order sentiment: GRU >= 95 %, bag of words <= 75 %
    tagging    right-context tags: bidirectional GRU >= unidirectional + 10 points

Usage: python benchmarks/reference_results.py [--only NAME ...] [--seconds 60]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy and torch load their BLAS

import argparse  # noqa: E402 (the thread settings must come first)
import bz2  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from course_rnn import data  # noqa: E402
from course_rnn.data.torch_adapter import SequenceDataset, TimeMajorCollate  # noqa: E402
from course_rnn.torch_nn.models import (  # noqa: E402
    BagOfWordsClassifier,
    CharLM,
    EncoderConfig,
    Forecaster,
    SequenceClassifier,
    SequenceTagger,
)
from course_rnn.train import Callback, evaluate, fit, seed_everything  # noqa: E402


@dataclass
class Row:
    """One line of the final table."""

    name: str  # experiment/model
    target: str  # the claim, e.g. "< 0.01"
    measured: float  # the number
    unit: str  # how to print it: "mse", "bpc" or "%"
    seconds: float  # wall time of training and evaluation
    passed: bool


class Budget(Callback):
    """Stop ``fit`` after ``seconds``; optionally decay the learning rate on a cosine to the end.

    The schedule runs over the step budget or the time budget, whichever ends first, so a slow
    machine still ends its run with a small learning rate.
    """

    def __init__(self, seconds: float, *, steps: int, optimizer=None, final: float = 0.05):
        self.seconds, self.steps, self.optimizer, self.final = seconds, steps, optimizer, final
        self.base = None if optimizer is None else [g["lr"] for g in optimizer.param_groups]

    def on_step_end(self, history):
        elapsed = history.wall_time[-1]
        if self.optimizer is not None:
            frac = min(1.0, max(history.num_steps / self.steps, elapsed / self.seconds))
            scale = self.final + (1 - self.final) * 0.5 * (1 + math.cos(math.pi * frac))
            for group, base in zip(self.optimizer.param_groups, self.base, strict=True):
                group["lr"] = base * scale
        if elapsed >= self.seconds:
            history.request_stop(f"time budget of {self.seconds:.0f} s spent")


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def train(model, batches, *, steps, seconds, lr, decay=False, epochs=None):
    """fit() with Adam, clipping at 1, a step (or epoch) budget and a time budget."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    budget = Budget(seconds, steps=steps, optimizer=optimizer if decay else None)
    return fit(
        model,
        batches,
        steps=steps,
        epochs=epochs,
        optimizer=optimizer,
        clip_grad_norm=1.0,
        callbacks=[budget],
        progress=False,
    )


def report(name, target, value, unit, start, passed, extra="") -> Row:
    """Print one result as soon as it is known; return it for the final table."""
    row = Row(name, target, value, unit, time.perf_counter() - start, passed)
    shown = f"{100 * value:.1f} %" if unit == "%" else f"{value:.4g} {unit}"
    flag = "pass" if passed else "FAIL"
    print(f"  {name:<26} {shown:>12}  target {target:<11} {row.seconds:5.1f} s  {flag}  {extra}")
    return row


# ---- adding problem ------------------------------------------------------------------------


def adding(seconds: float) -> list[Row]:
    T, B, H = 100, 50, 64
    print(f"adding problem, T={T}: Forecaster(H_out=1), hidden {H}, batch {B}, Adam 3e-3")
    x, y, _ = data.adding_problem(T, 2000, rng=np.random.default_rng(2))  # the test set
    test = [(torch.from_numpy(x), torch.from_numpy(y[None, :, None]))]  # (T, N, 2), (1, N, 1)

    def batches(rng):
        while True:  # a fresh batch every step: no overfitting, the task is the only limit
            x, y, _ = data.adding_problem(T, B, rng=rng)
            yield torch.from_numpy(x), torch.from_numpy(y[None, :, None])  # (T, B, 2), (1, B, 1)

    rows = []
    for cell in ("gru", "lstm", "rnn"):
        seed_everything(0)
        start = time.perf_counter()
        model = Forecaster(2, config=EncoderConfig(cell=cell, hidden_size=H))
        hist = train(model, batches(np.random.default_rng(0)), steps=3000, seconds=seconds - 3,
                     lr=3e-3)  # fmt: skip
        mse = evaluate(model, test, metrics=("mse",))["mse"]
        target, ok = ("< 0.01", mse < 0.01) if cell != "rnn" else (">= 0.15", mse >= 0.15)
        rows.append(report(f"adding/{cell}", target, mse, "mse", start, ok,
                           f"{hist.num_steps} steps"))  # fmt: skip
    print(f"  (always predicting 1: MSE {data.ADDING_BASELINE_MSE:.4f})")
    return rows


# ---- character language model --------------------------------------------------------------


def compressor_bpc(corpus) -> dict[str, float]:
    """Bits per character of the validation text given the training text, for scale."""
    train_text, val_text = data.split_train_val(corpus.text)
    out = {}
    for name, compress in (("zlib", lambda b: zlib.compress(b, 9)), ("bz2", bz2.compress)):
        both, first = compress((train_text + val_text).encode()), compress(train_text.encode())
        out[name] = 8 * (len(both) - len(first)) / len(val_text)
    return out


def charlm(seconds: float) -> list[Row]:
    corpus = data.char_corpus()
    V, T, B = len(corpus.vocab), 100, 16
    print(f"character LM on pydoc_data.topics: V={V}, train {len(corpus.train)} chars, "
          f"validation {len(corpus.val)} (the last 10 %); windows T={T}, batch {B}, Adam 8e-3 "
          "with cosine decay")  # fmt: skip
    for name, bpc in compressor_bpc(corpus).items():
        print(f"  {name:<26} {bpc:8.3f} bpc  (the validation part, given the training part)")
    seed_everything(0)
    start = time.perf_counter()

    def batches(rng):
        while True:
            x, y = data.random_windows(corpus.train, T, B, rng=rng)  # (T, B), (T, B)
            yield torch.from_numpy(x), torch.from_numpy(y)

    model = CharLM(V, embed_dim=64, config=EncoderConfig(cell="lstm", hidden_size=256))
    hist = train(model, batches(np.random.default_rng(0)), steps=1800, seconds=seconds - 5,
                 lr=8e-3, decay=True)  # fmt: skip
    # 16 lanes of ~2900 characters, read in chunks of 1000: few steps start from a zero state
    val = [(torch.from_numpy(x), torch.from_numpy(y))
           for x, y in data.sequential_batches(corpus.val, 1000, 16)]  # fmt: skip
    bpc = evaluate(model, val, metrics=("bpc",))["bpc"]
    row = report("charlm/lstm-256", "<= 1.8", bpc, "bpc", start, bpc <= 1.8,
                 f"{hist.num_steps} steps")  # fmt: skip
    prompt = torch.from_numpy(corpus.vocab.encode("The ")[:, None])  # (4, 1)
    text = model.sample(prompt, 100, temperature=0.7, generator=torch.Generator().manual_seed(0))
    print("  sample:", repr(corpus.vocab.decode(text[:, 0].numpy())))
    return [row]


# ---- associative recall --------------------------------------------------------------------


def recall(seconds: float) -> list[Row]:
    n, B, K, C = 8, 64, 32, 32
    V = data.recall_vocab_size(K, C)
    print(f"associative recall: tested with {n} pairs (T={2 * n + 2}), K=C={C}, chance "
          f"{1 / C:.1%}; trained on 2 to {n} pairs (one curriculum for every model)")  # fmt: skip
    x, y, _ = data.associative_recall(n, 2000, rng=np.random.default_rng(2))
    test = [(torch.from_numpy(x), torch.from_numpy(y))]

    def batches(rng):
        while True:  # a mix of lengths: attention finds the lookup in short sequences within a
            pairs = int(rng.integers(2, n + 1))  # few hundred steps, then keeps it in long ones
            x, y, _ = data.associative_recall(pairs, B, rng=rng)
            yield torch.from_numpy(x), torch.from_numpy(y)

    configs = {  # widths chosen so that the three models have about the same parameter count
        "transformer": EncoderConfig(cell="transformer", hidden_size=64, num_layers=2,
                                     num_heads=4, positional="learned", max_len=2 * n + 2),
        "lstm": EncoderConfig(cell="lstm", hidden_size=126),
        "gru": EncoderConfig(cell="gru", hidden_size=148),
    }  # fmt: skip
    rows = []
    for cell, config in configs.items():
        seed_everything(0)
        start = time.perf_counter()
        model = SequenceClassifier(C, vocab_size=V, embed_dim=64, config=config)
        hist = train(model, batches(np.random.default_rng(0)), steps=2000, seconds=seconds - 2,
                     lr=3e-3)  # fmt: skip
        acc = evaluate(model, test, metrics=("accuracy",))["accuracy"]
        target, ok = (">= 95 %", acc >= 0.95) if cell == "transformer" else ("< 50 %", acc < 0.5)
        rows.append(report(f"recall/{cell}", target, acc, "%", start, ok,
                           f"{n_params(model)} parameters, {hist.num_steps} steps"))  # fmt: skip
    return rows


# ---- sentiment and tagging: padded batches through a DataLoader ----------------------------


def _loader(inputs, targets, *, per_step, batch_size, seed=None):
    """SequenceDataset + TimeMajorCollate: batches {"inputs": (x, lengths), "targets", "mask"}."""
    g = None if seed is None else torch.Generator().manual_seed(seed)
    return DataLoader(SequenceDataset(inputs, targets), batch_size=batch_size,
                      shuffle=seed is not None, generator=g,
                      collate_fn=TimeMajorCollate(per_step_targets=per_step))  # fmt: skip


def sentiment(seconds: float) -> list[Row]:
    train_set = data.make_sentiment(6000, rng=np.random.default_rng(0))
    test_set = data.make_sentiment(2000, rng=np.random.default_rng(2))
    V = len(train_set.vocab)
    print(f"sentiment: {len(train_set)} training, {len(test_set)} test sentences, V={V}; any "
          f"bag of words stays below {data.sentiment.BOW_CEILING:.0%}")  # fmt: skip
    train_ids = [train_set.encode(i) for i in range(len(train_set))]
    test_ids = [test_set.encode(i) for i in range(len(test_set))]
    test = _loader(test_ids, test_set.labels, per_step=False, batch_size=500)
    models = {
        "gru": lambda: SequenceClassifier(2, vocab_size=V, embed_dim=32,
                                          config=EncoderConfig(cell="gru", hidden_size=64)),
        "bag-of-words": lambda: BagOfWordsClassifier(V, 2, embed_dim=32, hidden_size=64),
    }  # fmt: skip
    rows = []
    for name, make in models.items():
        seed_everything(0)
        start = time.perf_counter()
        model = make()
        loader = _loader(train_ids, train_set.labels, per_step=False, batch_size=64, seed=0)
        hist = train(model, loader, epochs=8, steps=10**6, seconds=seconds - 2, lr=3e-3)
        acc = evaluate(model, test, metrics=("accuracy",))["accuracy"]
        target, ok = (">= 95 %", acc >= 0.95) if name == "gru" else ("<= 75 %", acc <= 0.75)
        rows.append(report(f"sentiment/{name}", target, acc, "%", start, ok,
                           f"{hist.num_steps} steps"))  # fmt: skip
    return rows


def tagging(seconds: float) -> list[Row]:
    train_set = data.make_tagging(4000, rng=np.random.default_rng(0))
    test_set = data.make_tagging(1000, rng=np.random.default_rng(2))
    V = len(train_set.vocab)
    ceiling = data.left_context_ceiling()
    print(f"tagging: {len(train_set)} training, {len(test_set)} test sentences; accuracy on the "
          f"right-context tags (left-to-right ceiling {ceiling:.0%})")  # fmt: skip
    ids = [train_set.vocab.encode(s) for s in train_set.sentences]
    test = test_set.batch()  # one padded batch: inputs, targets, mask, right_context (T, N)
    inputs = (torch.from_numpy(test.inputs), torch.from_numpy(test.mask.sum(0)))
    targets = torch.from_numpy(test.targets)
    right = [(inputs, targets, torch.from_numpy(test.right_context))]  # the mask picks the tags
    every = [(inputs, targets, torch.from_numpy(test.mask))]
    acc, rows = {}, []
    for bi in (False, True):
        seed_everything(0)
        start = time.perf_counter()
        config = EncoderConfig(cell="gru", hidden_size=64, bidirectional=bi)
        model = SequenceTagger(4, vocab_size=V, embed_dim=32, config=config)
        loader = _loader(ids, list(train_set.tags), per_step=True, batch_size=64, seed=0)
        hist = train(model, loader, epochs=5, steps=10**6, seconds=seconds - 2, lr=3e-3)
        name = "bidirectional" if bi else "unidirectional"
        acc[name] = evaluate(model, right, metrics=("accuracy",))["accuracy"]
        overall = evaluate(model, every, metrics=("accuracy",))["accuracy"]
        target = "uni + 10 pt" if bi else "(reference)"
        ok = not bi or acc[name] >= acc["unidirectional"] + 0.10
        rows.append(report(f"tagging/{name}", target, acc[name], "%", start, ok,
                           f"all tags {overall:.1%}, {hist.num_steps} steps"))  # fmt: skip
    return rows


EXPERIMENTS = {
    "adding": adding,
    "charlm": charlm,
    "recall": recall,
    "sentiment": sentiment,
    "tagging": tagging,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(EXPERIMENTS), help="run only these")
    parser.add_argument("--seconds", type=float, default=60.0, help="time budget per model")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, at most "
          f"{args.seconds:.0f} s per model (training and evaluation)\n")  # fmt: skip
    rows = []
    for name in args.only or EXPERIMENTS:
        rows += EXPERIMENTS[name](args.seconds)
        print()
    print(f"{'result':<26} {'target':<11} {'measured':>10} {'time':>7}  status")
    for r in rows:
        shown = f"{100 * r.measured:.1f} %" if r.unit == "%" else f"{r.measured:.4g}"
        status = "pass" if r.passed else "FAIL"
        print(f"{r.name:<26} {r.target:<11} {shown:>10} {r.seconds:6.1f}s  {status}")
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
