"""experiments/forget_bias.py: the stored runs are complete, and a re-run reproduces one of them.

The re-run covers the first 200 updates of one stored configuration (a few seconds): training is
deterministic given the seed, so its validation curve must equal the stored curve's first points.
"""

import numpy as np
import pytest

from course_rnn.results import load
from course_rnn.studies.adding import train_adding

STEPS = 200


@pytest.fixture(scope="module")
def stored():
    return load("forget_bias")


def test_every_seed_ran_with_both_biases(stored):
    args = stored["provenance"]["args"]
    runs = stored["results"]["runs"]
    pairs = sorted((r["seed"], r["forget_bias"]) for r in runs)
    assert pairs == sorted((s, b) for s in stored["provenance"]["seeds"] for b in args["biases"])
    assert len(stored["provenance"]["seeds"]) >= 5
    assert args["T"] >= 100
    assert all(r["steps"] == args["steps"] and r["T"] == args["T"] for r in runs)


@pytest.mark.parametrize("bias", [0.0, 1.0])
def test_a_stored_run_reproduces(stored, bias):
    args = stored["provenance"]["args"]
    run = next(r for r in stored["results"]["runs"] if r["seed"] == 0 and r["forget_bias"] == bias)
    again = train_adding(
        args["cell"],
        T=args["T"],
        hidden_size=args["hidden_size"],
        seed=0,
        steps=STEPS,
        forget_bias=bias,
        eval_every=args["eval_every"],
    )
    n = len(again["curve"])
    assert n == STEPS // args["eval_every"] + 1
    # float32 on one thread repeats bit for bit on one machine; the tolerance allows another CPU
    np.testing.assert_allclose(again["curve"], run["curve"][:n], rtol=1e-5, atol=0)
    np.testing.assert_allclose(
        again["grad_norm_curve"], run["grad_norm_curve"][: n - 1], rtol=1e-4, atol=0
    )
