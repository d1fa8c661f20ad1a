"""experiments/mingru_recall.py: the stored runs are complete, and the start of one re-runs."""

import pytest

from course_rnn.results import load
from course_rnn.studies.length_generalisation import train_recall_mingru

STEPS = 200


@pytest.fixture(scope="module")
def stored():
    return load("mingru_recall")


def test_every_seed_ran_at_the_matched_size(stored):
    args = stored["provenance"]["args"]
    runs = stored["results"]["runs"]
    assert [r["seed"] for r in runs] == stored["provenance"]["seeds"] == [0, 1, 2]
    assert all(r["hidden_size"] == args["hidden_size"] for r in runs)
    assert all(abs(r["parameters"] - args["target_parameters"]) < 2_000 for r in runs)


def test_the_first_updates_reproduce(stored):
    args = stored["provenance"]["args"]
    run = stored["results"]["runs"][0]
    again = train_recall_mingru(
        args["hidden_size"], seed=0, steps=STEPS, num_pairs=args["num_pairs"],
        batch_size=args["batch_size"], lr=args["lr"], eval_every=args["eval_every"],
    )  # fmt: skip
    n = len(again["curve"])
    assert again["curve"] == run["curve"][:n]
