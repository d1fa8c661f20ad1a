"""course_rnn.studies.table1: operation counts, graph depth, path gradients, saved bytes, timing."""

import math

import pytest

from course_rnn.studies import table1


def test_layer_flops_cross_at_twice_the_width():
    d = 32
    assert table1.layer_flops("lstm", 10, d) == 16 * 10 * d * d
    assert table1.layer_flops("attention", 10, d) == 8 * 10 * d * d + 4 * 100 * d
    assert table1.layer_flops("lstm", 2 * d, d) == table1.layer_flops("attention", 2 * d, d)


def test_crossover_interpolates_on_log_axes():
    # attention/lstm ratio 1/2 at n = 10 and 2 at n = 1000: crosses at n = 100
    assert math.isclose(table1.crossover([10, 1000], [2.0, 1.0], [1.0, 2.0]), 100.0)
    assert table1.crossover([10, 100], [1.0, 1.0], [2.0, 3.0]) is None  # attention always slower
    assert table1.crossover([10, 100], [3.0, 3.0], [1.0, 2.0]) is None  # never slower


@pytest.mark.parametrize("n", [2, 5, 9])
def test_graph_depth_grows_with_n_for_the_lstm_only(n):
    assert table1.graph_depth("lstm", n) == 8 * n + 9
    assert table1.graph_depth("attention", n) == table1.graph_depth("attention", 3)


def test_path_gradients_vanish_for_the_lstm_and_not_for_attention():
    lstm = table1.path_gradients("lstm", 40, 16)
    attention = table1.path_gradients("attention", 40, 16)
    assert len(lstm) == len(attention) == 40
    assert lstm[30] < 1e-3 * lstm[1]
    assert min(attention[1:]) > 0.05 * max(attention[1:])


def test_saved_bytes_linear_for_the_lstm_quadratic_for_attention():
    lstm = [table1.saved_bytes("lstm", n, 8) for n in (64, 128, 256)]
    attention = [table1.saved_bytes("attention", n, 8) for n in (64, 128, 256)]
    assert lstm[2] - lstm[1] == 2 * (lstm[1] - lstm[0])  # a constant number of bytes per step
    assert attention[2] / attention[1] > 3.5  # the (B, NH, n, n) weights dominate
    assert attention[2] >= 4 * 256 * 256 * 4  # NH n² float32 weights


def test_forward_seconds_reports_every_configuration():
    rows = table1.forward_seconds([8], [4, 16], rounds=2, budget=0.001)
    assert [(r["layer"], r["n"]) for r in rows] == [
        ("lstm", 4),
        ("attention", 4),
        ("lstm", 16),
        ("attention", 16),
    ]
    for r in rows:
        assert len(r["all"]) == 2
        assert r["seconds"] == min(r["all"]) > 0
        assert r["flops"] == table1.layer_flops(r["layer"], r["n"], 8)


@pytest.mark.parametrize(
    "call",
    [
        lambda: table1.make_layer("gru", 8),
        lambda: table1.layer_flops("conv", 4, 8),
    ],
)
def test_unknown_layer_is_refused(call):
    with pytest.raises(ValueError, match="kind must be one of"):
        call()
