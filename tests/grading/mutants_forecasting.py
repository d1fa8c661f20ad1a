"""Known-wrong versions of the exercise "forecasting" (see mutants.py for the Mutant type).

The classic mistakes of forecasting code: a seasonal naive forecast that repeats the last value,
reads the season one period too early, tiles it a whole number of times or forgets to wrap
around; sMAPE without its factor 2, as a fraction instead of a percentage, as MAPE, without the
absolute values in its denominator or dividing 0 by 0; MASE scaled by the test part's naive
error, by the non-seasonal scale when m > 1, averaged over n terms instead of n - m, or
returning inf (or checking only for a constant history) where the scale is 0; a recursive
forecast that never slides its window, rolls the observed values round instead of feeding its
predictions, lets the window grow, slides the caller's array in place or appends at the wrong
end; training pairs one short, batch-major, or with targets that overlap the window.
"""

from mutants import Mutant

SEASONAL = "def seasonal_naive_forecast(history, horizon, period):\n{}\n"
SMAPE = """def smape(actual, forecast):
    size = {size}
    terms = {factor} * np.abs(actual - forecast) / {safe}
    return float(np.mean(terms))
"""
GOOD_SMAPE = {
    "size": "np.abs(actual) + np.abs(forecast)",
    "factor": "200.0",
    "safe": "np.where(size > 0, size, 1.0)",
}
MASE = """def mase(actual, forecast, history, period=1):
    scale = {scale}
    {refuse}
    return float(np.mean(np.abs(actual - forecast)) / scale)
"""
GOOD_MASE = {
    "scale": "np.mean(np.abs(history[period:] - history[:-period]))",
    "refuse": "if scale == 0:\n        raise ValueError('the scale is 0')",
}
RECURSIVE = """def recursive_forecast(step, window, horizon):
    current = {start}
    forecast = np.empty(horizon)
    for k in range(horizon):
        forecast[k] = step(current)
        {slide}
    return forecast
"""
GOOD_RECURSIVE = {
    "start": "np.array(window, dtype=float)",
    "slide": "current = np.append(current[1:], forecast[k])",
}
DIRECT = """def direct_targets(series, window, horizon):
    N = {N}
    inputs = np.stack([series[j : j + window] for j in range(N)], axis={axis})
    targets = np.stack([series[{first} : {first} + horizon] for j in range(N)], axis={axis})
    return inputs, targets
"""
GOOD_DIRECT = {"N": "len(series) - window - horizon + 1", "axis": "1", "first": "j + window"}


def _mutant(name, function, source, stage, says, hidden_fails=True):
    return Mutant(name, "forecasting", function, source, stage, says, hidden_fails)


FORECASTING = (
    # --- seasonal_naive_forecast
    _mutant(
        "snaive_repeats_last_value",
        "seasonal_naive_forecast",
        SEASONAL.format("    return np.full(horizon, float(history[-1]))"),
        "values",
        "forecast is wrong at",
    ),
    _mutant(
        "snaive_season_one_period_early",
        "seasonal_naive_forecast",
        SEASONAL.format(
            "    n = len(history)\n    season = history[n - 2 * period : n - period]\n"
            "    return np.resize(season, horizon).astype(float)"
        ),
        "values",
        "forecast is wrong at",
    ),
    _mutant(
        "snaive_tiles_whole_seasons",
        "seasonal_naive_forecast",
        SEASONAL.format("    return np.tile(history[-period:], horizon // period).astype(float)"),
        "shapes",
        "forecast has shape (6,); expected (H,) = (7,)",
    ),
    _mutant(
        "snaive_no_wrap_around",
        "seasonal_naive_forecast",
        SEASONAL.format(
            "    n = len(history)\n"
            "    return np.array([history[n - period + k] for k in range(horizon)], dtype=float)"
        ),
        "shapes",
        "raised IndexError",
    ),
    # --- smape
    _mutant(
        "smape_no_factor_2",
        "smape",
        SMAPE.format(**GOOD_SMAPE | {"factor": "100.0"}),
        "values",
        "(yours / expected = 0.5)",
    ),
    _mutant(
        "smape_fraction_not_percent",
        "smape",
        SMAPE.format(**GOOD_SMAPE | {"factor": "2.0"}),
        "values",
        "(yours / expected = 0.01)",
    ),
    _mutant(
        "smape_is_mape",
        "smape",
        SMAPE.format(**GOOD_SMAPE | {"size": "2 * np.abs(actual)"}),
        "values",
        "sMAPE is",
    ),
    _mutant(
        "smape_no_abs_in_denominator",
        "smape",
        SMAPE.format(
            **GOOD_SMAPE | {"size": "actual + forecast", "safe": "np.where(size != 0, size, 1.0)"}
        ),
        "edge cases",
        "with values of both signs: sMAPE is",
    ),
    _mutant(
        "smape_zero_over_zero",
        "smape",
        SMAPE.format(**GOOD_SMAPE | {"safe": "size"}),
        "edge cases",
        "with zeros: y = ŷ = 0 at some steps",
    ),
    # --- mase
    _mutant(
        "mase_scaled_by_test_part",
        "mase",
        MASE.format(**GOOD_MASE | {"scale": "np.mean(np.abs(actual - history[-1]))"}),
        "values",
        "MASE is",
    ),
    _mutant(
        "mase_non_seasonal_scale",
        "mase",
        MASE.format(**GOOD_MASE | {"scale": "np.mean(np.abs(np.diff(history)))"}),
        "values",
        "MASE is",
    ),
    _mutant(
        "mase_scale_over_n_terms",
        "mase",
        MASE.format(
            **GOOD_MASE
            | {"scale": "np.sum(np.abs(history[period:] - history[:-period])) / len(history)"}
        ),
        "values",
        "(yours / expected = 1.4)",
    ),
    _mutant(
        "mase_returns_inf_for_zero_scale",
        "mase",
        MASE.format(**GOOD_MASE | {"refuse": "pass"}),
        "edge cases",
        "with a constant history (the scale is 0): mase returned inf for a constant history; it "
        "must raise a ValueError that says why",
    ),
    _mutant(
        "mase_refuses_only_constant_histories",
        "mase",
        MASE.format(
            **GOOD_MASE
            | {"refuse": "if np.all(history == history[0]):\n        raise ValueError('constant')"}
        ),
        "edge cases",
        "with a history that repeats exactly every m steps (the scale is 0): mase returned inf for "
        "a history that repeats every m = 4 steps",
    ),
    # --- recursive_forecast
    _mutant(
        "recursive_never_slides",
        "recursive_forecast",
        RECURSIVE.format(**GOOD_RECURSIVE | {"slide": "pass"}),
        "values",
        "(5 of 6 entries differ)",
    ),
    _mutant(
        "recursive_rolls_observed_values",
        "recursive_forecast",
        RECURSIVE.format(**GOOD_RECURSIVE | {"slide": "current = np.roll(current, -1)"}),
        "values",
        "(5 of 6 entries differ)",
    ),
    _mutant(
        "recursive_window_grows",
        "recursive_forecast",
        RECURSIVE.format(**GOOD_RECURSIVE | {"slide": "current = np.append(current, forecast[k])"}),
        "shapes",
        "step received a window of shape (5,); the model reads the W = 4 latest values",
    ),
    _mutant(
        "recursive_slides_callers_window",
        "recursive_forecast",
        RECURSIVE.format(
            **GOOD_RECURSIVE
            | {
                "start": "window",
                "slide": "current[:-1] = current[1:]\n        current[-1] = forecast[k]",
            }
        ),
        "shapes",
        "recursive_forecast changed its input window",
    ),
    _mutant(
        "recursive_appends_at_the_oldest_end",
        "recursive_forecast",
        RECURSIVE.format(
            **GOOD_RECURSIVE | {"slide": "current = np.append(forecast[k], current[:-1])"}
        ),
        "values",
        "(5 of 6 entries differ)",
    ),
    # --- direct_targets
    _mutant(
        "direct_one_pair_short",
        "direct_targets",
        DIRECT.format(**GOOD_DIRECT | {"N": "len(series) - window - horizon"}),
        "shapes",
        "inputs has shape (4, 5); expected (W, N) = (4, 6)",
    ),
    _mutant(
        "direct_batch_major",
        "direct_targets",
        DIRECT.format(**GOOD_DIRECT | {"axis": "0"}),
        "shapes",
        "inputs has shape (6, 4); expected (W, N) = (4, 6) (the right sizes in another order",
    ),
    _mutant(
        "direct_targets_overlap_the_window",
        "direct_targets",
        DIRECT.format(**GOOD_DIRECT | {"first": "j + window - 1"}),
        "values",
        "wrong: targets (right: inputs)",
    ),
)

FORECASTING += (
    _mutant(
        "snaive_sorts_the_history_in_place",
        "seasonal_naive_forecast",
        SEASONAL.format(
            "    history.sort()\n"
            "    return history[len(history) - period :][np.arange(horizon) % period]"
        ),
        "shapes",
        "seasonal_naive_forecast changed its argument history: no function may change the arrays",
    ),
    _mutant(
        "smape_nan_to_num",
        "smape",
        SMAPE.format(**GOOD_SMAPE | {"safe": "size"}).replace(
            "float(np.mean(terms))", "float(np.mean(np.nan_to_num(terms)))"
        ),
        "edge cases",
        "with zeros: y = ŷ = 0 at some steps, y = 0 alone at another: smape asked NumPy to divide "
        "by 0",
    ),
    _mutant(
        "mase_raises_without_a_message",
        "mase",
        MASE.format(**GOOD_MASE | {"refuse": "if scale == 0:\n        raise ValueError"}),
        "edge cases",
        "with a constant history (the scale is 0): mase raised a ValueError without a message",
    ),
    _mutant(
        "mase_divides_by_a_zero_float",
        "mase",
        MASE.format(
            **GOOD_MASE | {"scale": "float(" + GOOD_MASE["scale"] + ")", "refuse": "pass"}
        ).replace(
            "float(np.mean(np.abs(actual - forecast)) / scale)",
            "float(np.mean(np.abs(actual - forecast))) / scale",
        ),
        "edge cases",
        "with a constant history (the scale is 0): mase raised ZeroDivisionError for a constant "
        "history; it must raise a ValueError that says why",
    ),
)
