"""experiments/data_size_{char_lm,sentiment}.py: the stored results are the scripts', and one
configuration of each reproduces.

The re-run is the GRU on the smallest training set, seed 0, for its first 100 updates, compared
with the start of the stored curve (a shorter run is the start of the longer one).
"""

import runpy
from pathlib import Path

import numpy as np
import pytest

from course_rnn.results import load
from course_rnn.studies.compare import train_char_lm, train_sentiment
from course_rnn.studies.compare_sweep import size_sweep

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
#: task -> (training function, the size argument, the script's list of sizes, re-run tolerance)
TASKS = {
    "char_lm": (train_char_lm, "train_fraction", "FRACTIONS", {"rtol": 1e-4, "atol": 0}),
    "sentiment": (train_sentiment, "n_train", "SIZES", {"rtol": 0, "atol": 2e-3}),
}


@pytest.fixture(scope="module", params=list(TASKS))
def task(request):
    return request.param


@pytest.fixture(scope="module")
def stored(task):
    return load(f"data_size_{task}")


def test_the_stored_results_come_from_the_script_as_it_is(task, stored, monkeypatch):
    monkeypatch.syspath_prepend(str(EXPERIMENTS))  # for the script's `from provenance import`
    script = runpy.run_path(str(EXPERIMENTS / f"data_size_{task}.py"), run_name="not_main")
    _, size_arg, sizes_name, _ = TASKS[task]
    args = stored["provenance"]["args"]
    sizes = script[sizes_name]
    assert args == {**script["SETTINGS"], sizes_name.lower(): sizes, "cells": script["CELLS"]}
    assert stored["provenance"]["seeds"] == script["SEEDS"]
    entries = stored["results"]["sizes"]
    assert [(e[size_arg], e["cell"]) for e in entries] == [
        (size, cell) for size in sizes for cell in script["CELLS"]
    ]


def test_the_summaries_are_what_the_sweep_makes_of_the_runs(task, stored):
    _, size_arg, _, _ = TASKS[task]
    entries = stored["results"]["sizes"]
    runs = {(e[size_arg], e["cell"], r["seed"]): r for e in entries for r in e["runs"]}
    sizes = list(dict.fromkeys(e[size_arg] for e in entries))
    cells = list(dict.fromkeys(e["cell"] for e in entries))

    def replay(cell, *, seed, **size):  # the stored runs, in place of training
        return runs[size[size_arg], cell, seed]

    again = size_sweep(sizes, cells, stored["provenance"]["seeds"], replay, size_arg)
    for entry in again:
        if task == "char_lm":
            entry["train_size"] = entry["runs"][0]["train_size"]
    assert again == entries


def test_one_configuration_reproduces(task, stored):
    train, size_arg, _, tolerance = TASKS[task]
    entry = next(e for e in stored["results"]["sizes"] if e["cell"] == "gru")  # the smallest
    run = entry["runs"][0]
    args = stored["provenance"]["args"]
    again = train(
        "gru", hidden_size=args["hidden_size"], seed=run["seed"], steps=100,
        eval_every=args["eval_every"], threshold=args["threshold"], **{size_arg: entry[size_arg]},
    )  # fmt: skip
    expected = run["curve"][: len(again["curve"])]
    assert [s for s, _ in again["curve"]] == [s for s, _ in expected]
    assert len(expected) >= 2
    np.testing.assert_allclose(
        [v for _, v in again["curve"]], [v for _, v in expected], **tolerance
    )
