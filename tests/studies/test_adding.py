"""course_rnn.studies.adding: deterministic runs, the forget-gate bias, clear errors."""

import json

import numpy as np
import pytest
import torch

from course_rnn.data import ADDING_BASELINE_MSE
from course_rnn.studies.adding import (
    forget_gate_bias,
    make_adding_model,
    train_adding,
    validation_batch,
)

SMALL = {"T": 12, "hidden_size": 6, "steps": 6, "batch_size": 8, "eval_every": 2, "eval_size": 16}


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_same_seed_gives_the_same_run(cell):
    first = train_adding(cell, seed=3, **SMALL)
    second = train_adding(cell, seed=3, **SMALL)
    first.pop("seconds_per_step"), second.pop("seconds_per_step")
    assert first == second
    assert first["curve"] != train_adding(cell, seed=4, **SMALL)["curve"]


def test_the_result_is_plain_json_with_the_documented_keys():
    result = train_adding("lstm", seed=0, forget_bias=1.0, **SMALL)
    assert json.loads(json.dumps(result)) == result
    assert set(result) == {
        "cell", "T", "hidden_size", "seed", "steps", "parameters", "forget_bias", "clip",
        "threshold", "curve", "final_mse", "steps_to_threshold", "solved", "max_grad_norm",
        "grad_norm_curve", "seconds_per_step",
    }  # fmt: skip
    assert [step for step, _ in result["curve"]] == [0, 2, 4, 6]
    assert [step for step, _ in result["grad_norm_curve"]] == [2, 4, 6]
    assert result["max_grad_norm"] == max(norm for _, norm in result["grad_norm_curve"])
    assert result["final_mse"] == result["curve"][-1][1]
    H, D = 6, 2
    assert result["parameters"] == 4 * (D * H + H * H + 2 * H) + H + 1
    assert result["forget_bias"] == 1.0


def test_steps_to_threshold_is_the_first_evaluation_below_it():
    # T = 4 is learnt in a few dozen steps; a threshold just above the error at step 50
    easy = {"T": 4, "hidden_size": 8, "steps": 60, "lr": 0.03, "batch_size": 32, "eval_every": 10}
    curve = train_adding("gru", seed=0, **easy)["curve"]
    threshold = curve[5][1] + 1e-9
    assert curve[5][0] == 50
    assert min(mse for _, mse in curve[:5]) > threshold  # not reached before step 50
    assert threshold < ADDING_BASELINE_MSE
    result = train_adding("gru", seed=0, threshold=threshold, **easy)
    assert result["steps_to_threshold"] == 50
    assert result["solved"] == (curve[-1][1] < threshold)
    never = train_adding("gru", seed=0, threshold=1e-9, **easy)
    assert never["steps_to_threshold"] is None
    assert never["solved"] is False


def test_the_validation_batch_is_fixed_and_independent_of_the_seed():
    x1, y1 = validation_batch(12, 16)
    x2, y2 = validation_batch(12, 16)
    assert torch.equal(x1, x2)
    assert torch.equal(y1, y2)
    assert x1.shape == (12, 16, 2)
    assert y1.shape == (16,)
    # so two seeds start from different weights but are scored on the same sequences
    a = train_adding("rnn", seed=0, **{**SMALL, "steps": 0})
    b = train_adding("rnn", seed=1, **{**SMALL, "steps": 0})
    assert a["curve"][0][1] != b["curve"][0][1]


@pytest.mark.parametrize("forget_bias", [0.0, 1.0, -2.5])
def test_the_forget_bias_is_the_sum_of_the_two_f_blocks(forget_bias):
    H = 5
    model = make_adding_model("lstm", H, rng=np.random.default_rng(0), forget_bias=forget_bias)
    np.testing.assert_array_equal(forget_gate_bias(model), np.full(H, forget_bias, np.float32))
    b_ih = model.rnn.bias_ih_l0.detach().numpy()
    b_hh = model.rnn.bias_hh_l0.detach().numpy()
    np.testing.assert_array_equal(b_ih[H : 2 * H], forget_bias)
    np.testing.assert_array_equal(b_hh[H : 2 * H], 0.0)
    # the other gates keep torch's initialisation: the same draws as without forget_bias
    default = make_adding_model("lstm", H, rng=np.random.default_rng(0))
    for name in ("bias_ih_l0", "bias_hh_l0"):
        ours, torchs = getattr(model.rnn, name), getattr(default.rnn, name)
        torch.testing.assert_close(ours[:H], torchs[:H])
        torch.testing.assert_close(ours[2 * H :], torchs[2 * H :])
    bound = 1 / np.sqrt(H)
    assert np.all(np.abs(forget_gate_bias(default)) <= 2 * bound)
    assert not np.allclose(forget_gate_bias(default), forget_bias)


def test_the_forget_bias_is_the_one_the_trained_lstm_started_from():
    model, result = train_adding(
        "lstm", seed=2, forget_bias=1.0, return_model=True, **{**SMALL, "steps": 0}
    )
    assert result == train_adding("lstm", seed=2, forget_bias=1.0, **{**SMALL, "steps": 0}) | {
        "seconds_per_step": result["seconds_per_step"]
    }
    np.testing.assert_array_equal(forget_gate_bias(model), 1.0)


def test_the_initial_weights_follow_torchs_distribution():
    H = 64
    model = make_adding_model("gru", H, rng=np.random.default_rng(0))
    for p in model.parameters():
        assert p.dtype == torch.float32
        assert p.abs().max() <= 1 / np.sqrt(H)
    weights = model.rnn.weight_hh_l0.detach().numpy()
    assert abs(weights.std() - 1 / np.sqrt(3 * H)) < 0.01  # the std of U(−a, a) is a/√3


def test_training_leaves_torchs_global_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    train_adding("lstm", seed=0, **SMALL)
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


def test_clipping_is_optional_and_reports_the_norm_before_clipping():
    clipped = train_adding("rnn", seed=0, clip=1e-3, **SMALL)
    free = train_adding("rnn", seed=0, clip=None, **SMALL)
    assert clipped["clip"] == 1e-3
    assert free["clip"] is None
    assert clipped["max_grad_norm"] > 1e-3  # the norm before clipping is reported
    assert clipped["curve"][1:] != free["curve"][1:]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"cell": "transformer"}, ValueError, r"cell must be one of \['gru', 'lstm', 'rnn'\]"),
        ({"cell": "gru", "forget_bias": 1.0}, ValueError, "forget_bias is for cell='lstm' only"),
        ({"forget_bias": "1"}, TypeError, "forget_bias must be a number"),
        ({"forget_bias": float("nan")}, ValueError, "forget_bias must be finite"),
        ({"T": 1}, ValueError, "T must be an int >= 2, got 1"),
        ({"hidden_size": 0}, ValueError, "hidden_size must be an int >= 1"),
        ({"seed": -1}, ValueError, "seed must be an int >= 0"),
        ({"steps": 2.5}, ValueError, "steps must be an int"),
        ({"lr": 0}, ValueError, "lr must be a positive number"),
        ({"clip": -1.0}, ValueError, "clip must be a positive number"),
        ({"threshold": 0.2}, ValueError, "threshold must be below the baseline MSE 0.1667"),
        ({"eval_every": 0}, ValueError, "eval_every must be an int >= 1"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    args = {"cell": "lstm", "seed": 0, **SMALL, **kwargs}
    with pytest.raises(error, match=match):
        train_adding(args.pop("cell"), **args)


def test_the_baseline_is_what_the_threshold_is_measured_against():
    assert round(ADDING_BASELINE_MSE, 4) == 0.1667
    assert train_adding("lstm", seed=0, **SMALL)["threshold"] < ADDING_BASELINE_MSE / 10
