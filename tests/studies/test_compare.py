"""course_rnn.studies.compare: deterministic runs of the comparison's tasks, clear errors."""

import json

import numpy as np
import pytest
import torch

from course_rnn.studies.compare import (
    EMBED_DIM,
    adding_stepper,
    char_lm_stepper,
    char_vocab_size,
    sentiment_stepper,
    sentiment_vocab_size,
    train_adding_compared,
    train_char_lm,
    train_sentiment,
)
from course_rnn.studies.compare_sizing import model_parameters

SMALL_LM = {"hidden_size": 8, "steps": 4, "batch_size": 4, "eval_every": 2}
SMALL_SENTIMENT = {"hidden_size": 6, "steps": 6, "batch_size": 8, "eval_every": 3, "n_train": 50}
COMMON_KEYS = {
    "task", "cell", "hidden_size", "seed", "steps", "parameters", "metric", "curve", "final",
    "best", "threshold", "steps_to_threshold",
}  # fmt: skip


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_same_seed_gives_the_same_sentiment_run(cell):
    first = train_sentiment(cell, seed=3, **SMALL_SENTIMENT)
    assert first == train_sentiment(cell, seed=3, **SMALL_SENTIMENT)
    assert first["curve"] != train_sentiment(cell, seed=4, **SMALL_SENTIMENT)["curve"]


def test_the_same_seed_gives_the_same_language_model_run():
    first = train_char_lm("gru", seed=1, **SMALL_LM)
    assert first == train_char_lm("gru", seed=1, **SMALL_LM)
    assert first["curve"] != train_char_lm("gru", seed=2, **SMALL_LM)["curve"]


def test_a_shorter_run_is_the_start_of_a_longer_one():
    # constant learning rate and one stream of batches: what the experiment tests rely on
    long = train_sentiment("lstm", seed=0, **{**SMALL_SENTIMENT, "steps": 9})
    short = train_sentiment("lstm", seed=0, **SMALL_SENTIMENT)
    assert long["curve"][: len(short["curve"])] == short["curve"]


def test_the_language_model_result_is_plain_json_with_the_documented_keys():
    result = train_char_lm("lstm", seed=0, train_fraction=0.25, **SMALL_LM)
    assert json.loads(json.dumps(result)) == result
    assert set(result) == COMMON_KEYS | {"train_fraction", "train_size"}
    assert [step for step, _ in result["curve"]] == [0, 2, 4]
    assert result["final"] == result["curve"][-1][1]
    assert result["best"] == min(v for _, v in result["curve"])
    assert result["metric"] == "bpc"
    assert result["train_size"] == int(0.25 * 418_473)
    V = char_vocab_size()
    assert result["parameters"] == model_parameters(
        "lstm", 8, input_size=EMBED_DIM, outputs=V, vocab_size=V
    )
    # an untrained model is close to a uniform guess over V = 104 characters
    assert abs(result["curve"][0][1] - np.log2(V)) < 0.1


def test_the_sentiment_result_has_the_documented_keys():
    result = train_sentiment("gru", seed=0, **SMALL_SENTIMENT)
    assert json.loads(json.dumps(result)) == result
    assert set(result) == COMMON_KEYS | {"n_train"}
    assert result["metric"] == "accuracy"
    assert result["best"] == max(v for _, v in result["curve"])
    assert all(0 <= v <= 1 for _, v in result["curve"])
    assert result["parameters"] == model_parameters(
        "gru", 6, input_size=EMBED_DIM, outputs=2, vocab_size=sentiment_vocab_size()
    )


def test_steps_to_threshold_is_the_first_evaluation_that_reaches_it():
    lm = {**SMALL_LM, "steps": 2, "eval_every": 1}
    assert train_char_lm("rnn", seed=0, threshold=100.0, **lm)["steps_to_threshold"] == 0
    assert train_char_lm("rnn", seed=0, threshold=0.0, **lm)["steps_to_threshold"] is None
    curve = train_sentiment("gru", seed=0, **SMALL_SENTIMENT)["curve"]
    level = max(v for _, v in curve)
    first = next(step for step, v in curve if v >= level)
    run = train_sentiment("gru", seed=0, threshold=level, **SMALL_SENTIMENT)
    assert run["steps_to_threshold"] == first
    above = train_sentiment("gru", seed=0, threshold=level + 1e-9, **SMALL_SENTIMENT)
    assert above["steps_to_threshold"] is None


def test_the_adding_run_gets_the_common_keys():
    run = train_adding_compared("gru", hidden_size=4, seed=0, steps=4, T=6, eval_every=2)
    assert (run["task"], run["metric"]) == ("adding", "mse")
    assert run["final"] == run["final_mse"] == run["curve"][-1][1]
    assert run["best"] == min(v for _, v in run["curve"])
    assert run["parameters"] == model_parameters("gru", 4, input_size=2, outputs=1)


def test_runs_leave_torch_global_state_alone():
    torch.manual_seed(123)
    state, threads = torch.get_rng_state(), torch.get_num_threads()
    train_sentiment("rnn", seed=0, **SMALL_SENTIMENT)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize(
    "make", [char_lm_stepper, sentiment_stepper, adding_stepper], ids=["lm", "sentiment", "adding"]
)
def test_a_stepper_does_one_update_per_call(make):
    step = make("gru", 4)
    model = _model_in(step)
    before = [p.detach().clone() for p in model.parameters()]
    step()
    assert all(not torch.equal(b, a) for b, a in zip(before, model.parameters(), strict=True))


def _model_in(step) -> torch.nn.Module:
    """The model a stepper updates: the one module among the variables its function closes over."""
    contents = [cell.cell_contents for cell in step.__closure__]
    (model,) = [value for value in contents if isinstance(value, torch.nn.Module)]
    return model


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cell": "transformer"}, "cell must be one of"),
        ({"hidden_size": 0}, "hidden_size must be an int >= 1"),
        ({"hidden_size": 8.0}, "hidden_size must be an int"),
        ({"seed": -1}, "seed must be an int >= 0"),
        ({"steps": 0}, "steps must be an int >= 1"),
        ({"batch_size": True}, "batch_size must be an int"),
        ({"eval_every": 0}, "eval_every must be an int >= 1"),
        ({"lr": -1.0}, "lr must be a positive finite number"),
        ({"clip": float("nan")}, "clip must be a positive finite number"),
        ({"threshold": float("inf")}, "threshold must be finite"),
        ({"threshold": "high"}, "threshold must be a number"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    settings = {"cell": "gru", "seed": 0, **SMALL_SENTIMENT, **kwargs}
    with pytest.raises(ValueError, match=message):
        train_sentiment(**settings)


@pytest.mark.parametrize(
    ("fraction", "message"),
    [
        (0.0, r"train_fraction must be in \(0, 1\]"),
        (1.5, r"train_fraction must be in \(0, 1\]"),
        (1e-6, "leaves fewer than 65 ids"),
        ("all", "train_fraction must be a number"),
    ],
)
def test_a_bad_train_fraction_is_named(fraction, message):
    with pytest.raises(ValueError, match=message):
        train_char_lm("lstm", seed=0, train_fraction=fraction, **SMALL_LM)


@pytest.mark.parametrize(("n_train", "message"), [(0, "n_train must be an int >= 1"),
                                                  (4_001, "n_train must be <= 4000")])  # fmt: skip
def test_a_bad_n_train_is_named(n_train, message):
    with pytest.raises(ValueError, match=message):
        train_sentiment("lstm", seed=0, **{**SMALL_SENTIMENT, "n_train": n_train})
