"""experiments/copy_limit.py: the stored runs are complete, and one re-runs exactly."""

import pytest

from course_rnn.results import load
from course_rnn.studies.length_generalisation import train_copy


@pytest.fixture(scope="module")
def stored():
    return load("copy_limit")


def test_every_length_model_and_seed_ran(stored):
    args = stored["provenance"]["args"]
    seeds = stored["provenance"]["seeds"]
    keys = sorted((r["length"], r["kind"], r["seed"]) for r in stored["results"]["runs"])
    assert keys == sorted((n, k, s) for n in args["lengths"] for k in args["kinds"] for s in seeds)


def test_a_stored_run_reproduces(stored):
    args = stored["provenance"]["args"]
    length = min(args["lengths"])
    run = next(
        r for r in stored["results"]["runs"]
        if (r["length"], r["kind"], r["seed"]) == (length, "lstm", 0)
    )  # fmt: skip
    settings = {k: args[k] for k in ("steps", "batch_size", "lr", "num_symbols", "eval_size")}
    again = train_copy("lstm", length, seed=0, **settings)
    assert again["accuracy"] == run["accuracy"]
