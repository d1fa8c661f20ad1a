"""experiments/seq2seq_attention.py: the stored runs are complete, and a re-run reproduces one.

The re-run covers the first 100 updates of one stored configuration (a few seconds): training is
deterministic given the seed, so its training-loss curve must equal the stored curve's first
points. The stored weights must load into the model they came from and reproduce its accuracy on
a few test dates.
"""

import numpy as np
import pytest
import torch

from course_rnn.data.dates import EOS, TARGET_CHARS, encode_pairs
from course_rnn.results import load, load_arrays
from course_rnn.studies.seq2seq import (
    LENGTH_BINS,
    make_test_set,
    model_from_weights,
    to_torch,
    train_seq2seq,
)
from course_rnn.torch_nn.decoding import greedy_decode, sequences

STEPS = 100


@pytest.fixture(scope="module")
def stored():
    return load("seq2seq_attention")


def test_every_seed_ran_with_every_decoder(stored):
    args = stored["provenance"]["args"]
    runs = stored["results"]["runs"]
    copy = sorted((r["seed"], r["attention"]) for r in runs if r["task"] == "copy")
    assert copy == sorted(
        (s, a) for s in stored["provenance"]["seeds"] for a in args["copy_decoders"]
    )
    dates = sorted((r["seed"], r["attention"]) for r in runs if r["task"] == "dates")
    assert dates == sorted((s, a) for s in args["dates_seeds"] for a in args["dates_decoders"])
    assert len(stored["provenance"]["seeds"]) >= 3
    for r in runs:  # the same budget for every decoder of a task
        settings = args[r["task"]]
        assert (r["steps"], r["hidden_size"], r["batch_size"]) == (settings["steps"], 64, 64)
    for r in (r for r in runs if r["task"] == "copy"):
        assert list(r["by_length"]) == [f"{lo}-{hi}" for lo, hi in LENGTH_BINS]


@pytest.mark.parametrize("attention", ["none", "general"])
def test_a_stored_run_reproduces(stored, attention):
    settings = stored["provenance"]["args"]["copy"]
    run = next(
        r
        for r in stored["results"]["runs"]
        if r["task"] == "copy" and r["seed"] == 0 and r["attention"] == attention
    )
    again = train_seq2seq(
        "copy",
        attention,
        seed=0,
        steps=STEPS,
        min_len=settings["min_len"],
        max_len=settings["max_len"],
        eval_every=settings["eval_every"],
        per_length=1,
    )
    n = len(again["loss_curve"])
    assert n == STEPS // settings["eval_every"]
    # float32 on one thread repeats bit for bit on one machine; the tolerance allows another CPU
    np.testing.assert_allclose(
        np.array(again["loss_curve"]), np.array(run["loss_curve"][:n]), rtol=1e-4, atol=0
    )
    assert again["parameters"] == run["parameters"]


def test_the_stored_weights_reproduce_the_stored_accuracy(stored):
    task, attention, seed = stored["provenance"]["args"]["stored_weights"]
    run = next(
        r
        for r in stored["results"]["runs"]
        if (r["task"], r["attention"], r["seed"]) == (task, attention, seed)
    )
    model = model_from_weights(load_arrays("seq2seq_attention"), attention)
    sources, targets = make_test_set(task, n_dates=1200)
    inputs, _ = to_torch(encode_pairs(sources, targets))
    with torch.no_grad():
        out = greedy_decode(model, inputs, max_len=15, eos_id=EOS)
    text = ["".join(TARGET_CHARS[i] for i in seq) for seq in sequences(out.ids, EOS)]
    exact = np.mean([p == t for p, t in zip(text, targets, strict=True)])
    assert abs(exact - run["exact_match"]) <= 2 / len(targets)  # at most 2 dates differ
