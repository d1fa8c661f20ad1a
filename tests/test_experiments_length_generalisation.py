"""experiments/length_generalisation.py: the stored runs are complete, and one re-runs exactly."""

import pytest

from course_rnn.results import load
from course_rnn.studies.length_generalisation import train_formal


@pytest.fixture(scope="module")
def stored():
    return load("length_generalisation")


def test_every_task_model_and_seed_ran(stored):
    args = stored["provenance"]["args"]
    seeds = stored["provenance"]["seeds"]
    assert len(seeds) >= 3
    keys = sorted((r["task"], r["kind"], r["seed"]) for r in stored["results"]["runs"])
    assert keys == sorted((t, k, s) for t in args["tasks"] for k in args["kinds"] for s in seeds)
    lengths = [str(n) for n in args["test_lengths"]]
    assert max(args["test_lengths"]) >= 4 * args["train_len"]
    assert all(sorted(r["accuracy"]) == sorted(lengths) for r in stored["results"]["runs"])


def test_a_stored_run_reproduces(stored):
    args = dict(stored["provenance"]["args"])
    run = next(
        r for r in stored["results"]["runs"]
        if (r["task"], r["kind"], r["seed"]) == ("parity", "lstm", 0)
    )  # fmt: skip
    settings = {k: args[k] for k in ("train_len", "steps", "batch_size", "lr", "eval_size")}
    again = train_formal(
        "parity", "lstm", seed=0, test_lengths=tuple(args["test_lengths"]), **settings
    )
    assert again["accuracy"] == run["accuracy"]
    assert again["parameters"] == run["parameters"]
