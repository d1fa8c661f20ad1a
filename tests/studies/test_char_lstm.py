"""course_rnn.studies.char_lstm: initialisation, round trips, deterministic training, bpc."""

import math

import numpy as np
import pytest
import torch

from course_rnn.studies.char_lstm import (
    VALID_CHARS,
    held_out_bpc,
    init_weights,
    load_weights,
    to_model,
    to_weights,
    train_char_lstm,
)

V, D, H = 13, 4, 8


def test_initial_weights_follow_torch_and_set_the_forget_bias():
    w = init_weights(V, D, H, rng=np.random.default_rng(0), forget_bias=1.0)
    model = torch.nn.LSTM(D, H)
    assert {k.removeprefix("lstm.") for k in w if k.startswith("lstm.")} == set(model.state_dict())
    assert all(v.dtype == np.float32 for v in w.values())
    np.testing.assert_array_equal(w["lstm.bias_ih_l0"][H : 2 * H], 1.0)
    np.testing.assert_array_equal(w["lstm.bias_hh_l0"][H : 2 * H], 0.0)
    assert np.abs(w["lstm.weight_hh_l0"]).max() <= 1 / math.sqrt(H)
    assert np.abs(w["head.weight"]).max() <= 1 / math.sqrt(H)
    kept = init_weights(V, D, H, rng=np.random.default_rng(0), forget_bias=None)
    assert np.abs(kept["lstm.bias_ih_l0"][H : 2 * H]).max() <= 1 / math.sqrt(H)


def test_weights_round_trip_through_the_model():
    w = init_weights(V, D, H, rng=np.random.default_rng(1))
    back = to_weights(to_model(w))
    assert set(back) == set(w)
    for key, value in w.items():
        np.testing.assert_array_equal(back[key], value)


def test_building_a_model_draws_nothing_from_torchs_generator():
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    to_model(init_weights(V, D, H, rng=np.random.default_rng(1)))
    assert torch.equal(torch.rand(2), expected)


def test_the_held_out_bpc_does_not_depend_on_the_chunk():
    model = to_model(init_weights(V, D, H, rng=np.random.default_rng(2)))
    ids = torch.from_numpy(np.random.default_rng(3).integers(0, V, size=301))
    whole = held_out_bpc(model, ids, chunk=1000)
    assert held_out_bpc(model, ids, chunk=7) == pytest.approx(whole, rel=1e-6)
    assert abs(whole - math.log2(V)) < 0.5  # untrained: about a uniform guess


def test_training_is_deterministic_and_reports_its_curve():
    small = {"hidden_size": 8, "embed_size": 4, "steps": 3, "seq_len": 10, "batch_size": 2}
    w1, r1 = train_char_lstm(seed=0, eval_every=2, **small)
    w2, r2 = train_char_lstm(seed=0, eval_every=2, **small)
    r1.pop("seconds_per_step"), r2.pop("seconds_per_step")
    assert r1 == r2
    for key in w1:
        np.testing.assert_array_equal(w1[key], w2[key])
    assert [step for step, _ in r1["curve"]] == [0, 2, 3]
    assert r1["final_bpc"] == r1["curve"][-1][1]
    assert len(w1["vocab"]) == r1["V"] == w1["embed.weight"].shape[0]
    assert VALID_CHARS == 20_000


def test_the_stored_model_loads_with_its_vocabulary():
    weights, vocab = load_weights()
    assert weights["embed.weight"].shape[0] == len(vocab)
    assert weights["head.weight"].shape[0] == len(vocab)
    assert vocab.decode(vocab.encode("def f(x):")) == "def f(x):"
    with pytest.raises(FileNotFoundError, match="no stored arrays named 'nothing'"):
        load_weights("nothing")
