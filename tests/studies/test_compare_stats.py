"""course_rnn.studies.compare_stats: the spread over seeds and the interleaved timing pass."""

import math
import statistics
import time

import pytest

from course_rnn.studies.compare_stats import seconds_per_step, spread


def test_spread_is_mean_sample_std_min_max():
    result = spread([1.0, 2.0, 4.0])
    assert result == {
        "mean": pytest.approx(7 / 3),
        "std": pytest.approx(statistics.stdev([1, 2, 4])),
        "min": 1.0,
        "max": 4.0,
        "n": 3,
    }
    assert result["std"] == pytest.approx(math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2
                                                      + (4 - 7 / 3) ** 2) / 2))  # fmt: skip
    assert spread([0.5]) == {"mean": 0.5, "std": 0.0, "min": 0.5, "max": 0.5, "n": 1}


@pytest.mark.parametrize(("values", "message"), [([], "must not be empty"),
                                                 ([1.0, math.nan], "finite numbers"),
                                                 ([None], "finite numbers")])  # fmt: skip
def test_spread_refuses_what_it_cannot_summarise(values, message):
    with pytest.raises(ValueError, match=message):
        spread(values)


def test_timing_interleaves_the_steppers_and_keeps_the_fastest_round():
    calls = []
    # two untimed calls each, then rounds of a, a, a, b, b, b: b's last round is slow
    delays = iter([0.0] * 4 + [0.0] * 6 + [0.0] * 3 + [0.02] * 3)

    def stepper(name):
        def step():
            calls.append(name)
            time.sleep(next(delays))

        return step

    result = seconds_per_step({"a": stepper("a"), "b": stepper("b")}, rounds=2, steps=3)
    assert calls == ["a", "a", "b", "b"] + ["a"] * 3 + ["b"] * 3 + ["a"] * 3 + ["b"] * 3
    assert list(result) == ["a", "b"]
    assert result["b"] < 0.01  # the slow round of b is not the one kept


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"rounds": 0}, "rounds must be an int >= 1"), ({"steps": 1.5}, "steps must be an int")],
)
def test_timing_settings_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        seconds_per_step({"a": lambda: None}, **kwargs)
    with pytest.raises(ValueError, match="steppers must not be empty"):
        seconds_per_step({})
