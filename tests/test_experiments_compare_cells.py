"""experiments/compare_{adding,char_lm,sentiment}.py: the stored results are the scripts', and
one configuration of each reproduces.

The re-run is the GRU at equal hidden size, seed 0, for its first 100 updates, compared with the
start of the stored curve: the learning rate is constant and the batches come from one stream, so
a shorter run is the start of the longer one (a few seconds each).
"""

import functools
import runpy
from pathlib import Path

import numpy as np
import pytest

from course_rnn.results import load
from course_rnn.studies import compare
from course_rnn.studies.compare_sizing import model_parameters
from course_rnn.studies.compare_sweep import comparison_configs

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
V_CHARS, V_WORDS = compare.char_vocab_size(), compare.sentiment_vocab_size()
#: task -> (its training function, its parameter count, the settings the re-run passes on)
TASKS = {
    "adding": (
        compare.train_adding_compared,
        functools.partial(model_parameters, input_size=2, outputs=1),
        ("T", "eval_every"),
    ),
    "char_lm": (
        compare.train_char_lm,
        functools.partial(
            model_parameters, input_size=compare.EMBED_DIM, outputs=V_CHARS, vocab_size=V_CHARS
        ),
        ("eval_every", "threshold"),
    ),
    "sentiment": (
        compare.train_sentiment,
        functools.partial(
            model_parameters, input_size=compare.EMBED_DIM, outputs=2, vocab_size=V_WORDS
        ),
        ("n_train", "eval_every", "threshold"),
    ),
}
#: how closely a re-run must match: exact on the machine that wrote the file; elsewhere float32
#: kernels may differ in the last bits (for accuracy: a few of the 2,000 test sentences)
TOLERANCE = {
    "adding": {"rtol": 1e-4, "atol": 1e-6},
    "char_lm": {"rtol": 1e-4, "atol": 0},
    "sentiment": {"rtol": 0, "atol": 2e-3},
}


@pytest.fixture(scope="module", params=list(TASKS))
def task(request):
    return request.param


@pytest.fixture(scope="module")
def stored(task):
    return load(f"compare_{task}")


def test_the_stored_results_come_from_the_script_as_it_is(task, stored, monkeypatch):
    monkeypatch.syspath_prepend(str(EXPERIMENTS))  # for the script's `from provenance import`
    script = runpy.run_path(str(EXPERIMENTS / f"compare_{task}.py"), run_name="not_main")
    assert stored["provenance"]["script"] == f"experiments/compare_{task}.py"
    assert stored["provenance"]["args"] == script["SETTINGS"]
    assert stored["provenance"]["seeds"] == script["SEEDS"]
    assert stored["results"]["task"] == task


def test_the_configs_and_summaries_match_the_runs(task, stored):
    _, count, _ = TASKS[task]
    configs = stored["results"]["configs"]
    hidden = stored["provenance"]["args"]["hidden_size"]
    expected = comparison_configs(hidden, lambda cell, H: count(cell, H))
    assert [{k: c[k] for k in expected[0]} for c in configs] == expected
    for config in configs:
        runs = config["runs"]
        assert [r["seed"] for r in runs] == stored["provenance"]["seeds"]
        assert all(r["parameters"] == config["parameters"] for r in runs)
        assert all(r["final"] == r["curve"][-1][1] for r in runs)
        finals = [r["final"] for r in runs]
        assert config["final"]["mean"] == pytest.approx(np.mean(finals))
        assert config["final"]["std"] == pytest.approx(np.std(finals, ddof=1))
        assert config["reached"] == sum(r["steps_to_threshold"] is not None for r in runs)
        assert config["seconds_per_step"] > 0


def test_one_configuration_reproduces(task, stored):
    train, _, passed_on = TASKS[task]
    config = stored["results"]["configs"][2]  # the GRU at equal hidden size
    assert (config["cell"], config["sizing"]) == ("gru", "equal hidden size")
    run = config["runs"][0]
    args = stored["provenance"]["args"]
    again = train(
        "gru", hidden_size=config["hidden_size"], seed=run["seed"], steps=100,
        **{name: args[name] for name in passed_on},
    )  # fmt: skip
    expected = run["curve"][: len(again["curve"])]
    assert [s for s, _ in again["curve"]] == [s for s, _ in expected]
    assert len(expected) >= 2  # step 0 and at least one evaluation after training
    np.testing.assert_allclose(
        [v for _, v in again["curve"]], [v for _, v in expected], **TOLERANCE[task]
    )
