"""course_rnn.studies.gates: activations equal the step functions and torch, features are exact."""

import numpy as np
import pytest
import torch

from course_rnn.numpy_nn import lstm_step_forward
from course_rnn.studies.char_lstm import init_weights, to_model
from course_rnn.studies.gates import (
    FEATURES,
    best_units,
    lstm_activations,
    text_features,
    unit_correlations,
)

V, D, H = 11, 4, 6


@pytest.fixture
def weights():
    w = init_weights(V, D, H, rng=np.random.default_rng(0))
    return {k: v.astype(np.float64) for k, v in w.items()}


def test_activations_equal_the_step_functions_and_torch(weights):
    ids = np.random.default_rng(1).integers(0, V, size=25)
    acts = lstm_activations(weights, ids)
    layer = [weights[f"lstm.{n}_l0"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    h, c = np.zeros((1, H)), np.zeros((1, H))
    for t, token in enumerate(ids):
        h, c, cache = lstm_step_forward(weights["embed.weight"][[token]], h, c, *layer)
        i, f, g, o = cache[5:9]
        for name, value in {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h}.items():
            np.testing.assert_allclose(acts[name][t], value[0], rtol=1e-12, atol=1e-14)
    model = to_model(weights).double()
    with torch.no_grad():
        _, (h_n, c_n) = model(torch.from_numpy(ids)[:, None])
    np.testing.assert_allclose(acts["h"][-1], h_n[0, 0].numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(acts["c"][-1], c_n[0, 0].numpy(), rtol=1e-9, atol=1e-12)
    assert set(acts) == {"i", "f", "g", "o", "c", "h"}
    assert all(a.shape == (25, H) for a in acts.values())


def test_features_describe_the_text_after_each_character():
    text = 'a("b")\n  x\n\n"'
    features = text_features(text)
    assert tuple(features) == FEATURES
    #          a  (  "  b  "  )  \n ␣  ␣  x  \n \n  "
    quotes = [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    parens = [0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    column = [1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 0, 0, 1]
    indent = [0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 0, 0, 0]
    for name, expected in zip(FEATURES, (quotes, parens, column, indent), strict=True):
        np.testing.assert_array_equal(features[name], expected, err_msg=name)


def test_a_blank_line_closes_what_is_open():
    features = text_features('("x\n\ny')
    assert features["inside quotes"].tolist() == [0, 1, 1, 1, 0, 0]
    assert features["inside parentheses"].tolist() == [1, 1, 1, 1, 0, 0]
    assert text_features(")")["inside parentheses"].tolist() == [0]  # never below zero


def test_correlations_are_pearsons():
    rng = np.random.default_rng(0)
    acts = rng.standard_normal((200, 4))
    feature = acts[:, 2] * 3 + 0.5 * rng.standard_normal(200)
    r = unit_correlations(acts, {"f": feature, "flat": np.ones(200)})
    expected = [np.corrcoef(acts[:, k], feature)[0, 1] for k in range(4)]
    np.testing.assert_allclose(r["f"], expected, rtol=1e-12)
    np.testing.assert_array_equal(r["flat"], 0.0)  # a constant feature correlates with nothing
    acts[:, 1] = 7.0
    assert unit_correlations(acts, {"f": feature})["f"][1] == 0.0  # nor does a constant unit
    assert best_units(r)["f"] == (2, pytest.approx(expected[2]))
    assert best_units({"g": np.array([0.1, -0.9, 0.5])}) == {"g": (1, -0.9)}


def test_bad_input_is_named(weights):
    with pytest.raises(ValueError, match=r"ids expected a non-empty \(N,\) int array"):
        lstm_activations(weights, np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match="text expected a non-empty str"):
        text_features("")
    with pytest.raises(ValueError, match=r"activations expected \(N, H\), got \(5,\)"):
        unit_correlations(np.zeros(5), {})
    with pytest.raises(ValueError, match=r"feature 'x' expected shape \(5,\), got \(4,\)"):
        unit_correlations(np.zeros((5, 2)), {"x": np.zeros(4)})
