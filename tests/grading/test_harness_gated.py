"""The harness and specs of the exercises "lstm" and "gru": every rule they state can fail.

The mutants (mutants.py) show the whole checks failing where intended; these tests pin the
harness's own branches: the step forward's cache, overflow, the kept dtype, and the references'
agreement with the package's step functions in float32 cases.
"""

import numpy as np
import pytest
from helpers import reference_functions

from course_rnn.grading.compare import make_probe, public_probes
from course_rnn.grading.harness_gated import gated_cell_harness
from course_rnn.grading.rejection import CheckRejectedError
from course_rnn.grading.specs import gru, lstm
from course_rnn.grading.tasks import linspace_fill, random_fill, spec_tasks


def task(exercise, name):
    return next(t for t in spec_tasks(exercise) if t.name == name)


@pytest.fixture(scope="module")
def solved():
    return reference_functions("lstm") | reference_functions("gru")


def step_args(exercise="lstm"):
    """The public fixture's arguments of the step forward: (layout, x_t, h_prev, ...)."""
    return public_probes(task(exercise, f"{exercise}_step_forward"))[0].args


def test_the_step_forward_returns_the_states_and_the_computed_part_of_the_cache(solved):
    layout, *args = step_args()
    got = gated_cell_harness(solved["lstm_step_forward"], layout, *args)
    h_t, c_t, cache = solved["lstm_step_forward"](*args)
    assert len(got) == 7  # h_t, c_t, i, f, g, o, tanh_c
    for a, b in zip(got, (h_t, c_t, *cache[5:]), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("result", "says"),
    [
        (lambda h, c, cache: (h, c), "must return 3 values, the last its cache; got 2"),
        (lambda h, c, cache: (h, c, cache[:9]), "cache must be a tuple of 10 entries; it has 9"),
        (lambda h, c, cache: (h, c, np.zeros(3)), "it has no tuple"),
        (
            lambda h, c, cache: (h, c, (cache[0], cache[1], cache[2], cache[3].T, *cache[4:])),
            "cache[3] must be W_ih, the argument as given",
        ),
        (
            lambda h, c, cache: (h, c, (cache[1], *cache[1:])),
            "cache[0] must be x_t, the argument as given",
        ),
    ],
)
def test_a_malformed_result_or_cache_is_named(solved, result, says):
    def lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
        return result(*solved["lstm_step_forward"](x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh))

    layout, *args = step_args()
    with pytest.raises(CheckRejectedError) as caught:
        gated_cell_harness(lstm_step_forward, layout, *args)
    assert says in str(caught.value)
    assert str(caught.value).startswith("lstm_step_forward")


def test_overflow_raises_where_numpy_would_only_warn():
    def naive(x):
        return (1 / (1 + np.exp(-x)),)

    with pytest.raises(FloatingPointError, match="overflow"):
        gated_cell_harness(naive, (), np.array([-1000.0]))
    np.testing.assert_array_equal(gated_cell_harness(naive, (), np.array([0.0]))[0], [0.5])


@pytest.mark.parametrize(
    ("fn", "says"),
    [
        (lambda x: (x, x.astype(np.float64)), "the second value it returns has dtype float64"),
        (lambda x: x.astype(np.float64), "the first value it returns has dtype float64"),
    ],
)
def test_a_changed_dtype_is_named(fn, says):
    x = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(
        CheckRejectedError, match="but the inputs are float32: keep the inputs' dtype"
    ):
        gated_cell_harness(fn, (), x)
    with pytest.raises(CheckRejectedError) as caught:
        gated_cell_harness(fn, (), x)
    assert says in str(caught.value)


def test_a_float64_cache_entry_is_named_for_float32_inputs(solved):
    def lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
        h_t, c_t, cache = solved["lstm_step_forward"](x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
        return h_t, c_t, (*cache[:9], cache[9].astype(np.float64))

    probe = make_probe(
        task("lstm", "lstm_step_forward"), "", lstm.sizes(B=2, D=3, H=2, f32=1), linspace_fill
    )
    layout, *args = probe.args
    with pytest.raises(CheckRejectedError, match=r"cache\[9\] has dtype float64"):
        gated_cell_harness(lstm_step_forward, layout, *args)


@pytest.mark.parametrize(
    ("exercise", "name"),
    [(e, t.name) for e in ("lstm", "gru") for t in spec_tasks(e)],
)
def test_float32_cases_of_the_references_pass_within_the_tolerance(solved, exercise, name):
    """A float32 solution meets the float64 answer on hidden-sized cases, with room to spare."""
    t = task(exercise, name)
    sizes = lstm.sizes if exercise == "lstm" else gru.sizes
    dims = sizes(B=4, D=5, H=6, f32=1) if "step" in name else sizes(T=4, B=4, D=5, H=6, f32=1)
    worst = 0.0
    for seed in range(20):
        probe = make_probe(t, "", dims, random_fill(np.random.default_rng(seed)))
        got = t.harness(solved[name], *probe.args)
        for g, e in zip(got, probe.expected, strict=True):
            assert g.dtype == np.float32
            worst = max(worst, float(np.max(np.abs(g - e) / (t.atol + t.rtol * np.abs(e)))))
    assert worst < 0.5  # a float32 round-off uses at most half the tolerance


def test_the_tolerance_is_not_loose_enough_for_float32_inputs_computed_in_float16(solved):
    t = task("lstm", "lstm_backward")
    probe = make_probe(t, "", lstm.sizes(T=3, B=2, D=3, H=4, f32=1), linspace_fill)
    got = t.harness(solved["lstm_backward"], *probe.args)
    coarse = [g.astype(np.float16).astype(np.float64) for g in got]
    assert any(
        np.any(np.abs(c - e) > t.atol + t.rtol * np.abs(e))
        for c, e in zip(coarse, probe.expected, strict=True)
    )


def test_sizes_add_the_gate_rows():
    assert lstm.sizes(B=1, D=2, H=3) == {"B": 1, "D": 2, "H": 3, "G": 12}
    assert gru.sizes(T=2, B=1, D=2, H=3) == {"T": 2, "B": 1, "D": 2, "H": 3, "G": 9}
