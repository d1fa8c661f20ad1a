"""experiments/forecasting.py: the stored results are the script's, the baselines and the chosen
ARIMA reproduce, and one GRU configuration (sunspots, seed 0) reproduces."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from course_rnn.results import load
from course_rnn.studies import forecasting as study

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


@pytest.fixture(scope="module")
def stored():
    return load("forecasting")


@pytest.fixture(scope="module")
def script():
    sys.path.insert(0, str(EXPERIMENTS))  # for the script's `from provenance import`
    try:
        return runpy.run_path(str(EXPERIMENTS / "forecasting.py"), run_name="not_main")
    finally:
        sys.path.remove(str(EXPERIMENTS))


def test_the_stored_results_come_from_the_script_as_it_is(stored, script):
    args = stored["provenance"]["args"]
    assert args == {"series": script["SERIES"], "recipe": study.RECIPE,
                    "test_size": study.TEST_SIZE}  # fmt: skip
    assert stored["provenance"]["seeds"] == script["SEEDS"]
    results = stored["results"]
    assert (results["p_grid"], results["q_grid"]) == (list(study.P_GRID), list(study.Q_GRID))
    assert list(results["series"]) == script["SERIES"]
    for entry in results["series"].values():
        assert [r["seed"] for r in entry["neural"]] == script["SEEDS"]


@pytest.mark.parametrize("name", list(study.TEST_SIZE))
def test_baselines_and_their_scores_are_recomputed_exactly(stored, name):
    train, test, period = study.series_setup(name)
    classical = stored["results"]["series"][name]["classical"]
    baselines = study.baseline_forecasts(train, test, period)
    for method, forecasts in baselines.items():
        assert classical["forecasts"][method] == forecasts
        assert classical["scores"][method] == study.score_all(baselines, train, test,
                                                              period)[method]  # fmt: skip


def test_the_chosen_arima_reproduces(stored):
    train, test, period = study.series_setup("sunspots")
    classical = stored["results"]["series"]["sunspots"]["classical"]
    order = classical["arima_selection"]["order"]
    again = study.arima_forecasts(train, test, period, order)
    for setting in ("one_step", "multi_step"):
        np.testing.assert_allclose(again[setting], classical["forecasts"]["arima"][setting],
                                   rtol=1e-6)  # fmt: skip


def test_one_gru_configuration_reproduces(stored):
    first = stored["results"]["series"]["sunspots"]["neural"][0]
    assert first["seed"] == 0
    again = study.neural("sunspots", 0)
    assert again["training"]["parameters"] == first["training"]["parameters"]
    for method, by_setting in first["scores"].items():
        for setting, s in by_setting.items():
            assert again["scores"][method][setting]["mase"] == pytest.approx(s["mase"], abs=1e-3)
